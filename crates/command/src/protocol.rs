//! The wire format: one JSON object per line, in both directions (see the crate README).
//!
//! Decoding is split in two so that a broken answer is blamed as narrowly as possible: an
//! answer whose `id` can be read is attributed to that document even when the rest of it is
//! wrong ([`Answer::id`], then [`Decoder::entities`]); a line without a readable `id` breaks
//! the stream and is handled by the caller (restart, then retry one document at a time).

use std::collections::BTreeMap;

use nerlab_core::offsets::CharByteMap;
use nerlab_core::{check_span, Document, Entity, Error, Label, Result};
use serde::{Deserialize, Serialize};

/// The protocol version this crate speaks; a tool announces the one it speaks in its handshake.
pub const PROTOCOL_VERSION: u64 = 1;

/// How the tool counts offsets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OffsetUnit {
    /// UTF-8 byte offsets, as nerlab counts them (the default).
    #[default]
    Bytes,
    /// Unicode scalar values (code points), as Python's `str` indices count them.
    Chars,
}

impl OffsetUnit {
    /// The name used in configs: `bytes` or `chars`.
    pub fn name(self) -> &'static str {
        match self {
            OffsetUnit::Bytes => "bytes",
            OffsetUnit::Chars => "chars",
        }
    }
}

/// One document sent to the tool.
#[derive(Serialize)]
pub(crate) struct Request<'a> {
    pub id: &'a str,
    pub text: &'a str,
}

impl Request<'_> {
    /// The request as one line, newline included.
    pub fn line(document: &Document) -> Vec<u8> {
        let mut line = serde_json::to_vec(&Request { id: &document.id, text: &document.text }).expect("a string pair always serialises");
        line.push(b'\n');
        line
    }
}

/// The tool's first line: `{"nerlab_protocol": 1, "labels": [...], "name": "..."}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Handshake {
    /// The protocol version the tool speaks.
    pub nerlab_protocol: u64,
    /// The labels the tool can produce (its own names, before `label_map`), if it says.
    #[serde(default)]
    pub labels: Option<Vec<String>>,
    /// A free description of the tool and its model, for error messages.
    #[serde(default)]
    pub name: Option<String>,
}

impl Handshake {
    /// Parses and checks the handshake line.
    ///
    /// # Errors
    /// When the line is not a handshake or announces a version this crate does not speak.
    pub fn parse(line: &[u8]) -> Result<Handshake> {
        let handshake: Handshake = serde_json::from_slice(line).map_err(|e| {
            Error::format(format!(
                "the first line must be the handshake {{\"nerlab_protocol\": {PROTOCOL_VERSION}}}, got {} ({e})",
                quote(line)
            ))
        })?;
        if handshake.nerlab_protocol != PROTOCOL_VERSION {
            return Err(Error::format(format!(
                "the tool speaks protocol version {}, nerlab speaks {PROTOCOL_VERSION}",
                handshake.nerlab_protocol
            )));
        }
        Ok(handshake)
    }
}

/// Just the `id` of an answer, read first so that the rest can be blamed on that document.
#[derive(Deserialize)]
struct AnswerId {
    id: String,
}

/// An answer line: `{"id", "entities": [...]}` or `{"id", "error": "..."}`.
#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    entities: Option<Vec<WireEntity>>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct WireEntity {
    start: usize,
    end: usize,
    label: String,
    /// Optional: when present it must equal the text the span covers (catches offsets in the
    /// wrong unit early).
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    score: Option<f32>,
}

/// The `id` of an answer line, or `None` when the line has none (garbage).
pub(crate) fn answer_id(line: &[u8]) -> Option<String> {
    serde_json::from_slice::<AnswerId>(line).ok().map(|a| a.id)
}

/// Turns the tool's answers into nerlab entities: offsets, labels, validation.
#[derive(Debug, Clone)]
pub struct Decoder {
    /// The unit of the tool's offsets.
    pub offsets: OffsetUnit,
    /// Renames of the tool's labels.
    pub label_map: BTreeMap<String, String>,
    /// When set, entities whose (mapped) label is not listed are dropped.
    pub keep: Option<Vec<Label>>,
}

impl Decoder {
    /// The label an entity of the tool's label `raw` gets, or `None` when it is filtered out.
    ///
    /// # Errors
    /// When the mapped label is not a valid label name.
    pub fn label(&self, raw: &str) -> Result<Option<Label>> {
        let name = self.label_map.get(raw).map_or(raw, String::as_str);
        let label = Label::new(name)?;
        Ok(match &self.keep {
            Some(keep) if !keep.contains(&label) => None,
            _ => Some(label),
        })
    }

    /// The entities of `document` from the tool's answer `line`, sorted by `(start, end)`.
    ///
    /// # Errors
    /// A malformed answer, an error the tool reported, or a span that is out of bounds, not
    /// on character boundaries or whose `text` disagrees with the document.
    pub fn entities(&self, document: &Document, line: &[u8]) -> Result<Vec<Entity>> {
        let answer: Answer = serde_json::from_slice(line).map_err(|e| Error::format(format!("malformed answer {}: {e}", quote(line))))?;
        if let Some(error) = answer.error {
            return Err(Error::extraction(format!("the tool reported: {error}")));
        }
        let wire = answer.entities.ok_or_else(|| Error::format(format!("answer without \"entities\": {}", quote(line))))?;
        let chars = (self.offsets == OffsetUnit::Chars).then(|| CharByteMap::new(&document.text));
        let mut entities = Vec::with_capacity(wire.len());
        for w in wire {
            let (start, end) = match &chars {
                None => (w.start, w.end),
                Some(map) => match (map.to_byte(w.start), map.to_byte(w.end)) {
                    (Some(s), Some(e)) => (s, e),
                    _ => {
                        return Err(Error::new(
                            nerlab_core::ErrorKind::InvalidSpan,
                            format!("character span {}..{} is out of bounds (text has {} characters)", w.start, w.end, map.char_len()),
                        ))
                    }
                },
            };
            check_span(&document.text, start, end)?;
            let covered = &document.text[start..end];
            if let Some(text) = &w.text {
                if text != covered {
                    return Err(Error::new(
                        nerlab_core::ErrorKind::InvalidSpan,
                        format!(
                            "span {}..{} ({} offsets) covers {covered:?} but the tool says {text:?}",
                            w.start,
                            w.end,
                            self.offsets.name()
                        ),
                    ));
                }
            }
            let Some(label) = self.label(&w.label)? else { continue };
            let mut entity = Entity::new(&document.text, start, end, label)?;
            entity.score = w.score;
            entities.push(entity);
        }
        entities.sort_by_key(|e| (e.start, e.end));
        Ok(entities)
    }
}

/// A line for an error message: lossy UTF-8, cut to a readable length.
pub(crate) fn quote(line: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end();
    if text.chars().count() <= MAX {
        format!("{text:?}")
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut:?}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoder(offsets: OffsetUnit) -> Decoder {
        Decoder {
            offsets,
            label_map: [("PERSON".to_string(), "PER".to_string())].into_iter().collect(),
            keep: Some(vec![Label::PER, Label::LOC]),
        }
    }

    #[test]
    fn chars_are_converted_to_bytes_and_labels_mapped_or_dropped() {
        let doc = Document::new("d", "Zoë met Łukasz in Kraków");
        let line = br#"{"id":"d","entities":[{"start":18,"end":24,"label":"LOC","text":"Krak\u00f3w"},{"start":0,"end":3,"label":"PERSON"},{"start":8,"end":14,"label":"CARDINAL"}]}"#;
        let entities = decoder(OffsetUnit::Chars).entities(&doc, line).unwrap();
        let got: Vec<(&str, &str)> = entities.iter().map(|e| (e.text.as_str(), e.label.as_str())).collect();
        assert_eq!(got, [("Zoë", "PER"), ("Kraków", "LOC")]);
        assert_eq!((entities[1].start, entities[1].end), (20, 27));
    }

    #[test]
    fn character_offsets_read_as_bytes_are_caught() {
        let doc = Document::new("d", "Łódź met Zoë");
        // Characters 0..3 are "Łód"; as bytes they cut "ó" in half.
        let line = br#"{"id":"d","entities":[{"start":0,"end":3,"label":"PERSON"}]}"#;
        let err = decoder(OffsetUnit::Bytes).entities(&doc, line).unwrap_err();
        assert!(err.to_string().contains("character boundaries"), "{err}");
        // Byte offsets read as characters: with a text field, a span on boundaries is checked too.
        let line = br#"{"id":"d","entities":[{"start":8,"end":11,"label":"PERSON","text":"met"}]}"#;
        let err = decoder(OffsetUnit::Chars).entities(&doc, line).unwrap_err();
        assert!(err.to_string().contains("but the tool says \"met\""), "{err}");
    }

    #[test]
    fn tool_errors_and_malformed_answers_are_errors() {
        let doc = Document::new("d", "text");
        let d = decoder(OffsetUnit::Bytes);
        assert!(d.entities(&doc, br#"{"id":"d","error":"model exploded"}"#).unwrap_err().to_string().contains("model exploded"));
        assert!(d.entities(&doc, br#"{"id":"d"}"#).unwrap_err().to_string().contains("without \"entities\""));
        assert!(d.entities(&doc, br#"{"id":"d","entities":[{"start":0}]}"#).unwrap_err().to_string().contains("malformed"));
        assert!(d.entities(&doc, br#"{"id":"d","entities":[{"start":2,"end":9,"label":"PER"}]}"#).is_err());
        assert_eq!(answer_id(br#"{"id":"d","entities":7}"#).as_deref(), Some("d"));
        assert_eq!(answer_id(b"Loading model..."), None);
    }

    #[test]
    fn handshake_versions_are_checked() {
        assert!(Handshake::parse(br#"{"nerlab_protocol":1,"labels":["PERSON"]}"#).is_ok());
        let err = Handshake::parse(br#"{"nerlab_protocol":2}"#).unwrap_err();
        assert!(err.to_string().contains("version 2"), "{err}");
        let err = Handshake::parse(br#"{"id":"x","entities":[]}"#).unwrap_err();
        assert!(err.to_string().contains("handshake"), "{err}");
    }
}
