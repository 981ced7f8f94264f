//! The app's own wasm, split where the code says `split!` (`app/src/lazy.rs`,
//! on wasm-split as Leptos's code splitting uses it): what sign-in and the
//! dashboard need loads first; the other screens and the dialogs behind a
//! button load when first opened. Trunk can't split a wasm, so this does
//! what cargo-leptos does: cargo links the app with its relocations kept,
//! `wasm-split-cli` cuts it into a main module, one module per split
//! function and chunks of the code several of them share (and writes the
//! loader they share, `__wasm_split.js`), wasm-bindgen makes the main
//! module's JS, and wasm-opt shrinks every piece. The service worker caches
//! the pieces like any release file, so offline use is unchanged.

use std::{fs, path::Path};

use anyhow::Context;

use crate::{
    Workspace,
    cmd::{self, command},
    step,
};

/// Flags for the app's build: the config's `erase_components`, the cfg that
/// turns the split functions on (`app/src/lazy.rs`), and the relocations
/// wasm-split reads.
const RUSTFLAGS: &[&str] = &[
    "--cfg",
    "erase_components",
    "--cfg",
    "keyhaven_split",
    "-Clink-arg=--emit-relocs",
];

/// What wasm-opt (binaryen) prints for the name-section entries it does not
/// read: one line a piece, 22 a build, none of them actionable.
const NAME_SECTION_NOISE: &[&str] = &["unknown name subsection with id"];

/// Builds the split app into `dist` (after Trunk, which built everything
/// else) and points index.html at it.
pub(super) fn app(ws: &Workspace, dist: &Path) -> anyhow::Result<()> {
    step(
        "Building the app's wasm, split at its split! functions (cargo, wasm-split, wasm-bindgen, wasm-opt -Oz)",
    );
    // Its own target directory: other flags than every other wasm build,
    // which would otherwise rebuild each other's dependencies.
    let target = ws.target.join("split");
    cmd::run(
        command(&ws.root, "cargo", &ws.root)
            .args(["build", "--offline", "--profile", "wasm-release"])
            .args([
                "--target",
                "wasm32-unknown-unknown",
                "--package",
                "keyhaven-app",
                "--bin",
                "app",
            ])
            .env("CARGO_TARGET_DIR", &target)
            .env("CARGO_ENCODED_RUSTFLAGS", RUSTFLAGS.join("\x1f")),
    )?;
    let pieces = target.join("pieces");
    let _ = fs::remove_dir_all(&pieces);
    fs::create_dir_all(&pieces)?;
    cmd::run(
        command(&ws.root, "wasm-split-cli", &ws.root)
            .arg(target.join("wasm32-unknown-unknown/wasm-release/app.wasm"))
            .arg(&pieces)
            .args(["--target", "web", "--out-name", "app"]),
    )?;
    cmd::run(
        command(&ws.root, "wasm-bindgen", &ws.root)
            .args([
                "--target",
                "web",
                "--keep-lld-exports",
                "--no-typescript",
                "--out-name",
                "app",
            ])
            .arg("--out-dir")
            .arg(dist)
            .arg(pieces.join("app.wasm")),
    )?;
    let mut loader =
        fs::read_to_string(pieces.join("__wasm_split.js")).context("wasm-split's loader")?;
    let mut index = fs::read_to_string(dist.join("index.html"))?;
    let mut wasm = vec![("app_bg.wasm".to_owned(), dist.join("app_bg.wasm"))];
    for entry in fs::read_dir(&pieces)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        // A module per split function, and chunks of the code several of
        // them share.
        let piece = name.starts_with("split_") || name.starts_with("chunk_");
        if piece && name.ends_with(".wasm") {
            fs::copy(pieces.join(&name), dist.join(&name))?;
            wasm.push((name.clone(), dist.join(&name)));
        }
    }
    for (name, path) in &wasm {
        optimize(ws, path)?;
        // Content-hashed names, so the server lets browsers keep them.
        let hashed = hashed_name(name, &fs::read(path)?);
        fs::rename(path, dist.join(&hashed))?;
        loader = loader.replace(&format!("\"./{name}\""), &format!("\"./{hashed}\""));
        index = index.replace(&format!("/{name}\""), &format!("/{hashed}\""));
    }
    fs::write(dist.join("__wasm_split.js"), loader)?;
    fs::write(dist.join("index.html"), index)?;
    Ok(())
}

/// wasm-opt -Oz in place, with the features rustc's wasm32 target uses.
/// With `KEYHAVEN_WASM_NAMES=1` it keeps the functions' names, so a
/// browser's profiler names them (a bigger download: for profiling only).
fn optimize(ws: &Workspace, path: &Path) -> anyhow::Result<()> {
    let names = std::env::var_os("KEYHAVEN_WASM_NAMES").is_some_and(|v| v == "1");
    cmd::run_without(
        command(&ws.root, "wasm-opt", &ws.root)
            .args(names.then_some("--debuginfo"))
            .args([
                "-Oz",
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
            ])
            .args([
                "--enable-sign-ext",
                "--enable-reference-types",
                "--enable-multivalue",
            ])
            .arg(path)
            .arg("-o")
            .arg(path),
        NAME_SECTION_NOISE,
    )
}

/// `app_bg.wasm` → `app-<16 hex digits>_bg.wasm`, `split_x.wasm` →
/// `split_x-<16 hex digits>.wasm` (the digits from the contents).
fn hashed_name(name: &str, contents: &[u8]) -> String {
    let digest = crate::service_worker::content_hash(contents);
    match name.strip_suffix("_bg.wasm") {
        Some(stem) => format!("{stem}-{digest}_bg.wasm"),
        None => format!("{}-{digest}.wasm", name.trim_end_matches(".wasm")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_what_the_server_caches_for_good() {
        let name = hashed_name("app_bg.wasm", b"x");
        assert!(
            name.starts_with("app-") && name.ends_with("_bg.wasm"),
            "{name}"
        );
        let split = hashed_name("split_keyring_page.wasm", b"x");
        assert!(split.starts_with("split_keyring_page-") && split.ends_with(".wasm"));
        assert!(hashed_name("chunk_7.wasm", b"x").starts_with("chunk_7-"));
        assert_ne!(hashed_name("app_bg.wasm", b"y"), name);
    }
}
