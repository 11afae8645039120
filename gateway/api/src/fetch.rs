//! The HTTP requests plugins make (after their grants were checked): HTTPS with the system's
//! root certificates, or plain HTTP, with a cap on the response size and a time limit over the
//! whole exchange, body included: 15 s, or less when the calling plugin's budget ends sooner.
//! Plugin calls run on blocking threads, so the request is driven on the gateway's runtime
//! from there.

use std::time::{Duration, Instant};

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

pub struct HttpFetcher {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    runtime: tokio::runtime::Handle,
}

impl HttpFetcher {
    /// Must be made on the gateway's runtime.
    pub fn new() -> std::io::Result<HttpFetcher> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()?
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(HttpFetcher {
            client,
            runtime: tokio::runtime::Handle::current(),
        })
    }
}

impl Fetch for HttpFetcher {
    fn fetch(&self, request: HttpRequest, deadline: Instant) -> Result<HttpResponse, String> {
        let url = request.url.clone();
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
                .map_err(|error| format!("request to {url} failed: {error}"))?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(name, value)| Header {
                    name: name.to_string(),
                    value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
                })
                .collect();
            let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
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
