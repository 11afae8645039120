/work/main/console/target/wasm32-unknown-unknown/release/deps/switchboard_front-cb74083a617d688f.d: /work/main/front/src/lib.rs /work/main/front/src/locale.rs /work/main/front/src/socket.rs

/work/main/console/target/wasm32-unknown-unknown/release/deps/libswitchboard_front-cb74083a617d688f.rmeta: /work/main/front/src/lib.rs /work/main/front/src/locale.rs /work/main/front/src/socket.rs

/work/main/front/src/lib.rs:
/work/main/front/src/locale.rs:
/work/main/front/src/socket.rs:
