// Keyhaven's service worker: keeps the app shell (HTML, JS, wasm, CSS,
// icons) in a cache named for the release, so the app opens without the
// network. API calls are never touched: they go to the network or fail,
// and the app falls back to the copy of the account it keeps in IndexedDB.
//
// `cargo xtask` stamps VERSION and ASSETS once the app is built (see
// xtask/src/service_worker.rs); ASSETS lists every file of the release,
// the split-off wasm modules among them. Unstamped, the worker caches
// nothing.
const VERSION = "dev";
const ASSETS = [];
const CACHE = `keyhaven-${VERSION}`;

self.addEventListener("install", (event) => {
  // A new release installs beside the old one and then waits: the page
  // says "a new version is ready" and activates it only when the user
  // agrees (the "activate" message below). The first install has nothing
  // to wait for.
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(ASSETS)),
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "activate") self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  // Other tabs may still run the release this one replaces and have yet
  // to load some of its split-off pieces (a dialog opened for the first
  // time), which the server no longer has: its cache stays until the
  // next release. Older ones go. keys() lists caches in the order they
  // were made, so the replaced release's is the last of the others.
  event.waitUntil(
    caches
      .keys()
      .then((keys) => {
        const older = keys.filter((key) => key.startsWith("keyhaven-") && key !== CACHE);
        return Promise.all(older.slice(0, -1).map((key) => caches.delete(key)));
      })
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (VERSION === "dev" || request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  // Every route is the same page (the app routes in the browser), so a
  // navigation gets the release's index.html, even offline.
  const key = request.mode === "navigate" ? "/index.html" : request;
  // This release's files first; then the previous release's (for a tab
  // still running it); then the network.
  event.respondWith(
    caches
      .open(CACHE)
      .then((cache) => cache.match(key))
      .then((cached) => cached || (request.mode === "navigate" ? undefined : caches.match(request)))
      .then((cached) => cached || fetch(request)),
  );
});
