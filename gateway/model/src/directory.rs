//! Who and what a workspace is made of: the workspace itself, its agents and teams, its channels,
//! its canned responses, its catalogue of labels and the people it invited.

use serde::{Deserialize, Serialize};

use crate::{Id, Millis};

mod invitation;
mod profile;

pub use invitation::*;
pub use profile::*;

/// One business hosted by the gateway. Every other record belongs to exactly one workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Workspace {
    pub id: Id,
    pub name: String,
    pub created_at: Millis,
    /// Set while the installation's operator has suspended the workspace: its people cannot
    /// sign in, its widget and webhooks answer `workspace_suspended`, and nothing is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended_at: Option<Millis>,
    /// The limits the installation's operator set; none by default.
    #[serde(default)]
    pub quotas: WorkspaceQuotas,
    /// Where the business is, as an IANA time zone (`America/Bogota`); `UTC` until an admin
    /// picks one.
    #[serde(default = "profile::utc")]
    pub time_zone: String,
    /// The languages the business serves its customers in, of [`WORKSPACE_LANGUAGES`].
    #[serde(default = "profile::every_language")]
    pub languages: Vec<String>,
    /// The one of `languages` used when nothing says which.
    #[serde(default = "profile::english")]
    pub default_language: String,
    /// Whether its first admin went through the first run (name, time zone, languages, a first
    /// channel) or skipped it; a workspace made before the first run existed counts as done.
    #[serde(default = "yes")]
    pub onboarded: bool,
}

/// How many of each the operator lets a workspace have; `None` is no limit. Reaching one
/// refuses one more (`403 quota_reached`, naming it); customers' messages are never refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceQuotas {
    /// People, active or not.
    pub agents: Option<u32>,
    /// Channels not deleted.
    pub channels: Option<u32>,
    /// Plugins installed by the workspace (the adapters the gateway ships do not count).
    pub plugins: Option<u32>,
    /// MiB of files (attachments, avatars, plugin components) agents and visitors may upload;
    /// files that come with customers' mail and messages are always kept.
    #[serde(default)]
    pub storage_mib: Option<u64>,
    /// Messages agents and API clients may write to contacts a day (UTC); bots' and automatic
    /// answers count but are never refused, and contacts' messages are never counted.
    #[serde(default)]
    pub messages_per_day: Option<u32>,
}

impl WorkspaceQuotas {
    /// The largest quota of anything counted; no quota is no limit.
    pub const MAX_COUNT: u32 = 1_000_000;
    /// The largest storage quota, 1 PiB.
    pub const MAX_STORAGE_MIB: u64 = 1 << 30;

    /// The quota past its largest value, if one is: its name and why.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        let counted = [
            ("agents", self.agents),
            ("channels", self.channels),
            ("plugins", self.plugins),
            ("messages_per_day", self.messages_per_day),
        ];
        if let Some((field, _)) = counted
            .into_iter()
            .find(|(_, quota)| quota.is_some_and(|quota| quota > Self::MAX_COUNT))
        {
            let max = Self::MAX_COUNT;
            return Some((
                field,
                format!("a quota of {field} is at most {max}; leave it out for no limit"),
            ));
        }
        self.storage_mib
            .is_some_and(|mib| mib > Self::MAX_STORAGE_MIB)
            .then(|| {
                let max = Self::MAX_STORAGE_MIB;
                (
                    "storage_mib",
                    format!("a storage quota is at most {max} MiB; leave it out for no limit"),
                )
            })
    }
}

/// The longest workspace name.
pub const MAX_WORKSPACE_NAME_CHARS: usize = 100;

/// What is wrong with a workspace's name (as typed; it is kept trimmed), if anything.
pub fn workspace_name_problem(name: &str) -> Option<String> {
    let name = name.trim();
    let fits = !name.is_empty() && name.chars().count() <= MAX_WORKSPACE_NAME_CHARS;
    (!fits || name.chars().any(char::is_control)).then(|| {
        format!(
            "the workspace's name must have 1 to {MAX_WORKSPACE_NAME_CHARS} characters, none of them a control character"
        )
    })
}

