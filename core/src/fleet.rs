//! Generated fleets, for the scale benchmarks and fixtures: `systems`
//! TrueNAS systems, each with two keypairs and two connections whose host
//! keys look like a real sshd's (Ed25519, ECDSA P-256 and RSA 3072 lines),
//! and [`seal_all`] to seal it as a browser with the keyring unlocked would. Deterministic for a seed, so
//! two runs measure the same document. (Not used by the app.)

use base64ct::{Base64, Encoding};
use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};

use crate::{
    keyring::Unlocked,
    model::{Connection, Keypair, Metadata, System},
};

/// A deterministic byte stream: SHA-256 of the seed and a counter.
struct Bytes {
    seed: u64,
    counter: u64,
}

impl Bytes {
    fn take(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n + 32);
        while out.len() < n {
            self.counter += 1;
            let block = Sha256::new()
                .chain_update(self.seed.to_le_bytes())
                .chain_update(self.counter.to_le_bytes())
                .finalize();
            out.extend_from_slice(&block);
        }
        out.truncate(n);
        out
    }

    /// An OpenSSH public key line of `kind` whose key data is `blob`
    /// bytes and reads as a key of that kind (random values, well formed:
    /// a form that checks host keys takes them).
    fn key_line(&mut self, kind: &str, blob: usize) -> String {
        fn put(w: &mut Vec<u8>, field: &[u8]) {
            w.extend_from_slice(&(field.len() as u32).to_be_bytes());
            w.extend_from_slice(field);
        }
        let mut w = Vec::with_capacity(blob);
        put(&mut w, kind.as_bytes());
        match kind {
            "ssh-ed25519" => put(&mut w, &self.take(32)),
            "ecdsa-sha2-nistp256" => {
                put(&mut w, b"nistp256");
                let mut point = vec![4];
                point.extend(self.take(64));
                put(&mut w, &point);
            }
            _ => {
                put(&mut w, &[1, 0, 1]);
                // A positive modulus with its top bit set: 0x00, then the rest.
                let mut modulus = vec![0];
                modulus.extend(self.take(blob - w.len() - 4 - 1));
                modulus[1] |= 0x80;
                put(&mut w, &modulus);
            }
        }
        format!("{kind} {}", Base64::encode_string(&w))
    }
}

/// A fleet of `systems` systems (ids `s0001`…), written at `now` by `by`
/// (unsealed: see [`seal_all`]).
pub fn fleet(systems: usize, seed: u64, now: u64, by: &str) -> Metadata {
    fleet_at(systems, seed, now, by, |n| {
        format!("https://nas{n:04}.fleet.example")
    })
}

/// [`fleet`] with system `n`'s URL from `url` (a test's fleet points at
/// loopback, so nothing leaves the machine).
pub fn fleet_at(
    systems: usize,
    seed: u64,
    now: u64,
    by: &str,
    url: impl Fn(usize) -> String,
) -> Metadata {
    let mut bytes = Bytes { seed, counter: 0 };
    let mut m = Metadata::default();
    for n in 1..=systems {
        let system = format!("s{n:04}");
        m.put_system(
            &system,
            System {
                name: format!("nas{n:04}"),
                url: url(n),
                api_username: Some("root".into()),
                api_key_id: Some(n as i64),
            },
            now,
            by,
        );
        for k in 1..=2 {
            let keypair = format!("{system}-k{k}");
            let (key_type, blob) = if k == 1 {
                ("ssh-ed25519", 51)
            } else {
                ("ssh-rsa", 407)
            };
            m.put_keypair(
                &keypair,
                Keypair {
                    name: format!("nas{n:04}-repl{k}"),
                    key_type: key_type.into(),
                    public_key: bytes.key_line(key_type, blob),
                    fingerprint: format!("SHA256:{}", Base64::encode_string(&bytes.take(32))),
                },
                now,
                by,
            );
            let host_keys = [
                bytes.key_line("ssh-ed25519", 51),
                bytes.key_line("ecdsa-sha2-nistp256", 104),
                bytes.key_line("ssh-rsa", 407),
            ];
            m.put_connection(
                &format!("{system}-c{k}"),
                Connection {
                    name: format!("nas{n:04}-to-nas{:04}-{k}", n % systems + 1),
                    host: format!("nas{:04}.fleet.example", n % systems + 1),
                    port: 22,
                    username: "root".into(),
                    keypair_id: keypair,
                    remote_host_keys: host_keys.join("\n"),
                    connect_timeout: 10,
                },
                now,
                by,
            );
        }
    }
    m
}

/// Seals every live item and the manifest (at `revision`), as a browser
/// with the keyring unlocked writes the document.
pub fn seal_all(m: &mut Metadata, keyring: &Unlocked, revision: u64, rng: &mut impl CryptoRngCore) {
    for (kind, id) in m.changed_since(&Metadata::default()) {
        m.seal(kind, &id, keyring, rng);
    }
    m.seal_manifests(keyring, revision, rng);
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_generated_host_keys_read_as_keys() {
        let m = super::fleet(3, 1, 1_000, "a");
        for (_, connection) in m.connections() {
            let keys = crate::ssh::parse_host_keys(&connection.remote_host_keys).unwrap();
            assert_eq!(keys.len(), 3);
        }
    }
}
