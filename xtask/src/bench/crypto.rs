//! The browser's measurements (unlock, page loads, key generation) and
//! their native anchors (argon2 in Rust, ssh-keygen).

use std::{path::Path, process::Command, time::Instant};

use anyhow::{Context, bail};

use super::report::Row;
use crate::{Workspace, step};

use super::{BENCH_PASSPHRASE, BENCH_PASSWORD, KEYGEN_RUNS, LIVE_EDITS, RUNS};

pub(super) fn browser(ws: &Workspace, url: &str, username: &str) -> anyhow::Result<Vec<Row>> {
    let json = browser_script(
        ws,
        "browser.mjs",
        &[
            ("KEYHAVEN_URL", url.to_owned()),
            ("BENCH_USER", username.to_owned()),
            ("BENCH_PASSWORD", BENCH_PASSWORD.to_owned()),
            ("BENCH_PASSPHRASE", BENCH_PASSPHRASE.to_owned()),
            ("BENCH_RUNS", RUNS.to_string()),
            ("BENCH_KEYGEN_RUNS", KEYGEN_RUNS.to_string()),
        ],
    )?;
    let samples = |value: &serde_json::Value| -> Vec<f64> {
        value
            .as_array()
            .map(|a| a.iter().filter_map(serde_json::Value::as_f64).collect())
            .unwrap_or_default()
    };
    // The thread counts the app's worker reported, e.g. "2" (or "1/2" if
    // a run differed): what the unlock rows measured.
    let threads = |value: &serde_json::Value| -> String {
        let counts: Vec<String> = samples(value)
            .iter()
            .map(std::string::ToString::to_string)
            .collect();
        if counts.is_empty() {
            "?".to_owned()
        } else {
            counts.join("/")
        }
    };
    let mut rows =
        vec![
        Row::new("app load to interactive sign-in, cold", "ms", samples(&json["load_cold"])),
        Row::new(
            "app load to interactive sign-in, warm (service worker's cache)",
            "ms",
            samples(&json["load_warm"]),
        ),
        Row::new(
            "app load to interactive sign-in, offline (service worker alone)",
            "ms",
            samples(&json["load_offline"]),
        ),
        Row::new(
            format!(
                "unlock in browser (Argon2id 64 MiB t=3 p=4, lanes on {} threads, + 100-entry keyring)",
                threads(&json["unlock_threads"])
            ),
            "ms",
            samples(&json["unlock"]),
        )
        .anchor("hash-wasm argon2id, same browser", samples(&json["hash_wasm"]))
        .target("≤ 0.6× hash-wasm"),
        Row::new(
            "Argon2id 64 MiB t=3 p=4 alone in the app's key worker (warm, isolated)",
            "ms",
            samples(&json["kdf_worker"]),
        )
        .anchor("hash-wasm argon2id, same browser", samples(&json["hash_wasm"]))
        .target("≤ 0.6× hash-wasm"),
        Row::new(
            format!(
                "unlock in browser, not cross-origin isolated (lanes on {} thread)",
                threads(&json["unlock_one_thread_threads"])
            ),
            "ms",
            samples(&json["unlock_one_thread"]),
        )
        .anchor("hash-wasm argon2id, same browser", samples(&json["hash_wasm"])),
        Row::new(
            "long-task observer check: a deliberate 80 ms task is seen as",
            "ms",
            vec![json["calibration_longest_task"].as_f64().unwrap_or(f64::NAN)],
        ),
        Row::new(
            "longest main-thread task during unlock",
            "ms",
            vec![json["unlock_longest_task"].as_f64().unwrap_or(f64::NAN)],
        )
        .target("< 50 ms"),
        Row::new(
            "longest main-thread task during unlock, not isolated",
            "ms",
            vec![json["unlock_one_thread_longest_task"].as_f64().unwrap_or(f64::NAN)],
        )
        .target("< 50 ms"),
    ];
    for (kind, target) in [
        ("Ed25519", "< 5 ms"),
        ("ECDSA", ""),
        ("RSA 3072", "≤ 0.5× ssh-keygen"),
        ("RSA 4096", "≤ 0.5× ssh-keygen"),
    ] {
        rows.push(
            Row::new(
                format!("keygen in browser, {kind} (as the app does it)"),
                "ms",
                samples(&json["keygen"][kind]),
            )
            .target(target),
        );
    }
    rows.push(Row::new(
        "import a passphrase-protected OpenSSH key (bcrypt-pbkdf, 16 rounds), Save to saved",
        "ms",
        samples(&json["import_encrypted"]),
    ));
    rows.push(
        Row::new(
            "longest main-thread task during that import",
            "ms",
            vec![
                json["import_encrypted_longest_task"]
                    .as_f64()
                    .unwrap_or(f64::NAN),
            ],
        )
        .target("< 50 ms"),
    );
    rows.push(
        Row::new(
            "longest main-thread task during RSA 4096 generation",
            "ms",
            vec![
                json["keygen_longest_task"]["RSA 4096"]
                    .as_f64()
                    .unwrap_or(f64::NAN),
            ],
        )
        .target("< 50 ms"),
    );
    Ok(rows)
}

/// The KDF natively (Criterion), to give the wasm/native ratio.
pub(super) fn native_kdf(ws: &Workspace) -> anyhow::Result<Vec<Row>> {
    step("Native Argon2id (Criterion)");
    crate::cmd::run(crate::cmd::command(&ws.root, "cargo", &ws.root).args([
        "bench",
        "-p",
        "keyhaven-core",
        "--bench",
        "core",
        "--",
        "unlock/",
    ]))?;
    let dir = ws.target.join("criterion/unlock");
    let argon2 = criterion_samples(&dir.join("argon2id 64MiB t=3 p=4/new/sample.json"))?;
    let unlock = criterion_samples(&dir.join("unlock and read 100 entries/new/sample.json"))?;
    step("Native Argon2id on every lane's thread (the reference C argon2 CLI)");
    let threaded = (0..KEYGEN_RUNS)
        .map(|_| reference_argon2())
        .collect::<anyhow::Result<Vec<f64>>>()?;
    Ok(vec![
        Row::new("native Argon2id 64 MiB t=3 p=4 (Criterion)", "ms", argon2),
        Row::new("native unlock + read 100 entries (Criterion)", "ms", unlock),
        Row::new(
            "native Argon2id 64 MiB t=3 p=4, a thread per lane (reference C argon2 CLI)",
            "ms",
            threaded,
        ),
    ])
}

/// One run of the reference implementation's CLI (Debian's `argon2`) with
/// the keyring's parameters: its four lanes on four threads, sharing this
/// machine's cores as the key worker's lanes do. Includes starting the
/// process (about a millisecond).
fn reference_argon2() -> anyhow::Result<f64> {
    use std::io::Write;
    let start = Instant::now();
    let mut child = Command::new("argon2")
        .args([
            "saltsaltsaltsalt",
            "-id",
            "-t",
            "3",
            "-m",
            "16",
            "-p",
            "4",
            "-l",
            "32",
            "-r",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .context("running argon2")?;
    child
        .stdin
        .take()
        .context("argon2's stdin")?
        .write_all(b"correct horse battery staple")?;
    let status = child.wait()?;
    let elapsed = start.elapsed().as_secs_f64() * 1000.0;
    if !status.success() {
        bail!("argon2 failed ({status})");
    }
    Ok(elapsed)
}

/// Per-iteration times (ms) from Criterion's `sample.json`.
pub(super) fn criterion_samples(path: &Path) -> anyhow::Result<Vec<f64>> {
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
    )?;
    let iters = json["iters"].as_array().context("iters")?;
    let times = json["times"].as_array().context("times")?;
    Ok(iters
        .iter()
        .zip(times)
        .filter_map(|(i, t)| Some(t.as_f64()? / i.as_f64()? / 1e6))
        .collect())
}

/// Wall time of `program args` (a fresh process each time), in ms.
pub(super) fn time_command(program: &str, args: &[&str], setup: impl Fn()) -> anyhow::Result<f64> {
    setup();
    let start = Instant::now();
    let status = Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .with_context(|| format!("running {program}"))?;
    let elapsed = start.elapsed().as_secs_f64() * 1000.0;
    if !status.success() {
        bail!("{program} {args:?} failed");
    }
    Ok(elapsed)
}

/// `ssh-keygen` for each browser key-generation row, as its anchor, and the
/// wasm/native ratio for the KDF.
pub(super) fn ssh_keygen_anchors(rows: &[Row]) -> anyhow::Result<Vec<Row>> {
    step("Anchors: ssh-keygen for each key type");
    let dir = std::env::temp_dir().join(format!("keyhaven-bench-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let key = dir.join("key");
    let key_arg = key.display().to_string();
    let clear = || {
        let _ = std::fs::remove_file(&key);
        let _ = std::fs::remove_file(dir.join("key.pub"));
    };
    let mut out = Vec::new();
    for (kind, args) in [
        ("Ed25519", vec!["-t", "ed25519"]),
        ("ECDSA", vec!["-t", "ecdsa", "-b", "256"]),
        ("RSA 3072", vec!["-t", "rsa", "-b", "3072"]),
        ("RSA 4096", vec!["-t", "rsa", "-b", "4096"]),
    ] {
        let mut all = vec!["-q", "-N", "", "-f", &key_arg];
        all.extend(args.iter().copied());
        let times = (0..KEYGEN_RUNS)
            .map(|_| time_command("ssh-keygen", &all, clear))
            .collect::<anyhow::Result<Vec<f64>>>()?;
        let name = format!("keygen in browser, {kind} (as the app does it)");
        if let Some(row) = rows.iter().find(|r| r.work == name) {
            out.push(
                Row::new(format!("{name} vs ssh-keygen"), "ms", row.samples.clone())
                    .anchor(format!("ssh-keygen {}", args.join(" ")), times)
                    .target(row.target.clone()),
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let unlock = rows
        .iter()
        .find(|r| r.work.starts_with("unlock in browser"));
    let native = rows.iter().find(|r| r.work.starts_with("native Argon2id"));
    if let (Some(unlock), Some(native)) = (unlock, native) {
        out.push(
            Row::new(
                "unlock in browser vs native Argon2id",
                "ms",
                unlock.samples.clone(),
            )
            .anchor(
                "native Argon2id, one thread (Criterion)",
                native.samples.clone(),
            )
            .target("≤ 1.0× native"),
        );
    }
    let kdf = rows.iter().find(|r| {
        r.work
            .starts_with("Argon2id 64 MiB t=3 p=4 alone in the app's key worker")
    });
    let threaded = rows.iter().find(|r| r.work.contains("a thread per lane"));
    if let (Some(kdf), Some(threaded)) = (kdf, threaded) {
        out.push(
            Row::new(
                "KDF in the key worker vs native on the same cores",
                "ms",
                kdf.samples.clone(),
            )
            .anchor(
                "reference C argon2 CLI, a thread per lane",
                threaded.samples.clone(),
            )
            .target("≤ 1.25× native, same threads"),
        );
    }
    Ok(out)
}

/// Save in one browser to visible in another signed in to the same account
/// (`e2e/bench/live.mjs`), through `first` and `second` (the same server,
/// or two on one database): p50 and p95 over the edits.
pub(super) fn live_sync(
    ws: &Workspace,
    first: &str,
    second: &str,
    how: &str,
) -> anyhow::Result<Vec<Row>> {
    let json = browser_script(
        ws,
        "live.mjs",
        &[
            ("KEYHAVEN_URL", first.to_owned()),
            ("KEYHAVEN_URL_2", second.to_owned()),
            ("BENCH_EDITS", LIVE_EDITS.to_string()),
        ],
    )?;
    let mut samples: Vec<f64> = json["latencies"]
        .as_array()
        .map(|a| a.iter().filter_map(serde_json::Value::as_f64).collect())
        .unwrap_or_default();
    samples.sort_by(f64::total_cmp);
    let p95 = samples
        .get(((samples.len() as f64 * 0.95).ceil() as usize).saturating_sub(1))
        .copied()
        .unwrap_or(f64::NAN);
    Ok(vec![
        Row::new(
            format!("an edit saved in one browser, visible in a second ({how}), p50"),
            "ms",
            samples,
        )
        .target("p95 ≤ 1000 ms (was: up to 30 s, the poll)"),
        Row::new(
            format!("an edit saved in one browser, visible in a second ({how}), p95"),
            "ms",
            vec![p95],
        )
        .target("≤ 1000 ms"),
    ])
}

/// Runs `e2e/bench/<script>` (Playwright in the tests' Chromium) with
/// `env`, its progress on this terminal; returns the JSON object it prints
/// on its last line.
pub(super) fn browser_script(
    ws: &Workspace,
    script: &str,
    env: &[(&str, String)],
) -> anyhow::Result<serde_json::Value> {
    let output = crate::cmd::command(&ws.root, "node", &ws.root.join("e2e"))
        .arg(format!("bench/{script}"))
        .envs(env.iter().map(|(name, value)| (name, value)))
        .env(
            "KEYHAVEN_CHROMIUM_ARGS",
            crate::test::CHROMIUM_ARGS.join(" "),
        )
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("running e2e/bench/{script}"))?;
    if !output.status.success() {
        bail!("e2e/bench/{script} failed");
    }
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(text.lines().last().unwrap_or_default())
        .with_context(|| format!("the JSON of e2e/bench/{script}"))
}
