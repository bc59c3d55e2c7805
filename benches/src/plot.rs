//! benches/scaling.svg: time per document vs document size, and peak RSS
//! and throughput vs corpus size, with plotters (SVG, no font files needed).

use std::path::Path;

use plotters::prelude::*;

use crate::report::{DocScale, Row};

/// A label only at powers of ten (log axes get crowded otherwise).
fn decade(value: f64, label: impl Fn(f64) -> String) -> String {
    let exponent = value.log10();
    if (exponent - exponent.round()).abs() < 0.01 {
        label(10f64.powf(exponent.round()))
    } else {
        String::new()
    }
}

pub fn scaling(path: &Path, docs: &[DocScale], corpora: &[Row]) -> anyhow::Result<()> {
    let root = SVGBackend::new(path, (1100, 460)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(560);

    // Left: time per document vs size, log-log, with the linear reference
    // through the 10 KB point.
    if !docs.is_empty() {
        let xs: Vec<f64> = docs.iter().map(|d| d.bytes as f64).collect();
        let ys: Vec<f64> = docs.iter().map(|d| d.per_doc.as_secs_f64() * 1e3).collect();
        let (xmin, xmax) = (xs[0] * 0.7, xs[xs.len() - 1] * 1.4);
        let ymin = ys.iter().copied().fold(f64::MAX, f64::min) * 0.5;
        let ymax = ys.iter().copied().fold(0.0, f64::max) * 2.0;
        let mut chart = ChartBuilder::on(&left)
            .caption("Time per document vs document size", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d((xmin..xmax).log_scale(), (ymin.max(1e-4)..ymax).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("document size (bytes)")
            .y_desc("ms per document")
            .light_line_style(TRANSPARENT)
            .x_label_formatter(&|x| decade(*x, |v| akhbar_bench::corpus::human_size(v as usize)))
            .y_label_formatter(&|y| decade(*y, |v| format!("{v}")))
            .draw()?;
        chart
            .draw_series(LineSeries::new(
                xs.iter().copied().zip(ys.iter().copied()),
                BLUE.stroke_width(2),
            ))?
            .label("measured (dynamic pipeline)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLUE.stroke_width(2)));
        chart.draw_series(
            xs.iter()
                .zip(&ys)
                .map(|(&x, &y)| Circle::new((x, y), 4, BLUE.filled())),
        )?;
        if let Some(base) = docs.iter().position(|d| d.target == 10_000) {
            let per_byte = ys[base] / xs[base];
            chart
                .draw_series(LineSeries::new(
                    [
                        (xs[0], per_byte * xs[0]),
                        (xs[xs.len() - 1], per_byte * xs[xs.len() - 1]),
                    ],
                    RED.mix(0.6).stroke_width(1),
                ))?
                .label("linear from 10 KB")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], RED.mix(0.6)));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperLeft)
            .draw()?;
    }

    // Right: peak RSS vs corpus size (log x), throughput on the caption.
    if !corpora.is_empty() {
        let xs: Vec<f64> = corpora.iter().map(|r| r.docs as f64).collect();
        let rss: Vec<f64> = corpora.iter().map(|r| r.run.rss_mib()).collect();
        let rate: Vec<f64> = corpora.iter().map(Row::docs_per_s).collect();
        let ymax = rss.iter().copied().fold(0.0, f64::max) * 1.5 + 1.0;
        let rmax = rate.iter().copied().fold(0.0, f64::max) * 1.5 + 1.0;
        let mut chart = ChartBuilder::on(&right)
            .caption("akhbar run vs corpus size (2 workers)", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .right_y_label_area_size(60)
            .build_cartesian_2d((xs[0] * 0.7..xs[xs.len() - 1] * 1.4).log_scale(), 0.0..ymax)?
            .set_secondary_coord((xs[0] * 0.7..xs[xs.len() - 1] * 1.4).log_scale(), 0.0..rmax);
        chart
            .configure_mesh()
            .x_desc("documents")
            .y_desc("peak RSS (MiB)")
            .light_line_style(TRANSPARENT)
            .x_label_formatter(&|x| decade(*x, |v| format!("{v:.0}")))
            .draw()?;
        chart
            .configure_secondary_axes()
            .y_desc("documents per second")
            .draw()?;
        chart
            .draw_series(LineSeries::new(
                xs.iter().copied().zip(rss.iter().copied()),
                GREEN.stroke_width(2),
            ))?
            .label("peak RSS")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], GREEN.stroke_width(2)));
        chart.draw_series(
            xs.iter()
                .zip(&rss)
                .map(|(&x, &y)| Circle::new((x, y), 4, GREEN.filled())),
        )?;
        chart
            .draw_secondary_series(LineSeries::new(
                xs.iter().copied().zip(rate.iter().copied()),
                MAGENTA.stroke_width(2),
            ))?
            .label("documents per second")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], MAGENTA.stroke_width(2)));
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerRight)
            .draw()?;
    }
    root.present()?;
    Ok(())
}
