// Starts the app. Trunk writes the hashed file names into this script's tag (Trunk.toml `pattern_script`), so the
// page needs no inline script and the CSP stays `script-src 'self'`. A classic script in <head>: it runs before
// the first paint.
const tag = document.currentScript;
const root = document.documentElement;

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
    // A share link's data start downloading now too, beside the code, and the app takes that answer when it starts
    // (api::share_graph): grandma's first look does not wait for the code and then for one more round trip.
    const secret = (/^#\/s\/([\w-]{16,64})\/?$/.exec(location.hash) || [])[1] || localStorage.getItem("tw.share");
    if (secret) {
      const answer = fetch("/api/share/graph", { headers: { authorization: `Share ${secret}` } });
      answer.catch(() => {}); // not taken (another screen): no unhandled rejection; the app sees its own copy fail
      window.__twShareGraph = { secret, answer };
    }
    // The follow page's code (split from the main module: `app/split-assets.mjs` writes the list) starts downloading
    // now, beside the main module, instead of once the main module has started and asks for it.
    for (const href of __TIDEWATCH_FOLLOW_PAGE__) {
      const link = document.createElement("link");
      link.rel = "preload";
      link.as = "fetch";
      link.crossOrigin = "anonymous";
      link.href = href;
      document.head.append(link);
    }
  }
} catch (_) {
  // No storage: the app decides alone.
}

const glue = import(tag.dataset.js);
const parsed = new Promise((done) =>
  document.readyState === "loading" ? document.addEventListener("DOMContentLoaded", done) : done(),
);
Promise.all([glue, parsed])
  .then(([app]) => app.default({ module_or_path: tag.dataset.wasm }))
  .then(() => {
    // The app has drawn its first screen (in the same task, so no frame shows both): the copy goes, and what was
    // typed into it, and the focus, move to the app's own fields.
    const shell = document.getElementById("shell");
    if (!shell) return;
    const focused = document.activeElement;
    for (const input of shell.querySelectorAll("input")) {
      const live = document.querySelector(`.app:not(#shell) input[name="${input.name}"]`);
      if (!live) continue;
      if (input.value && !live.value) {
        live.value = input.value;
        live.dispatchEvent(new Event("input", { bubbles: true }));
      }
      if (input === focused) live.focus();
    }
    shell.remove();
  })
  .catch(() => {
    // The app's code could not be fetched or would not start: say so, rather than leave a page that never answers.
    const note = document.createElement("p");
    note.className = "card error";
    note.setAttribute("role", "alert");
    note.textContent = "Tidewatch could not start. Is this phone online? Reload the page to try again.";
    document.body.prepend(note);
  });
