//! Other origins for the widget's browser tests: a site's page on a port of its own, and a way
//! to the gateway that can be cut, as a site sees the gateway when it is down.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Serves one HTML page on a port of its own, a site on another origin than the gateway;
/// `page` writes it knowing the site's origin. Answers the origin.
pub async fn serve_page(page: impl FnOnce(&str) -> String) -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("http://{}", listener.local_addr()?);
    let html = page(&origin);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let html = html.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let _ = socket
                    .write_all(answer("text/html; charset=utf-8", &html).as_bytes())
                    .await;
            });
        }
    });
    Ok(origin)
}

/// A snippet's page: the loader of `gateway` for `widget`, on a site of its own.
pub async fn snippet_page(gateway: &str, widget: &str) -> anyhow::Result<String> {
    serve_page(|_| {
        format!(
            "<!doctype html><title>Tienda</title><p>Tienda</p><script async src=\"{gateway}/widget/loader.js\" data-widget=\"{widget}\"></script>"
        )
    })
    .await
}

fn answer(content_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// The gateway behind an address of its own that serves the loader itself (as a cache would
/// while the gateway is down) and passes every other request on while it is up; while it is
/// down, those connections are closed unanswered.
pub struct Outage {
    /// The address sites load the loader from.
    pub origin: String,
    down: Arc<AtomicBool>,
    refused: Arc<AtomicUsize>,
}

impl Outage {
    /// Starts in front of `gateway` (its base URL), down.
    pub async fn start(gateway: &str) -> anyhow::Result<Outage> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let origin = format!("http://{}", listener.local_addr()?);
        let upstream = gateway.trim_start_matches("http://").to_string();
        let loader = std::fs::read_to_string(crate::workspace_root().join("www/widget/loader.js"))?;
        let down = Arc::new(AtomicBool::new(true));
        let refused = Arc::new(AtomicUsize::new(0));
        let (is_down, refusals) = (down.clone(), refused.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (loader, upstream) = (loader.clone(), upstream.clone());
                let (is_down, refusals) = (is_down.clone(), refusals.clone());
                tokio::spawn(async move {
                    let _ = pass_on(socket, &loader, &upstream, &is_down, &refusals).await;
                });
            }
        });
        Ok(Outage {
            origin,
            down,
            refused,
        })
    }

    /// Brings the gateway back.
    pub fn end(&self) {
        self.down.store(false, Ordering::SeqCst);
    }

    /// How many requests were closed unanswered.
    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }
}

async fn pass_on(
    mut socket: TcpStream,
    loader: &str,
    upstream: &str,
    down: &AtomicBool,
    refused: &AtomicUsize,
) -> anyhow::Result<()> {
    let mut request = vec![0u8; 8192];
    let read = socket.read(&mut request).await?;
    request.truncate(read);
    if request.starts_with(b"GET /widget/loader.js ") {
        socket
            .write_all(answer("text/javascript; charset=utf-8", loader).as_bytes())
            .await?;
        return Ok(());
    }
    if down.load(Ordering::SeqCst) {
        refused.fetch_add(1, Ordering::SeqCst);
        return Ok(());
    }
    let mut gateway = TcpStream::connect(upstream).await?;
    gateway.write_all(&request).await?;
    tokio::io::copy_bidirectional(&mut socket, &mut gateway).await?;
    Ok(())
}
