//! One person in a file and in the store: rows sharing an email address or phone number are
//! combined, and what an imported contact adds to a stored one.

use std::collections::HashMap;

use super::{ImportedContact, RejectReason, RejectedRow, add};
use crate::{Contact, Identity};

impl ImportedContact {
    /// The identities it is found by: its email addresses and phone numbers, normalized.
    pub fn identities(&self) -> Vec<Identity> {
        let emails = self
            .emails
            .iter()
            .map(|email| Identity::new("email", email));
        let phones = self
            .phones
            .iter()
            .map(|phone| Identity::new("phone", phone));
        emails.chain(phones).map(|id| id.normalized()).collect()
    }

    /// Takes in what a later row of the same person adds: addresses, tags, the custom fields
    /// and notes it lacked, a name if it had none.
    fn absorb(&mut self, later: ImportedContact) {
        self.rows.extend(later.rows);
        if self.name.is_empty() {
            self.name = later.name;
        }
        for email in later.emails {
            add(&mut self.emails, email);
        }
        for phone in later.phones {
            add(&mut self.phones, phone);
        }
        for tag in later.tags {
            add(&mut self.tags, tag);
        }
        for (field, value) in later.custom_fields {
            self.custom_fields.entry(field).or_insert(value);
        }
        if self.notes.is_empty() {
            self.notes = later.notes;
        }
    }

    /// The contact `existing` becomes with what this adds, or `None` when it adds nothing: the
    /// addresses, phones, tags and custom fields it lacked, and a name if it had none of its
    /// own; nothing it holds is overwritten.
    pub fn added_to(&self, existing: &Contact) -> Option<Contact> {
        let mut merged = existing.clone();
        if !self.name.is_empty() && existing.unnamed() {
            merged.name = self.name.clone();
        }
        let known = |list: &[String], item: &str, kind: &str| {
            let item = Identity::new(kind, item).normalized().value;
            list.iter()
                .any(|held| Identity::new(kind, held).normalized().value == item)
        };
        for email in &self.emails {
            if !known(&merged.emails, email, "email") {
                merged.emails.push(email.clone());
            }
        }
        for phone in &self.phones {
            if !known(&merged.phones, phone, "phone") {
                merged.phones.push(phone.clone());
            }
        }
        for tag in &self.tags {
            add(&mut merged.tags, tag.clone());
        }
        for (field, value) in &self.custom_fields {
            merged
                .custom_fields
                .entry(field.clone())
                .or_insert_with(|| value.clone());
        }
        if merged.notes.is_empty() {
            merged.notes = self.notes.clone();
        }
        (merged != *existing).then_some(merged)
    }

    /// Its name, or else its first address: a contact is never nameless.
    pub fn name_or_address(&self) -> String {
        [&self.name]
            .into_iter()
            .chain(&self.emails)
            .chain(&self.phones)
            .find(|text| !text.is_empty())
            .cloned()
            .unwrap_or_default()
    }
}

/// The contacts of a file's rows, in their order: rows sharing an email address or phone number
/// are one person, combined into the first; a row whose addresses are two people's is
/// rejected. Answers the contacts, the rows combined into an earlier one, and the rejections.
pub fn combine(rows: Vec<ImportedContact>) -> (Vec<ImportedContact>, usize, Vec<RejectedRow>) {
    let mut contacts: Vec<ImportedContact> = Vec::new();
    let mut owner: HashMap<Identity, usize> = HashMap::new();
    let (mut combined, mut rejected) = (0, Vec::new());
    for row in rows {
        let identities = row.identities();
        let mut matches: Vec<usize> = identities
            .iter()
            .filter_map(|identity| owner.get(identity).copied())
            .collect();
        matches.sort_unstable();
        matches.dedup();
        let index = match matches[..] {
            [] => {
                contacts.push(row);
                contacts.len() - 1
            }
            [earlier] => {
                contacts[earlier].absorb(row);
                combined += 1;
                earlier
            }
            _ => {
                rejected.push(RejectedRow {
                    row: row.rows[0],
                    reason: RejectReason::TwoContacts,
                    value: [row.emails.join(" "), row.phones.join(" ")].join(" "),
                });
                continue;
            }
        };
        for identity in identities {
            owner.entry(identity).or_insert(index);
        }
    }
    (contacts, combined, rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_of_one_person_combine_and_a_row_of_two_is_refused() {
        let row = |n: usize, email: &str, phone: &str| ImportedContact {
            rows: vec![n],
            name: format!("row {n}"),
            emails: (!email.is_empty())
                .then(|| email.to_string())
                .into_iter()
                .collect(),
            phones: (!phone.is_empty())
                .then(|| phone.to_string())
                .into_iter()
                .collect(),
            ..ImportedContact::default()
        };
        let (contacts, combined, rejected) = combine(vec![
            row(2, "ana@x.co", ""),
            row(3, "", "+57 300 1234567"),
            row(4, "ANA@x.co", "+55 11 99999 0000"),
            row(5, "ana@x.co", "+573001234567"),
        ]);
        assert_eq!(contacts.len(), 2);
        assert_eq!(contacts[0].rows, [2, 4]);
        assert_eq!(contacts[0].phones, ["+55 11 99999 0000"]);
        assert_eq!(combined, 1);
        assert_eq!(rejected.len(), 1);
        assert_eq!(
            (rejected[0].row, rejected[0].reason),
            (5, RejectReason::TwoContacts)
        );
    }
}
