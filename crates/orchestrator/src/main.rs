//! `nerlab`: compare named-entity extractors on annotated corpora.

/// mimalloc, built without transparent huge pages: on short documents allocation is a tenth of
/// `nerlab extract`'s work, and it made the rules and the dictionary 15-25% faster end to end
/// than glibc's malloc (README, "Large corpora"; ARCHITECTURE.md). The benches use it too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use nerlab_orchestrator::fit_ensemble::{compare_policies, fit_ensemble, CompareOptions, FitEnsembleOptions};
use nerlab_orchestrator::stream::{extract_command, ExtractRequest, OnError};
use nerlab_orchestrator::{evaluate_corpus, measure, Config, EvalOptions, Registry};

#[derive(Parser)]
#[command(name = "nerlab", version, about = "Compare named-entity extractors: accuracy and throughput side by side")]
struct Cli {
    /// The configuration file.
    #[arg(long, short, global = true, default_value = "nerlab.toml")]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the configured extractors over a corpus, score them and write a report.
    Eval {
        /// A corpus name from the config, or a path (directory = brat, *.jsonl, else CoNLL IOB2).
        #[arg(long, default_value = "news")]
        corpus: String,
        /// Run only this extractor (repeatable).
        #[arg(long = "extractor", short = 'e')]
        extractors: Vec<String>,
        /// Write reports under this directory instead of the config's `eval.output_dir`.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Do not draw progress bars.
        #[arg(long)]
        quiet: bool,
        /// Measure every extractor in this process instead of a child process of its own
        /// (memory figures then depend on the order of the extractors).
        #[arg(long)]
        in_process: bool,
    },
    /// Measure one extractor in this process and write the result as JSON (used by `eval`).
    #[command(hide = true)]
    Measure {
        #[arg(long)]
        corpus: String,
        #[arg(long)]
        extractor: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        single_thread: bool,
        #[arg(long)]
        timing_only: bool,
        #[arg(long)]
        quiet: bool,
    },
    /// Run one configured extractor over text files or JSONL from stdin; stream JSONL out.
    Extract {
        /// The extractor's name in the config.
        #[arg(long, short)]
        extractor: String,
        /// Plain-text files (one document each, id = file name) or `.jsonl` files with
        /// `{"id","text"}` per line. Without files, JSONL is read from stdin.
        files: Vec<PathBuf>,
        /// Worker threads [default: the extractor's `threads` in the config, else one per core].
        /// Given, it also sizes the thread pools of the extractor's libraries (OpenMP, OpenBLAS,
        /// ONNX Runtime), unless their environment variables are set.
        #[arg(long, short = 'j')]
        threads: Option<usize>,
        /// Documents handed to the extractor at once [default: its `batch_size` in the config].
        #[arg(long)]
        batch: Option<usize>,
        /// A malformed line or a failing document: `skip` it (reported, exit code 1) or
        /// `fail` (stop after writing the documents before it, exit code 2).
        #[arg(long, default_value = "skip")]
        on_error: OnError,
        /// Do not draw the progress line.
        #[arg(long)]
        quiet: bool,
        /// Link mentions across all the input (the config's `[canonicalize]`) and fill each
        /// entity's `canonical` id. Output then comes at the end: the entities of every
        /// document are held (not the texts), about 100 bytes per mention.
        #[arg(long)]
        canonicalize: bool,
        /// With --canonicalize: also write the entities (id, name, variants, counts) as JSONL.
        #[arg(long, requires = "canonicalize")]
        entities: Option<PathBuf>,
    },
    /// List the extractor kinds nerlab knows and what the config defines.
    List,
    /// Fit a learned ensemble's combiner on a development corpus (never the test corpus) and
    /// write it to the ensemble's `model` file.
    FitEnsemble {
        /// The ensemble's name in the config.
        #[arg(long, short, default_value = "ensemble")]
        extractor: String,
        /// The development corpus: a name from the config or a path.
        #[arg(long, default_value = "conll2003-valid")]
        corpus: String,
        /// Seed of the cross-validation folds.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Cross-validation folds (by document).
        #[arg(long, default_value_t = 5)]
        folds: usize,
        /// Reuse member outputs cached by an earlier run (under the output directory).
        #[arg(long)]
        cache: bool,
        /// Write the model here instead of the ensemble's `model`.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Do not draw progress bars.
        #[arg(long)]
        quiet: bool,
    },
    /// Score an ensemble's members alone, the union policies and every ensemble over the same
    /// members from one run of the members (outputs cached with --cache).
    EnsemblePolicies {
        /// An ensemble's name in the config.
        #[arg(long, short, default_value = "ensemble")]
        extractor: String,
        /// A corpus name from the config, or a path.
        #[arg(long, default_value = "conll2003-valid")]
        corpus: String,
        /// Reuse member outputs cached by an earlier run.
        #[arg(long)]
        cache: bool,
        /// Use the ensemble's fitting stand-ins in place of members.
        #[arg(long)]
        stand_ins: bool,
        /// Do not draw progress bars.
        #[arg(long)]
        quiet: bool,
    },
}

