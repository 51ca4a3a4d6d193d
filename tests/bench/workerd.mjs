// The built worker in workerd through Miniflare alone: the same `wrangler.toml` (bindings, Durable Objects,
// compatibility date), but none of `wrangler dev`'s own layers (its ProxyWorker in a second workerd, and the
// DevTools inspector, which posts to wrangler's Node process for every subrequest). `proxy-bench` measures the
// worker's added latency both ways (BENCHMARKS.md).
//
//   node tests/bench/workerd.mjs <wrangler.toml> <port> <state dir> [NAME=value ...]
//
// It prints `ready http://127.0.0.1:<port>` once it answers, and stops workerd with itself on SIGTERM or SIGINT.

import { createRequire } from "node:module";
import path from "node:path";

const [config, port, state, ...pairs] = process.argv.slice(2);
if (!config || !port || !state) {
  console.error("usage: node tests/bench/workerd.mjs <wrangler.toml> <port> <state dir> [NAME=value ...]");
  process.exit(2);
}
const require = createRequire(import.meta.url);
const { unstable_getMiniflareWorkerOptions } = require("wrangler");
const { Miniflare } = require("miniflare");

const { workerOptions, main } = unstable_getMiniflareWorkerOptions(path.resolve(config));
for (const pair of pairs) {
  const at = pair.indexOf("=");
  if (at < 1) {
    console.error(`not NAME=value: ${pair}`);
    process.exit(2);
  }
  workerOptions.bindings = { ...workerOptions.bindings, [pair.slice(0, at)]: pair.slice(at + 1) };
}
const mf = new Miniflare({
  ...workerOptions,
  modules: true,
  scriptPath: main,
  host: "127.0.0.1",
  port: Number(port),
  defaultPersistRoot: state,
  durableObjectsPersist: true,
});
const url = await mf.ready;
console.log(`ready ${url}`);
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, async () => {
    await mf.dispose();
    process.exit(0);
  });
}
