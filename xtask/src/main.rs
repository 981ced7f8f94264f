//! `cargo xtask run` and `cargo xtask test`: the two commands a fresh Debian
//! machine with Rust, Node and npm needs. Each step says what it does and
//! why; tools are installed only when the right version is missing.

mod bench;
mod build;
#[cfg(test)]
mod circles;
mod cmd;
mod dist;
mod server;
mod service_worker;
mod test;
mod tools;

use std::{path::PathBuf, process::ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        // `cargo xtask run -- --listen …`: everything after `--` goes to the server.
        Some("run") => run(args[1..]
            .strip_prefix(&["--".to_owned()])
            .unwrap_or(&args[1..])),
        Some("build") => build_app(),
        Some("test") => match test::Selection::parse(&args[1..]) {
            Ok(selection) => test::run(&Workspace::locate(), &selection),
            Err(message) => {
                eprintln!("xtask test: {message}");
                return ExitCode::from(2);
            }
        },
        Some("bench") if args.get(1).is_some_and(|a| a == "scale") => {
            bench::run_scale(&Workspace::locate())
        }
        Some("bench") => bench::run(&Workspace::locate()),
        Some("dist") => dist::run(&Workspace::locate()),
        Some("fleet-account") => bench::fleet_account::run(&args[1..]).map(|()| ExitCode::SUCCESS),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n\
                 commands:\n  \
                 run [SERVER FLAGS]  build the app and serve it with an SQLite file under ./data/\n  \
                 build               build the app into dist/ (as run does), without serving\n  \
                 test                every test: fmt, clippy, Rust, wasm in Chromium, e2e\n  \
                   --only SUITE,…    just these (fmt, clippy, rust, wasm, e2e)\n  \
                   -- ARGS           for Playwright: spec files, -g TITLE\n  \
                 bench               every benchmark beside its anchor; writes target/bench/report.md\n  \
                   scale             just the fleets of 10, 100 and 1,000 systems: target/bench/scale.md\n  \
                 dist                the release binary (app built in), a systemd unit and how to deploy: target/keyhaven-dist/\n  \
                 fleet-account ADDR USER PASSWORD PASSPHRASE SYSTEMS [URL]\n  \
                                     an account on the server at ADDR holding a generated fleet (the scale tests')"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask run`: install the build tools, build app and server in
/// release mode, and serve until Ctrl-C. Extra flags go to the server.
fn run(server_flags: &[String]) -> anyhow::Result<ExitCode> {
    let ws = Workspace::locate();
    tools::ensure_build_tools(&ws)?;
    build::app(&ws)?;
    let server = build::release_server(&ws)?;
    server::serve_foreground(&ws, &server, server_flags)
}

/// `cargo xtask build`: the app into `dist/`, stamped and precompressed.
fn build_app() -> anyhow::Result<ExitCode> {
    let ws = Workspace::locate();
    tools::ensure_build_tools(&ws)?;
    build::app(&ws)?;
    Ok(ExitCode::SUCCESS)
}

/// Where things are: the checkout and cargo's target directory.
pub struct Workspace {
    pub root: PathBuf,
    pub target: PathBuf,
}

impl Workspace {
    fn locate() -> Self {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask lives in the workspace")
            .to_path_buf();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .map_or_else(
                || root.join("target"),
                |dir| {
                    if dir.is_absolute() {
                        dir
                    } else {
                        root.join(dir)
                    }
                },
            );
        Self { root, target }
    }

    pub fn dist(&self) -> PathBuf {
        self.root.join("dist")
    }
}

/// Prints a step heading, so a long first run says what it is doing.
pub fn step(message: &str) {
    eprintln!("\n==> {message}");
}
