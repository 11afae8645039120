//! Contacts in and out of files: a CSV file previewed and imported (the rules of reading a row
//! and combining rows are `switchboard_model`'s), all contacts exported to CSV with formulas
//! guarded, and one contact's data gathered for them (LGPD's and GDPR's right of access).
//! Erasing a contact is one store step (`Store::erase_contact`).

use std::collections::BTreeSet;

use switchboard_model::{
    ContactColumn, ContactData, ConversationData, ConversationFilter, ConversationSort,
    ExportedAttachment, Id, ImportFile, ImportPreview, ImportReport, RejectReason, RejectedRow,
    combine, guard_cell, guess_mapping, now_millis, read_row,
};
use switchboard_store::{ImportOutcome, Store};

use crate::{Fault, FaultKind, ServiceResult};

/// The largest file an import takes, in bytes.
pub const MAX_IMPORT_BYTES: usize = 5 * 1024 * 1024;
/// The most rows an import takes.
pub const MAX_IMPORT_ROWS: usize = 10_000;
/// The most columns a file may have.
const MAX_COLUMNS: usize = 100;
/// Rows a preview shows.
const SAMPLE_ROWS: usize = 5;
/// Records read per page.
const PAGE: usize = 200;

/// A CSV file read: its header and each row with the line it starts on.
struct Table {
    headers: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
}

fn invalid(message: String) -> Fault {
    Fault::new(FaultKind::Invalid, "invalid_csv", message).on_field("csv")
}

/// The separator of the cells: the one of `;`, `,` and tab the header holds most of
/// (spreadsheets in Spanish and Portuguese write `;`).
fn separator(header: &str) -> u8 {
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|separator| header.bytes().filter(|byte| byte == separator).count())
        .unwrap_or(b',')
}

/// Reads the file, refusing one too large, without a header or with too many rows.
fn read_table(text: &str) -> ServiceResult<Table> {
    if text.len() > MAX_IMPORT_BYTES {
        return Err(Fault::new(
            FaultKind::TooLarge,
            "file_too_large",
            format!(
                "the file is {} bytes; an import takes at most {MAX_IMPORT_BYTES} bytes (5 MB): split it",
                text.len()
            ),
        )
        .on_field("csv"));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let header = text.lines().next().unwrap_or_default();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator(header))
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|error| invalid(format!("the file's header cannot be read: {error}")))?
        .iter()
        .map(|cell| cell.trim().to_string())
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(invalid(
            "the file has no header: its first line must name the columns".into(),
        ));
    }
    if headers.len() > MAX_COLUMNS {
        return Err(invalid(format!(
            "the file has {} columns; an import takes at most {MAX_COLUMNS}",
            headers.len()
        )));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record =
            record.map_err(|error| invalid(format!("the file cannot be read: {error}")))?;
        if rows.len() == MAX_IMPORT_ROWS {
            return Err(Fault::new(
                FaultKind::TooLarge,
                "too_many_rows",
                format!(
                    "the file has more than {MAX_IMPORT_ROWS} rows; import at most {MAX_IMPORT_ROWS} at a time"
                ),
            )
            .on_field("csv"));
        }
        let line = record.position().map_or(0, |at| at.line() as usize);
        rows.push((line, record.iter().map(str::to_string).collect()));
    }
    Ok(Table { headers, rows })
}

/// The mapping given, or the one the headers suggest; one of another length is refused.
fn mapping_for(
    table: &Table,
    given: Option<Vec<ContactColumn>>,
) -> ServiceResult<Vec<ContactColumn>> {
    let mapping = given.unwrap_or_else(|| guess_mapping(&table.headers));
    if mapping.len() != table.headers.len() {
        return Err(Fault::new(
            FaultKind::Invalid,
            "invalid_mapping",
            format!(
                "`mapping` describes {} columns; the file has {}",
                mapping.len(),
                table.headers.len()
            ),
        )
        .on_field("mapping"));
    }
    Ok(mapping)
}

/// Reads every row, then combines rows of one person: the contacts, how many rows were
/// combined, and the rows refused.
fn contacts_of(
    table: Table,
    mapping: &[ContactColumn],
) -> (
    Vec<switchboard_model::ImportedContact>,
    usize,
    Vec<RejectedRow>,
) {
    let mut read = Vec::new();
    let mut rejected = Vec::new();
    for (line, cells) in &table.rows {
        match read_row(*line, cells, mapping) {
            Ok(contact) => read.push(contact),
            Err(refused) => rejected.push(refused),
        }
    }
    let (contacts, combined, refused) = combine(read);
    rejected.extend(refused);
    (contacts, combined, rejected)
}

/// What importing `file` would do, without storing anything.
pub fn preview(file: ImportFile) -> ServiceResult<ImportPreview> {
    let table = read_table(&file.csv)?;
    let mapping = mapping_for(&table, file.mapping)?;
    let sample = table
        .rows
        .iter()
        .take(SAMPLE_ROWS)
        .map(|(_, row)| row.clone())
        .collect();
    let (headers, rows) = (table.headers.clone(), table.rows.len());
    let (_, _, rejected) = contacts_of(table, &mapping);
    Ok(ImportPreview {
        headers,
        mapping,
        sample,
        rows,
        rejected: rejected.len(),
    })
}

/// Imports `file` into the workspace: new people are created, stored ones gain what the file
/// adds; answers the report, every refused row with why.
pub async fn import(
    store: &dyn Store,
    workspace_id: Id,
    file: ImportFile,
) -> ServiceResult<ImportReport> {
    let table = read_table(&file.csv)?;
    let mapping = mapping_for(&table, file.mapping)?;
    let rows = table.rows.len();
    let (contacts, combined, mut rejected) = contacts_of(table, &mapping);
    let described: Vec<(Vec<usize>, String)> = contacts
        .iter()
        .map(|c| {
            (
                c.rows.clone(),
                [c.emails.join(" "), c.phones.join(" ")].join(" "),
            )
        })
        .collect();
    let outcomes = store.import_contacts(workspace_id, contacts).await?;
    let mut report = ImportReport {
        rows,
        combined,
        ..ImportReport::default()
    };
    for (outcome, (rows, addresses)) in outcomes.into_iter().zip(described) {
        match outcome {
            ImportOutcome::Created(_) => report.created += 1,
            ImportOutcome::Updated(_) => report.updated += 1,
            ImportOutcome::Unchanged(_) => report.unchanged += 1,
            ImportOutcome::TwoContacts(_) => {
                rejected.extend(rows.into_iter().map(|row| RejectedRow {
                    row,
                    reason: RejectReason::TwoContacts,
                    value: addresses.trim().to_string(),
                }));
            }
        }
    }
    rejected.sort_by_key(|refused| refused.row);
    report.rejected = rejected;
    Ok(report)
}

/// Every contact of the workspace as CSV: name, email, phone, tags, notes and a column per
/// custom field; a file [`import`] reads back as it was.
pub async fn export_csv(store: &dyn Store, workspace_id: Id) -> ServiceResult<String> {
    let mut contacts = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.contacts(workspace_id, None, cursor, PAGE).await?;
        contacts.extend(page.items);
        match page.next_cursor.and_then(|next| next.parse().ok()) {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    contacts.reverse();
    let fields: BTreeSet<&String> = contacts
        .iter()
        .flat_map(|c| c.custom_fields.keys())
        .collect();
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = ["name", "email", "phone", "tags", "notes"]
        .into_iter()
        .map(str::to_string)
        .chain(fields.iter().map(|field| guard_cell(field)));
    let written =
        |error: csv::Error| Fault::internal(format!("the CSV could not be written: {error}"));
    writer.write_record(header).map_err(written)?;
    for contact in &contacts {
        let cells = [
            contact.name.clone(),
            contact.emails.join("; "),
            contact.phones.join("; "),
            contact.tags.join(", "),
            contact.notes.clone(),
        ]
        .into_iter()
        .chain(fields.iter().map(|field| {
            contact
                .custom_fields
                .get(*field)
                .cloned()
                .unwrap_or_default()
        }));
        writer
            .write_record(cells.map(|cell| guard_cell(&cell)))
            .map_err(written)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|error| Fault::internal(format!("the CSV could not be written: {error}")))?;
    String::from_utf8(bytes).map_err(|error| Fault::internal(error.to_string()))
}

/// Everything the workspace holds about one contact: the contact, its conversations with
/// their messages, and the files they carry.
pub async fn contact_data(
    store: &dyn Store,
    workspace_id: Id,
    id: Id,
) -> ServiceResult<ContactData> {
    let contact = store.contact(workspace_id, id).await?;
    let mut filter = ConversationFilter {
        contact_id: Some(id),
        sort: Some(ConversationSort::Newest),
        limit: Some(PAGE as u32),
        ..ConversationFilter::default()
    };
    let mut conversations = Vec::new();
    let mut attachments = Vec::new();
    loop {
        let page = store.conversations(workspace_id, &filter).await?;
        for conversation in page.items {
            let messages = store.all_messages(workspace_id, conversation.id).await?;
            for message in &messages {
                attachments.extend(message.attachments.iter().map(|file| ExportedAttachment {
                    conversation_id: conversation.id,
                    message_id: message.id,
                    name: file.name.clone(),
                    media_type: file.media_type.clone(),
                    size: file.size,
                    sha256: file.sha256.clone(),
                    url: format!("/api/v1/attachments/{}", file.sha256),
                }));
            }
            conversations.push(ConversationData {
                conversation,
                messages,
            });
        }
        match page.next_cursor {
            Some(next) => filter.cursor = Some(next),
            None => break,
        }
    }
    Ok(ContactData {
        exported_at: now_millis(),
        contact,
        conversations,
        attachments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spanish_spreadsheet_with_semicolons_is_read_with_its_lines() {
        let text = "\u{feff}Nombre;Correo;Teléfono\nAna;ana@x.co;+57 300 1234567\n\n\"Luis\nPérez\";luis@x.co;\n";
        let table = read_table(text).expect("read");
        assert_eq!(table.headers, ["Nombre", "Correo", "Teléfono"]);
        assert_eq!(table.rows.len(), 2);
        assert_eq!(table.rows[0].0, 2);
        assert_eq!(table.rows[1].1[0], "Luis\nPérez");
    }

    #[test]
    fn files_too_large_or_too_long_are_refused_naming_the_limit() {
        let big = "a".repeat(MAX_IMPORT_BYTES + 1);
        let refused = read_table(&big).err().expect("too large");
        assert_eq!(refused.code, "file_too_large");
        let long = format!("name\n{}", "Ana\n".repeat(MAX_IMPORT_ROWS + 1));
        let refused = read_table(&long).err().expect("too many rows");
        assert_eq!(refused.code, "too_many_rows");
        assert!(refused.message.contains("10000"), "{}", refused.message);
    }
}
