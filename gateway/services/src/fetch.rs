//! The HTTP requests plugins make (after their grants were checked): HTTPS with the system's
//! root certificates, with a cap on the response size and a time limit over the whole exchange,
//! body included: 15 s, or less when the calling plugin's budget ends sooner. Plugin calls run
//! on blocking threads, so the request is driven on the gateway's runtime from there.
//!
//! What a grant names is reached only at addresses the operator lets plugins reach
//! ([`FetchPolicy`]): never loopback, private, link-local or cloud-metadata addresses unless
//! listed, and plain HTTP only when allowed. A host name is resolved by the connector itself,
//! which drops the addresses that may not be reached and connects to one that was checked, so
//! a name cannot point elsewhere between the check and the connection.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper_util::client::legacy::connect::dns::Name;
use ipnet::IpNet;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use switchboard_plugins::Fetch;
use switchboard_plugins::latest::{Header, HttpRequest, HttpResponse};

/// Longest wait for a provider's answer.
const TIMEOUT: Duration = Duration::from_secs(15);
/// Largest response body handed to a plugin.
const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// What the operator lets plugins reach, beyond what each plugin was granted.
#[derive(Debug, Clone, Default)]
pub struct FetchPolicy {
    /// Plain `http://` URLs; otherwise https only.
    pub allow_http: bool,
    /// Loopback, private, link-local or metadata networks that may be reached all the same
    /// (a service of the operator's own, a provider's stand-in on this machine).
    pub private_networks: Vec<IpNet>,
}

impl FetchPolicy {
    /// Whether a plugin's request may connect to `address`.
    pub fn allows(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        is_public(address)
            || self
                .private_networks
                .iter()
                .any(|net| net.contains(&address))
    }
}

/// An address on the public internet: not loopback, private (RFC 1918, unique local), shared
/// (carrier NAT), link-local (where clouds answer metadata requests), unspecified, broadcast,
/// documentation or multicast.
fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// Resolves host names for the connector, keeping only addresses the policy allows.
#[derive(Clone)]
struct CheckedResolver {
    policy: Arc<FetchPolicy>,
}

impl tower::Service<Name> for CheckedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = std::io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let policy = self.policy.clone();
        Box::pin(async move {
            let allowed: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|address| policy.allows(address.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    format!(
                        "{name} has no address plugins may reach (loopback, private, link-local and metadata addresses are refused unless plugins.fetch_private_networks lists them)"
                    ),
                ));
            }
            Ok(allowed.into_iter())
        })
    }
}

pub struct HttpFetcher {
    client: Client<HttpsConnector<HttpConnector<CheckedResolver>>, Full<Bytes>>,
    policy: Arc<FetchPolicy>,
    runtime: tokio::runtime::Handle,
}

impl HttpFetcher {
    /// Must be made on the gateway's runtime.
    pub fn new(policy: FetchPolicy) -> std::io::Result<HttpFetcher> {
        let policy = Arc::new(policy);
        let mut http = HttpConnector::new_with_resolver(CheckedResolver {
            policy: policy.clone(),
        });
        http.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(HttpFetcher {
            client,
            policy,
            runtime: tokio::runtime::Handle::current(),
        })
    }

    /// Refuses what the policy forbids before any connection: plain http, an address
    /// written in the URL that may not be reached.
    fn check(&self, full_url: &str) -> Result<(), String> {
        let url = shown(full_url);
        let uri: hyper::Uri = full_url
            .parse()
            .map_err(|error| format!("{url:?} is not a URL: {error}"))?;
        match uri.scheme_str() {
            Some("https") => {}
            Some("http") if self.policy.allow_http => {}
            Some("http") => {
                return Err(format!(
                    "{url} refused: plugins' requests go over https only (plugins.fetch_allow_http)"
                ));
            }
            _ => return Err(format!("{url} refused: only http and https URLs")),
        }
        let host = uri.host().unwrap_or_default().trim_matches(['[', ']']);
        if let Ok(address) = host.parse::<IpAddr>()
            && !self.policy.allows(address)
        {
            return Err(format!(
                "{url} refused: {address} is a loopback, private, link-local or metadata address (plugins.fetch_private_networks)"
            ));
        }
        Ok(())
    }
}

/// An error with its causes, which hyper keeps apart ("client error (Connect): …").
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

/// A URL as errors and logs show it: its scheme and host, never its path or query, which may
/// hold a token (a bot's token is part of every Telegram API path).
fn shown(url: &str) -> String {
    match url.parse::<hyper::Uri>() {
        Ok(uri) => format!(
            "{}://{}/…",
            uri.scheme_str().unwrap_or("?"),
            uri.authority().map_or("", |authority| authority.as_str())
        ),
        Err(_) => "a URL that cannot be read".to_string(),
    }
}

impl Fetch for HttpFetcher {
    fn check_destination(&self, full_url: &str) -> Result<(), String> {
        use std::net::ToSocketAddrs;
        self.check(full_url)?;
        let uri: hyper::Uri = full_url
            .parse()
            .map_err(|error| format!("{full_url:?} is not a URL: {error}"))?;
        let host = uri.host().unwrap_or_default().trim_matches(['[', ']']);
        if host.parse::<IpAddr>().is_ok() {
            return Ok(());
        }
        // A name that does not resolve now may later: each request resolves it again, and
        // is refused then if it must be.
        let Ok(addresses) = (host, uri.port_u16().unwrap_or(443)).to_socket_addrs() else {
            return Ok(());
        };
        let addresses: Vec<SocketAddr> = addresses.collect();
        if !addresses.is_empty()
            && !addresses
                .iter()
                .any(|address| self.policy.allows(address.ip()))
        {
            return Err(format!(
                "{} refused: {host} has only loopback, private, link-local or metadata addresses (plugins.fetch_private_networks)",
                shown(full_url)
            ));
        }
        Ok(())
    }

    fn fetch(&self, request: HttpRequest, deadline: Instant) -> Result<HttpResponse, String> {
        self.fetch_up_to(request, deadline, MAX_RESPONSE_BYTES)
    }

    fn fetch_up_to(
        &self,
        request: HttpRequest,
        deadline: Instant,
        max_bytes: usize,
    ) -> Result<HttpResponse, String> {
        let url = shown(&request.url);
        self.check(&request.url)?;
        let mut builder = hyper::Request::builder()
            .method(request.method.as_str())
            .uri(&request.url);
        for header in &request.headers {
            builder = builder.header(header.name.as_str(), header.value.as_str());
        }
        let outgoing = builder
            .body(Full::new(Bytes::from(request.body)))
            .map_err(|error| format!("bad request to {url}: {error}"))?;
        let own_limit = Instant::now() + TIMEOUT;
        let exchange = async {
            let response = self
                .client
                .request(outgoing)
                .await
                .map_err(|error| format!("request to {url} failed: {}", with_causes(&error)))?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(name, value)| Header {
                    name: name.to_string(),
                    value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
                })
                .collect();
            let body = Limited::new(response.into_body(), max_bytes)
                .collect()
                .await
                .map_err(|error| format!("the answer from {url} could not be read: {error}"))?
                .to_bytes()
                .to_vec();
            Ok(HttpResponse {
                status,
                headers,
                body,
            })
        };
        self.runtime.block_on(async {
            tokio::time::timeout_at(deadline.min(own_limit).into(), exchange)
                .await
                .unwrap_or_else(|_| {
                    Err(if deadline <= own_limit {
                        format!("{url} did not answer before the plugin's time budget ran out")
                    } else {
                        format!("{url} did not answer within {} s", TIMEOUT.as_secs())
                    })
                })
        })
    }
}
