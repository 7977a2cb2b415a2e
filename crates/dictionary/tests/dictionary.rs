//! Behaviour of the dictionary extractor: one table of cases over a small dictionary, plus
//! the conformance suite, file loading and error reporting.

use std::path::Path;

use nerlab_core::{conformance::check_extractor, BuildContext, Document, ErrorKind, Extractor, Family, Label};
use nerlab_dictionary::{CasePolicy, DictionaryBuilder, DictionaryConfig, DictionaryExtractor, GazetteerConfig, GazetteerEntry};

fn entry(surface: &str, label: &str, canonical: Option<&str>) -> GazetteerEntry {
    GazetteerEntry { surface: surface.into(), label: Label::new(label).unwrap(), canonical: canonical.map(Into::into) }
}

/// The dictionary every case runs against: exact-case names, an insensitive list, given names.
fn dictionary(hyphen_splits: bool) -> DictionaryExtractor {
    let mut b = DictionaryBuilder::new(hyphen_splits, &[Label::PER]);
    b.add(
        &[
            entry("NATO", "ORG", Some("NATO")),
            entry("North Atlantic Treaty Organization", "ORG", Some("NATO")),
            entry("NATO-Russia Council", "ORG", None),
            entry("Sergey Lavrov", "PER", Some("Sergey Lavrov")),
            entry("Sergei Lavrov", "PER", Some("Sergey Lavrov")),
            entry("Lavrov", "PER", Some("Sergey Lavrov")),
            entry("Rome", "LOC", None),
            entry("New York", "LOC", None),
            entry("New York Stock Exchange", "ORG", None),
            entry("Russia", "LOC", Some("ISO3166-1:RU")),
            entry("Russian", "MISC", None),
            entry("Grushko", "PER", None),
            entry("Zürich", "LOC", None),
            entry("Brussels", "LOC", None),
            // Same surface twice: the first (higher priority) wins.
            entry("Jordan", "LOC", None),
            entry("Jordan", "PER", None),
        ],
        CasePolicy::Exact,
        true,
        false,
    );
    b.add(&[entry("novichok", "MISC", None), entry("épée", "MISC", None)], CasePolicy::Insensitive, true, false);
    b.add(&[entry("Osmond", "PER", None)], CasePolicy::Exact, true, true);
    b.build().unwrap()
}

/// `(text, expected "label:text[=canonical]" in order)`.
const CASES: &[(&str, &[&str])] = &[
    // Boundaries.
    ("Rome and Romeo in Rome.", &["LOC:Rome", "LOC:Rome"]),
    ("Romé, xRome, Rome2", &[]),
    ("“Rome”, (Rome) and ‘Rome’", &["LOC:Rome", "LOC:Rome", "LOC:Rome"]),
    ("Russia's envoy and Russia’s envoy", &["LOC:Russia=ISO3166-1:RU", "LOC:Russia=ISO3166-1:RU"]),
    ("O'Rome", &[]),
    // Hyphens join words by default; a longer entry wins.
    ("NATO-Russia ties", &[]),
    ("the NATO-Russia Council met", &["ORG:NATO-Russia Council"]),
    // Overlaps: leftmost-longest.
    ("the New York Stock Exchange in New York", &["ORG:New York Stock Exchange", "LOC:New York"]),
    ("Russian Russia", &["MISC:Russian", "LOC:Russia=ISO3166-1:RU"]),
    // Aliases carry the canonical name.
    ("Sergei Lavrov met Sergey Lavrov", &["PER:Sergei Lavrov=Sergey Lavrov", "PER:Sergey Lavrov=Sergey Lavrov"]),
    ("North Atlantic Treaty Organization (NATO)", &["ORG:North Atlantic Treaty Organization=NATO", "ORG:NATO=NATO"]),
    // Priority between entries of the same surface.
    ("Jordan said", &["LOC:Jordan"]),
    // Case policies: exact by default, headlines in capitals, insensitive lists.
    ("russia and RUSSIA in a sentence", &[]),
    ("RUSSIA SUSPENDS ITS MISSION TO NATO IN BRUSSELS", &["LOC:RUSSIA=ISO3166-1:RU", "ORG:NATO=NATO", "LOC:BRUSSELS"]),
    ("ZÜRICH TALKS END", &["LOC:ZÜRICH"]),
    ("Novichok, NOVICHOK and novichok; Épée and ÉPÉE", &["MISC:Novichok", "MISC:NOVICHOK", "MISC:novichok", "MISC:Épée", "MISC:ÉPÉE"]),
    // Unicode text around matches keeps byte offsets exact.
    ("Grushkó and Grushko — in Zürich", &["PER:Grushko", "LOC:Zürich"]),
    ("Grushko\u{301} said", &[]),
    // Person names extend over following capitalised words; given names need one.
    ("Lavrov Smith-Jones said", &["PER:Lavrov Smith-Jones"]),
    ("Osmond Ezinwa won ; Osmond won", &["PER:Osmond Ezinwa"]),
    ("Osmond J. Ezinwa won", &["PER:Osmond J. Ezinwa"]),
    ("OSMOND EZINWA WINS", &[]),
    ("Lavrov Jordan", &["PER:Lavrov Jordan"]),
];

fn show(doc: &str, d: &DictionaryExtractor) -> Vec<String> {
    d.extract(&Document::new("t", doc))
        .unwrap()
        .into_iter()
        .map(|e| match e.canonical {
            Some(c) => format!("{}:{}={c}", e.label, e.text),
            None => format!("{}:{}", e.label, e.text),
        })
        .collect()
}

#[test]
fn table_of_cases() {
    let d = dictionary(false);
    let mut failures = Vec::new();
    for &(text, expected) in CASES {
        let got = show(text, &d);
        if got != expected {
            failures.push(format!("{text:?}\n  expected {expected:?}\n  got      {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn surnames_propagate_within_a_document() {
    let mut b = DictionaryBuilder::new(false, &[Label::PER]);
    b.add(&[entry("Sergey Lavrov", "PER", Some("Sergey Lavrov")), entry("Osmond", "PER", None)], CasePolicy::Exact, true, false);
    let on = {
        let mut b2 = DictionaryBuilder::new(false, &[Label::PER]);
        b2.add(&[entry("Sergey Lavrov", "PER", Some("Sergey Lavrov")), entry("Osmond", "PER", None)], CasePolicy::Exact, true, false);
        b2.propagate(true);
        b2.build().unwrap()
    };
    let off = b.build().unwrap();
    let text = "Lavrov spoke. Sergey Lavrov said, and Lavrov's aide and Osmond Ezinwa agreed; Ezinwa left, Lavrovich stayed.";
    assert_eq!(
        show(text, &on),
        ["PER:Lavrov=Sergey Lavrov", "PER:Sergey Lavrov=Sergey Lavrov", "PER:Lavrov=Sergey Lavrov", "PER:Osmond Ezinwa", "PER:Ezinwa"]
    );
    assert_eq!(show(text, &off), ["PER:Sergey Lavrov=Sergey Lavrov", "PER:Osmond Ezinwa"]);
    check_extractor(&on);
}

#[test]
fn hyphen_splits_option() {
    let d = dictionary(true);
    assert_eq!(show("NATO-Russia ties", &d), ["ORG:NATO=NATO", "LOC:Russia=ISO3166-1:RU"]);
    assert_eq!(show("the NATO-Russia Council", &d), ["ORG:NATO-Russia Council"]);
}

#[test]
fn conformance() {
    check_extractor(&dictionary(false));
    let empty = DictionaryBuilder::new(false, &[Label::PER]).build().unwrap();
    check_extractor(&empty);
    assert!(empty.is_empty() && empty.labels().is_empty());
}

#[test]
fn labels_are_those_of_the_entries() {
    assert_eq!(dictionary(false).labels(), [Label::LOC, Label::MISC, Label::ORG, Label::PER]);
}

#[test]
fn loads_files_with_per_file_label_and_reports_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("people.txt"), "# people\nAda Lovelace\nCharles Babbage\t\tBabbage\n").unwrap();
    std::fs::write(dir.path().join("empty.tsv"), "# nothing yet\n").unwrap();
    let config = DictionaryConfig {
        gazetteers: vec![
            GazetteerConfig { label: Some(Label::PER), ..GazetteerConfig::new("people.txt") },
            GazetteerConfig::new(dir.path().join("empty.tsv")),
        ],
        ..DictionaryConfig::default()
    };
    let d = DictionaryExtractor::from_config(config, &BuildContext::new(dir.path(), "dictionary")).unwrap();
    assert_eq!(d.len(), 2);
    assert_eq!(show("Ada Lovelace met Charles Babbage.", &d), ["PER:Ada Lovelace", "PER:Charles Babbage=Babbage"]);

    std::fs::write(dir.path().join("bad.tsv"), "Rome\tLOC\nParis\n").unwrap();
    let config = DictionaryConfig { gazetteers: vec![GazetteerConfig::new("bad.tsv")], ..DictionaryConfig::default() };
    let err = DictionaryExtractor::from_config(config, &BuildContext::new(dir.path(), "dictionary"))
        .err()
        .expect("a line without label is an error");
    assert_eq!(err.kind(), ErrorKind::Format);
    assert_eq!(err.line(), Some(2));
    assert!(err.to_string().contains("bad.tsv:2:"), "{err}");

    let config = DictionaryConfig { gazetteers: vec![GazetteerConfig::new("missing.tsv")], ..DictionaryConfig::default() };
    let err =
        DictionaryExtractor::from_config(config, &BuildContext::new(dir.path(), "dictionary")).err().expect("a missing file is an error");
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(err.to_string().contains("missing.tsv"), "{err}");
}

/// The shipped gazetteers load, and find what they are for.
#[test]
fn shipped_gazetteers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let d = DictionaryExtractor::from_config(DictionaryConfig::default(), &BuildContext::new(&root, "dictionary")).unwrap();
    check_extractor(&d);
    let doc = Document::new("n", "Russian Foreign Minister Sergey Lavrov said NATO expelled diplomats from Moskva and Brussels.");
    let found: Vec<(String, Label, Option<String>)> =
        d.extract(&doc).unwrap().into_iter().map(|e| (e.text, e.label, e.canonical)).collect();
    assert!(found.contains(&("Russian".into(), Label::MISC, Some("ISO639-1:ru".into()))), "{found:?}");
    assert!(found.iter().any(|(t, l, _)| t == "NATO" && *l == Label::ORG), "{found:?}");
    assert!(found.contains(&("Moskva".into(), Label::LOC, Some("geonames:524901".into()))), "{found:?}");
    assert!(found.iter().any(|(t, l, _)| t == "Brussels" && *l == Label::LOC), "{found:?}");
}

#[test]
fn normalisation_maps_spans_back() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("g.tsv"), "NATO\tORG\nBrussels\tLOC\nRussian\tMISC\n").unwrap();
    let config = |normalize| DictionaryConfig { gazetteers: vec![GazetteerConfig::new("g.tsv")], normalize, ..DictionaryConfig::default() };
    let text = "The NA-TO said “R-ussian” diplomats in Brus-\nsels must leave; NATO-Russia ties.";
    let d = DictionaryExtractor::from_config(config(true), &BuildContext::new(dir.path(), "dictionary")).unwrap();
    check_extractor(&d);
    assert_eq!(show(text, &d), ["ORG:NA-TO", "MISC:R-ussian", "LOC:Brus-\nsels"]);
    let plain = DictionaryExtractor::from_config(config(false), &BuildContext::new(dir.path(), "dictionary")).unwrap();
    assert!(show(text, &plain).is_empty());
}
