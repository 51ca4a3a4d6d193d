#!/bin/sh
# The linker for every wasm32 build (`.cargo/config.toml`): rust-lld, as rustc calls it, and then, only for a
# module with split points (the app built with its `split` feature: `wasm_split` in `app/src/lib.rs`), `app/build/wasm-split.mjs`,
# which splits it with wasm-split-cli. Every other module is linked unchanged.
set -eu

rust-lld "$@"

out=""
previous=""
for arg in "$@"; do
  if [ "$previous" = "-o" ]; then out="$arg"; fi
  previous="$arg"
done
if [ -n "$out" ] && grep -q "__wasm_split_placeholder__" "$out"; then
  exec node "$(dirname "$0")/wasm-split.mjs" "$out"
fi
