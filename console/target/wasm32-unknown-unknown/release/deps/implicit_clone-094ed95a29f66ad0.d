/work/main/console/target/wasm32-unknown-unknown/release/deps/implicit_clone-094ed95a29f66ad0.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/implicit-clone-0.6.0/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/implicit-clone-0.6.0/src/sync.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/implicit-clone-0.6.0/src/array.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/implicit-clone-0.6.0/src/map.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/implicit-clone-0.6.0/src/string.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/implicit-clone-0.6.0/src/unsync.rs

/work/main/console/target/wasm32-unknown-unknown/release/deps/libimplicit_clone-094ed95a29f66ad0.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/implicit-clone-0.6.0/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/implicit-clone-0.6.0/src/sync.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/implicit-clone-0.6.0/src/array.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/implicit-clone-0.6.0/src/map.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/implicit-clone-0.6.0/src/string.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/implicit-clone-0.6.0/src/unsync.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/implicit-clone-0.6.0/src/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/implicit-clone-0.6.0/src/sync.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/implicit-clone-0.6.0/src/array.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/implicit-clone-0.6.0/src/map.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/implicit-clone-0.6.0/src/string.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/implicit-clone-0.6.0/src/unsync.rs:
