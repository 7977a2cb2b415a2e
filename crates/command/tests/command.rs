//! The command extractor against real child processes: the regex integration
//! (`integrations/regex/extract.py`) and a faulty variant of it (`tests/fixtures/faulty.py`).
//! Only `python3` is needed; timeouts are short so that hangs cost well under a second.

use std::path::PathBuf;

use nerlab_command::{CommandConfig, CommandExtractor};
use nerlab_core::{BuildContext, Document, Entity, Extractor, Family};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const REGEX: &str = "integrations/regex/extract.py";
const FAULTY: &str = "crates/command/tests/fixtures/faulty.py";

/// A config from TOML, as a user writes it.
fn config(toml_text: &str) -> CommandConfig {
    toml::from_str(toml_text).unwrap_or_else(|e| panic!("bad test config: {e}\n{toml_text}"))
}

fn build(toml_text: &str) -> CommandExtractor {
    CommandExtractor::from_config(config(toml_text), &BuildContext::new(repo_root(), "command"))
        .unwrap_or_else(|e| panic!("cannot build: {e}"))
}

fn regex(offsets: &str) -> CommandExtractor {
    build(&format!(
        r#"command = ["python3", "{REGEX}", "--offsets", "{offsets}"]
offsets = "{offsets}""#
    ))
}

fn faulty(extra_args: &str, extra_keys: &str) -> CommandExtractor {
    build(&format!(
        r#"command = ["python3", "{FAULTY}"{extra_args}]
offsets = "chars"
timeout_s = 0.4
{extra_keys}"#
    ))
}

fn docs(texts: &[&str]) -> Vec<Document> {
    texts.iter().enumerate().map(|(i, t)| Document::new(format!("d{i}"), *t)).collect()
}

fn spans(entities: &[Entity]) -> Vec<(String, String)> {
    entities.iter().map(|e| (e.label.to_string(), e.text.clone())).collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(l, t)| (l.to_string(), t.to_string())).collect()
}

/// The error text of a failed document, or a panic naming the entities it got instead.
fn error_of(result: &nerlab_core::Result<Vec<Entity>>) -> String {
    match result {
        Err(e) => e.to_string(),
        Ok(entities) => panic!("expected a failure, got {:?}", spans(entities)),
    }
}

const UNICODE: &str = "“Zoë,” said Mr. Łukasz Nowak in Москва: NATO met on October 18, 2021.";

#[test]
fn protocol_round_trip() {
    let extractor = regex("chars");
    assert_eq!(extractor.handshake().name.as_deref(), Some("regex example"));
    let labels: Vec<&str> = extractor.labels().iter().map(|l| l.as_str()).collect();
    assert_eq!(labels, ["PER", "ORG", "DATE"], "labels come from the handshake");
    let batch = docs(&[UNICODE, "", "no entities here", "Dr. Who met the UN.\nNext line: EU"]);
    let results = extractor.extract_batch(&batch);
    let got: Vec<Vec<(String, String)>> = results.iter().map(|r| spans(r.as_ref().unwrap())).collect();
    assert_eq!(
        got,
        vec![
            pairs(&[("PER", "Łukasz Nowak"), ("ORG", "NATO"), ("DATE", "October 18, 2021")]),
            vec![],
            vec![],
            pairs(&[("PER", "Who"), ("ORG", "UN"), ("ORG", "EU")]),
        ]
    );
    // Spans are byte offsets into the original text.
    for (doc, result) in batch.iter().zip(&results) {
        for e in result.as_ref().unwrap() {
            assert_eq!(&doc.text[e.start..e.end], e.text);
        }
    }
    assert_eq!(extractor.restarts(), 0);
}

#[test]
fn character_and_byte_offsets_agree_on_unicode_text() {
    let texts = [UNICODE, "Ñuñez and Mr. Grushkó Łukasz 🇷🇺 NATO", "北京 and Mr. Wáng in the UN"];
    let batch = docs(&texts);
    let by_chars = regex("chars").extract_batch(&batch);
    let by_bytes = regex("bytes").extract_batch(&batch);
    for ((doc, c), b) in batch.iter().zip(&by_chars).zip(&by_bytes) {
        let (c, b) = (c.as_ref().unwrap(), b.as_ref().unwrap());
        assert!(!c.is_empty(), "{}: the regex finds something in every text", doc.id);
        assert_eq!(c, b, "{}: the same entities whichever unit the tool counts in", doc.id);
    }
    // Declaring the wrong unit is not silently accepted as the right answer.
    let wrong = build(&format!(
        r#"command = ["python3", "{REGEX}"]
offsets = "bytes""#
    ));
    let result = wrong.extract(&batch[0]);
    assert!(result.as_ref().map_or(true, |es| es != by_chars[0].as_ref().unwrap()), "{result:?}");
}

