//! The email adapter against the fixture corpus in `tests/resources/email`: charsets and
//! transfer encodings, quote headers in English, Spanish and Portuguese, signatures,
//! attachments and inline images, auto-replies, bounces, list mail, and broken mail.

use switchboard_plugins::latest::{
    AttachmentContent, Envelope, Event, Message, RawEmail, Transport,
};
use switchboard_plugins::{
    BUILT_PLUGINS, Budget, CallContext, Manifest, Plugin, PluginError, Runtime, RuntimeConfig,
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
        let manifest = Manifest {
            name: "email".into(),
            version: "0.1.0".into(),
            contract: "0.1.0".into(),
            channel_kind: "email".into(),
            allowed_hosts: Vec::new(),
            settings: Vec::new(),
            secrets: Vec::new(),
            budget: Budget::default(),
        };
        let plugin = runtime
            .load(&wasm, manifest, Default::default())
            .expect("load");
        Corpus { runtime, plugin }
    }

    fn parse(&self, file: &str) -> Result<Message, PluginError> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/resources/email")
            .join(file);
        let source =
            std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        let payload = Transport::Email(RawEmail {
            envelope: Envelope {
                mail_from: String::new(),
                rcpt_to: vec!["soporte@acme.test".into()],
            },
            source,
        });
        let mut events = self
            .runtime
            .inbound(&self.plugin, CallContext::default(), &payload)?
            .value;
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
    assert_eq!(
        mail.cc,
        ["financeiro@example.com.br"],
        "CC is kept for reference"
    );
}

#[test]
fn quote_headers_in_three_languages_and_signatures_are_cut() {
    let corpus = Corpus::new();
    assert_eq!(
        corpus.message("apple-en-signature.eml").text,
        "Thanks, that fixed it."
    );
    assert_eq!(
        corpus.message("gmail-pt-wrapped.eml").text,
        "Pode ser na sexta-feira."
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
        matches!(&pdf.content, AttachmentContent::Bytes(bytes) if bytes.starts_with(b"%PDF-1.4"))
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
fn an_html_only_mail_is_read_as_text_too() {
    let mail = Corpus::new().message("html-only.eml");
    assert!(mail.text.contains("¿Tienen talla M?"), "{:?}", mail.text);
    assert!(mail.html.is_some());
}

#[test]
fn broken_mail_is_refused_as_malformed() {
    let corpus = Corpus::new();
    let no_from = corpus.parse("no-from.eml");
    assert!(
        matches!(&no_from, Err(PluginError::Malformed(reason)) if reason.contains("From")),
        "{no_from:?}"
    );
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
