//! The app's entry point: Trunk builds this binary to wasm and `boot.js`
//! starts it.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(keyhaven_app::App);
}
