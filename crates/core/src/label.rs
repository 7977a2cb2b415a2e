//! Entity labels: an open set of short upper-case names.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An entity type such as `PER` or `DATE`.
///
/// The set is open: any non-empty name without whitespace is a label, so corpora and
/// extractors can bring their own. The standard ones are associated constants.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(Cow<'static, str>);

impl Label {
    /// A named person.
    pub const PER: Label = Label(Cow::Borrowed("PER"));
    /// A named organisation.
    pub const ORG: Label = Label(Cow::Borrowed("ORG"));
    /// A named place.
    pub const LOC: Label = Label(Cow::Borrowed("LOC"));
    /// Other names: nationalities, events, laws, products, works.
    pub const MISC: Label = Label(Cow::Borrowed("MISC"));
    /// An explicit calendar expression (not part of CoNLL-2003).
    pub const DATE: Label = Label(Cow::Borrowed("DATE"));

    /// The four CoNLL-2003 labels, the default scope of reported scores.
    pub const CONLL: [Label; 4] = [Label::PER, Label::ORG, Label::LOC, Label::MISC];

    /// Parses a label name.
    ///
    /// # Errors
    /// When `name` is empty or contains whitespace.
    pub fn new(name: &str) -> crate::Result<Label> {
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            return Err(crate::Error::format(format!("invalid label {name:?}: must be non-empty, without whitespace")));
        }
        Ok(match name {
            "PER" => Label::PER,
            "ORG" => Label::ORG,
            "LOC" => Label::LOC,
            "MISC" => Label::MISC,
            "DATE" => Label::DATE,
            other => Label(Cow::Owned(other.to_string())),
        })
    }

    /// The label's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Label {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Label> {
        Label::new(s)
    }
}

impl Serialize for Label {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Label {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Label, D::Error> {
        let s = String::deserialize(d)?;
        Label::new(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_labels_are_shared_and_open_set_works() {
        assert_eq!(Label::new("PER").unwrap(), Label::PER);
        assert_eq!(Label::new("EMAIL").unwrap().as_str(), "EMAIL");
        assert!(Label::new("").is_err());
        assert!(Label::new("A B").is_err());
    }

    #[test]
    fn serde_is_a_plain_string() {
        let json = serde_json::to_string(&Label::ORG).unwrap();
        assert_eq!(json, "\"ORG\"");
        let back: Label = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Label::ORG);
        assert!(serde_json::from_str::<Label>("\"\"").is_err());
    }
}
