// Starts the app without an inline script (the Content-Security-Policy
// forbids those). Trunk writes the hashed file names into this tag's data
// attributes (see `pattern_script` in Trunk.toml).
const tag = document.querySelector("script[data-js][data-wasm]");
const { default: init } = await import(tag.dataset.js);
await init({ module_or_path: tag.dataset.wasm });
