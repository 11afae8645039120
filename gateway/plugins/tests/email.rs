//! The email adapter against the fixture corpus in `tests/resources/email`: charsets and
//! transfer encodings, quote headers in English, Spanish and Portuguese, signatures,
//! attachments and inline images, auto-replies, bounces, list mail, and broken mail; and
//! replies built as MIME and read back with a real parser.

use mail_parser::MimeHeaders;
use switchboard_plugins::latest::{
    Attachment, AttachmentContent, Contact, DeliveryAction, DeliveryState, Envelope, Event,
    Identity, Message, OutgoingEmail, RawEmail, Reply, ReplyContext, TransferEncoding, Transport,
};
use switchboard_plugins::{
    BUILT_PLUGINS, CallContext, Manifest, Plugin, PluginError, Runtime, RuntimeConfig,
};

struct Corpus {
    runtime: std::sync::Arc<Runtime>,
    plugin: Plugin,
}

impl Corpus {
    fn new() -> Corpus {
        let runtime = Runtime::new(RuntimeConfig::default()).expect("runtime");
        let wasm = std::fs::read(std::path::Path::new(BUILT_PLUGINS).join("email_adapter.wasm"))
            .expect("email adapter");
        let bundled = switchboard_plugins::bundled("email").expect("the bundled email adapter");
        let manifest: Manifest = toml::from_str(bundled.manifest).expect("its manifest");
        let grants = manifest.grant_all();
        let plugin = runtime.load(&wasm, manifest, grants).expect("load");
        Corpus { runtime, plugin }
    }

    fn parse(&self, file: &str) -> Result<Message, PluginError> {
        self.parse_sent_to(file, "soporte@acme.test")
    }

    /// What the adapter makes of a fixture sent to `rcpt`.
    fn events(&self, file: &str, rcpt: &str) -> Result<Vec<Event>, PluginError> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/resources/email")
            .join(file);
        let source =
            std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        self.inbound(source, rcpt)
    }

    /// What the adapter makes of an email's source sent to `rcpt`.
    fn inbound(&self, source: Vec<u8>, rcpt: &str) -> Result<Vec<Event>, PluginError> {
        let payload = Transport::Email(RawEmail {
            envelope: Envelope {
                mail_from: String::new(),
                rcpt_to: vec![rcpt.into()],
            },
            source,
        });
        Ok(self
            .runtime
            .inbound(&self.plugin, CallContext::default(), &payload)?
            .value
            .events)
    }

    fn parse_sent_to(&self, file: &str, rcpt: &str) -> Result<Message, PluginError> {
        let mut events = self.events(file, rcpt)?;
        match events.pop() {
            Some(Event::Message(message)) if events.is_empty() => Ok(message),
            other => panic!("one message expected from {file}, got {other:?}"),
        }
    }

    fn message(&self, file: &str) -> Message {
        self.parse(file)
            .unwrap_or_else(|error| panic!("{file}: {error}"))
    }
}

#[test]
fn spanish_gmail_in_latin1_loses_its_quote_and_keeps_its_thread() {
    let mail = Corpus::new().message("gmail-es-latin1.eml");
    assert_eq!(mail.contact.identity.value, "maria.lopez@example.com");
    assert_eq!(mail.contact.display_name.as_deref(), Some("María López"));
    assert_eq!(mail.subject.as_deref(), Some("Re: Pedido nº 4711"));
    assert_eq!(
        mail.text,
        "Hola, el pedido todavía no llegó. ¿Pueden revisar?\n\nGracias,\nMaría"
    );
    assert_eq!(mail.message_id, "<CAF-es-1@mail.gmail.com>");
    assert_eq!(mail.in_reply_to.as_deref(), Some("<sb-out-1@acme.test>"));
    assert_eq!(
        mail.references,
        ["<sb-first@acme.test>", "<sb-out-1@acme.test>"]
    );
    assert!(mail.sent_at_ms.is_some());
    assert!(!mail.auto_submitted);
}

#[test]
fn portuguese_outlook_in_windows_1252_loses_the_outlook_block() {
    let mail = Corpus::new().message("outlook-pt-cp1252.eml");
    assert_eq!(mail.contact.display_name.as_deref(), Some("João Silva"));
    assert_eq!(
        mail.text,
        "Bom dia, preciso trocar o tamanho da camisa – é possível?\n\nObrigado\nJoão"
    );
    assert_eq!(mail.to, ["suporte@acme.test"]);
    assert_eq!(
        mail.cc,
        ["financeiro@example.com.br"],
        "CC is kept for reference"
    );
}

#[test]
fn quote_headers_in_three_languages_and_signatures_are_cut() {
    let corpus = Corpus::new();
    let apple = corpus.message("apple-en-signature.eml");
    assert_eq!(apple.text, "Thanks, that fixed it.");
    assert_eq!(
        apple.quoted.as_deref(),
        Some(
            "-- \nSam Taylor\nExample Org\n\nOn 3 Nov 2025, at 18:00, Acme Support <support@acme.test> wrote:\n\n> Please try again."
        ),
        "the signature and the history, kept apart for a reader who opens them"
    );
    let wrapped = corpus.message("gmail-pt-wrapped.eml");
    assert_eq!(wrapped.text, "Pode ser na sexta-feira.");
    assert_eq!(
        wrapped.quoted.as_deref(),
        Some(
            "Em seg., 3 de nov. de 2025 às 10:02, Suporte Acme <suporte@acme.test>\nescreveu:\n\n> Qual dia fica melhor?"
        ),
        "a quote header wrapped over two lines stays whole"
    );
    assert_eq!(
        corpus.message("no-message-id.eml").quoted,
        None,
        "a mail that quotes nothing"
    );
    assert_eq!(
        corpus.message("outlook-es-original.eml").text,
        "Perfecto, lo llevo el lunes."
    );
}

#[test]
fn attachments_and_inline_images_arrive_with_the_html() {
    let mail = Corpus::new().message("attachments-html.eml");
    assert!(
        mail.html
            .as_deref()
            .is_some_and(|html| html.contains("<b>factura</b>"))
    );
    assert!(mail.text.contains("Adjunto la factura"), "{:?}", mail.text);
    let pdf = mail
        .attachments
        .iter()
        .find(|attachment| attachment.name == "factura-4711.pdf")
        .expect("the PDF");
    assert_eq!(pdf.media_type, "application/pdf");
    assert!(!pdf.inline);
    assert!(
        matches!(&pdf.content, AttachmentContent::PayloadPart(part) if part.encoding == TransferEncoding::Base64)
    );
    let logo = mail
        .attachments
        .iter()
        .find(|attachment| attachment.name == "logo.png")
        .expect("the inline image");
    assert!(logo.inline);
    assert_eq!(logo.media_type, "image/png");
}

#[test]
fn auto_replies_bounces_and_list_mail_are_flagged() {
    let corpus = Corpus::new();
    for file in ["auto-reply.eml", "bounce.eml", "list.eml"] {
        assert!(corpus.message(file).auto_submitted, "{file} is automatic");
    }
    assert!(!corpus.message("html-only.eml").auto_submitted);
}

#[test]
fn mail_without_a_message_id_gets_a_stable_one() {
    let corpus = Corpus::new();
    let first = corpus.message("no-message-id.eml");
    let again = corpus.message("no-message-id.eml");
    assert_eq!(
        first.message_id, again.message_id,
        "the same mail twice is recognised"
    );
    assert!(first.message_id.ends_with("@switchboard.invalid>"));
    assert_eq!(
        first.sent_at_ms, None,
        "a Date header that is not a date is ignored"
    );
    assert_eq!(first.text, "¿Abren el sábado?");
}

#[test]
fn text_in_an_unknown_charset_is_read_as_utf8_or_windows_1252() {
    let mail = Corpus::new().message("unknown-8bit.eml");
    assert_eq!(
        mail.text,
        "Olá, gostaria de saber o preço do plano anual – obrigado."
    );
}

#[test]
fn a_plain_text_mail_has_no_html_that_would_show_its_quotes_again() {
    let mail = Corpus::new().message("gmail-pt-wrapped.eml");
    assert_eq!(mail.text, "Pode ser na sexta-feira.");
    assert_eq!(mail.html, None);
}

#[test]
fn an_html_only_mail_is_read_as_text_too() {
    let mail = Corpus::new().message("html-only.eml");
    assert!(mail.text.contains("¿Tienen talla M?"), "{:?}", mail.text);
    assert!(mail.html.is_some());
}

#[test]
fn a_sender_is_found_in_reply_to_or_sender_and_else_kept_unknown() {
    let corpus = Corpus::new();
    let no_domain = corpus.message("from-without-domain.eml");
    assert_eq!(
        no_domain.contact.email.as_deref(),
        Some("maria.gomez@example.com")
    );
    assert_eq!(
        no_domain.contact.display_name.as_deref(),
        Some("Maria Gomez")
    );
    let sender = corpus.message("empty-from-with-sender.eml");
    let identity = &sender.contact.identity;
    assert_eq!(
        (identity.kind.as_str(), identity.value.as_str()),
        ("email", "pedro.alves@example.com.br")
    );
    assert_eq!(sender.contact.display_name.as_deref(), Some("Pedro Alves"));
    let broken_word = corpus.message("broken-encoded-name.eml");
    assert_eq!(
        broken_word.contact.email.as_deref(),
        Some("lucia.mendez@example.com")
    );
    assert_eq!(
        broken_word.contact.display_name, None,
        "the address names her, not =?utf-8?B?broken"
    );
    // No header names anyone: the mail is still a message, from a sender to fill in.
    let nobody = corpus.message("no-from.eml");
    let identity = &nobody.contact.identity;
    assert_eq!(
        (identity.kind.as_str(), identity.value.as_str()),
        ("unknown", "<nofrom-10@example.com>")
    );
    assert_eq!(nobody.contact.email, None);
    assert_eq!(nobody.text, "Hola");
}

#[test]
fn a_bounce_of_one_of_our_replies_marks_it_failed_and_other_bounces_are_messages() {
    let corpus = Corpus::new();
    let events = corpus
        .events("bounce-of-our-reply.eml", "support@example.test")
        .expect("read");
    let [Event::Delivery(update)] = events.as_slice() else {
        panic!("one delivery update, got {events:?}");
    };
    assert_eq!(update.message_id, "<sb-42.c7@example.test>");
    assert!(matches!(update.state, DeliveryState::Failed));
    assert_eq!(
        update.reason.as_deref(),
        Some("5.1.1: 550 5.1.1 <cliente@example.com>: Recipient address rejected: User unknown")
    );
    // A bounce that quotes no mail of ours stays a message, flagged as sent by a machine.
    assert!(corpus.message("bounce.eml").auto_submitted);
}

#[test]
fn broken_mail_is_refused_as_malformed() {
    let corpus = Corpus::new();
    let payload = Transport::Email(RawEmail {
        envelope: Envelope {
            mail_from: String::new(),
            rcpt_to: Vec::new(),
        },
        source: vec![0xff, 0xfe, 0x00, 0x01],
    });
    let garbage = corpus
        .runtime
        .inbound(&corpus.plugin, CallContext::default(), &payload);
    assert!(
        matches!(garbage, Err(PluginError::Malformed(_))),
        "{garbage:?}"
    );
}

fn reply(subject: Option<&str>, thread: &[&str]) -> Reply {
    Reply {
        template: None,
        reply_id: "42".into(),
        text: "Hola María, el pedido sale hoy.".into(),
        html: None,
        attachments: vec![Attachment {
            name: "guia.pdf".into(),
            media_type: "application/pdf".into(),
            content: AttachmentContent::Bytes(b"%PDF-1.4 guia".to_vec()),
            inline: false,
        }],
        agent_name: "Bea".into(),
        agent_signature: Some("Bea · Soporte Acme".into()),
        context: ReplyContext {
            conversation_id: 77,
            subject: subject.map(String::from),
            thread: thread.iter().map(|id| id.to_string()).collect(),
            contact: Contact {
                identity: Identity {
                    kind: "email".into(),
                    value: "maria.lopez@example.com".into(),
                },
                display_name: Some("María López".into()),
                email: Some("maria.lopez@example.com".into()),
                phone: None,
                fields: Vec::new(),
            },
        },
    }
}

fn send(
    corpus: &Corpus,
    settings: &[(&str, &str)],
    reply: &Reply,
) -> Result<OutgoingEmail, PluginError> {
    let context = CallContext {
        settings: settings
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect(),
        ..CallContext::default()
    };
    let mut actions = corpus
        .runtime
        .outbound(&corpus.plugin, context, reply)?
        .value;
    match actions.pop() {
        Some(DeliveryAction::SendEmail(email)) if actions.is_empty() => Ok(email),
        other => panic!("one email expected, got {other:?}"),
    }
}

const CHANNEL: &[(&str, &str)] = &[
    ("reply_address", "soporte@acme.test"),
    ("reply_name", "Soporte Acme"),
    ("footer", "Acme · Av. Corrientes 1234"),
];

#[test]
fn a_reply_is_threaded_addressed_to_the_contact_alone_and_signed() {
    let corpus = Corpus::new();
    let email = send(
        &corpus,
        CHANNEL,
        &reply(
            Some("Pedido nº 4711"),
            &["<CAF-es-0@mail.gmail.com>", "<CAF-es-1@mail.gmail.com>"],
        ),
    )
    .expect("reply");
    assert_eq!(email.envelope.mail_from, "soporte@acme.test");
    assert_eq!(
        email.envelope.rcpt_to,
        ["maria.lopez@example.com"],
        "to the contact only, never the CC list"
    );
    let parsed = mail_parser::MessageParser::default()
        .parse(&email.mime)
        .expect("valid MIME");
    let from = parsed.from().and_then(|from| from.first()).expect("From");
    assert_eq!(
        (from.name(), from.address()),
        (Some("Soporte Acme"), Some("soporte@acme.test"))
    );
    assert_eq!(parsed.subject(), Some("Re: Pedido nº 4711"));
    assert_eq!(
        parsed.message_id(),
        Some("sb-42.c77@acme.test"),
        "the conversation travels in the Message-ID"
    );
    assert_eq!(
        parsed.in_reply_to().as_text(),
        Some("CAF-es-1@mail.gmail.com")
    );
    assert_eq!(parsed.references().as_text_list().map(<[_]>::len), Some(2));
    assert!(
        parsed.reply_to().is_none(),
        "no plus address unless the channel says its provider delivers them"
    );
    assert!(
        parsed.header_raw("Auto-Submitted").is_none(),
        "an agent's reply is not automatic"
    );
    let body = parsed.body_text(0).expect("text body");
    assert!(
        body.starts_with("Hola María, el pedido sale hoy."),
        "{body}"
    );
    assert!(
        body.contains("Bea · Soporte Acme")
            && body.contains("Av. Corrientes 1234")
            && body.contains("Sent with Switchboard"),
        "{body}"
    );
    assert_eq!(
        parsed
            .attachments()
            .next()
            .and_then(|part| part.attachment_name()),
        Some("guia.pdf")
    );
}

#[test]
fn reply_prefixes_do_not_stack_and_branding_can_be_hidden() {
    let corpus = Corpus::new();
    let hidden = [CHANNEL, &[("hide_branding", "true")]].concat();
    let email = send(&corpus, &hidden, &reply(Some("RES: Troca"), &[])).expect("reply");
    let parsed = mail_parser::MessageParser::default()
        .parse(&email.mime)
        .expect("valid MIME");
    assert_eq!(parsed.subject(), Some("RES: Troca"));
    assert!(
        !parsed
            .body_text(0)
            .expect("text")
            .contains("Sent with Switchboard")
    );
    assert!(
        parsed.in_reply_to().as_text().is_none(),
        "nothing to thread onto"
    );
}

#[test]
fn a_channel_without_a_reply_address_says_so() {
    let corpus = Corpus::new();
    let refused = send(&corpus, &[("reply_name", "Soporte")], &reply(None, &[]));
    assert!(
        matches!(&refused, Err(PluginError::Denied(reason)) if reason.contains("reply_address")),
        "{refused:?}"
    );
}

#[test]
fn with_plus_addressing_the_reply_address_names_the_conversation_and_answers_find_it() {
    let corpus = Corpus::new();
    let plus = [CHANNEL, &[("plus_addressing", "true")]].concat();
    let email = send(&corpus, &plus, &reply(Some("Pedido nº 4711"), &[])).expect("reply");
    let parsed = mail_parser::MessageParser::default()
        .parse(&email.mime)
        .expect("valid MIME");
    let reply_to = parsed
        .reply_to()
        .and_then(|reply_to| reply_to.first())
        .and_then(|address| address.address());
    assert_eq!(reply_to, Some("soporte+c77@acme.test"));

    // An answer whose client dropped the threading headers still names the conversation.
    let answer = corpus
        .parse_sent_to("no-message-id.eml", "soporte+c77@acme.test")
        .expect("answer");
    assert!(
        answer
            .references
            .contains(&"<sb-plus.c77@acme.test>".to_string()),
        "{:?}",
        answer.references
    );
}

#[test]
fn malformed_headers_still_give_the_sender_the_subject_and_the_text() {
    let mail = Corpus::new().message("malformed-headers.eml");
    assert_eq!(
        mail.contact.identity.value, "carla@example.com",
        "salvaged from a broken From"
    );
    assert!(
        mail.subject
            .as_deref()
            .is_some_and(|subject| subject.contains("Precio")),
        "{:?}",
        mail.subject
    );
    assert!(
        mail.text.contains("cuánto cuesta el plan anual"),
        "{}",
        mail.text
    );
    assert_eq!(
        mail.sent_at_ms, None,
        "an impossible date is left out, not made up"
    );
}

