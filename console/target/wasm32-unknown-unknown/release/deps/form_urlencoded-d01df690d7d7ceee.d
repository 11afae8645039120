/work/main/console/target/wasm32-unknown-unknown/release/deps/form_urlencoded-d01df690d7d7ceee.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/form_urlencoded-1.2.2/src/lib.rs

/work/main/console/target/wasm32-unknown-unknown/release/deps/libform_urlencoded-d01df690d7d7ceee.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/form_urlencoded-1.2.2/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/form_urlencoded-1.2.2/src/lib.rs:
