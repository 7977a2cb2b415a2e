//! Malformed inputs: each gives one error, on one line, naming the file and the line.

use std::path::Path;

use nerlab_core::{read_corpus, CorpusFormat, ErrorKind, TagScheme};

/// Asserts a one-line error that names `file` and `line` and contains every `needle`.
fn assert_error(
    result: nerlab_core::Result<Vec<nerlab_core::AnnotatedDocument>>,
    file: &Path,
    line: Option<usize>,
    needles: &[&str],
) -> nerlab_core::Error {
    let err = match result {
        Ok(docs) => panic!("expected an error, got {} documents", docs.len()),
        Err(e) => e,
    };
    let shown = err.to_string();
    assert!(!shown.contains('\n'), "not one line: {shown}");
    assert_eq!(err.path(), Some(file), "{shown}");
    assert_eq!(err.line(), line, "{shown}");
    assert!(shown.starts_with(&file.display().to_string()), "{shown}");
    if let Some(l) = line {
        assert!(shown.contains(&format!(":{l}: ")), "{shown}");
    }
    for n in needles {
        assert!(shown.contains(n), "{shown:?} lacks {n:?}");
    }
    err
}

fn brat_dir(txt: &[u8], ann: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("doc.txt"), txt).unwrap();
    std::fs::write(dir.path().join("doc.ann"), ann).unwrap();
    dir
}

#[test]
fn bad_ann_lines() {
    let txt = "Sergey Lavrov visited Москва.";
    let cases: &[(&str, &[&str])] = &[
        ("T1\tPER 0 13\n", &["expected 3 tab-separated fields"]),
        ("T1 PER 0 13 Sergey Lavrov\n", &["expected 3 tab-separated fields"]),
        ("T1\tPER\tSergey\n", &["expected `LABEL start end`"]),
        ("T1\tPER 0 x13\tSergey Lavrov\n", &["\"x13\"", "not a non-negative integer"]),
        ("T1\tPER -1 13\tSergey Lavrov\n", &["\"-1\""]),
        ("T1\tPER 0 13 14\tSergey Lavrov\n", &["expected `LABEL start end`"]),
        ("T1\tLOC 22 99\tМосква\n", &["out of range", "29 characters"]),
        ("T1\tLOC 28 22\tМосква\n", &["empty or reversed"]),
        ("T1\tPER 0 6;7 13\tSergey Lavrov\n", &["discontinuous", "not supported"]),
        ("T1\t 0 6\tSergey\n", &["invalid label"]),
        ("Sergey\tPER 0 6\n", &["unknown annotation"]),
    ];
    for (ann, needles) in cases {
        let content = format!("T9\tPER 0 6\tSergey\n\n{ann}");
        let dir = brat_dir(txt.as_bytes(), content.as_bytes());
        let file = dir.path().join("doc.ann");
        assert_error(read_corpus(dir.path(), &CorpusFormat::Brat), &file, Some(3), needles);
    }
}

#[test]
fn ann_span_text_mismatch_shows_both_texts() {
    // Character offsets 22..28 are "Москва"; bytes would be something else entirely.
    let dir = brat_dir("Sergey Lavrov visited Москва.".as_bytes(), "T1\tLOC 22 28\tMoskva\n".as_bytes());
    let file = dir.path().join("doc.ann");
    let e = assert_error(read_corpus(dir.path(), &CorpusFormat::Brat), &file, Some(1), &["\"Москва\"", "\"Moskva\""]);
    assert_eq!(e.kind(), ErrorKind::InvalidSpan);
}

#[test]
fn invalid_utf8_in_txt() {
    let dir = brat_dir(b"Sergey\nLavrov \xe9t\xe9\n", b"T1\tPER 0 6\tSergey\n");
    let file = dir.path().join("doc.txt");
    let e = assert_error(
        read_corpus(dir.path(), &CorpusFormat::Brat),
        &file,
        Some(2),
        &["invalid UTF-8", "0xe9", "byte offset 14", "byte 8 of the line"],
    );
    assert_eq!(e.kind(), ErrorKind::Format);
}

#[test]
fn invalid_utf8_in_ann() {
    let dir = brat_dir(b"Sergey Lavrov", b"T1\tPER 0 6\tSergey\nT2\tPER 7 13\tLavr\xc3\n");
    let file = dir.path().join("doc.ann");
    assert_error(read_corpus(dir.path(), &CorpusFormat::Brat), &file, Some(2), &["invalid UTF-8", "0xc3"]);
}