#[test]
fn a_huge_body_arrives_cut_to_the_gateways_limit_instead_of_being_refused() {
    let corpus = Corpus::new();
    let line = "Ñandú, pedido 4711: sigo esperando la respuesta.\r\n";
    let body = line.repeat(2_000);
    let source = format!(
        "From: Paula <paula@example.com>\r\nTo: soporte@acme.test\r\nSubject: Largo\r\n\
         Message-ID: <huge-1@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         {body}\r\n> Quoted once\r\n"
    );
    let Some(Event::Message(mail)) = corpus
        .inbound(source.into_bytes(), "soporte@acme.test")
        .expect("taken in")
        .pop()
    else {
        panic!("a message")
    };
    // The gateway's limit on a message's text (inbound_rules::MAX_TEXT_CHARS).
    assert_eq!(mail.text.chars().count(), 50_000);
    assert!(mail.text.starts_with("Ñandú, pedido 4711"));
    assert!(mail.text.ends_with('…'), "it says it was cut");
    assert_eq!(mail.quoted.as_deref(), Some("> Quoted once"));
}

/// The decoded bytes of each attachment's payload part, in order.
fn attachment_bytes(source: &[u8], message: &Message) -> Vec<Vec<u8>> {
    message
        .attachments
        .iter()
        .map(|attachment| match &attachment.content {
            AttachmentContent::PayloadPart(part) => {
                switchboard_plugins::read_payload_part(source, part)
                    .unwrap_or_else(|error| panic!("{}: {error}", attachment.name))
            }
            other => panic!(
                "{}: a payload part expected, got {other:?}",
                attachment.name
            ),
        })
        .collect()
}

#[test]
fn attachments_are_parts_of_the_source_that_decode_to_the_files_sent() {
    let corpus = Corpus::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/resources/email");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).expect("the corpus") {
        let path = entry.expect("a fixture").path();
        let source = std::fs::read(&path).expect("a fixture");
        let Ok(events) = corpus.inbound(source.clone(), "soporte@acme.test") else {
            continue;
        };
        let parsed = mail_parser::MessageParser::default()
            .parse(&source)
            .expect("parsed");
        for event in events {
            let Event::Message(message) = event else {
                continue;
            };
            let decoded = attachment_bytes(&source, &message);
            for (part, bytes) in parsed.attachments().zip(&decoded) {
                // A file's bytes as a MIME parser reads them; a text part is compared as
                // text, since the parser converts its charset.
                match &part.body {
                    mail_parser::PartType::Text(text) => {
                        assert_eq!(
                            String::from_utf8_lossy(bytes).trim(),
                            text.trim(),
                            "{path:?}"
                        )
                    }
                    _ => assert_eq!(bytes.as_slice(), part.contents(), "{path:?}"),
                }
                files += 1;
            }
            assert_eq!(decoded.len(), parsed.attachments().count(), "{path:?}");
        }
    }
    assert!(files >= 3, "the corpus holds files: {files}");
}

#[test]
fn a_twenty_megabyte_file_is_named_by_the_adapter_not_copied_into_its_output() {
    use base64::Engine;
    let mut file = Vec::with_capacity(20_000_000);
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    while file.len() < 20_000_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        file.extend_from_slice(&seed.to_le_bytes());
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(&file);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(76)
        .map(|line| std::str::from_utf8(line).expect("base64 is ASCII"))
        .collect();
    let source = format!(
        "From: Ana <ana@example.com>\r\nTo: soporte@acme.test\r\nSubject: Catálogo\r\n\
         Message-ID: <big-1@example.com>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nVa el catálogo.\r\n--b\r\n\
         Content-Type: application/pdf; name=\"catalogo.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"catalogo.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        lines.join("\r\n")
    )
    .into_bytes();
    let mut events = Corpus::new()
        .inbound(source.clone(), "soporte@acme.test")
        .expect("a 27 MB email within the adapter's budget");
    let Some(Event::Message(message)) = events.pop() else {
        panic!("one message expected, got {events:?}");
    };
    assert_eq!(message.text, "Va el catálogo.");
    let decoded = attachment_bytes(&source, &message);
    assert_eq!(decoded.len(), 1);
    assert!(decoded[0] == file, "the file as it was sent");
}
