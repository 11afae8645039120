/work/main/console/target/wasm32-unknown-unknown/release/deps/wasm_bindgen_futures-2f725419f4f351a4.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wasm-bindgen-futures-0.4.80/src/lib.rs

/work/main/console/target/wasm32-unknown-unknown/release/deps/libwasm_bindgen_futures-2f725419f4f351a4.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wasm-bindgen-futures-0.4.80/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wasm-bindgen-futures-0.4.80/src/lib.rs:
