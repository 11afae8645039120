/work/main/console/target/wasm32-unknown-unknown/release/deps/futures_io-8e1dc9260afef2e9.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/futures-io-0.3.34/src/lib.rs

/work/main/console/target/wasm32-unknown-unknown/release/deps/libfutures_io-8e1dc9260afef2e9.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/futures-io-0.3.34/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/futures-io-0.3.34/src/lib.rs:
