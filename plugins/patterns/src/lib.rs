//! A third-party-style nerlab plugin: surface patterns that need no model.
//!
//! Written only against the public SDK (`nerlab_plugin::sdk`), as an outside author would:
//! it implements [`Extractor`] and [`Family`] (what every extractor family implements) and
//! exports itself with [`nerlab_plugin::export_plugin!`]. Labels:
//!
//! - `EMAIL`: `name@example.org`;
//! - `URL`: `http(s)://...` and `www....`, without trailing sentence punctuation;
//! - `HANDLE`: `@name` social-media handles (not the `@` inside an e-mail address);
//! - `NUMBER`: integers and decimals, with thousands separators and an optional `%`.
//!
//! Where patterns overlap (an e-mail address inside a URL) the leftmost, then longest, wins.

#![deny(missing_docs)]

use nerlab_core::{BuildContext, Document, Entity, Error, Extractor, Family, Label, Result};
use regex::Regex;
use serde::{Deserialize, Serialize};

/// The labels this plugin can produce, in the order its patterns are tried.
pub const LABELS: [&str; 4] = ["EMAIL", "URL", "HANDLE", "NUMBER"];

/// Configuration: the `params` table of the extractor's entry in nerlab.toml (beside `library`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternsConfig {
    /// The labels to extract, a subset of [`LABELS`]; all of them when absent.
    #[serde(default)]
    pub labels: Option<Vec<String>>,
}

/// Finds e-mail addresses, URLs, handles and numbers with regular expressions.
#[derive(Debug)]
pub struct PatternsExtractor {
    labels: Vec<Label>,
    // One per label, same order. The span of interest is capture group 1, since the `regex`
    // crate has no look-behind to express "not preceded by".
    patterns: Vec<Regex>,
}

fn pattern(label: &str) -> &'static str {
    match label {
        "EMAIL" => r"(?:^|[^\w.+-])([\w.+-]+@\w[\w-]*(?:\.\w[\w-]*)*\.[[:alpha:]]{2,})",
        // Stop before trailing punctuation that usually ends the sentence, not the URL.
        "URL" => r#"(?i)(?:^|[^\w/])((?:https?://|www\.)[^\s<>"“”]*[^\s<>"“”.,;:!?)\]'’])"#,
        "HANDLE" => r"(?:^|[^\w@.])(@[A-Za-z0-9_]{1,30})\b",
        "NUMBER" => r"(?:^|[^\w.,])([0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?%?|[0-9]+(?:\.[0-9]+)?%?)(?:$|[^\w])",
        _ => unreachable!("labels are checked against LABELS first"),
    }
}

impl PatternsExtractor {
    /// Builds the extractor for `config`.
    ///
    /// # Errors
    /// [`nerlab_core::ErrorKind::Config`] when `labels` names a label this plugin lacks.
    pub fn new(config: PatternsConfig) -> Result<PatternsExtractor> {
        let wanted: Vec<String> = match config.labels {
            Some(l) => l,
            None => LABELS.iter().map(|s| s.to_string()).collect(),
        };
        let mut labels = Vec::new();
        let mut patterns = Vec::new();
        for name in &wanted {
            if !LABELS.contains(&name.as_str()) {
                return Err(Error::config(format!("unknown label {name:?} (known: {})", LABELS.join(", "))));
            }
            labels.push(Label::new(name)?);
            patterns.push(Regex::new(pattern(name)).map_err(|e| Error::config(e.to_string()))?);
        }
        Ok(PatternsExtractor { labels, patterns })
    }
}

impl Extractor for PatternsExtractor {
    fn name(&self) -> &str {
        "patterns"
    }

    fn labels(&self) -> &[Label] {
        &self.labels
    }

    fn extract(&self, document: &Document) -> Result<Vec<Entity>> {
        let text = document.text.as_str();
        let mut found: Vec<(usize, usize, usize)> = Vec::new();
        for (i, re) in self.patterns.iter().enumerate() {
            // The context character before a match is consumed by the pattern, so restart
            // each search at the end of the previous *span*, not of the whole match.
            let mut at = 0;
            while let Some(c) = re.captures_at(text, at) {
                let m = c.get(1).expect("every pattern has group 1");
                found.push((m.start(), m.end(), i));
                at = m.end();
            }
        }
        // Leftmost, then longest, then earlier pattern; drop anything overlapping a winner.
        found.sort_by_key(|&(s, e, i)| (s, std::cmp::Reverse(e), i));
        let mut entities: Vec<Entity> = Vec::new();
        for (s, e, i) in found {
            if entities.last().is_some_and(|last| s < last.end) {
                continue;
            }
            entities.push(Entity::new(text, s, e, self.labels[i].clone())?);
        }
        Ok(entities)
    }
}

impl Family for PatternsExtractor {
    const KIND: &'static str = "patterns";
    type Config = PatternsConfig;

    fn from_config(config: PatternsConfig, _ctx: &BuildContext<'_>) -> Result<Self> {
        PatternsExtractor::new(config)
    }
}

nerlab_plugin::export_plugin!(PatternsExtractor, labels = &LABELS);

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<(String, &str)> {
        let x = PatternsExtractor::new(PatternsConfig::default()).unwrap();
        x.extract(&Document::new("t", text)).unwrap().into_iter().map(|e| (e.label.to_string(), &text[e.start..e.end])).collect()
    }

    #[test]
    fn table_of_cases() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("Write to press@nato.int today.", &[("EMAIL", "press@nato.int")]),
            ("See https://www.nato.int/cps/en/natohq.htm.", &[("URL", "https://www.nato.int/cps/en/natohq.htm")]),
            ("(www.mid.ru, in Russian)", &[("URL", "www.mid.ru")]),
            ("Follow @mfa_russia and @NATO!", &[("HANDLE", "@mfa_russia"), ("HANDLE", "@NATO")]),
            ("a.b@example.com is not a handle", &[("EMAIL", "a.b@example.com")]),
            ("It cost 1,250,000.50 dollars, up 12.5% on 2020.", &[("NUMBER", "1,250,000.50"), ("NUMBER", "12.5%"), ("NUMBER", "2020")]),
            ("eight diplomats, 8 of them", &[("NUMBER", "8")]),
            ("mail x@y.org: https://y.org/x@y.org", &[("EMAIL", "x@y.org"), ("URL", "https://y.org/x@y.org")]),
            ("Москва 42 — Zoë@home", &[("NUMBER", "42")]),
            ("COVID19 and A4 are not numbers", &[]),
            ("", &[]),
        ];
        for (text, want) in cases {
            let got = spans(text);
            let want: Vec<(String, &str)> = want.iter().map(|(l, s)| (l.to_string(), *s)).collect();
            assert_eq!(got, want, "on {text:?}");
        }
    }

    #[test]
    fn label_subset_and_unknown_label() {
        let x = PatternsExtractor::new(PatternsConfig { labels: Some(vec!["URL".into()]) }).unwrap();
        let got = x.extract(&Document::new("t", "a@b.org at www.b.org")).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].label.as_str(), "URL");
        let err = PatternsExtractor::new(PatternsConfig { labels: Some(vec!["PER".into()]) }).unwrap_err();
        assert!(err.to_string().contains("unknown label \"PER\""), "{err}");
    }

    #[test]
    fn conformance() {
        nerlab_core::conformance::check_extractor(&PatternsExtractor::new(PatternsConfig::default()).unwrap());
    }
}
