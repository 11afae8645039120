//! Opt-out and opt-in keywords, as carriers and providers recognize them, in English, Spanish
//! and Portuguese: a message that is only one of them (any case, accents or not, with
//! punctuation around) changes whether the contact may be written to.

/// What a message asks for, if it is a keyword.
#[derive(Debug, PartialEq, Eq)]
pub enum Keyword {
    OptOut,
    OptIn,
}

const OPT_OUT: &[&str] = &[
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "BAJA",
    "ALTO",
    "DETENER",
    "PARAR",
    "CANCELAR",
    "SAIR",
    "DESCADASTRAR",
    "REMOVER",
];
const OPT_IN: &[&str] = &[
    "START",
    "UNSTOP",
    "SUBSCRIBE",
    "ALTA",
    "INICIAR",
    "VOLTAR",
    "VOLVER",
];

pub fn keyword(text: &str) -> Option<Keyword> {
    let word: String = text
        .trim()
        .trim_matches(|c: char| !c.is_alphanumeric())
        .chars()
        .map(fold)
        .collect::<String>()
        .to_uppercase();
    if OPT_OUT.contains(&word.as_str()) {
        Some(Keyword::OptOut)
    } else if OPT_IN.contains(&word.as_str()) {
        Some(Keyword::OptIn)
    } else {
        None
    }
}

/// A letter without its accent.
fn fold(letter: char) -> char {
    match letter {
        'á' | 'à' | 'â' | 'ã' | 'Á' | 'À' | 'Â' | 'Ã' => 'A',
        'é' | 'ê' | 'É' | 'Ê' => 'E',
        'í' | 'Í' => 'I',
        'ó' | 'ô' | 'õ' | 'Ó' | 'Ô' | 'Õ' => 'O',
        'ú' | 'Ú' => 'U',
        'ç' | 'Ç' => 'C',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_whole_messages_in_any_case_and_language() {
        assert_eq!(keyword("stop"), Some(Keyword::OptOut));
        assert_eq!(keyword(" Baja. "), Some(Keyword::OptOut));
        assert_eq!(keyword("SAIR"), Some(Keyword::OptOut));
        assert_eq!(keyword("voltar!"), Some(Keyword::OptIn));
        assert_eq!(keyword("Alta"), Some(Keyword::OptIn));
        assert_eq!(keyword("stop sending me the wrong size"), None);
        assert_eq!(keyword("Olá"), None);
    }
}
