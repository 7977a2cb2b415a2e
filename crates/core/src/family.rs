//! What makes an extractor type a *family*: a `kind` name, a typed configuration and a
//! constructor from it.
//!
//! Every extractor kind a config file can name (`rules`, `dictionary`, `transformer`, `union`,
//! `plugin`, ...) is one type implementing [`Family`]. The orchestrator registers each with
//! one generic call and deserialises the `params` table of a config entry into
//! [`Family::Config`]; a plugin library exports a family type through the same trait. A
//! family that combines other extractors (a [`crate::union::Union`], an ensemble) builds them
//! by name through [`BuildContext::build_member`], so it needs no special case anywhere.
//!
//! ```
//! use nerlab_core::{BuildContext, Document, Entity, Extractor, Family, Label, Result};
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! #[serde(deny_unknown_fields)]
//! pub struct ShoutConfig {
//!     #[serde(default)]
//!     min_len: usize,
//! }
//!
//! pub struct Shout {
//!     min_len: usize,
//! }
//!
//! impl Extractor for Shout {
//!     fn name(&self) -> &str { "shout" }
//!     fn labels(&self) -> &[Label] { &[] }
//!     fn extract(&self, _doc: &Document) -> Result<Vec<Entity>> { Ok(vec![]) }
//! }
//!
//! impl Family for Shout {
//!     const KIND: &'static str = "shout";
//!     type Config = ShoutConfig;
//!     fn from_config(config: ShoutConfig, _ctx: &BuildContext<'_>) -> Result<Shout> {
//!         Ok(Shout { min_len: config.min_len })
//!     }
//! }
//! ```

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{Error, Extractor, Result};

/// An extractor family: the type behind one `kind` of the config file.
///
/// The invariant every family keeps: **everything it needs comes from its [`Family::Config`]
/// and the [`BuildContext`]**. So a family can be registered with one line, built from any
/// config entry, exported as a plugin, and its configuration written back to TOML.
pub trait Family: Extractor + Sized + 'static {
    /// The `kind` that names the family in a config file, e.g. `"rules"`.
    const KIND: &'static str;

    /// The family's parameters: the `params` table of a config entry. Unknown keys should be
    /// rejected (`#[serde(deny_unknown_fields)]`); `Serialize` writes a configuration back.
    type Config: DeserializeOwned + Serialize;

    /// Builds an extractor. Relative paths in `config` are resolved with
    /// [`BuildContext::resolve`].
    ///
    /// # Errors
    /// Invalid parameters, unreadable or invalid files they name, members that fail to build.
    fn from_config(config: Self::Config, ctx: &BuildContext<'_>) -> Result<Self>;
}

/// Builds the extractor a configuration names `name`; provided by whoever reads the
/// configuration (the orchestrator) so that families made of other extractors can build them.
pub trait MemberBuilder {
    /// Builds the configured extractor `name`. `ctx` is the context of the member itself
    /// (see [`BuildContext::build_member`]): pass it on so nested members keep cycle detection.
    ///
    /// # Errors
    /// No extractor of that name, or its own build error.
    fn build_member(&self, name: &str, ctx: &BuildContext<'_>) -> Result<Box<dyn Extractor>>;
}

/// What a [`Family::from_config`] may need beyond its own parameters.
#[derive(Clone)]
pub struct BuildContext<'a> {
    base_dir: PathBuf,
    /// The extractors being built, outermost first; the last is this one.
    chain: Vec<String>,
    members: Option<&'a dyn MemberBuilder>,
}

impl std::fmt::Debug for BuildContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuildContext")
            .field("base_dir", &self.base_dir)
            .field("chain", &self.chain)
            .field("members", &self.members.is_some())
            .finish()
    }
}

impl BuildContext<'static> {
    /// The context of the extractor `name` whose relative paths are relative to `base_dir`
    /// (the config file's directory), with no other extractors to build.
    pub fn new(base_dir: impl Into<PathBuf>, name: impl Into<String>) -> BuildContext<'static> {
        BuildContext { base_dir: base_dir.into(), chain: vec![name.into()], members: None }
    }
}

impl<'a> BuildContext<'a> {
    /// The same context, able to build other configured extractors through `members`.
    pub fn with_members<'b>(self, members: &'b dyn MemberBuilder) -> BuildContext<'b> {
        BuildContext { base_dir: self.base_dir, chain: self.chain, members: Some(members) }
    }

    /// The extractor's name in the config (its row in reports).
    pub fn name(&self) -> &str {
        self.chain.last().map(String::as_str).unwrap_or_default()
    }

    /// The directory relative paths are resolved from.
    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }

    /// Resolves `path` against [`BuildContext::base_dir`] unless it is absolute.
    pub fn resolve(&self, path: impl AsRef<Path>) -> PathBuf {
        let path = path.as_ref();
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.base_dir.join(path)
        }
    }

    /// Builds the configured extractor `name`, for families made of other extractors.
    ///
    /// # Errors
    /// When there is no [`MemberBuilder`] (a family built outside a configuration), when
    /// `name` is already being built (a cycle, shown as `a -> b -> a`), or the member's error.
    pub fn build_member(&self, name: &str) -> Result<Box<dyn Extractor>> {
        let Some(members) = self.members else {
            return Err(Error::config(format!("{:?} cannot build member {name:?}: no configuration to take it from", self.name())));
        };
        if self.chain.iter().any(|n| n == name) {
            return Err(Error::config(format!("members form a cycle: {} -> {name}", self.chain.join(" -> "))));
        }
        let mut chain = self.chain.clone();
        chain.push(name.to_string());
        let ctx = BuildContext { base_dir: self.base_dir.clone(), chain, members: self.members };
        members.build_member(name, &ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Document, Entity, Label};

    struct Named(String);

    impl Extractor for Named {
        fn name(&self) -> &str {
            &self.0
        }
        fn labels(&self) -> &[Label] {
            &[]
        }
        fn extract(&self, _: &Document) -> Result<Vec<Entity>> {
            Ok(Vec::new())
        }
    }

    /// `a` and `b` are made of each other; `leaf` of nothing.
    struct Graph;

    impl MemberBuilder for Graph {
        fn build_member(&self, name: &str, ctx: &BuildContext<'_>) -> Result<Box<dyn Extractor>> {
            assert_eq!(ctx.name(), name);
            match name {
                "a" => ctx.build_member("b"),
                "b" => ctx.build_member("a"),
                "leaf" => Ok(Box::new(Named(name.into()))),
                _ => Err(Error::config(format!("no extractor {name:?}"))),
            }
        }
    }

    #[test]
    fn resolves_relative_paths_only() {
        let ctx = BuildContext::new("conf", "x");
        assert_eq!(ctx.resolve("m/r.toml"), Path::new("conf/m/r.toml"));
        let abs = std::env::temp_dir();
        assert_eq!(ctx.resolve(&abs), abs);
        assert_eq!(ctx.name(), "x");
    }

    #[test]
    fn members_are_built_by_name_and_cycles_are_named() {
        let error = |r: Result<Box<dyn Extractor>>| r.err().expect("an error").to_string();
        let top = BuildContext::new(".", "top");
        assert!(error(top.build_member("leaf")).contains("no configuration"));
        let top = top.with_members(&Graph);
        assert_eq!(top.build_member("leaf").unwrap().name(), "leaf");
        let err = error(top.build_member("a"));
        assert!(err.contains("top -> a -> b -> a"), "{err}");
        let err = error(BuildContext::new(".", "top").with_members(&Graph).build_member("top"));
        assert!(err.contains("top -> top"), "{err}");
    }
}
