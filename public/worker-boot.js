// Starts the key-derivation worker (Trunk builds it as worker.js +
// worker_bg.wasm with wasm-bindgen's no-modules target).
importScripts("./worker.js");
wasm_bindgen({ module_or_path: "./worker_bg.wasm" });
