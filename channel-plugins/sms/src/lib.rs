//! The SMS channel adapter: one business number at Twilio, Vonage (Messages API) or
//! MessageBird, chosen by the `provider` setting.
//!
//! - `inbound` checks each provider's signature (Twilio's `X-Twilio-Signature` over the full
//!   URL and sorted parameters; Vonage's and MessageBird's signed JWTs, whose body hash,
//!   age and id are checked so a replay is refused), then turns an SMS (with its MMS media,
//!   downloaded by the host) into a message from the sender's number in E.164, and a status
//!   report into a delivery state. Opt-out keywords in English, Spanish and Portuguese
//!   (STOP, BAJA, PARAR, SAIR…) make the contact unreachable; START, ALTA, VOLTAR… reachable.
//! - `outbound` sends the text (the provider joins long texts into one message on the phone);
//!   `response` reads the provider's id, its throttling and its refusals.
//! - `connect` keeps the channel's webhook address, for status callbacks.

mod jwt;
mod keywords;
mod message;
mod messagebird;
mod phone;
mod twilio;
mod vonage;

use switchboard_channel_sdk::{
    Adapter, DeliveryAction, Error, HttpResponse, InboundResult, Reply, ResponseOutcome, Transport,
    host,
};

/// The provider the channel's number is at.
enum Provider {
    Twilio,
    Vonage,
    MessageBird,
}

impl Provider {
    fn of_channel() -> Result<Provider, Error> {
        match host::setting("provider")
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "twilio" => Ok(Provider::Twilio),
            "vonage" | "nexmo" => Ok(Provider::Vonage),
            "messagebird" | "bird" => Ok(Provider::MessageBird),
            other => Err(Error::Denied(format!(
                "the `provider` setting {other:?} is not twilio, vonage or messagebird"
            ))),
        }
    }
}

struct Sms;

impl Adapter for Sms {
    fn inbound(payload: Transport) -> Result<InboundResult, Error> {
        let Transport::Webhook(request) = payload else {
            return Err(Error::Unsupported(
                "the SMS channel takes webhooks only".into(),
            ));
        };
        match Provider::of_channel()? {
            Provider::Twilio => twilio::inbound(&request),
            Provider::Vonage => vonage::inbound(&request),
            Provider::MessageBird => messagebird::inbound(&request),
        }
    }

    fn outbound(reply: Reply) -> Result<Vec<DeliveryAction>, Error> {
        if !reply.attachments.is_empty() {
            return Err(Error::Unsupported(
                "this SMS channel sends text only: send the file by another channel or as a link"
                    .into(),
            ));
        }
        let to = phone::e164(&recipient(&reply)?).ok_or_else(|| {
            Error::Unsupported("the contact's number is not a phone number".into())
        })?;
        let request = match Provider::of_channel()? {
            Provider::Twilio => twilio::send(&to, &reply)?,
            Provider::Vonage => vonage::send(&to, &reply)?,
            Provider::MessageBird => messagebird::send(&to, &reply)?,
        };
        Ok(vec![DeliveryAction::Http(request)])
    }

    fn response(_reply_id: String, response: HttpResponse) -> Result<ResponseOutcome, Error> {
        Ok(match Provider::of_channel()? {
            Provider::Twilio => twilio::read_answer(&response),
            Provider::Vonage => vonage::read_answer(&response),
            Provider::MessageBird => messagebird::read_answer(&response),
        })
    }

    fn connect(webhook_url: Option<String>) -> Result<String, Error> {
        let provider = Provider::of_channel()?;
        let from = required_setting("from")?;
        if let Some(url) = &webhook_url {
            host::kv_set("webhook_url", url.as_bytes());
        }
        let name = match provider {
            Provider::Twilio => twilio::check()?,
            Provider::Vonage => "Vonage".to_string(),
            Provider::MessageBird => "MessageBird".to_string(),
        };
        Ok(format!("{from} at {name}"))
    }
}

switchboard_channel_sdk::export_adapter!(Sms);

/// The contact's number, from their phone identity or their phone.
fn recipient(reply: &Reply) -> Result<String, Error> {
    let contact = &reply.context.contact;
    match contact.identity.kind.as_str() {
        "phone" => Some(contact.identity.value.clone()),
        _ => contact.phone.clone(),
    }
    .ok_or_else(|| Error::Unsupported("the contact has no phone number".into()))
}

fn required_setting(name: &str) -> Result<String, Error> {
    host::setting(name)
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty())
        .ok_or_else(|| Error::Denied(format!("the channel has no `{name}` setting")))
}

fn required_secret(name: &str) -> Result<String, Error> {
    host::secret(name)
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty())
        .ok_or_else(|| Error::Denied(format!("the channel has no `{name}` secret")))
}

/// The provider's API server: the `api_base` setting, else its own.
fn api_base(default: &str) -> String {
    host::setting("api_base")
        .map(|base| base.trim().trim_end_matches('/').to_string())
        .filter(|base| !base.is_empty())
        .unwrap_or_else(|| default.to_string())
}

/// The address the provider reports delivery states to, once the channel was connected.
fn status_callback() -> Option<String> {
    host::kv_get("webhook_url").and_then(|bytes| String::from_utf8(bytes).ok())
}
