// A share link's first look (boot.js imports this on a first open, with the link's first answer): the glance as the
// worker's `shared::glance` wrote it, every text included, drawn with the app's own classes in place of the app,
// until the app shows its own glance (or anything but "Loading…"; at most 5 s after the app appears). The app's
// tree is hidden meanwhile (style.css), so nothing moves. It is the worker's view at one instant, never updated:
// after a minute it makes way for "Loading…", so it cannot grow old while looking current. Text only
// (`textContent`): names come from people.

const el = (name, className, text) => {
  const node = document.createElement(name);
  node.className = className;
  if (text) node.textContent = text;
  return node;
};
const hidden = (node) => {
  node.setAttribute("aria-hidden", "true");
  return node;
};
const app = () => document.querySelector(".app:not(#first-glance):not(#shell)");

export function draw(g) {
  if (app()?.querySelector(".glance")) return; // the app was quicker
  const shell = el("div", "app");
  shell.id = "first-glance";
  const main = shell.appendChild(el("main", "follow"));
  main.appendChild(el("header", "topbar")).appendChild(el("h2", "patient-name", g.patient));
  main.appendChild(el("p", "note shared-by", g.sharedBy));
  const glance = main.appendChild(el("section", `glance ${g.tone} ${g.freshness}`));
  glance.setAttribute("aria-label", "Current glucose");
  glance.dataset.freshness = g.freshness;
  glance.appendChild(el("p", "sr-only", g.spoken));
  const reading = glance.appendChild(hidden(el("div", "reading")));
  reading.appendChild(el("span", "value", g.value));
  const side = reading.appendChild(el("span", "side"));
  side.appendChild(el("span", "arrow", g.arrow)).title = g.arrowLabel;
  side.appendChild(el("span", "unit", g.unit));
  glance.appendChild(hidden(el("p", "tone-words", g.toneWords)));
  const details = glance.appendChild(hidden(el("p", "details")));
  details.appendChild(el("span", "trend-words", g.arrowLabel));
  if (g.delta) details.appendChild(el("span", "delta", g.delta));
  glance.appendChild(el("p", "age", g.age));
  if (g.state) glance.appendChild(el("p", "state", g.state));
  if (g.footnote) glance.appendChild(el("p", "footnote", g.footnote));
  document.body.prepend(shell);

  let cap;
  const done = () => {
    watch.disconnect();
    shell.remove();
  };
  const watch = new MutationObserver(() => {
    const tree = app();
    if (!tree) return;
    if (tree.querySelector(".glance") || !tree.querySelector(".loading")) return done();
    cap ??= setTimeout(done, 5000);
  });
  watch.observe(document.body, { childList: true, subtree: true });
  setTimeout(() => shell.replaceChildren(el("p", "loading", "Loading…")), 60_000);
}
