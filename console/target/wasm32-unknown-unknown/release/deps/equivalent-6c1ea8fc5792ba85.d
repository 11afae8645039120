/work/main/console/target/wasm32-unknown-unknown/release/deps/equivalent-6c1ea8fc5792ba85.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/equivalent-1.0.3/src/lib.rs

/work/main/console/target/wasm32-unknown-unknown/release/deps/libequivalent-6c1ea8fc5792ba85.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/equivalent-1.0.3/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/equivalent-1.0.3/src/lib.rs:
