//! Builds the channel adapters in `channel-plugins/` for `wasm32-wasip2`, so that the gateway
//! and its tests always run against components built from the sources beside them. They build
//! in a target folder of their own (`target/plugins`), with their own size profile. Every
//! adapter folder with a `manifest.toml` ships inside the gateway: the list of them
//! (`shipped.rs`) is written here, so a new shipped channel is a new folder and nothing else.

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
    let built = target.join("wasm32-wasip2/release");
    println!("cargo:rustc-env=SWITCHBOARD_PLUGIN_DIR={}", built.display());
    write_shipped(&plugins, &built, &out_dir.join("shipped.rs"));
}

/// Writes the table of shipped adapters: `(folder name, Bundled { wasm, manifest })` for each
/// folder of `plugins` holding a `manifest.toml`, its component being `<folder>_adapter.wasm`.
fn write_shipped(plugins: &Path, built: &Path, to: &Path) {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(plugins)
        .expect("channel-plugins is readable")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|folder| folder.join("manifest.toml").is_file())
        .collect();
    folders.sort();
    let mut table = String::from("&[\n");
    for folder in folders {
        let name = folder
            .file_name()
            .and_then(|name| name.to_str())
            .expect("adapter folders have plain names");
        let wasm = built.join(format!("{name}_adapter.wasm"));
        let manifest = folder.join("manifest.toml");
        table.push_str(&format!(
            "    ({name:?}, Bundled {{ wasm: include_bytes!({wasm:?}), manifest: include_str!({manifest:?}) }}),\n",
            wasm = wasm.display().to_string(),
            manifest = manifest.display().to_string(),
        ));
    }
    table.push(']');
    std::fs::write(to, table).expect("OUT_DIR is writable");
}
