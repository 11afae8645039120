/work/main/console/target/wasm32-unknown-unknown/release/deps/switchboard_model-17b44a280424e45d.d: /work/main/gateway/model/src/lib.rs /work/main/gateway/model/src/api.rs /work/main/gateway/model/src/contact.rs /work/main/gateway/model/src/conversation.rs /work/main/gateway/model/src/directory.rs /work/main/gateway/model/src/event.rs

/work/main/console/target/wasm32-unknown-unknown/release/deps/libswitchboard_model-17b44a280424e45d.rmeta: /work/main/gateway/model/src/lib.rs /work/main/gateway/model/src/api.rs /work/main/gateway/model/src/contact.rs /work/main/gateway/model/src/conversation.rs /work/main/gateway/model/src/directory.rs /work/main/gateway/model/src/event.rs

/work/main/gateway/model/src/lib.rs:
/work/main/gateway/model/src/api.rs:
/work/main/gateway/model/src/contact.rs:
/work/main/gateway/model/src/conversation.rs:
/work/main/gateway/model/src/directory.rs:
/work/main/gateway/model/src/event.rs:
