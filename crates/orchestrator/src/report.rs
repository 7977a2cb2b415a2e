//! The comparison report: one row per extractor, accuracy and throughput side by side.
//! The JSON form is documented in `docs/report-schema.md`.

mod sections;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use nerlab_core::analysis::{AgreementMatrix, BootstrapSettings, ErrorSummary, PairedTest, ScoreIntervals};
use nerlab_core::metrics::{Evaluation, Score};
use nerlab_core::Label;
use serde::Serialize;

use crate::measure::{MemoryUse, Throughput};
use crate::run::DocumentFailure;

/// Everything `nerlab eval` measured on one corpus.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The corpus name (or file stem).
    pub corpus: String,
    /// Where it was read from.
    pub corpus_path: String,
    /// Number of documents.
    pub documents: usize,
    /// Total UTF-8 bytes of text.
    pub bytes: usize,
    /// Total whitespace tokens.
    pub tokens: usize,
    /// Gold entities per label.
    pub gold_counts: BTreeMap<Label, usize>,
    /// One entry per extractor that could be built, in config order.
    pub extractors: Vec<ExtractorReport>,
    /// Extractors that could not be built.
    pub failed_extractors: Vec<ExtractorFailure>,
    /// Canonicalisation of the gold mentions scored against the gold ids (the linking step
    /// alone); `None` when the stage is off or the gold has no ids.
    pub canonical_gold_mentions: Option<nerlab_core::coref::CorefScores>,
    /// The labels the headline scores, intervals, significance and agreement cover
    /// (`[eval] labels`).
    pub labels: Vec<Label>,
    /// Settings of the confidence intervals and paired tests.
    pub bootstrap: BootstrapSettings,
    /// Resident memory of the `nerlab` process with the corpus loaded, before any extractor,
    /// in MiB.
    pub process_baseline_mib: Option<f64>,
    /// The paired test of every pair of extractors, `a` before `b` in report order.
    pub significance: Vec<Significance>,
    /// Strict-F1 agreement of every output with every other (`"gold"` first).
    pub agreement: AgreementMatrix,
}

/// The paired comparison of extractors `a` and `b` (`test.delta_f1` is `a - b`).
#[derive(Debug, Clone, Serialize)]
pub struct Significance {
    /// The first extractor's name.
    pub a: String,
    /// The second extractor's name.
    pub b: String,
    /// Difference, interval and p-value.
    pub test: PairedTest,
}

/// An extractor that could not be built.
#[derive(Debug, Clone, Serialize)]
pub struct ExtractorFailure {
    /// Its name in the config.
    pub name: String,
    /// Its kind.
    pub kind: String,
    /// Why.
    pub error: String,
}

/// One extractor's accuracy and cost on the corpus.
#[derive(Debug, Clone, Serialize)]
pub struct ExtractorReport {
    /// Its name in the config.
    pub name: String,
    /// Its kind.
    pub kind: String,
    /// The labels it declares.
    pub labels: Vec<Label>,
    /// Seconds spent building it (loading models, compiling automata).
    pub load_seconds: f64,
    /// Seconds of the first (warm-up) pass over the whole corpus.
    pub seconds: f64,
    /// Worker threads used.
    pub threads: usize,
    /// Documents per second (median of the timed passes, see `throughput`).
    pub docs_per_second: f64,
    /// Whitespace tokens per second (median).
    pub tokens_per_second: f64,
    /// Megabytes (10^6 bytes) of text per second (median).
    pub mb_per_second: f64,
    /// Peak resident memory of the process while building and running it, in MiB (see
    /// `memory` for the baseline and the increase).
    pub peak_rss_mib: Option<f64>,
    /// Documents it failed on.
    pub failed_documents: Vec<DocumentFailure>,
    /// Documents it answered only in part (an ensemble member that failed there).
    pub degraded_documents: Vec<nerlab_core::Warning>,
    /// Precision and recall at several score thresholds, for extractors that score entities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<Vec<crate::curve::ThresholdPoint>>,
    /// Strict scores over the four CoNLL labels, the standard headline number.
    pub conll: Evaluation,
    /// Strict scores over every label the gold or the extractor has.
    pub all_labels: Evaluation,
    /// Strict scores restricted to labels both declared by the extractor and annotated in the
    /// gold, so an extractor is not penalised for types it never claims to find.
    pub declared: Evaluation,
    /// Where its predictions were written.
    pub predictions: String,
    /// Its mentions canonicalised across the corpus; `None` when the stage is off.
    pub canonical: Option<crate::canonical::CanonicalReport>,
    /// Strict scores over the headline labels (`[eval] labels`), the P/R/F1 columns.
    pub headline: Evaluation,
    /// Bootstrap confidence intervals of the headline scores.
    pub intervals: ScoreIntervals,
    /// Error classes and label confusions over the headline labels and the gold's labels.
    pub errors: ErrorSummary,
    /// Repeated timed passes: median, range, single-thread figure.
    pub throughput: Throughput,
    /// Baseline, peak and increase of resident memory.
    pub memory: MemoryUse,
}

fn f1(s: Option<&Score>) -> String {
    s.map(|s| format!("{:.2}", 100.0 * s.f1)).unwrap_or_else(|| "-".into())
}

fn rate(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

impl Report {
    /// The labels that get a column: those in the gold, CoNLL's first, then the others.
    fn label_columns(&self) -> Vec<Label> {
        let mut labels: Vec<Label> = Label::CONLL.iter().filter(|l| self.gold_counts.contains_key(*l)).cloned().collect();
        labels.extend(self.gold_counts.keys().filter(|l| !Label::CONLL.contains(l)).cloned());
        labels
    }

    /// The accuracy table as rows of cells, header first (the cost table is
    /// [`Report::cost_table`]).
    fn table(&self) -> Vec<Vec<String>> {
        let labels = self.label_columns();
        let mut header: Vec<String> = vec!["extractor".into()];
        header.extend(labels.iter().map(|l| format!("{l} F1")));
        let ci = format!("F1 [{:.0}% CI]", 100.0 * self.bootstrap.confidence);
        header.extend(["P".to_string(), "R".to_string(), ci, "F1 declared".to_string(), "failed".to_string()]);
        let mut rows = vec![header];
        for e in &self.extractors {
            let mut row = vec![e.name.clone()];
            let declared: Vec<&Label> = e.labels.iter().collect();
            row.extend(labels.iter().map(|l| if declared.contains(&l) { f1(e.all_labels.per_label.get(l)) } else { "n/a".into() }));
            row.push(format!("{:.2}", 100.0 * e.headline.micro.precision));
            row.push(format!("{:.2}", 100.0 * e.headline.micro.recall));
            row.push(sections::with_interval(e.headline.micro.f1, &e.intervals.micro.f1));
            row.push(format!("{:.2}", 100.0 * e.declared.micro.f1));
            row.push(e.failed_documents.len().to_string());
            rows.push(row);
        }
        rows
    }

    /// The table aligned for a terminal, with a legend.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "corpus {} ({}): {} documents, {} tokens, {:.2} MB\n\n",
            self.corpus,
            self.corpus_path,
            self.documents,
            self.tokens,
            self.bytes as f64 / 1e6
        );
        out.push_str(&aligned(&self.table()));
        out.push('\n');
        out.push_str(&aligned(&self.cost_table()));
        out.push_str(&self.legend());
        out.push_str(&self.significance_summary());
        if let Some(rows) = crate::canonical::table(self) {
            out.push_str("\nCanonicalisation:\n");
            out.push_str(&aligned(&rows));
            out.push_str(crate::canonical::LEGEND);
        }
        for f in &self.failed_extractors {
            let _ = writeln!(out, "\nFAILED to build {} (kind {}): {}", f.name, f.kind, f.error);
        }
        for e in &self.extractors {
            for f in e.failed_documents.iter().take(5) {
                let _ = writeln!(out, "\n{}: document {} failed: {}", e.name, f.document, f.error);
            }
            if e.failed_documents.len() > 5 {
                let _ = writeln!(out, "{}: ... and {} more failed documents (see report.json)", e.name, e.failed_documents.len() - 5);
            }
            if !e.degraded_documents.is_empty() {
                let w = &e.degraded_documents[0];
                let _ = writeln!(
                    out,
                    "\n{}: {} document(s) answered without a failed member, e.g. {}: {} (see report.json)",
                    e.name,
                    e.degraded_documents.len(),
                    w.document,
                    w.message
                );
            }
        }
        out
    }

    /// The report as Markdown: the comparison table, then per-extractor details.
    pub fn to_markdown(&self) -> String {
        let rows = self.table();
        let mut out = format!(
            "# nerlab evaluation: {}\n\nCorpus `{}`: {} documents, {} whitespace tokens, {:.2} MB. Gold entities: {}.\n\n",
            self.corpus,
            self.corpus_path,
            self.documents,
            self.tokens,
            self.bytes as f64 / 1e6,
            self.gold_counts.iter().map(|(l, n)| format!("{l} {n}")).collect::<Vec<_>>().join(", ")
        );
        out.push_str(&markdown_table(&rows));
        out.push('\n');
        out.push_str(&markdown_table(&self.cost_table()));
        out.push('\n');
        out.push_str(&self.legend());
        out.push_str(&self.markdown_sections());
        if let Some(rows) = crate::canonical::table(self) {
            let _ = write!(out, "\n## Canonicalisation\n\n{}\n", crate::canonical::LEGEND);
            out.push_str(&markdown_table(&rows));
        }
        for f in &self.failed_extractors {
            let _ = writeln!(out, "\n**{}** (kind `{}`) could not be built: {}", f.name, f.kind, f.error);
        }
        for e in &self.extractors {
            let _ = writeln!(out, "\n## {} (kind `{}`)\n", e.name, e.kind);
            let _ = writeln!(
                out,
                "Declares {}. {:.3} s for {} documents ({} threads), loaded in {:.3} s. Predictions: `{}`.\n",
                e.labels.iter().map(Label::as_str).collect::<Vec<_>>().join(", "),
                e.seconds,
                self.documents,
                e.threads,
                e.load_seconds,
                e.predictions
            );
            let _ = writeln!(
                out,
                "| label | P | R | F1 | TP | FP | FN | F1 {:.0}% CI |\n|---|---|---|---|---|---|---|---|",
                100.0 * self.bootstrap.confidence
            );
            for (label, s) in &e.all_labels.per_label {
                let ci = e.intervals.per_label.get(label).map(|i| sections::interval(&i.f1)).unwrap_or_default();
                let _ = writeln!(out, "| {label} | {} | {ci} |", score_cells(s));
            }
            let _ = writeln!(
                out,
                "| **micro, {}** | {} | {} |",
                self.scope_name(),
                score_cells(&e.headline.micro),
                sections::interval(&e.intervals.micro.f1)
            );
            let _ = writeln!(out, "| **micro, CoNLL-4** | {} | |", score_cells(&e.conll.micro));
            let _ = writeln!(out, "| **micro, declared** | {} | |", score_cells(&e.declared.micro));
            let _ = writeln!(out, "| **micro, all labels** | {} | |", score_cells(&e.all_labels.micro));
            let m = &e.conll.macro_avg;
            let _ =
                writeln!(out, "| macro, CoNLL-4 | {:.2} | {:.2} | {:.2} | | | | |", 100.0 * m.precision, 100.0 * m.recall, 100.0 * m.f1);
            let s = &e.all_labels.schemes;
            let _ = writeln!(
                out,
                "\nnervaluate schemes, all labels (F1): strict {:.2}, exact {:.2}, partial {:.2}, type {:.2}.",
                100.0 * s.strict.f1,
                100.0 * s.exact.f1,
                100.0 * s.partial.f1,
                100.0 * s.ent_type.f1
            );
            out.push_str(&sections::extractor_markdown(e));
            if let Some(points) = &e.thresholds {
                out.push_str(&crate::curve::to_markdown(points));
            }
            if !e.degraded_documents.is_empty() {
                let _ = writeln!(out, "\n{} documents answered without a failed member:\n", e.degraded_documents.len());
                for w in &e.degraded_documents {
                    let _ = writeln!(out, "- `{}`: {}", w.document, w.message);
                }
            }
            if !e.failed_documents.is_empty() {
                let _ = writeln!(out, "\n{} failed documents:\n", e.failed_documents.len());
                for f in &e.failed_documents {
                    let _ = writeln!(out, "- `{}`: {}", f.document, f.error);
                }
            }
        }
        out
    }
}

fn score_cells(s: &Score) -> String {
    format!(
        "{:.2} | {:.2} | {:.2} | {} | {} | {}",
        100.0 * s.precision,
        100.0 * s.recall,
        100.0 * s.f1,
        s.true_positives,
        s.false_positives,
        s.false_negatives
    )
}

/// `rows` (header first) aligned in columns for a terminal: the first left, the others right.
fn aligned(rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    let widths: Vec<usize> = (0..rows[0].len()).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, w))| if c == 0 { format!("{cell:<w$}") } else { format!("{cell:>w$}") })
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
        if i == 0 {
            let _ = writeln!(out, "{}", "-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1)));
        }
    }
    out
}

/// `rows` (header first) as a Markdown table.
fn markdown_table(rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let _ = writeln!(out, "| {} |", row.join(" | "));
        if i == 0 {
            let _ = writeln!(out, "|{}", "---|".repeat(row.len()));
        }
    }
    out
}
