//! Configurations written back read the same: the shipped configs, the deprecated flat form,
//! and every family's parameters (read into its typed configuration, written, read again).

use std::path::{Path, PathBuf};

use nerlab_orchestrator::{Config, Params, Registry};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Parses `config` written back as TOML and checks it says the same.
fn assert_round_trips(config: &Config) -> Config {
    let written = config.to_toml().unwrap();
    let again = Config::parse(&written, &config.path).unwrap_or_else(|e| panic!("{e}\n{written}"));
    assert!(again.warnings.is_empty(), "written in the current form: {:?}", again.warnings);
    assert_eq!(again.to_toml().unwrap(), written);
    assert_eq!(again.corpora.keys().collect::<Vec<_>>(), config.corpora.keys().collect::<Vec<_>>());
    for (name, spec) in &config.corpora {
        assert_eq!((&again.corpora[name].path, &again.corpora[name].format), (&spec.path, &spec.format));
    }
    assert_eq!(again.extractors.len(), config.extractors.len());
    for (a, b) in config.extractors.iter().zip(&again.extractors) {
        assert_eq!((&a.name, &a.kind, a.enabled, a.threads, a.batch_size), (&b.name, &b.kind, b.enabled, b.threads, b.batch_size));
        assert_eq!(a.params, b.params, "extractor {}", a.name);
    }
    assert_eq!((again.eval.output_dir.as_path(), again.eval.predictions), (config.eval.output_dir.as_path(), config.eval.predictions));
    again
}

#[test]
fn shipped_configs_round_trip_and_every_family_reads_its_params() {
    let registry = Registry::builtin();
    let mut kinds = std::collections::BTreeSet::new();
    for file in ["nerlab.toml", "plugins.toml", "peers.toml", "backends.toml"] {
        let config = Config::load(&root().join(file)).unwrap();
        assert!(config.warnings.is_empty(), "{file} uses the current form: {:?}", config.warnings);
        assert!(config.extractors.iter().all(|s| !s.params.is_empty()), "{file}: every extractor has params");
        assert_round_trips(&config);
        for spec in &config.extractors {
            if !registry.kinds().any(|k| k == spec.kind) {
                continue; // the transformer without the `transformer` feature
            }
            kinds.insert(spec.kind.clone());
            let canonical = registry.canonical_params(&spec.kind, &config.params(spec)).unwrap_or_else(|e| panic!("{file}: {e}"));
            let again = registry.canonical_params(&spec.kind, &Params::new(&canonical)).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(canonical, again, "{file}: extractor {}", spec.name);
        }
    }
    assert!(["rules", "dictionary", "plugin", "command"].iter().all(|k| kinds.contains(*k)), "{kinds:?}");
}

#[test]
fn the_flat_form_is_read_with_a_warning_and_written_in_the_current_form() {
    let text = r#"
[[extractors]]
name = "r"
kind = "rules"
threads = 2
rules = "models/rules/news.toml"
labels = ["PER"]

[[extractors]]
name = "both"
kind = "union"
members = ["r"]
"#;
    let config = Config::parse(text, &root().join("flat.toml")).unwrap();
    assert_eq!(config.warnings.len(), 2, "{:?}", config.warnings);
    assert!(config.warnings[0].contains("flat.toml") && config.warnings[0].contains("labels, rules"), "{:?}", config.warnings);
    let again = assert_round_trips(&config);
    assert!(again.to_toml().unwrap().contains("[extractors.params]"), "{}", again.to_toml().unwrap());
    let union = Registry::builtin().canonical_params("union", &again.params(&again.extractors[1])).unwrap();
    assert_eq!(union.to_string(), "members = [\"r\"]\noverlap = \"longest\"\n");
}

#[test]
fn union_is_an_ordinary_registered_kind() {
    let kinds: Vec<String> = Registry::builtin().kinds().map(str::to_string).collect();
    for kind in ["command", "dictionary", "plugin", "rules", "union"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
}
