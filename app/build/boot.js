// Starts the app. Trunk writes the hashed file names into this script's tag (Trunk.toml `pattern_script`), and the
// build puts the script itself into index.html before the stylesheet (split-assets.mjs, with its hash in the CSP:
// `script-src 'self' 'wasm-unsafe-eval' 'sha256-…'`), so it runs as soon as it is parsed, with no request of its own.
const tag = document.currentScript;
const root = document.documentElement;
const parsed = new Promise((done) =>
  document.readyState === "loading" ? document.addEventListener("DOMContentLoaded", done) : done(),
);
// After the next painted frame (a task queued from a frame callback runs once that frame is on screen).
const painted = () => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
// After the browser has recorded the page's first contentful paint (a frame callback alone may run before the frame
// reaches the screen, and code fetched then competes with it); a browser without paint timing waits for a frame.
const contentfulPaint = () =>
  PerformanceObserver.supportedEntryTypes?.includes("paint")
    ? new Promise((done) => {
        const seen = (entries) => entries.some((e) => e.name === "first-contentful-paint");
        if (seen(performance.getEntriesByType("paint"))) return done();
        const watch = new PerformanceObserver((list) => seen(list.getEntries()) && (watch.disconnect(), done()));
        watch.observe({ type: "paint", buffered: true });
        setTimeout(done, 3000); // never held longer than a share link's first glance may hold it
      })
    : painted();

// When a device has the service worker in charge, the code is on the phone: it starts at once. Otherwise it is
// downloaded only once the first screen is painted, so the page's own few kilobytes (and a share link's data) do
// not share a slow link with 130–420 KB of code: the sign-in copy, or a share link's first glance, shows sooner,
// and the app replaces it when it is ready. (A device that follows someone paints nothing before the app or the
// first glance: it waits for a frame only, below.)
const installed = Boolean(navigator.serviceWorker?.controller);
let codeAfter = installed ? Promise.resolve() : parsed.then(contentfulPaint);
let codeFiles = [];

// index.html carries a copy of the sign-in page (#shell) for a first visit. A device that follows someone (the
// app's own test, store::follows, or a share link being opened) starts on the follow page: it never shows that copy.
try {
  const follows = localStorage.getItem("tw.follows");
  if (
    follows === "1" ||
    (follows === null && /"patient_id":"/.test(localStorage.getItem("tw.prefs"))) ||
    localStorage.getItem("tw.share") ||
    location.hash.startsWith("#/s/")
  ) {
    root.classList.add("follows");
    if (!installed) codeAfter = parsed.then(painted);
    // The follow page's code (split from the main module: `app/build/split-assets.mjs` writes the list) is fetched beside
    // the main module, instead of once the main module has started and asks for it.
    codeFiles = __TIDEWATCH_FOLLOW_PAGE__;
    // A share link's data start downloading now, and the app takes that answer when it starts (api::share_graph).
    const secret = (/^#\/s\/([\w-]{16,64})\/?$/.exec(location.hash) || [])[1] || localStorage.getItem("tw.share");
    if (secret) {
      const unit = /"unit":"mmoll"/.test(localStorage.getItem("tw.prefs")) ? "mmoll" : "mgdl";
      const answer = fetch(`/api/share/graph?glance=${unit}&open=1`, { headers: { authorization: `Share ${secret}` } });
      answer.catch(() => {}); // not taken (another screen): no unhandled rejection; the app sees its own copy fail
      window.__twShareGraph = { secret, answer };
      // The answer carries the glance as the worker's `shared::glance` wrote it: on a first open, grandma sees the
      // value as soon as it is here (first-glance.js draws it), and the code comes after (at most 3 s after).
      if (!installed) {
        const drawer = import("/first-glance.js");
        const drawn = Promise.all([answer.then((r) => (r.ok ? r.clone().json() : null)), drawer, parsed])
          .then(([body, first]) => body?.glance && first.draw(body.glance))
          .catch(() => {});
        codeAfter = codeAfter.then(() =>
          Promise.race([drawn.then(painted), new Promise((done) => setTimeout(done, 3000))]),
        );
      }
    }
  }
} catch (_) {
  // No storage: the app decides alone.
}

codeAfter
  .then(() => {
    // Preloaded beside the glue: the main module (wasm-bindgen's loader asks for it once the glue runs) and the
    // follow page's modules.
    for (const href of [tag.dataset.wasm, ...codeFiles]) {
      const link = document.createElement("link");
      link.rel = "preload";
      link.as = "fetch";
      link.crossOrigin = "anonymous";
      link.href = href;
      document.head.append(link);
    }
    // The main module is compiled off the main thread (`compileStreaming` would finish on it, in one long task),
    // and started in a task of its own.
    const compiled = fetch(tag.dataset.wasm)
      .then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(`${r.status}`))))
      .then((bytes) => WebAssembly.compile(bytes));
    return Promise.all([import(tag.dataset.js), compiled, parsed]);
  })
  .then(([app, module]) =>
    new Promise((done) => setTimeout(done, 0)).then(() => app.default({ module_or_path: module })),
  )
  .then(() => {
    // The app has drawn its first screen (in the same task, so no frame shows both): the copy goes, and what was
    // typed into it, and the focus, move to the app's own fields.
    const shell = document.getElementById("shell");
    if (!shell) return;
    const focused = document.activeElement;
    for (const input of shell.querySelectorAll("input, select")) {
      const live = document.querySelector(`.app:not(#shell) [name="${input.name}"]`);
      if (!live) continue;
      // A select always has a value: it moves over only when it was changed from its first option.
      const changed =
        input.type === "checkbox" ? input.checked : input.tagName === "SELECT" ? input.selectedIndex > 0 : input.value && !live.value;
      if (changed) {
        if (input.type === "checkbox") live.checked = true;
        else live.value = input.value;
        live.dispatchEvent(new Event("input", { bubbles: true }));
        live.dispatchEvent(new Event("change", { bubbles: true }));
      }
      if (input === focused) live.focus();
    }
    shell.remove();
  })
  .catch(() => {
    // The app's code could not be fetched or would not start: say so, rather than leave a page that never answers
    // (or a first glance that would grow old while looking current).
    document.getElementById("first-glance")?.remove();
    const note = document.createElement("p");
    note.className = "card error";
    note.setAttribute("role", "alert");
    note.textContent = "Tidewatch could not start. Is this phone online? Reload the page to try again.";
    document.body.prepend(note);
  });
