//! `nerlab extract` as a user runs it: exit codes, order, a malformed line in the middle.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().and_then(Path::parent).expect("crates/orchestrator is two levels deep")
}

/// A config with the shipped rules, in a temporary directory.
fn config(dir: &Path) -> std::path::PathBuf {
    let rules = root().join("models/rules/news.toml");
    let path = dir.join("nerlab.toml");
    std::fs::write(&path, format!("[[extractors]]\nname = \"rules\"\nkind = \"rules\"\nrules = {:?}\n", rules.display().to_string()))
        .unwrap();
    path
}

fn extract(config: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nerlab"))
        .arg("--config")
        .arg(config)
        .args(["extract", "-e", "rules", "--quiet"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn ids(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].as_str().unwrap().to_string())
        .collect()
}

fn documents(range: std::ops::Range<usize>) -> String {
    range.map(|i| format!("{{\"id\":\"d{i}\",\"text\":\"Sergey Lavrov met NATO officials in Brussels on day {i}.\"}}\n")).collect()
}

#[test]
fn clean_input_exits_0_in_order_with_entities() {
    let dir = tempfile::tempdir().unwrap();
    let out = extract(&config(dir.path()), &["--threads", "4", "--batch", "1"], &documents(0..300));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(ids(&out), (0..300).map(|i| format!("d{i}")).collect::<Vec<_>>());
    let first: serde_json::Value = serde_json::from_slice(out.stdout.split(|&b| b == b'\n').next().unwrap()).unwrap();
    let texts: Vec<&str> = first["entities"].as_array().unwrap().iter().map(|e| e["text"].as_str().unwrap()).collect();
    assert!(texts.contains(&"NATO") && texts.contains(&"Sergey Lavrov"), "{texts:?}");
}

#[test]
fn a_malformed_line_in_the_middle_is_skipped_reported_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let input = format!("{}{{\"id\": \"broken\", \"text\": \n{}", documents(0..100), documents(100..200));
    let out = extract(&config(dir.path()), &["--threads", "2"], &input);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(ids(&out), (0..200).map(|i| format!("d{i}")).collect::<Vec<_>>());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("<stdin>:101:"), "{stderr}");
}

#[test]
fn on_error_fail_stops_there_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let input = format!("{}not json\n{}", documents(0..100), documents(100..200));
    let out = extract(&config(dir.path()), &["--threads", "2", "--on-error", "fail"], &input);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(ids(&out), (0..100).map(|i| format!("d{i}")).collect::<Vec<_>>());
    assert!(String::from_utf8_lossy(&out.stderr).contains("<stdin>:101:"));
}

#[test]
fn usage_errors_exit_2_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let cases: [(&[&str], &str); 2] = [(&["missing.jsonl"], "missing.jsonl"), (&["--on-error", "ignore"], "skip")];
    for (args, expected) in cases {
        let out = extract(&config, args, "");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(expected), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn canonicalize_links_across_the_stream_in_order_with_many_threads() {
    let dir = tempfile::tempdir().unwrap();
    let entities = dir.path().join("entities.jsonl");
    let input = format!("{}not json\n{}", documents(0..60), documents(60..120));
    let args = ["--threads", "4", "--batch", "1", "--canonicalize", "--entities", entities.to_str().unwrap()];
    let out = extract(&config(dir.path()), &args, &input);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("<stdin>:61:"));
    assert_eq!(ids(&out), (0..120).map(|i| format!("d{i}")).collect::<Vec<_>>());
    // Every document names the same three entities: each has one id across all 120, and the
    // three ids differ.
    let mut ids_of: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let line: serde_json::Value = serde_json::from_str(line).unwrap();
        for e in line["entities"].as_array().unwrap() {
            let canonical = e["canonical"].as_str().unwrap_or_else(|| panic!("not linked: {e}"));
            ids_of.entry(e["text"].as_str().unwrap().to_string()).or_default().insert(canonical.to_string());
        }
    }
    for name in ["Sergey Lavrov", "NATO", "Brussels"] {
        assert_eq!(ids_of.get(name).map(|ids| ids.len()), Some(1), "{name}: {ids_of:?}");
    }
    let distinct: std::collections::BTreeSet<_> = ["Sergey Lavrov", "NATO", "Brussels"].iter().map(|n| &ids_of[*n]).collect();
    assert_eq!(distinct.len(), 3, "{ids_of:?}");
    let written = std::fs::read_to_string(&entities).unwrap();
    assert!(written.lines().count() >= 3 && written.contains("Sergey Lavrov"), "{written}");
}

/// `--threads N` sizes the libraries' thread pools too (OpenMP, OpenBLAS, ONNX Runtime read
/// `OMP_NUM_THREADS`), unless the environment already does. The extractor here is a command
/// that tags each document's first word with the label `T<OMP_NUM_THREADS>`.
#[test]
fn threads_size_the_libraries_pools_unless_the_environment_does() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("env_tagger.py");
    std::fs::write(
        &script,
        format!(
            "import os, sys\nsys.path.insert(0, {:?})\nimport nerlab_protocol as p\n\
             tag = 'T' + os.environ.get('OMP_NUM_THREADS', 'unset')\n\
             p.serve(lambda batch: [[p.entity(0, len(r['text'].split()[0]), tag)] for r in batch])\n",
            root().join("integrations").display().to_string()
        ),
    )
    .unwrap();
    let config = dir.path().join("nerlab.toml");
    std::fs::write(
        &config,
        format!(
            "[[extractors]]\nname = \"env\"\nkind = \"command\"\nparams = {{ command = [\"python3\", {:?}], offsets = \"chars\", labels = [\"T1\", \"T3\", \"T5\", \"Tunset\"] }}\n",
            script.display().to_string()
        ),
    )
    .unwrap();
    let label = |args: &[&str], omp: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_nerlab"));
        cmd.arg("--config").arg(&config).args(["extract", "-e", "env", "--quiet"]).args(args);
        cmd.env_remove("OMP_NUM_THREADS");
        if let Some(v) = omp {
            cmd.env("OMP_NUM_THREADS", v);
        }
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(b"{\"id\":\"a\",\"text\":\"Lavrov spoke.\"}\n").unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        line["entities"][0]["label"].as_str().unwrap().to_string()
    };
    assert_eq!(label(&["--threads", "1"], None), "T1");
    assert_eq!(label(&["--threads", "3"], None), "T3");
    assert_eq!(label(&["--threads", "1"], Some("5")), "T5", "the environment wins");
    assert_eq!(label(&[], None), "Tunset", "without --threads the pools keep their defaults");
}
