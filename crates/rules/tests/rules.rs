//! Behaviour of the rule language, the rule-file loader and the built-in news rules.

use std::path::{Path, PathBuf};

use nerlab_core::conformance::check_extractor;
use nerlab_core::{BuildContext, Document, Extractor, Family, Label};
use nerlab_rules::{RuleSet, RulesConfig, RulesExtractor};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const LISTS: &str = r#"
[lists]
titles = ["Minister", "President", "Mr."]
months = ["October", "November"]
stop = { words = ["the", "of"], ignore_case = true }
"#;

/// Runs `rules` (TOML without the lists above) on `text`; the entities as `LABEL:text`.
fn run(rules: &str, text: &str) -> Vec<String> {
    let src = format!("{LISTS}\n{rules}");
    let set = RuleSet::from_str_in(&src, Path::new(".")).unwrap_or_else(|e| panic!("rules do not load: {e}\n{src}"));
    let extractor = RulesExtractor::new(set);
    extractor.extract(&Document::new("d", text)).unwrap().into_iter().map(|e| format!("{}:{}", e.label, e.text)).collect()
}

/// One rule labelled X with `pattern`.
fn one(pattern: &str, text: &str) -> Vec<String> {
    run(&format!("[[rules]]\nname = \"r\"\nlabel = \"X\"\npattern = '{pattern}'\n"), text)
}

