//! The part of an email body the sender actually wrote: everything above the quoted history
//! (Gmail, Outlook and Apple quote headers in English, Spanish and Portuguese, and `>` lines)
//! and above the signature.

/// The reply text of a plain-text body; the whole body when nothing is left after stripping.
pub fn strip(body: &str) -> String {
    let lines: Vec<&str> = body.lines().collect();
    let mut kept: Vec<&str> = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if starts_history(
            trimmed,
            lines.get(index + 1).map(|next| next.trim()),
            kept.last().map(|last| last.trim()),
        ) || is_signature(line)
        {
            break;
        }
        if trimmed.starts_with('>') {
            continue;
        }
        kept.push(line);
    }
    // A quote header wrapped over two lines leaves its first half behind.
    if kept
        .last()
        .is_some_and(|last| opens_quote_header(last.trim()))
    {
        kept.pop();
    }
    let text = kept.join("\n").trim().to_string();
    if text.is_empty() {
        body.trim().to_string()
    } else {
        text
    }
}

/// Words that end a quote header, by language: "wrote:", "escribió:", "escreveu:".
const WROTE: &[&str] = &["wrote:", "escribió:", "escribio:", "escreveu:"];
/// Words that open one: "On …", "El …", "Em …".
const ON: &[&str] = &["On ", "El ", "Em ", "Le "];
/// Outlook's separators.
const ORIGINAL: &[&str] = &[
    "-----Original Message-----",
    "-----Mensaje original-----",
    "-----Mensagem original-----",
];
/// Outlook's header block: a From line followed by a Sent or Date line.
const FROM: &[&str] = &["From:", "De:"];
const SENT: &[&str] = &[
    "Sent:",
    "Date:",
    "Enviado:",
    "Enviado el:",
    "Fecha:",
    "Data:",
    "Enviada em:",
];
/// Mobile signatures.
const SENT_FROM: &[&str] = &[
    "Sent from my ",
    "Enviado desde mi ",
    "Enviado do meu ",
    "Enviado de meu ",
];

fn opens_quote_header(line: &str) -> bool {
    ON.iter().any(|on| line.starts_with(on)) && !WROTE.iter().any(|wrote| line.ends_with(wrote))
}

fn starts_history(line: &str, next: Option<&str>, previous: Option<&str>) -> bool {
    let wrote = WROTE.iter().any(|wrote| line.ends_with(wrote));
    if wrote
        && (ON.iter().any(|on| line.starts_with(on)) || previous.is_some_and(opens_quote_header))
    {
        return true;
    }
    if ORIGINAL
        .iter()
        .any(|separator| line.eq_ignore_ascii_case(separator))
    {
        return true;
    }
    if line.starts_with("________________")
        && next.is_some_and(|next| FROM.iter().any(|from| next.starts_with(from)))
    {
        return true;
    }
    FROM.iter().any(|from| line.starts_with(from))
        && next.is_some_and(|next| SENT.iter().any(|sent| next.starts_with(sent)))
}

fn is_signature(line: &str) -> bool {
    line == "-- " || line == "--" || SENT_FROM.iter().any(|sent| line.trim().starts_with(sent))
}
