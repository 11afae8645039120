/work/main/console/target/wasm32-unknown-unknown/release/deps/futures-1b8451d6b87e1e08.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/futures-0.3.34/src/lib.rs

/work/main/console/target/wasm32-unknown-unknown/release/deps/libfutures-1b8451d6b87e1e08.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/futures-0.3.34/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/futures-0.3.34/src/lib.rs:
