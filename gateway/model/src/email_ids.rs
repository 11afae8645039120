//! The ids our emails carry so that an answer finds its conversation, defined once for the
//! email adapter that writes them and the store that reads them:
//!
//! - our Message-ID, `<sb-{message}.c{conversation}@{domain}>`, which answers quote in
//!   `In-Reply-To` and `References` (and bounces quote somewhere in their report);
//! - the plus address `{local}+c{conversation}@{domain}`, for mailboxes whose provider delivers
//!   plus addresses; an answer sent to it becomes the thread id
//!   `<sb-plus.c{conversation}@{domain}>`, which names the conversation and no message.

use crate::Id;

/// What one of our Message-IDs names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OurIds {
    /// The message the email carried; `None` for a plus address's thread id.
    pub message: Option<Id>,
    pub conversation: Id,
}

/// Our Message-ID for the reply `message` in `conversation`, without angle brackets.
pub fn message_id(message: &str, conversation: Id, domain: &str) -> String {
    format!("sb-{message}.c{conversation}@{domain}")
}

/// The plus address of `local@domain` that names `conversation`.
pub fn plus_address(local: &str, conversation: Id, domain: &str) -> String {
    format!("{local}+c{conversation}@{domain}")
}

/// The thread id of an answer sent to a plus address: `address`'s conversation in the form of
/// our Message-IDs; `None` when the address names no conversation.
pub fn plus_address_thread(address: &str) -> Option<String> {
    let (local, domain) = address.trim_matches(['<', '>', ' ']).rsplit_once('@')?;
    let (_, tag) = local.rsplit_once('+')?;
    let conversation = tag.strip_prefix('c').filter(|id| digits(id))?;
    Some(format!("<sb-plus.c{conversation}@{domain}>"))
}

/// What `message_id` names, if it is one of ours (with or without angle brackets).
pub fn parse(message_id: &str) -> Option<OurIds> {
    let local = message_id.trim_matches(['<', '>']).split('@').next()?;
    let (message, conversation) = local.strip_prefix("sb-")?.split_once(".c")?;
    Some(OurIds {
        message: message.parse().ok(),
        conversation: conversation.parse().ok()?,
    })
}

/// The first of our Message-IDs of a message (not a plus thread) that `text` quotes, angle
/// brackets included.
pub fn first_quoted(text: &str) -> Option<&str> {
    text.match_indices("<sb-").find_map(|(at, _)| {
        let id = &text[at..at + text[at..].find('>')? + 1];
        let local = id.trim_matches(['<', '>']).split('@').next()?;
        let (message, conversation) = local.strip_prefix("sb-")?.split_once(".c")?;
        (digits(message)
            && digits(conversation)
            && id.contains('@')
            && !id.contains(char::is_whitespace))
        .then_some(id)
    })
}

fn digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_message_id_names_its_message_and_conversation() {
        let id = message_id("42", 7, "acme.test");
        assert_eq!(id, "sb-42.c7@acme.test");
        let named = OurIds {
            message: Some(42),
            conversation: 7,
        };
        assert_eq!(parse(&id), Some(named));
        assert_eq!(parse(&format!("<{id}>")), Some(named));
        assert_eq!(parse("<CAF=abc@mail.gmail.com>"), None);
    }

    #[test]
    fn a_plus_address_names_its_conversation_and_no_message() {
        let address = plus_address("soporte", 7, "acme.test");
        assert_eq!(address, "soporte+c7@acme.test");
        let thread = plus_address_thread(&format!("<{address}>")).expect("a thread");
        assert_eq!(thread, "<sb-plus.c7@acme.test>");
        assert_eq!(
            parse(&thread),
            Some(OurIds {
                message: None,
                conversation: 7
            })
        );
        assert_eq!(plus_address_thread("soporte+ventas@acme.test"), None);
        assert_eq!(plus_address_thread("soporte@acme.test"), None);
    }

    #[test]
    fn the_first_well_formed_id_quoted_in_a_report_is_found() {
        let report = "Original-Message-ID: <sb-plus.c7@acme.test>\r\n\
                      References: <sb-x.c1@acme.test> <sb-42.c7@acme.test>\r\n";
        assert_eq!(first_quoted(report), Some("<sb-42.c7@acme.test>"));
        assert_eq!(first_quoted("<sb-42.c7 @acme.test>"), None);
    }
}
