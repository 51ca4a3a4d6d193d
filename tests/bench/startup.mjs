// A worker's startup in V8: compiling its wasm and instantiating it, the part of a Worker's startup that grows with
// the worker (the JS glue around it is a few kilobytes). Each sample runs in a browser of its own, so no compiled
// module is reused from an earlier sample; the median of the samples is reported, V8's defaults first (lazy
// compilation: each function is compiled when first called), then with every function compiled up front (Liftoff),
// the most a start can cost.
//
//   node tests/bench/startup.mjs <name>=<path to wasm> ... [--samples N]
//
// Chromium's V8 is newer than Node's (which cannot read the exception-handling opcodes the worker's wasm uses).

import { chromium } from "playwright-core";
import fs from "node:fs";

const args = process.argv.slice(2);
let samples = 15;
const wasms = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--samples") {
    samples = Number(args[++i]);
  } else {
    const at = args[i].indexOf("=");
    if (at < 1) {
      console.error(`not <name>=<path>: ${args[i]}`);
      process.exit(2);
    }
    wasms.push({ name: args[i].slice(0, at), bytes: fs.readFileSync(args[i].slice(at + 1)) });
  }
}
if (wasms.length === 0 || !(samples > 0)) {
  console.error("usage: node tests/bench/startup.mjs <name>=<path to wasm> ... [--samples N]");
  process.exit(2);
}

// In the page: compile, then instantiate with every imported function one that is never called (instantiating runs
// no Rust: wasm-bindgen's glue calls the start function afterwards).
async function startOnce(base64) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const t0 = performance.now();
  const module = await WebAssembly.compile(bytes);
  const t1 = performance.now();
  const imports = {};
  for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
    imports[from] ??= {};
    if (kind === "tag") {
      // wasm-bindgen's catch wrappers import JavaScript's exception tag.
      imports[from][name] = WebAssembly.JSTag;
    } else if (kind === "function") {
      imports[from][name] = () => {
        throw new Error(`${from}.${name} called while starting`);
      };
    } else {
      throw new Error(`an import of kind ${kind}: ${from}.${name}`);
    }
  }
  await WebAssembly.instantiate(module, imports);
  const t2 = performance.now();
  return [t1 - t0, t2 - t1];
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

for (const [mode, flags] of [
  ["V8's defaults (lazy compilation)", []],
  ["every function compiled up front (Liftoff)", ["--js-flags=--no-wasm-lazy-compilation"]],
]) {
  console.log(`startup: ${mode}, median of ${samples} fresh browsers`);
  for (const { name, bytes } of wasms) {
    const compile = [];
    const instantiate = [];
    const base64 = bytes.toString("base64");
    for (let i = 0; i < samples; i++) {
      const browser = await chromium.launch({
        executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
        args: ["--no-sandbox", ...flags],
      });
      try {
        const page = await browser.newPage();
        const [c, n] = await page.evaluate(startOnce, base64);
        compile.push(c);
        instantiate.push(n);
      } finally {
        await browser.close();
      }
    }
    const totals = compile.map((c, i) => c + instantiate[i]);
    console.log(
      `startup: ${name}: ${bytes.length} B wasm: compile ${median(compile).toFixed(1)} ms + instantiate ` +
        `${median(instantiate).toFixed(1)} ms, in all ${median(totals).toFixed(1)} ms (slowest ${Math.max(...totals).toFixed(1)} ms)`,
    );
  }
}
