use switchboard_model::{ContactRef, Identity, InboundMessage};

use super::*;

fn email(from: &str, id: &str, thread: &[&str]) -> ReadPayload {
    let contact = ContactRef {
        identity: Identity::new("email", from),
        name: None,
        email: None,
        phone: None,
        custom_fields: Default::default(),
    };
    let mut message = InboundMessage::text(contact, id, "hola");
    message.thread = thread.iter().map(|id| id.to_string()).collect();
    ReadPayload::new(vec![message], Default::default())
}

#[test]
fn an_email_follows_one_from_its_sender_or_of_its_thread_and_no_other() {
    let first = email("ana@example.test", "<1@x>", &["<ours@sb>"]);
    assert!(email("ANA@example.test", "<2@x>", &[]).follows(&first));
    assert!(email("luis@example.test", "<3@x>", &["<1@x>"]).follows(&first));
    assert!(email("luis@example.test", "<4@x>", &["<ours@sb>"]).follows(&first));
    assert!(email("luis@example.test", "<1@x>", &[]).follows(&first));
    assert!(!email("luis@example.test", "<5@x>", &["<other@sb>"]).follows(&first));
}
