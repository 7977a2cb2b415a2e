//! The report's analysis in text form: intervals, the cost table, significance and agreement
//! matrices, error classes and confusions.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use nerlab_core::analysis::{ErrorClass, Interval, PairedTest, OUTSIDE};

use super::{markdown_table, rate, ExtractorReport, Report};

/// A 0–1 score with its interval, in points: `89.21 [88.60, 89.80]`.
pub(super) fn with_interval(point: f64, i: &Interval) -> String {
    format!("{:.2} {}", 100.0 * point, interval(i))
}

/// An interval of 0–1 scores in points: `[88.60, 89.80]`.
pub(super) fn interval(i: &Interval) -> String {
    format!("[{:.2}, {:.2}]", 100.0 * i.low, 100.0 * i.high)
}

fn mib(m: Option<f64>) -> String {
    m.map(|m| format!("{m:.0}")).unwrap_or_else(|| "-".into())
}

/// A p-value for people: three decimals, or `< 0.001`.
fn p_value(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".into()
    } else {
        format!("{p:.3}")
    }
}

/// The column name of an error class.
fn class_name(c: ErrorClass) -> &'static str {
    match c {
        ErrorClass::BoundaryType => "boundary+type",
        other => other.as_str(),
    }
}

impl Report {
    /// The headline labels as one name: `PER/ORG/LOC/MISC`.
    pub(super) fn scope_name(&self) -> String {
        self.labels.iter().map(|l| l.as_str()).collect::<Vec<_>>().join("/")
    }

    /// The cost table as rows of cells, header first.
    pub(super) fn cost_table(&self) -> Vec<Vec<String>> {
        let header = [
            "extractor",
            "docs/s",
            "tokens/s (min-max)",
            "MB/s",
            "1-thread tokens/s",
            "threads",
            "load s",
            "1st pass s",
            "peak MiB",
            "+MiB",
        ];
        let mut rows = vec![header.map(String::from).to_vec()];
        for e in &self.extractors {
            let t = &e.throughput;
            rows.push(vec![
                e.name.clone(),
                rate(t.docs_per_second.median),
                format!("{} ({}-{})", rate(t.tokens_per_second.median), rate(t.tokens_per_second.min), rate(t.tokens_per_second.max)),
                // Slow extractors on small texts move a few kB/s: keep them distinguishable from 0.
                if t.mb_per_second.median >= 1.0 {
                    format!("{:.2}", t.mb_per_second.median)
                } else {
                    format!("{:.4}", t.mb_per_second.median)
                },
                t.single_thread.map(|r| rate(r.tokens_per_second)).unwrap_or_else(|| "-".into()),
                t.threads.to_string(),
                format!("{:.2}", e.load_seconds),
                format!("{:.2}", e.seconds),
                mib(e.memory.peak_mib),
                mib(e.memory.increase_mib),
            ]);
        }
        rows
    }

    /// What the columns mean.
    pub(super) fn legend(&self) -> String {
        let passes = self.extractors.first().map(|e| &e.throughput).map_or_else(String::new, |t| match t.processes {
            1 => format!("{} timed passes after a warm-up pass", t.repeats),
            n => format!("{} timed passes in {n} processes ({} each, after a warm-up)", t.repeats * n, t.repeats),
        });
        let baseline = self.extractors.iter().find_map(|e| e.memory.baseline_mib).or(self.process_baseline_mib);
        let own = self.extractors.iter().all(|e| e.memory.own_process);
        format!(
            "\n\
P/R/F1: strict (exact span and type) micro scores over {scope}, as conlleval; F1 with its
{conf:.0}% bootstrap interval over documents ({resamples} resamples, seed {seed}).
Per-label columns: strict F1; n/a where the extractor does not declare the label.
F1 declared: micro F1 over the labels the extractor declares that the gold annotates.
Throughput: median of {passes};
min-max over all of them in brackets (separate processes catch the spread between runs);
extraction only (load s is separate; 1st pass s is the warm-up over the whole corpus).
1-thread: one pass on a single thread{isolated}. peak MiB: peak resident memory {where_};
+MiB: its increase over the process baseline ({baseline} MiB: program, libraries, corpus).
",
            scope = self.scope_name(),
            conf = 100.0 * self.bootstrap.confidence,
            resamples = self.bootstrap.resamples,
            seed = self.bootstrap.seed,
            isolated = if own { " (every thread pool at one thread)" } else { " (calling threads only)" },
            where_ = if own { "of the extractor in a process of its own" } else { "while it was built and run" },
            baseline = mib(baseline),
        )
    }

    /// The test of `a` against `b`, in either order (a `b - a` test is the negation).
    fn test(&self, a: &str, b: &str) -> Option<PairedTest> {
        self.significance.iter().find_map(|s| {
            if s.a == a && s.b == b {
                Some(s.test)
            } else if s.a == b && s.b == a {
                let i = s.test.interval;
                Some(PairedTest { delta_f1: -s.test.delta_f1, interval: Interval { low: -i.high, high: -i.low }, ..s.test })
            } else {
                None
            }
        })
    }

    /// Plain sentences, under a heading, on which differences in F1 are significant.
    pub(super) fn significance_summary(&self) -> String {
        if self.significance.is_empty() {
            return String::new();
        }
        format!(
            "\nSignificance of F1 differences (paired approximate randomisation over {} documents):\n{}",
            self.documents,
            self.significance_sentences()
        )
    }

    /// One bullet per significant difference, and one for those that are not.
    fn significance_sentences(&self) -> String {
        let alpha = 1.0 - self.bootstrap.confidence;
        let mut out = String::new();
        let mut unclear = Vec::new();
        for s in &self.significance {
            let (better, worse, t) =
                if s.test.delta_f1 >= 0.0 { (&s.a, &s.b, s.test) } else { (&s.b, &s.a, self.test(&s.b, &s.a).unwrap_or(s.test)) };
            if t.significant {
                let _ = writeln!(
                    out,
                    "- {better} is better than {worse}: F1 {:+.2} points {}, p {}.",
                    100.0 * t.delta_f1,
                    interval(&t.interval),
                    p_value(t.p_value)
                );
            } else {
                unclear.push(format!("{} vs {} ({:+.2}, p {})", s.a, s.b, 100.0 * s.test.delta_f1, p_value(s.test.p_value)));
            }
        }
        if unclear.len() == self.significance.len() {
            let _ = writeln!(
                out,
                "- No difference is significant (p >= {alpha:.2} for every pair): on these {} documents the extractors are not distinguishable by F1. {}.",
                self.documents,
                unclear.join("; ")
            );
        } else if !unclear.is_empty() {
            let _ = writeln!(out, "- Not distinguishable (p >= {alpha:.2}): {}.", unclear.join("; "));
        }
        out
    }

    /// The significance and agreement matrices in Markdown.
    pub(super) fn markdown_sections(&self) -> String {
        let mut out = String::new();
        if self.extractors.len() > 1 {
            let _ = writeln!(out, "\n## Significance\n");
            let _ = writeln!(
                out,
                "Row minus column: difference in strict micro F1 over {} (points) and the two-sided p-value of approximate randomisation \
                 over documents ({} shuffles). **Bold**: significant at {:.2}; n.s.: not distinguishable on this corpus.\n",
                self.scope_name(),
                self.bootstrap.resamples,
                1.0 - self.bootstrap.confidence
            );
            let names: Vec<&str> = self.extractors.iter().map(|e| e.name.as_str()).collect();
            let mut rows = vec![std::iter::once(String::new()).chain(names.iter().map(|n| n.to_string())).collect::<Vec<_>>()];
            for a in &names {
                let mut row = vec![a.to_string()];
                for b in &names {
                    row.push(match self.test(a, b) {
                        None => "".into(),
                        Some(t) if t.significant => format!("**{:+.2}** (p {})", 100.0 * t.delta_f1, p_value(t.p_value)),
                        Some(t) => format!("{:+.2} (p {}), n.s.", 100.0 * t.delta_f1, p_value(t.p_value)),
                    });
                }
                rows.push(row);
            }
            out.push_str(&markdown_table(&rows));
            out.push('\n');
            out.push_str(&self.significance_sentences());
        }
        if self.agreement.names.len() > 1 {
            let _ = writeln!(out, "\n## Agreement\n");
            let _ = writeln!(
                out,
                "Strict micro F1 over {} of each output against each other (symmetric; the gold row is each extractor's F1). \
                 Low agreement between two good extractors means they make different mistakes: candidates to combine.\n",
                self.scope_name()
            );
            let mut rows = vec![std::iter::once(String::new()).chain(self.agreement.names.iter().cloned()).collect::<Vec<_>>()];
            for (name, values) in self.agreement.names.iter().zip(&self.agreement.f1) {
                rows.push(std::iter::once(name.clone()).chain(values.iter().map(|v| format!("{:.1}", 100.0 * v))).collect());
            }
            out.push_str(&markdown_table(&rows));
        }
        out
    }
}

/// One extractor's error classes per label and its label confusions, in Markdown.
pub(super) fn extractor_markdown(e: &ExtractorReport) -> String {
    let mut out = String::new();
    if e.errors.by_label.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "\nError classes (boundary: same type, overlapping span; type: same span; missed: no overlapping prediction; \
         spurious: no overlapping gold):\n"
    );
    let mut rows =
        vec![std::iter::once("label").chain(ErrorClass::ALL.iter().map(|&c| class_name(c))).map(String::from).collect::<Vec<_>>()];
    for (label, counts) in &e.errors.by_label {
        rows.push(
            std::iter::once(label.clone()).chain(ErrorClass::ALL.iter().map(|c| counts.get(c).copied().unwrap_or(0).to_string())).collect(),
        );
    }
    rows.push(std::iter::once("**all**".to_string()).chain(ErrorClass::ALL.iter().map(|&c| e.errors.total(c).to_string())).collect());
    out.push_str(&markdown_table(&rows));

    let mut columns: BTreeSet<&str> = e.errors.confusion.values().flat_map(|r| r.keys().map(String::as_str)).collect();
    columns.remove(OUTSIDE);
    let columns: Vec<&str> = columns.into_iter().chain(std::iter::once(OUTSIDE)).collect();
    let _ = writeln!(out, "\nConfusions (rows: gold label, columns: predicted label; {OUTSIDE}: none):\n");
    let mut rows = vec![std::iter::once("gold \\ predicted").chain(columns.iter().copied()).map(String::from).collect::<Vec<_>>()];
    let mut gold_rows: Vec<&String> = e.errors.confusion.keys().filter(|k| k.as_str() != OUTSIDE).collect();
    let outside = OUTSIDE.to_string();
    if e.errors.confusion.contains_key(OUTSIDE) {
        gold_rows.push(&outside);
    }
    for g in gold_rows {
        let row = &e.errors.confusion[g];
        rows.push(
            std::iter::once(g.clone()).chain(columns.iter().map(|c| row.get(*c).map(|n| n.to_string()).unwrap_or_default())).collect(),
        );
    }
    out.push_str(&markdown_table(&rows));
    out
}
