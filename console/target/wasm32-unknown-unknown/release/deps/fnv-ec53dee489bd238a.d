/work/main/console/target/wasm32-unknown-unknown/release/deps/fnv-ec53dee489bd238a.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/fnv-1.0.7/lib.rs

/work/main/console/target/wasm32-unknown-unknown/release/deps/libfnv-ec53dee489bd238a.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/fnv-1.0.7/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/fnv-1.0.7/lib.rs:
