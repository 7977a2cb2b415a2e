//! Round trips through every corpus format, and the shipped CoNLL-2003 test set.

use std::path::{Path, PathBuf};

use nerlab_core::formats::{brat, conll, jsonl};
use nerlab_core::{read_corpus, write_corpus, AnnotatedDocument, CorpusFormat, Document, Entity, Label, TagScheme};
use proptest::prelude::*;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpus")
}

fn doc(id: &str, text: &str, spans: &[(&str, Label)]) -> AnnotatedDocument {
    // Each span is given by its text; the n-th occurrence is not needed in these fixtures.
    let mut entities: Vec<Entity> = spans
        .iter()
        .map(|(s, l)| {
            let start = text.find(s).unwrap_or_else(|| panic!("{s:?} not in {text:?}"));
            Entity::new(text, start, start + s.len(), l.clone()).unwrap()
        })
        .collect();
    entities.sort_by_key(|e| (e.start, e.end));
    AnnotatedDocument { document: Document::new(id, text), entities }
}

fn sample_docs() -> Vec<AnnotatedDocument> {
    vec![
        doc(
            "a_unicode",
            "“ After decisions taken by NATO , ” said Grushkó ’s deputy in Москва — Zoë Łukasz agreed .\nBrussels 北京 too .",
            &[
                ("NATO", Label::ORG),
                ("Grushkó", Label::PER),
                ("Москва", Label::LOC),
                ("Zoë Łukasz", Label::PER),
                ("Brussels", Label::LOC),
                ("北京", Label::LOC),
            ],
        ),
        doc(
            "b_plain",
            "Sergey Lavrov met Jens Stoltenberg on Monday in Brussels",
            &[("Sergey Lavrov", Label::PER), ("Jens Stoltenberg", Label::PER), ("Monday", Label::DATE), ("Brussels", Label::LOC)],
        ),
        doc("c_empty_entities", "Nothing to see here", &[]),
        doc(
            "d_adjacent",
            "Ann Bob Cid met EU UN",
            &[("Ann", Label::PER), ("Bob", Label::PER), ("Cid", Label::PER), ("EU", Label::ORG), ("UN", Label::ORG)],
        ),
        doc("e_emoji", "NATO 🇷🇺 Moscow 🙂 Lavrov", &[("NATO", Label::ORG), ("Moscow", Label::LOC), ("Lavrov", Label::PER)]),
    ]
}

/// A document's text and its entities as `(start, end, label, text)`.
type Stripped = (String, Vec<(usize, usize, Label, String)>);

fn strip_ids(docs: &[AnnotatedDocument]) -> Vec<Stripped> {
    docs.iter()
        .map(|d| (d.document.text.clone(), d.entities.iter().map(|e| (e.start, e.end, e.label.clone(), e.text.clone())).collect()))
        .collect()
}

#[test]
fn brat_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let docs = sample_docs();
    write_corpus(dir.path(), &CorpusFormat::Brat, &docs).unwrap();
    let ann = std::fs::read_to_string(dir.path().join("a_unicode.ann")).unwrap();
    // Character offsets: `NATO` starts at character 27 (the opening quote is one character).
    assert!(ann.contains("T1\tORG 27 31\tNATO\n"), "{ann}");
    let back = read_corpus(dir.path(), &CorpusFormat::Brat).unwrap();
    assert_eq!(back, docs);
}

#[test]
fn brat_reader_details() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("z.txt"), "Grushkó met\r\nNATO chiefs").unwrap();
    std::fs::write(
        p.join("z.ann"),
        "#1\tAnnotatorNotes T1\tnote\nT2\tORG 13 17\tNATO\r\nR1\tRel Arg1:T1 Arg2:T2\n\nA1\tNegated T1\nE1\tMeet:T2\nT1\tPER 0 7\tGrushkó\nN1\tReference T1 Wikipedia:1\tx\n*\tAlias T1 T2\n",
    )
    .unwrap();
    std::fs::write(p.join("a.txt"), "no annotations").unwrap();
    std::fs::write(p.join("README.md"), "ignored").unwrap();
    std::fs::write(p.join("orphan.ann"), "T1\tPER 0 3\txyz\n").unwrap();
    let docs = read_corpus(p, &CorpusFormat::Brat).unwrap();
    let ids: Vec<_> = docs.iter().map(|d| d.document.id.as_str()).collect();
    assert_eq!(ids, ["a", "z"], "sorted by id, only .txt files");
    assert!(docs[0].entities.is_empty());
    let z = &docs[1];
    assert_eq!(z.document.text, "Grushkó met\r\nNATO chiefs", "text kept exactly");
    let got: Vec<_> = z.entities.iter().map(|e| (e.start, e.end, e.text.as_str())).collect();
    assert_eq!(got, [(0, 8, "Grushkó"), (14, 18, "NATO")], "sorted, byte offsets");

    // A span over a line break is written with a space and read back.
    let text = "Brus-\nsels is here";
    let d = AnnotatedDocument { document: Document::new("n", text), entities: vec![Entity::new(text, 0, 10, Label::LOC).unwrap()] };
    let out = tempfile::tempdir().unwrap();
    brat::write_dir(out.path(), std::slice::from_ref(&d)).unwrap();
    assert_eq!(std::fs::read_to_string(out.path().join("n.ann")).unwrap(), "T1\tLOC 0 10\tBrus- sels\n");
    assert_eq!(brat::read_dir(out.path()).unwrap(), vec![d]);

    // Ids that are not file names are refused.
    let bad = AnnotatedDocument { document: Document::new("../x", "t"), entities: vec![] };
    assert!(brat::write_dir(out.path(), &[bad]).is_err());
}

#[test]
fn brat_normalisations_round_trip() {
    let p = tempfile::tempdir().unwrap();
    std::fs::write(p.path().join("d.txt"), "Sergey Lavrov met NATO. Lavrov left.").unwrap();
    // The `N` line of T2 comes before its `T` line; T3 has two, the first wins.
    std::fs::write(
        p.path().join("d.ann"),
        "T1\tPER 0 13\tSergey Lavrov\nN1\tReference T1 nerlab:sergey-lavrov\tSergey Lavrov\n\
         N2\tReference T2 nerlab:nato\tNATO\nT2\tORG 18 22\tNATO\nT3\tPER 24 30\tLavrov\n\
         N3\tReference T3 nerlab:sergey-lavrov\tLavrov\nN4\tReference T3 Wikidata:Q80585\tLavrov\n",
    )
    .unwrap();
    let docs = brat::read_dir(p.path()).unwrap();
    let ids: Vec<_> = docs[0].entities.iter().map(|e| e.canonical.as_deref()).collect();
    assert_eq!(ids, [Some("nerlab:sergey-lavrov"), Some("nerlab:nato"), Some("nerlab:sergey-lavrov")]);

    // Written back: one `N` after each `T` that has an id, ids with spaces percent-encoded.
    let mut doc = docs[0].clone();
    doc.entities[1].canonical = Some("North Atlantic Treaty Organization 100%".into());
    doc.entities[2].canonical = None;
    let ann = brat::to_ann(&doc).unwrap();
    assert_eq!(
        ann,
        "T1\tPER 0 13\tSergey Lavrov\nN1\tReference T1 nerlab:sergey-lavrov\tSergey Lavrov\n\
         T2\tORG 18 22\tNATO\nN2\tReference T2 North%20Atlantic%20Treaty%20Organization%20100%25\tNATO\n\
         T3\tPER 24 30\tLavrov\n"
    );
    let out = tempfile::tempdir().unwrap();
    brat::write_dir(out.path(), std::slice::from_ref(&doc)).unwrap();
    assert_eq!(brat::read_dir(out.path()).unwrap(), vec![doc]);

    // A normalisation naming no `T`, or malformed, is an error with its line.
    let e = brat::parse_ann("T1\tORG 0 4\tNATO\nN1\tReference T9 nerlab:nato\tNATO\n", "NATO").unwrap_err();
    assert_eq!(e.line(), Some(2), "{e}");
    assert!(e.message().contains("T9"), "{e}");
    let e = brat::parse_ann("T1\tORG 0 4\tNATO\nN1\tReference T1\tNATO\n", "NATO").unwrap_err();
    assert_eq!(e.line(), Some(2), "{e}");
}

#[test]
fn jsonl_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/corpus.jsonl");
    let mut docs = sample_docs();
    docs[1].entities[0] = docs[1].entities[0].clone().with_score(0.5).with_canonical("Sergei Lavrov");
    write_corpus(&path, &CorpusFormat::Jsonl, &docs).unwrap();
    let back = read_corpus(&path, &CorpusFormat::Jsonl).unwrap();
    assert_eq!(back, docs);
    let raw = std::fs::read_to_string(&path).unwrap();
    assert_eq!(raw.lines().count(), docs.len());
    assert!(raw.starts_with("{\"id\":\"a_unicode\",\"text\":"), "{raw}");
}

#[test]
fn conll_round_trip_every_scheme() {
    let dir = tempfile::tempdir().unwrap();
    // The CoNLL reader's canonical form: single spaces, sentences on lines.
    let docs = sample_docs();
    for d in &docs {
        let canonical: Vec<String> = d.document.text.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
        assert_eq!(canonical.join("\n"), d.document.text, "fixture must be canonical");
    }
    for scheme in [TagScheme::Iob1, TagScheme::Iob2, TagScheme::Bioes] {
        let path = dir.path().join(format!("{scheme:?}.conll"));
        let format = CorpusFormat::Conll { scheme, sentences_per_document: 1 };
        write_corpus(&path, &format, &docs).unwrap();
        let back = read_corpus(&path, &format).unwrap();
        assert_eq!(strip_ids(&back), strip_ids(&docs), "{scheme:?}");
        let ids: Vec<_> = back.iter().map(|d| d.document.id.clone()).collect();
        let stem = format!("{scheme:?}");
        assert_eq!(ids, (1..=docs.len()).map(|n| format!("{stem}-{n}")).collect::<Vec<_>>());
    }
    let bioes = std::fs::read_to_string(dir.path().join("Bioes.conll")).unwrap();
    assert!(bioes.contains("Zoë B-PER\nŁukasz E-PER\n"), "{bioes}");
    let iob1 = std::fs::read_to_string(dir.path().join("Iob1.conll")).unwrap();
    assert!(iob1.contains("Ann I-PER\nBob B-PER\nCid B-PER\nmet O\nEU I-ORG\nUN B-ORG\n"), "{iob1}");
}

#[test]
fn conll_without_docstart_groups_sentences() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("five.txt");
    std::fs::write(&path, "a B-PER\n\nb O\n\n\n\nc B-LOC\nd I-LOC\n\ne O\r\n\r\nf O").unwrap();
    let docs = conll::read_file(&path, TagScheme::Iob2, 2).unwrap();
    let texts: Vec<_> = docs.iter().map(|d| d.document.text.as_str()).collect();
    assert_eq!(texts, ["a\nb", "c d\ne", "f"]);
    assert_eq!(docs[1].entities[0].text, "c d");
    assert_eq!(docs[2].document.id, "five-3");
}

#[test]
fn conll2003_test_counts() {
    let path = corpus_dir().join("conll2003/test.txt");
    let docs = read_corpus(&path, &CorpusFormat::Conll { scheme: TagScheme::Iob2, sentences_per_document: 1 }).unwrap();
    let count = |l: &Label| docs.iter().flat_map(|d| &d.entities).filter(|e| &e.label == l).count();
    assert_eq!([count(&Label::PER), count(&Label::ORG), count(&Label::LOC), count(&Label::MISC)], [1617, 1661, 1668, 702]);
    assert_eq!(docs.iter().map(|d| d.entities.len()).sum::<usize>(), 1617 + 1661 + 1668 + 702);
    for d in &docs {
        nerlab_core::validate_entities(&d.document.text, &d.entities, Some(&Label::CONLL)).unwrap();
    }
    // Grouping changes documents, not entities.
    let grouped = read_corpus(&path, &CorpusFormat::Conll { scheme: TagScheme::Iob2, sentences_per_document: 10 }).unwrap();
    assert_eq!(grouped.len(), docs.len().div_ceil(10));
    assert_eq!(grouped.iter().map(|d| d.entities.len()).sum::<usize>(), 5648);
}

#[test]
fn conll2003_test_survives_a_round_trip_through_every_format() {
    let path = corpus_dir().join("conll2003/test.txt");
    let format = CorpusFormat::Conll { scheme: TagScheme::Iob2, sentences_per_document: 20 };
    let docs = read_corpus(&path, &format).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // brat sorts documents by id (`test-1`, `test-10`, ...): compare in id order, and
    // report only the first difference (the documents are large).
    let by_id = |d: &[AnnotatedDocument]| {
        let mut v = d.to_vec();
        v.sort_by(|a, b| a.document.id.cmp(&b.document.id));
        v
    };
    for (name, fmt) in [
        ("brat", CorpusFormat::Brat),
        ("c.jsonl", CorpusFormat::Jsonl),
        ("c.bioes", CorpusFormat::Conll { scheme: TagScheme::Bioes, sentences_per_document: 1 }),
        ("c.iob1", CorpusFormat::Conll { scheme: TagScheme::Iob1, sentences_per_document: 1 }),
    ] {
        let p = dir.path().join(name);
        write_corpus(&p, &fmt, &docs).unwrap();
        let back = read_corpus(&p, &fmt).unwrap();
        let (back, want) = if name == "brat" { (by_id(&back), by_id(&docs)) } else { (back, docs.clone()) };
        assert_eq!(back.len(), want.len(), "{name}");
        for (b, w) in strip_ids(&back).iter().zip(strip_ids(&want).iter()) {
            assert!(b == w, "{name}: document differs after a round trip: {:?}", &w.0[..w.0.len().min(80)]);
        }
    }
}

