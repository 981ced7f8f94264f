//! Argon2id's lanes on helper workers over one shared memory
//! (`keyhaven_app::worker::lanes`), checked bit for bit against the RFC's vector,
//! the keyring's pinned vector and the one-thread Argon2 of `core`. The
//! test runner's page is cross-origin isolated, as Keyhaven's server makes
//! the app's.

use keyhaven_app::worker::lanes::Lanes;
use keyhaven_core::keyring::{
    KdfParams,
    argon2id::{Inputs, hash},
    derive_kek,
};
use wasm_bindgen_test::*;
use web_sys::{Blob, BlobPropertyBag, Url};

/// The helper script, as a Blob URL (the runner's server doesn't serve
/// Keyhaven's files).
fn helper_url() -> String {
    let parts = js_sys::Array::of1(&include_str!("../../../public/argon2-lane.js").into());
    let options = BlobPropertyBag::new();
    options.set_type("text/javascript");
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options).unwrap();
    Url::create_object_url_with_blob(&blob).unwrap()
}

fn pool() -> Lanes {
    let lanes = Lanes::start(&helper_url())
        .expect("a cross-origin isolated page with two cores starts helper threads");
    assert!(lanes.threads() >= 2, "{} threads", lanes.threads());
    lanes
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[wasm_bindgen_test]
async fn the_rfc_9106_vector_on_parallel_lanes() {
    let inputs = Inputs {
        password: &[1; 32],
        salt: &[2; 16],
        secret: &[3; 8],
        associated_data: &[4; 12],
        tag_length: 32,
    };
    let params = KdfParams {
        memory_kib: 32,
        passes: 3,
        lanes: 4,
    };
    let tag = pool().hash(&inputs, params).await.unwrap();
    assert_eq!(
        hex(&tag),
        "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"
    );
}

/// The keyring's default (64 MiB, t=3, p=4): the vector pinned in core's
/// `argon2id` tests, and the key the one-thread worker derives.
#[wasm_bindgen_test]
async fn the_keyring_default_on_parallel_lanes() {
    let (password, salt) = (b"correct horse battery staple", b"somesaltsomesalt");
    let tag = pool()
        .hash(&Inputs::keyring(password, salt), KdfParams::DEFAULT)
        .await
        .unwrap();
    assert_eq!(
        hex(&tag),
        "9ad07bbd9285b844035737997b9953b5fdc13c2d5ee412f550acbb216fd2a55d"
    );
    let alone = derive_kek(password, salt, KdfParams::DEFAULT).unwrap();
    assert_eq!(&tag[..], alone.expose());
}

/// The keyring KDF's known answers (`core::keyring::kdf`'s tests, from the
/// reference C implementation), one lane and four.
#[wasm_bindgen_test]
async fn the_keyring_kdfs_known_answers_on_parallel_lanes() {
    let lanes = pool();
    for (password, salt, memory_kib, passes, lanes_count, tag) in [
        (
            &b"password"[..],
            b"somesaltsomesalt",
            256,
            2,
            1,
            "cab746b4621993fdc91ec50787980b414a90a692f0bc68dfe19f9c25b3cba9ec",
        ),
        (
            b"correct horse",
            b"0123456789abcdef",
            1024,
            3,
            4,
            "8b98585ada6f12f73c4a46b1dc549fb7e19d75762349343a5ee34712157ea3c7",
        ),
    ] {
        let params = KdfParams {
            memory_kib,
            passes,
            lanes: lanes_count,
        };
        let parallel = lanes
            .hash(&Inputs::keyring(password, salt), params)
            .await
            .unwrap();
        assert_eq!(hex(&parallel), tag, "{params:?}");
    }
}

/// Lanes that don't share out evenly, more lanes than threads, memory that
/// isn't a multiple of the lanes, one pool reused for all of them.
#[wasm_bindgen_test]
async fn uneven_shapes_agree_with_one_thread() {
    let lanes = pool();
    for (memory_kib, passes, lanes_count) in
        [(333, 2, 3), (1000, 1, 16), (2048, 4, 2), (4100, 3, 5)]
    {
        let params = KdfParams {
            memory_kib,
            passes,
            lanes: lanes_count,
        };
        let inputs = Inputs::keyring(b"hunter2", b"0123456789abcdef");
        let parallel = lanes.hash(&inputs, params).await.unwrap();
        assert_eq!(parallel, hash(&inputs, params).unwrap(), "{params:?}");
    }
}

/// A helper that fails (here: a script that answers every job with an
/// error) fails the derivation and breaks the pool, so its owner derives on
/// one thread instead; the threads left waiting at the barrier are ended
/// with the pool.
#[wasm_bindgen_test]
async fn a_failing_thread_breaks_the_pool() {
    let script = "onmessage = () => postMessage({ error: 'injected failure' });";
    let parts = js_sys::Array::of1(&script.into());
    let options = BlobPropertyBag::new();
    options.set_type("text/javascript");
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options).unwrap();
    let lanes = Lanes::start(&Url::create_object_url_with_blob(&blob).unwrap()).unwrap();
    let params = KdfParams {
        memory_kib: 64,
        passes: 1,
        lanes: 4,
    };
    let error = lanes
        .hash(&Inputs::keyring(b"p", b"0123456789abcdef"), params)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("injected failure"), "{error}");
    assert!(lanes.is_broken());
    // And it stays broken: nothing is posted to its threads again.
    assert!(
        lanes
            .hash(&Inputs::keyring(b"p", b"0123456789abcdef"), params)
            .await
            .is_err()
    );
}
