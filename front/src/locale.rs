//! The languages the apps speak: English, Spanish (neutral Latin-American) and Portuguese
//! (Brazil).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    En,
    Es,
    PtBr,
}

impl Locale {
    pub const ALL: [Locale; 3] = [Locale::En, Locale::Es, Locale::PtBr];

    /// The closest language to a BCP 47 tag such as `es-MX`, `pt-BR` or `en-GB`; `None` for a
    /// language the apps lack.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        match tag.split(['-', '_']).next()?.to_ascii_lowercase().as_str() {
            "en" => Some(Locale::En),
            "es" => Some(Locale::Es),
            "pt" => Some(Locale::PtBr),
            _ => None,
        }
    }

    /// The BCP 47 tag, for dates and the document's `lang`.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Es => "es",
            Locale::PtBr => "pt-BR",
        }
    }

    /// The language's own name, for a picker.
    pub fn name(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::Es => "Español",
            Locale::PtBr => "Português (Brasil)",
        }
    }
}
