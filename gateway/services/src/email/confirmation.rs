//! Proof that a website chat visitor owns the address they gave, before the chat goes on by
//! email to it (otherwise anyone could have the business write to any address). The first
//! reply that would be emailed to an address not yet proved sends a link to it instead, and
//! waits; the visitor opens the link and confirms with a button (so that a mail scanner that
//! opens links confirms nothing), and the waiting replies then go out. A site that vouches for
//! its user with identity verification can vouch for the email too. The link's pages are the
//! API's (`routes::confirmation`).

use serde::{Deserialize, Serialize};
use switchboard_model::{Channel, Contact, Id, WebchatSettings, now_millis};

use crate::language::Language;
use crate::throttle::RateLimiter;
use crate::{ServiceResult, Services};

/// How long a confirmation link works.
const LINK_DAYS: i64 = 7;
const PURPOSE: &str = "confirm-email";

/// Confirmation emails one contact's address may be sent: one, then one a day.
pub fn limiter() -> RateLimiter {
    RateLimiter::per_day(1, 1)
}

/// What a confirmation link names, as its query holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claim {
    pub contact: Id,
    pub email: String,
    pub expires: i64,
    pub tag: String,
}

fn signed(widget: &str, contact: Id, email: &str, expires: i64) -> Vec<u8> {
    format!("{widget}\n{contact}\n{}\n{expires}", email.to_lowercase()).into_bytes()
}

/// The link that confirms `email` for the contact, on the chat `channel`.
fn link(state: &Services, channel: &Channel, contact: Id, email: &str) -> String {
    let widget = format!("{}.{}", channel.workspace_id, channel.id);
    let expires = now_millis() + LINK_DAYS * 24 * 3_600_000;
    let claim = Claim {
        contact,
        email: email.to_string(),
        expires,
        tag: state
            .secrets
            .tag(PURPOSE, &signed(&widget, contact, email, expires)),
    };
    format!(
        "{}/widget/v1/{widget}/email-confirmation?{}",
        state.config.public_url.trim_end_matches('/'),
        serde_urlencoded::to_string(&claim).unwrap_or_default()
    )
}

/// The words of the email and the pages, per language.
pub struct Words {
    pub subject: &'static str,
    pub email: &'static str,
    pub question: &'static str,
    pub button: &'static str,
    pub done: &'static str,
    pub expired: &'static str,
}

const ES: Words = Words {
    subject: "Confirma tu correo para recibir nuestra respuesta",
    email: "Escribiste a {business} en su chat y dejaste esta dirección para que te respondamos. Tenemos una respuesta para ti: confirma que la dirección es tuya abriendo este enlace y te la enviamos.",
    question: "¿Quieres recibir por correo en {email} las respuestas de tu chat con {business}?",
    button: "Sí, confirmar mi correo",
    done: "Listo: tu correo está confirmado. Las respuestas de tu chat llegarán a {email}.",
    expired: "Este enlace ya no es válido. Escríbenos de nuevo en el chat y te enviaremos otro.",
};

const PT_BR: Words = Words {
    subject: "Confirme seu e-mail para receber nossa resposta",
    email: "Você escreveu para {business} no chat e deixou este endereço para receber a resposta. Temos uma resposta para você: confirme que o endereço é seu abrindo este link e nós a enviaremos.",
    question: "Quer receber por e-mail em {email} as respostas da sua conversa com {business}?",
    button: "Sim, confirmar meu e-mail",
    done: "Pronto: seu e-mail está confirmado. As respostas da sua conversa chegarão em {email}.",
    expired: "Este link não é mais válido. Escreva de novo no chat e enviaremos outro.",
};

const EN: Words = Words {
    subject: "Confirm your email to get our answer",
    email: "You wrote to {business} in their chat and left this address for the answer. We have an answer for you: confirm the address is yours by opening this link, and we will send it.",
    question: "Get the answers of your chat with {business} by email at {email}?",
    button: "Yes, confirm my email",
    done: "Done: your email is confirmed. The answers of your chat will come to {email}.",
    expired: "This link is no longer valid. Write to us in the chat again and we will send another one.",
};

pub fn words(language: Language) -> &'static Words {
    match language {
        Language::Spanish => &ES,
        Language::Portuguese => &PT_BR,
        Language::English => &EN,
    }
}

/// Sends the confirmation link for `to` through `mailbox`, unless one went to it within the
/// day. The chat channel's `locale` names the language; without one the email says it in
/// Spanish, Portuguese and English.
pub async fn request(
    state: &Services,
    chat: &Channel,
    mailbox: &Channel,
    contact: &Contact,
    to: &str,
) -> ServiceResult<()> {
    let key = format!("{}:{}:{}", chat.workspace_id, contact.id, to.to_lowercase());
    if state.mail.confirmations.take(&key).is_err() {
        return Ok(());
    }
    if super::daily_limit_reached(state, mailbox).await?.is_some() {
        return Ok(());
    }
    let business = state.store.workspace(chat.workspace_id).await?.name;
    let link = link(state, chat, contact.id, to);
    let languages: Vec<&Words> = match WebchatSettings::read(&chat.settings).locale {
        Some(locale) => vec![words(Language::of(&locale))],
        None => vec![&ES, &PT_BR, &EN],
    };
    let text = languages
        .iter()
        .map(|words| format!("{}\n\n{link}", words.email.replace("{business}", &business)))
        .collect::<Vec<_>>()
        .join("\n\n———\n\n");
    let subject = languages
        .iter()
        .map(|words| words.subject)
        .collect::<Vec<_>>()
        .join(" / ");
    let reply = super::Written {
        id: format!("confirmation-{}-{}", contact.id, now_millis()),
        sender_name: business,
        to: to.to_string(),
        subject,
        text,
        conversation_id: 0,
    }
    .reply();
    let mailbox = super::sending_channel(state, mailbox).await?;
    if let Err(reason) = super::send_written(state, &mailbox, reply, "confirmation").await? {
        tracing::warn!(workspace_id = chat.workspace_id, contact_id = contact.id, %reason,
            "the link to confirm a visitor's email was not sent");
    }
    Ok(())
}

/// The claim, if its tag matches and it has not expired.
pub fn checked<'a>(state: &Services, widget: &str, claim: &'a Claim) -> Option<&'a Claim> {
    let data = signed(widget, claim.contact, &claim.email, claim.expires);
    (claim.expires > now_millis() && state.secrets.tag_matches(PURPOSE, &data, &claim.tag))
        .then_some(claim)
}