#[test]
fn conformance_cases() {
    nerlab_core::conformance::check_extractor(&regex("chars"));
    nerlab_core::conformance::check_extractor(&regex("bytes"));
}

#[test]
fn a_crash_fails_only_the_document_that_causes_it() {
    let extractor = faulty("", "");
    let batch = docs(&["NATO one", "UN two", "CRASH three", "EU four", "Mr. Lavrov five"]);
    let results = extractor.extract_batch(&batch);
    assert_eq!(spans(results[0].as_ref().unwrap()), pairs(&[("ORG", "NATO")]));
    assert_eq!(spans(results[1].as_ref().unwrap()), pairs(&[("ORG", "UN")]));
    let error = error_of(&results[2]);
    assert!(error.contains("exited") && error.contains("exit status: 3"), "{error}");
    assert!(error.contains("faulty: crashing on purpose"), "stderr is in the message: {error}");
    assert_eq!(spans(results[3].as_ref().unwrap()), pairs(&[("ORG", "EU")]));
    assert_eq!(spans(results[4].as_ref().unwrap()), pairs(&[("PER", "Lavrov")]));
    // One restart to retry the unanswered documents alone, one more after the crash repeats.
    assert_eq!(extractor.restarts(), 2);
    // The run goes on with the restarted process.
    assert_eq!(spans(&extractor.extract(&Document::new("later", "NATO")).unwrap()), pairs(&[("ORG", "NATO")]));
    assert_eq!(extractor.restarts(), 2);
}

#[test]
fn a_hang_times_out_and_fails_only_its_document() {
    let extractor = faulty("", "");
    let batch = docs(&["NATO before", "HANG", "UN after"]);
    let started = std::time::Instant::now();
    let results = extractor.extract_batch(&batch);
    assert!(started.elapsed().as_secs_f64() < 10.0, "the hang was cut short");
    assert_eq!(spans(results[0].as_ref().unwrap()), pairs(&[("ORG", "NATO")]));
    let error = error_of(&results[1]);
    assert!(error.contains("no answer within 0.4 s (timeout_s)"), "{error}");
    assert_eq!(spans(results[2].as_ref().unwrap()), pairs(&[("ORG", "UN")]));
}

#[test]
fn a_missing_answer_times_out() {
    let extractor = faulty("", "");
    let results = extractor.extract_batch(&docs(&["NATO", "SKIP me", "UN"]));
    assert!(results[0].is_ok() && results[2].is_ok());
    assert!(error_of(&results[1]).contains("timeout_s"));
}

#[test]
fn garbage_and_unknown_ids_fail_only_their_documents() {
    let extractor = faulty("", "");
    let batch = docs(&["NATO", "GARBAGE", "UN", "UNKNOWNID", "EU"]);
    let results = extractor.extract_batch(&batch);
    let error = error_of(&results[1]);
    assert!(error.contains("not an answer") && error.contains("this is not json"), "{error}");
    let error = error_of(&results[3]);
    assert!(error.contains("answered id \"d3-x\""), "{error}");
    for i in [0, 2, 4] {
        assert_eq!(results[i].as_ref().unwrap().len(), 1, "document {i}");
    }
}

#[test]
fn invalid_spans_fail_their_document_without_a_restart() {
    let extractor = faulty("", "");
    let results = extractor.extract_batch(&docs(&["NATO", "BADSPAN", "UN"]));
    assert!(error_of(&results[1]).contains("out of bounds"));
    assert!(results[0].is_ok() && results[2].is_ok());
    assert_eq!(extractor.restarts(), 0, "an answer with a readable id keeps the stream in sync");
}

