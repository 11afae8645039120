//! Text compared the way people mean it, whatever its case or accents.

/// `text` in lower case without accents, so that "Factura" finds "factura" and "Facturación"
/// finds "facturacion" (the accents of Spanish and Portuguese).
pub fn folded(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_accents_fold_away() {
        assert_eq!(folded("Facturación"), "facturacion");
        assert_eq!(folded("INFORMAÇÃO"), "informacao");
        assert_eq!(folded("Teléfono ñandú"), "telefono nandu");
    }
}
