/work/main/console/target/wasm32-unknown-unknown/release/deps/scopeguard-ee7b35817810f59e.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/scopeguard-1.2.0/src/lib.rs

/work/main/console/target/wasm32-unknown-unknown/release/deps/libscopeguard-ee7b35817810f59e.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/scopeguard-1.2.0/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/scopeguard-1.2.0/src/lib.rs:
