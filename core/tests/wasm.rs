//! The same core code, run as wasm32 inside headless Chromium
//! (`cargo xtask test` runs it with wasm-bindgen-test-runner).
#![cfg(target_arch = "wasm32")]

use keyhaven_core::api::ErrorBody;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn wire_types_round_trip_in_the_browser() {
    let body = ErrorBody::new("conflict", "Someone else changed this.");
    let text = serde_json::to_string(&body).unwrap();
    assert_eq!(
        text,
        r#"{"error":{"code":"conflict","message":"Someone else changed this."}}"#
    );
    assert_eq!(serde_json::from_str::<ErrorBody>(&text).unwrap(), body);
}
