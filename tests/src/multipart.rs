//! `multipart/form-data` bodies (RFC 7578), as the stand-ins read providers' uploads (a
//! Telegram photo, a WhatsApp media file): the parts, their names, file names and types.

/// One part of a `multipart/form-data` body.
pub struct Part {
    pub name: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

/// A parameter of a header value such as `multipart/form-data; boundary=x`.
pub fn header_parameter(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|parameter| {
        let (key, value) = parameter.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().trim_matches('"').to_string())
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|at| at + from)
}

/// The parts of a `multipart/form-data` body (RFC 7578); `None` if it is cut short.
pub fn parse_multipart(body: &[u8], boundary: &str) -> Option<Vec<Part>> {
    let opening = format!("--{boundary}").into_bytes();
    let between = format!("\r\n--{boundary}").into_bytes();
    let mut at = find(body, &opening, 0)? + opening.len();
    let mut parts = Vec::new();
    loop {
        if body.get(at..at + 2) == Some(&b"--"[..]) {
            return Some(parts);
        }
        // The end of the boundary line.
        at = find(body, b"\r\n", at)? + 2;
        let (headers, data_start) = if body.get(at..at + 2) == Some(&b"\r\n"[..]) {
            ("", at + 2)
        } else {
            let end = find(body, b"\r\n\r\n", at)?;
            (std::str::from_utf8(body.get(at..end)?).ok()?, end + 4)
        };
        let data_end = find(body, &between, data_start)?;
        let mut part = Part {
            name: String::new(),
            file_name: None,
            content_type: None,
            data: body.get(data_start..data_end)?.to_vec(),
        };
        for line in headers.split("\r\n") {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            if name.trim().eq_ignore_ascii_case("content-disposition") {
                let value = format!(
                    "form-data;{}",
                    value.split_once(';').map_or("", |(_, rest)| rest)
                );
                part.name = header_parameter(&value, "name").unwrap_or_default();
                part.file_name = header_parameter(&value, "filename");
            } else if name.trim().eq_ignore_ascii_case("content-type") {
                part.content_type = Some(value.trim().to_string());
            }
        }
        parts.push(part);
        at = data_end + between.len();
    }
}
