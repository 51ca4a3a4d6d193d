//! With the `split` feature, the app's wasm keeps its relocations (`--emit-relocs`): the splitter that
//! `app/build/wasm-link.sh` runs after linking needs them to move the split screens' code into modules of their own.

fn main() {
    println!("cargo:rerun-if-env-changed=CARGO_FEATURE_SPLIT");
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|arch| arch == "wasm32");
    if wasm && std::env::var_os("CARGO_FEATURE_SPLIT").is_some() {
        println!("cargo:rustc-link-arg-bins=--emit-relocs");
    }
}
