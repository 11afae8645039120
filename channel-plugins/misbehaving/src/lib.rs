//! A test adapter that misbehaves in the way its webhook body names, so the host's limits can be
//! shown to hold: `loop` never returns, `bloat` grows its memory without bound, `trap` panics,
//! `sleep` sleeps for 20 s, `flood` returns an enormous list of events, `many`, `huge-text`,
//! `empty-id` and `empty-identity` return messages the gateway must refuse, `heavy-html`
//! returns markup that takes the host long to sanitize, `overreach` fetches from a host it was
//! not granted, `secret` reads a secret it did not ask for, and `forge-log` writes a log line
//! that tries to start a line of the gateway's own. Two commands show granted capabilities at
//! work: `count` adds one to the stored `count` and answers with it, and `fetch <url>` answers
//! with what the URL returned; `hoard <key>` stores 900 KiB under the key, as calls running at
//! once may try to fill the store; `typing` and `read` are the contact's signals;
//! `answer <email> <message-id>` names one of the gateway's
//! Message-IDs as the message it answers. Anything else is echoed. Replies: `fan-out <url>`
//! becomes 500 requests, `send-email` an email for the host to send through the channel's own
//! mail server, whether or not it has one.

use switchboard_channel_sdk::{
    Adapter, Contact, DeliveryAction, Envelope, Error, Event, HttpRequest, Identity, InboundResult,
    Message, OutgoingEmail, Reply, Transport, host,
};

struct Misbehaving;

impl Adapter for Misbehaving {
    fn inbound(payload: Transport) -> Result<InboundResult, Error> {
        events(payload).map(Into::into)
    }

    /// A reply whose text is `fan-out <url>` becomes 500 requests to that URL, `send-email`
    /// one email to the contact; any other is not sent.
    fn outbound(reply: Reply) -> Result<Vec<DeliveryAction>, Error> {
        if reply.text == "send-email" {
            return Ok(vec![DeliveryAction::SendEmail(OutgoingEmail {
                envelope: Envelope {
                    mail_from: "bot@plugin.example".into(),
                    rcpt_to: vec!["someone@example.com".into()],
                },
                mime: b"Subject: hello\r\n\r\nsent by a plugin\r\n".to_vec(),
            })]);
        }
        let Some(url) = reply.text.strip_prefix("fan-out ") else {
            return Err(Error::Unsupported("this adapter sends nothing".into()));
        };
        Ok((0..500)
            .map(|_| {
                DeliveryAction::Http(HttpRequest {
                    method: "POST".into(),
                    url: url.to_string(),
                    headers: Vec::new(),
                    body: Vec::new(),
                })
            })
            .collect())
    }
}

switchboard_channel_sdk::export_adapter!(Misbehaving);

/// What the test asked for, by the webhook's body.
fn events(payload: Transport) -> Result<Vec<Event>, Error> {
    let Transport::Webhook(request) = payload else {
        return Err(Error::Unsupported("webhooks only".into()));
    };
    let command = String::from_utf8_lossy(&request.body).into_owned();
    let contact = Contact::known_as(Identity::new("external", "tester"));
    match command.as_str() {
        "loop" => {
            let mut spins: u64 = 0;
            loop {
                spins = std::hint::black_box(spins.wrapping_add(1));
            }
        }
        "bloat" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![1; 1 << 20]);
                std::hint::black_box(&hoard);
            }
        }
        "trap" => panic!("this adapter traps on purpose"),
        "sleep" => {
            std::thread::sleep(std::time::Duration::from_secs(20));
            Ok(vec![Event::Message(Message::text(
                contact,
                "slept",
                "slept 20 s",
            ))])
        }
        "forge-log" => {
            switchboard_channel_sdk::warn(
                "ok\n2026-12-02T06:00:00.000000Z  WARN switchboard: FORGED the admin password was reset\x1b[2K",
            );
            Ok(vec![Event::Message(Message::text(
                contact,
                "forge-log",
                "logged",
            ))])
        }
        "flood" => Ok((0..20_000)
            .map(|n| {
                Event::Message(Message::text(
                    contact.clone(),
                    &format!("flood-{n}"),
                    &"x".repeat(100),
                ))
            })
            .collect()),
        // Within the output budget, but past what the gateway takes from one call.
        "many" => Ok((0..150)
            .map(|n| Event::Message(Message::text(contact.clone(), &format!("many-{n}"), "hola")))
            .collect()),
        "huge-text" => Ok(vec![Event::Message(Message::text(
            contact,
            "huge",
            &"x".repeat(60_000),
        ))]),
        // Within every size and depth limit, but slow to sanitize: 900 KiB of markup nested 200
        // deep, which the host must clean within what is left of the call's time.
        "heavy-html" => {
            let chain = format!("{}x{}", "<div>".repeat(200), "</div>".repeat(200));
            let html = chain.repeat((900 << 10) / chain.len());
            let mut message = Message::text(contact, "heavy-html", "heavy html");
            message.html = Some(html);
            Ok(vec![Event::Message(message)])
        }
        "empty-id" => Ok(vec![Event::Message(Message::text(contact, "", "no id"))]),
        "empty-identity" => Ok(vec![Event::Message(Message::text(
            Contact::known_as(Identity::new("external", "")),
            "anonymous",
            "from nobody",
        ))]),
        "overreach" => {
            let request = HttpRequest {
                method: "GET".into(),
                url: "http://evil.example/steal".into(),
                headers: Vec::new(),
                body: Vec::new(),
            };
            host::fetch(&request).map(|_| Vec::new())
        }
        "secret" => match host::secret("admin_password") {
            Some(_) => Err(Error::Internal(
                "the host handed out a secret that was never granted".into(),
            )),
            None => Err(Error::Denied("no secret".into())),
        },
        // The contact, as `contact` names them, types and then reads.
        "typing" => Ok(vec![Event::Typing(contact.identity)]),
        "read" => Ok(vec![Event::Read((contact.identity, "hola".into()))]),
        "count" => {
            let stored = host::kv_get("count").and_then(|bytes| String::from_utf8(bytes).ok());
            let next = stored
                .and_then(|text| text.parse::<u64>().ok())
                .unwrap_or(0)
                + 1;
            host::kv_set("count", next.to_string().as_bytes());
            Ok(vec![Event::Message(Message::text(
                contact,
                &format!("count-{next}"),
                &next.to_string(),
            ))])
        }
        text if text.starts_with("hoard ") => {
            // 900 KiB under a key of the caller's choosing, against a 1 MiB store.
            host::kv_set(&text["hoard ".len()..], &vec![7; 900 * 1024]);
            Ok(vec![Event::Message(Message::text(
                contact, text, "hoarded",
            ))])
        }
        text if text.starts_with("answer ") => {
            // `answer <email> <message-id>`: a message from that address naming one of the
            // gateway's Message-IDs, to slip into a conversation of another channel.
            let mut words = text["answer ".len()..].split_whitespace();
            let (Some(email), Some(id)) = (words.next(), words.next()) else {
                return Err(Error::Malformed("answer <email> <message-id>".into()));
            };
            let from = Contact::known_as(Identity::new("email", email));
            let mut message = Message::text(from, "answer-1", "Respondo aquí");
            message.in_reply_to = Some(id.to_string());
            Ok(vec![Event::Message(message)])
        }
        text if text.starts_with("fetch ") => {
            let request = HttpRequest {
                method: "GET".into(),
                url: text["fetch ".len()..].to_string(),
                headers: Vec::new(),
                body: Vec::new(),
            };
            let response = host::fetch(&request)?;
            let answer = format!(
                "status {}: {}",
                response.status,
                String::from_utf8_lossy(&response.body)
            );
            Ok(vec![Event::Message(Message::text(
                contact, "fetched", &answer,
            ))])
        }
        text => Ok(vec![Event::Message(Message::text(contact, text, text))]),
    }
}
