//! What a plugin asks for, and what an admin granted it.
//!
//! A plugin ships a manifest beside its `.wasm`: its name, version, the contract version it was
//! built against, its channel kind, the outbound hosts, settings and secrets it wants, and its
//! budgets. The admin approves all or part of that; [`Grants`] is what was approved, and every
//! host function checks it, naming the capability when it refuses.

use serde::{Deserialize, Serialize};
use switchboard_model::{ChannelForm, ChannelKind, FormDescription};

/// A plugin's own description of itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    /// The `switchboard:channel` contract version, e.g. `0.1.0`.
    pub contract: String,
    /// The kind of channel it runs: `email`, `webchat`, `api`, or one of its own (`telegram`).
    pub channel_kind: ChannelKind,
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    #[serde(default)]
    pub settings: Vec<String>,
    #[serde(default)]
    pub secrets: Vec<String>,
    #[serde(default)]
    pub budget: Budget,
    /// How often the gateway makes the plugin's scheduled call (`tick`), in seconds; none
    /// for a plugin that is only called when something arrives (contract 0.2.0 and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tick_seconds: Option<u32>,
    /// Hours after a contact's last message during which replies may be free text; past them
    /// only the provider's approved templates go (WhatsApp: 24). None: no window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_window_hours: Option<u32>,
    /// How the console asks an admin for the settings and secrets (labels, help, choices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<FormDescription>,
}

/// The most seldom a scheduled call may be asked for: once a day.
const LONGEST_TICK_SECONDS: u32 = 86_400;

/// Limits of one call into a plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Budget {
    /// Largest linear memory, in MiB.
    pub memory_mib: u32,
    /// Longest call, in milliseconds.
    pub time_ms: u32,
    /// Largest result (text, bytes and ids added up), in KiB.
    pub output_kib: u32,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            memory_mib: 64,
            time_ms: 1_000,
            output_kib: 4_096,
        }
    }
}

/// The largest budgets the operator lets any plugin ask for (`plugins.max_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ceilings {
    pub memory_mib: u32,
    pub time_ms: u32,
    pub output_kib: u32,
}

impl Default for Ceilings {
    fn default() -> Self {
        Ceilings {
            memory_mib: 1024,
            time_ms: 60_000,
            output_kib: 16_384,
        }
    }
}

impl Manifest {
    /// Checks what can be checked without the component, naming the first problem.
    pub fn check(&self, ceilings: &Ceilings) -> Result<(), String> {
        let named = |value: &str| !value.is_empty() && value.len() <= 64;
        if !named(&self.name)
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "the plugin name {:?} must be 1 to 64 letters, digits, `-` or `_`",
                self.name
            ));
        }
        if self.version.len() > 64 || semver::Version::parse(&self.version).is_err() {
            return Err(format!(
                "the plugin version {:?} must be a semantic version such as 1.2.0",
                self.version
            ));
        }
        let within = |what: &str, value: u32, ceiling: u32, unit: &str| {
            if value == 0 || value > ceiling {
                Err(format!(
                    "a {what} budget of {value} {unit} is outside 1 to {ceiling}, the most this gateway allows"
                ))
            } else {
                Ok(())
            }
        };
        within("memory", self.budget.memory_mib, ceilings.memory_mib, "MiB")?;
        within("time", self.budget.time_ms, ceilings.time_ms, "ms")?;
        within("output", self.budget.output_kib, ceilings.output_kib, "KiB")?;
        if self
            .reply_window_hours
            .is_some_and(|hours| hours == 0 || hours > 24 * 365)
        {
            return Err("`reply_window_hours` must be 1 to 8760 (a year)".into());
        }
        if let Some(seconds) = self.tick_seconds {
            if self.contract == crate::v0_1_0::VERSION {
                return Err(
                    "`tick_seconds` needs contract 0.2.0 or later: 0.1.0 has no scheduled call"
                        .into(),
                );
            }
            if !(1..=LONGEST_TICK_SECONDS).contains(&seconds) {
                return Err(format!(
                    "`tick_seconds` of {seconds} is outside 1 to {LONGEST_TICK_SECONDS} (once a day)"
                ));
            }
        }
        if let Some(host) = self
            .allowed_hosts
            .iter()
            .find(|host| Grant::parse(host).is_none())
        {
            return Err(format!(
                "allowed host {host:?} must be a host name such as api.telegram.org, with a port if not 443 (hooks.example.com:8443)"
            ));
        }
        if let Some(problem) = self
            .form
            .as_ref()
            .and_then(|form| form.problem(&self.settings, &self.secrets))
        {
            return Err(problem);
        }
        Ok(())
    }

    /// The form an admin fills to add a channel of this plugin's kind.
    pub fn channel_form(&self) -> ChannelForm {
        let described = self.form.clone().unwrap_or_default();
        let mut form = described.form(
            self.channel_kind,
            &self.name,
            &self.version,
            &self.settings,
            &self.secrets,
        );
        if form.title.is_empty() {
            form.title.insert("en".into(), self.name.clone());
        }
        form
    }

    /// Everything the manifest asks for, granted as asked.
    pub fn grant_all(&self) -> Grants {
        Grants {
            allowed_hosts: self.allowed_hosts.clone(),
            settings: self.settings.clone(),
            secrets: self.secrets.clone(),
        }
    }
}

