/work/main/console/target/wasm32-unknown-unknown/release/deps/gloo-9d891503d5498088.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/gloo-0.11.0/src/lib.rs

/work/main/console/target/wasm32-unknown-unknown/release/deps/libgloo-9d891503d5498088.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/gloo-0.11.0/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/gloo-0.11.0/src/lib.rs:
