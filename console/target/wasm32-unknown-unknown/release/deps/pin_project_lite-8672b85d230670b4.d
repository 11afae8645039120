/work/main/console/target/wasm32-unknown-unknown/release/deps/pin_project_lite-8672b85d230670b4.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pin-project-lite-0.2.17/src/lib.rs

/work/main/console/target/wasm32-unknown-unknown/release/deps/libpin_project_lite-8672b85d230670b4.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pin-project-lite-0.2.17/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pin-project-lite-0.2.17/src/lib.rs:
