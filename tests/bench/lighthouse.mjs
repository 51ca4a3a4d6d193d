// Lighthouse's performance audit of the app (its default mobile profile: slow 4G, 4x CPU slowdown, a 412 px phone),
// measured and reported as Markdown tables, never asserted. Three ways a person meets the app:
//   - sign-in, first visit: a new user opens the address (nothing cached, nothing stored);
//   - family link, first open: grandma opens a share link (nothing cached): the follow view, its split module and
//     the first answer;
//   - follow view, reopened: the family's phone opens the app again (signed in to the demo, the service worker
//     and its cache in place, as on a phone that has the app on its home screen).
// Each is run `runs` times (metrics vary from run to run) with each of Lighthouse's two throttling methods (below);
// the table gives the median and, for LCP and TBT, the range. `tests/src/bin/lighthouse.rs` starts the stack and
// runs this; `cargo xtask bench` installs Lighthouse (with puppeteer-core) and sets LIGHTHOUSE to its CLI.
// Usage: LIGHTHOUSE=<lighthouse/cli/index.js> node tests/bench/lighthouse.mjs <base-url> <share-secret> <reports> [runs]
// LIGHTHOUSE_THROTTLING (default `simulate,devtools`) and LIGHTHOUSE_PAGES (default
// `sign-in,family-link,follow-reopened`) narrow a run to some methods and pages; LIGHTHOUSE_TRACES=1 keeps the traces.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [base, secret, reports, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 5);
const pages = (process.env.LIGHTHOUSE_PAGES || "sign-in,family-link,follow-reopened").split(",");
const pkg = path.dirname(path.dirname(process.env.LIGHTHOUSE || ""));
const { default: lighthouse } = await import(pathToFileURL(path.join(pkg, "core/index.js")));
const puppeteer = createRequire(path.join(pkg, "package.json"))("puppeteer-core");

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  defaultViewport: null,
});

/** A page in a browser context of its own: a first visit, nothing stored (Lighthouse's own reset keeps cookies and
 * local storage, which the app uses). */
async function fresh() {
  return (await browser.createBrowserContext()).newPage();
}

/** One Lighthouse navigation of `url` in `page` with `method`'s throttling; `warm` keeps what the page has stored
 * and cached. */
async function audit(method, page, url, name, warm) {
  const report = `${method}-${name}`;
  const flags = { onlyCategories: ["performance"], output: "json", logLevel: "error", disableStorageReset: warm };
  const result = await lighthouse(url, { ...flags, throttlingMethod: method }, undefined, page);
  fs.writeFileSync(path.join(reports, `${report}.json`), result.report);
  // LIGHTHOUSE_TRACES=1 keeps each run's trace (10–30 MB each) beside its report, for chrome://tracing or a script.
  if (process.env.LIGHTHOUSE_TRACES) {
    fs.writeFileSync(path.join(reports, `${report}.trace.json`), JSON.stringify(result.artifacts.Trace));
  }
  const lhr = result.lhr;
  if (lhr.runtimeError) throw new Error(`${report}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
  const metric = (key) => lhr.audits[key].numericValue;
  return {
    score: lhr.categories.performance.score,
    fcp: metric("first-contentful-paint"),
    lcp: metric("largest-contentful-paint"),
    tbt: metric("total-blocking-time"),
    cls: metric("cumulative-layout-shift"),
    bytes: metric("total-byte-weight"),
    element: lhr.audits["largest-contentful-paint-element"]?.details?.items?.[0]?.items?.[0]?.node?.selector ?? "-",
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x) => `${Math.round(x).toLocaleString("en-US")} ms`;
const range = (xs) => `${ms(median(xs))} (${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))})`;

function row(name, results) {
  const pick = (key) => results.map((r) => r[key]);
  const elements = [...new Set(pick("element"))].join(", ");
  console.log(
    `| ${name} | ${median(pick("score")).toFixed(2)} | ${ms(median(pick("fcp")))} | ${range(pick("lcp"))} | ` +
      `${range(pick("tbt"))} | ${median(pick("cls")).toFixed(3)} | ${Math.round(median(pick("bytes"))).toLocaleString("en-US")} | \`${elements}\` |`,
  );
}

// Lighthouse's default, `simulate`, loads the page at full speed and estimates the metrics on a slow phone from that
// trace; `devtools` throttles the network and CPU while the page loads and measures. They disagree where the order
// of events depends on the speed: at full speed the app is up before the first frame, so `simulate` never sees
// index.html's sign-in page painted on its own, which is what a slow phone shows first.
try {
  for (const method of (process.env.LIGHTHOUSE_THROTTLING || "simulate,devtools").split(",")) {
    console.log(`\nThrottling: \`${method}\`\n`);
    console.log(`| page (median of ${runs} runs) | performance | FCP | LCP (min–max) | TBT (min–max) | CLS | bytes (as served) | LCP element |`);
    console.log("|---|---|---|---|---|---|---|---|");

    if (pages.includes("sign-in")) {
      const signIn = [];
      for (let i = 0; i < runs; i++) signIn.push(await audit(method, await fresh(), base, `sign-in-${i + 1}`, false));
      row("sign-in, first visit", signIn);
    }

    if (pages.includes("family-link")) {
      const link = [];
      for (let i = 0; i < runs; i++) {
        link.push(await audit(method, await fresh(), `${base}#/s/${secret}`, `family-link-${i + 1}`, false));
      }
      row("family link, first open (follow view)", link);
    }

    if (!pages.includes("follow-reopened")) continue;

    // The family's phone: signed in to the demo once, the service worker in control and its cache filled.
    const phone = await fresh();
    await phone.goto(base);
    await phone.waitForSelector("#shell", { hidden: true });
    await (await phone.waitForSelector("xpath/.//button[normalize-space()='Try the demo']")).click();
    await phone.waitForSelector("[data-testid=value]");
    await phone.waitForFunction(async () => {
      const registration = await navigator.serviceWorker.ready;
      return registration.active && (await caches.keys()).some((k) => k.startsWith("tidewatch-"));
    });
    const reopened = [];
    for (let i = 0; i < runs; i++) reopened.push(await audit(method, phone, base, `follow-reopened-${i + 1}`, true));
    row("follow view, reopened (signed in, installed)", reopened);
    await phone.browserContext().close();
  }
  console.log(`\nReports: ${reports}`);
} finally {
  await browser.close();
}
