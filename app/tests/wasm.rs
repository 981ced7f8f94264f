//! The app mounted in a real browser page (headless Chromium, run by
//! wasm-bindgen-test-runner from `cargo xtask test`).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn the_app_mounts_and_renders_its_shell() {
    let body = web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .body()
        .unwrap();
    assert!(!body.text_content().unwrap_or_default().contains("Keyhaven"));
    leptos::mount::mount_to_body(keyhaven_app::App);
    let text = body.text_content().unwrap_or_default();
    assert!(text.contains("Keyhaven"), "top bar missing: {text}");
}

mod lanes;
mod names;
mod protocol;
