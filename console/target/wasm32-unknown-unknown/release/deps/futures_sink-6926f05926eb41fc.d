/work/main/console/target/wasm32-unknown-unknown/release/deps/futures_sink-6926f05926eb41fc.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/futures-sink-0.3.34/src/lib.rs

/work/main/console/target/wasm32-unknown-unknown/release/deps/libfutures_sink-6926f05926eb41fc.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/futures-sink-0.3.34/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/futures-sink-0.3.34/src/lib.rs:
