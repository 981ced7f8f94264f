//! `cargo xtask fleet-account ADDR USER PASSWORD PASSPHRASE SYSTEMS`: an
//! account holding a generated fleet (core's `fleet`), as a browser with
//! the keyring unlocked would have stored it: a keyring under PASSPHRASE
//! with an API key for every system, and the metadata, sealed, in its
//! parts. Every system's URL is a loopback address with nothing listening,
//! so a test that opens the fleet sends nothing off the machine. The
//! scale e2e test and benchmark build their accounts with it.

use anyhow::{Context, bail};
use keyhaven_core::{
    fleet::{fleet_at, seal_all},
    keyring::{EntryValue, KdfParams, Keyring, api_key_id},
    sync::stored,
};
use rand_core::OsRng;
use secrecy::SecretString;

use super::http;

/// When the fleet was written (a fixed time, so runs compare).
const WRITTEN: u64 = 1_765_000_000_000;

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let [addr, user, password, passphrase, systems] = args else {
        bail!("usage: cargo xtask fleet-account ADDR USER PASSWORD PASSPHRASE SYSTEMS");
    };
    let systems: usize = systems.parse().context("SYSTEMS is a number")?;
    let cookie = http::create_account(addr, user, password)?;
    let passphrase = SecretString::from(passphrase.clone());
    let mut keyring =
        Keyring::create_with_passphrase("fleet", &passphrase, KdfParams::DEFAULT, 0, &mut OsRng)?;
    // 127.0.0.0/8 is loopback: port 1 refuses at once.
    let mut doc = fleet_at(systems, 7, WRITTEN, "fleet-generator", |n| {
        format!("http://127.0.{}.{}:1", n / 256, n % 256)
    });
    for id in doc.systems.keys() {
        let value = EntryValue::ApiKey {
            username: "root".into(),
            key: SecretString::from(format!("{id}-{}", "k".repeat(60))),
        };
        keyring.set(&api_key_id(id), &value, WRITTEN, &mut OsRng)?;
    }
    seal_all(&mut doc, &keyring, 1, &mut OsRng);
    http::create_blob(addr, &cookie, "keyring", &keyring.seal(&mut OsRng))?;
    let (top, parts) = stored::store(&doc);
    for part in parts.values() {
        http::create_blob(addr, &cookie, &part.name, &part.bytes)?;
    }
    http::create_blob(addr, &cookie, "metadata", &top.to_json())?;
    println!(
        "{user}: {systems} systems, metadata {} bytes in {} parts",
        doc.to_json().len(),
        parts.len()
    );
    Ok(())
}
