//! `cargo xtask dist`: what a self-hoster copies to a server — the release
//! binary with the app built into it, a hardened systemd unit, and how to
//! deploy it (`deploy/`).

use std::{fs, process::ExitCode};

use anyhow::Context;

use crate::{Workspace, build, step, tools};

pub(crate) fn run(ws: &Workspace) -> anyhow::Result<ExitCode> {
    tools::ensure_build_tools(ws)?;
    build::app(ws)?;
    let binary = build::release_server(ws)?;
    step("Writing the deployment folder");
    let out = ws.target.join("keyhaven-dist");
    fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let copies = [
        (binary.clone(), "keyhaven-server"),
        (ws.root.join("deploy/keyhaven.service"), "keyhaven.service"),
        (ws.root.join("deploy/README.md"), "README.md"),
    ];
    for (from, name) in &copies {
        fs::copy(from, out.join(name))
            .with_context(|| format!("copying {} to {}", from.display(), out.display()))?;
    }
    let size = fs::metadata(out.join("keyhaven-server"))?.len();
    eprintln!(
        "    {}\n      keyhaven-server   {:.1} MiB, the app built in (no --dist needed)\n      \
         keyhaven.service  a hardened systemd unit\n      README.md         how to deploy it",
        out.display(),
        size as f64 / (1024.0 * 1024.0)
    );
    Ok(ExitCode::SUCCESS)
}
