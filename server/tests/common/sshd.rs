//! A real OpenSSH server on a loopback port with Ed25519, ECDSA and RSA host
//! keys, stopped when dropped.

use std::{
    path::PathBuf,
    process::{Child, Command},
    time::{Duration, Instant},
};

pub(crate) struct Sshd {
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Child,
}

impl Sshd {
    pub(crate) fn start() -> Sshd {
        let dir = tempfile::Builder::new()
            .prefix("keyhaven-sshd")
            .tempdir()
            .unwrap();
        let mut config = String::new();
        let port = super::postgres::free_port();
        config.push_str(&format!("Port {port}\nListenAddress 127.0.0.1\n"));
        for kind in ["ed25519", "ecdsa", "rsa"] {
            let key = dir.path().join(format!("ssh_host_{kind}_key"));
            let status = Command::new("ssh-keygen")
                .args(["-q", "-t", kind, "-N", "", "-f"])
                .arg(&key)
                .status()
                .unwrap();
            assert!(status.success());
            config.push_str(&format!("HostKey {}\n", key.display()));
        }
        config.push_str(&format!(
            "PidFile {}\nUsePAM no\nAuthorizedKeysFile {}\nPasswordAuthentication no\nStrictModes no\n",
            dir.path().join("sshd.pid").display(),
            dir.path().join("authorized_keys").display(),
        ));
        let config_path = dir.path().join("sshd_config");
        std::fs::write(&config_path, config).unwrap();
        std::fs::create_dir_all("/run/sshd").unwrap();
        let child = Command::new("/usr/sbin/sshd")
            .arg("-D")
            .arg("-f")
            .arg(&config_path)
            .arg("-E")
            .arg(dir.path().join("sshd.log"))
            .spawn()
            .expect("sshd runs (cargo xtask test installs openssh-server)");
        wait_for_port(port);
        Sshd { port, dir, child }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn host_key_files(&self) -> Vec<PathBuf> {
        ["ed25519", "ecdsa", "rsa"]
            .iter()
            .map(|k| self.dir.path().join(format!("ssh_host_{k}_key")))
            .collect()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `ssh-keyscan`'s answer for a port, as the sorted set of `type base64`.
pub(crate) fn keyscan(port: u16) -> Vec<String> {
    let output = Command::new("ssh-keyscan")
        .args([
            "-p",
            &port.to_string(),
            "-t",
            "rsa,ecdsa,ed25519",
            "127.0.0.1",
        ])
        .output()
        .unwrap();
    let mut keys: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            l.split_whitespace()
                .skip(1)
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    keys.sort();
    keys
}

pub(crate) fn fingerprint(public_key_line: &str) -> String {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), format!("{public_key_line}\n")).unwrap();
    let output = Command::new("ssh-keygen")
        .arg("-l")
        .arg("-f")
        .arg(file.path())
        .output()
        .unwrap();
    String::from_utf8(output.stdout)
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned()
}
