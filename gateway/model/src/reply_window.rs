//! Channels that let a business write freely only for a while after the customer's last
//! message (WhatsApp: 24 hours), and the templates the provider approved for the rest of the
//! time: whether the window is open, and a template's text with its values filled in.

use serde::{Deserialize, Serialize};

use crate::Millis;

/// A message the channel's provider approved, as the console offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelTemplate {
    pub name: String,
    /// As the provider names it (`es_MX`, `pt_BR`).
    pub language: String,
    /// The text with numbered placeholders: `Hola {{1}}, tu pedido {{2}} sale hoy`.
    pub text: String,
    /// How many values it takes.
    pub variables: u32,
}

/// What an agent needs to write on a channel: its reply window, if it has one, and its
/// approved templates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelTemplates {
    /// Hours after the customer's last message during which free text may be sent; none for a
    /// channel without a window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_window_hours: Option<u32>,
    pub templates: Vec<ChannelTemplate>,
}

impl ChannelTemplate {
    /// The text with `values` in its placeholders (`{{1}}` is the first); refused unless
    /// every placeholder gets a value that is not blank.
    pub fn fill(&self, values: &[String]) -> Result<String, String> {
        if values.len() != self.variables as usize {
            return Err(format!(
                "the template {} takes {} values, not {}",
                self.name,
                self.variables,
                values.len()
            ));
        }
        if let Some(blank) = values.iter().position(|value| value.trim().is_empty()) {
            return Err(format!(
                "value {} of the template {} is empty",
                blank + 1,
                self.name
            ));
        }
        let mut text = self.text.clone();
        for (index, value) in values.iter().enumerate() {
            text = text.replace(&format!("{{{{{}}}}}", index + 1), value.trim());
        }
        Ok(text)
    }
}

/// Whether free text may go out now on a channel whose window is `hours` long, the customer
/// having last written at `last_inbound_at`; the error says why not, in words for the agent.
pub fn window_open(last_inbound_at: Option<Millis>, hours: u32, now: Millis) -> Result<(), String> {
    let window = i64::from(hours) * 3_600_000;
    match last_inbound_at {
        Some(at) if now.saturating_sub(at) < window => Ok(()),
        Some(at) => Err(format!(
            "the customer last wrote {} hours ago; past {hours} hours this channel takes only an approved template",
            now.saturating_sub(at) / 3_600_000
        )),
        None => Err(format!(
            "the customer has not written on this channel; outside {hours} hours of their last message it takes only an approved template"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order_ready() -> ChannelTemplate {
        ChannelTemplate {
            name: "order_ready".into(),
            language: "es_MX".into(),
            text: "Hola {{1}}, tu pedido {{2}} está listo. {{1}}, ¡gracias!".into(),
            variables: 2,
        }
    }

    #[test]
    fn a_template_is_filled_only_with_every_value() {
        let template = order_ready();
        assert_eq!(
            template.fill(&["Ana".into(), "A-17".into()]),
            Ok("Hola Ana, tu pedido A-17 está listo. Ana, ¡gracias!".into())
        );
        assert!(template.fill(&["Ana".into()]).is_err());
        assert!(template.fill(&["Ana".into(), " ".into()]).is_err());
    }

    #[test]
    fn the_window_closes_after_its_hours() {
        let hour = 3_600_000;
        assert!(window_open(Some(0), 24, 23 * hour).is_ok());
        let closed = window_open(Some(0), 24, 30 * hour).expect_err("closed");
        assert!(closed.contains("30 hours ago"), "{closed}");
        assert!(window_open(None, 24, 0).is_err());
    }
}
