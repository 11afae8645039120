//! An SMS as events, whatever the provider: the sender known by their number in E.164, and an
//! opt-out or opt-in keyword noted as the contact's reachability besides the message itself.

use switchboard_channel_sdk::{
    Attachment, Contact, Error, Event, Identity, Message, Reachability, within_text_limit,
};

use crate::keywords::{Keyword, keyword};
use crate::phone::e164;

pub fn sms_events(
    from: &str,
    id: &str,
    text: &str,
    attachments: Vec<Attachment>,
) -> Result<Vec<Event>, Error> {
    let number =
        e164(from).ok_or_else(|| Error::Malformed(format!("{from:?} is not a phone number")))?;
    let identity = Identity::new("phone", &number);
    let mut contact = Contact::known_as(identity.clone());
    contact.phone = Some(number);
    let mut message = Message::text(contact, id, &within_text_limit(text.to_string()));
    message.attachments = attachments;
    let mut events = vec![Event::Message(message)];
    match keyword(text) {
        Some(Keyword::OptOut) => events.push(Event::Reachability(Reachability {
            contact: identity,
            reachable: false,
            reason: Some(format!(
                "the contact texted {} to stop messages from this number",
                text.trim()
            )),
        })),
        Some(Keyword::OptIn) => events.push(Event::Reachability(Reachability {
            contact: identity,
            reachable: true,
            reason: Some(format!(
                "the contact texted {} to receive messages again",
                text.trim()
            )),
        })),
        None => {}
    }
    Ok(events)
}