#[test]
fn answers_out_of_order_are_matched_by_id() {
    let extractor = faulty(r#", "--reverse""#, "");
    let texts = ["NATO", "Mr. Lavrov", "", "UN and EU", "October 18, 2021", "NATO again", "plain"];
    let batch = docs(&texts);
    let reversed = extractor.extract_batch(&batch);
    let straight = regex("chars").extract_batch(&batch);
    for ((doc, r), s) in batch.iter().zip(&reversed).zip(&straight) {
        assert_eq!(r.as_ref().unwrap(), s.as_ref().unwrap(), "{}", doc.id);
    }
    // Repeated ids are sent in separate rounds, so they cannot be confused either.
    let same_id: Vec<Document> = ["NATO", "Mr. Lavrov"].iter().map(|t| Document::new("same", *t)).collect();
    let results = extractor.extract_batch(&same_id);
    assert_eq!(spans(results[0].as_ref().unwrap()), pairs(&[("ORG", "NATO")]));
    assert_eq!(spans(results[1].as_ref().unwrap()), pairs(&[("PER", "Lavrov")]));
}

#[test]
fn restarts_are_bounded() {
    let extractor = faulty("", "max_restarts = 1");
    let results = extractor.extract_batch(&docs(&["CRASH a", "CRASH b", "NATO"]));
    assert!(error_of(&results[0]).contains("crashing on purpose"));
    for result in &results[1..] {
        let error = error_of(result);
        assert!(error.contains("already restarted 1 times (max_restarts)") && error.contains("crashing on purpose"), "{error}");
    }
    assert_eq!(extractor.restarts(), 1);
    assert!(error_of(&extractor.extract(&Document::new("x", "NATO"))).contains("max_restarts"));
}

#[test]
fn two_processes_keep_order_and_ids() {
    let extractor = build(&format!(
        r#"command = ["python3", "{FAULTY}", "--reverse"]
offsets = "chars"
processes = 2"#
    ));
    let texts: Vec<String> = (0..64).map(|i| format!("Mr. Person{i} of ORG{} met on October {}, 2021.", i % 7, 1 + i % 28)).collect();
    let batch: Vec<Document> = texts.iter().enumerate().map(|(i, t)| Document::new(format!("doc-{i}"), t.clone())).collect();
    let expected = regex("chars").extract_batch(&batch);
    // Four threads share two processes, each sending batches of four.
    let chunks: Vec<&[Document]> = batch.chunks(4).collect();
    let results: Vec<Vec<nerlab_core::Result<Vec<Entity>>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let (extractor, chunks) = (&extractor, &chunks);
                scope.spawn(move || chunks.iter().skip(t).step_by(4).map(|c| extractor.extract_batch(c)).collect::<Vec<_>>())
            })
            .collect();
        let per_thread: Vec<Vec<_>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        // Back to chunk order: chunk k was done by thread k % 4 as its (k / 4)-th batch.
        let mut per_thread: Vec<std::collections::VecDeque<_>> = per_thread.into_iter().map(Into::into).collect();
        (0..chunks.len()).map(|k| per_thread[k % 4].pop_front().unwrap()).collect()
    });
    let flat: Vec<_> = results.into_iter().flatten().collect();
    assert_eq!(flat.len(), batch.len());
    for ((doc, got), want) in batch.iter().zip(&flat).zip(&expected) {
        let (got, want) = (got.as_ref().unwrap(), want.as_ref().unwrap());
        assert_eq!(got, want, "{}", doc.id);
        assert!(got.iter().any(|e| e.text == format!("Person{}", &doc.id[4..])), "{}: {:?}", doc.id, spans(got));
    }
}

#[test]
fn start_up_failures_are_clear() {
    let root = repo_root();
    let err = |toml_text: &str| {
        CommandExtractor::from_config(config(toml_text), &BuildContext::new(&root, "command"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };

    let e = err(&format!(r#"command = ["python3", "{FAULTY}", "--fail-start"]"#));
    assert!(e.contains("exited before its handshake") && e.contains("cannot load the model on purpose"), "{e}");
    let e = err(r#"command = ["./no/such/tool"]"#);
    assert!(e.contains("cannot start `") && e.contains("no/such/tool"), "{e}");
    let e = err(r#"command = ["cat"]
start_timeout_s = 0.3"#);
    assert!(e.contains("no handshake line within"), "{e}");
    let e = err(r#"command = ["python3", "-c", "print('{\"nerlab_protocol\": 2}')"]"#);
    assert!(e.contains("protocol version 2"), "{e}");
    let e = err(r#"command = ["python3", "-c", "print('{\"nerlab_protocol\": 1}'); input()"]"#);
    assert!(e.contains("declares no labels"), "{e}");
    let e = err(&format!(
        r#"command = ["python3", "{REGEX}"]
label_map = {{ PERSON = "PER" }}"#
    ));
    assert!(e.contains("label_map key \"PERSON\" is not a label the tool declares (PER, ORG, DATE)"), "{e}");
    let e = err("command = []");
    assert!(e.contains("`command` is empty"), "{e}");
    assert!(toml::from_str::<CommandConfig>("command = [\"x\"]\nprocess = 2").is_err(), "unknown keys are rejected");
}

#[test]
fn labels_are_mapped_and_filtered() {
    let extractor = build(&format!(
        r#"command = ["python3", "{REGEX}"]
offsets = "chars"
label_map = {{ ORG = "ACRONYM", PER = "PERSON" }}
labels = ["ACRONYM", "DATE"]"#
    ));
    let labels: Vec<&str> = extractor.labels().iter().map(|l| l.as_str()).collect();
    assert_eq!(labels, ["ACRONYM", "DATE"]);
    let entities = extractor.extract(&Document::new("d", UNICODE)).unwrap();
    assert_eq!(spans(&entities), pairs(&[("ACRONYM", "NATO"), ("DATE", "October 18, 2021")]));
}
