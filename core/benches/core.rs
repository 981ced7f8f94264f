//! Criterion benchmarks of the core's costly paths: unlocking (Argon2id at
//! the default 64 MiB, 3 passes, 4 lanes), entry encryption and decryption,
//! and key generation. `cargo bench -p keyhaven-core`.

// Native only: criterion does not build for wasm32 (`clippy --target
// wasm32 --all-targets` still compiles this file).
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{BatchSize, Criterion, criterion_group};
    use keyhaven_core::{
        keyring::{EntryValue, KdfParams, Keyring, derive_kek},
        ssh::{self, KeyKind},
    };
    use rand_core::OsRng;
    use secrecy::SecretString;

    fn api_key(n: usize) -> EntryValue {
        EntryValue::ApiKey {
            username: "root".into(),
            key: SecretString::from(format!("{n}-{}", "k".repeat(64))),
        }
    }

    fn unlock(c: &mut Criterion) {
        let mut group = c.benchmark_group("unlock");
        group.sample_size(10);
        group.bench_function("argon2id 64MiB t=3 p=4", |b| {
            b.iter(|| {
                derive_kek(
                    b"correct horse battery staple",
                    &[7; 16],
                    KdfParams::DEFAULT,
                )
                .unwrap()
            });
        });
        let passphrase = SecretString::from("correct horse battery staple".to_owned());
        let mut keyring = Keyring::create_with_passphrase(
            "bench",
            &passphrase,
            KdfParams::DEFAULT,
            0,
            &mut OsRng,
        )
        .unwrap();
        for n in 0..100 {
            keyring
                .set(&format!("api-key/s{n}"), &api_key(n), 0, &mut OsRng)
                .unwrap();
        }
        let bytes = keyring.seal(&mut OsRng);
        group.bench_function("unlock and read 100 entries", |b| {
            b.iter(|| {
                let keyring = Keyring::parse(&bytes).unwrap();
                let unlocked = keyring.unlock_with_passphrase(&passphrase).unwrap();
                for id in keyring.entry_ids() {
                    unlocked.get(id).unwrap();
                }
            });
        });
        group.finish();
    }

    fn entries(c: &mut Criterion) {
        let fast = KdfParams {
            memory_kib: 64,
            passes: 1,
            lanes: 1,
        };
        let passphrase = SecretString::from("p".to_owned());
        let mut keyring =
            Keyring::create_with_passphrase("bench", &passphrase, fast, 0, &mut OsRng).unwrap();
        keyring
            .set("api-key/a", &api_key(1), 0, &mut OsRng)
            .unwrap();
        c.bench_function("entry encrypt", |b| {
            b.iter(|| {
                keyring
                    .set("api-key/b", &api_key(2), 1, &mut OsRng)
                    .unwrap();
            });
        });
        c.bench_function("entry decrypt", |b| {
            b.iter(|| keyring.get("api-key/a").unwrap());
        });
        c.bench_function("seal 2 entries", |b| b.iter(|| keyring.seal(&mut OsRng)));
    }

    fn keygen(c: &mut Criterion) {
        c.bench_function("ed25519 keygen", |b| {
            b.iter(|| ssh::generate(KeyKind::Ed25519, "", &mut OsRng).unwrap());
        });
        c.bench_function("ecdsa p256 keygen", |b| {
            b.iter(|| ssh::generate(KeyKind::EcdsaP256, "", &mut OsRng).unwrap());
        });
        let mut group = c.benchmark_group("rsa");
        group.sample_size(10);
        group.bench_function(
            "rsa 3072 keygen (native; the browser uses WebCrypto)",
            |b| {
                b.iter_batched(
                    || (),
                    |()| ssh::generate(KeyKind::Rsa(3072), "", &mut OsRng).unwrap(),
                    BatchSize::PerIteration,
                );
            },
        );
        group.finish();
    }

    criterion_group!(benches, unlock, entries, keygen);
}
