//! The accuracy-vs-throughput plot: F1 with its confidence interval against throughput on a log
//! axis, the Pareto front drawn, every extractor labelled. Drawn with `plotters`' SVG backend so
//! the same picture is `pareto.svg` and the first thing in `report.html`.
//!
//! Every extractor is exactly one `<circle>` in the SVG (filled when it is on the front, hollow
//! when another extractor is both faster and more accurate); the browser test counts them.

use plotters::coord::Shift;
use plotters::prelude::*;

use nerlab_core::{Error, Result};

/// One extractor's position in the plot.
#[derive(Debug, Clone)]
pub struct ParetoPoint {
    /// The extractor's name, written beside its point.
    pub name: String,
    /// Throughput (the x axis; drawn on a log scale, so it must be positive).
    pub throughput: f64,
    /// The lowest and highest throughput over repeated passes, drawn as a horizontal bar.
    pub throughput_range: Option<(f64, f64)>,
    /// Accuracy in percent (the y axis).
    pub f1: f64,
    /// Its confidence interval in percent, drawn as a vertical error bar.
    pub f1_interval: Option<(f64, f64)>,
    /// Fill colour as `#rrggbb`, shared with the rest of the report.
    pub colour: String,
}

/// Texts around the plot.
#[derive(Debug, Clone)]
pub struct Axes {
    /// The caption above the plot.
    pub caption: String,
    /// What the x axis measures, e.g. `tokens/s`.
    pub x: String,
    /// What the y axis measures, e.g. `micro F1 (%)`.
    pub y: String,
}

const WIDTH: u32 = 880;
const HEIGHT: u32 = 460;

/// Indices of the points on the Pareto front: no other point has at least the same
/// throughput and F1 with one of them strictly higher. Sorted by throughput.
pub fn front(points: &[ParetoPoint]) -> Vec<usize> {
    let dominated = |i: usize| {
        let p = &points[i];
        points.iter().any(|q| q.throughput >= p.throughput && q.f1 >= p.f1 && (q.throughput > p.throughput || q.f1 > p.f1))
    };
    let mut on_front: Vec<usize> = (0..points.len()).filter(|&i| !dominated(i)).collect();
    on_front.sort_by(|&a, &b| points[a].throughput.total_cmp(&points[b].throughput));
    on_front
}

/// The plot as an SVG document.
///
/// # Errors
/// Only if `plotters` fails to lay the chart out, which the axis ranges computed here prevent.
pub fn pareto_svg(points: &[ParetoPoint], axes: &Axes) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, points, axes).map_err(|e| Error::format(format!("cannot draw the Pareto plot: {e}")))?;
        root.present().map_err(|e| Error::format(format!("cannot draw the Pareto plot: {e}")))?;
    }
    Ok(svg)
}

fn hex(colour: &str) -> RGBColor {
    let c = colour.trim_start_matches('#');
    let byte = |i: usize| c.get(i..i + 2).and_then(|s| u8::from_str_radix(s, 16).ok()).unwrap_or(0x55);
    RGBColor(byte(0), byte(2), byte(4))
}

/// Rates as a person writes them: 1.2k, 35k, 2.1M.
fn short_rate(x: f64) -> String {
    match x {
        x if x >= 1e6 => format!("{}M", trim(x / 1e6)),
        x if x >= 1e3 => format!("{}k", trim(x / 1e3)),
        x => trim(x),
    }
}

fn trim(x: f64) -> String {
    let s = if x >= 100.0 { format!("{x:.0}") } else { format!("{x:.2}") };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    points: &[ParetoPoint],
    axes: &Axes,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let ink = RGBColor(0x33, 0x3a, 0x45);
    let grid = RGBColor(0xe6, 0xe9, 0xee);
    // Throughputs of failed or empty runs can be 0; a log axis needs positive values.
    let x_of = |p: &ParetoPoint| p.throughput.max(1e-3);
    let xs = points.iter().flat_map(|p| {
        let (lo, hi) = p.throughput_range.unwrap_or((p.throughput, p.throughput));
        [x_of(p), lo.max(1e-3), hi.max(1e-3)]
    });
    let (x_min, x_max) = xs.fold((f64::INFINITY, 0.0_f64), |(lo, hi), x| (lo.min(x), hi.max(x)));
    let (x_min, x_max) = if points.is_empty() { (1.0, 10.0) } else { (x_min / 2.5, x_max * 2.5) };
    let ys = points.iter().flat_map(|p| {
        let (lo, hi) = p.f1_interval.unwrap_or((p.f1, p.f1));
        [p.f1, lo, hi]
    });
    let (y_min, y_max) = ys.fold((100.0_f64, 0.0_f64), |(lo, hi), y| (lo.min(y), hi.max(y)));
    let (y_min, y_max) = if points.is_empty() {
        (0.0, 100.0)
    } else {
        (((y_min - 4.0) / 5.0).floor().max(0.0) * 5.0, (((y_max + 4.0) / 5.0).ceil() * 5.0).min(100.0))
    };
    let y_max = if y_max <= y_min { y_min + 5.0 } else { y_max };

    let mut chart = ChartBuilder::on(root)
        .caption(&axes.caption, ("sans-serif", 19).into_font().color(&ink))
        .margin(18)
        .margin_right(36)
        .x_label_area_size(52)
        .y_label_area_size(64)
        .build_cartesian_2d((x_min..x_max).log_scale(), y_min..y_max)?;
    chart
        .configure_mesh()
        .x_desc(&axes.x)
        .y_desc(&axes.y)
        .x_label_formatter(&|x| short_rate(*x))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .axis_desc_style(("sans-serif", 15).into_font().color(&ink))
        .label_style(("sans-serif", 13).into_font().color(&ink))
        .bold_line_style(grid)
        .max_light_lines(0)
        .axis_style(ink.mix(0.6))
        .draw()?;

    let on_front = front(points);
    // The front as a staircase: the best F1 reachable at each throughput or faster.
    let mut stairs = Vec::new();
    for (k, &i) in on_front.iter().enumerate() {
        let p = &points[i];
        stairs.push((x_of(p), p.f1));
        if let Some(&next) = on_front.get(k + 1) {
            stairs.push((x_of(p), points[next].f1));
        }
    }
    let front_style = ShapeStyle { color: RGBAColor(0x1f, 0x6f, 0xd1, 0.55), filled: false, stroke_width: 2 };
    chart.draw_series(DashedLineSeries::new(stairs, 7, 5, front_style))?;

    // Error bars as plain lines with caps (plotters' ErrorBar also draws a circle, and the
    // only circles must be the points).
    for p in points {
        let colour = hex(&p.colour);
        let (x, y) = (x_of(p), p.f1);
        if let Some((lo, hi)) = p.f1_interval {
            let style = colour.stroke_width(2);
            chart.draw_series([PathElement::new(vec![(x, lo), (x, hi)], style)])?;
            for end in [lo, hi] {
                chart.draw_series([EmptyElement::at((x, end)) + PathElement::new(vec![(-6, 0), (6, 0)], style)])?;
            }
        }
        if let Some((lo, hi)) = p.throughput_range {
            let style = colour.mix(0.75).stroke_width(2);
            let (lo, hi) = (lo.max(1e-3), hi.max(1e-3));
            chart.draw_series([PathElement::new(vec![(lo, y), (hi, y)], style)])?;
            for end in [lo, hi] {
                chart.draw_series([EmptyElement::at((end, y)) + PathElement::new(vec![(0, -5), (0, 5)], style)])?;
            }
        }
    }
    for (i, p) in points.iter().enumerate() {
        let colour = hex(&p.colour);
        // On the front: filled; dominated: a hollow ring in the same colour.
        let style = if on_front.contains(&i) { colour.filled() } else { colour.stroke_width(3) };
        chart.draw_series(std::iter::once(Circle::new((x_of(p), p.f1), 7, style)))?;
        let font = ("sans-serif", 14).into_font().style(FontStyle::Bold).color(&ink);
        let label = EmptyElement::at((x_of(p), p.f1)) + Text::new(p.name.clone(), (12, -20), font);
        chart.draw_series(std::iter::once(label))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(name: &str, throughput: f64, f1: f64) -> ParetoPoint {
        ParetoPoint {
            name: name.into(),
            throughput,
            throughput_range: Some((throughput * 0.9, throughput * 1.1)),
            f1,
            f1_interval: Some((f1 - 2.0, f1 + 2.0)),
            colour: "#1f77b4".into(),
        }
    }

    /// The trimmed contents of the SVG's `<text>` elements.
    fn texts(svg: &str) -> Vec<&str> {
        svg.split("<text").skip(1).map(|t| t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()].trim()).collect()
    }

    #[test]
    fn front_keeps_only_undominated_points() {
        let points =
            [point("slow-good", 10.0, 90.0), point("fast-bad", 1000.0, 70.0), point("dominated", 5.0, 80.0), point("mid", 100.0, 85.0)];
        let names: Vec<&str> = front(&points).into_iter().map(|i| points[i].name.as_str()).collect();
        assert_eq!(names, ["slow-good", "mid", "fast-bad"]);
    }

    #[test]
    fn svg_has_one_circle_and_one_label_per_extractor() {
        let points = [point("rules", 30_000.0, 72.3), point("transformer", 900.0, 89.2), point("dict", 50_000.0, 60.0)];
        let axes = Axes { caption: "news".into(), x: "tokens/s".into(), y: "F1".into() };
        let svg = pareto_svg(&points, &axes).unwrap();
        assert_eq!(svg.matches("<circle").count(), 3, "{svg}");
        let labels = texts(&svg);
        for p in &points {
            assert!(labels.contains(&p.name.as_str()), "{} is not labelled in {labels:?}", p.name);
        }
        assert!(pareto_svg(&[], &axes).unwrap().contains("<svg"));
    }
}
