//! The benchmark table: median, min and max of each measurement, its anchor
//! measured in the same run, the ratio, and the target from design.md.

use std::{fmt::Write as _, path::Path};

use serde_json::json;

pub(super) struct Row {
    pub work: String,
    pub unit: &'static str,
    pub samples: Vec<f64>,
    /// What the row is compared with, measured in the same run.
    pub anchor: Option<(String, Vec<f64>)>,
    pub target: String,
}

impl Row {
    pub(super) fn new(work: impl Into<String>, unit: &'static str, samples: Vec<f64>) -> Self {
        Self {
            work: work.into(),
            unit,
            samples,
            anchor: None,
            target: String::new(),
        }
    }

    pub(super) fn anchor(mut self, name: impl Into<String>, samples: Vec<f64>) -> Self {
        self.anchor = Some((name.into(), samples));
        self
    }

    pub(super) fn target(mut self, target: impl Into<String>) -> Self {
        self.target = target.into();
        self
    }

    /// Median over the anchor's median.
    pub(super) fn ratio(&self) -> Option<f64> {
        let (_, anchor) = self.anchor.as_ref()?;
        let anchor = median(anchor)?;
        (anchor > 0.0).then(|| median(&self.samples).unwrap_or(f64::NAN) / anchor)
    }
}

pub(super) fn median(samples: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = samples.iter().copied().filter(|s| s.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    })
}

fn min(samples: &[f64]) -> f64 {
    samples.iter().copied().fold(f64::INFINITY, f64::min)
}

fn max(samples: &[f64]) -> f64 {
    samples.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

pub(super) fn number(value: f64) -> String {
    if !value.is_finite() {
        "–".into()
    } else if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// The table as Markdown (also what the terminal shows).
pub(super) fn markdown(rows: &[Row]) -> String {
    let mut out = String::from(
        "| work | unit | median | min | max | n | anchor (same run) | anchor median | ratio | target |\n\
         |---|---|---:|---:|---:|---:|---|---:|---:|---|\n",
    );
    for row in rows {
        let (anchor, anchor_median) = match &row.anchor {
            Some((name, samples)) => (name.as_str(), median(samples).map_or("–".into(), number)),
            None => ("–", "–".into()),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.work,
            row.unit,
            median(&row.samples).map_or("–".into(), number),
            number(min(&row.samples)),
            number(max(&row.samples)),
            row.samples.len(),
            anchor,
            anchor_median,
            row.ratio().map_or("–".into(), |r| format!("{r:.2}×")),
            row.target,
        );
    }
    out
}

pub(super) fn json(rows: &[Row], machine: &str) -> serde_json::Value {
    json!({
        "machine": machine,
        "rows": rows.iter().map(|row| json!({
            "work": row.work,
            "unit": row.unit,
            "median": median(&row.samples),
            "min": min(&row.samples),
            "max": max(&row.samples),
            "samples": row.samples,
            "anchor": row.anchor.as_ref().map(|(name, samples)| json!({
                "name": name, "median": median(samples), "samples": samples,
            })),
            "ratio": row.ratio(),
            "target": row.target,
        })).collect::<Vec<_>>(),
    })
}

pub(super) fn write(dir: &Path, rows: &[Row], machine: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("report.md"),
        format!("# Keyhaven benchmarks\n\n{machine}\n\n{}", markdown(rows)),
    )?;
    std::fs::write(
        dir.join("report.json"),
        serde_json::to_vec_pretty(&json(rows, machine))?,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Row, median};

    #[test]
    fn medians_and_ratios() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        let row = Row::new("x", "ms", vec![10.0, 30.0, 20.0]).anchor("y", vec![40.0]);
        assert_eq!(row.ratio(), Some(0.5));
        assert!(
            super::markdown(&[row])
                .contains("| x | ms | 20.0 | 10.0 | 30.0 | 3 | y | 40.0 | 0.50× |")
        );
    }
}
