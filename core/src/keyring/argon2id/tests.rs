use super::*;
use crate::keyring::derive_kek;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// RFC 9106 §5.3, Argon2id's test vector: secret and associated data set,
/// 4 lanes over 32 KiB.
#[test]
fn rfc_9106_test_vector() {
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
    assert_eq!(
        hex(&hash(&inputs, params).unwrap()),
        "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"
    );
}

/// The same answers as the Argon2 the keyring has always used, across
/// lane counts, memory sizes that don't divide evenly, and pass counts.
#[test]
fn agrees_with_the_keyrings_argon2() {
    let salt = *b"0123456789abcdef";
    for (memory_kib, passes, lanes) in [
        (8, 1, 1),
        (256, 2, 1),
        (1024, 3, 4),
        (1000, 3, 4),
        (333, 2, 3),
        (2048, 1, 8),
        (4096, 4, 16),
    ] {
        let params = KdfParams {
            memory_kib,
            passes,
            lanes,
        };
        let ours = hash(&Inputs::keyring(b"correct horse", &salt), params).unwrap();
        let reference = derive_kek(b"correct horse", &salt, params).unwrap();
        assert_eq!(&ours[..], reference.expose(), "{params:?}");
    }
}

/// The design's default (64 MiB, 3 passes, 4 lanes), pinned: the browser's
/// parallel fill is checked against the same answer.
#[test]
fn the_keyring_default_is_pinned() {
    let tag = hash(
        &Inputs::keyring(b"correct horse battery staple", b"somesaltsomesalt"),
        KdfParams::DEFAULT,
    )
    .unwrap();
    let reference = derive_kek(
        b"correct horse battery staple",
        b"somesaltsomesalt",
        KdfParams::DEFAULT,
    )
    .unwrap();
    assert_eq!(&tag[..], reference.expose());
    assert_eq!(hex(&tag), DEFAULT_VECTOR);
}

/// Argon2id, 64 MiB, t=3, p=4 of "correct horse battery staple" with salt
/// "somesaltsomesalt": this module and `rust-argon2` agree on it (the test
/// above); the app's wasm tests hold the parallel fill to it.
pub(super) const DEFAULT_VECTOR: &str =
    "9ad07bbd9285b844035737997b9953b5fdc13c2d5ee412f550acbb216fd2a55d";

#[test]
fn bad_parameters_are_refused() {
    let params = KdfParams {
        memory_kib: 64,
        passes: 1,
        lanes: 1,
    };
    assert!(hash(&Inputs::keyring(b"p", b"short"), params).is_err());
    let mut inputs = Inputs::keyring(b"p", b"somesaltsomesalt");
    inputs.tag_length = 3;
    assert!(hash(&inputs, params).is_err());
}
