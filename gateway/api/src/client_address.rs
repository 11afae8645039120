//! Who a request came from, for the limits kept per client. That is the TCP peer, unless the
//! peer is one of the operator's trusted proxies (`server.trusted_proxies`): then it is the
//! address the proxies say they forwarded for (`Forwarded: for=`, else `X-Forwarded-For`), read
//! from the right past every trusted hop, so that a client cannot pick its own address by
//! sending the header itself. An IPv6 client counts by its /64, the block one subscriber gets.

use std::net::IpAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;

use crate::connection::Peer;
use crate::{ApiError, AppState};

/// The client of a request; `None` when it came without a socket (in-process tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub Option<IpAddr>);

impl ClientAddress {
    /// The key limits count this client under.
    pub fn limit_key(&self) -> Option<String> {
        self.0.map(limit_key)
    }
}

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(ClientAddress(
            parts
                .extensions
                .get::<ConnectInfo<Peer>>()
                .map(|ConnectInfo(peer)| {
                    client_ip(
                        peer.address.ip(),
                        &parts.headers,
                        &state.config.trusted_proxies,
                    )
                }),
        ))
    }
}

/// The client's address: `peer`, or what trusted proxies in front of it forwarded for.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |address: &IpAddr| trusted.iter().any(|net| net.contains(address));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops = forwarded_for(headers);
    let mut client = peer;
    for hop in hops.iter().rev() {
        // A hop we cannot read ("unknown", an obfuscated name) ends what can be believed: the
        // last address we could read is the client as far as we know.
        let Some(address) = hop else { break };
        client = *address;
        if !is_trusted(address) {
            break;
        }
    }
    client
}

/// The addresses the request was forwarded for, first client first, from the standard
/// `Forwarded` header when there is one, else from `X-Forwarded-For`.
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(|hop| hop.trim().to_string())
            .collect()
    };
    let forwarded = values("forwarded");
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.trim().split_once('='))
                    .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, value)| parse_node(value))
            })
            .collect();
    }
    values("x-forwarded-for")
        .iter()
        .map(|hop| parse_node(hop))
        .collect()
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `"[2001:db8::1]:4711"`.
fn parse_node(value: &str) -> Option<IpAddr> {
    let value = value.trim().trim_matches('"');
    if let Ok(address) = value.parse::<IpAddr>() {
        return Some(address.to_canonical());
    }
    let host = match value.strip_prefix('[') {
        Some(bracketed) => bracketed.split_once(']')?.0,
        None => value.rsplit_once(':')?.0,
    };
    host.parse::<IpAddr>()
        .ok()
        .map(|address| address.to_canonical())
}

/// An IPv4 address as it is; an IPv6 address as its /64.
pub fn limit_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let [a, b, c, d, ..] = v6.segments();
            format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
                value.parse().expect("value"),
            );
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    fn proxies() -> Vec<IpNet> {
        vec![
            "10.0.0.0/8".parse().expect("net"),
            "2001:db8:ffff::/48".parse().expect("net"),
        ]
    }

    #[test]
    fn a_client_that_sends_the_header_itself_is_counted_by_its_socket() {
        let spoofed = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(
            client_ip(ip("203.0.113.9"), &spoofed, &proxies()),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_ip(ip("203.0.113.9"), &spoofed, &[]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() {
        // The client wrote a fake first hop; the proxies appended the real one and themselves.
        let chain = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.7, 10.0.0.2")]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), &chain, &proxies()),
            ip("198.51.100.7")
        );
        let standard = headers(&[(
            "forwarded",
            "for=1.2.3.4, for=\"[2001:db8:1:2::17]:4711\";proto=https, for=10.0.0.2",
        )]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), &standard, &proxies()),
            ip("2001:db8:1:2::17")
        );
        let ported = headers(&[("x-forwarded-for", "198.51.100.7:5000")]);
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.1"), &ported, &proxies()),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn an_unreadable_hop_stops_at_the_last_address_read() {
        let chain = headers(&[("forwarded", "for=198.51.100.7, for=unknown, for=10.0.0.3")]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), &chain, &proxies()),
            ip("10.0.0.3")
        );
        assert_eq!(
            client_ip(ip("10.0.0.1"), &HeaderMap::new(), &proxies()),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn ipv6_clients_count_by_their_64_block() {
        assert_eq!(
            limit_key(ip("2001:db8:1:2:aaaa::1")),
            limit_key(ip("2001:db8:1:2:bbbb::2"))
        );
        assert_ne!(
            limit_key(ip("2001:db8:1:2::1")),
            limit_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(limit_key(ip("192.0.2.1")), "192.0.2.1");
    }
}
