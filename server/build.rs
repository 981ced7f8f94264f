//! Builds the app into the binary: a table of `dist/`'s files (Trunk's
//! output, with the brotli and gzip copies `cargo xtask build` writes beside
//! them) for `main.rs` to include. `KEYHAVEN_EMBED_DIST` names another
//! directory, or, set empty, builds a binary without the app. Without a
//! built app the table is empty and the server serves `--dist` (or
//! `./dist`) from disk.

use std::{
    env,
    fmt::Write as _,
    fs,
    hash::{DefaultHasher, Hasher},
    path::{Path, PathBuf},
};

fn main() {
    println!("cargo:rerun-if-env-changed=KEYHAVEN_EMBED_DIST");
    println!("cargo:rerun-if-changed=build.rs");
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let dist = match env::var_os("KEYHAVEN_EMBED_DIST") {
        Some(dir) if dir.is_empty() => None,
        Some(dir) => Some(manifest.join(dir)),
        None => Some(manifest.join("../dist")),
    };
    let mut files = Vec::new();
    if let Some(dist) = dist.filter(|dir| dir.join("index.html").is_file()) {
        let dist = dist.canonicalize().expect("dist/ is readable");
        // A directory is scanned whole: any rebuilt file rebuilds the table.
        println!("cargo:rerun-if-changed={}", dist.display());
        collect(&dist, &dist, &mut files);
        files.sort();
    }
    let mut table = String::from("&[\n");
    for (url, path) in &files {
        let variant = |suffix: &str| {
            let variant = PathBuf::from(format!("{}.{suffix}", path.display()));
            match variant.is_file() {
                true => format!("Some(include_bytes!({:?}))", variant.display().to_string()),
                false => "None".to_owned(),
            }
        };
        let body = fs::read(path).expect("dist/ files are readable");
        let mut hasher = DefaultHasher::new();
        hasher.write(&body);
        let _ = writeln!(
            table,
            "    keyhaven_server::embedded::EmbeddedFile {{ path: {url:?}, \
             body: include_bytes!({:?}), brotli: {}, gzip: {}, etag: \"\\\"{:016x}\\\"\" }},",
            path.display().to_string(),
            variant("br"),
            variant("gz"),
            hasher.finish(),
        );
    }
    table.push(']');
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    fs::write(out.join("embedded_app.rs"), table).expect("OUT_DIR is writable");
}

/// Every file under `dir` but the compressed copies, as (URL path, file).
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    for entry in fs::read_dir(dir).expect("dist/ is readable") {
        let path = entry.expect("dist/ is readable").path();
        if path.is_dir() {
            collect(root, &path, files);
            continue;
        }
        let compressed = matches!(path.extension().and_then(|e| e.to_str()), Some("br" | "gz"));
        let Ok(relative) = path.strip_prefix(root) else {
            continue;
        };
        let Some(relative) = relative.to_str() else {
            continue;
        };
        if !compressed {
            files.push((format!("/{relative}"), path.clone()));
        }
    }
}
