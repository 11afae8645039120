//! The Telegram channel adapter: a bot's private chats (and group chats, when the `groups`
//! setting is `true`) through the Bot API.
//!
//! - `connect` checks the bot token (`getMe`) and registers the channel's webhook with a
//!   secret token derived from the bot token (`setWebhook`), or removes it for polling.
//! - `inbound` refuses an update without that secret as forged, and turns messages (text,
//!   captions, photos, documents, voice, video, stickers, locations, contacts) into events;
//!   files are left for the host to download (`getFile` first); a user blocking the bot makes
//!   them unreachable, unblocking reachable again.
//! - `outbound` sends the text (HTML parse mode, escaped) as a reply to the contact's newest
//!   message, and files as photos or documents; `response` reads Telegram's answer (the
//!   message id, `retry_after`, a blocked bot); `signal` shows "typing…".
//! - `tick` polls `getUpdates` when the `receive` setting is `polling`.

mod api;
mod send;
mod update;

use switchboard_channel_sdk::{
    Adapter, AgentSignal, DeliveryAction, Error, HttpResponse, InboundResult, Reply, ReplyContext,
    ResponseOutcome, Transport, header,
};

struct Telegram;

impl Adapter for Telegram {
    fn inbound(payload: Transport) -> Result<InboundResult, Error> {
        let Transport::Webhook(request) = payload else {
            return Err(Error::Unsupported(
                "the Telegram channel takes webhooks only".into(),
            ));
        };
        let bot = api::Bot::from_channel()?;
        if header(&request.headers, api::SECRET_HEADER) != Some(bot.webhook_secret().as_str()) {
            return Err(Error::Forged(format!(
                "the request has no valid {} header",
                api::SECRET_HEADER
            )));
        }
        update::events(&bot, &request.body).map(Into::into)
    }

    fn outbound(reply: Reply) -> Result<Vec<DeliveryAction>, Error> {
        send::reply(&api::Bot::from_channel()?, &reply)
    }

    fn response(_reply_id: String, response: HttpResponse) -> Result<ResponseOutcome, Error> {
        Ok(api::read_answer(&response))
    }

    fn signal(signal: AgentSignal, context: ReplyContext) -> Result<Vec<DeliveryAction>, Error> {
        match signal {
            AgentSignal::Typing => send::typing(&api::Bot::from_channel()?, &context),
            // Telegram shows bots' readers nothing.
            AgentSignal::Read(_) => Ok(Vec::new()),
        }
    }

    fn tick() -> Result<Vec<Transport>, Error> {
        if !api::polling() {
            return Ok(Vec::new());
        }
        api::Bot::from_channel()?.poll()
    }

    fn connect(webhook_url: Option<String>) -> Result<String, Error> {
        api::Bot::from_channel()?.connect(webhook_url.as_deref())
    }
}

switchboard_channel_sdk::export_adapter!(Telegram);
