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

#[cfg(test)]
mod tests {
    use super::*;

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
