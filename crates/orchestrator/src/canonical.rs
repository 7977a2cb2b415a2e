//! The canonicalisation stage in `nerlab eval`: after each extractor, its mentions are
//! clustered into entities across the corpus (`nerlab-canonical`), every prediction gets its
//! entity id, `entities/<extractor>.jsonl` is written beside the predictions, and where the
//! gold has canonical ids the linking is scored (`nerlab_core::coref`).

use std::path::Path;
use std::time::Instant;

use nerlab_canonical::Canonicalizer;
use nerlab_core::coref::{link_scores, CorefScores, MentionSet, Prf};
use nerlab_core::{AnnotatedDocument, Document, Entity, Label, Result};
use serde::Serialize;

use crate::report::Report;
use crate::Config;

/// One extractor's canonicalisation.
#[derive(Debug, Clone, Serialize)]
pub struct CanonicalReport {
    /// Seconds the stage took on this extractor's mentions.
    pub seconds: f64,
    /// Mentions canonicalised.
    pub mentions: usize,
    /// Entities found.
    pub entities: usize,
    /// Where `entities.jsonl` was written.
    pub entities_path: String,
    /// Linking scored end to end on the extractor's own mentions, when the gold has ids.
    pub end_to_end: Option<CorefScores>,
}

/// The stage `config` asks for, or `None` when `[canonicalize] enabled = false`.
///
/// # Errors
/// A bad `[canonicalize]` table or one of its files, naming the config.
pub fn build(config: &Config) -> Result<Option<Canonicalizer>> {
    if !config.canonicalize.enabled {
        return Ok(None);
    }
    Canonicalizer::from_config(&config.canonicalize, &config.base_dir()).map(Some).map_err(|e| {
        // Point at the file that is wrong (a gazetteer, a lexicon) or else at the config.
        let err = nerlab_core::Error::new(e.kind(), format!("[canonicalize]: {}", e.message())).with_path(e.path().unwrap_or(&config.path));
        match e.line() {
            Some(l) => err.with_line(l),
            None => err,
        }
    })
}

/// Whether the gold carries canonical ids to score against.
fn has_ids(gold: &[AnnotatedDocument]) -> bool {
    gold.iter().flat_map(|d| &d.entities).any(|e| e.canonical.is_some())
}

/// The linking step alone: the stage run on the gold mentions (their ids removed), scored
/// against the gold ids. `None` when the gold has no ids.
pub fn gold_mention_scores(canonicalizer: &Canonicalizer, gold: &[AnnotatedDocument]) -> Option<CorefScores> {
    if !has_ids(gold) {
        return None;
    }
    let documents: Vec<Document> = gold.iter().map(|d| d.document.clone()).collect();
    let mut mentions: Vec<Vec<Entity>> = gold
        .iter()
        .map(|d| {
            d.entities
                .iter()
                .cloned()
                .map(|mut e| {
                    e.canonical = None;
                    e
                })
                .collect()
        })
        .collect();
    canonicalizer.canonicalize(&documents, &mut mentions);
    Some(link_scores(gold, &mentions, &canonicalizer.config().labels, MentionSet::Gold))
}

/// Canonicalises one extractor's predictions in place, writes its `entities.jsonl` and
/// scores it end to end.
///
/// # Errors
/// When `entities.jsonl` cannot be written.
pub fn run(
    canonicalizer: &Canonicalizer,
    entities_path: &Path,
    documents: &[Document],
    predictions: &mut [Vec<Entity>],
    gold: &[AnnotatedDocument],
) -> Result<CanonicalReport> {
    let start = Instant::now();
    let entities = canonicalizer.canonicalize(documents, predictions);
    let seconds = start.elapsed().as_secs_f64();
    nerlab_canonical::write_jsonl(entities_path, &entities)?;
    let labels: &[Label] = &canonicalizer.config().labels;
    let mentions = predictions.iter().flatten().filter(|e| labels.contains(&e.label)).count();
    let end_to_end = has_ids(gold).then(|| link_scores(gold, predictions, labels, MentionSet::Predicted));
    Ok(CanonicalReport { seconds, mentions, entities: entities.len(), entities_path: entities_path.display().to_string(), end_to_end })
}

fn prf(p: &Prf) -> String {
    format!("{:.2} / {:.2} / {:.2}", 100.0 * p.precision, 100.0 * p.recall, 100.0 * p.f1)
}

/// What the canonicalisation table shows (plain text, readable as Markdown too).
pub const LEGEND: &str = "Mentions clustered into entities across all documents (crates/canonical). Scores: B³, MUC and
CEAF-e P / R / F1 against the gold canonical ids; the gold mentions row isolates the linking
step, the extractor rows are end to end (a predicted mention matching no gold span counts
against precision, a missed one against recall).
";

/// The report's canonicalisation table (header first), for the terminal and report.md alike;
/// `None` when the stage did not run.
pub fn table(report: &Report) -> Option<Vec<Vec<String>>> {
    if report.extractors.iter().all(|e| e.canonical.is_none()) {
        return None;
    }
    let header = ["run", "mentions → entities", "B³ P / R / F1", "MUC P / R / F1", "CEAF-e P / R / F1", "seconds"];
    let mut rows = vec![header.map(String::from).to_vec()];
    if let Some(g) = &report.canonical_gold_mentions {
        rows.push(vec![
            "gold mentions".into(),
            format!("{} → {} (gold {})", g.response_mentions, g.response_entities, g.key_entities),
            prf(&g.b_cubed),
            prf(&g.muc),
            prf(&g.ceaf_e),
            String::new(),
        ]);
    }
    for e in &report.extractors {
        let Some(c) = &e.canonical else { continue };
        let scores = match &c.end_to_end {
            Some(s) => [prf(&s.b_cubed), prf(&s.muc), prf(&s.ceaf_e)],
            None => ["n/a (no gold ids)".into(), String::new(), String::new()],
        };
        let mut row = vec![e.name.clone(), format!("{} → {}", c.mentions, c.entities)];
        row.extend(scores);
        row.push(format!("{:.3}", c.seconds));
        rows.push(row);
    }
    Some(rows)
}
