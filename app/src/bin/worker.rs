//! The key-derivation worker's entry point (see `keyhaven_app::worker`).

fn main() {
    keyhaven_app::worker::main();
}
