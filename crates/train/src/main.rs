//! `nerlab-train`: fine-tunes the transformer NER model on any corpus nerlab reads (run by
//! `cargo xtask train`), and converts the base encoder (run by `cargo xtask setup`).

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use nerlab_core::Label;
use nerlab_train::{data, dev, run, TrainOptions};

#[derive(Parser)]
#[command(about = "Fine-tune nerlab's transformer NER model on a corpus (CoNLL-2003 by default)", args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    train: Args,
}

#[derive(Subcommand)]
enum Command {
    /// Convert a Hugging Face BERT `model.safetensors` to rust-bert's `.ot` layout.
    Convert {
        /// Input safetensors file.
        input: PathBuf,
        /// Output `.ot` file.
        output: PathBuf,
    },
    /// Train (the same as no subcommand).
    Train(Box<Args>),
    /// Average the weights of model directories trained from the same base with the same
    /// labels (a "model soup": runs with other seeds or learning rates) into a new model
    /// directory; score it with `eval` before trusting it, since runs that drifted apart
    /// average into a worse model.
    Average {
        /// The model directory to write (config and tokenizer come from the first input).
        #[arg(long)]
        out: PathBuf,
        /// Model directories (each with model.ot, config.json, tokenizer.json).
        #[arg(required = true, num_args = 2..)]
        models: Vec<PathBuf>,
    },
    /// Strict scores of a model directory on a corpus, each line (CoNLL: sentence) as its own
    /// text: the dev scoring of training (`nerlab eval` is the project's reference).
    Eval {
        /// The model directory.
        #[arg(long, default_value = "models/minilm-conll03")]
        model: PathBuf,
        /// The nerlab config whose corpus names CORPUS may be.
        #[arg(long, default_value = "nerlab.toml")]
        config: PathBuf,
        /// A corpus name of the config, or a path (directory = brat, *.jsonl, else CoNLL IOB2).
        corpus: String,
    },
}

#[derive(clap::Args)]
struct Args {
    /// The nerlab config whose corpus names --train and --dev may be.
    #[arg(long, default_value = "nerlab.toml")]
    config: PathBuf,
    /// Training corpus: a corpus name of the config, or a path (directory = brat, *.jsonl =
    /// JSONL, else CoNLL IOB2; configure a corpus for IOB1 or BIOES). Repeat to train on
    /// several (`--train conll2003-train --train conll2003-valid --keep-last`: the final refit).
    #[arg(long, default_values_t = [String::from("conll2003-train")])]
    train: Vec<String>,
    /// Development corpus (name or path): scored after each epoch, picks the epoch exported.
    #[arg(long, alias = "valid", default_value = "conll2003-valid")]
    dev: String,
    /// The labels to learn, comma-separated, in the order of the model's outputs [default:
    /// those of the training data, PER/ORG/LOC/MISC first, then sorted]. An entity of another
    /// label in either corpus is an error.
    #[arg(long, value_delimiter = ',')]
    labels: Option<Vec<Label>>,
    /// Train on this share of the training documents (0 < F <= 1): a seeded sample, nested
    /// (for one seed, the 10% documents are among the 25% ones).
    #[arg(long, default_value_t = 1.0)]
    fraction: f64,
    /// Converted base encoder: base.ot, config.json, tokenizer.json (`cargo xtask setup`).
    #[arg(long, default_value = "target/nerlab-cache/all-minilm-l6-v2")]
    base: PathBuf,
    /// Export the last epoch, not the best on --dev (when --dev is among the training
    /// corpora, its scores select nothing).
    #[arg(long)]
    keep_last: bool,
    /// The model directory to write.
    #[arg(long, default_value = "models/minilm-conll03")]
    out: PathBuf,
    /// Checkpoints and run state.
    #[arg(long, default_value = "target/nerlab-train")]
    work: PathBuf,
    /// Passes over the training data.
    #[arg(long, default_value_t = 5)]
    epochs: usize,
    /// Stop after N optimisation steps in all (the learning-rate schedule spans them); the
    /// epoch cut short is scored and exported like any other.
    #[arg(long)]
    max_steps: Option<usize>,
    #[arg(long, default_value_t = 1e-4)]
    lr: f64,
    #[arg(long, default_value_t = 0.1)]
    warmup: f64,
    #[arg(long, default_value_t = 0.01)]
    weight_decay: f64,
    #[arg(long, default_value_t = 1.0)]
    clip: f64,
    /// Padded positions per batch at most.
    #[arg(long, default_value_t = 768)]
    batch_tokens: usize,
    /// Examples per batch at most.
    #[arg(long, default_value_t = 32)]
    batch_examples: usize,
    /// Longest example in word-pieces ([CLS]/[SEP] included); longer texts are cut into the
    /// windows inference would use.
    #[arg(long, default_value_t = 256)]
    max_length: usize,
    /// Word-pieces shared by consecutive windows of a sentence longer than --max-length.
    #[arg(long, default_value_t = 32)]
    overlap: usize,
    /// Fraction of examples made of 2-4 consecutive units (CoNLL: sentences).
    #[arg(long, default_value_t = 0.2)]
    concat: f64,
    /// Ablation: do not feed casing classes.
    #[arg(long)]
    no_casing: bool,
    /// Sentences of document context on each side of every training sentence (FLERT; 0:
    /// none). CoNLL sentences are grouped into their articles; replaces --concat. Serve the
    /// model with the same `context_sentences` and a grouped corpus.
    #[arg(long, default_value_t = 0)]
    context_sentences: usize,
    /// Share of training units also trained on re-cased (half lower-case, half upper-case),
    /// for robustness to text without the usual capitals. 0: none (the shipped recipe).
    #[arg(long, default_value_t = 0.0)]
    casing_noise: f64,
    /// Layer-wise learning-rate decay: the classifier learns at --lr, each encoder layer
    /// below at this factor times the one above, the embeddings last. 1: none (the shipped
    /// recipe).
    #[arg(long, default_value_t = 1.0)]
    layer_decay: f64,
    /// R-Drop: run each batch twice under different dropout masks and add this weight times
    /// the symmetric KL divergence of the two predictions to the loss (a step costs about
    /// twice as much). 0: none (the shipped recipe).
    #[arg(long, default_value_t = 0.0)]
    rdrop: f64,
    /// Label smoothing of the loss: this share of each target's probability is spread
    /// evenly over all tags. 0: none (the shipped recipe).
    #[arg(long, default_value_t = 0.0)]
    label_smoothing: f64,
    /// Seed of the initialisation, the shuffles and --fraction.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// libtorch (OpenMP) threads for element-wise operations. Matrix products run on
    /// OpenBLAS's own threads, all cores, whatever this says; more OpenMP threads spin-wait
    /// on those cores (one training step: 0.5 s with 1, 1.1 s with 2, same results).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Continue from the last checkpoint in --work.
    #[arg(long)]
    resume: bool,
    /// Export the mean of the last N epochs' weights (kept as epoch-K.ot in --work) instead
    /// of one epoch's, whatever its dev score (this replaces the best-epoch choice and
    /// --keep-last); the means of the last 2..=N epochs are each scored on --dev at the end.
    /// 1: no averaging.
    #[arg(long, default_value_t = 1)]
    average_last: usize,
}

