/work/main/console/target/wasm32-unknown-unknown/release/deps/gloo_render-2a959f9d4fa4fd0a.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/gloo-render-0.2.0/src/lib.rs

/work/main/console/target/wasm32-unknown-unknown/release/deps/libgloo_render-2a959f9d4fa4fd0a.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/gloo-render-0.2.0/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/gloo-render-0.2.0/src/lib.rs:
