//! Builds the Argon2 lanes module (`argon2/module`) for the key worker to
//! embed: a wasm whose memory is imported and shared, so it can't come out
//! of this crate's own build (no atomics, its own memory). It is its own
//! workspace, built into its own target directory with its own flags; it
//! has no dependency outside this repository, so it builds offline.

use std::{env, fs, path::PathBuf, process::Command};

const FLAGS: &[&str] = &[
    // Shared memory needs atomics and bulk memory; SIMD lets LLVM widen
    // the block XORs and copies (every browser with shared memory has it).
    "-Ctarget-feature=+atomics,+bulk-memory,+simd128",
    "-Clink-arg=--import-memory",
    "-Clink-arg=--shared-memory",
    "-Clink-arg=--max-memory=4294967296",
    // No stack: all threads' instances would share it (see module/src/lib.rs).
    "-Clink-arg=-zstack-size=0",
    "-Clink-arg=--stack-first",
];

fn main() {
    // Set by xtask for the release build that splits Backup Credentials off.
    println!("cargo::rustc-check-cfg=cfg(keyhaven_split)");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let module = out.join("argon2_lanes.wasm");
    let source =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it")).join("../argon2");
    for watched in [
        "src",
        "Cargo.toml",
        "module/src",
        "module/Cargo.toml",
        "module/Cargo.lock",
    ] {
        println!("cargo::rerun-if-changed={}", source.join(watched).display());
    }
    if env::var("CARGO_CFG_TARGET_ARCH").as_deref() != Ok("wasm32") {
        // Native builds (clippy, tests of other crates) don't run workers.
        fs::write(&module, []).expect("write OUT_DIR");
        return;
    }
    let target_dir = out.join("argon2-module");
    let status = Command::new(env::var_os("CARGO").expect("cargo sets CARGO"))
        .args([
            "build",
            "--release",
            "--offline",
            "--locked",
            "--target",
            "wasm32-unknown-unknown",
            "--manifest-path",
        ])
        .arg(source.join("module/Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("CARGO_ENCODED_RUSTFLAGS", FLAGS.join("\x1f"))
        // Not this build's wrappers and flags: clippy's driver and its
        // `-D warnings`, or the app's own RUSTFLAGS.
        .env_remove("RUSTFLAGS")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CLIPPY_ARGS")
        .env_remove("CARGO_BUILD_TARGET")
        .status()
        .expect("run cargo for the Argon2 lanes module");
    assert!(
        status.success(),
        "building argon2/module failed (see above)"
    );
    let built = target_dir.join("wasm32-unknown-unknown/release/keyhaven_argon2_module.wasm");
    fs::copy(&built, &module).expect("copy the Argon2 lanes module");
}