impl Args {
    fn options(self) -> TrainOptions {
        TrainOptions {
            config: self.config,
            train: self.train,
            dev: self.dev,
            labels: self.labels,
            fraction: self.fraction,
            base_dir: self.base,
            keep_last: self.keep_last,
            out_dir: self.out,
            work_dir: self.work,
            epochs: self.epochs,
            max_steps: self.max_steps,
            lr: self.lr,
            warmup: self.warmup,
            weight_decay: self.weight_decay,
            clip: self.clip,
            batch_tokens: self.batch_tokens,
            batch_examples: self.batch_examples,
            max_length: self.max_length,
            overlap: self.overlap,
            concat: self.concat,
            casing: !self.no_casing,
            casing_noise: self.casing_noise,
            label_smoothing: self.label_smoothing,
            layer_decay: self.layer_decay,
            rdrop: self.rdrop,
            context_sentences: self.context_sentences,
            seed: self.seed,
            threads: self.threads,
            resume: self.resume,
            average_last: self.average_last,
        }
    }
}

fn train(args: Args) -> anyhow::Result<()> {
    let opts = args.options();
    let state = run(&opts)?;
    if let Some(average) = state.averages.last() {
        let (first, last) = (average.epochs[0], state.epochs_done);
        eprintln!("mean of epochs {first}-{last} (dev micro F1 {:.2}) written to {}", average.dev.f1(), opts.out_dir.display());
        return Ok(());
    }
    match state.best {
        Some((f1, epoch)) if opts.keep_last => {
            eprintln!("last epoch ({epoch}, dev micro F1 {f1:.2}) written to {}", opts.out_dir.display())
        }
        Some((f1, epoch)) => eprintln!("best dev micro F1 {f1:.2} (epoch {epoch}); model written to {}", opts.out_dir.display()),
        None => {}
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        None => train(cli.train),
        Some(Command::Train(args)) => train(*args),
        Some(Command::Convert { input, output }) => {
            let n = nerlab_transformer::model::convert_safetensors(&input, &output)?;
            eprintln!("wrote {n} tensors to {}", output.display());
            Ok(())
        }
        Some(Command::Average { out, models }) => {
            nerlab_train::average_models(&models, &out)?;
            eprintln!("mean of {} models written to {}", models.len(), out.display());
            Ok(())
        }
        Some(Command::Eval { model, config, corpus }) => {
            let (bert_config, tags) = nerlab_transformer::model::read_config(&model.join("config.json"))?;
            let mut net = nerlab_transformer::model::NerModel::new(bert_config)?;
            net.load(&model.join("model.ot"))?;
            let encoder = nerlab_transformer::text::TextEncoder::from_file(&model.join("tokenizer.json"))?;
            let corpus = data::load_corpus(&config, &corpus)?;
            let mut labels: Vec<Label> = Vec::new();
            for tag in tags {
                if let nerlab_transformer::model::Tag::B(l) = tag {
                    labels.push(l);
                }
            }
            let scores = dev::evaluate(&net, &encoder, &data::units(&corpus.documents), &labels, true, None)?;
            println!("{}: {}", corpus.path.display(), scores.summary());
            Ok(())
        }
    }
}
