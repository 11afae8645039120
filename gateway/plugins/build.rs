//! Builds the channel adapters in `channel-plugins/` for `wasm32-wasip2`, so that the gateway
//! and its tests always run against components built from the sources beside them. They build
//! in a target folder of their own (`target/plugins`), with their own size profile.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let plugins = manifest_dir.join("../../channel-plugins");
    // Every adapter, the SDK and the contracts: cargo looks through the folder.
    println!("cargo:rerun-if-changed={}", plugins.display());
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    // OUT_DIR is <target>/<profile>/build/<package>-<hash>/out.
    let target = out_dir
        .ancestors()
        .nth(4)
        .map_or_else(|| out_dir.clone(), Path::to_path_buf)
        .join("plugins");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            "wasm32-wasip2",
            "--manifest-path",
        ])
        .arg(plugins.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .status()
        .expect("cannot run cargo to build the channel plugins");
    assert!(
        status.success(),
        "building the channel plugins failed; is the wasm32-wasip2 target installed? (`rustup target add wasm32-wasip2`, which `cargo xtask setup` does)"
    );
    println!(
        "cargo:rustc-env=SWITCHBOARD_PLUGIN_DIR={}",
        target.join("wasm32-wasip2/release").display()
    );
}
