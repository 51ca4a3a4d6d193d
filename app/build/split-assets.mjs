// Trunk's post-build hook (Trunk.toml): minifies the wasm-bindgen glue (esbuild) and the hand-written scripts,
// removes Trunk's preloads of the code (boot.js asks for it), and adds the split screens' wasm modules, and the
// loader that fetches them, to the staged build. `app/build/wasm-link.sh` split them off the app's module when it was linked; Trunk
// processed only the main module. Each split module goes through the same wasm-opt as the main one (index.html's
// flags), and the loader's import of the main module's glue gets the glue's hashed file name.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const staging = process.env.TRUNK_STAGING_DIR;
const source = process.env.TRUNK_SOURCE_DIR;
if (!staging || !source) throw new Error("split-assets.mjs runs as Trunk's post_build hook");
const profile = process.env.TRUNK_PROFILE === "release" ? "release" : "debug";
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(dirname(source), "target");
const split = join(targetDir, "wasm32-unknown-unknown", profile, "wasm-split", "tidewatch_app");
if (!existsSync(join(split, "__wasm_split.js"))) {
  throw new Error(`${split} has no __wasm_split.js: the app was not split when linked (app/build/wasm-link.sh)`);
}

const linked = join(targetDir, "wasm32-unknown-unknown", profile, "tidewatch-app.wasm");
const stamp = readFileSync(join(split, "main.sha256"), "utf8").trim();
if (createHash("sha256").update(readFileSync(linked)).digest("hex") !== stamp) {
  throw new Error(
    `${split} is from another link than ${linked} (cargo reused an older build without linking again): ` +
      "touch app/src/main.rs and build again",
  );
}

const glue = readdirSync(staging).filter((f) => /^tidewatch-app-[0-9a-f]+\.js$/.test(f));
if (glue.length !== 1) throw new Error(`expected one tidewatch-app-*.js in ${staging}, found ${glue.join(", ") || "none"}`);
// The glue, minified (Trunk's `minify` leaves it as wasm-bindgen wrote it).
const gluePath = join(staging, glue[0]);
const esbuild = process.env.ESBUILD_BIN || "esbuild";
const minify = (code, how = ["--minify", "--format=esm"]) =>
  execFileSync(esbuild, [...how, "--loader=js", "--log-level=warning"], {
    input: code,
    maxBuffer: 64 << 20,
  });
writeFileSync(gluePath, minify(readFileSync(gluePath)));
// Trunk's preloads of the glue and the main module go: boot.js asks for them itself, once the first screen is
// painted (or at once, when the service worker has them), so they do not compete with the page on a slow link.
const htmlPath = join(staging, "index.html");
const page = readFileSync(htmlPath, "utf8");
const preloads = /<link\b[^>]*\brel="?(?:modulepreload|preload)"?[^>]*>/g;
const trunks = page.match(preloads) ?? [];
if (trunks.length !== 2 || !trunks.every((link) => /tidewatch-app-[0-9a-f]+(?:_bg\.wasm|\.js)/.test(link))) {
  throw new Error(`expected Trunk's two preloads (glue, main module) in index.html, found ${trunks.join(" ") || "none"}`);
}
writeFileSync(htmlPath, page.replace(preloads, ""));

const loader = readFileSync(join(split, "__wasm_split.js"), "utf8");
if (!loader.includes('from "./main.js"')) throw new Error("__wasm_split.js does not import ./main.js");
writeFileSync(join(staging, "__wasm_split.js"), minify(loader.replaceAll('from "./main.js"', `from "./${glue[0]}"`)));
// The files the follow page's code needs (its module and the chunks it shares with other screens), read from the
// loader: boot.js fetches them at once on a device that follows someone, rather than after the main module starts.
const loads = new Map();
const load = /(?:export )?const (\w+) = (?:wrapAsyncCb\()?makeLoad\(\(\) => \{\s*const src = fetch\(new URL\("\.\/([\w.]+)", import\.meta\.url\)\)[\s\S]*?\n\}\s*,\s*\[([^\]]*)\]\)/g;
for (const [, name, file, deps] of loader.matchAll(load)) {
  loads.set(name, { file, deps: deps.split(",").map((d) => d.trim()).filter(Boolean) });
}
const needed = (name) => {
  const found = loads.get(name);
  if (!found) throw new Error(`__wasm_split.js has no ${name} (read ${[...loads.keys()].join(", ") || "nothing"})`);
  return [found.file, ...found.deps.flatMap(needed)];
};
const followPage = [...new Set(needed("__wasm_split_load_follow_page"))].map((f) => `/${f}`);
const bootPath = join(staging, "boot.js");
const boot = readFileSync(bootPath, "utf8");
if (!boot.includes("__TIDEWATCH_FOLLOW_PAGE__")) throw new Error("boot.js has no __TIDEWATCH_FOLLOW_PAGE__ placeholder");
writeFileSync(bootPath, boot.replace("__TIDEWATCH_FOLLOW_PAGE__", JSON.stringify(followPage)));

// The service worker and the loader, minified as classic scripts: their top-level names stay (`cargo xtask build`
// writes the service worker's build id and precache list into it afterwards).
for (const file of ["sw.js", "boot.js"]) {
  writeFileSync(join(staging, file), minify(readFileSync(join(staging, file)), ["--minify"]));
}
// boot.js goes into index.html, allowed by its hash in the CSP (`_headers`), before the page's first <link>: it runs
// as soon as it is parsed (a script after the stylesheet would wait for it), and needs no request of its own, so a
// share link's data are asked for one round trip, or more, sooner on a slow link.
const bootCode = readFileSync(bootPath, "utf8").trim();
if (/<\/script|<!--/i.test(bootCode)) throw new Error("boot.js cannot be inlined: it contains </script or <!--");
const bootTag = /<script\b([^>]*?)\s+src="?\/boot\.js"?([^>]*)><\/script>/;
const withTag = readFileSync(htmlPath, "utf8");
const [tag, before, after] = bootTag.exec(withTag) ?? [];
if (!tag) throw new Error("index.html has no <script src=/boot.js> (Trunk.toml pattern_script)");
const withoutTag = withTag.replace(tag, "");
const firstLink = withoutTag.indexOf("<link");
if (firstLink < 0 || firstLink > withoutTag.indexOf("</head>")) throw new Error("index.html has no <link> in its <head>");
const inline = `<script${before}${after}>${bootCode}</script>`;
writeFileSync(htmlPath, withoutTag.slice(0, firstLink) + inline + withoutTag.slice(firstLink));
const headersPath = join(staging, "_headers");
const policy = "script-src 'self' 'wasm-unsafe-eval'";
const headers = readFileSync(headersPath, "utf8");
if (headers.split(policy).length !== 2) throw new Error(`_headers must say "${policy}" once`);
const hash = createHash("sha256").update(bootCode, "utf8").digest("base64");
writeFileSync(headersPath, headers.replace(policy, `${policy} 'sha256-${hash}'`));
rmSync(bootPath);

// The stylesheet goes into index.html too, as a <style> allowed by its hash in the CSP: it holds back the first
// paint, and as a file of its own it cost a first visit a round trip after the page before anything showed (a
// returning device reads the page from the service worker).
const styled = readFileSync(htmlPath, "utf8");
const cssLinks = (styled.match(/<link\b[^>]*>/g) ?? []).filter((l) => /\bhref="?\/style-[0-9a-f]+\.css"?/.test(l));
if (cssLinks.length !== 1) throw new Error(`index.html must link one style-*.css, found ${cssLinks.length}`);
const cssFile = /\/(style-[0-9a-f]+\.css)/.exec(cssLinks[0])[1];
const css = readFileSync(join(staging, cssFile), "utf8").trim();
if (/<\/style|<!--/i.test(css)) throw new Error(`${cssFile} cannot be inlined: it contains </style or <!--`);
writeFileSync(htmlPath, styled.replace(cssLinks[0], () => `<style>${css}</style>`));
const stylePolicy = "style-src 'self'";
const withScripts = readFileSync(headersPath, "utf8");
if (withScripts.split(stylePolicy).length !== 2) throw new Error(`_headers must say "${stylePolicy}" once`);
const cssHash = createHash("sha256").update(css, "utf8").digest("base64");
writeFileSync(headersPath, withScripts.replace(stylePolicy, `${stylePolicy} 'sha256-${cssHash}'`));
rmSync(join(staging, cssFile));

// boot.js's module for a share link's first look.
writeFileSync(join(staging, "first-glance.js"), minify(readFileSync(join(staging, "first-glance.js"))));

// index.html's data-wasm-opt="z" and data-wasm-opt-params.
const html = readFileSync(process.env.TRUNK_HTML_FILE, "utf8");
const params = /data-wasm-opt-params="([^"]*)"/.exec(html)?.[1].split(/\s+/).filter(Boolean) ?? [];
const wasmOpt = process.env.WASM_OPT_BIN || "wasm-opt";
const modules = readdirSync(split).filter((f) => f.endsWith(".wasm"));
for (const file of modules) {
  const out = join(staging, file);
  if (profile === "release") {
    execFileSync(wasmOpt, ["-Oz", ...params, join(split, file), "-o", out], { stdio: "inherit" });
  } else {
    copyFileSync(join(split, file), out);
  }
}
console.log(`split-assets: __wasm_split.js and ${modules.length} split module(s): ${modules.join(", ")}`);
