//! `report.html`: the comparison report a person opens, and `pareto.svg`.
//!
//! One self-contained file (inline CSS, JS and SVG; nothing fetched from the network) rendered
//! with a minijinja template from `templates/`. The tables, the Pareto plot and the matrices
//! are rendered here; the error-class browser and the document view are drawn in the browser
//! from one compact JSON block holding every document's text, its gold entities and each
//! extractor's predictions with their error classes ([`nerlab_core::analysis::classify`]).
//! Only the selected document is rendered, so a corpus of thousands of documents stays a few
//! megabytes and opens in a moment.
//!
//! Offsets in the JSON block are UTF-16 code units, the unit of JavaScript strings, converted
//! here from the byte offsets of [`Entity`] so the page never slices text in the middle of a
//! character.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use minijinja::{context, Environment};
use nerlab_core::analysis::{classify, ErrorClass, Interval};
use nerlab_core::learning_curve::{percent_label, Curve, Score};
use nerlab_core::{AnnotatedDocument, Entity, Error, Label, Result};
use serde::Serialize;

use crate::measure::Spread;
use crate::pareto::{self, ParetoPoint};
use crate::report::{ExtractorReport, Report};

const TEMPLATE: &str = include_str!("../templates/report.html");
const CSS: &str = include_str!("../templates/report.css");
const JS: &str = include_str!("../templates/report.js");

/// Extractor colours (Tableau 10), in config order; the plot and the tables share them.
const EXTRACTOR_COLOURS: [&str; 10] =
    ["#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#bab0ac"];

/// Label colours as (background, border) pairs, in label order (CoNLL's four first).
const LABEL_COLOURS: [(&str, &str); 10] = [
    ("#dbe8fb", "#2b63c6"),
    ("#ffe6cc", "#d26a00"),
    ("#d9f2dc", "#23863a"),
    ("#efe1fb", "#8a3fc2"),
    ("#fdf1b8", "#a77d00"),
    ("#fbdde9", "#c22a6b"),
    ("#cff1ee", "#0e8378"),
    ("#e3e7ee", "#4a5565"),
    ("#fde0dc", "#c3352b"),
    ("#e7f5c8", "#5d8a00"),
];

/// The files of the visual report, as (file name, contents), for the caller to write beside
/// `report.md`: `report.html` and `pareto.svg`.
///
/// `gold` is the corpus as read; `outputs[i]` are the name of `report.extractors[i]` and its
/// entities per document, in corpus order.
///
/// # Errors
/// When the template cannot be rendered or the plot drawn (a bug, not bad input).
/// `curve`, when given, becomes the "Learning curve" section.
pub fn render(
    report: &Report,
    gold: &[AnnotatedDocument],
    outputs: &[(String, Vec<Vec<Entity>>)],
    curve: Option<&LearningCurve>,
) -> Result<Vec<(&'static str, String)>> {
    let predictions: Vec<&[Vec<Entity>]> = outputs.iter().map(|(_, p)| p.as_slice()).collect();
    let predictions = predictions.as_slice();
    let labels = label_order(report, gold, predictions);
    let svg = pareto_plot(report)?;
    let data = page_data(report, gold, predictions, &labels);
    let json = serde_json::to_string(&data).map_err(|e| Error::format(e.to_string()))?;
    // `<` only occurs inside JSON strings, where `\u003c` means the same; this keeps a
    // document containing `</script>` from ending the data block.
    let json = json.replace('<', "\\u003c");

    let mut env = Environment::new();
    env.add_template("report.html", TEMPLATE).map_err(template_error)?;
    let page = env
        .get_template("report.html")
        .and_then(|t| {
            t.render(context! {
                version => env!("CARGO_PKG_VERSION"),
                corpus => &report.corpus,
                corpus_path => &report.corpus_path,
                documents => report.documents,
                tokens => report.tokens,
                megabytes => format!("{:.2}", report.bytes as f64 / 1e6),
                gold_counts => gold_chips(report, &labels),
                labels => label_styles(&labels),
                scope => scope_text(report),
                intervals_note => intervals_note(report),
                baseline => report.process_baseline_mib.map(|m| format!("{m:.0}")),
                failed_extractors => &report.failed_extractors,
                pareto_note => PARETO_NOTE,
                pareto_svg => &svg,
                summary => summary_table(report),
                summary_note => "Best value of each accuracy column in bold.",
                summary_legend => SUMMARY_LEGEND,
                thresholds => threshold_tables(report),
                significance => significance(report),
                agreement => agreement(report),
                curve => curve.map(LearningCurve::view),
                css => CSS,
                js => JS,
                data => json,
            })
        })
        .map_err(template_error)?;
    Ok(vec![("report.html", page), ("pareto.svg", svg)])
}

/// A learning curve (`cargo xtask curve`) of the report's corpus: `curve.json` and the
/// `curve.svg` drawn with it.
#[derive(Debug, Clone)]
pub struct LearningCurve {
    /// The directory read.
    pub dir: PathBuf,
    /// The curve, or why `curve.json` could not be read (shown in the section, not fatal).
    pub curve: std::result::Result<Curve, String>,
    /// `curve.svg`, when present.
    pub svg: Option<String>,
}

impl LearningCurve {
    /// The curve in `dir` if its dev corpus is `corpus`; `None` when there is none or it was
    /// scored on another corpus. An unreadable `curve.json` is returned with its error, so the
    /// report says so instead of silently leaving the section out.
    pub fn find(dir: &Path, corpus: &str) -> Option<LearningCurve> {
        let path = dir.join("curve.json");
        let curve = match std::fs::read_to_string(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => Err(format!("{}: {e}", path.display())),
            // The dev corpus's name first, so a curve of another corpus that this version
            // cannot read does not show up as an error in every report.
            Ok(text) => match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(value) if value["dev"]["name"].as_str().is_some_and(|name| name != corpus) => return None,
                parsed => parsed.and_then(serde_json::from_value::<Curve>).map_err(|e| format!("{}: {e}", path.display())),
            },
        };
        let svg = std::fs::read_to_string(dir.join("curve.svg")).ok().filter(|s| s.trim_start().starts_with("<svg"));
        Some(LearningCurve { dir: dir.to_path_buf(), curve, svg })
    }

    fn view(&self) -> CurveView {
        let mut view = CurveView { dir: self.dir.display().to_string(), svg: self.svg.clone(), ..CurveView::default() };
        let curve = match &self.curve {
            Ok(c) => c,
            Err(e) => {
                view.error = Some(e.clone());
                return view;
            }
        };
        let f1 = |s: &Option<Score>| match s {
            Some(s) => format!("{} [{}, {}]", percent(s.f1), percent(s.f1_interval.low), percent(s.f1_interval.high)),
            None => "failed".into(),
        };
        view.verdicts = curve.verdicts().iter().map(|v| v.sentence()).collect();
        view.header = ["training fraction", "documents", "entities"].map(String::from).to_vec();
        view.header.extend(curve.learned.iter().map(|s| format!("{} F1", s.name)));
        let fractions = curve.learned.iter().map(|s| s.points.len()).max().unwrap_or(0);
        for i in 0..fractions {
            let Some(first) = curve.learned.iter().find_map(|s| s.points.get(i)) else { continue };
            let mut row = vec![format!("{}%", percent_label(first.fraction)), first.documents.to_string(), first.entities.to_string()];
            row.extend(curve.learned.iter().map(|s| s.points.get(i).map_or_else(|| "not run".into(), |p| f1(&p.score))));
            view.rows.push(row);
        }
        view.flat = curve.flat.iter().map(|f| (format!("{} ({})", f.name, f.kind), f1(&f.score))).collect();
        view.flat_span = view.header.len().saturating_sub(3).max(1);
        view.note = format!(
            "Trained on growing, nested fractions of {} ({} documents, {} entities of {}); scored on {}{} with the same strict scorer as above. {} min in all.",
            curve.train.name,
            curve.train.documents,
            curve.train.entities,
            curve.labels.join(", "),
            curve.dev.name,
            if curve.quick { format!(" (a sample of {} documents: --quick)", curve.dev.documents) } else { String::new() },
            (curve.seconds / 60.0).round()
        );
        view
    }
}

/// The "Learning curve" section.
#[derive(Serialize, Default)]
struct CurveView {
    dir: String,
    svg: Option<String>,
    error: Option<String>,
    verdicts: Vec<String>,
    note: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    flat: Vec<(String, String)>,
    /// Columns a flat line's score spans (the learned extractors' columns).
    flat_span: usize,
}

fn template_error(e: minijinja::Error) -> Error {
    Error::format(format!("report.html template: {e:#}"))
}

const PARETO_NOTE: &str = "Filled points are on the Pareto front (dashed): no other extractor is both faster and more \
accurate. Throughput counts extraction only, on the threads shown in the summary.";

const SUMMARY_LEGEND: &str = "P/R/F1: strict micro scores (exact span and type) over the headline labels, with \
their confidence intervals below. Per-label columns: strict F1; n/a where the extractor does not declare the label. \
F1 declared: micro F1 over the labels the extractor declares that the gold annotates. Throughput: median of the \
timed passes (in separate processes, each after a warm-up), min–max over all of them below; load time excluded. \
MiB: what building and running the extractor added to the process, its peak below.";

/// Labels in display order: CoNLL's four (when present), then the gold's other labels, then
/// labels only predictions use.
fn label_order(report: &Report, gold: &[AnnotatedDocument], predictions: &[&[Vec<Entity>]]) -> Vec<Label> {
    let mut seen: Vec<Label> = Label::CONLL.iter().filter(|l| report.gold_counts.contains_key(*l)).cloned().collect();
    let mut add = |l: &Label| {
        if !seen.contains(l) {
            seen.push(l.clone());
        }
    };
    report.gold_counts.keys().for_each(&mut add);
    gold.iter().flat_map(|d| &d.entities).for_each(|e| add(&e.label));
    predictions.iter().copied().flatten().flatten().for_each(|e| add(&e.label));
    seen
}

#[derive(Serialize)]
struct LabelStyle {
    name: String,
    colour: &'static str,
    dark: &'static str,
}

fn label_styles(labels: &[Label]) -> Vec<LabelStyle> {
    labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let (colour, dark) = LABEL_COLOURS[i % LABEL_COLOURS.len()];
            LabelStyle { name: l.to_string(), colour, dark }
        })
        .collect()
}

#[derive(Serialize)]
struct GoldChip {
    label: String,
    count: usize,
    index: usize,
}

fn gold_chips(report: &Report, labels: &[Label]) -> Vec<GoldChip> {
    labels
        .iter()
        .enumerate()
        .filter_map(|(index, l)| report.gold_counts.get(l).map(|&count| GoldChip { label: l.to_string(), count, index }))
        .collect()
}

fn extractor_colour(i: usize) -> &'static str {
    EXTRACTOR_COLOURS[i % EXTRACTOR_COLOURS.len()]
}

fn pareto_plot(report: &Report) -> Result<String> {
    let points: Vec<ParetoPoint> = report
        .extractors
        .iter()
        .enumerate()
        .map(|(i, e)| ParetoPoint {
            name: e.name.clone(),
            throughput: e.throughput.tokens_per_second.median,
            throughput_range: Some((e.throughput.tokens_per_second.min, e.throughput.tokens_per_second.max)),
            f1: 100.0 * e.headline.micro.f1,
            f1_interval: Some((100.0 * e.intervals.micro.f1.low, 100.0 * e.intervals.micro.f1.high)),
            colour: extractor_colour(i).to_string(),
        })
        .collect();
    let axes = pareto::Axes {
        caption: format!("Accuracy vs throughput · {} ({} documents)", report.corpus, report.documents),
        x: "throughput, whitespace tokens per second (log scale)".into(),
        y: format!("strict micro F1 (%), {}", scope_text(report)),
    };
    pareto::pareto_svg(&points, &axes)
}

/// A table cell: its text, an optional second line (an interval), the value it sorts by.
#[derive(Serialize)]
struct Cell {
    text: String,
    sub: Option<String>,
    sort: String,
    class: Option<&'static str>,
    colour: Option<&'static str>,
}

impl Cell {
    fn number(value: f64, text: String) -> Cell {
        Cell { text, sub: None, sort: format!("{value}"), class: None, colour: None }
    }
    fn missing(text: &str) -> Cell {
        Cell { text: text.into(), sub: None, sort: String::new(), class: Some("na"), colour: None }
    }
}

#[derive(Serialize)]
struct Head {
    text: String,
    title: String,
}

#[derive(Serialize)]
struct Table {
    header: Vec<Head>,
    rows: Vec<Vec<Cell>>,
}

fn percent(x: f64) -> String {
    format!("{:.2}", 100.0 * x)
}

fn rate(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

fn scope_text(report: &Report) -> String {
    report.labels.iter().map(Label::as_str).collect::<Vec<_>>().join(", ")
}

fn intervals_note(report: &Report) -> String {
    let b = &report.bootstrap;
    format!(
        "intervals are {:.0}% percentile-bootstrap intervals over documents ({} resamples, seed {})",
        100.0 * b.confidence,
        b.resamples,
        b.seed
    )
}

fn interval(i: &Interval) -> String {
    format!("{:.2}–{:.2}", 100.0 * i.low, 100.0 * i.high)
}

fn spread(s: &Spread) -> String {
    format!("{}–{}", rate(s.min), rate(s.max))
}

/// One extractor's precision and recall by score threshold.
#[derive(Serialize)]
struct ThresholdTable {
    name: String,
    colour: &'static str,
    /// Threshold, kept, P, R, F1, and whether the row has the best F1.
    rows: Vec<(String, usize, String, String, String, bool)>,
}

/// A table for each extractor that scores its entities (the transformer, ensembles): what
/// keeping only confident entities trades, as report.md shows it.
fn threshold_tables(report: &Report) -> Vec<ThresholdTable> {
    let tables = report.extractors.iter().enumerate().filter_map(|(i, e)| {
        let points = e.thresholds.as_ref()?;
        let best = points.iter().map(|p| p.f1).fold(f64::NEG_INFINITY, f64::max);
        let rows = points
            .iter()
            .map(|p| (format!("{:.2}", p.threshold), p.predicted, percent(p.precision), percent(p.recall), percent(p.f1), p.f1 == best))
            .collect();
        Some(ThresholdTable { name: e.name.clone(), colour: extractor_colour(i), rows })
    });
    tables.collect()
}

/// One row per extractor; the columns mirror report.md's tables.
fn summary_table(report: &Report) -> Table {
    let label_columns: Vec<Label> = {
        let mut l: Vec<Label> = report.labels.iter().filter(|l| report.gold_counts.contains_key(*l)).cloned().collect();
        l.extend(report.gold_counts.keys().filter(|l| !l.as_str().is_empty() && !report.labels.contains(l)).cloned());
        l
    };
    let head = |text: &str, title: &str| Head { text: text.into(), title: title.into() };
    let mut header = vec![head("extractor", "name in the config")];
    header.extend(label_columns.iter().map(|l| head(&format!("{l} F1"), &format!("strict F1 on {l}, with its interval"))));
    header.extend([
        head("P", "strict micro precision over the headline labels"),
        head("R", "strict micro recall over the headline labels"),
        head("F1", "strict micro F1 over the headline labels"),
        head("F1 declared", "micro F1 over the labels the extractor declares"),
        head("docs/s", "documents per second: median, and min–max over the timed passes"),
        head("tokens/s", "whitespace tokens per second: median, and min–max over the timed passes"),
        head("MB/s", "megabytes of text per second: median, and min–max"),
        head("tokens/s 1 thread", "one pass on a single thread, to compare per core"),
        head("threads", "calling threads of the timed passes"),
        head("MiB", "increase of resident memory over the baseline taken before building it; peak below"),
        head("load s", "seconds to build the extractor"),
        head("failed", "documents the extractor failed on"),
    ]);
    let accuracy_columns = 1..1 + label_columns.len() + 4;
    let mut rows: Vec<Vec<Cell>> = report.extractors.iter().enumerate().map(|(i, e)| summary_row(e, i, &label_columns)).collect();
    // Bold the best value of every accuracy column.
    for c in accuracy_columns {
        let best = rows.iter().filter_map(|r| r[c].sort.parse::<f64>().ok()).fold(f64::NEG_INFINITY, f64::max);
        for r in &mut rows {
            if r[c].sort.parse::<f64>().ok() == Some(best) {
                r[c].class = Some("best");
            }
        }
    }
    Table { header, rows }
}

fn summary_row(e: &ExtractorReport, index: usize, label_columns: &[Label]) -> Vec<Cell> {
    let mut row = vec![Cell { text: e.name.clone(), sub: None, sort: e.name.clone(), class: None, colour: Some(extractor_colour(index)) }];
    for l in label_columns {
        row.push(match (e.labels.contains(l), e.all_labels.per_label.get(l)) {
            (true, Some(s)) => Cell { sub: e.intervals.per_label.get(l).map(|i| interval(&i.f1)), ..Cell::number(s.f1, percent(s.f1)) },
            _ => Cell::missing("n/a"),
        });
    }
    let (m, ci) = (&e.headline.micro, &e.intervals.micro);
    row.push(Cell { sub: Some(interval(&ci.precision)), ..Cell::number(m.precision, percent(m.precision)) });
    row.push(Cell { sub: Some(interval(&ci.recall)), ..Cell::number(m.recall, percent(m.recall)) });
    row.push(Cell { sub: Some(interval(&ci.f1)), ..Cell::number(m.f1, percent(m.f1)) });
    row.push(Cell::number(e.declared.micro.f1, percent(e.declared.micro.f1)));
    let t = &e.throughput;
    for s in [&t.docs_per_second, &t.tokens_per_second] {
        row.push(Cell { sub: Some(spread(s)), ..Cell::number(s.median, rate(s.median)) });
    }
    let mb = &t.mb_per_second;
    row.push(Cell { sub: Some(format!("{:.2}–{:.2}", mb.min, mb.max)), ..Cell::number(mb.median, format!("{:.2}", mb.median)) });
    row.push(match &t.single_thread {
        Some(r) => Cell::number(r.tokens_per_second, rate(r.tokens_per_second)),
        None => Cell::missing("-"),
    });
    row.push(Cell::number(t.threads as f64, t.threads.to_string()));
    row.push(match e.memory.increase_mib {
        Some(m) => Cell { sub: e.memory.peak_mib.map(|p| format!("peak {p:.0}")), ..Cell::number(m, format!("+{m:.0}")) },
        None => Cell::missing("-"),
    });
    row.push(Cell::number(e.load_seconds, format!("{:.2}", e.load_seconds)));
    row.push(Cell::number(e.failed_documents.len() as f64, e.failed_documents.len().to_string()));
    row
}

#[derive(Serialize)]
struct MatrixCell {
    text: String,
    title: String,
    class: &'static str,
    bg: String,
    fg: &'static str,
}

#[derive(Serialize)]
struct MatrixRow {
    name: String,
    cells: Vec<MatrixCell>,
}

#[derive(Serialize)]
struct Significance {
    names: Vec<String>,
    rows: Vec<MatrixRow>,
    sentence: String,
    verdict_class: &'static str,
    legend: String,
}

/// The "row better than column?" matrix and a plain verdict.
fn significance(report: &Report) -> Option<Significance> {
    if report.extractors.len() < 2 {
        return None;
    }
    let names: Vec<String> = report.extractors.iter().map(|e| e.name.clone()).collect();
    let find = |a: &str, b: &str| {
        report.significance.iter().find_map(|s| {
            if s.a == a && s.b == b {
                Some((s.test.delta_f1, s.test))
            } else if s.a == b && s.b == a {
                Some((-s.test.delta_f1, s.test))
            } else {
                None
            }
        })
    };
    let confidence = 100.0 * report.bootstrap.confidence;
    let rows = names
        .iter()
        .map(|a| MatrixRow {
            name: a.clone(),
            cells: names
                .iter()
                .map(|b| match (a == b, find(a, b)) {
                    (false, Some((delta, t))) => {
                        let (lo, hi) = if (delta - t.delta_f1).abs() < 1e-12 {
                            (t.interval.low, t.interval.high)
                        } else {
                            (-t.interval.high, -t.interval.low)
                        };
                        MatrixCell {
                            text: if t.significant {
                                format!("{:+.2} (p={:.3})", 100.0 * delta, t.p_value)
                            } else {
                                format!("≈ {:+.2}", 100.0 * delta)
                            },
                            title: format!(
                                "F1 {a} − {b} = {:+.2} points, {confidence:.0}% CI [{:+.2}, {:+.2}], p = {:.3}",
                                100.0 * delta,
                                100.0 * lo,
                                100.0 * hi,
                                t.p_value
                            ),
                            class: match (t.significant, delta > 0.0) {
                                (true, true) => "sig",
                                (true, false) => "sigworse",
                                _ => "nsig",
                            },
                            bg: String::new(),
                            fg: "",
                        }
                    }
                    _ => MatrixCell { text: "–".into(), title: String::new(), class: "self", bg: String::new(), fg: "" },
                })
                .collect(),
        })
        .collect();
    let mut better = Vec::new();
    let mut alike = Vec::new();
    for s in &report.significance {
        let (winner, loser) = if s.test.delta_f1 >= 0.0 { (&s.a, &s.b) } else { (&s.b, &s.a) };
        if s.test.significant {
            better.push(format!("{winner} beats {loser} by {:.2} F1 points (p = {:.3})", 100.0 * s.test.delta_f1.abs(), s.test.p_value));
        } else {
            alike.push(format!("{winner} and {loser}"));
        }
    }
    let alpha = 1.0 - report.bootstrap.confidence;
    let (sentence, verdict_class) = if better.is_empty() {
        (
            format!(
                "On these {} documents, none of the differences in F1 is statistically distinguishable (p ≥ {alpha:.2} for                  every pair): do not pick an extractor on this corpus's F1 alone.",
                report.documents
            ),
            "none",
        )
    } else if alike.is_empty() {
        (format!("Every difference is significant: {}.", better.join("; ")), "some")
    } else {
        (format!("{}. Not distinguishable (p ≥ {alpha:.2}): {}.", better.join("; "), alike.join(", ")), "some")
    };
    let legend = format!(
        "Cells: F1 of the row minus F1 of the column, in points; p from approximate randomisation over documents          ({} shuffles), ≈ when p ≥ {alpha:.2}. Hover for the {confidence:.0}% paired-bootstrap interval of the difference.",
        report.bootstrap.resamples
    );
    Some(Significance { names, rows, sentence, verdict_class, legend })
}

#[derive(Serialize)]
struct Agreement {
    names: Vec<String>,
    rows: Vec<MatrixRow>,
}

/// The agreement matrix as a heat map: darker is higher F1.
fn agreement(report: &Report) -> Option<Agreement> {
    let a = &report.agreement;
    if a.names.len() < 2 {
        return None;
    }
    let rows = a
        .names
        .iter()
        .zip(&a.f1)
        .map(|(name, row)| MatrixRow {
            name: name.clone(),
            cells: row
                .iter()
                .map(|&v| {
                    let alpha = 0.06 + 0.84 * v.clamp(0.0, 1.0).powi(2);
                    MatrixCell {
                        text: format!("{:.1}", 100.0 * v),
                        title: String::new(),
                        class: "",
                        bg: format!("rgba(31,111,209,{alpha:.2})"),
                        fg: if alpha > 0.5 { "#fff" } else { "#1f2733" },
                    }
                })
                .collect(),
        })
        .collect();
    Some(Agreement { names: a.names.clone(), rows })
}

/// The JSON block the page's script reads.
#[derive(Serialize)]
struct PageData<'a> {
    labels: Vec<&'a str>,
    extractors: Vec<&'a str>,
    classes: Vec<&'static str>,
    /// Per extractor, report.json's label confusion (gold label → predicted label → count).
    confusion: Vec<&'a BTreeMap<String, BTreeMap<String, usize>>>,
    docs: Vec<DocData<'a>>,
}

/// One document: offsets in UTF-16 code units, labels and classes as indices into
/// [`PageData`]'s tables, to keep the block small.
#[derive(Serialize)]
struct DocData<'a> {
    id: &'a str,
    text: &'a str,
    /// `[start, end, label]` per gold entity.
    gold: Vec<[usize; 3]>,
    /// Per extractor, `[start, end, label, class, gold index or -1]` per prediction; class
    /// [`UNSCORED`] for labels outside [`error_scope`].
    pred: Vec<Vec<[i64; 5]>>,
    /// Per extractor, `[gold index, class]` per gold-only outcome (missed, or a boundary
    /// error whose overlapping prediction was paired with another gold entity).
    miss: Vec<Vec<[usize; 2]>>,
    /// Extractor index → why it failed on this document.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    fail: BTreeMap<usize, &'a str>,
}

fn class_index(class: ErrorClass) -> usize {
    ErrorClass::ALL.iter().position(|&c| c == class).unwrap_or(0)
}

fn page_data<'a>(
    report: &'a Report,
    gold: &'a [AnnotatedDocument],
    predictions: &[&'a [Vec<Entity>]],
    labels: &'a [Label],
) -> PageData<'a> {
    let label_index: BTreeMap<&Label, usize> = labels.iter().enumerate().map(|(i, l)| (l, i)).collect();
    let scope = error_scope(report);
    let mut failures: BTreeMap<&str, BTreeMap<usize, &str>> = BTreeMap::new();
    for (x, e) in report.extractors.iter().enumerate() {
        for f in &e.failed_documents {
            failures.entry(f.document.as_str()).or_default().insert(x, f.error.as_str());
        }
    }
    let docs = gold
        .iter()
        .enumerate()
        .map(|(d, doc)| {
            let utf16 = Utf16Offsets::new(&doc.document.text);
            let span = |e: &Entity| (utf16.at(e.start), utf16.at(e.end), label_index[&e.label]);
            let mut pred = Vec::with_capacity(predictions.len());
            let mut miss = Vec::with_capacity(predictions.len());
            for per_doc in predictions {
                let predicted: &[Entity] = per_doc.get(d).map(Vec::as_slice).unwrap_or(&[]);
                let (p, m) = lane(&doc.entities, predicted, &scope, &span);
                pred.push(p);
                miss.push(m);
            }
            DocData {
                id: &doc.document.id,
                text: &doc.document.text,
                gold: doc
                    .entities
                    .iter()
                    .map(|e| {
                        let (s, t, l) = span(e);
                        [s, t, l]
                    })
                    .collect(),
                pred,
                miss,
                fail: failures.remove(doc.document.id.as_str()).unwrap_or_default(),
            }
        })
        .collect();
    PageData {
        labels: labels.iter().map(Label::as_str).collect(),
        extractors: report.extractors.iter().map(|e| e.name.as_str()).collect(),
        classes: ErrorClass::ALL.iter().map(|c| c.as_str()).chain(["unscored"]).collect(),
        confusion: report.extractors.iter().map(|e| &e.errors.confusion).collect(),
        docs,
    }
}

/// The class index of predictions outside the scored labels, after [`ErrorClass::ALL`].
const UNSCORED: i64 = ErrorClass::ALL.len() as i64;

/// The labels error classes cover, as in report.json's `errors`: the headline labels and every
/// label the gold annotates. Predictions of other labels are shown but not classed.
fn error_scope(report: &Report) -> Vec<Label> {
    let mut scope: Vec<Label> = report.labels.clone();
    scope.extend(report.gold_counts.keys().cloned());
    scope.sort();
    scope.dedup();
    scope
}

/// One extractor's lane of one document: every prediction with its class, and the gold-only
/// outcomes.
fn lane(
    gold: &[Entity],
    predicted: &[Entity],
    scope: &[Label],
    span: &dyn Fn(&Entity) -> (usize, usize, usize),
) -> (Vec<[i64; 5]>, Vec<[usize; 2]>) {
    let gold_ix: Vec<usize> = (0..gold.len()).filter(|&i| scope.contains(&gold[i].label)).collect();
    let gold: Vec<Entity> = gold_ix.iter().map(|&i| gold[i].clone()).collect();
    let scored: Vec<usize> = (0..predicted.len()).filter(|&i| scope.contains(&predicted[i].label)).collect();
    let in_scope: Vec<Entity> = scored.iter().map(|&i| predicted[i].clone()).collect();
    let mut class_of: Vec<Option<(i64, i64)>> = vec![None; predicted.len()];
    let mut gold_only = Vec::new();
    for o in classify(&gold, &in_scope) {
        match (o.predicted, o.gold) {
            (Some(p), g) => class_of[scored[p]] = Some((class_index(o.class) as i64, g.map_or(-1, |g| gold_ix[g] as i64))),
            (None, Some(g)) => gold_only.push([gold_ix[g], class_index(o.class)]),
            (None, None) => {}
        }
    }
    for p in 0..predicted.len() {
        if class_of[p].is_none() {
            let e = &predicted[p];
            class_of[p] = if scope.contains(&e.label) {
                // `classify` leaves exact duplicates out; they share the class of their first copy.
                (0..p)
                    .find(|&q| predicted[q].start == e.start && predicted[q].end == e.end && predicted[q].label == e.label)
                    .and_then(|q| class_of[q])
            } else {
                Some((UNSCORED, -1))
            };
        }
    }
    let preds = predicted
        .iter()
        .zip(class_of)
        .map(|(e, c)| {
            let (s, t, l) = span(e);
            let (class, g) = c.unwrap_or((class_index(ErrorClass::Spurious) as i64, -1));
            [s as i64, t as i64, l as i64, class, g]
        })
        .collect();
    (preds, gold_only)
}

/// Byte offset → UTF-16 code-unit offset, for offsets on character boundaries.
struct Utf16Offsets {
    /// `(byte offset, utf-16 offset)` of every character start, and of the end.
    starts: Vec<(usize, usize)>,
}

impl Utf16Offsets {
    fn new(text: &str) -> Utf16Offsets {
        let mut starts = Vec::with_capacity(text.len() + 1);
        let mut units = 0;
        for (b, c) in text.char_indices() {
            starts.push((b, units));
            units += c.len_utf16();
        }
        starts.push((text.len(), units));
        Utf16Offsets { starts }
    }

    fn at(&self, byte: usize) -> usize {
        match self.starts.binary_search_by_key(&byte, |&(b, _)| b) {
            Ok(i) => self.starts[i].1,
            // Not a boundary (spans are validated, so this does not happen): the next one.
            Err(i) => self.starts.get(i).map_or(self.starts.last().map_or(0, |s| s.1), |s| s.1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_offsets_count_code_units() {
        let text = "Grushkó 😀 NATO";
        let map = Utf16Offsets::new(text);
        let nato = text.find("NATO").unwrap();
        // ó is one UTF-16 unit (two bytes), the emoji two units (four bytes).
        assert_eq!(map.at(nato), "Grushkó 😀 ".encode_utf16().count());
        assert_eq!(map.at(text.len()), text.encode_utf16().count());
        assert_eq!(map.at(0), 0);
    }

    #[test]
    fn lane_classes_every_prediction_and_lists_gold_only_outcomes() {
        let text = "Sergei Lavrov met NATO in Brussels";
        let ent = |s: &str, l: Label| {
            let start = text.find(s).unwrap();
            Entity::new(text, start, start + s.len(), l).unwrap()
        };
        let gold = [ent("Sergei Lavrov", Label::PER), ent("NATO", Label::ORG), ent("Brussels", Label::LOC)];
        let predicted =
            [ent("Lavrov", Label::PER), ent("NATO", Label::LOC), ent("NATO", Label::LOC), ent("met", Label::MISC), ent("in", Label::DATE)];
        let span = |e: &Entity| (e.start, e.end, 0);
        let (preds, gold_only) = lane(&gold, &predicted, &Label::CONLL, &span);
        let classes: Vec<&str> = preds.iter().map(|p| ErrorClass::ALL.get(p[3] as usize).map_or("unscored", |c| c.as_str())).collect();
        assert_eq!(classes, ["boundary", "type", "type", "spurious", "unscored"], "a duplicate shares its first copy's class");
        assert_eq!(preds[0][4], 0, "the boundary error points at its gold entity");
        assert_eq!(gold_only, [[2, class_index(ErrorClass::Missed)]]);
    }
}
