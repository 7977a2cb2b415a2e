//! `cargo xtask`: the project's own commands (set-up, evaluation, tests, benchmarks, gazetteers,
//! training). One file per subcommand; few dependencies so it builds in seconds.

mod bench;
mod chromium;
mod corpora;
mod curve;
mod eval;
mod fit_ensemble;
mod fuzz;
mod gazetteer;
mod onnx;
mod peers;
mod plugins;
mod repeatability;
mod report;
mod setup;
mod spark;
mod test;
mod tidy;
mod train;
mod util;
mod valgrind;

const HELP: &str = "\
cargo xtask <command> [options]

commands:
  eval [--corpus news|conll2003-test|conll2003-valid|PATH] [--config FILE] [--no-setup] [-- <nerlab eval options>]
                 set up what is missing, build in release mode and run `nerlab eval`
  report [--corpus NAME] --screenshot [--document ID] [--out DIR]
                 PNG screenshots of target/nerlab/NAME/report.html (headless Chromium: the top
                 and the document view) and a copy of its pareto.svg, into docs/ by default
  repeatability [--runs N] [--corpus NAME] [-- <nerlab eval options>]
                 run `nerlab eval` N times (3) and check each run's median tokens/s lies in
                 every other run's printed min-max (on a quiet machine)
  test           set up what is missing and run the whole test suite
  bench [NAME]   run the criterion benchmarks (all, or those of one bench target)
  bench --extract [--smoke]
                 nerlab extract end to end: 1 vs 2 threads, vs the bench, start-up, memory (~10 min)
  setup          install system packages and the base model the project needs (idempotent)
  setup --peers  install the outside NER systems peers.toml compares with (spaCy, in target/peers/venv)
  export-onnx [--model DIR] [--out DIR]
                 export the transformer to ONNX (fp32 and int8) under target/onnx/ for its onnx backends
  gazetteer      rebuild models/gazetteers/ from their sources
  gazetteer --from CORPUS [--out FILE]
                 build a gazetteer from any annotated corpus (name in the config or path)
  fuzz [TARGET...] [--seconds N]
                 build the libFuzzer targets of fuzz/ (stable Rust) and run each N seconds (10)
  valgrind [TEST ARGS]
                 run the plugin crate's tests (host and ABI) under valgrind's memcheck
  train [...]    fine-tune the transformer NER model (CoNLL-2003, or --train/--dev CORPUS; see `cargo xtask train --help`)
  curve --train CORPUS --dev CORPUS [...]
                 learning curve: transformer and dictionary trained on growing fractions of
                 CORPUS, scored on dev beside the untrained extractors (`cargo xtask curve --help`)
  fit-ensemble [...]  refit the default ensemble's combiner on CoNLL valid (options go to `nerlab fit-ensemble`)
";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((c, rest)) => (c.as_str(), rest),
        None => {
            print!("{HELP}");
            return Ok(());
        }
    };
    match command {
        "eval" => eval::run(rest),
        "report" => report::run(rest),
        "repeatability" => repeatability::run(rest),
        "test" => test::run(rest),
        "bench" => bench::run(rest),
        "setup" => setup::run(rest),
        "gazetteer" => gazetteer::run(rest),
        "export-onnx" => onnx::run(rest),
        "train" => train::run(rest),
        "curve" => curve::run(rest),
        "fuzz" => fuzz::run(rest),
        "valgrind" => valgrind::run(rest),
        "fit-ensemble" => fit_ensemble::run(rest),
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => anyhow::bail!("unknown command {other:?}\n\n{HELP}"),
    }
}
