/work/main/console/target/wasm32-unknown-unknown/release/deps/pin_project-402617dc5dd97326.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pin-project-1.1.13/src/lib.rs

/work/main/console/target/wasm32-unknown-unknown/release/deps/libpin_project-402617dc5dd97326.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pin-project-1.1.13/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pin-project-1.1.13/src/lib.rs:
