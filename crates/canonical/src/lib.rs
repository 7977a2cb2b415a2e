//! Corpus-level canonicalisation: the mentions any extractor found, across all documents of a
//! run, clustered into entities, each with a stable id and a canonical name.
//!
//! `Sergey Lavrov`, `Sergei Lavrov` and `Lavrov` become `nerlab:sergey-lavrov`; `NATO`, `NA-TO`
//! and `North Atlantic Treaty Organization` become `nerlab:nato`. This is a *stage*, not an
//! extractor: it runs after any extractor (or union of extractors) and fills every mention's
//! [`Entity::canonical`]; the orchestrator calls it.
//!
//! # Evidence
//!
//! Each kind of evidence is a component of its own, tested on its own cases:
//!
//! 1. **Noisy text** — core's [`Normalizer`] repairs layout artefacts in the mention
//!    (`NA-TO` → `NATO`, `R-ussian` → `Russian`) when a lexicon is configured.
//! 2. **Folding** ([`fold`]) — Unicode compatibility decomposition, diacritics removed, case
//!    folded, punctuation dropped: `Grushkó`, `GRUSHKO` and `Grushko` compare equal.
//! 3. **Transliteration** ([`transliteration`]) — `Sergei`/`Sergey`, `-off`/`-ov`, from a
//!    small data file. Leading titles (`Minister Lavrov`) are dropped from person names.
//! 4. **Gazetteers** ([`gazetteer`]) — surfaces a gazetteer maps to one canonical
//!    (`Russian Federation`, `Russia` → `ISO3166-1:RU`).
//! 5. **Variants in the name itself** — the plural of a nationality or place
//!    (`Russians`, `Balkans`); the words of an organisation or event in another order
//!    (`Russia-NATO Council`); an acronym inside a name (`... Forces (INF) Treaty`).
//! 6. **Acronyms** ([`acronym`]) — `X (ABC)` or `ABC (X)` in the text; otherwise an acronym
//!    joins the one name of its label whose initials it is (`AP` ↔ `Associated Press`), and
//!    stays alone when there are several.
//! 7. **String similarity** ([`similarity`]) — Jaro-Winkler word by word, within blocks.
//! 8. **Partial names** — a person's surname (`Lavrov`) or an organisation's final words
//!    (`Foreign Ministry`) join the full name they end: the one in the same document when
//!    there is exactly one there, else the one in the corpus when there is exactly one, else
//!    nothing (two people sharing a surname stay apart).
//!
//! Evidence 1–7 is decided once per distinct `(label, surface)`, so the cost grows with the
//! number of distinct names, not mentions; 8 is decided per mention, with hashed lookups.
//!
//! # Within a label
//!
//! Clusters never cross labels: `Russia` (LOC) and `Russian` (MISC) are different entities,
//! as the annotation guidelines say. An extractor that types one acronym ORG in one place and
//! MISC in another gets two entities; merging across labels would also merge `Washington` the
//! city with `Washington` the person, a worse error.
//!
//! # Ids and names
//!
//! The name of an entity is its most frequent variant (for people, among the variants with
//! the most words: `Sergey Lavrov` over the more frequent `Lavrov`), preferring variants the
//! noisy-text repair leaves alone. Its id is `nerlab:` plus the slug of that name
//! (`nerlab:sergey-lavrov`), with the label appended when two labels' entities share a slug
//! (`nerlab:washington-per`). A gazetteer canonical found for it is kept beside
//! ([`CanonicalEntity::gazetteer`]). Ids depend on the corpus: the same name gives the same id
//! in every run over the same mentions.

#![deny(missing_docs)]

pub mod acronym;
pub mod fold;
pub mod gazetteer;
pub mod similarity;
pub mod threshold;
pub mod transliteration;

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use nerlab_core::normalize::{Lexicon, Normalizer};
use nerlab_core::{Document, Entity, Error, Label, Result};
use serde::{Deserialize, Serialize};

use crate::fold::{fold, slug};
use crate::gazetteer::Gazetteers;
use crate::transliteration::Transliteration;

/// The `[canonicalize]` table of a config. Paths are relative to the config file.
///
/// ```toml
/// [canonicalize]
/// enabled = true                                  # default
/// lexicon = "models/rules/english-words.txt"      # noisy-text repair (NA-TO); none by default
/// gazetteers = ["models/gazetteers/aliases.tsv"]  # canonical columns; none by default
/// transliteration = "my-names.tsv"                # default: the built-in table
/// similarity_threshold = 0.95                     # Jaro-Winkler, per word
/// acronyms = true
/// partial_names = true
/// labels = ["PER", "ORG", "LOC", "MISC"]          # others (DATE) are left alone
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Run the stage (on by default: it costs milliseconds per thousand mentions).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// A word list for core's noisy-text repair; none: no hyphen repair.
    #[serde(default)]
    pub lexicon: Option<PathBuf>,
    /// Gazetteers in the dictionary format whose canonical column is evidence, first wins.
    #[serde(default)]
    pub gazetteers: Vec<PathBuf>,
    /// A transliteration table; none: the built-in one.
    #[serde(default)]
    pub transliteration: Option<PathBuf>,
    /// Jaro-Winkler threshold per word, in `[0, 1]`; above 1 turns similarity off.
    #[serde(default = "default_threshold")]
    pub similarity_threshold: f64,
    /// Use acronym evidence.
    #[serde(default = "yes")]
    pub acronyms: bool,
    /// Resolve partial names.
    #[serde(default = "yes")]
    pub partial_names: bool,
    /// The labels whose mentions are canonicalised.
    #[serde(default = "default_labels")]
    pub labels: Vec<Label>,
}

fn yes() -> bool {
    true
}

fn default_threshold() -> f64 {
    similarity::DEFAULT_THRESHOLD
}

fn default_labels() -> Vec<Label> {
    Label::CONLL.to_vec()
}

impl Default for Config {
    fn default() -> Config {
        Config {
            enabled: true,
            lexicon: None,
            gazetteers: Vec::new(),
            transliteration: None,
            similarity_threshold: default_threshold(),
            acronyms: true,
            partial_names: true,
            labels: default_labels(),
        }
    }
}

/// Titles and roles dropped from the front of person names (`Minister Lavrov`).
const TITLES: &[&str] = &[
    "mr",
    "mrs",
    "ms",
    "miss",
    "dr",
    "prof",
    "professor",
    "sir",
    "dame",
    "lord",
    "lady",
    "president",
    "minister",
    "premier",
    "chancellor",
    "secretary",
    "general",
    "gen",
    "col",
    "colonel",
    "major",
    "captain",
    "capt",
    "lt",
    "sgt",
    "judge",
    "senator",
    "sen",
    "rep",
    "governor",
    "gov",
    "mayor",
    "king",
    "queen",
    "prince",
    "princess",
    "pope",
    "rev",
    "father",
    "sheikh",
    "ambassador",
    "deputy",
    "foreign",
    "prime",
    "vice",
    "chairman",
    "chief",
    "coach",
];

/// A built canonicaliser; [`Canonicalizer::canonicalize`] runs it over a corpus.
#[derive(Debug, Clone)]
pub struct Canonicalizer {
    config: Config,
    normalizer: Normalizer,
    transliteration: Transliteration,
    gazetteers: Gazetteers,
}

impl Canonicalizer {
    /// Builds the stage `config` describes; paths are relative to `base_dir`.
    ///
    /// # Errors
    /// An unreadable or malformed lexicon, gazetteer or transliteration file (naming it and
    /// the line); a threshold that is not a number ≥ 0.
    pub fn from_config(config: &Config, base_dir: &Path) -> Result<Canonicalizer> {
        if config.similarity_threshold.is_nan() || config.similarity_threshold < 0.0 {
            return Err(Error::config(format!(
                "canonicalize.similarity_threshold must be a number >= 0, got {}",
                config.similarity_threshold
            )));
        }
        let normalizer = match &config.lexicon {
            Some(p) => Normalizer::new(Lexicon::from_file(&base_dir.join(p))?),
            None => Normalizer::default(),
        };
        let transliteration = match &config.transliteration {
            Some(p) => Transliteration::from_file(&base_dir.join(p))?,
            None => Transliteration::builtin(),
        };
        let mut canonicalizer = Canonicalizer { config: config.clone(), normalizer, transliteration, gazetteers: Gazetteers::default() };
        let mut gazetteers = Gazetteers::default();
        for p in &config.gazetteers {
            gazetteers.add_file(&base_dir.join(p), |s| canonicalizer.words(s))?;
        }
        canonicalizer.gazetteers = gazetteers;
        Ok(canonicalizer)
    }

    /// A canonicaliser with the default config and no files: folding, the built-in
    /// transliteration table, acronyms, similarity and partial names.
    pub fn new() -> Canonicalizer {
        Canonicalizer::from_config(&Config::default(), Path::new(".")).expect("the default config needs no files")
    }

    /// The config it was built from.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Clusters the mentions of `entities` (one list per document of `documents`), sets every
    /// mention's [`Entity::canonical`] (labels outside the config's are left alone) and
    /// returns the entities, most mentioned first.
    ///
    /// # Panics
    /// When `documents` and `entities` differ in length.
    pub fn canonicalize(&self, documents: &[Document], entities: &mut [Vec<Entity>]) -> Vec<CanonicalEntity> {
        assert_eq!(documents.len(), entities.len(), "one entity list per document");
        let mut session = self.session();
        for (doc, ents) in documents.iter().zip(entities.iter()) {
            session.add_document(&doc.text, ents);
        }
        let linking = session.finish();
        for (d, ents) in entities.iter_mut().enumerate() {
            linking.apply(d, ents);
        }
        linking.entities
    }

    /// A session to feed documents to one at a time ([`Session::add_document`]), for input
    /// that does not fit in memory: it keeps the mentions' names, not the texts.
    pub fn session(&self) -> Session<'_> {
        Session {
            canonicalizer: self,
            labels: Vec::new(),
            forms: Vec::new(),
            index: HashMap::new(),
            documents: Vec::new(),
            form_pairs: Vec::new(),
            acronym_pairs: Vec::new(),
        }
    }

    /// The text of a name with layout artefacts repaired (`NA-TO` → `NATO`).
    fn repair(&self, surface: &str) -> String {
        if surface.contains(['-', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}']) {
            self.normalizer.normalize(surface).text
        } else {
            surface.to_string()
        }
    }

    /// Folded, transliterated words of `surface`, space-separated.
    fn words(&self, surface: &str) -> String {
        let folded = fold(surface);
        let mut out = String::with_capacity(folded.len());
        for (i, w) in folded.split(' ').enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(&self.transliteration.word(w));
        }
        out
    }

    /// The comparison key of a repaired surface: [`Canonicalizer::words`], without leading
    /// titles for people.
    fn key(&self, label: &Label, repaired: &str) -> String {
        let words = self.words(repaired);
        if *label != Label::PER {
            return words;
        }
        let mut rest = words.as_str();
        while let Some((first, tail)) = rest.split_once(' ') {
            if !TITLES.contains(&first) {
                break;
            }
            rest = tail;
        }
        rest.to_string()
    }
}

impl Default for Canonicalizer {
    fn default() -> Canonicalizer {
        Canonicalizer::new()
    }
}

/// One entity of the corpus: a line of `entities.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CanonicalEntity {
    /// Stable id, `nerlab:` + slug of the name.
    pub id: String,
    /// The canonical name.
    pub name: String,
    /// The label of all its mentions.
    pub label: Label,
    /// A gazetteer's canonical for it (`ISO3166-1:RU`, `North Atlantic Treaty Organization`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gazetteer: Option<String>,
    /// Number of mentions.
    pub mentions: usize,
    /// Number of documents it is mentioned in.
    pub documents: usize,
    /// The surfaces it was written as, most frequent first.
    pub variants: Vec<Variant>,
}

/// A surface of an entity and how often it occurs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    /// The text as in the documents.
    pub text: String,
    /// Number of mentions written so.
    pub count: usize,
}

/// Writes `entities` as JSON lines to `path`.
///
/// # Errors
/// I/O failures, naming the file.
pub fn write_jsonl(path: &Path, entities: &[CanonicalEntity]) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut out = std::io::BufWriter::new(file);
    for e in entities {
        let line = serde_json::to_string(e).map_err(|err| Error::format(err.to_string()))?;
        writeln!(out, "{line}").map_err(|err| Error::io(path, err))?;
    }
    out.flush().map_err(|err| Error::io(path, err))
}

/// A distinct `(label, surface)` of the corpus.
#[derive(Debug)]
struct Form {
    label: u16,
    surface: String,
    repaired: String,
    key: String,
    /// Written in the transliteration table's standard spelling (or in none of its groups).
    standard: bool,
}

/// Documents fed one at a time; [`Session::finish`] clusters them.
#[derive(Debug)]
pub struct Session<'a> {
    canonicalizer: &'a Canonicalizer,
    labels: Vec<Label>,
    forms: Vec<Form>,
    index: HashMap<(u16, String), usize>,
    /// Per document, per entity: its form, or `None` for labels left alone.
    documents: Vec<Vec<Option<usize>>>,
    /// Forms the text says are one (`X (ABC)` with both annotated).
    form_pairs: Vec<(usize, usize)>,
    /// A form and the folded acronym the text gives it (`X (ABC)`, `ABC` not annotated).
    acronym_pairs: Vec<(usize, String)>,
}

impl Session<'_> {
    /// Adds one document's mentions (and the `X (ABC)` patterns of its text); returns the
    /// document's index for [`Linking::apply`].
    pub fn add_document(&mut self, text: &str, entities: &[Entity]) -> usize {
        let forms: Vec<Option<usize>> = entities.iter().map(|e| self.form(e)).collect();
        if self.canonicalizer.config.acronyms {
            self.parenthesised(text, entities, &forms);
        }
        self.documents.push(forms);
        self.documents.len() - 1
    }

    fn form(&mut self, e: &Entity) -> Option<usize> {
        if !self.canonicalizer.config.labels.contains(&e.label) {
            return None;
        }
        let label = match self.labels.iter().position(|l| *l == e.label) {
            Some(i) => i as u16,
            None => {
                self.labels.push(e.label.clone());
                (self.labels.len() - 1) as u16
            }
        };
        if let Some(&f) = self.index.get(&(label, e.text.clone())) {
            return Some(f);
        }
        let repaired = self.canonicalizer.repair(&e.text);
        let key = self.canonicalizer.key(&e.label, &repaired);
        let standard = self.canonicalizer.words(&repaired) == fold(&repaired);
        self.forms.push(Form { label, surface: e.text.clone(), repaired, key, standard });
        self.index.insert((label, e.text.clone()), self.forms.len() - 1);
        Some(self.forms.len() - 1)
    }

    /// Records `X (ABC)` and `ABC (X)` where `X` is a mention.
    fn parenthesised(&mut self, text: &str, entities: &[Entity], forms: &[Option<usize>]) {
        let by_start: HashMap<usize, usize> = entities.iter().enumerate().map(|(i, e)| (e.start, i)).collect();
        for (i, e) in entities.iter().enumerate() {
            let Some(f) = forms[i] else { continue };
            let Some(acronym) = acronym::parenthesised_after(text, e.end) else {
                continue;
            };
            let acronym_start = acronym.as_ptr() as usize - text.as_ptr() as usize;
            let first = |s: &str| fold(s).chars().next();
            match by_start.get(&acronym_start).and_then(|&j| Some((j, forms[j]?))) {
                Some((j, g))
                    if entities[j].text == acronym && (first(&e.text) == first(acronym) || acronym::as_acronym(&e.text).is_some()) =>
                {
                    self.form_pairs.push((f, g));
                }
                _ if first(&e.text) == first(acronym) => {
                    self.acronym_pairs.push((f, fold(acronym).replace(' ', "")));
                }
                _ => {}
            }
        }
        // `ABC (Full Name)`: an acronym mention followed by a parenthesised mention.
        for (i, e) in entities.iter().enumerate() {
            let Some(f) = forms[i] else { continue };
            if acronym::as_acronym(&e.text).is_none() {
                continue;
            }
            let rest = &text[e.end..];
            let skip = if rest.starts_with(" (") {
                2
            } else if rest.starts_with('(') {
                1
            } else {
                continue;
            };
            if let Some(&j) = by_start.get(&(e.end + skip)) {
                let inner = &entities[j];
                if let Some(g) = forms[j] {
                    let closes = text[inner.end..].starts_with(')');
                    if closes && acronym::initials(&inner.text).iter().any(|i| Some(i) == acronym::as_acronym(&e.text).as_ref()) {
                        self.form_pairs.push((f, g));
                    }
                }
            }
        }
    }

    /// Clusters everything added so far.
    pub fn finish(self) -> Linking {
        let config = &self.canonicalizer.config;
        let forms = &self.forms;
        let mut sets = UnionFind::new(forms.len());
        let per = self.label_index(Label::PER);
        let org = self.label_index(Label::ORG);
        let by_key = self.union_keys_and_variants(&mut sets);
        let gazetteer_of = self.union_gazetteer_canonicals(&mut sets);
        if config.acronyms {
            self.union_acronyms(&mut sets, &by_key, per);
        }
        if config.similarity_threshold <= 1.0 {
            union_similar(forms, &mut sets, &by_key, config.similarity_threshold, per);
        }

        // 8: partial names, per mention.
        let roots: Vec<usize> = (0..forms.len()).map(|f| sets.find(f)).collect();
        let mut mention_root: Vec<Vec<Option<usize>>> =
            self.documents.iter().map(|doc| doc.iter().map(|f| f.map(|f| roots[f])).collect()).collect();
        if config.partial_names {
            resolve_partial_names(forms, &roots, &self.documents, &mut mention_root, &[per, org]);
        }

        let entities = build_entities(&self.labels, forms, &gazetteer_of, &self.documents, &mention_root);
        Linking { entities: entities.0, assignment: entities.1 }
    }

    /// The index of `wanted` among the session's labels, if it has been seen.
    fn label_index(&self, wanted: Label) -> Option<u16> {
        self.labels.iter().position(|l| *l == wanted).map(|i| i as u16)
    }

    /// Steps 2-5: forms with equal keys, and variants of the name itself (singulars, word
    /// order, inner acronyms); returns the first form of each key.
    fn union_keys_and_variants(&self, sets: &mut UnionFind) -> HashMap<(u16, &str), usize> {
        let forms = &self.forms;
        let mut by_key: HashMap<(u16, &str), usize> = HashMap::new();
        let mut alias_keys: Vec<(usize, (u16, String))> = Vec::new();
        let (org, loc, misc) = (self.label_index(Label::ORG), self.label_index(Label::LOC), self.label_index(Label::MISC));
        for (f, form) in forms.iter().enumerate() {
            if form.key.is_empty() {
                continue;
            }
            match by_key.get(&(form.label, form.key.as_str())) {
                Some(&g) => sets.union(f, g),
                None => {
                    by_key.insert((form.label, form.key.as_str()), f);
                }
            }
            let label = Some(form.label);
            if label == misc || label == loc {
                if let Some(singular) = form.key.strip_suffix('s').filter(|s| s.len() > 2 && !s.ends_with('s')) {
                    alias_keys.push((f, (form.label, singular.to_string())));
                }
            }
            if (label == org || label == misc) && form.key.contains(' ') {
                let mut words: Vec<&str> = form.key.split(' ').collect();
                words.sort_unstable();
                alias_keys.push((f, (form.label, format!("\u{1}{}", words.join(" ")))));
            }
            for variant in acronym::inner_variants(&form.repaired) {
                alias_keys.push((f, (form.label, self.canonicalizer.key(&self.labels[form.label as usize], &variant))));
            }
        }
        let mut by_alias: HashMap<&(u16, String), usize> = HashMap::new();
        for (f, alias) in &alias_keys {
            if let Some(&g) = by_key.get(&(alias.0, alias.1.as_str())) {
                sets.union(*f, g);
            }
            match by_alias.get(alias) {
                Some(&g) => sets.union(*f, g),
                None => {
                    by_alias.insert(alias, *f);
                }
            }
        }
        by_key
    }

    /// Step 4: forms the gazetteers give one canonical; returns each form's canonical.
    fn union_gazetteer_canonicals(&self, sets: &mut UnionFind) -> Vec<Option<&str>> {
        let forms = &self.forms;
        let mut gazetteer_of: Vec<Option<&str>> = vec![None; forms.len()];
        let mut by_canonical: HashMap<(u16, &str), usize> = HashMap::new();
        for (f, form) in forms.iter().enumerate() {
            let label = &self.labels[form.label as usize];
            let Some(c) = self.canonicalizer.gazetteers.get(label, &self.canonicalizer.words(&form.repaired)) else {
                continue;
            };
            gazetteer_of[f] = Some(c);
            match by_canonical.get(&(form.label, c)) {
                Some(&g) => sets.union(f, g),
                None => {
                    by_canonical.insert((form.label, c), f);
                }
            }
        }
        gazetteer_of
    }

    /// Step 6: acronyms, from the text, then by initials when unambiguous.
    fn union_acronyms(&self, sets: &mut UnionFind, by_key: &HashMap<(u16, &str), usize>, per: Option<u16>) {
        let forms = &self.forms;
        for &(f, g) in &self.form_pairs {
            if forms[f].label == forms[g].label {
                sets.union(f, g);
            }
        }
        for (f, acronym) in &self.acronym_pairs {
            if let Some(&g) = by_key.get(&(forms[*f].label, acronym.as_str())) {
                sets.union(*f, g);
            }
        }
        let mut by_initials: HashMap<(u16, String), Vec<usize>> = HashMap::new();
        for (f, form) in forms.iter().enumerate() {
            if Some(form.label) != per && acronym::as_acronym(&form.repaired).is_none() {
                for i in acronym::initials(&form.repaired) {
                    by_initials.entry((form.label, i)).or_default().push(f);
                }
            }
        }
        let mut merges = Vec::new();
        for (f, form) in forms.iter().enumerate() {
            if Some(form.label) == per {
                continue;
            }
            let Some(acronym) = acronym::as_acronym(&form.repaired) else {
                continue;
            };
            let Some(expansions) = by_initials.get(&(form.label, acronym)) else {
                continue;
            };
            let own = sets.find(f);
            let roots: HashSet<usize> = expansions.iter().map(|&g| sets.find(g)).filter(|&r| r != own).collect();
            if roots.len() == 1 && !expansions.iter().any(|&g| sets.find(g) == own) {
                merges.push((f, expansions[0]));
            }
        }
        for (f, g) in merges {
            sets.union(f, g);
        }
    }
}

/// Step 7: string similarity within blocks.
fn union_similar(forms: &[Form], sets: &mut UnionFind, by_key: &HashMap<(u16, &str), usize>, threshold: f64, per: Option<u16>) {
    // (label, block) -> forms.
    type Block = (u16, (usize, String, String));
    let mut blocks: HashMap<Block, Vec<usize>> = HashMap::new();
    for (&(label, key), &f) in by_key {
        blocks.entry((label, similarity::block(key))).or_default().push(f);
    }
    let mut merges = Vec::new();
    for ((label, _), members) in &blocks {
        for (i, &f) in members.iter().enumerate() {
            for &g in &members[i + 1..] {
                let (a, b) = (&forms[f].key, &forms[g].key);
                // A plural surname names a family (`the Kennedys`), not the person.
                if Some(*label) == per && similarity::plural_pair(a, b) {
                    continue;
                }
                if similarity::similar(a, b, threshold) {
                    merges.push((f, g));
                }
            }
        }
    }
    for (f, g) in merges {
        sets.union(f, g);
    }
}

/// Points short-name mentions (`Lavrov`) at the one full name they end (`Sergey Lavrov`): in
/// the same document if there is exactly one there, else in the corpus if exactly one.
fn resolve_partial_names(
    forms: &[Form],
    roots: &[usize],
    documents: &[Vec<Option<usize>>],
    mention_root: &mut [Vec<Option<usize>>],
    labels: &[Option<u16>],
) {
    let eligible = |f: &Form| labels.contains(&Some(f.label));
    // (label, final words) -> roots of the longer names ending with them.
    let mut by_suffix: HashMap<(u16, &str), Vec<usize>> = HashMap::new();
    for (f, form) in forms.iter().enumerate().filter(|(_, f)| eligible(f)) {
        let mut at = 0;
        while let Some(space) = form.key[at..].find(' ') {
            at += space + 1;
            let list = by_suffix.entry((form.label, &form.key[at..])).or_default();
            if !list.contains(&roots[f]) {
                list.push(roots[f]);
            }
        }
    }
    for (d, doc) in documents.iter().enumerate() {
        let present: HashSet<usize> = mention_root[d].iter().flatten().copied().collect();
        for (m, f) in doc.iter().enumerate() {
            let Some(f) = *f else { continue };
            let form = &forms[f];
            if !eligible(form) {
                continue;
            }
            let Some(candidates) = by_suffix.get(&(form.label, form.key.as_str())) else {
                continue;
            };
            if candidates.contains(&roots[f]) {
                continue; // already linked to a full name it ends
            }
            let local: Vec<usize> = candidates.iter().copied().filter(|r| present.contains(r)).collect();
            let target = match (local.len(), candidates.len()) {
                (1, _) => Some(local[0]),
                (0, 1) => Some(candidates[0]),
                _ => None,
            };
            if let Some(t) = target {
                mention_root[d][m] = Some(t);
            }
        }
    }
}

/// Groups mentions by final root into entities with names and ids; returns them (most
/// mentioned first) and, per document and mention, the entity index.
#[allow(clippy::type_complexity)]
fn build_entities(
    labels: &[Label],
    forms: &[Form],
    gazetteer_of: &[Option<&str>],
    documents: &[Vec<Option<usize>>],
    mention_root: &[Vec<Option<usize>>],
) -> (Vec<CanonicalEntity>, Vec<Vec<Option<usize>>>) {
    struct Acc {
        variants: HashMap<usize, usize>,
        mentions: usize,
        last_doc: usize,
        documents: usize,
        first_seen: (usize, usize),
    }
    let mut clusters: HashMap<usize, Acc> = HashMap::new();
    for (d, doc) in documents.iter().enumerate() {
        for (m, f) in doc.iter().enumerate() {
            let (Some(f), Some(root)) = (*f, mention_root[d][m]) else {
                continue;
            };
            let acc = clusters.entry(root).or_insert(Acc {
                variants: HashMap::new(),
                mentions: 0,
                last_doc: usize::MAX,
                documents: 0,
                first_seen: (d, m),
            });
            *acc.variants.entry(f).or_default() += 1;
            acc.mentions += 1;
            if acc.last_doc != d {
                acc.last_doc = d;
                acc.documents += 1;
            }
        }
    }
    let mut list: Vec<(usize, Acc)> = clusters.into_iter().collect();
    list.sort_by_key(|(_, a)| a.first_seen);
    let mut entities = Vec::with_capacity(list.len());
    let mut index_of_root: HashMap<usize, usize> = HashMap::new();
    for (root, acc) in &list {
        let mut variants: Vec<(usize, usize)> = acc.variants.iter().map(|(&f, &c)| (f, c)).collect();
        // Most frequent first; ties by text for determinism.
        variants.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| forms[a.0].surface.cmp(&forms[b.0].surface)));
        let label = labels[forms[variants[0].0].label as usize].clone();
        let name = best_name(&label, forms, &variants);
        let mut gazetteer_counts: HashMap<&str, usize> = HashMap::new();
        for &(f, c) in &variants {
            if let Some(g) = gazetteer_of[f] {
                *gazetteer_counts.entry(g).or_default() += c;
            }
        }
        let gazetteer = gazetteer_counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0))).map(|(g, _)| g.to_string());
        index_of_root.insert(*root, entities.len());
        entities.push(CanonicalEntity {
            id: String::new(),
            name,
            label,
            gazetteer,
            mentions: acc.mentions,
            documents: acc.documents,
            variants: variants.iter().map(|&(f, c)| Variant { text: forms[f].surface.clone(), count: c }).collect(),
        });
    }
    assign_ids(&mut entities);
    // Most mentioned first, keeping first-seen order among equals.
    let mut order: Vec<usize> = (0..entities.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(entities[i].mentions));
    let mut new_index = vec![0; entities.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    let mut slots: Vec<Option<CanonicalEntity>> = entities.into_iter().map(Some).collect();
    let entities: Vec<CanonicalEntity> = order.iter().map(|&i| slots[i].take().expect("each index once")).collect();
    let assignment = mention_root.iter().map(|doc| doc.iter().map(|r| r.map(|r| new_index[index_of_root[&r]])).collect()).collect();
    (entities, assignment)
}

/// The name of an entity: its most frequent variant, the one with more words on a tie (the
/// fuller name); for people only among the variants with the most words (full names over
/// surnames). Variants the noisy repair leaves alone and not in capitals where the same words
/// are also written otherwise (`London` over `LONDON`) come first, then those in the
/// transliteration table's standard spelling (`Sergey` over `Sergei`); repaired text when
/// every variant needed repair.
fn best_name(label: &Label, forms: &[Form], variants: &[(usize, usize)]) -> String {
    let words = |f: usize| forms[f].key.split(' ').count();
    let max_words = variants.iter().map(|&(f, _)| words(f)).max().unwrap_or(0);
    let mut candidates: Vec<(usize, usize)> =
        variants.iter().copied().filter(|&(f, _)| *label != Label::PER || words(f) == max_words).collect();
    // Stable: ties keep the variants' order (by text).
    candidates.sort_by_key(|&(f, count)| std::cmp::Reverse((count, words(f))));
    // A headline or dateline in capitals (`LONDON`) is not the standard spelling when the
    // same words are also written otherwise; an acronym (`NATO`) has no other writing.
    let shouted = |f: usize| {
        let upper = |s: &str| s.chars().any(char::is_alphabetic) && !s.chars().any(char::is_lowercase);
        upper(&forms[f].surface) && candidates.iter().any(|&(g, _)| forms[g].key == forms[f].key && !upper(&forms[g].surface))
    };
    let clean = |f: usize| forms[f].surface == forms[f].repaired && !shouted(f);
    let pick = candidates
        .iter()
        .find(|&&(f, _)| clean(f) && forms[f].standard)
        .or_else(|| candidates.iter().find(|&&(f, _)| clean(f)))
        .or_else(|| candidates.first());
    pick.map(|&(f, _)| forms[f].repaired.clone()).unwrap_or_default()
}

/// `nerlab:` + slug of the name; the label appended on a clash, then a counter.
fn assign_ids(entities: &mut [CanonicalEntity]) {
    let mut taken: HashSet<String> = HashSet::new();
    for e in entities.iter_mut() {
        let mut base = slug(&e.name);
        if base.is_empty() {
            // A name with nothing in ASCII (another script): a hash keeps it stable.
            base = format!("x{:016x}", fnv1a(&e.name));
        }
        let mut id = format!("nerlab:{base}");
        if taken.contains(&id) {
            id = format!("nerlab:{base}-{}", e.label.as_str().to_lowercase());
        }
        let mut n = 2;
        let stem = id.clone();
        while taken.contains(&id) {
            id = format!("{stem}-{n}");
            n += 1;
        }
        taken.insert(id.clone());
        e.id = id;
    }
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The result of a [`Session`]: the entities, and which one each mention names.
#[derive(Debug, Clone)]
pub struct Linking {
    /// The entities, most mentioned first.
    pub entities: Vec<CanonicalEntity>,
    assignment: Vec<Vec<Option<usize>>>,
}

impl Linking {
    /// Sets [`Entity::canonical`] on the mentions of document `document` (the index
    /// [`Session::add_document`] returned), which must be the same entities in the same
    /// order. Labels the stage leaves alone are not touched.
    ///
    /// # Panics
    /// When `document` was not added or `entities` has another length.
    pub fn apply(&self, document: usize, entities: &mut [Entity]) {
        let assigned = &self.assignment[document];
        assert_eq!(assigned.len(), entities.len(), "the entities added for document {document}");
        for (e, a) in entities.iter_mut().zip(assigned) {
            if let Some(i) = a {
                e.canonical = Some(self.entities[*i].id.clone());
            }
        }
    }

    /// The entity mention `mention` of document `document` names, if it was canonicalised.
    pub fn entity_of(&self, document: usize, mention: usize) -> Option<&CanonicalEntity> {
        self.assignment.get(document)?.get(mention).copied().flatten().map(|i| &self.entities[i])
    }
}

/// Disjoint sets over `0..n`, with path halving and union by size.
#[derive(Debug)]
struct UnionFind {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> UnionFind {
        UnionFind { parent: (0..n).collect(), size: vec![1; n] }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a] < self.size[b] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b] = a;
        self.size[a] += self.size[b];
    }
}
