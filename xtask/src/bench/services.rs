//! The services the benchmarks run against: an sshd on loopback (all
//! host-key types), a PostgreSQL cluster, each in a temporary directory,
//! and the TrueNAS API simulator; each stopped when dropped.

use std::{
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};

pub(crate) fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn wait_for_port(port: u16) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("nothing listens on port {port}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let output = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

fn temp_dir(prefix: &str) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

pub(crate) struct Sshd {
    pub port: u16,
    dir: PathBuf,
    child: Child,
}

impl Sshd {
    /// Ed25519, ECDSA and RSA host keys; `MaxStartups` raised so 100
    /// concurrent scans (several handshakes each) are not dropped.
    pub(crate) fn start() -> anyhow::Result<Sshd> {
        let dir = temp_dir("keyhaven-bench-sshd")?;
        let port = free_port()?;
        let mut config = format!("Port {port}\nListenAddress 127.0.0.1\n");
        for kind in ["ed25519", "ecdsa", "rsa"] {
            let key = dir.join(format!("ssh_host_{kind}_key"));
            run(Command::new("ssh-keygen")
                .args(["-q", "-t", kind, "-N", "", "-f"])
                .arg(&key))?;
            config.push_str(&format!("HostKey {}\n", key.display()));
        }
        config.push_str(&format!(
            "PidFile {}\nUsePAM no\nPasswordAuthentication no\nMaxStartups 2000\nLoginGraceTime 30\n",
            dir.join("sshd.pid").display()
        ));
        std::fs::write(dir.join("sshd_config"), config)?;
        std::fs::create_dir_all("/run/sshd")?;
        let child = Command::new("/usr/sbin/sshd")
            .arg("-D")
            .arg("-f")
            .arg(dir.join("sshd_config"))
            .arg("-E")
            .arg(dir.join("sshd.log"))
            .spawn()
            .context("starting sshd (Debian's openssh-server)")?;
        wait_for_port(port)?;
        Ok(Sshd { port, dir, child })
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The TrueNAS API simulator (`e2e/truenas-sim`, the debug build the
/// tests use), answering every call `latency_ms` late, as a system across
/// a WAN does.
pub(crate) struct TrueNasSim {
    pub port: u16,
    child: Child,
}

impl TrueNasSim {
    pub(crate) fn start(binary: &Path, latency_ms: u64) -> anyhow::Result<TrueNasSim> {
        let port = free_port()?;
        let child = Command::new(binary)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--user", "root:bench-root-password"])
            .args(["--latency-ms", &latency_ms.to_string()])
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        wait_for_port(port)?;
        Ok(TrueNasSim { port, child })
    }

    /// The URL a user registers for it.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for TrueNasSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Debian's PostgreSQL, run as the `postgres` user (initdb refuses root).
pub(crate) struct Postgres {
    pub port: u16,
    dir: PathBuf,
    bin: PathBuf,
}

fn as_postgres(program: &Path) -> Command {
    let mut command = Command::new("runuser");
    command.args(["-u", "postgres", "--"]).arg(program);
    command.stdout(Stdio::null());
    command
}

impl Postgres {
    pub(crate) fn start() -> anyhow::Result<Postgres> {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .context("PostgreSQL is installed (Debian's postgresql)")?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|p| p.join("initdb").exists())
            .collect();
        versions.sort();
        let bin = versions.pop().context("a PostgreSQL version with initdb")?;
        let dir = temp_dir("keyhaven-bench-pg")?;
        run(Command::new("chown").arg("postgres:postgres").arg(&dir))?;
        let data = dir.join("data");
        run(as_postgres(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-A", "trust"]))?;
        let port = free_port()?;
        // Durable as shipped: fsync and synchronous_commit stay on.
        run(as_postgres(&bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.join("log"))
            .arg("-o")
            .arg(format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
                dir.display()
            ))
            .args(["-w", "start"]))?;
        Ok(Postgres { port, dir, bin })
    }

    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "fast", "-w", "stop"])
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
