//! Which page a browser request comes from, told by its `Origin` header: one rule for the
//! agents' event socket, the visitors' socket and every widget route.

/// Whether `origin` (an `Origin` header) names the host the request was sent to (its `Host`
/// header): the page is the gateway's own. Host names compare without regard to case.
pub fn is_same_host(origin: &str, host: &str) -> bool {
    origin
        .split_once("://")
        .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
}

/// An origin as it is compared with a widget's allowed origins: lower case, without a
/// trailing slash.
pub fn normalize(origin: &str) -> String {
    origin.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// An allowed origin as an admin may write it (`https://shop.example`, `shop.example`, the
/// address of a page pasted from the browser) as the gateway keeps it: scheme, host and port,
/// such as `https://shop.example` or `http://localhost:8080`. A host without a scheme is taken
/// as `https`. The refusal names the entry.
pub fn parse_allowed(entry: &str) -> Result<String, String> {
    let entry = entry.trim();
    let address = if entry.contains("://") {
        entry.to_string()
    } else {
        format!("https://{entry}")
    };
    let refusal = || {
        format!(
            "the allowed origin {entry:?} is not a web address such as https://shop.example or http://localhost:8080"
        )
    };
    let url = url::Url::parse(&address).map_err(|_| refusal())?;
    // A website's host has a dot (`tienda` alone is more likely half of a mistyped entry),
    // unless it is this machine or an address.
    let website = match url.host() {
        Some(url::Host::Domain(domain)) => domain.contains('.') || domain == "localhost",
        Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => true,
        None => false,
    };
    if !matches!(url.scheme(), "http" | "https") || !website {
        return Err(refusal());
    }
    Ok(url.origin().ascii_serialization())
}

/// Allowed origins that cannot be read: the entry at fault as written (none when the setting is
/// neither a list nor a text) and what is wrong with it.
#[derive(Debug, PartialEq)]
pub struct BadOrigin {
    pub entry: Option<String>,
    pub problem: String,
}

/// Allowed origins as written: a list, or one text with the origins apart by new lines, commas,
/// semicolons or spaces (as pasted from a guide or a spreadsheet). Each is read by
/// [`parse_allowed`]; the first that cannot be is named.
pub fn parse_allowed_list(value: &serde_json::Value) -> Result<Vec<String>, BadOrigin> {
    let origins = entries(value)?
        .into_iter()
        .map(|entry| {
            parse_allowed(entry).map_err(|problem| BadOrigin {
                entry: Some(entry.trim().to_string()),
                problem,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(once_each(origins))
}

/// Allowed origins as stored, leniently: an entry that cannot be read (stored before settings
/// were checked) is skipped rather than failing a visitor's request.
pub fn read_allowed_list(entries: &[String]) -> Vec<String> {
    once_each(entries.iter().filter_map(|entry| parse_allowed(entry).ok()))
}

/// The origins in their first order, each once.
fn once_each(origins: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut unique = Vec::new();
    for origin in origins {
        if !unique.contains(&origin) {
            unique.push(origin);
        }
    }
    unique
}

/// The entries of allowed origins as written, blanks left out.
fn entries(value: &serde_json::Value) -> Result<Vec<&str>, BadOrigin> {
    let entries: Vec<&str> = match value {
        serde_json::Value::Array(list) => list
            .iter()
            .map(|entry| {
                entry.as_str().ok_or_else(|| BadOrigin {
                    entry: Some(entry.to_string()),
                    problem: format!("the allowed origin {entry} is not a text"),
                })
            })
            .collect::<Result<_, _>>()?,
        serde_json::Value::String(text) => {
            text.split(switchboard_model::ORIGIN_SEPARATORS).collect()
        }
        serde_json::Value::Null => Vec::new(),
        other => {
            return Err(BadOrigin {
                entry: None,
                problem: format!("`allowed_origins` must be a list of origins, not {other}"),
            });
        }
    };
    Ok(entries
        .into_iter()
        .filter(|entry| !entry.trim().is_empty())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_origins_are_read_as_admins_paste_them() {
        let pasted = serde_json::json!(
            "https://Tienda.Example/\nwww.tienda.pe, http://localhost:8080/checkout?step=2\r\nhttps://tienda.example"
        );
        assert_eq!(
            parse_allowed_list(&pasted),
            Ok(vec![
                "https://tienda.example".to_string(),
                "https://www.tienda.pe".to_string(),
                "http://localhost:8080".to_string(),
            ])
        );
        assert_eq!(
            parse_allowed("https://tienda.example:443"),
            Ok("https://tienda.example".into()),
            "the scheme's own port is left out, as browsers do"
        );
        let refused = parse_allowed_list(&serde_json::json!([
            "https://ok.example",
            "ftp://files.example"
        ]))
        .expect_err("not a web page's origin");
        assert_eq!(refused.entry.as_deref(), Some("ftp://files.example"));
        assert!(
            refused.problem.contains("ftp://files.example"),
            "{refused:?}"
        );
        assert_eq!(
            read_allowed_list(
                &switchboard_model::WebchatSettings::read(&serde_json::json!({
                    "allowed_origins": "https://a.example\nftp://files.example\nb.example"
                }))
                .allowed_origins
            ),
            ["https://a.example", "https://b.example"],
            "a stored value is read as far as it can be"
        );
        assert!(parse_allowed("https://").is_err());
        assert!(parse_allowed("tienda example").is_err());
        assert!(
            parse_allowed_list(&serde_json::json!("tienda example")).is_err(),
            "two words are no website"
        );
        assert_eq!(
            parse_allowed("localhost:3000"),
            Ok("https://localhost:3000".into())
        );
    }

    #[test]
    fn the_same_host_in_any_case_is_the_gateways_own_page() {
        assert!(is_same_host("https://chat.acme.test", "chat.acme.test"));
        assert!(is_same_host("http://LOCALHOST:8080", "localhost:8080"));
        assert!(!is_same_host("http://localhost:8081", "localhost:8080"));
        assert!(!is_same_host("https://evil.test", "chat.acme.test"));
        assert!(!is_same_host("null", "chat.acme.test"));
    }

    #[test]
    fn allowed_origins_compare_in_lower_case_without_a_trailing_slash() {
        assert_eq!(
            normalize(" https://Tienda.Example/ "),
            "https://tienda.example"
        );
    }
}