/// The name a person gets when none is given: the part of their address before `@`.
pub fn name_from_email(email: &str) -> &str {
    email.split('@').next().unwrap_or(email)
}

/// How much of the installation a workspace uses, for its operator.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceUsage {
    /// People, active or not.
    pub agents: u64,
    /// Channels not deleted.
    pub channels: u64,
    pub conversations: u64,
    /// Bytes of stored files (attachments, avatars) and kept payloads of dead letters.
    pub storage_bytes: u64,
}

/// A workspace as its operator sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceSummary {
    #[serde(flatten)]
    pub workspace: Workspace,
    pub usage: WorkspaceUsage,
}

/// A new business on the installation, with its first admin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewWorkspace {
    pub name: String,
    pub admin_email: String,
    /// The admin's name; the part of the address before `@` when absent.
    #[serde(default)]
    pub admin_name: Option<String>,
}

/// What removing a workspace took away, counted as it went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RemovedWorkspace {
    pub workspace: Workspace,
    /// Records of the store (people, channels, contacts, conversations, files, secrets…).
    pub records: u64,
    /// Lines of its events in the journal, overwritten.
    pub event_lines: u64,
    /// Files of its watched plugin folder.
    pub plugin_files: u64,
}

/// A workspace just made, with the password its first admin signs in with once: it is shown
/// here only, and the admin must choose their own at their first sign-in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedWorkspace {
    pub workspace: Workspace,
    pub admin: Agent,
    pub password: String,
}

/// What an agent may do. Admins manage the workspace (people, teams, channels, tokens and
/// every other setting); supervisors see and work every conversation as admins do but change
/// no setting; agents answer conversations and keep contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Supervisor,
    Agent,
}

/// A person who answers conversations in the console.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Agent {
    pub id: Id,
    pub workspace_id: Id,
    pub name: String,
    /// Login name; unique across the gateway.
    pub email: String,
    pub role: Role,
    /// Appended to the agent's email replies.
    #[serde(default)]
    pub signature: String,
    /// Deactivated agents can no longer log in; their history stays.
    #[serde(default = "yes")]
    pub active: bool,
    /// The picture visitors see beside the agent's replies (`PUT /api/v1/agents/{id}/avatar`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<crate::Attachment>,
    /// Whether the agent takes conversations now; other agents see it, and automatic
    /// assignment only picks online agents.
    #[serde(default)]
    pub availability: Availability,
    /// The console's language (`en`, `es`, `pt-BR`); the browser's when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default)]
    pub notifications: NotificationSettings,
    /// Set while the agent's password is one the gateway generated (the first admin's, or
    /// one the operator's `workspace create` printed): until they choose their own
    /// (`POST /api/v1/auth/password`), every other call is refused with `choose_password`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub must_choose_password: bool,
    pub created_at: Millis,
}

/// Whether an agent takes conversations now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    #[default]
    Online,
    Away,
    Offline,
}

/// How the console tells an agent about a new message for them or a mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationSettings {
    /// A browser notification while the console's tab is in the background.
    pub desktop: bool,
    /// A short sound.
    pub sound: bool,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        NotificationSettings {
            desktop: true,
            sound: true,
        }
    }
}

/// A group of agents that conversations can be routed to ("queue" in some products).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Team {
    pub id: Id,
    pub workspace_id: Id,
    pub name: String,
    /// A CSS colour such as `#1f6feb`, shown beside the team's conversations.
    pub colour: String,
    #[serde(default)]
    pub member_ids: Vec<Id>,
    /// Each new conversation routed to the team goes to the online member with the fewest
    /// open conversations.
    #[serde(default)]
    pub auto_assign: bool,
    pub created_at: Millis,
}

/// The kind of a channel: `email`, `webchat` and `api`, which the gateway itself knows, or the
/// kind a channel plugin names in its manifest (`telegram`, `whatsapp`, `line`…), so that a new
/// channel needs a plugin and no change here. A name of lowercase ASCII letters, digits and `_`,
/// starting with a letter, at most [`ChannelKind::MAX_LEN`] bytes; kept inline so it stays `Copy`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelKind {
    bytes: [u8; ChannelKind::MAX_LEN],
    len: u8,
}

impl ChannelKind {
    /// The longest kind name.
    pub const MAX_LEN: usize = 24;
    /// A mailbox, run by the email adapter; replies thread by Message-ID.
    pub const EMAIL: ChannelKind = ChannelKind::known("email");
    /// The website chat widget.
    pub const WEBCHAT: ChannelKind = ChannelKind::known("webchat");
    /// Messages posted by an integration through the REST API.
    pub const API: ChannelKind = ChannelKind::known("api");

    /// A kind written in the code; a wrong name fails the build.
    const fn known(name: &str) -> ChannelKind {
        match ChannelKind::checked(name.as_bytes()) {
            Ok(kind) => kind,
            Err(_) => panic!("not a channel kind name"),
        }
    }

    const fn checked(name: &[u8]) -> Result<ChannelKind, &'static str> {
        if name.is_empty() {
            return Err("is empty");
        }
        if name.len() > ChannelKind::MAX_LEN {
            return Err("is longer than 24 characters");
        }
        if !name[0].is_ascii_lowercase() {
            return Err("must start with a lowercase letter");
        }
        let mut bytes = [0; ChannelKind::MAX_LEN];
        let mut at = 0;
        while at < name.len() {
            let byte = name[at];
            if !(byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_') {
                return Err("may hold only lowercase letters, digits and _");
            }
            bytes[at] = byte;
            at += 1;
        }
        Ok(ChannelKind {
            bytes,
            len: name.len() as u8,
        })
    }

    /// The kind named `name`, or why it cannot be one.
    pub fn parse(name: &str) -> Result<ChannelKind, String> {
        ChannelKind::checked(name.as_bytes())
            .map_err(|problem| format!("the channel kind {name:?} {problem}"))
    }

    /// The kind's name as the API writes it (`whatsapp`), which is also the name of the adapter
    /// the gateway ships for it, if it ships one.
    pub fn name(&self) -> &str {
        // Only ASCII is ever stored (see `checked`).
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl std::fmt::Debug for ChannelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.name())
    }
}

impl std::fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for ChannelKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for ChannelKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        ChannelKind::parse(&name).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for ChannelKind {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[a-z][a-z0-9_]{0,23}$"))
            .description(Some(
                "`email`, `webchat`, `api`, or the kind a channel plugin names (`telegram`, `sms`, `whatsapp`…)",
            ))
            .examples(["whatsapp"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for ChannelKind {}

/// A connected channel: a mailbox, a website widget, a Telegram bot, an SMS number or an API
/// inbox. Secrets never appear here; they are kept apart and never returned by the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Channel {
    pub id: Id,
    pub workspace_id: Id,
    pub kind: ChannelKind,
    pub name: String,
    /// Inactive channels keep their history but take in and send nothing.
    pub active: bool,
    /// New conversations of this channel go to this team.
    #[serde(default)]
    pub default_team_id: Option<Id>,
    /// Channel-specific, non-secret settings (hosts, greeting, colours...).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub settings: serde_json::Value,
    /// The plugin (channel adapter) that handles this channel's traffic, by name.
    #[serde(default)]
    pub plugin: Option<String>,
    /// The secret part of the channel's webhook URL, `/hooks/{workspace}/{channel}/{token}`;
    /// shown to admins only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_token: Option<String>,
    /// The whole webhook URL to give the provider; filled in for admins, never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// A website chat's widget id, `{workspace}.{channel}`, the snippet's `data-widget`; filled
    /// in for admins of `webchat` channels, never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub widget_id: Option<String>,
    /// The one line a site owner pastes before `</body>` to show this website chat, with the
    /// gateway's public URL and the widget id; filled in for admins of `webchat` channels,
    /// never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    pub created_at: Millis,
    /// When an admin deleted the channel: it takes in and sends nothing any more, its secrets
    /// and webhook address are gone, and its conversations stay, under its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<Millis>,
}

/// A site a website chat refused because it is not among the channel's `allowed_origins`, as
/// admins see it to allow the site in one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefusedOrigin {
    /// Scheme, host and port, as `allowed_origins` takes it: `http://shop.example`.
    pub origin: String,
    /// How many times the site was refused today (UTC).
    pub times_today: u64,
    pub last_refused_at: Millis,
}

/// A reusable answer an agent inserts by typing its shortcut (a "snippet").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CannedResponse {
    pub id: Id,
    pub workspace_id: Id,
    /// Typed after `/` in the composer, e.g. `hours`.
    pub shortcut: String,
    /// The text; `{{contact.name}}` and `{{agent.name}}` are filled in when it is used.
    pub content: String,
    pub created_at: Millis,
}

impl CannedResponse {
    /// The variables [`CannedResponse::fill`] knows, as written between `{{` and `}}`.
    pub const VARIABLES: [&'static str; 7] = [
        "contact.name",
        "contact.first_name",
        "contact.email",
        "contact.phone",
        "agent.name",
        "agent.first_name",
        "agent.email",
    ];

    /// The text with its variables ([`CannedResponse::VARIABLES`]) filled in for `contact` and
    /// `agent` (spaces inside the braces allowed). A variable with no value (a contact still
    /// without a name of its own has none) becomes empty; an unknown one stays as written, for
    /// the agent to see.
    pub fn fill(&self, contact: Option<&crate::Contact>, agent: &Agent) -> String {
        let first_name = |name: &str| name.split_whitespace().next().unwrap_or("").to_string();
        let contact_name = contact.map(|contact| {
            if contact.unnamed() {
                String::new()
            } else {
                contact.name.clone()
            }
        });
        let mut filled = String::with_capacity(self.content.len());
        let mut rest = self.content.as_str();
        while let Some(start) = rest.find("{{") {
            let Some(length) = rest[start..].find("}}") else {
                break;
            };
            let name = rest[start + 2..start + length].trim();
            let value = match name {
                "contact.name" => contact_name.clone(),
                "contact.first_name" => contact_name.as_deref().map(first_name),
                "contact.email" => {
                    contact.map(|contact| contact.email_to_write().unwrap_or("").to_string())
                }
                "contact.phone" => {
                    contact.map(|contact| contact.phones.first().cloned().unwrap_or_default())
                }
                "agent.name" => Some(agent.name.clone()),
                "agent.first_name" => Some(first_name(&agent.name)),
                "agent.email" => Some(agent.email.clone()),
                _ => None,
            };
            filled.push_str(&rest[..start]);
            match value {
                Some(value) => filled.push_str(&value),
                None => filled.push_str(&rest[start..start + length + 2]),
            }
            rest = &rest[start + length + 2..];
        }
        filled.push_str(rest);
        filled
    }
}

/// A label of the workspace's catalogue: the colour its chip has wherever a conversation
/// carries a label of that name. Conversations hold labels by name, so a conversation may also
/// carry a name the catalogue does not have (drawn uncoloured); removing a label from the
/// catalogue leaves the conversations that carry its name as they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Label {
    pub id: Id,
    pub workspace_id: Id,
    /// Trimmed and lowercase, as conversations carry it ([`Label::name_of`]), e.g. `vip`.
    pub name: String,
    /// A hex colour, `#rrggbb` (or `#rgb`), e.g. `#e5534b`.
    pub colour: String,
    pub created_at: Millis,
}

impl Label {
    /// A label's name as conversations and the catalogue keep it: trimmed and lowercase, so
    /// that `VIP ` and `vip` are one label.
    pub fn name_of(text: &str) -> String {
        text.trim().to_lowercase()
    }
}

fn yes() -> bool {
    true
}

/// Whether a channel's connection to its provider works (a mailbox's IMAP sync).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelHealth {
    pub state: HealthState,
    /// What failed, in the server's words, e.g. `the server refused the credentials:
    /// [AUTHENTICATIONFAILED] Authentication failed.`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The step that failed: `settings`, `token`, `dns`, `tcp`, `tls`, `authentication`,
    /// `mailbox`, `protocol`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// Failures in a row; retries wait longer after each.
    pub failures: u32,
    pub since: Millis,
    /// When the next attempt is made, while failing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<Millis>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HealthState {
    Connecting,
    Ok,
    Failing,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_is_written_and_read_as_its_name() {
        for name in [
            "email",
            "webchat",
            "api",
            "telegram",
            "whatsapp",
            "line_business_2",
        ] {
            let kind = ChannelKind::parse(name).expect(name);
            assert_eq!(kind.name(), name);
            assert_eq!(serde_json::to_value(kind).ok(), Some(name.into()));
            let read: ChannelKind = serde_json::from_value(name.into()).expect(name);
            assert_eq!(read, kind);
        }
        assert_eq!(ChannelKind::parse("email"), Ok(ChannelKind::EMAIL));
        assert!(ChannelKind::parse("line") < ChannelKind::parse("line_2"));
    }

    #[test]
    fn a_wrong_kind_name_is_refused_naming_the_problem() {
        for (name, problem) in [
            ("", "is empty"),
            ("WhatsApp", "must start with a lowercase letter"),
            ("2way", "must start with a lowercase letter"),
            ("what's app", "lowercase letters, digits and _"),
            ("télégram", "lowercase letters, digits and _"),
            ("a_very_long_channel_kind_name", "longer than 24"),
        ] {
            let refused = ChannelKind::parse(name).expect_err(name);
            assert!(refused.contains(problem), "{name}: {refused}");
            let read = serde_json::from_value::<ChannelKind>(name.into()).expect_err(name);
            assert!(read.to_string().contains(problem), "{name}: {read}");
        }
    }

    fn agent() -> Agent {
        Agent {
            id: 1,
            workspace_id: 1,
            name: "Lucía Pérez".into(),
            email: "lucia@tienda.example".into(),
            role: Role::Agent,
            signature: String::new(),
            active: true,
            avatar: None,
            availability: Availability::Online,
            language: None,
            notifications: NotificationSettings::default(),
            must_choose_password: false,
            created_at: 0,
        }
    }

    fn canned(content: &str) -> CannedResponse {
        CannedResponse {
            id: 1,
            workspace_id: 1,
            shortcut: "hola".into(),
            content: content.into(),
            created_at: 0,
        }
    }

    fn joao() -> crate::Contact {
        crate::Contact {
            id: 2,
            workspace_id: 1,
            name: "João da Silva".into(),
            emails: vec!["joao@example.com".into()],
            phones: Vec::new(),
            identities: Vec::new(),
            tags: Vec::new(),
            custom_fields: Default::default(),
            notes: String::new(),
            verified_emails: Vec::new(),
            merged_into: None,
            blocked: false,
            unreachable: Vec::new(),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn every_variable_offered_is_filled() {
        let mut contact = joao();
        contact.phones.push("+5511999990000".into());
        for variable in CannedResponse::VARIABLES {
            let written = format!("{{{{{variable}}}}}");
            let filled = canned(&written).fill(Some(&contact), &agent());
            assert!(
                !filled.is_empty() && filled != written,
                "{variable}: {filled}"
            );
        }
    }

    #[test]
    fn variables_are_filled_for_the_contact_and_the_agent() {
        let text = canned(
            "Olá {{contact.first_name}}, aqui é {{ agent.first_name }} ({{contact.email}}{{contact.phone}}). {{order.id}} {{agent.name",
        );
        assert_eq!(
            text.fill(Some(&joao()), &agent()),
            "Olá João, aqui é Lucía (joao@example.com). {{order.id}} {{agent.name"
        );
    }

    #[test]
    fn without_a_contact_its_variables_stay_as_written() {
        assert_eq!(
            canned("Hola {{contact.name}}, soy {{agent.name}}").fill(None, &agent()),
            "Hola {{contact.name}}, soy Lucía Pérez"
        );
    }
}
