//! The scale benchmark (issue 29): generated fleets of 10, 100 and 1,000
//! systems opened in headless Chromium (`e2e/bench/scale.mjs`), and core's
//! fleet benchmark (Criterion, native) for the merge. Each row is given at
//! every size, so the growth shows at a glance: `scale.md` and a plot,
//! `scale.svg`.

use std::{fmt::Write as _, path::Path};

use anyhow::{Context, bail};
use secrecy::SecretString;

use super::{
    BENCH_PASSPHRASE, BENCH_PASSWORD,
    crypto::browser_script,
    fleet_account,
    report::{median, number},
    services::TrueNasSim,
};
use crate::{Workspace, cmd, step};

pub(super) const SIZES: [usize; 3] = [10, 100, 1000];
/// Visits per fleet (a fresh browser profile each) and edits timed to a
/// second browser.
const VISITS: usize = 3;
const EDITS: usize = 7;
/// How late the simulator answers each call: a system across a WAN.
const LATENCY_MS: u64 = 150;

pub(super) struct ScaleRow {
    pub work: String,
    pub unit: &'static str,
    /// Samples at each of SIZES.
    pub at: Vec<Vec<f64>>,
    pub target: &'static str,
}

/// Every scale row, at SIZES.
pub(super) fn run(ws: &Workspace, url: &str, addr: &str) -> anyhow::Result<Vec<ScaleRow>> {
    cmd::run(cmd::command(&ws.root, "cargo", &ws.root).args([
        "build",
        "--quiet",
        "--package",
        "truenas-sim",
    ]))?;
    let sim = TrueNasSim::start(&ws.target.join("debug/truenas-sim"), LATENCY_MS)?;
    let passphrase = SecretString::from(BENCH_PASSPHRASE.to_owned());
    let mut fleets = Vec::new();
    let mut documents = Vec::new();
    for systems in SIZES {
        let user = format!("scale-{systems}-{}", std::process::id());
        let (bytes, parts) = fleet_account::create(
            addr,
            &user,
            BENCH_PASSWORD,
            &passphrase,
            systems,
            Some(&sim.url()),
        )?;
        eprintln!("    {user}: metadata {bytes} bytes in {parts} parts");
        fleets.push(serde_json::json!({ "systems": systems, "user": user }));
        documents.push(bytes as f64);
    }
    let json = browser_script(
        ws,
        "scale.mjs",
        &[
            ("KEYHAVEN_URL", url.to_owned()),
            ("BENCH_FLEETS", serde_json::to_string(&fleets)?),
            ("BENCH_PASSWORD", BENCH_PASSWORD.to_owned()),
            ("BENCH_PASSPHRASE", BENCH_PASSPHRASE.to_owned()),
            ("BENCH_SIM_PORT", sim.port.to_string()),
            ("BENCH_RUNS", VISITS.to_string()),
            ("BENCH_EDITS", EDITS.to_string()),
        ],
    );
    drop(sim);
    let json = json?;
    let measured = json["fleets"].as_array().context("fleets")?;
    let at = |key: &str| -> Vec<Vec<f64>> {
        measured
            .iter()
            .map(|fleet| {
                fleet[key]
                    .as_array()
                    .map(|a| a.iter().filter_map(serde_json::Value::as_f64).collect())
                    .unwrap_or_default()
            })
            .collect()
    };
    let share = |key: &str| -> Vec<Vec<f64>> {
        at(key)
            .into_iter()
            .zip(&documents)
            .map(|(bytes, whole)| bytes.iter().map(|b| b * 100.0 / whole).collect())
            .collect()
    };
    let row = |work: &str, unit, at, target| ScaleRow {
        work: work.to_owned(),
        unit,
        at,
        target,
    };
    let mut rows = vec![
        row(
            "metadata document",
            "bytes",
            documents.iter().map(|d| vec![*d]).collect(),
            "",
        ),
        row(
            "open the app signed in, to the dashboard listing its systems (load, every part fetched and taken in)",
            "ms",
            at("signin"),
            "",
        ),
        row(
            "… its longest main-thread task",
            "ms",
            at("signin_task"),
            "≤ 50",
        ),
        row(
            "unlock to a usable dashboard (Unlock Keyring's OK to the dialog gone)",
            "ms",
            at("unlock"),
            "1,000 ≤ 1.2× 10",
        ),
        row(
            "… its longest main-thread task (to Synced)",
            "ms",
            at("unlock_task"),
            "≤ 50",
        ),
        row(
            "IndexedDB save of the browser's copy (put to commit, the largest of a visit)",
            "ms",
            at("idb_save"),
            "",
        ),
        row(
            "Keyring screen: first render of its rows",
            "ms",
            at("keyring"),
            "",
        ),
        row(
            &format!(
                "Keyring screen: first Connected result (simulator answering {LATENCY_MS} ms late)"
            ),
            "ms",
            at("connected_first"),
            "≤ 1000",
        ),
        row(
            "Keyring screen: last Connected result (≤ 16 systems at once)",
            "ms",
            at("connected_last"),
            "",
        ),
        row(
            "… the Keyring screen's longest main-thread task, to the last result",
            "ms",
            at("keyring_task"),
            "≤ 50",
        ),
        row(
            "Backup Credentials: first render of both widgets",
            "ms",
            at("backup"),
            "",
        ),
        row(
            "… its longest main-thread task (and 1 s after)",
            "ms",
            at("backup_task"),
            "≤ 50",
        ),
        row(
            "one edit (rename a connection): bytes up",
            "% of document",
            share("edit_up"),
            "≤ 1 % at 1,000",
        ),
        row(
            "one edit: bytes down to a second browser",
            "% of document",
            share("edit_down"),
            "≤ 1 % at 1,000",
        ),
        row(
            "one edit: saved in one browser to shown in a second, p50",
            "ms",
            at("edit_latency"),
            "",
        ),
        row(
            "one edit: saved in one browser to shown in a second, p95",
            "ms",
            at("edit_latency").iter().map(|s| vec![p95(s)]).collect(),
            "≤ 1000",
        ),
    ];
    rows.extend(native_merge(ws)?);
    Ok(rows)
}

fn p95(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
        .get(((sorted.len() as f64 * 0.95).ceil() as usize).saturating_sub(1))
        .copied()
        .unwrap_or(f64::NAN)
}

/// Core's fleet benchmark (Criterion, native release build): the merge of
/// two divergent documents, and taking in one changed part, at SIZES.
fn native_merge(ws: &Workspace) -> anyhow::Result<Vec<ScaleRow>> {
    step("Scale: core's fleet benchmark (Criterion, native)");
    cmd::run(cmd::command(&ws.root, "cargo", &ws.root).args([
        "bench",
        "--quiet",
        "--package",
        "keyhaven-core",
        "--bench",
        "fleet",
        "--",
        "merge|take in",
        "--warm-up-time",
        "1",
        "--measurement-time",
        "3",
    ]))?;
    let criterion = ws.target.join("criterion/fleet");
    let mut rows = Vec::new();
    for (work, prefix) in [
        (
            "full merge of a divergent copy (prove, merge; native)",
            "full merge of a divergent copy (prove, merge), ",
        ),
        (
            "take in one changed part (prove, merge; native)",
            "take in one changed part (prove, merge), ",
        ),
    ] {
        let mut at = Vec::new();
        for systems in SIZES {
            at.push(vec![
                criterion_median(&criterion, &format!("{prefix}{systems} systems"))? / 1e6,
            ]);
        }
        rows.push(ScaleRow {
            work: work.to_owned(),
            unit: "ms",
            at,
            target: "",
        });
    }
    Ok(rows)
}

/// The median (ns) Criterion recorded for the benchmark named `id`.
fn criterion_median(dir: &Path, id: &str) -> anyhow::Result<f64> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path().join("new");
        let Ok(meta) = std::fs::read(path.join("benchmark.json")) else {
            continue;
        };
        let meta: serde_json::Value = serde_json::from_slice(&meta)?;
        if meta["function_id"] == id {
            let estimates: serde_json::Value =
                serde_json::from_slice(&std::fs::read(path.join("estimates.json"))?)?;
            return estimates["median"]["point_estimate"]
                .as_f64()
                .context("Criterion's median");
        }
    }
    bail!("no Criterion result for {id:?}")
}

/// The table: the median at each size, and how it grew from the smallest
/// to the largest fleet.
pub(super) fn markdown(rows: &[ScaleRow]) -> String {
    let mut out = String::from("| work | unit |");
    for systems in SIZES {
        let _ = write!(out, " {systems} systems |");
    }
    out.push_str(" largest ÷ smallest | target |\n|---|---|");
    out.push_str(&"---:|".repeat(SIZES.len() + 1));
    out.push_str("---|\n");
    for row in rows {
        let medians: Vec<Option<f64>> = row.at.iter().map(|s| median(s)).collect();
        let _ = write!(out, "| {} | {} |", row.work, row.unit);
        for m in &medians {
            let _ = write!(out, " {} |", m.map_or("–".into(), number));
        }
        let growth = match (
            medians.first().copied().flatten(),
            medians.last().copied().flatten(),
        ) {
            (Some(small), Some(large)) if small > 0.0 => format!("{:.2}×", large / small),
            _ => "–".into(),
        };
        let _ = writeln!(out, " {growth} | {} |", row.target);
    }
    out
}

/// A small plot of the timed rows (medians, milliseconds) against the
/// fleet's size, both axes logarithmic.
pub(super) fn svg(rows: &[ScaleRow]) -> String {
    const W: f64 = 1040.0;
    const H: f64 = 420.0;
    const LEFT: f64 = 80.0;
    const TOP: f64 = 20.0;
    const PLOT_W: f64 = 360.0;
    const PLOT_H: f64 = 360.0;
    // Twelve distinguishable colors, so no two lines share one.
    const COLORS: [&str; 12] = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
        "#bcbd22", "#17becf", "#000000", "#aec7e8",
    ];
    let timed: Vec<(&ScaleRow, Vec<f64>)> = rows
        .iter()
        .filter(|r| r.unit == "ms" && !r.work.starts_with('…'))
        .filter_map(|r| {
            let medians: Option<Vec<f64>> =
                r.at.iter()
                    .map(|s| median(s).filter(|m| *m > 0.0))
                    .collect();
            medians.map(|m| (r, m))
        })
        .collect();
    let (low, high) = timed
        .iter()
        .flat_map(|(_, m)| m.iter().copied())
        .fold((f64::INFINITY, 0.0_f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let (low, high) = (
        low.log10().floor(),
        high.log10().ceil().max(low.log10().floor() + 1.0),
    );
    let x = |i: usize| LEFT + PLOT_W * i as f64 / (SIZES.len() - 1) as f64;
    let y = |ms: f64| TOP + PLOT_H * (1.0 - (ms.log10() - low) / (high - low));
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" font-family=\"sans-serif\" font-size=\"11\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    for decade in (low as i32)..=(high as i32) {
        let v = 10f64.powi(decade);
        let _ = writeln!(
            out,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{} ms</text>",
            LEFT + PLOT_W,
            LEFT - 6.0,
            y(v) + 4.0,
            number(v),
            y = y(v),
        );
    }
    for (i, systems) in SIZES.iter().enumerate() {
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{systems} systems</text>",
            x(i),
            TOP + PLOT_H + 16.0
        );
    }
    for (n, (row, medians)) in timed.iter().enumerate() {
        let color = COLORS[n % COLORS.len()];
        let points: Vec<String> = medians
            .iter()
            .enumerate()
            .map(|(i, m)| format!("{:.1},{:.1}", x(i), y(*m)))
            .collect();
        let _ = writeln!(
            out,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>",
            points.join(" ")
        );
        let label: String = row.work.chars().take(88).collect();
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{color}\"/><text x=\"{}\" y=\"{}\">{}</text>",
            LEFT + PLOT_W + 20.0,
            TOP + 16.0 * n as f64,
            LEFT + PLOT_W + 34.0,
            TOP + 9.0 + 16.0 * n as f64,
            escape(&label),
        );
    }
    out.push_str("</svg>\n");
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub(super) fn write(dir: &Path, rows: &[ScaleRow], machine: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("scale.md"),
        format!(
            "# Keyhaven at fleet scale\n\n{machine}\n\n{}\n![growth](scale.svg)\n",
            markdown(rows)
        ),
    )?;
    std::fs::write(dir.join("scale.svg"), svg(rows))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{ScaleRow, markdown, svg};

    fn rows() -> Vec<ScaleRow> {
        vec![
            ScaleRow {
                work: "unlock".into(),
                unit: "ms",
                at: vec![vec![200.0], vec![210.0, 230.0, 220.0], vec![400.0]],
                target: "1,000 ≤ 1.2× 10",
            },
            ScaleRow {
                work: "bytes".into(),
                unit: "% of document",
                at: vec![vec![7.5], vec![2.5], vec![0.5]],
                target: "",
            },
        ]
    }

    #[test]
    fn the_table_gives_each_size_and_the_growth() {
        let table = markdown(&rows());
        assert!(table.contains("| work | unit | 10 systems | 100 systems | 1000 systems |"));
        assert!(table.contains("| unlock | ms | 200 | 220 | 400 | 2.00× | 1,000 ≤ 1.2× 10 |"));
        assert!(table.contains("| bytes | % of document | 7.50 | 2.50 | 0.50 | 0.07× |"));
    }

    #[test]
    fn the_plot_draws_timed_rows_only() {
        let plot = svg(&rows());
        assert_eq!(plot.matches("<polyline").count(), 1);
        assert!(plot.contains(">unlock</text>"));
        assert!(!plot.contains(">bytes</text>"));
    }
}
