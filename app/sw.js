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

// Background alarms: the worker's cron sends Web Push (already decrypted by the browser). The payload is
// {v, sub, key, kind, title, body, tag, urgent, silent, snooze_min, at}; sub and key let the actions below
// answer for this phone.
self.addEventListener("push", (event) => {
  let alarm;
  try {
    alarm = event.data ? event.data.json() : null;
  } catch {
    alarm = null;
  }
  if (!alarm || typeof alarm.title !== "string") {
    // Something arrived that this version cannot read: still say so, never stay silent.
    alarm = { title: "Tidewatch", body: "Open Tidewatch to see the latest.", tag: "tw-unknown", urgent: false };
  }
  const actions =
    alarm.snooze_min > 0
      ? [
          { action: "ack", title: "I'm on it" },
          { action: "snooze", title: `Snooze ${alarm.snooze_min} min` },
        ]
      : [];
  const at = typeof alarm.at === "number" ? alarm.at * 1000 : Date.now();
  // Someone else in the family's rota is on it (`kind` "OnIt", the alarm's own tag): an open Tidewatch page stops
  // ringing that alarm too, as if this phone had answered (the server already stopped its repeats).
  const told =
    alarm.kind === "OnIt" && alarm.sub && typeof alarm.tag === "string"
      ? self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) =>
          windows.forEach((w) =>
            w.postMessage({ type: "tw-alarm-action", sub: alarm.sub, patient: "", kind: alarm.tag.replace(/^tw-/, ""), action: "ack" }),
          ),
        )
      : Promise.resolve();
  // The receipt, once the notification is up: the server learns that this phone got it (nobody is woken). A phone
  // whose receipts stop is reported to the rest of the family; one that cannot post (offline) is one of those.
  const receipt = () =>
    alarm.sub && alarm.key
      ? fetch("/api/push/receipt", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ id: alarm.sub, key: alarm.key }),
        }).catch(() => {})
      : Promise.resolve();
  event.waitUntil(
    told.then(() => self.registration.showNotification(alarm.title, {
      body: alarm.body || "",
      tag: alarm.tag || "tw-alarm",
      renotify: true,
      requireInteraction: Boolean(alarm.urgent),
      silent: Boolean(alarm.silent),
      // A silent notification must not name a vibration pattern: the browser refuses it (a TypeError), and a quiet
      // night's alarm, "alarms are working again" or "Sam is on it" would never show.
      ...(alarm.silent ? {} : { vibrate: alarm.urgent ? [400, 200, 400, 200, 400] : [200] }),
      timestamp: at,
      icon: "/icons/icon-192.png",
      badge: "/icons/icon-192.png",
      actions,
      data: alarm,
    })).then(receipt),
  );
});

// "I'm on it" and "Snooze" answer the worker for this phone (or every phone, if the owner chose shared
// acknowledgement) when the notification belongs to a background-alarm subscription, and tell any open Tidewatch
// page, so it stops ringing too. The open app's own notifications carry the same buttons and data, plus the
// patient (`from_page`), so they work the same way. A tap on the notification itself opens Tidewatch.
self.addEventListener("notificationclick", (event) => {
  const alarm = event.notification.data || {};
  event.notification.close();
  if ((event.action === "ack" || event.action === "snooze") && alarm.kind && (alarm.sub || alarm.patient)) {
    const body = { id: alarm.sub, key: alarm.key, kind: alarm.kind, action: event.action, minutes: alarm.snooze_min };
    const answered =
      alarm.sub && alarm.key
        ? fetch("/api/push/ack", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(body),
          }).catch(() =>
            // Offline: the alarm keeps repeating, which is the safe way to fail; say so.
            self.registration.showNotification("Tidewatch could not send that", {
              body: "No connection: the alarm will repeat. Open Tidewatch when you can.",
              tag: alarm.tag || "tw-alarm",
            }),
          )
        : Promise.resolve();
    const message = { type: "tw-alarm-action", sub: alarm.sub || "", patient: alarm.patient || "", ...body };
    const pages = self.clients
      .matchAll({ type: "window", includeUncontrolled: true })
      .then((windows) => windows.forEach((w) => w.postMessage(message)));
    event.waitUntil(Promise.all([answered, pages]));
    return;
  }
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => new URL(w.url).origin === self.location.origin);
      return open ? open.focus() : self.clients.openWindow("/");
    }),
  );
});
