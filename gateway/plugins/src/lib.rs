//! The channel-plugin host.
//!
//! Channel adapters are WebAssembly components built against the versioned WIT contract in
//! `channel-plugins/wit`. This crate validates and compiles them (caching compiled code on disk),
//! checks what their [`Manifest`] asks for against the [`Grants`] an admin approved, and runs
//! each call on a fresh instance with a memory limit, a time budget and an output cap. A plugin
//! that traps, loops or bloats fails that call alone, with a [`PluginError`] that says which.
//!
//! One file per contract version (`v0_1_0.rs`, `v0_2_0.rs`); an old version's file only
//! translates its values to and from the newest's.

mod cache;
mod call;
mod error;
mod manifest;
mod output;
mod payload_part;
mod runtime;
mod shares;
mod ticker;
mod turns;
pub mod v0_1_0;
pub mod v0_2_0;

pub use call::{CallContext, CallOutput, Fetch, MAX_KV_BYTES};
pub use error::PluginError;
pub use manifest::{Budget, Ceilings, Grants, Manifest};
pub use output::read_response;
pub use payload_part::read_payload_part;
pub use runtime::{CONTRACTS, Plugin, Runtime, RuntimeConfig};
/// The types of the newest contract, which the gateway works with.
pub use v0_2_0::types as latest;

/// Where the build put the adapters compiled from `channel-plugins/` (`<name>.wasm`).
pub const BUILT_PLUGINS: &str = env!("SWITCHBOARD_PLUGIN_DIR");

/// An adapter that ships inside the gateway binary.
#[derive(Debug, Clone, Copy)]
pub struct Bundled {
    pub wasm: &'static [u8],
    /// Its manifest, as TOML.
    pub manifest: &'static str,
}

/// The adapters the gateway ships, by name: one for each folder of `channel-plugins/` that holds
/// a `manifest.toml` (`email`, `webchat`, `telegram`, `whatsapp`, `sms`).
pub static SHIPPED: &[(&str, Bundled)] = include!(concat!(env!("OUT_DIR"), "/shipped.rs"));

/// The adapter the gateway ships under `name`, if any.
pub fn bundled(name: &str) -> Option<Bundled> {
    SHIPPED
        .iter()
        .find(|(shipped, _)| *shipped == name)
        .map(|(_, bundled)| *bundled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_manifest_passes_its_check_and_describes_each_field_of_its_form() {
        let names: Vec<&str> = SHIPPED.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ["email", "sms", "telegram", "webchat", "whatsapp"]);
        for (name, shipped) in SHIPPED {
            let manifest: Manifest =
                toml::from_str(shipped.manifest).unwrap_or_else(|error| panic!("{name}: {error}"));
            manifest
                .check(&Ceilings::default())
                .unwrap_or_else(|problem| panic!("{name}: {problem}"));
            if !matches!(*name, "email" | "webchat") {
                let form = manifest.form.as_ref().expect("a plugin channel has a form");
                for field in manifest.settings.iter().chain(&manifest.secrets) {
                    let described = form.fields.get(field).expect("every field described");
                    for language in switchboard_model::LANGUAGES {
                        assert!(
                            described.label.contains_key(language),
                            "{name}: {field} has no {language} label"
                        );
                    }
                }
            }
        }
    }
}
