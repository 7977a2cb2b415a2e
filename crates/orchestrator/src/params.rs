//! An extractor's parameters, and where in the config file they were written.
//!
//! Parameters are read from the parsed TOML table. Only when that fails is the config text
//! read again, this time straight into the family's configuration type with toml's own
//! deserializer, which knows the line of every key and value: so every error inside
//! `params` names the file and line, like every other config error.

use std::marker::PhantomData;
use std::path::Path;

use nerlab_core::{Error, Result};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, IntoDeserializer, MapAccess, SeqAccess, Visitor};

/// The keys of an `[[extractors]]` entry that are not family parameters.
pub(crate) const SPEC_KEYS: [&str; 6] = ["name", "kind", "enabled", "threads", "batch_size", "params"];

/// The parameters of one extractor entry.
#[derive(Debug, Clone, Copy)]
pub struct Params<'a> {
    table: &'a toml::Table,
    source: Option<Source<'a>>,
}

/// Where a [`Params`] table was written.
#[derive(Debug, Clone, Copy)]
struct Source<'a> {
    text: &'a str,
    path: &'a Path,
    /// The entry's index in `extractors`.
    index: usize,
    /// Whether the parameters sit in the entry itself (the deprecated flat form) rather than
    /// in its `params` table.
    flat: bool,
}

impl<'a> Params<'a> {
    /// Parameters with no known origin (errors will not name a line).
    pub fn new(table: &'a toml::Table) -> Params<'a> {
        Params { table, source: None }
    }

    /// The parameters of entry `index` of `extractors` in the config `text` read from `path`;
    /// `flat` when they are written in the entry itself rather than in its `params` table.
    pub fn located(table: &'a toml::Table, text: &'a str, path: &'a Path, index: usize, flat: bool) -> Params<'a> {
        Params { table, source: Some(Source { text, path, index, flat }) }
    }

    /// The parameter table.
    pub fn table(&self) -> &'a toml::Table {
        self.table
    }

    /// Deserialises the parameters into `C`, the configuration of family `kind`.
    ///
    /// # Errors
    /// Invalid parameters: the message names the kind and, when the origin is known, the
    /// config file and the line of the offending key or value.
    pub fn deserialize<C: DeserializeOwned>(&self, kind: &str) -> Result<C> {
        let err = match toml::Value::Table(self.table.clone()).try_into::<C>() {
            Ok(config) => return Ok(config),
            Err(err) => err,
        };
        let plain = Error::config(format!("kind {kind:?}: {}", err.message().trim()));
        let Some(source) = self.source else {
            return Err(plain);
        };
        let seed = Root::<C> { index: source.index, flat: source.flat, config: PhantomData };
        match seed.deserialize(toml::Deserializer::new(source.text)) {
            Err(located) => Err(crate::config::located_error(&located, source.text, source.path).prefixed(&format!("kind {kind:?}: "))),
            // The text disagrees with the table it was parsed into (it was edited since):
            // report what the table said.
            Ok(()) => Err(plain.with_path(source.path)),
        }
    }
}

trait Prefixed {
    fn prefixed(self, prefix: &str) -> Self;
}

impl Prefixed for Error {
    fn prefixed(self, prefix: &str) -> Error {
        let mut err = Error::new(self.kind(), format!("{prefix}{}", self.message()));
        if let Some(p) = self.path() {
            err = err.with_path(p);
        }
        if let Some(l) = self.line() {
            err = err.with_line(l);
        }
        err
    }
}

/// Walks the config document to `extractors[index]` and deserialises its parameters as `C`.
struct Root<C> {
    index: usize,
    flat: bool,
    config: PhantomData<C>,
}

impl<'de, C: DeserializeOwned> DeserializeSeed<'de> for Root<C> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> std::result::Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, C: DeserializeOwned> Visitor<'de> for Root<C> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a config file")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "extractors" {
                map.next_value_seed(Entries::<C> { index: self.index, flat: self.flat, config: PhantomData })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// The `extractors` array.
struct Entries<C> {
    index: usize,
    flat: bool,
    config: PhantomData<C>,
}

impl<'de, C: DeserializeOwned> DeserializeSeed<'de> for Entries<C> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> std::result::Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, C: DeserializeOwned> Visitor<'de> for Entries<C> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of extractors")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let mut i = 0;
        loop {
            let more = if i == self.index {
                seq.next_element_seed(Entry::<C> { flat: self.flat, config: PhantomData })?.is_some()
            } else {
                seq.next_element::<IgnoredAny>()?.is_some()
            };
            if !more {
                return Ok(());
            }
            i += 1;
        }
    }
}

/// One `[[extractors]]` entry: its `params` table, or its own keys in the flat form.
struct Entry<C> {
    flat: bool,
    config: PhantomData<C>,
}

impl<'de, C: DeserializeOwned> DeserializeSeed<'de> for Entry<C> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> std::result::Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, C: DeserializeOwned> Visitor<'de> for Entry<C> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an extractor table")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        if self.flat {
            C::deserialize(de::value::MapAccessDeserializer::new(WithoutSpecKeys(map)))?;
            return Ok(());
        }
        while let Some(key) = map.next_key::<String>()? {
            if key == "params" {
                map.next_value::<C>()?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// An entry's keys other than [`SPEC_KEYS`]: the parameters of the flat form.
struct WithoutSpecKeys<A>(A);

impl<'de, A: MapAccess<'de>> MapAccess<'de> for WithoutSpecKeys<A> {
    type Error = A::Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> std::result::Result<Option<K::Value>, A::Error> {
        while let Some(key) = self.0.next_key::<String>()? {
            if SPEC_KEYS.contains(&key.as_str()) {
                self.0.next_value::<IgnoredAny>()?;
                continue;
            }
            return seed.deserialize(IntoDeserializer::<A::Error>::into_deserializer(key)).map(Some);
        }
        Ok(None)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> std::result::Result<V::Value, A::Error> {
        self.0.next_value_seed(seed)
    }
}
