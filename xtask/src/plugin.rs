//! `cargo xtask plugin …`: start a channel adapter from the template, make a publisher's
//! signing key, and pack an adapter with its manifest into one signed file that a workspace
//! which trusts the key installs (`POST /api/v1/plugins/packages`).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::{cargo_in, target_dir};

pub fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let argument = |index: usize, what: &str| {
        args.get(index)
            .map(String::as_str)
            .with_context(|| format!("missing {what}"))
    };
    match args.first().map(String::as_str) {
        Some("new") => new(root, argument(1, "the adapter's NAME")?),
        Some("keygen") => keygen(Path::new(argument(1, "the key FILE to write")?)),
        Some("pack") => {
            let name = argument(1, "the adapter's NAME")?;
            if argument(2, "--key FILE")? != "--key" {
                bail!("usage: cargo xtask plugin pack NAME --key FILE");
            }
            pack(root, name, Path::new(argument(3, "the key FILE")?))
        }
        _ => bail!("usage: cargo xtask plugin <new NAME | keygen FILE | pack NAME --key FILE>"),
    }
}

/// Whether `name` can name an adapter: lowercase letters, digits and `-`, starting with a letter.
fn valid_name(name: &str) -> bool {
    name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The adapters' workspace manifest with `member` added to its members.
fn with_member(workspace: &str, member: &str) -> anyhow::Result<String> {
    let start = workspace
        .find("members = [")
        .context("channel-plugins/Cargo.toml has no members list")?;
    let end = start
        + workspace[start..]
            .find(']')
            .context("the members list does not end")?;
    Ok(format!(
        "{}, \"{member}\"{}",
        &workspace[..end],
        &workspace[end..]
    ))
}

/// A new adapter in `channel-plugins/NAME`, a copy of the template with its own name and
/// manifest, added to the adapters' workspace.
fn new(root: &Path, name: &str) -> anyhow::Result<()> {
    if !valid_name(name) {
        bail!(
            "{name:?} cannot name an adapter: use lowercase letters, digits and `-`, starting with a letter"
        );
    }
    let plugins = root.join("channel-plugins");
    let folder = plugins.join(name);
    if folder.exists() {
        bail!("{} exists already", folder.display());
    }
    let template = plugins.join("template");
    std::fs::create_dir_all(folder.join("src"))?;
    let cargo = std::fs::read_to_string(template.join("Cargo.toml"))?
        .replace("name = \"template-adapter\"", &format!("name = \"{name}-adapter\""))
        .replace(
            "description = \"A complete, small channel adapter to copy: a JSON webhook in, a JSON POST out.\"",
            &format!("description = \"The {name} channel adapter.\""),
        );
    std::fs::write(folder.join("Cargo.toml"), cargo)?;
    std::fs::copy(template.join("src/lib.rs"), folder.join("src/lib.rs"))?;
    std::fs::write(
        folder.join("manifest.toml"),
        format!(
            "# What the adapter asks the gateway for; an admin approves it when installing.\n\
             name = \"{name}\"\nversion = \"0.1.0\"\ncontract = \"0.2.0\"\nchannel_kind = \"api\"\n\
             # Hosts it may call: `host` is port 443, `host:port` another port.\n\
             allowed_hosts = []\nsettings = [\"reply_url\"]\nsecrets = [\"api_token\"]\n"
        ),
    )?;
    let workspace = plugins.join("Cargo.toml");
    let members = with_member(&std::fs::read_to_string(&workspace)?, name)?;
    std::fs::write(&workspace, members)?;
    cargo_in(&plugins, &["update", "--workspace", "--offline"], &[])?;
    println!(
        "channel-plugins/{name} is ready: edit src/lib.rs and manifest.toml, then\n  \
         cargo xtask plugin keygen my-key.secret   (once)\n  \
         cargo xtask plugin pack {name} --key my-key.secret"
    );
    Ok(())
}

/// A new publisher key: its secret seed written to `file` (readable by its owner only), its
/// public half printed for the admins who will trust it.
fn keygen(file: &Path) -> anyhow::Result<()> {
    use std::io::Write;
    let mut seed = [0u8; 32];
    rand::fill(&mut seed);
    let key = switchboard_package::signing_key(&seed);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(file)
        .with_context(|| format!("cannot create {} (it must not exist yet)", file.display()))?
        .write_all(hex_seed(&seed).as_bytes())?;
    println!(
        "secret key written to {}; keep it private.\npublic key, for the admins who trust you:\n{}",
        file.display(),
        switchboard_package::public_key(&key)
    );
    Ok(())
}

fn hex_seed(seed: &[u8; 32]) -> String {
    seed.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn read_seed(file: &Path) -> anyhow::Result<[u8; 32]> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read the key {}", file.display()))?;
    let text = text.trim();
    let bytes: Vec<u8> = (0..text.len())
        .step_by(2)
        .map(|at| {
            text.get(at..at + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect::<Option<_>>()
        .with_context(|| format!("{} is not a key from `plugin keygen`", file.display()))?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("{} is not a key from `plugin keygen`", file.display()))
}

/// Builds the adapter `name` and writes `target/plugins/NAME.sbplugin`, signed with `key`.
fn pack(root: &Path, name: &str, key: &Path) -> anyhow::Result<()> {
    let seed = read_seed(key)?;
    let folder = root.join("channel-plugins").join(name);
    let manifest = std::fs::read_to_string(folder.join("manifest.toml"))
        .with_context(|| format!("channel-plugins/{name} has no manifest.toml"))?;
    let target = target_dir(root).join("plugins");
    cargo_in(
        &root.join("channel-plugins"),
        &[
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "-p",
            &format!("{name}-adapter"),
        ],
        &[("CARGO_TARGET_DIR", &target)],
    )?;
    let component: PathBuf = target
        .join("wasm32-wasip2/release")
        .join(format!("{}_adapter.wasm", name.replace('-', "_")));
    let component = std::fs::read(&component)
        .with_context(|| format!("cannot read {}", component.display()))?;
    let signing = switchboard_package::signing_key(&seed);
    let file = target.join(format!("{name}.sbplugin"));
    std::fs::write(
        &file,
        switchboard_package::pack(&manifest, &component, &signing),
    )?;
    println!(
        "{} signed by {}: upload it with POST /api/v1/plugins/packages in a workspace that trusts the key",
        file.display(),
        switchboard_package::public_key(&signing)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_adapter_joins_the_workspace_under_a_name_that_fits() {
        assert!(valid_name("acme-crm2"));
        assert!(!valid_name("Acme"));
        assert!(!valid_name("2crm"));
        assert!(!valid_name("crm/../x"));
        let workspace = "[workspace]\nmembers = [\"sdk\", \"template\"]\n";
        assert_eq!(
            with_member(workspace, "acme").expect("members"),
            "[workspace]\nmembers = [\"sdk\", \"template\", \"acme\"]\n"
        );
        let seed = [9u8; 32];
        let file = std::env::temp_dir().join(format!("xtask-seed-{}", std::process::id()));
        std::fs::write(&file, hex_seed(&seed)).expect("written");
        assert_eq!(read_seed(&file).expect("read"), seed);
        let _ = std::fs::remove_file(file);
    }
}
