//! `cargo xtask fleet-account ADDR USER PASSWORD PASSPHRASE SYSTEMS [URL]`:
//! an account holding a generated fleet (core's `fleet`), as a browser with
//! the keyring unlocked would have stored it: a keyring under PASSPHRASE
//! with an API key for every system, and the metadata, sealed, in its
//! parts. Every system's URL is a loopback address with nothing listening
//! (or URL, for all of them: the scale benchmark's slow simulator), so a
//! test that opens the fleet sends nothing off the machine. The scale e2e
//! test and benchmark build their accounts with it.

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
    let (addr, user, password, passphrase, systems, url) = match args {
        [a, u, p, s, n] => (a, u, p, s, n, None),
        [a, u, p, s, n, url] => (a, u, p, s, n, Some(url.as_str())),
        _ => bail!("usage: cargo xtask fleet-account ADDR USER PASSWORD PASSPHRASE SYSTEMS [URL]"),
    };
    let systems: usize = systems.parse().context("SYSTEMS is a number")?;
    let passphrase = SecretString::from(passphrase.clone());
    let (bytes, parts) = create(addr, user, password, &passphrase, systems, url)?;
    println!("{user}: {systems} systems, metadata {bytes} bytes in {parts} parts");
    Ok(())
}

/// Creates the account; returns the metadata's size as one document and
/// how many parts store it.
pub(crate) fn create(
    addr: &str,
    user: &str,
    password: &str,
    passphrase: &SecretString,
    systems: usize,
    url: Option<&str>,
) -> anyhow::Result<(usize, usize)> {
    let cookie = http::create_account(addr, user, password)?;
    let mut keyring =
        Keyring::create_with_passphrase("fleet", passphrase, KdfParams::DEFAULT, 0, &mut OsRng)?;
    // 127.0.0.0/8 is loopback: port 1 refuses at once.
    let mut doc = fleet_at(systems, 7, WRITTEN, "fleet-generator", |n| {
        url.map_or_else(
            || format!("http://127.0.{}.{}:1", n / 256, n % 256),
            str::to_owned,
        )
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
    Ok((doc.to_json().len(), parts.len()))
}
