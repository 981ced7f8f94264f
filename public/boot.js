// Starts the app without an inline script (the Content-Security-Policy
// forbids those). xtask writes the wasm's hashed file name into this tag's
// data attributes (xtask/src/build/split.rs).
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
    // A new release may already be installing (the browser looks on every
    // navigation, possibly before this line runs): follow it either way.
    const follow = (worker) => {
      if (!worker) return;
      if (worker.state === "installed") return announce(worker);
      worker.addEventListener("statechange", () => {
        if (worker.state === "installed") announce(worker);
      });
    };
    follow(registration.waiting);
    follow(registration.installing);
    registration.addEventListener("updatefound", () => follow(registration.installing));
    // Look for a new release whenever the app opens (the browser's own
    // check on navigation is not always made) and hourly while it stays
    // open; offline the check fails quietly.
    const check = () => registration.update().catch(() => {});
    check();
    setInterval(check, 60 * 60 * 1000);
  }
}
