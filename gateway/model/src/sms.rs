//! How many SMS a text costs, as a phone network splits it (3GPP TS 23.038 and TS 23.040): a
//! text written wholly in the GSM 7-bit default alphabet and its extension table goes as GSM-7,
//! 160 septets in one SMS or 153 in each part of a longer one; any other character sends the
//! whole text as UCS-2, 70 UTF-16 code units in one SMS or 67 in each part. The console shows
//! it under the composer; nothing here sends anything.

use serde::{Deserialize, Serialize};

/// How the text is encoded on the air.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SmsEncoding {
    /// The GSM 7-bit default alphabet (with its extension table).
    Gsm7,
    /// UTF-16, for any text with a character outside that alphabet.
    Ucs2,
}

impl SmsEncoding {
    /// The name people read: `GSM-7`, `UCS-2`.
    pub fn name(self) -> &'static str {
        match self {
            SmsEncoding::Gsm7 => "GSM-7",
            SmsEncoding::Ucs2 => "UCS-2",
        }
    }

    /// How many characters (septets or UTF-16 code units) one SMS holds alone.
    pub fn single_limit(self) -> u32 {
        match self {
            SmsEncoding::Gsm7 => 160,
            SmsEncoding::Ucs2 => 70,
        }
    }

    /// How many characters each part of a concatenated SMS holds (the rest of its room is the
    /// header that joins the parts again).
    pub fn part_limit(self) -> u32 {
        match self {
            SmsEncoding::Gsm7 => 153,
            SmsEncoding::Ucs2 => 67,
        }
    }
}

/// What a text costs as SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SmsSize {
    pub encoding: SmsEncoding,
    /// How many SMS go out; none for an empty text.
    pub segments: u32,
    /// The characters as the encoding counts them: septets in GSM-7 (where each of
    /// `^ { } \ [ ~ ] |` and `€` takes two), UTF-16 code units in UCS-2 (where an emoji
    /// takes two).
    pub characters: u32,
}

/// The basic table of the GSM 7-bit default alphabet (TS 23.038 § 6.2.1), by code: one septet.
const BASIC: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u{1b}', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// The extension table (TS 23.038 § 6.2.1.1): an escape septet and the character's own, two.
const EXTENSION: [char; 10] = ['\u{c}', '^', '{', '}', '\\', '[', '~', ']', '|', '€'];

/// The septets `c` takes in GSM-7, or `None` when GSM-7 cannot carry it. (The escape code
/// itself is no character a person writes.)
fn septets(c: char) -> Option<u32> {
    if EXTENSION.contains(&c) {
        Some(2)
    } else if c != '\u{1b}' && BASIC.contains(&c) {
        Some(1)
    } else {
        None
    }
}

/// The first character of `text` that GSM-7 cannot carry, which makes the whole text go as
/// UCS-2.
pub fn first_outside_gsm7(text: &str) -> Option<char> {
    text.chars().find(|c| septets(*c).is_none())
}

/// What `text` costs as SMS. A long text is cut into parts as a phone does, never between the
/// two septets of an extension character nor between the two halves of a UTF-16 surrogate
/// pair, so a part may hold one character less than its room.
pub fn size(text: &str) -> SmsSize {
    let encoding = match first_outside_gsm7(text) {
        None => SmsEncoding::Gsm7,
        Some(_) => SmsEncoding::Ucs2,
    };
    let widths = text.chars().map(|c| match encoding {
        SmsEncoding::Gsm7 => septets(c).unwrap_or(1),
        SmsEncoding::Ucs2 => c.len_utf16() as u32,
    });
    let characters: u32 = widths.clone().sum();
    let segments = if characters == 0 {
        0
    } else if characters <= encoding.single_limit() {
        1
    } else {
        let room = encoding.part_limit();
        let (mut parts, mut used) = (1, 0);
        for width in widths {
            if used + width > room {
                parts += 1;
                used = 0;
            }
            used += width;
        }
        parts
    };
    SmsSize {
        encoding,
        segments,
        characters,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gsm7(segments: u32, characters: u32) -> SmsSize {
        SmsSize {
            encoding: SmsEncoding::Gsm7,
            segments,
            characters,
        }
    }

    fn ucs2(segments: u32, characters: u32) -> SmsSize {
        SmsSize {
            encoding: SmsEncoding::Ucs2,
            segments,
            characters,
        }
    }

    #[test]
    fn plain_text_fits_160_in_one_sms_and_153_in_each_part() {
        assert_eq!(size(""), gsm7(0, 0));
        assert_eq!(size("Hola, ¿cómo estás?"), ucs2(1, 18), "ó is not GSM-7");
        assert_eq!(size("Hola, ¿que tal?"), gsm7(1, 15));
        assert_eq!(size(&"a".repeat(160)), gsm7(1, 160));
        assert_eq!(size(&"a".repeat(161)), gsm7(2, 161));
        assert_eq!(size(&"a".repeat(306)), gsm7(2, 306));
        assert_eq!(size(&"a".repeat(307)), gsm7(3, 307));
    }

    #[test]
    fn the_extension_table_counts_double_and_is_never_split() {
        assert_eq!(size("€"), gsm7(1, 2));
        assert_eq!(size("[a] {b} ~c^ \\d| €"), gsm7(1, 26));
        assert_eq!(size(&"€".repeat(80)), gsm7(1, 160));
        assert_eq!(size(&"€".repeat(81)), gsm7(2, 162));
        // 152 septets, then an escape pair that does not fit beside them: it opens a part.
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        assert_eq!(size(&text), gsm7(3, 306));
    }

    #[test]
    fn one_character_outside_the_alphabet_makes_it_all_ucs2() {
        assert_eq!(size("ação"), ucs2(1, 4));
        assert_eq!(first_outside_gsm7("Sua ação foi registrada"), Some('ç'));
        assert_eq!(first_outside_gsm7("Ça va? Ñandú, ¿Ü?"), Some('ú'));
        assert_eq!(first_outside_gsm7("Precio: 5 € [IVA]"), None);
        assert_eq!(size(&"ã".repeat(70)), ucs2(1, 70));
        assert_eq!(size(&"ã".repeat(71)), ucs2(2, 71));
        assert_eq!(size(&"ã".repeat(134)), ucs2(2, 134));
        assert_eq!(size(&"ã".repeat(135)), ucs2(3, 135));
        assert_eq!(
            size("\u{1b}"),
            ucs2(1, 1),
            "the escape code is not a character"
        );
    }

    #[test]
    fn an_emoji_takes_two_utf16_units_and_is_never_split() {
        assert_eq!(size("👍"), ucs2(1, 2));
        assert_eq!(size("Obrigado 👍"), ucs2(1, 11));
        assert_eq!(size(&"👍".repeat(35)), ucs2(1, 70));
        assert_eq!(size(&"👍".repeat(36)), ucs2(2, 72));
        // 66 units, then a pair that does not fit beside them: it opens a part.
        let text = format!("{}👍{}", "ã".repeat(66), "ã".repeat(66));
        assert_eq!(size(&text), ucs2(3, 134));
    }
}