#[test]
fn invalid_utf8_in_conll_and_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.conll");
    std::fs::write(&f, b"a O\n\nb\xff O\n").unwrap();
    assert_error(
        read_corpus(&f, &CorpusFormat::Conll { scheme: TagScheme::Iob2, sentences_per_document: 1 }),
        &f,
        Some(3),
        &["invalid UTF-8"],
    );
    let f = dir.path().join("x.jsonl");
    std::fs::write(&f, b"{\"id\":\"a\",\"text\":\"\xfe\"}\n").unwrap();
    assert_error(read_corpus(&f, &CorpusFormat::Jsonl), &f, Some(1), &["invalid UTF-8"]);
}

#[test]
fn unknown_label_scheme() {
    let e = "bilou".parse::<TagScheme>().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Format);
    let shown = e.to_string();
    assert!(shown.contains("\"bilou\"") && shown.contains("iob1, iob2 or bioes"), "{shown}");
    assert!(!shown.contains('\n'));
    assert_eq!("BIOES".parse::<TagScheme>().unwrap(), TagScheme::Bioes);
    assert_eq!("bio".parse::<TagScheme>().unwrap(), TagScheme::Iob2);
    assert_eq!("iob1".parse::<TagScheme>().unwrap(), TagScheme::Iob1);
}

#[test]
fn invalid_conll_tags() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.conll");
    let iob2 = CorpusFormat::Conll { scheme: TagScheme::Iob2, sentences_per_document: 1 };
    for (body, line, needles) in [
        ("EU B-ORG\nrejects O\n\nGerman X-PER\n", 4, &["\"X-PER\"", "IOB2"][..]),
        ("EU B-\n", 1, &["\"B-\"", "type is empty"][..]),
        ("EU B-ORG\ncall\n", 2, &["missing tag column", "\"call\""][..]),
        ("EU S-ORG\n", 1, &["\"S-ORG\""][..]),
    ] {
        std::fs::write(&f, body).unwrap();
        assert_error(read_corpus(&f, &iob2), &f, Some(line), needles);
    }
    std::fs::write(&f, "EU B-ORG\nrejects O\n").unwrap();
    let bioes = CorpusFormat::Conll { scheme: TagScheme::Bioes, sentences_per_document: 1 };
    assert_error(read_corpus(&f, &bioes), &f, Some(2), &["BIOES", "inside a ORG entity"]);
}

#[test]
fn bad_jsonl_lines() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("c.jsonl");
    std::fs::write(
        &f,
        "{\"id\":\"a\",\"text\":\"NATO\"}\n{\"id\":\"b\",\"text\":\"NATO\",\"entities\":[{\"start\":0,\"end\":5,\"label\":\"ORG\"}]}\n",
    )
    .unwrap();
    assert_error(read_corpus(&f, &CorpusFormat::Jsonl), &f, Some(2), &["out of bounds", "\"b\""]);
    std::fs::write(&f, "{\"id\":\"a\",\"text\":\"NATO\"}\nnot json\n").unwrap();
    assert_error(read_corpus(&f, &CorpusFormat::Jsonl), &f, Some(2), &["invalid JSON"]);
}

#[test]
fn empty_corpus() {
    let dir = tempfile::tempdir().unwrap();
    assert_error(read_corpus(dir.path(), &CorpusFormat::Brat), dir.path(), None, &["no documents"]);
    std::fs::write(dir.path().join("only.ann"), "T1\tPER 0 1\tx\n").unwrap();
    assert_error(read_corpus(dir.path(), &CorpusFormat::Brat), dir.path(), None, &["no documents"]);
    let f = dir.path().join("empty.conll");
    std::fs::write(&f, "\n-DOCSTART- -X- -X- O\n\n").unwrap();
    assert_error(read_corpus(&f, &CorpusFormat::Conll { scheme: TagScheme::Iob2, sentences_per_document: 1 }), &f, None, &["no documents"]);
    let f = dir.path().join("empty.jsonl");
    std::fs::write(&f, "\n  \n").unwrap();
    assert_error(read_corpus(&f, &CorpusFormat::Jsonl), &f, None, &["no documents"]);
}

#[test]
fn missing_paths_are_io_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let e = assert_error(read_corpus(&missing, &CorpusFormat::Brat), &missing, None, &[]);
    assert_eq!(e.kind(), ErrorKind::Io);
    let e = assert_error(read_corpus(&missing, &CorpusFormat::Jsonl), &missing, None, &[]);
    assert_eq!(e.kind(), ErrorKind::Io);
}
