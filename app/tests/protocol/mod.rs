//! The page ↔ key worker messages (`keyhaven_app::worker::protocol`) read
//! back as they were written, secrets wiped from the JavaScript side.

use js_sys::{Object, Reflect, Uint8Array};
use keyhaven_app::worker::protocol::{LaneReply, Reply, Request};
use keyhaven_core::keyring::KdfParams;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use zeroize::Zeroizing;

#[wasm_bindgen_test]
fn requests_read_back_and_their_secret_is_wiped() {
    let requests = [
        Request::Argon2id {
            id: 7,
            secret: Zeroizing::new(b"correct horse".to_vec()),
            salt: [9; 16],
            params: KdfParams {
                memory_kib: 65_536,
                passes: 3,
                lanes: 4,
            },
        },
        Request::Bcrypt {
            id: 8,
            secret: Zeroizing::new(b"key passphrase".to_vec()),
            salt: vec![1, 2, 3],
            rounds: 16,
            length: 48,
        },
    ];
    for request in requests {
        let (object, secret) = request.to_js();
        assert_eq!(Request::from_js(&object), Ok(request.clone()));
        // Reading it wiped the posted copy of the secret.
        assert!(secret.to_vec().iter().all(|&b| b == 0));
        assert!(!format!("{request:?}").contains("horse"));
    }
}

#[wasm_bindgen_test]
fn a_request_that_is_not_one_is_refused_with_its_id() {
    let object = Object::new();
    Reflect::set(&object, &"id".into(), &5.into()).unwrap();
    Reflect::set(&object, &"secret".into(), &Uint8Array::from(&b"x"[..])).unwrap();
    Reflect::set(&object, &"kind".into(), &"scrypt".into()).unwrap();
    assert_eq!(Request::from_js(&object), Err(Some(5)));
    assert_eq!(Request::from_js(&JsValue::from_str("hello")), Err(None));
}

#[wasm_bindgen_test]
fn replies_read_back() {
    for reply in [
        Reply::Ready,
        Reply::Key {
            id: 3,
            key: Zeroizing::new(vec![4; 32]),
            threads: Some(4),
        },
        Reply::Key {
            id: 4,
            key: Zeroizing::new(vec![5; 48]),
            threads: None,
        },
        Reply::Failed {
            id: 5,
            message: "The salt must be 16 bytes.".into(),
        },
    ] {
        assert_eq!(Reply::from_js(&reply.to_js()), Some(reply));
    }
    assert_eq!(Reply::from_js(&JsValue::NULL), None);
}

#[wasm_bindgen_test]
fn lane_answers_are_read_as_the_helper_writes_them() {
    let done = Object::new();
    Reflect::set(&done, &"done".into(), &JsValue::TRUE).unwrap();
    assert_eq!(LaneReply::from_js(&done), LaneReply::Done);
    let failed = Object::new();
    Reflect::set(&failed, &"error".into(), &"no memory".into()).unwrap();
    assert_eq!(
        LaneReply::from_js(&failed),
        LaneReply::Failed("no memory".into())
    );
}
