// Starts the app without an inline script (the Content-Security-Policy
// forbids those). Trunk writes the hashed file names into this tag's data
// attributes (see `pattern_script` in Trunk.toml).
const tag = document.querySelector("script[data-js][data-wasm]");
const { default: init } = await import(tag.dataset.js);
await init({ module_or_path: tag.dataset.wasm });

// The service worker (sw.js) keeps this release for offline use. When a
// newer release has installed and is waiting, the app is told (the
// `keyhaven-update` event; it shows "A new version of Keyhaven is ready")
// and calls `keyhavenApplyUpdate` only when the user agrees; the page then
// reloads into the new release once it has taken over.
if ("serviceWorker" in navigator) {
  let waiting = null;
  let agreed = false;
  const announce = (worker) => {
    // The very first install has no page to replace.
    if (!worker || !navigator.serviceWorker.controller) return;
    waiting = worker;
    window.dispatchEvent(new Event("keyhaven-update"));
  };
  window.keyhavenUpdateReady = () => waiting !== null;
  window.keyhavenApplyUpdate = () => {
    agreed = true;
    waiting?.postMessage("activate");
  };
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (agreed) location.reload();
  });
  // Offline the registration can't be refreshed; the installed one stays.
  const registration = await navigator.serviceWorker
    .register("/sw.js", { updateViaCache: "none" })
    .catch(() => navigator.serviceWorker.getRegistration());
  if (registration) {
    announce(registration.waiting);
    registration.addEventListener("updatefound", () => {
      const worker = registration.installing;
      worker?.addEventListener("statechange", () => {
        if (worker.state === "installed") announce(worker);
      });
    });
    // The app is one long-lived page: look for a new release now and
    // then, not only when it is opened.
    setInterval(() => registration.update().catch(() => {}), 60 * 60 * 1000);
  }
}
