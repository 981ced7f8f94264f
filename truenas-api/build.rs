//! Embeds every schema under `schemas/` as `(version dir, method, text)`,
//! so adding a file is all it takes to know a method.

use std::{fmt::Write, fs, path::Path};

fn main() {
    // Read when the script runs, not when it was compiled: a shared target
    // directory reuses one build script for checkouts at other paths.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest_dir).join("schemas");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut table = String::from("&[\n");
    let mut dirs: Vec<_> = fs::read_dir(&root)
        .expect("schemas/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let version = dir.file_name().unwrap().to_string_lossy().into_owned();
        let mut files: Vec<_> = fs::read_dir(&dir)
            .expect("a version's folder")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        for file in files {
            let Some(method) = file
                .file_name()
                .unwrap()
                .to_string_lossy()
                .strip_suffix(".json")
                .map(str::to_owned)
            else {
                continue;
            };
            writeln!(
                table,
                "    ({version:?}, {method:?}, include_str!({:?})),",
                file.display().to_string()
            )
            .unwrap();
        }
    }
    table.push(']');
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("schemas.rs");
    fs::write(out, table).unwrap();
}
