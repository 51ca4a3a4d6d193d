// Tidewatch's service worker: keeps the app shell for offline use and shows alarm notifications.
//
// `cargo xtask build` writes the build id and the list of files below after Trunk has run (Trunk's file hash
// is taken before wasm-opt, so the cache is versioned by the hash of the final files instead).
const BUILD = "__TIDEWATCH_BUILD__";
const PRECACHE = __TIDEWATCH_PRECACHE__;
const CACHE = `tidewatch-${BUILD}`;
// The server's own routes are never cached here: the app keeps its last data itself, with its age.
const NETWORK_ONLY = ["/llu/", "/auth/", "/api/", "/pebble"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("tidewatch-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "skip-waiting") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (NETWORK_ONLY.some((prefix) => url.pathname.startsWith(prefix))) return;
  if (request.mode === "navigate") {
    // Network first, so a new version is seen at once; the cached shell when offline.
    event.respondWith(fetch(request).catch(() => caches.match("/", { cacheName: CACHE })));
    return;
  }
  event.respondWith(caches.match(request, { cacheName: CACHE }).then((hit) => hit || fetch(request)));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => new URL(w.url).origin === self.location.origin);
      return open ? open.focus() : self.clients.openWindow("/");
    }),
  );
});