fn main() -> ExitCode {
    match real_main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", nerlab_orchestrator::describe_error(e.as_ref()));
            ExitCode::from(2)
        }
    }
}

fn real_main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let registry = Registry::builtin();
    match cli.command {
        Command::List => {
            println!("extractor kinds: {}", registry.kinds().collect::<Vec<_>>().join(", "));
            let config = load_config(&cli.config)?;
            // One column width for both lists, so that long names do not break the alignment.
            let names = config.corpora.keys().map(String::len).chain(config.extractors.iter().map(|e| e.name.len()));
            let width = names.max().unwrap_or(0);
            println!("corpora in {}:", cli.config.display());
            for (name, spec) in &config.corpora {
                println!("  {name:<width$} {}", spec.path.display());
            }
            println!("extractors:");
            for e in &config.extractors {
                println!("  {:<width$} kind = {}{}", e.name, e.kind, if e.enabled { "" } else { " (disabled)" });
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Measure { corpus, extractor, out, single_thread, timing_only, quiet } => {
            let config = load_config(&cli.config)?;
            let request =
                measure::ChildRequest { config: cli.config, corpus, extractor, out, single_thread, timing_only, progress: !quiet };
            measure::child_main(&config, &registry, &request)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval { corpus, extractors, out, quiet, in_process } => {
            let config = load_config(&cli.config)?;
            let isolate = if in_process { None } else { Some(std::env::current_exe().context("locating the nerlab executable")?) };
            let options = EvalOptions { only: extractors, output_dir: out, progress: !quiet, isolate };
            let report = evaluate_corpus(&config, &registry, &corpus, &options)?;
            print!("{}", report.to_text());
            let out_dir = options
                .output_dir
                .unwrap_or_else(|| config.resolve(&config.eval.output_dir))
                .join(nerlab_orchestrator::output::sanitize(&report.corpus));
            println!(
                "\nreport: {}  {}  {}",
                out_dir.join("report.html").display(),
                out_dir.join("report.md").display(),
                out_dir.join("report.json").display()
            );
            let failed_docs: usize = report.extractors.iter().map(|e| e.failed_documents.len()).sum();
            if report.extractors.is_empty() && report.failed_extractors.is_empty() {
                eprintln!("warning: the config runs no extractor");
            }
            if !report.failed_extractors.is_empty() || failed_docs > 0 {
                eprintln!(
                    "some work failed: {} extractor(s) could not be built, {failed_docs} document run(s) failed",
                    report.failed_extractors.len()
                );
                return Ok(ExitCode::from(1));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::FitEnsemble { extractor, corpus, seed, folds, cache, out, quiet } => {
            let config = load_config(&cli.config)?;
            let options = FitEnsembleOptions { extractor, corpus, seed, folds, cache, out, progress: !quiet };
            let summary = fit_ensemble(&config, &registry, &options)?;
            print!("{}", summary.to_text());
            Ok(ExitCode::SUCCESS)
        }
        Command::EnsemblePolicies { extractor, corpus, cache, stand_ins, quiet } => {
            let config = load_config(&cli.config)?;
            let options = CompareOptions { stand_ins, cache, progress: !quiet };
            let rows = compare_policies(&config, &registry, &extractor, &corpus, options)?;
            println!("{:<32} {:>6} {:>6} {:>6}", "policy", "P", "R", "F1");
            for r in rows {
                let s = r.score;
                println!("{:<32} {:>6.2} {:>6.2} {:>6.2}", r.name, 100.0 * s.precision, 100.0 * s.recall, 100.0 * s.f1);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Extract { extractor, files, threads, batch, on_error, quiet, canonicalize, entities } => {
            if let Some(n) = threads {
                limit_library_threads(n);
            }
            let config = load_config(&cli.config)?;
            let request =
                ExtractRequest { extractor, files, threads, batch_size: batch, on_error, progress: !quiet, canonicalize, entities };
            let mut out = std::io::BufWriter::with_capacity(1 << 18, std::io::stdout().lock());
            let summary = extract_command(&config, &registry, &request, &mut out)?;
            Ok(match (summary.stopped, summary.had_problems()) {
                (true, _) => ExitCode::from(2),
                (false, true) => ExitCode::from(1),
                (false, false) => ExitCode::SUCCESS,
            })
        }
    }
}

/// `extract --threads N` is the whole process's budget: the thread pools of the libraries an
/// extractor brings (libtorch's OpenMP and OpenBLAS, ONNX Runtime's sessions) get `N` threads
/// too, unless the environment already sizes them, so `--threads 1` keeps to one core (a Spark
/// executor with one core per task). Set before any extractor is built, while this process
/// runs one thread: the transformer's library is opened, and its pools sized, only then.
fn limit_library_threads(threads: usize) {
    for var in nerlab_orchestrator::measure::LIBRARY_THREAD_VARIABLES {
        if std::env::var_os(var).is_none() {
            std::env::set_var(var, threads.max(1).to_string());
        }
    }
}

/// Reads the config and shows what in it is deprecated.
fn load_config(path: &std::path::Path) -> anyhow::Result<Config> {
    let config = Config::load(path)?;
    for warning in &config.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(config)
}
