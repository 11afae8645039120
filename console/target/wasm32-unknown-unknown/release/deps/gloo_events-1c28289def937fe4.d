/work/main/console/target/wasm32-unknown-unknown/release/deps/gloo_events-1c28289def937fe4.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/gloo-events-0.2.0/src/lib.rs

/work/main/console/target/wasm32-unknown-unknown/release/deps/libgloo_events-1c28289def937fe4.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/gloo-events-0.2.0/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/gloo-events-0.2.0/src/lib.rs:
