/work/main/console/target/release/deps/proc_macro_crate-9ba6197ad8d9139d.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/proc-macro-crate-1.3.1/src/lib.rs

/work/main/console/target/release/deps/libproc_macro_crate-9ba6197ad8d9139d.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/proc-macro-crate-1.3.1/src/lib.rs

/work/main/console/target/release/deps/libproc_macro_crate-9ba6197ad8d9139d.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/proc-macro-crate-1.3.1/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/proc-macro-crate-1.3.1/src/lib.rs:
