//! The people who write in: contacts and the identities by which channels recognise them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Id, Millis};

/// Whether `text` is an email address as the gateway takes one: something before the `@`, a
/// domain with a dot after it, no spaces, at most 254 characters. The one rule the API, the
/// widget's sessions and the console all apply.
pub fn is_email_address(text: &str) -> bool {
    text.len() <= 254
        && !text.contains(char::is_whitespace)
        && text.rsplit_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
}

/// How a channel knows a person: an email address, a phone number, a Telegram user id, a widget
/// visitor id, or an id in an integration's own system.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Identity {
    /// `email`, `phone`, `telegram`, `webchat` or `external`; `unknown` for a sender no header
    /// named (an email with no usable From, Reply-To or Sender), known by its message.
    pub kind: String,
    pub value: String,
}

impl Identity {
    pub fn new(kind: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            value: value.into(),
        }
    }

    /// The form used for look-ups: emails compare case-insensitively, phones without spaces.
    pub fn normalized(&self) -> Identity {
        let value = match self.kind.as_str() {
            "email" => self.value.trim().to_lowercase(),
            "phone" => self
                .value
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '+')
                .collect(),
            _ => self.value.trim().to_string(),
        };
        Identity {
            kind: self.kind.trim().to_lowercase(),
            value,
        }
    }
}

/// A customer or visitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contact {
    pub id: Id,
    pub workspace_id: Id,
    pub name: String,
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(default)]
    pub phones: Vec<String>,
    /// Every identity channels know this person by; each belongs to one contact only.
    #[serde(default)]
    pub identities: Vec<Identity>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub custom_fields: BTreeMap<String, String>,
    #[serde(default)]
    pub notes: String,
    /// Addresses the person proved are theirs (with a link sent to the address, or vouched for
    /// by the site that embeds the chat): the only ones a website chat goes on to by email.
    #[serde(default)]
    pub verified_emails: Vec<String>,
    /// Set when this contact was merged into another one; it then no longer shows in lists.
    #[serde(default)]
    pub merged_into: Option<Id>,
    /// An agent blocked them (spam, abuse): what they write is still kept, in resolved
    /// conversations that call nobody, and nothing is sent to them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub blocked: bool,
    /// Channels whose replies cannot reach them any more (they blocked the bot, texted STOP),
    /// with why; a reply on such a channel is refused with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreachable: Vec<Unreachable>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A channel on which replies cannot reach a contact, as its provider or the contact said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Unreachable {
    pub channel_id: Id,
    /// In words an agent understands ("the contact blocked the bot").
    pub reason: String,
    pub since: Millis,
}

/// The custom field that keeps an email address a contact gave (in the website chat's form)
/// when another contact already holds it: an unverified visitor cannot take over someone
/// else's contact, and the address is not lost either.
pub const GIVEN_EMAIL_FIELD: &str = "given_email";

impl Contact {
    /// Why replies on `channel_id` cannot reach this contact, if they cannot.
    pub fn unreachable_on(&self, channel_id: Id) -> Option<&str> {
        self.unreachable
            .iter()
            .find(|entry| entry.channel_id == channel_id)
            .map(|entry| entry.reason.as_str())
    }

    /// The address to write to: its first own one, or else the one it gave.
    pub fn email_to_write(&self) -> Option<&str> {
        self.emails
            .first()
            .or_else(|| self.custom_fields.get(GIVEN_EMAIL_FIELD))
            .map(String::as_str)
    }

    /// Whether `email` is one of the addresses the person proved are theirs.
    pub fn verified(&self, email: &str) -> bool {
        self.verified_emails
            .iter()
            .any(|verified| verified.eq_ignore_ascii_case(email))
    }

    /// Whether it still has no name of its own: channels name a new contact after the
    /// identity they know it by until someone tells its name.
    pub fn unnamed(&self) -> bool {
        self.identities
            .iter()
            .any(|identity| identity.value == self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses_are_told_by_one_rule() {
        for good in ["ana@tienda.com.co", "joao.silva+pedidos@loja.com.br"] {
            assert!(is_email_address(good), "{good}");
        }
        for bad in [
            "ana",
            "ana@",
            "@tienda.co",
            "ana@tienda",
            "ana @tienda.co",
            "ana@tienda.",
        ] {
            assert!(!is_email_address(bad), "{bad}");
        }
    }
}
