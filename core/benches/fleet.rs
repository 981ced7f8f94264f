//! The metadata document at fleet scale: 10, 100 and 1,000 systems (each
//! with two keypairs and two connections, every item sealed, as
//! `keyhaven_core::fleet` generates them). What one edit moves (the parts
//! it changed and the top: `sync::stored`), and what the manifest's checks
//! and a pull cost as the fleet grows. Prints the sizes first; Criterion
//! times the rest.
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
        model::{Connection, Kind, Manifest, Metadata, PartSet, part_of},
        sync::{
            metadata::{prove, pull_document, seal_manifest},
            stored::{self, Read},
        },
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

    /// Bytes one write of `after` moves over `before` as stored: the parts
    /// whose names changed, and the top (each other browser fetches as
    /// much).
    fn moved(before: &Metadata, after: &Metadata) -> usize {
        let (_, had) = stored::store(before);
        let (top, parts) = stored::store(after);
        let changed: usize = parts
            .iter()
            .filter(|(part, p)| had.get(*part).map(|h| &h.name) != Some(&p.name))
            .map(|(_, p)| p.bytes.len())
            .sum();
        changed + top.to_json().len()
    }

    fn scale(c: &mut Criterion) {
        let key = keyring();
        for systems in SIZES {
            let doc = document(systems, &key);
            let whole = doc.to_json().len();
            let edit = renamed(&doc, "b", &key);
            let (top, parts) = stored::store(&doc);
            let largest = parts.values().map(|p| p.bytes.len()).max().unwrap_or(0);
            let moved = moved(&doc, &edit);
            println!(
                "fleet of {systems}: {} items, document {whole} bytes in {} parts (largest {largest} bytes, top {} bytes); one edit (rename one connection) moves {moved} bytes up and as many down to each other browser: {:.2} % of the document",
                Manifest::of(&doc, 1).items.len(),
                parts.len(),
                top.to_json().len(),
                moved as f64 * 100.0 / whole as f64,
            );
            let mut group = c.benchmark_group("fleet");
            group.sample_size(10);
            let top_bytes = top.to_json();
            group.bench_function(
                format!("store the document in parts, {systems} systems"),
                |b| {
                    b.iter(|| stored::store(&edit));
                },
            );
            group.bench_function(
                format!("read the top and every part, {systems} systems"),
                |b| {
                    b.iter(|| {
                        let Ok(Read::Top(top)) = Read::from_json(&top_bytes) else {
                            unreachable!()
                        };
                        let read = parts
                            .iter()
                            .map(|(part, p)| (part, stored::read_part(part, &p.bytes).unwrap().0))
                            .collect();
                        stored::assemble(&top, &read)
                    });
                },
            );
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
            let theirs = renamed(&doc, "c", &key);
            group.bench_function(
                format!("full merge of a divergent copy (prove, merge), {systems} systems"),
                |b| {
                    b.iter_batched(
                        || theirs.clone(),
                        |theirs| pull_document(&edit, Some(theirs), None, "b", T0, Some((&key, 1))),
                        BatchSize::LargeInput,
                    );
                },
            );
            // What a browser does when one part changed: the top, that
            // part, and the manifests it knew of the others.
            let present: PartSet = [part_of(Kind::Connection, "s0001-c1")]
                .into_iter()
                .collect();
            let mut partial = theirs.restricted(&present);
            partial.manifest.clone_from(&theirs.manifest);
            partial.part_manifests.clone_from(&theirs.part_manifests);
            group.bench_function(
                format!("take in one changed part (prove, merge), {systems} systems"),
                |b| {
                    b.iter_batched(
                        || partial.clone(),
                        |partial| {
                            pull_document(
                                &edit,
                                Some(partial),
                                Some(&present),
                                "b",
                                T0,
                                Some((&key, 1)),
                            )
                        },
                        BatchSize::LargeInput,
                    );
                },
            );
            group.finish();
        }
    }

    criterion_group!(benches, scale);
}
