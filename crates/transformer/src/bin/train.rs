//! `nerlab-train`: converts the base encoder and fine-tunes the NER model (run through
//! `cargo xtask setup` and `cargo xtask train`).

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use nerlab_transformer::train::{run, TrainOptions};

#[derive(Parser)]
#[command(about = "Fine-tune the transformer NER model of nerlab")]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
    /// Fine-tune on CoNLL-2003 and write the model directory.
    Train(Args),
    /// Strict span scores of a model directory on a CoNLL file, one sentence per text (the
    /// validation the trainer runs; `cargo xtask eval` is the project's reference).
    Eval {
        /// The model directory.
        #[arg(long, default_value = "models/minilm-conll03")]
        model: PathBuf,
        /// CoNLL file.
        data: PathBuf,
    },
}

#[derive(clap::Args)]
struct Args {
    /// Converted base encoder: base.ot, config.json, tokenizer.json.
    #[arg(long)]
    base: PathBuf,
    /// CoNLL training file; repeat to train on several (`--train train.txt --train
    /// valid.txt` for a final refit, with `--keep-last`).
    #[arg(long, default_value = "corpus/conll2003/train.txt")]
    train: Vec<PathBuf>,
    #[arg(long, default_value = "corpus/conll2003/valid.txt")]
    valid: PathBuf,
    /// Export the last epoch, not the best on --valid (when --valid is among the training
    /// files, its scores select nothing).
    #[arg(long)]
    keep_last: bool,
    /// The model directory to write.
    #[arg(long, default_value = "models/minilm-conll03")]
    out: PathBuf,
    /// Checkpoints and run state.
    #[arg(long, default_value = "target/nerlab-train")]
    work: PathBuf,
    #[arg(long, default_value_t = 5)]
    epochs: usize,
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
    #[arg(long, default_value_t = 256)]
    max_length: usize,
    /// Fraction of examples made of 2-4 consecutive sentences.
    #[arg(long, default_value_t = 0.2)]
    concat: f64,
    /// Ablation: do not feed casing classes.
    #[arg(long)]
    no_casing: bool,
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
    /// Only the first N training sentences.
    #[arg(long)]
    limit: Option<usize>,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Convert { input, output } => {
            let n = nerlab_transformer::model::convert_safetensors(&input, &output)?;
            eprintln!("wrote {n} tensors to {}", output.display());
        }
        Command::Eval { model, data } => {
            let (config, _) = nerlab_transformer::model::read_config(&model.join("config.json"))?;
            let mut net = nerlab_transformer::model::NerModel::new(config)?;
            net.load(&model.join("model.ot"))?;
            let encoder = nerlab_transformer::text::TextEncoder::from_file(&model.join("tokenizer.json"))?;
            let sentences = nerlab_transformer::train::read_conll(&data)?;
            let scores = nerlab_transformer::train::evaluate(&net, &encoder, &sentences, true)?;
            println!("{}: {}", data.display(), scores.summary());
        }
        Command::Train(a) => {
            let opts = TrainOptions {
                base_dir: a.base,
                train: a.train,
                valid: a.valid,
                keep_last: a.keep_last,
                out_dir: a.out,
                work_dir: a.work,
                epochs: a.epochs,
                lr: a.lr,
                warmup: a.warmup,
                weight_decay: a.weight_decay,
                clip: a.clip,
                batch_tokens: a.batch_tokens,
                batch_examples: a.batch_examples,
                max_length: a.max_length,
                concat: a.concat,
                casing: !a.no_casing,
                seed: a.seed,
                threads: a.threads,
                resume: a.resume,
                limit: a.limit,
            };
            let state = run(&opts)?;
            match state.best {
                Some((f1, epoch)) if opts.keep_last => {
                    eprintln!("last epoch ({epoch}, valid micro F1 {f1:.2}) written to {}", opts.out_dir.display())
                }
                Some((f1, epoch)) => {
                    eprintln!("best valid micro F1 {f1:.2} (epoch {epoch}); model written to {}", opts.out_dir.display())
                }
                None => {}
            }
        }
    }
    Ok(())
}
