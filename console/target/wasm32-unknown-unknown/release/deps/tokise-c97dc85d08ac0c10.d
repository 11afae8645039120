/work/main/console/target/wasm32-unknown-unknown/release/deps/tokise-c97dc85d08ac0c10.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokise-0.2.1/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokise-0.2.1/src/fmt/mod.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokise-0.2.1/src/fmt/buffer.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokise-0.2.1/src/pinned.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokise-0.2.1/src/time.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokise-0.2.1/src/rt_wasm_bindgen/mod.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokise-0.2.1/src/rt_wasm_bindgen/time.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokise-0.2.1/src/runtime.rs

/work/main/console/target/wasm32-unknown-unknown/release/deps/libtokise-c97dc85d08ac0c10.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokise-0.2.1/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokise-0.2.1/src/fmt/mod.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokise-0.2.1/src/fmt/buffer.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokise-0.2.1/src/pinned.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokise-0.2.1/src/time.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokise-0.2.1/src/rt_wasm_bindgen/mod.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokise-0.2.1/src/rt_wasm_bindgen/time.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokise-0.2.1/src/runtime.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokise-0.2.1/src/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokise-0.2.1/src/fmt/mod.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokise-0.2.1/src/fmt/buffer.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokise-0.2.1/src/pinned.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokise-0.2.1/src/time.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokise-0.2.1/src/rt_wasm_bindgen/mod.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokise-0.2.1/src/rt_wasm_bindgen/time.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokise-0.2.1/src/runtime.rs:
