//! The WhatsApp channel adapter, on Meta's WhatsApp Cloud API.
//!
//! - `inbound` answers Meta's webhook check (`hub.mode`, `hub.verify_token`,
//!   `hub.challenge`), refuses a notification whose `X-Hub-Signature-256` is not the app
//!   secret's as forged, and turns messages (text, images, documents, audio, video, stickers,
//!   locations, contacts, button and list replies, reactions) and statuses (sent, delivered,
//!   read, failed with the error's meaning) into events; media are left for the host to
//!   download with the access token.
//! - `outbound` sends text, files (uploaded first) and approved templates; `response` reads
//!   the `wamid` and Meta's error codes; `signal` marks the contact's messages read.
//! - `connect` names the business number; `templates` lists the approved templates.

mod graph;
mod send;
mod webhook;

use switchboard_channel_sdk::{
    Adapter, AgentSignal, DeliveryAction, Error, HttpResponse, InboundResult, Reply, ReplyContext,
    ResponseOutcome, Template, Transport,
};

struct WhatsApp;

impl Adapter for WhatsApp {
    fn inbound(payload: Transport) -> Result<InboundResult, Error> {
        let Transport::Webhook(request) = payload else {
            return Err(Error::Unsupported(
                "the WhatsApp channel takes webhooks only".into(),
            ));
        };
        webhook::read(&request)
    }

    fn outbound(reply: Reply) -> Result<Vec<DeliveryAction>, Error> {
        send::reply(&graph::Account::from_channel()?, &reply)
    }

    fn response(_reply_id: String, response: HttpResponse) -> Result<ResponseOutcome, Error> {
        Ok(graph::read_answer(&response))
    }

    fn signal(signal: AgentSignal, _context: ReplyContext) -> Result<Vec<DeliveryAction>, Error> {
        match signal {
            AgentSignal::Read(message_id) => Ok(vec![send::read(
                &graph::Account::from_channel()?,
                &message_id,
            )]),
            AgentSignal::Typing => Ok(Vec::new()),
        }
    }

    fn connect(_webhook_url: Option<String>) -> Result<String, Error> {
        graph::Account::from_channel()?.describe()
    }

    fn templates() -> Result<Vec<Template>, Error> {
        graph::Account::from_channel()?.templates()
    }
}

switchboard_channel_sdk::export_adapter!(WhatsApp);
