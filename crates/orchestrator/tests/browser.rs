//! report.html in a real browser: headless Chromium opens it from a `file://` URL, and the DOM
//! it dumps must show every gold and predicted entity of each document, one Pareto point per
//! extractor, and no JavaScript error.
//!
//! Needs Chromium (`cargo xtask setup` installs Debian's `chromium`; CI runs it through
//! `cargo xtask test`). Without it this test fails, saying so: a skipped browser test would
//! let a broken page through.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use nerlab_core::{BuildContext, Document, Entity, Extractor, Family, Label, Result};
use nerlab_orchestrator::{evaluate_corpus, Config, EvalOptions, Registry};
use serde::{Deserialize, Serialize};

#[path = "../../../xtask/src/chromium.rs"]
mod chromium;

/// Tags every occurrence of each configured phrase with its label.
struct Phrases {
    phrases: Vec<(String, Label)>,
    labels: Vec<Label>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PhrasesConfig {
    phrases: Vec<(String, String)>,
}

impl Extractor for Phrases {
    fn name(&self) -> &str {
        "phrases"
    }
    fn labels(&self) -> &[Label] {
        &self.labels
    }
    fn extract(&self, d: &Document) -> Result<Vec<Entity>> {
        let mut out = Vec::new();
        for (w, l) in &self.phrases {
            for (i, _) in d.text.match_indices(w.as_str()) {
                out.push(Entity::new(&d.text, i, i + w.len(), l.clone())?);
            }
        }
        out.sort_by_key(|e| (e.start, e.end));
        Ok(out)
    }
}

impl Family for Phrases {
    const KIND: &'static str = "phrases";
    type Config = PhrasesConfig;
    fn from_config(c: PhrasesConfig, _: &BuildContext<'_>) -> Result<Phrases> {
        let phrases: Vec<(String, Label)> = c.phrases.into_iter().map(|(w, l)| Ok((w, Label::new(&l)?))).collect::<Result<_>>()?;
        let mut labels: Vec<Label> = phrases.iter().map(|(_, l)| l.clone()).collect();
        labels.sort();
        labels.dedup();
        Ok(Phrases { phrases, labels })
    }
}

fn registry() -> Registry {
    let mut r = Registry::empty();
    r.register::<Phrases>();
    r
}

/// Documents chosen to stress the page: characters of one, two and four UTF-8 bytes before
/// entities (offsets differ between bytes and UTF-16), markup and `</script>` in the text,
/// labels beyond CoNLL's, a document without entities.
/// `(id, text, [(entity text, label)])`; each entity is the first occurrence of its text.
type DocSpec = (&'static str, &'static str, &'static [(&'static str, &'static str)]);
/// `(id, text, gold spans)` as written.
type GoldDoc = (String, String, Vec<(usize, usize)>);

const DOCS: [DocSpec; 4] = [
    (
        "a",
        "Grushkó 😀 met NATO in New York Stock Exchange talks.",
        &[("Grushkó", "PER"), ("NATO", "ORG"), ("New York Stock Exchange", "ORG")],
    ),
    (
        "b<&>",
        "Write to ann@example.org </script><b>bold</b> & NATO, Moscow.",
        &[("ann@example.org", "EMAIL"), ("NATO", "ORG"), ("Moscow", "LOC")],
    ),
    ("c", "Nothing to see here.", &[]),
    ("d", "Moscow and Brussels, Moscow again.", &[("Moscow", "LOC"), ("Brussels", "LOC")]),
];

/// `precise` gets most right; `sloppy` makes every kind of error, including crossing spans
/// (`New York` / `York Stock`) that the page must split without losing either.
const CONFIG: &str = r#"
[corpora.tiny]
path = "tiny.jsonl"
format = "jsonl"

[eval]
output_dir = "out"

[[extractors]]
name = "precise"
kind = "phrases"
params = { phrases = [["Grushkó", "PER"], ["NATO", "ORG"], ["New York Stock Exchange", "ORG"], ["ann@example.org", "EMAIL"], ["Moscow", "LOC"]] }

[[extractors]]
name = "sloppy"
kind = "phrases"
params = { phrases = [["NATO", "LOC"], ["New York", "LOC"], ["York Stock", "ORG"], ["example.org", "EMAIL"], ["here", "MISC"], ["<b>", "MISC"]] }
"#;

fn write_corpus(dir: &Path) -> Vec<GoldDoc> {
    let mut lines = String::new();
    let mut docs = Vec::new();
    for (id, text, entities) in DOCS {
        let spans: Vec<(usize, usize, &str)> = entities
            .iter()
            .map(|(s, l)| {
                let start = text.find(s).unwrap();
                (start, start + s.len(), *l)
            })
            .collect();
        let json = serde_json::json!({
            "id": id,
            "text": text,
            "entities": spans.iter().map(|(s, e, l)| serde_json::json!({"start": s, "end": e, "label": l})).collect::<Vec<_>>(),
        });
        lines.push_str(&json.to_string());
        lines.push('\n');
        docs.push((id.to_string(), text.to_string(), spans.iter().map(|(s, e, _)| (*s, *e)).collect()));
    }
    std::fs::write(dir.join("tiny.jsonl"), lines).unwrap();
    docs
}

/// The DOM after the page's scripts ran, and what the browser logged.
fn dump_dom(url: &str, scratch: &Path) -> (String, String) {
    let profile = tempfile::tempdir_in(scratch).unwrap();
    let (out_path, err_path) = (scratch.join("dom.html"), scratch.join("chromium.log"));
    // Without a browser this test fails, saying so: a skipped browser test would let a broken
    // page through.
    let binary = chromium::find().unwrap_or_else(|| panic!("{}", chromium::MISSING));
    let mut child = chromium::headless(&binary, profile.path())
        .args(["--enable-logging=stderr", "--v=0", "--dump-dom"])
        .arg(url)
        .stdout(Stdio::from(std::fs::File::create(&out_path).unwrap()))
        .stderr(Stdio::from(std::fs::File::create(&err_path).unwrap()))
        .spawn()
        .expect("cannot start chromium");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let log = std::fs::read_to_string(&err_path).unwrap_or_default();
            assert!(status.success(), "chromium failed ({status}) on {url}:\n{log}");
            return (std::fs::read_to_string(&out_path).unwrap(), log);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 120 s on {url}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The values of `attr="..."` in `html`.
fn attr_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let key = format!("{attr}=\"");
    html.match_indices(&key)
        .map(|(i, _)| {
            let rest = &html[i + key.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect()
}

/// The HTML of one lane of the document view (up to its closing `</div>`).
fn lane<'a>(dom: &'a str, name: &str) -> &'a str {
    let open = format!("<div class=\"lane\" data-lane=\"{name}\">");
    let start = dom.find(&open).unwrap_or_else(|| panic!("no lane {name} in the document view"));
    let mut depth = 0;
    let mut i = start;
    loop {
        let lt = i + dom[i..].find('<').expect("unclosed lane");
        let tag = &dom[lt..lt + tag_len(&dom[lt..])];
        if tag.starts_with("<div") {
            depth += 1;
        } else if tag == "</div>" {
            depth -= 1;
            if depth == 0 {
                return &dom[start + open.len()..lt];
            }
        }
        i = lt + tag.len();
    }
}

/// A lane's text as a reader sees it: markup, label tags and class glyphs removed.
fn lane_text(lane_html: &str) -> String {
    let txt = &lane_html[lane_html.find("<div class=\"txt\">").unwrap()..];
    let mut out = String::new();
    let mut rest = txt;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let tag_end = lt + tag_len(&rest[lt..]);
        let tag = &rest[lt..tag_end];
        rest = &rest[tag_end..];
        // Skip the contents of label tags and glyphs.
        let skip_until = if tag.starts_with("<span class=\"tag\"") {
            Some("</span>")
        } else if tag == "<i>" {
            Some("</i>")
        } else {
            None
        };
        if let Some(close) = skip_until {
            rest = &rest[rest.find(close).unwrap() + close.len()..];
        }
    }
    out.push_str(rest);
    out.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&nbsp;", "\u{a0}").replace("&amp;", "&")
}

/// The length of the tag `html` starts with; attribute values may contain `>`.
fn tag_len(html: &str) -> usize {
    let mut quoted = false;
    for (i, c) in html.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '>' if !quoted => return i + 1,
            _ => {}
        }
    }
    panic!("unterminated tag in {html}")
}

#[test]
fn report_html_renders_every_entity_in_a_real_browser() {
    let dir = tempfile::tempdir().unwrap();
    let docs = write_corpus(dir.path());
    std::fs::write(dir.path().join("nerlab.toml"), CONFIG).unwrap();
    let config = Config::load(&dir.path().join("nerlab.toml")).unwrap();
    let report = evaluate_corpus(&config, &registry(), "tiny", &EvalOptions::default()).unwrap();
    let out = dir.path().join("out/tiny");
    let html_path = out.join("report.html");
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(!html.contains("<link") && !html.contains(" src="), "report.html must not load anything");
    assert_eq!(std::fs::read_to_string(out.join("pareto.svg")).unwrap().matches("<circle").count(), 2);

    let predictions: Vec<Vec<nerlab_core::AnnotatedDocument>> = report
        .extractors
        .iter()
        .map(|e| nerlab_core::read_corpus(Path::new(&e.predictions), &nerlab_core::CorpusFormat::Jsonl).unwrap())
        .collect();
    let base = format!("file://{}", html_path.canonicalize().unwrap().display());
    for (d, (id, text, gold)) in docs.iter().enumerate() {
        let hash: String =
            id.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
        let url = format!("{base}#doc={hash}");
        let (dom, log) = dump_dom(&url, dir.path());
        // Kept for a look when an assertion below fails.
        let _ = std::fs::write(std::env::temp_dir().join("nerlab-browser-test-dom.html"), &dom);
        assert!(!log.contains("Uncaught"), "JavaScript error on {url}:\n{log}");
        if let Some(i) = dom.find("data-js-errors=\"") {
            panic!("JavaScript error on {url}: {}", &dom[i..dom[i..].find('>').map_or(dom.len(), |e| i + e)]);
        }
        assert!(dom.contains("data-rendered=\"1\""), "the page's script did not run to the end on {url}");

        // The Pareto plot comes first and has one point per extractor, each labelled.
        let pareto = &dom[dom.find("id=\"pareto\"").unwrap()..dom.find("id=\"summary\"").expect("summary after the plot")];
        assert_eq!(pareto.matches("<circle").count(), report.extractors.len(), "one point per extractor");
        let labels: Vec<&str> =
            pareto.split("<text").skip(1).map(|t| t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()].trim()).collect();
        for e in &report.extractors {
            assert!(labels.contains(&e.name.as_str()), "{} is not labelled in the plot: {labels:?}", e.name);
        }

        // Gold: every entity rendered, over the exact text.
        let gold_lane = lane(&dom, "gold");
        let ids: BTreeSet<&str> = attr_values(gold_lane, "data-e").into_iter().collect();
        assert_eq!(ids.len(), gold.len(), "document {id}: gold entities rendered {ids:?}");
        assert_eq!(lane_text(gold_lane), *text, "document {id}: gold lane text");
        for (x, e) in report.extractors.iter().enumerate() {
            let expected = &predictions[x][d];
            assert_eq!(expected.document.id, *id);
            let l = lane(&dom, &e.name);
            let rendered: BTreeSet<&str> = attr_values(l, "data-e").into_iter().filter(|v| v.starts_with(&format!("p{x}-"))).collect();
            assert_eq!(rendered.len(), expected.entities.len(), "document {id}, {}: predictions rendered {rendered:?}", e.name);
            assert_eq!(lane_text(l), *text, "document {id}, {}: lane text", e.name);
        }
        if *id == "a" {
            // sloppy: NATO as LOC is a type error, Grushkó missed, the crossing spans both shown.
            let sloppy = lane(&dom, "sloppy");
            let classes = attr_values(sloppy, "data-c");
            for class in ["type", "missed", "boundary_type", "boundary"] {
                assert!(classes.contains(&class), "document a: no {class} mark in {classes:?}");
            }
        }
    }
}
