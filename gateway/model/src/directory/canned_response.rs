//! Canned responses: reusable answers agents insert by their shortcut, with their variables.

use serde::{Deserialize, Serialize};

use crate::{Agent, Id, Millis};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Availability, NotificationSettings, Role};

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
