/work/main/console/target/wasm32-unknown-unknown/release/deps/gloo_dialogs-1476ee444aa49dfa.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/gloo-dialogs-0.2.0/src/lib.rs

/work/main/console/target/wasm32-unknown-unknown/release/deps/libgloo_dialogs-1476ee444aa49dfa.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/gloo-dialogs-0.2.0/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/gloo-dialogs-0.2.0/src/lib.rs:
