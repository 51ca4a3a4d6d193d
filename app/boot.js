// Loads the app's WebAssembly. Trunk writes the hashed file names into this script's tag (Trunk.toml
// `pattern_script`), so the page needs no inline script and the CSP stays `script-src 'self'`.
const tag = document.querySelector("script[data-js][data-wasm]");
const app = await import(tag.dataset.js);
await app.default({ module_or_path: tag.dataset.wasm });
