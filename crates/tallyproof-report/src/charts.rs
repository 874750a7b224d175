//! The report's SVG charts, drawn with plotters' SVG backend (no fonts or
//! network needed). Each function returns one `<svg>` element as text.

use plotters::prelude::*;
use tallyproof_stats::forensics::{FingerprintHistogram, Stations};

use crate::ReportError;

const W: u32 = 800;
const H: u32 = 420;

fn err<E: std::fmt::Display>(chart: &'static str) -> impl Fn(E) -> ReportError {
    move |e| ReportError::Chart {
        chart,
        message: e.to_string(),
    }
}

/// Turnout and leader share of every station where both are defined, in
/// percent (turnout = ballots / registered; share = leader / (valid + invalid)).
pub fn rates_pct(s: &Stations) -> (Vec<f64>, Vec<f64>) {
    let Some(l) = s.leader() else {
        return (Vec::new(), Vec::new());
    };
    let mut t = Vec::new();
    let mut v = Vec::new();
    for i in 0..s.len() {
        let b = s.in_boxes(i);
        if s.registered[i] > 0 && b > 0 && s.ballots[i] <= s.registered[i] {
            t.push(100.0 * s.ballots[i] as f64 / s.registered[i] as f64);
            v.push(100.0 * s.votes[l][i] as f64 / b as f64);
        }
    }
    (t, v)
}

/// Heat map of the election fingerprint (turnout × leader share), `bins`
/// bins per axis, shade ∝ log(1 + count).
pub fn fingerprint(s: &Stations, bins: usize) -> Result<String, ReportError> {
    let e = err("fingerprint");
    let h = FingerprintHistogram::of(s, bins);
    let max = h.counts.iter().flatten().copied().max().unwrap_or(0);
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (W, W * 3 / 4)).into_drawing_area();
        root.fill(&WHITE).map_err(&e)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..100.0, 0.0..100.0)
            .map_err(&e)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .label_style(("sans-serif", 18))
            .axis_desc_style(("sans-serif", 20))
            .x_desc("turnout, %")
            .y_desc("leader share, %")
            .draw()
            .map_err(&e)?;
        let step = 100.0 / h.bins as f64;
        let lmax = (1.0 + max as f64).ln().max(1e-9);
        chart
            .draw_series(h.counts.iter().enumerate().flat_map(|(ti, row)| {
                row.iter()
                    .enumerate()
                    .filter(|(_, c)| **c > 0)
                    .map(move |(vi, &c)| {
                        let shade = (1.0 + c as f64).ln() / lmax;
                        let g = (235.0 * (1.0 - shade)) as u8;
                        let x0 = ti as f64 * step;
                        let y0 = vi as f64 * step;
                        Rectangle::new(
                            [(x0, y0), (x0 + step, y0 + step)],
                            RGBColor(g, g, g).filled(),
                        )
                    })
            }))
            .map_err(&e)?;
        root.present().map_err(&e)?;
    }
    Ok(out)
}

/// Histogram of percentages in 0.1-point bins over 0–100, with a grey line
/// at every whole percent.
pub fn histogram(pct: &[f64], label: &str, which: &'static str) -> Result<String, ReportError> {
    let e = err(which);
    let mut counts = vec![0u32; 1001];
    for &p in pct {
        // Bin k holds [k/10 − 0.05, k/10 + 0.05): whole percents fall mid-bin.
        let k = (p * 10.0).round().clamp(0.0, 1000.0) as usize;
        counts[k] += 1;
    }
    let ymax = counts.iter().copied().max().unwrap_or(1).max(1);
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(&e)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..100.0, 0u32..(ymax + ymax / 10 + 1))
            .map_err(&e)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .label_style(("sans-serif", 18))
            .axis_desc_style(("sans-serif", 20))
            .x_desc(label)
            .y_desc("stations per 0.1 point")
            .draw()
            .map_err(&e)?;
        let grey = RGBColor(200, 200, 200);
        chart
            .draw_series((1..100).map(|k| {
                PathElement::new(
                    vec![(k as f64, 0), (k as f64, ymax + ymax / 10)],
                    grey.stroke_width(1),
                )
            }))
            .map_err(&e)?;
        chart
            .draw_series(
                counts
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c > 0)
                    .map(|(k, &c)| {
                        let x = k as f64 / 10.0;
                        Rectangle::new([(x - 0.05, 0), (x + 0.05, c)], BLACK.filled())
                    }),
            )
            .map_err(&e)?;
        root.present().map_err(&e)?;
    }
    Ok(out)
}

/// Bars of last-digit frequencies (percent) with the uniform 10% line.
pub fn digits(counts: &[u64; 10]) -> Result<String, ReportError> {
    let e = err("last digits");
    let n: u64 = counts.iter().sum();
    let pct: Vec<f64> = counts
        .iter()
        .map(|&c| {
            if n == 0 {
                0.0
            } else {
                100.0 * c as f64 / n as f64
            }
        })
        .collect();
    let ymax = pct.iter().copied().fold(12.0, f64::max) * 1.1;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (W, H * 3 / 4)).into_drawing_area();
        root.fill(&WHITE).map_err(&e)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(-0.5..9.5, 0.0..ymax)
            .map_err(&e)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .label_style(("sans-serif", 18))
            .axis_desc_style(("sans-serif", 20))
            .x_labels(10)
            .x_label_formatter(&|x| format!("{:.0}", x))
            .x_desc("last digit")
            .y_desc("% of counts")
            .draw()
            .map_err(&e)?;
        chart
            .draw_series(pct.iter().enumerate().map(|(d, &p)| {
                let x = d as f64;
                Rectangle::new(
                    [(x - 0.35, 0.0), (x + 0.35, p)],
                    RGBColor(60, 60, 60).filled(),
                )
            }))
            .map_err(&e)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(-0.5, 10.0), (9.5, 10.0)],
                RED.stroke_width(2),
            )))
            .map_err(&e)?;
        root.present().map_err(&e)?;
    }
    Ok(out)
}
