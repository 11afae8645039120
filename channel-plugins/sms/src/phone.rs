//! Phone numbers in E.164 (`+5511987654321`), read in the channel's default country when they
//! are written without a country code, so that "(11) 98765-4321" and "+55 11 98765-4321" are
//! one contact.

use phonenumber::country::Id;
use switchboard_channel_sdk::host;

/// `number` in E.164, read in the channel's `default_country`.
pub fn e164(number: &str) -> Option<String> {
    e164_in(number, host::setting("default_country").as_deref())
}

/// `number` in E.164, read in `country` (ISO 3166 alpha-2) when it has no country code. A
/// number written with its `+` and country code (as providers send them) is only stripped of
/// spaces and punctuation: reading the numbering plans costs every call (a fresh instance)
/// milliseconds, which only a national number needs.
fn e164_in(number: &str, country: Option<&str>) -> Option<String> {
    let trimmed = number.trim();
    if let Some(international) = trimmed.strip_prefix('+') {
        let digits: String = international
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
            .collect();
        return (digits.len() >= 8
            && digits.len() <= 15
            && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("+{digits}"));
    }
    let country = country.and_then(|code| code.trim().to_ascii_uppercase().parse::<Id>().ok());
    let parsed = phonenumber::parse(country, number).ok()?;
    phonenumber::is_valid(&parsed)
        .then(|| parsed.format().mode(phonenumber::Mode::E164).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_and_an_international_number_are_the_same_number() {
        let local = e164_in("(11) 98765-4321", Some("BR"));
        assert_eq!(local.as_deref(), Some("+5511987654321"));
        assert_eq!(e164_in("+55 11 98765-4321", Some("MX")), local);
        assert_eq!(
            e164_in("55 1234 5678", Some("mx")).as_deref(),
            Some("+525512345678")
        );
        assert_eq!(e164_in("hola", Some("BR")), None);
        assert_eq!(e164_in("+55 (11)", None), None, "too short");
    }
}
