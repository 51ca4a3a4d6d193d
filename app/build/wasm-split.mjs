// Splits the app's linked wasm at its `#[lazy]` points; `app/build/wasm-link.sh` runs it after rust-lld, only for a
// module with split points. Usage: node app/build/wasm-split.mjs <linked.wasm>
//
// wasm-split-cli (crates.io `wasm_split_cli_support`) writes the main module, one module per split point and the
// loader (`__wasm_split.js`) into `wasm-split/<crate>/` beside `deps/`. The split modules reach the main module's
// function table through its export `__indirect_function_table`, which wasm-bindgen always deletes; so the main
// module also exports the table as `__wasm_split_table`, which wasm-bindgen keeps, and the loader reads that one.
// The export also tells wasm-opt that code outside the module uses the table, so it keeps every slot as it is.
// The main module then replaces the linked file: Trunk runs wasm-bindgen on it as on any build.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

const linked = process.argv[2];
if (!linked) throw new Error("usage: node app/build/wasm-split.mjs <linked.wasm>");
// deps/tidewatch_app-<hash>.wasm -> wasm-split/tidewatch_app/
const crate = basename(linked, ".wasm").replace(/-[0-9a-f]+$/, "");
const dir = join(dirname(linked), "..", "wasm-split", crate);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const splitter = process.env.WASM_SPLIT_CLI || "wasm-split-cli";
try {
  execFileSync(splitter, [linked, dir, "--out-name", "main", "--target", "web"], { stdio: ["ignore", "inherit", "inherit"] });
} catch (error) {
  throw new Error(`${splitter} failed on ${linked} (cargo xtask build installs it): ${error.message}`);
}

const TABLE = "__indirect_function_table";
const ALIAS = "__wasm_split_table";
writeFileSync(join(dir, "main.wasm"), withExportAlias(readFileSync(join(dir, "main.wasm")), TABLE, ALIAS));
const loaderPath = join(dir, "__wasm_split.js");
const loader = readFileSync(loaderPath, "utf8");
const destructured = /const \{ ([^}]*)\} = initSync\(undefined, undefined\);/;
const names = destructured.exec(loader)?.[1];
if (!names?.includes(`${TABLE},`)) throw new Error(`__wasm_split.js does not read ${TABLE} from the main module`);
writeFileSync(loaderPath, inTasks(loader.replace(destructured, (line) => line.replace(`${TABLE},`, `${ALIAS}: ${TABLE},`))));
renameSync(join(dir, "main.wasm"), linked);
// The split modules fit only this main module. Cargo may later reuse an older link of the app without running the
// linker (after a build with other settings), which would leave these files from another build: split-assets.mjs
// checks this stamp against the module Trunk took.
writeFileSync(join(dir, "main.sha256"), createHash("sha256").update(readFileSync(linked)).digest("hex"));

/** The loader with its work in separate tasks: each module is compiled, then instantiated once its dependencies
 * are, then the screen is drawn, each after a zero-delay timer. Done in one go (as written), a slow phone's main
 * thread is held for the whole follow page's start; in pieces, a frame or a tap can come between them. */
function inTasks(loader) {
  const steps = [
    // A zero-delay timer, beside the loader's own helpers.
    ["function makeLoad(", "const nextTask = () => new Promise((done) => setTimeout(done, 0));\nfunction makeLoad("],
    // The screen's code runs in a task after its module is instantiated.
    ["await callee();\n", "await callee();\n            await nextTask();\n"],
    // A module is instantiated in a task after its dependencies are.
    ["await Promise.all(parallelStuff);\n", "await Promise.all(parallelStuff);\n        await nextTask();\n"],
  ];
  let out = loader;
  for (const [from, to] of steps) {
    if (!out.includes(from)) throw new Error(`__wasm_split.js has changed: no "${from.trim()}"`);
    out = out.replaceAll(from, to);
  }
  // Each module is compiled once downloaded (that needs no imports), off the main thread (`compileStreaming` would
  // finish on it, in one long task), and instantiated in a later task.
  const fetched = /const src = fetch\(([^;]*)\);/g;
  const streaming = "WebAssembly.instantiateStreaming(src, imports)";
  if (!fetched.test(out) || !out.includes(streaming)) {
    throw new Error("__wasm_split.js has changed: no fetch(...) to compile");
  }
  // As boot.js compiles the main module.
  const compile =
    ".then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(`${r.status}`))))" +
    ".then((b) => WebAssembly.compile(b))";
  out = out.replace(fetched, (_, url) => `const src = fetch(${url})${compile};`);
  return out.replaceAll(streaming, "WebAssembly.instantiate(await src, imports)");
}

/** The module with one more export: `alias`, for what the export `name` exports. */
function withExportAlias(wasm, name, alias) {
  const EXPORT_SECTION = 7;
  let at = 8; // magic and version
  while (at < wasm.length) {
    const id = wasm[at];
    const [size, sizeLength] = uleb(wasm, at + 1);
    const start = at + 1 + sizeLength;
    const end = start + size;
    if (id === EXPORT_SECTION) {
      let [count, p] = uleb(wasm, start);
      p += start;
      let found = null;
      for (let i = 0; i < count; i++) {
        const [length, l] = uleb(wasm, p);
        const exportName = wasm.subarray(p + l, p + l + length).toString("utf8");
        p += l + length;
        const kind = wasm[p];
        const [, indexLength] = uleb(wasm, p + 1);
        if (exportName === name) found = wasm.subarray(p, p + 1 + indexLength);
        p += 1 + indexLength;
      }
      if (!found) throw new Error(`the main module has no export ${name}`);
      const aliasBytes = Buffer.from(alias, "utf8");
      const entries = Buffer.concat([
        wasm.subarray(start + uleb(wasm, start)[1], end),
        encodeUleb(aliasBytes.length),
        aliasBytes,
        found,
      ]);
      const payload = Buffer.concat([encodeUleb(count + 1), entries]);
      return Buffer.concat([wasm.subarray(0, at + 1), encodeUleb(payload.length), payload, wasm.subarray(end)]);
    }
    at = end;
  }
  throw new Error("the main module has no export section");
}

/** An unsigned LEB128 at `at`: [value, length in bytes]. */
function uleb(bytes, at) {
  let value = 0;
  let shift = 0;
  let length = 0;
  for (;;) {
    const byte = bytes[at + length];
    length += 1;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, length];
    shift += 7;
  }
}

function encodeUleb(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return Buffer.from(out);
}
