//! The three languages the gateway's own words are written in, told from a locale tag.

/// English, Spanish or Portuguese (Brazil).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    English,
    Spanish,
    Portuguese,
}

impl Language {
    /// The language of a locale tag (`es`, `pt-BR`, `en_US`), if it is one of the three.
    pub fn known(tag: &str) -> Option<Language> {
        match tag.trim().split(['-', '_']).next().unwrap_or_default() {
            "en" => Some(Language::English),
            "es" => Some(Language::Spanish),
            "pt" => Some(Language::Portuguese),
            _ => None,
        }
    }

    /// The first of the three an `Accept-Language` value names; English when it names none.
    pub fn first_of(accepted: &str) -> Language {
        accepted
            .split(',')
            .find_map(|tag| Language::known(tag.split(';').next().unwrap_or_default()))
            .unwrap_or(Language::English)
    }

    /// The language's tag as the console and agents' settings write it.
    pub fn tag(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Spanish => "es",
            Language::Portuguese => "pt-BR",
        }
    }

    /// The language of a locale tag; English for any other.
    pub fn of(tag: &str) -> Language {
        Language::known(tag).unwrap_or(Language::English)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_names_its_language_by_its_first_part() {
        assert_eq!(Language::of("pt-BR"), Language::Portuguese);
        assert_eq!(Language::of("es_419"), Language::Spanish);
        assert_eq!(Language::of("fr"), Language::English);
        assert_eq!(Language::known("fr-CA"), None);
        assert_eq!(
            Language::first_of("fr-CA, pt-BR;q=0.8, es;q=0.5"),
            Language::Portuguese
        );
        assert_eq!(Language::first_of(""), Language::English);
    }
}