#[test]
fn operators_and_predicates() {
    // (pattern, text, expected entities)
    let cases: &[(&str, &str, &[&str])] = &[
        // Predicates.
        (r#""NATO""#, "NATO and nato", &["X:NATO"]),
        (r#"i"nato""#, "NATO and nato", &["X:NATO", "X:nato"]),
        (r#"/\d{4}/"#, "in 2021 or 20210", &["X:2021"]),
        (r#"shape:Xxxxx"#, "Lavrov met Lev and GRUSHKO", &["X:Lavrov"]),
        (r#"@titles"#, "Minister and minister", &["X:Minister"]),
        (r#"@stop"#, "The end Of", &["X:The", "X:Of"]),
        (r#"[title & !@titles]"#, "Minister Lavrov", &["X:Lavrov"]),
        (r#"upper"#, "NATO Moscow", &["X:NATO"]),
        (r#"lower"#, "NATO said", &["X:said"]),
        (r#"cap"#, "NATO said Moscow", &["X:NATO", "X:Moscow"]),
        (r#"digit"#, "on 18 and 1st", &["X:18"]),
        (r#"num"#, "on 18 and 1st", &["X:18", "X:1st"]),
        (r#"[alpha & lower]"#, "x1 ab", &["X:ab"]),
        (r#"punct"#, "a, b", &["X:,"]),
        (r#"[start & cap]"#, "He said. She left", &["X:He", "X:She"]),
        (r#""in" _"#, "in Moscow", &["X:in Moscow"]),
        (r#"[upper | digit]"#, "NATO in 2021", &["X:NATO", "X:2021"]),
        // Operators.
        (r#""Mr." "John"? "Smith""#, "Mr. Smith and Mr. John Smith", &["X:Mr. Smith", "X:Mr. John Smith"]),
        (r#""big" title*"#, "big Red Green house", &["X:big Red Green"]),
        (r#""big" title+"#, "big house", &[]),
        (r#"title{2,3}"#, "A Bb Cc Dd Ee", &["X:Bb Cc Dd"]),
        (r#"title{2}"#, "Aa Bb Cc", &["X:Aa Bb"]),
        (r#"title{2,}"#, "x Aa Bb Cc Dd", &["X:Aa Bb Cc Dd"]),
        (r#"("North" "Atlantic" | "South") "Pole""#, "North Atlantic Pole, South Pole", &["X:North Atlantic Pole", "X:South Pole"]),
        (r#""Foreign Minister""#, "the Foreign Minister", &["X:Foreign Minister"]),
        // Sub-span extraction.
        (r#"@titles <title+>"#, "Minister Sergey Lavrov said", &["X:Sergey Lavrov"]),
        (r#"i"in" <title> punct"#, "in Brussels. in Moscow today", &["X:Brussels"]),
    ];
    for (pattern, text, expected) in cases {
        assert_eq!(&one(pattern, text), expected, "pattern {pattern:?} on {text:?}");
    }
}

#[test]
fn longest_match_wins_then_priority_then_leftmost() {
    let rules = r#"
[[rules]]
name = "short"
label = "A"
priority = 10
pattern = '"New"'

[[rules]]
name = "long"
label = "B"
pattern = '"New" "York"'
"#;
    assert_eq!(run(rules, "New York"), ["B:New York"], "longest first, whatever the priority");
    let rules = r#"
[[rules]]
name = "low"
label = "A"
pattern = '"York"'

[[rules]]
name = "high"
label = "B"
priority = 1
pattern = '"York"'
"#;
    assert_eq!(run(rules, "York"), ["B:York"], "same length: higher priority");
    let rules = r#"
[[rules]]
name = "pairs"
label = "A"
pattern = 'title title'
"#;
    assert_eq!(run(rules, "Aa Bb Cc"), ["A:Aa Bb"], "same length and priority: leftmost");
}

#[test]
fn block_rules_and_contexts() {
    let rules = r#"
[[rules]]
name = "caps"
label = "A"
pattern = 'title'

[[rules]]
name = "not-months"
block = true
priority = 1
pattern = '@months'

[[rules]]
name = "alliance"
label = "ORG"
priority = 2
before = 'i"the"'
pattern = '"Alliance"'

[[rules]]
name = "acronym"
label = "ORG"
priority = 2
not_before = 'upper'
pattern = '[upper & alpha]'
"#;
    assert_eq!(run(rules, "October in Moscow"), ["A:Moscow"]);
    assert_eq!(run(rules, "the Alliance"), ["ORG:Alliance"]);
    assert_eq!(run(rules, "Alliance"), ["A:Alliance"], "no token before: `before` fails");
    assert_eq!(run(rules, "NATO met; EU UN"), ["ORG:NATO", "ORG:EU"]);
}

#[test]
fn document_memory() {
    let rules = r#"
[document]
propagate = ["ORG"]
surnames = true

[[rules]]
name = "per"
label = "PER"
pattern = '@titles <title{2}>'

[[rules]]
name = "org"
label = "ORG"
pattern = '<title> "Council"'
"#;
    assert_eq!(
        run(rules, "Minister Sergey Lavrov met the Federation Council. Lavrov said Federation was fine."),
        ["PER:Sergey Lavrov", "ORG:Federation", "PER:Lavrov", "ORG:Federation"]
    );
}

/// Loads `src` as a rule file on disk; the error message.
fn load_error(src: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, format!("{LISTS}\n{src}")).unwrap();
    let err = RuleSet::from_file(&path).unwrap_err().to_string();
    assert!(err.contains("bad.toml"), "the error names the file: {err}");
    assert!(!err.contains('\n'), "one line: {err}");
    err
}

#[test]
fn invalid_rule_files_are_rejected_with_file_rule_and_reason() {
    let rule = |name: &str, pattern: &str| format!("[[rules]]\nname = \"{name}\"\nlabel = \"X\"\npattern = '{pattern}'\n");
    // (rule file, what the error must say)
    let cases: Vec<(String, &[&str])> = vec![
        (rule("unclosed", "(title"), &["\"unclosed\"", "expected `)`"]),
        (rule("list", "@nope"), &["\"list\"", "unknown list `@nope`"]),
        (rule("flag", "titel"), &["\"flag\"", "unknown token test `titel`"]),
        (rule("regex", "/(/"), &["\"regex\"", "bad regex"]),
        (rule("empty", "title?"), &["\"empty\"", "empty token sequence"]),
        (rule("loop", "(title?)+"), &["\"loop\"", "at least one token"]),
        (rule("two", "<title> <title>"), &["\"two\"", "only one"]),
        (rule("repeat", "title{3,2}"), &["\"repeat\"", "bad repetition"]),
        (rule("literal", r#""a,b""#), &["\"literal\"", "not a single token"]),
        (format!("{}{}", rule("dup", "title"), rule("dup", "upper")), &["\"dup\"", "duplicate"]),
        ("[[rules]]\nname = \"nolabel\"\npattern = 'title'\n".into(), &["\"nolabel\"", "missing `label`"]),
        ("[[rules]]\nname = \"x\"\nlabel = \"X\"\npattern = 'title'\ncolour = 1\n".into(), &["unknown field `colour`"]),
        ("bad = [\"two words\"]\n".into(), &["\"bad\"", "not a single token"]),
        ("[[rules]]\nname = \"ctx\"\nlabel = \"X\"\nbefore = 'title title'\npattern = 'title'\n".into(), &["\"ctx\"", "`before`"]),
    ];
    for (src, needles) in &cases {
        let err = load_error(src);
        for needle in *needles {
            assert!(err.contains(needle), "error for\n{src}\nshould contain {needle:?}: {err}");
        }
    }
    // The line of the offending rule is named.
    let src = rule("fine", "title") + &rule("broken", "(title");
    let err = load_error(&src);
    let line = format!("{LISTS}\n{src}").lines().position(|l| l == "name = \"broken\"").unwrap() + 1;
    assert!(err.contains(&format!("bad.toml:{line}: ")), "line {line}: {err}");
}

fn news() -> RulesExtractor {
    RulesExtractor::from_config(RulesConfig::default(), &BuildContext::new(root(), "rules")).expect("models/rules/news.toml loads")
}

#[test]
fn news_rules_pass_conformance() {
    check_extractor(&news());
}

#[test]
fn config_resolves_paths_and_checks_labels() {
    let cfg: RulesConfig = toml::from_str("rules = \"models/rules/news.toml\"\nlabels = [\"DATE\"]").unwrap();
    let extractor = RulesExtractor::from_config(cfg, &BuildContext::new(root(), "rules")).unwrap();
    assert_eq!(extractor.labels(), [Label::DATE]);
    let found = extractor.extract(&Document::new("d", "Lavrov spoke on Monday, October 18, 2021.")).unwrap();
    assert_eq!(found.iter().map(|e| e.text.as_str()).collect::<Vec<_>>(), ["Monday", "October 18, 2021"]);
    assert!(toml::from_str::<RulesConfig>("rulez = \"x\"").is_err(), "unknown keys are rejected");
    let cfg: RulesConfig = toml::from_str("labels = [\"EMAIL\"]").unwrap();
    assert!(RulesExtractor::from_config(cfg, &BuildContext::new(root(), "rules")).is_err());
    let missing = RulesConfig { rules: "no/such.toml".into(), labels: None };
    assert!(RulesExtractor::from_config(missing, &BuildContext::new(root(), "rules")).unwrap_err().to_string().contains("no/such.toml"));
}

/// What the news rules find in `text`, as `LABEL:text`.
fn news_find(text: &str) -> Vec<String> {
    news().extract(&Document::new("d", text)).unwrap().into_iter().map(|e| format!("{}:{}", e.label, e.text)).collect()
}

#[test]
fn news_rules_on_typical_sentences() {
    let cases: &[(&str, &[&str])] = &[
        (
            "Russian Foreign Minister Sergey Lavrov announced on Monday that NATO would leave Brussels on November 1.",
            &["MISC:Russian", "PER:Sergey Lavrov", "DATE:Monday", "ORG:NATO", "LOC:Brussels", "DATE:November 1"],
        ),
        ("The eight were told to leave before the end of October.", &["DATE:the end of October"]),
        ("It happened in the spring of 2009 and in March 2018.", &["DATE:the spring of 2009", "DATE:March 2018"]),
        ("Major General Laszlo Makk from Hungary heads it.", &["PER:Laszlo Makk", "LOC:Hungary"]),
        ("the NATO Information Office in Moscow", &["ORG:NATO Information Office", "LOC:Moscow"]),
        ("post-Cold War lows and the Cold War", &["MISC:Cold War"]),
        ("the Intermediate-Range Nuclear Forces (INF) Treaty", &["MISC:Intermediate-Range Nuclear Forces (INF) Treaty"]),
    ];
    for (text, expected) in cases {
        assert_eq!(&news_find(text), expected, "on {text:?}");
    }
}

#[test]
fn news_artefacts_map_back_to_the_original_text() {
    // The real artefacts of corpus/news: repaired for matching, reported as written.
    let text = std::fs::read_to_string(root().join("corpus/news/001_f778dc42d1273ca2.txt")).unwrap();
    let doc = Document::new("001", text.clone());
    let found = news().extract(&doc).unwrap();
    nerlab_core::validate_entities(&text, &found, None).unwrap();
    let has = |label: Label, s: &str| found.iter().any(|e| e.label == label && e.text == s);
    assert!(has(Label::ORG, "NA-TO"), "NA-TO is found as NATO and reported as NA-TO");
    assert!(has(Label::MISC, "R-ussian") || found.iter().any(|e| e.text.starts_with("R-ussian")), "R-ussian is repaired");
    assert!(!found.iter().any(|e| e.text.contains('\u{2019}') && e.text.ends_with('s')), "possessives stay outside spans");
    // Hyphenation across a line break.
    assert_eq!(news_find("They met in Brus-\nsels on Monday."), ["LOC:Brus-\nsels", "DATE:Monday"]);
    // Curly quotes are straightened for matching only.
    assert_eq!(news_find("“NATO’s decision,” said Lavrov’s deputy."), ["ORG:NATO"]);
}
