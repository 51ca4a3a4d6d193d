// The app's first-load transfer: every file a first visit fetches from `dist/`, raw and compressed with node's
// zlib (gzip level 9, brotli quality 11), as a Markdown table. `cargo xtask bench` runs it after the build.
// Usage: node tests/bench/first-load.mjs <dist>
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const dist = process.argv[2];
const hashed = (re) => {
  const found = readdirSync(dist).filter((f) => re.test(f));
  if (found.length !== 1) throw new Error(`expected one ${re} in ${dist}, found ${found.join(", ") || "none"}`);
  return found[0];
};
// What a first visit fetches: the page (its loader, boot.js, and its style are inlined), the app's main wasm module,
// its glue and the loader of its split modules (imported by the glue), the manifest, the service worker (registered at
// start) and the favicon. Not the split modules (the follow page, the consent step, the end of a share link): the
// page fetches each when it is first shown, and the service worker precaches them after the first page is up.
const files = [
  hashed(/^tidewatch-app-[0-9a-f]+_bg\.wasm$/),
  hashed(/^tidewatch-app-[0-9a-f]+\.js$/),
  "__wasm_split.js",
  "index.html",
  "manifest.webmanifest",
  "sw.js",
  "icons/icon-192.png",
];
const total = { raw: 0, gzip: 0, brotli: 0 };
const n = (x) => x.toLocaleString("en-US");
console.log("| file | raw | gzip -9 | brotli 11 |");
console.log("|---|---|---|---|");
for (const file of files) {
  const data = readFileSync(join(dist, file));
  const size = {
    raw: data.length,
    gzip: gzipSync(data, { level: 9 }).length,
    brotli: brotliCompressSync(data, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
    }).length,
  };
  for (const k of Object.keys(total)) total[k] += size[k];
  console.log(`| \`${file.replace(/-[0-9a-f]{15,16}/, "-*")}\` | ${n(size.raw)} | ${n(size.gzip)} | ${n(size.brotli)} |`);
}
console.log(`| **first load** | ${n(total.raw)} | ${n(total.gzip)} | **${n(total.brotli)}** (budget 150,000) |`);
