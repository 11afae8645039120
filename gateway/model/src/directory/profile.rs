//! A workspace's profile, which its admins set in the first run and change later: its name, its
//! time zone, the languages it serves customers in; and the password a person whose password
//! was generated chooses before anything else.

use serde::{Deserialize, Serialize};

pub(super) fn utc() -> String {
    "UTC".to_string()
}

pub(super) fn every_language() -> Vec<String> {
    crate::LANGUAGES.map(str::to_string).to_vec()
}

pub(super) fn english() -> String {
    "en".to_string()
}

impl crate::Workspace {
    /// A workspace just made: in UTC, serving every language (English by default), its first
    /// run still ahead.
    pub fn new(
        id: crate::Id,
        name: String,
        created_at: crate::Millis,
        quotas: crate::WorkspaceQuotas,
    ) -> crate::Workspace {
        crate::Workspace {
            id,
            name,
            created_at,
            suspended_at: None,
            quotas,
            time_zone: utc(),
            languages: every_language(),
            default_language: english(),
            onboarded: false,
        }
    }
}

/// An admin's change to the workspace's profile (`PATCH /api/v1/workspace`); absent fields
/// stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WorkspaceUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// An IANA time zone name, such as `America/Bogota`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Some of [`LANGUAGES`](crate::LANGUAGES), at least one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub languages: Option<Vec<String>>,
    /// One of the workspace's languages (as they are after this change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_language: Option<String>,
    /// `true` once the first run is done or skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onboarded: Option<bool>,
}

/// The password a person chooses for themselves in place of one the gateway generated
/// (`POST /api/v1/auth/password`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChosenPassword {
    /// At least 10 characters, and not the generated one.
    pub password: String,
}

/// The language tags of `languages` as [`LANGUAGES`](crate::LANGUAGES) writes them (`pt-br` is
/// `pt-BR`), or the field at fault and why: none, one unknown, or one twice.
pub fn workspace_languages(languages: &[String]) -> Result<Vec<String>, (&'static str, String)> {
    let known = crate::LANGUAGES.join(", ");
    if languages.is_empty() {
        return Err((
            "languages",
            format!("choose at least one language of {known}"),
        ));
    }
    let mut read = Vec::with_capacity(languages.len());
    for tag in languages {
        let Some(language) = known_language(tag) else {
            return Err((
                "languages",
                format!("{tag:?} is not a language a workspace may serve in ({known})"),
            ));
        };
        if read.iter().any(|seen| seen == language) {
            return Err(("languages", format!("{language} is listed twice")));
        }
        read.push(language.to_string());
    }
    Ok(read)
}

/// The language of [`LANGUAGES`](crate::LANGUAGES) that `tag` names, whatever its case.
pub fn known_language(tag: &str) -> Option<&'static str> {
    crate::LANGUAGES
        .into_iter()
        .find(|known| known.eq_ignore_ascii_case(tag.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(tags: &[&str]) -> Vec<String> {
        tags.iter().map(|tag| tag.to_string()).collect()
    }

    #[test]
    fn languages_are_some_of_the_three_each_once_written_as_known() {
        assert_eq!(
            workspace_languages(&tags(&["ES", "pt-br"])),
            Ok(tags(&["es", "pt-BR"]))
        );
        for (given, problem) in [
            (tags(&[]), "at least one"),
            (tags(&["es", "fr"]), "\"fr\" is not a language"),
            (tags(&["es", "ES"]), "es is listed twice"),
        ] {
            let (field, message) = workspace_languages(&given).expect_err("refused");
            assert_eq!(field, "languages");
            assert!(message.contains(problem), "{given:?}: {message}");
        }
    }

    #[test]
    fn a_workspace_stored_before_profiles_reads_as_onboarded_in_utc_with_every_language() {
        let old = serde_json::json!({ "id": 1, "name": "Acme", "created_at": 0 });
        let workspace: crate::Workspace = serde_json::from_value(old).expect("a workspace");
        assert_eq!(workspace.time_zone, "UTC");
        assert_eq!(workspace.languages, tags(&crate::LANGUAGES));
        assert_eq!(workspace.default_language, "en");
        assert!(workspace.onboarded);
    }
}
