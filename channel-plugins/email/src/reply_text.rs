//! The part of an email body the sender actually wrote: everything above the quoted history
//! (Gmail, Outlook and Apple quote headers in English, Spanish and Portuguese, and `>` lines)
//! and above the signature.

/// A plain-text body cut in two: what the sender wrote, and what they quoted or signed.
#[derive(Debug, PartialEq)]
pub struct Split {
    /// The reply; the whole body when nothing is left after taking the quotes away.
    pub reply: String,
    /// The quoted history and signature, in their order; `None` when there were none.
    pub quoted: Option<String>,
}

/// Splits a plain-text body into its reply and its quoted history.
pub fn split(body: &str) -> Split {
    let lines: Vec<&str> = body.lines().collect();
    let mut kept: Vec<&str> = Vec::new();
    let mut quoted: Vec<&str> = Vec::new();
    let mut history_at = None;
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if starts_history(
            trimmed,
            lines.get(index + 1).map(|next| next.trim()),
            kept.last().map(|last| last.trim()),
        ) || is_signature(line)
        {
            history_at = Some(quoted.len());
            quoted.extend(&lines[index..]);
            break;
        }
        if trimmed.starts_with('>') {
            quoted.push(line);
            continue;
        }
        kept.push(line);
    }
    // A quote header wrapped over two lines leaves its first half behind.
    if kept
        .last()
        .is_some_and(|last| opens_quote_header(last.trim()))
        && let Some(half) = kept.pop()
    {
        quoted.insert(history_at.unwrap_or(quoted.len()), half);
    }
    let reply = kept.join("\n").trim().to_string();
    if reply.is_empty() {
        return Split {
            reply: body.trim().to_string(),
            quoted: None,
        };
    }
    let quoted = quoted.join("\n").trim().to_string();
    Split {
        reply,
        quoted: (!quoted.is_empty()).then_some(quoted),
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
