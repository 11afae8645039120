//! HTML as the store keeps it, from any channel: sanitized with ammonia, within limits of size
//! and nesting that keep sanitizing quick.

use switchboard_plugins::latest::Event;

use crate::{Fault, ServiceResult};

/// The largest HTML body sanitized and stored with a message; a larger one stays only in the
/// message's original. Sanitizing costs time that grows faster than the size.
pub const MAX_HTML_BYTES: usize = 2 * 1024 * 1024;
/// The deepest nesting of elements sanitized: deeper markup (thousands of nested `<div>`s, which
/// cost the parser time that grows with the square of the depth) stays only in the original.
pub const MAX_HTML_DEPTH: usize = 256;

/// HTML as the store keeps it, from any channel: sanitized (ammonia: no scripts, no event
/// handlers, no styles that reach outside). `None` for HTML over [`MAX_HTML_BYTES`] or nested
/// deeper than [`MAX_HTML_DEPTH`]. It takes time: call it on a blocking thread.
pub fn clean_html(html: &str) -> Option<String> {
    if html.len() > MAX_HTML_BYTES || nesting_depth(html) > MAX_HTML_DEPTH {
        metrics::counter!("switchboard_html_bodies_not_kept_total").increment(1);
        return None;
    }
    Some(ammonia::clean(html))
}

/// [`clean_html`] on a blocking thread rather than an async worker.
pub async fn sanitized_html(html: String) -> ServiceResult<Option<String>> {
    tokio::task::spawn_blocking(move || clean_html(&html))
        .await
        .map_err(|error| Fault::internal(error.to_string()))
}

/// Sanitizes the HTML of every message a plugin returned, as part of its call: `false` when the
/// call's time budget ran out first (so that a plugin cannot hand the gateway work its own
/// budget would not allow).
pub(super) fn sanitize_within(events: &mut [Event], deadline: std::time::Instant) -> bool {
    for event in events {
        if let Event::Message(message) = event
            && let Some(html) = message.html.take()
        {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            message.html = clean_html(&html);
        }
    }
    std::time::Instant::now() < deadline
}

/// How deep elements nest in `html`, counted from its tags alone (a cheap upper bound of what a
/// parser would build: void elements and `/>` do not nest, a closing tag ends one level).
fn nesting_depth(html: &str) -> usize {
    const VOID: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr",
    ];
    let (mut depth, mut deepest) = (0usize, 0usize);
    for tag in html.split('<').skip(1) {
        let Some(first) = tag.chars().next() else {
            continue;
        };
        if first == '/' {
            depth = depth.saturating_sub(1);
            continue;
        }
        if !first.is_ascii_alphabetic() {
            continue;
        }
        let name_len = tag
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(tag.len());
        let name = &tag[..name_len];
        let self_closing = tag
            .split('>')
            .next()
            .is_some_and(|inside| inside.ends_with('/'));
        if !self_closing && !VOID.iter().any(|void| void.eq_ignore_ascii_case(name)) {
            depth += 1;
            deepest = deepest.max(depth);
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn void_and_self_closed_elements_do_not_nest_whatever_their_case() {
        assert_eq!(
            nesting_depth("<P><BR><Img src=x><span/><div>a</div></P><p>b</p>"),
            2
        );
        assert_eq!(nesting_depth(&"<div>".repeat(300)), 300);
        assert_eq!(nesting_depth("a < b and 3 <4"), 0);
    }
}
