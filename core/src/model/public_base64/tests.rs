use super::decode;
use base64ct::{Base64, Encoding};

#[test]
fn decodes_what_base64ct_encodes() {
    for len in 0..70 {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + len) as u8).collect();
        assert_eq!(decode(&Base64::encode_string(&bytes)), Some(bytes));
    }
}

#[test]
fn refuses_what_is_not_canonical_padded_base64() {
    for text in [
        "A", "AA", "AAA", "AA=", "A===", "====", "AA=A", "AB==", "AAB=", "AA\nA", "AA A", "AA-_",
        "AAAA====",
    ] {
        assert_eq!(decode(text), None, "{text:?}");
        assert!(
            Base64::decode_vec(text).is_err(),
            "base64ct accepts {text:?}"
        );
    }
}

// (proptest is not built for wasm32.)
#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use base64ct::{Base64, Encoding};
    use proptest::prelude::*;

    use super::decode;

    proptest! {
        // Whatever the text, the answer is base64ct's: the same bytes, or a
        // refusal for both.
        #[test]
        fn agrees_with_base64ct(text in "[A-Za-z0-9+/=]{0,16}") {
            prop_assert_eq!(decode(&text), Base64::decode_vec(&text).ok());
        }

        #[test]
        fn round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
            prop_assert_eq!(decode(&Base64::encode_string(&bytes)), Some(bytes));
        }
    }
}
