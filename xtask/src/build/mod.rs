//! Building the app (Trunk, then its own wasm split by `split.rs`) and the
//! server (cargo).

mod split;

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
};

use anyhow::Context;

use crate::{
    Workspace,
    cmd::{self, command},
    step,
};

/// `trunk build --release` into `dist/` and the split app beside it, then brotli and gzip copies of
/// every text and wasm file beside it, which the server sends to browsers
/// that accept them (compressing once here beats compressing per request).
/// Builds the app; returns each wasm file's name and raw, gzip and brotli
/// sizes.
pub(crate) fn app(ws: &Workspace) -> anyhow::Result<Vec<(String, usize, usize, usize)>> {
    step("Fetching crates (Trunk builds offline)");
    cmd::run(command(&ws.root, "cargo", &ws.root).args(["fetch", "--quiet"]))?;
    step("Building the app's worker, styles and files: trunk build --release");
    cmd::run(command(&ws.root, "trunk", &ws.root).args(["build", "--release"]))?;
    split::app(ws, &ws.dist())?;
    let version = crate::service_worker::stamp(&ws.dist())?;
    eprintln!("    service worker: release {version}");
    let mut sizes = precompress(&ws.dist())?;
    sizes.retain(|(name, ..)| name.ends_with(".wasm"));
    for (name, raw, gzip, brotli) in &sizes {
        eprintln!(
            "    {name}: {} raw, {} gzip, {} brotli",
            kib(*raw),
            kib(*gzip),
            kib(*brotli)
        );
    }
    Ok(sizes)
}

/// `cargo build --release -p keyhaven-server` (carrying the app built just
/// before, see server/build.rs); returns the binary's path.
pub(crate) fn release_server(ws: &Workspace) -> anyhow::Result<PathBuf> {
    step("Building keyhaven-server (release)");
    cmd::run(command(&ws.root, "cargo", &ws.root).args([
        "build",
        "--release",
        "--package",
        "keyhaven-server",
    ]))?;
    Ok(ws.target.join("release/keyhaven-server"))
}

const COMPRESSIBLE: &[&str] = &[
    "html",
    "js",
    "wasm",
    "css",
    "svg",
    "webmanifest",
    "json",
    "txt",
];

/// Writes `<file>.br` and `<file>.gz` for every compressible file in `dir`;
/// returns (name, raw, gzip, brotli) sizes.
fn precompress(dir: &Path) -> anyhow::Result<Vec<(String, usize, usize, usize)>> {
    let mut sizes = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            sizes.extend(precompress(&path)?);
            continue;
        }
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        if !COMPRESSIBLE.contains(&extension) {
            continue;
        }
        let raw = fs::read(&path)?;
        let gzip = gzip(&raw)?;
        let brotli = brotli(&raw)?;
        fs::write(with_suffix(&path, "gz"), &gzip)?;
        fs::write(with_suffix(&path, "br"), &brotli)?;
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        sizes.push((name, raw.len(), gzip.len(), brotli.len()));
    }
    Ok(sizes)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

pub(crate) fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data)?;
    encoder.finish()
}

pub(crate) fn brotli(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params)?;
    Ok(out)
}

pub(crate) fn kib(bytes: usize) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}
