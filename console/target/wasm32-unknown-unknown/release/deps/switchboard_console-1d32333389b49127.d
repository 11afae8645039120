/work/main/console/target/wasm32-unknown-unknown/release/deps/switchboard_console-1d32333389b49127.d: src/main.rs src/api.rs src/i18n.rs src/notify.rs src/socket.rs src/state.rs src/views/mod.rs src/views/composer.rs src/views/contact.rs src/views/list.rs src/views/new_conversation.rs src/views/profile.rs src/views/shortcuts.rs src/views/sign_in.rs src/views/thread.rs src/views/workspace.rs Cargo.toml

/work/main/console/target/wasm32-unknown-unknown/release/deps/libswitchboard_console-1d32333389b49127.rmeta: src/main.rs src/api.rs src/i18n.rs src/notify.rs src/socket.rs src/state.rs src/views/mod.rs src/views/composer.rs src/views/contact.rs src/views/list.rs src/views/new_conversation.rs src/views/profile.rs src/views/shortcuts.rs src/views/sign_in.rs src/views/thread.rs src/views/workspace.rs Cargo.toml

src/main.rs:
src/api.rs:
src/i18n.rs:
src/notify.rs:
src/socket.rs:
src/state.rs:
src/views/mod.rs:
src/views/composer.rs:
src/views/contact.rs:
src/views/list.rs:
src/views/new_conversation.rs:
src/views/profile.rs:
src/views/shortcuts.rs:
src/views/sign_in.rs:
src/views/thread.rs:
src/views/workspace.rs:
Cargo.toml:

# env-dep:CLIPPY_ARGS=
# env-dep:CLIPPY_CONF_DIR
