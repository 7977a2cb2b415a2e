//! The learning curve's results, `curve.json` (docs/curve-schema.md): what `cargo xtask curve`
//! writes and what the HTML report of the dev corpus shows, one definition for both.
//!
//! [`Curve::verdicts`] answers the two questions a curve is drawn for: how much annotation
//! until a learned extractor beats the untrained ones, and is more annotation still paying?

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::analysis::{BootstrapSettings, Interval};

/// Strict micro scores of one extractor on the dev corpus (0-1 scale, as report.json).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// Strict micro precision over the curve's labels.
    pub precision: f64,
    /// Strict micro recall.
    pub recall: f64,
    /// Strict micro F1.
    pub f1: f64,
    /// Percentile-bootstrap interval of the F1 over dev documents.
    pub f1_interval: Interval,
    /// Strict F1 per label.
    pub per_label: std::collections::BTreeMap<String, f64>,
    /// Predictions matching a gold entity exactly.
    pub true_positives: usize,
    /// Predictions matching none.
    pub false_positives: usize,
    /// Gold entities no prediction matches.
    pub false_negatives: usize,
    /// Dev documents the extractor returned nothing for (failed; scored as no predictions).
    pub failed_documents: usize,
}

/// One fraction of the training corpus and what the extractor learnt from it scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// The share of the training documents.
    pub fraction: f64,
    /// Training documents.
    pub documents: usize,
    /// Gold entities of the curve's labels in them: the x axis.
    pub entities: usize,
    /// Seconds spent training (transformer) or building the gazetteer (dictionary).
    pub seconds: f64,
    /// The scores; absent when training or extraction failed.
    pub score: Option<Score>,
    /// Why there is no score.
    pub error: Option<String>,
}

/// An extractor learnt at each fraction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Learned {
    /// `transformer` or `dictionary`.
    pub name: String,
    /// One point per fraction, smallest first.
    pub points: Vec<Point>,
}

/// A configured extractor the curve does not train, scored once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flat {
    /// Its name in the config.
    pub name: String,
    /// Its kind.
    pub kind: String,
    /// The scores; absent when it failed.
    pub score: Option<Score>,
    /// Why there is no score.
    pub error: Option<String>,
}

/// A corpus as the curve used it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorpusInfo {
    /// Its config name or file stem.
    pub name: String,
    /// Where it was read from.
    pub path: String,
    /// Documents used.
    pub documents: usize,
    /// Gold entities of the curve's labels in them.
    pub entities: usize,
}

/// `curve.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// The training corpus (all of it).
    pub train: CorpusInfo,
    /// The dev corpus as scored (a sample with `--quick`).
    pub dev: CorpusInfo,
    /// The labels trained and scored.
    pub labels: Vec<String>,
    /// The fractions of the training documents.
    pub fractions: Vec<f64>,
    /// Seed of the document order the fractions are prefixes of.
    pub seed: u64,
    /// Epochs and steps asked of the trainer (null: its defaults), and `--quick`.
    pub epochs: Option<usize>,
    /// At most this many optimiser steps per fraction.
    pub max_steps: Option<usize>,
    /// Whether dev was sampled and steps capped.
    pub quick: bool,
    /// Settings of the intervals.
    pub bootstrap: BootstrapSettings,
    /// The extractors learnt at each fraction.
    pub learned: Vec<Learned>,
    /// The untrained extractors.
    pub flat: Vec<Flat>,
    /// Wall-clock seconds of the whole run so far.
    pub seconds: f64,
}

impl Curve {
    /// The untrained extractor to beat: the flat line with the highest F1.
    pub fn best_flat(&self) -> Option<(&Flat, &Score)> {
        self.flat.iter().filter_map(|f| Some((f, f.score.as_ref()?))).max_by(|a, b| a.1.f1.total_cmp(&b.1.f1))
    }

    /// For each learned extractor with scored points, where it passes the best flat line and
    /// what its last step gained.
    pub fn verdicts(&self) -> Vec<Verdict> {
        let target = self.best_flat();
        self.learned
            .iter()
            .filter_map(|series| {
                let scored: Vec<(&Point, &Score)> = series.points.iter().filter_map(|p| Some((p, p.score.as_ref()?))).collect();
                let &(last, last_score) = scored.last()?;
                let passes = |clearly: bool| {
                    let (_, flat) = target?;
                    scored
                        .iter()
                        .find(|(_, s)| if clearly { s.f1_interval.low > flat.f1_interval.high } else { s.f1 > flat.f1 })
                        .map(|(p, _)| Crossing { fraction: p.fraction, entities: p.entities })
                };
                let last_step = scored.len().checked_sub(2).map(|i| {
                    let (before, before_score) = scored[i];
                    Step {
                        from_entities: before.entities,
                        to_entities: last.entities,
                        gain: last_score.f1 - before_score.f1,
                        clear: last_score.f1_interval.low > before_score.f1_interval.high
                            || last_score.f1_interval.high < before_score.f1_interval.low,
                    }
                });
                Some(Verdict {
                    learned: series.name.clone(),
                    flat: target.map(|(f, s)| (f.name.clone(), s.f1)),
                    passes: passes(false),
                    clearly_passes: passes(true),
                    last_f1: last_score.f1,
                    last_step,
                })
            })
            .collect()
    }
}

/// What one learned extractor's curve says (see [`Curve::verdicts`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The learned extractor.
    pub learned: String,
    /// The best flat line, name and F1, if any was scored.
    pub flat: Option<(String, f64)>,
    /// The smallest fraction whose F1 is above the flat line's.
    pub passes: Option<Crossing>,
    /// The smallest fraction whose whole interval lies above the flat line's interval.
    pub clearly_passes: Option<Crossing>,
    /// F1 at the largest scored fraction.
    pub last_f1: f64,
    /// The step between the two largest scored fractions.
    pub last_step: Option<Step>,
}

/// A point of a curve: its fraction and its annotated entities.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Crossing {
    /// Share of the training documents.
    pub fraction: f64,
    /// Annotated entities in them.
    pub entities: usize,
}

/// The change of F1 between two fractions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// Entities at the smaller fraction.
    pub from_entities: usize,
    /// Entities at the larger one.
    pub to_entities: usize,
    /// F1 difference (0-1 scale).
    pub gain: f64,
    /// Whether the two intervals are disjoint, a conservative sign that the change is real.
    pub clear: bool,
}

impl Verdict {
    /// One plain sentence, e.g. "transformer passes rules (74.5) at 2380 annotated entities
    /// (10%), intervals apart; the last step (11750 → 23499 entities) changed F1 by +0.9, not
    /// distinguishable from noise (the intervals overlap)."
    pub fn sentence(&self) -> String {
        let at = |c: &Crossing| format!("{} annotated entities ({}%)", c.entities, percent_label(c.fraction));
        let mut out = String::new();
        match (&self.flat, &self.passes) {
            (None, _) => {
                let _ = write!(out, "{} reaches {:.1} F1", self.learned, 100.0 * self.last_f1);
            }
            (Some((flat, f1)), None) => {
                let _ = write!(out, "{} stays below {flat} ({:.1}) at every fraction scored", self.learned, 100.0 * f1);
            }
            (Some((flat, f1)), Some(p)) => {
                let _ = write!(out, "{} passes {flat} ({:.1}) at {}", self.learned, 100.0 * f1, at(p));
                match &self.clearly_passes {
                    Some(c) if c == p => out.push_str(", intervals apart"),
                    Some(c) => {
                        let _ = write!(out, ", with intervals apart from {}", at(c));
                    }
                    None => out.push_str(", never with intervals apart"),
                }
            }
        }
        match &self.last_step {
            Some(s) => {
                let _ = write!(
                    out,
                    "; the last step ({} → {} entities) changed F1 by {:+.1}, {}.",
                    s.from_entities,
                    s.to_entities,
                    100.0 * s.gain,
                    match (s.clear, s.gain > 0.0) {
                        (true, true) => "intervals apart: more annotation is still paying",
                        (true, false) => "intervals apart: it got worse, look at the new annotation",
                        // Two separate intervals over the same documents: a conservative
                        // test, so an overlap says "not shown", not "no gain".
                        (false, _) => "not distinguishable from noise (the intervals overlap)",
                    }
                );
            }
            None => out.push('.'),
        }
        out
    }
}

/// A fraction as a percentage for people: `10`, `12.5`.
pub fn percent_label(fraction: f64) -> String {
    let p = 100.0 * fraction;
    if (p - p.round()).abs() < 1e-9 {
        format!("{p:.0}")
    } else {
        format!("{p:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(f1: f64, low: f64, high: f64) -> Score {
        Score {
            precision: f1,
            recall: f1,
            f1,
            f1_interval: Interval { low, high },
            per_label: Default::default(),
            true_positives: 0,
            false_positives: 0,
            false_negatives: 0,
            failed_documents: 0,
        }
    }

    fn point(fraction: f64, entities: usize, s: Option<Score>) -> Point {
        Point { fraction, documents: 0, entities, seconds: 0.0, score: s, error: None }
    }

    fn curve(points: Vec<Point>, flats: Vec<(&str, Option<Score>)>) -> Curve {
        let info = CorpusInfo { name: "c".into(), path: "c".into(), documents: 0, entities: 0 };
        Curve {
            train: info.clone(),
            dev: info,
            labels: vec!["PER".into()],
            fractions: vec![],
            seed: 0,
            epochs: None,
            max_steps: None,
            quick: false,
            bootstrap: BootstrapSettings::default(),
            learned: vec![Learned { name: "transformer".into(), points }],
            flat: flats.into_iter().map(|(n, s)| Flat { name: n.into(), kind: "rules".into(), score: s, error: None }).collect(),
            seconds: 0.0,
        }
    }

    #[test]
    fn the_learned_extractor_passes_the_best_flat_line_then_clearly() {
        let c = curve(
            vec![
                point(0.1, 100, Some(score(0.60, 0.55, 0.65))),
                point(0.25, 250, Some(score(0.72, 0.68, 0.76))),
                point(0.5, 500, Some(score(0.80, 0.77, 0.83))),
                point(1.0, 1000, Some(score(0.81, 0.78, 0.84))),
            ],
            // The best flat line is the second (0.70), not the first.
            vec![("weak", Some(score(0.50, 0.45, 0.55))), ("rules", Some(score(0.70, 0.67, 0.73))), ("broken", None)],
        );
        let v = &c.verdicts()[0];
        assert_eq!(v.flat, Some(("rules".to_string(), 0.70)));
        assert_eq!(v.passes, Some(Crossing { fraction: 0.25, entities: 250 }));
        assert_eq!(v.clearly_passes, Some(Crossing { fraction: 0.5, entities: 500 }));
        let step = v.last_step.unwrap();
        assert_eq!((step.from_entities, step.to_entities, step.clear), (500, 1000, false));
        assert!((step.gain - 0.01).abs() < 1e-12);
        let s = v.sentence();
        assert!(s.starts_with("transformer passes rules (70.0) at 250 annotated entities (25%)"), "{s}");
        assert!(s.contains("from 500 annotated entities (50%)") && s.contains("+1.0") && s.contains("not distinguishable"), "{s}");
    }

    #[test]
    fn failed_points_are_skipped_and_a_curve_below_the_line_says_so() {
        let c = curve(
            vec![point(0.1, 10, Some(score(0.20, 0.10, 0.30))), point(0.5, 50, Some(score(0.50, 0.45, 0.55))), point(1.0, 99, None)],
            vec![("rules", Some(score(0.70, 0.67, 0.73)))],
        );
        let v = &c.verdicts()[0];
        assert_eq!((v.passes, v.clearly_passes), (None, None));
        assert_eq!(v.last_f1, 0.50);
        let step = v.last_step.unwrap();
        assert!(step.clear && (step.to_entities, step.from_entities) == (50, 10));
        let s = v.sentence();
        assert!(s.contains("stays below rules (70.0)") && s.contains("still paying"), "{s}");
    }

    #[test]
    fn without_flat_lines_or_scores() {
        let c = curve(vec![point(1.0, 10, Some(score(0.4, 0.3, 0.5)))], vec![]);
        assert_eq!(c.verdicts()[0].sentence(), "transformer reaches 40.0 F1.");
        assert!(curve(vec![point(1.0, 10, None)], vec![]).verdicts().is_empty());
    }
}
