/work/main/console/target/wasm32-unknown-unknown/release/deps/cfg_if-8d827159a8dd10a2.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cfg-if-1.0.5/src/lib.rs

/work/main/console/target/wasm32-unknown-unknown/release/deps/libcfg_if-8d827159a8dd10a2.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cfg-if-1.0.5/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cfg-if-1.0.5/src/lib.rs:
