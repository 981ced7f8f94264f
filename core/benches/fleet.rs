//! The metadata document at fleet scale: 10, 100 and 1,000 systems (each
//! with two keypairs and two connections, every item sealed, as
//! `keyhaven_core::fleet` generates them). What one edit costs today, and
//! what the manifest's checks cost as the fleet grows. Prints the
//! document's size first; Criterion times the rest.
//! `cargo bench -p keyhaven-core --bench fleet`.

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
        fleet::{fleet, seal_all},
        keyring::{KdfParams, Keyring, Unlocked},
        model::{Connection, Manifest, Metadata},
        sync::metadata::{prove, pull, seal_manifest},
    };
    use rand_core::OsRng;
    use secrecy::SecretString;

    const SIZES: [usize; 3] = [10, 100, 1_000];
    const T0: u64 = 1_765_000_000_000;

    fn keyring() -> Unlocked {
        // The KDF is not what is measured here.
        let fast = KdfParams {
            memory_kib: 64,
            passes: 1,
            lanes: 1,
        };
        let passphrase = SecretString::from("correct horse battery staple".to_owned());
        Keyring::create_with_passphrase("fleet", &passphrase, fast, 0, &mut OsRng).unwrap()
    }

    /// The fleet as the server holds it, sealed at revision 1.
    fn document(systems: usize, key: &Unlocked) -> Metadata {
        let mut m = fleet(systems, 7, T0, "a");
        seal_all(&mut m, key, 1, &mut OsRng);
        m
    }

    /// `m` with one connection renamed, as browser `by` writes it.
    fn renamed(m: &Metadata, by: &str, key: &Unlocked) -> Metadata {
        let mut edited = m.clone();
        let connection = Connection {
            name: format!("renamed-by-{by}"),
            ..m.connection("s0001-c1").unwrap().clone()
        };
        edited.put_connection("s0001-c1", connection, T0 + 1_000, by);
        edited.seal(
            keyhaven_core::model::Kind::Connection,
            "s0001-c1",
            key,
            &mut OsRng,
        );
        seal_manifest(&mut edited, key, 1, &mut OsRng);
        edited
    }

    fn scale(c: &mut Criterion) {
        let key = keyring();
        for systems in SIZES {
            let doc = document(systems, &key);
            let bytes = doc.to_json();
            let edit = renamed(&doc, "b", &key);
            // Today every edit uploads the whole document, and every other
            // browser downloads it.
            println!(
                "fleet of {systems}: {} items, document {} bytes; one edit (rename one connection) uploads {} bytes and each other browser downloads as many",
                Manifest::of(&doc, 1).items.len(),
                bytes.len(),
                edit.to_json().len(),
            );
            let mut group = c.benchmark_group("fleet");
            group.sample_size(10);
            let readable = Metadata::from_json(&bytes).is_ok();
            if readable {
                group.bench_function(format!("read the document, {systems} systems"), |b| {
                    b.iter(|| Metadata::from_json(&bytes).unwrap());
                });
            } else {
                // Past core's cap on a stored document (`MAX_DOCUMENT`):
                // refused unread, as a browser refuses it.
                println!(
                    "fleet of {systems}: the document is over the cap a browser reads; not read"
                );
            }
            group.bench_function(format!("seal the manifest, {systems} systems"), |b| {
                b.iter_batched(
                    || edit.clone(),
                    |mut m| seal_manifest(&mut m, &key, 2, &mut OsRng),
                    BatchSize::LargeInput,
                );
            });
            group.bench_function(
                format!("prove against the manifest, {systems} systems"),
                |b| {
                    b.iter(|| prove(&doc, &key, 1));
                },
            );
            let theirs = renamed(&doc, "c", &key).to_json();
            if !readable {
                group.finish();
                continue;
            }
            group.bench_function(
                format!("take in a divergent copy (pull: read, prove, merge), {systems} systems"),
                |b| b.iter(|| pull(&edit, &theirs, "b", T0, Some((&key, 1)))),
            );
            group.finish();
        }
    }

    criterion_group!(benches, scale);
}
