//! A real PostgreSQL (Debian's package) started for the tests: its own
//! directory and port, run as the `postgres` user (initdb refuses root),
//! stopped when the last test using it is done. Each test gets its own
//! database.

use std::{
    path::PathBuf,
    process::Command,
    sync::{
        Arc, Mutex, Weak,
        atomic::{AtomicU32, Ordering},
    },
};

pub(crate) struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
}

static SHARED: Mutex<Weak<Cluster>> = Mutex::new(Weak::new());
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

fn bin_dir() -> PathBuf {
    let root = PathBuf::from("/usr/lib/postgresql");
    let mut versions: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("PostgreSQL is installed (cargo xtask test installs Debian's postgresql)")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().expect("a PostgreSQL version with initdb")
}

fn as_postgres(program: &PathBuf) -> Command {
    let mut command = Command::new("runuser");
    command.args(["-u", "postgres", "--"]).arg(program);
    command
}

fn run(mut command: Command) {
    let output = command.output().expect("runs");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

impl Cluster {
    /// The cluster every test of this process shares while any holds it.
    pub(crate) fn shared() -> Arc<Cluster> {
        let mut shared = SHARED.lock().unwrap();
        if let Some(cluster) = shared.upgrade() {
            return cluster;
        }
        let cluster = Arc::new(Cluster::start());
        *shared = Arc::downgrade(&cluster);
        cluster
    }

    fn start() -> Cluster {
        let bin = bin_dir();
        let dir = tempfile::Builder::new()
            .prefix("keyhaven-pg")
            .tempdir()
            .unwrap();
        run({
            let mut c = Command::new("chown");
            c.arg("postgres:postgres").arg(dir.path());
            c
        });
        let data = dir.path().join("data");
        run({
            let mut c = as_postgres(&bin.join("initdb"));
            c.arg("-D").arg(&data).args([
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]);
            c
        });
        let port = free_port();
        run({
            let mut c = as_postgres(&bin.join("pg_ctl"));
            c.arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(dir.path().join("server.log"))
                .args(["-w", "-o"])
                .arg(format!(
                    "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=on",
                    dir.path().display()
                ))
                .arg("start");
            c
        });
        Cluster { dir, bin, port }
    }

    /// A fresh, empty database for one test; returns its URL.
    pub(crate) async fn new_database(&self) -> String {
        let name = format!(
            "t{}_{}",
            std::process::id(),
            NEXT_DB.fetch_add(1, Ordering::SeqCst)
        );
        let admin = format!("postgres://postgres@127.0.0.1:{}/postgres", self.port);
        use sqlx::Connection;
        let mut connection = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut connection)
            .await
            .unwrap();
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