#[test]
fn public_parsers_match_file_readers() {
    let text = "{\"id\":\"x\",\"text\":\"NATO\",\"entities\":[{\"start\":0,\"end\":4,\"label\":\"ORG\"}]}\n";
    assert_eq!(jsonl::parse_str(text).unwrap()[0].entities[0].text, "NATO");
    let ents = brat::parse_ann("T1\tORG 0 4\tNATO\n", "NATO").unwrap();
    assert_eq!(ents[0].label, Label::ORG);
}

/// Documents in the CoNLL reader's canonical form with entities on token boundaries.
fn arb_doc() -> impl Strategy<Value = AnnotatedDocument> {
    let word = prop::sample::select(vec!["NATO", "Grushkó", "Москва", "北京", "a", "-", "“x”", "Zoë", "🇷🇺", "O'Neil"]);
    let sentence = prop::collection::vec((word, 0u8..6), 1..8);
    prop::collection::vec(sentence, 1..4).prop_map(|sentences| {
        let labels = [Label::PER, Label::ORG, Label::LOC, Label::MISC];
        let mut text = String::new();
        let mut entities = Vec::new();
        for (k, s) in sentences.iter().enumerate() {
            if k > 0 {
                text.push('\n');
            }
            let mut open: Option<(usize, usize, u8)> = None; // (start, end, label)
            for (j, (w, tag)) in s.iter().enumerate() {
                if j > 0 {
                    text.push(' ');
                }
                let start = text.len();
                text.push_str(w);
                let end = text.len();
                // tag 0..=3: an entity label (continue when equal to the open one), 4..: outside.
                match (open, *tag) {
                    (Some((s0, _, l)), t) if t == l && t < 4 && j % 3 != 0 => open = Some((s0, end, l)),
                    (o, t) => {
                        if let Some((s0, e0, l)) = o {
                            entities.push((s0, e0, l));
                        }
                        open = if t < 4 { Some((start, end, t)) } else { None };
                    }
                }
            }
            if let Some((s0, e0, l)) = open {
                entities.push((s0, e0, l));
            }
        }
        let entities = entities.into_iter().map(|(s, e, l)| Entity::new(&text, s, e, labels[l as usize].clone()).unwrap()).collect();
        AnnotatedDocument { document: Document::new("p", text), entities }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_format_round_trips(docs in prop::collection::vec(arb_doc(), 1..4)) {
        let docs: Vec<AnnotatedDocument> = docs
            .into_iter()
            .enumerate()
            .map(|(i, mut d)| { d.document.id = format!("d{i}"); d })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let b = dir.path().join("brat");
        write_corpus(&b, &CorpusFormat::Brat, &docs).unwrap();
        prop_assert_eq!(read_corpus(&b, &CorpusFormat::Brat).unwrap(), docs.clone());
        let j = dir.path().join("c.jsonl");
        write_corpus(&j, &CorpusFormat::Jsonl, &docs).unwrap();
        prop_assert_eq!(read_corpus(&j, &CorpusFormat::Jsonl).unwrap(), docs.clone());
        for scheme in [TagScheme::Iob1, TagScheme::Iob2, TagScheme::Bioes] {
            let c = dir.path().join("c.conll");
            let fmt = CorpusFormat::Conll { scheme, sentences_per_document: 1 };
            write_corpus(&c, &fmt, &docs).unwrap();
            prop_assert_eq!(strip_ids(&read_corpus(&c, &fmt).unwrap()), strip_ids(&docs));
        }
    }

    #[test]
    fn readers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200), text in "\\PC{0,40}") {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f.txt");
        std::fs::write(&f, &bytes).unwrap();
        for scheme in [TagScheme::Iob1, TagScheme::Iob2, TagScheme::Bioes] {
            let _ = conll::read_file(&f, scheme, 2);
        }
        let _ = jsonl::read_file(&f);
        std::fs::write(dir.path().join("f.ann"), &bytes).unwrap();
        let _ = brat::read_dir(dir.path());
        let _ = brat::parse_ann(&String::from_utf8_lossy(&bytes), &text);
        let _ = conll::parse_str(&text, "x", TagScheme::Bioes, 1);
    }
}