/// What an admin approved: never more than the manifest asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grants {
    pub allowed_hosts: Vec<String>,
    pub settings: Vec<String>,
    pub secrets: Vec<String>,
}

impl Grants {
    /// The grants an admin approved, refusing any that the manifest did not ask for.
    pub fn approve(manifest: &Manifest, approved: Grants) -> Result<Grants, String> {
        let unasked = |kind: &str, approved: &[String], asked: &[String]| {
            approved
                .iter()
                .find(|item| !asked.contains(item))
                .map(|item| format!("the manifest does not ask for the {kind} {item:?}"))
        };
        if let Some(problem) = unasked("host", &approved.allowed_hosts, &manifest.allowed_hosts)
            .or_else(|| unasked("setting", &approved.settings, &manifest.settings))
            .or_else(|| unasked("secret", &approved.secrets, &manifest.secrets))
        {
            return Err(problem);
        }
        Ok(approved)
    }

    /// Whether a request to `url` may go out, as far as grants go: its host and port must be
    /// granted (a host alone grants port 443, HTTPS's; another port is granted by name). The refusal
    /// names what was not granted. Which schemes and addresses may be reached at all is the
    /// operator's to decide, and the fetcher checks that.
    pub fn check_url(&self, url: &str) -> Result<(), String> {
        let (scheme, rest) = url
            .split_once("://")
            .filter(|(scheme, _)| matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https"))
            .ok_or_else(|| "fetch refused: only http and https URLs".to_string())?;
        let default_port = if scheme.eq_ignore_ascii_case("https") {
            443
        } else {
            80
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        // Whatever comes before an `@` is user information, never the host.
        let target = authority.rsplit('@').next().unwrap_or_default();
        let Some(target) = Grant::parse(target) else {
            return Err("fetch refused: the URL's host cannot be read".into());
        };
        let port = target.port.unwrap_or(default_port);
        let granted = self
            .allowed_hosts
            .iter()
            .filter_map(|grant| Grant::parse(grant))
            .any(|grant| {
                grant.host.eq_ignore_ascii_case(&target.host) && grant.port.unwrap_or(443) == port
            });
        if granted {
            Ok(())
        } else {
            Err(format!(
                "fetch to {}:{port} refused: the plugin was not granted that host and port",
                target.host
            ))
        }
    }
}

/// A granted host, or a URL's: `host`, `host:port`, `[v6]` or `[v6]:port`.
#[derive(Debug, PartialEq, Eq)]
struct Grant {
    host: String,
    port: Option<u16>,
}

impl Grant {
    fn parse(text: &str) -> Option<Grant> {
        let (host, port) = match text.strip_prefix('[') {
            Some(bracketed) => {
                let (host, after) = bracketed.split_once(']')?;
                let port = match after {
                    "" => None,
                    _ => Some(after.strip_prefix(':')?),
                };
                (host, port)
            }
            None => match text.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (text, None),
            },
        };
        let port = match port {
            Some(port) => Some(port.parse::<u16>().ok().filter(|port| *port > 0)?),
            None => None,
        };
        let valid_host = !host.is_empty()
            && host.len() <= 253
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
        valid_host.then(|| Grant {
            host: host.to_ascii_lowercase(),
            port,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            name: "telegram".into(),
            version: "1.0.0".into(),
            contract: "0.2.0".into(),
            channel_kind: ChannelKind::parse("telegram").expect("a kind name"),
            allowed_hosts: vec!["api.telegram.org".into()],
            settings: vec!["bot_name".into()],
            secrets: vec!["bot_token".into()],
            budget: Budget::default(),
            tick_seconds: None,
            reply_window_hours: None,
            form: None,
        }
    }

    #[test]
    fn only_granted_hosts_are_reachable() {
        let grants = manifest().grant_all();
        assert!(
            grants
                .check_url("https://api.telegram.org/bot1/sendMessage")
                .is_ok()
        );
        assert!(grants.check_url("https://API.telegram.org:443/x").is_ok());
        let other_port = grants
            .check_url("https://api.telegram.org:8443/x")
            .expect_err("a port not granted");
        assert!(other_port.contains("8443"), "{other_port}");
        assert!(
            grants.check_url("http://api.telegram.org/x").is_err(),
            "port 80"
        );
        let refused = grants
            .check_url("https://evil.example/x")
            .expect_err("not granted");
        assert!(refused.contains("evil.example"), "{refused}");
        assert!(
            grants
                .check_url("https://api.telegram.org@evil.example/")
                .is_err(),
            "userinfo cannot smuggle a host"
        );
        assert!(grants.check_url("file:///etc/passwd").is_err());
    }

    #[test]
    fn a_grant_with_a_port_reaches_that_port_only() {
        let grants = Grants {
            allowed_hosts: vec!["hooks.example.com:8443".into(), "[::1]:9000".into()],
            ..Grants::default()
        };
        assert!(
            grants
                .check_url("https://hooks.example.com:8443/in")
                .is_ok()
        );
        assert!(grants.check_url("https://hooks.example.com/in").is_err());
        assert!(grants.check_url("http://[::1]:9000/x").is_ok());
        assert!(grants.check_url("http://[::1]:9001/x").is_err());
    }

    #[test]
    fn an_admin_cannot_grant_what_was_not_asked_for() {
        let asked = manifest();
        let approved = Grants {
            secrets: vec!["admin_password".into()],
            ..Grants::default()
        };
        let refused = Grants::approve(&asked, approved).expect_err("not asked for");
        assert!(refused.contains("admin_password"), "{refused}");
        let partial = Grants {
            allowed_hosts: vec!["api.telegram.org".into()],
            ..Grants::default()
        };
        assert_eq!(Grants::approve(&asked, partial.clone()), Ok(partial));
    }

    #[test]
    fn manifests_are_checked() {
        let mut bad = manifest();
        bad.allowed_hosts = vec!["https://api.telegram.org/".into()];
        assert!(
            bad.check(&Ceilings::default())
                .expect_err("a URL is not a host")
                .contains("host name")
        );
        for odd in ["api.telegram.org:0", "api.telegram.org:99999", "a@b", ""] {
            let mut bad = manifest();
            bad.allowed_hosts = vec![odd.into()];
            assert!(bad.check(&Ceilings::default()).is_err(), "{odd}");
        }
        let mut ported = manifest();
        ported.allowed_hosts = vec!["hooks.example.com:8443".into()];
        assert!(ported.check(&Ceilings::default()).is_ok());
        let mut bad = manifest();
        bad.budget.time_ms = 0;
        assert!(bad.check(&Ceilings::default()).is_err());
        assert!(manifest().check(&Ceilings::default()).is_ok());
    }

    #[test]
    fn budgets_stay_under_the_operators_ceilings() {
        let ceilings = Ceilings::default();
        let mut greedy = manifest();
        greedy.budget.output_kib = u32::MAX;
        let refused = greedy.check(&ceilings).expect_err("over the ceiling");
        assert!(
            refused.contains("output") && refused.contains("16384"),
            "{refused}"
        );
        let strict = Ceilings {
            memory_mib: 32,
            ..ceilings
        };
        let refused = manifest().check(&strict).expect_err("64 MiB over 32");
        assert!(refused.contains("memory"), "{refused}");
    }

    #[test]
    fn versions_are_semantic_versions() {
        for version in ["not semver ../../x", "1.0.0\nINFO forged", "", "1.0"] {
            let mut odd = manifest();
            odd.version = version.into();
            let refused = odd.check(&Ceilings::default()).expect_err(version);
            assert!(refused.contains("semantic version"), "{refused}");
        }
        let mut pre = manifest();
        pre.version = "2.1.0-beta.1+build.5".into();
        assert!(pre.check(&Ceilings::default()).is_ok());
    }
}
