//! Contacts from a spreadsheet and back: which field each column holds (guessed from its header
//! in English, Spanish or Portuguese), each row read with the reason it is refused, rows of one
//! person (the same email address or phone number) combined, what a row adds to a contact
//! already stored, and cells guarded against formulas when written out. Pure rules: reading and
//! writing the CSV text is the services' work.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod combining;

pub use combining::combine;

use crate::is_email_address;

/// What one column of the file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "field", content = "name", rename_all = "snake_case")]
pub enum ContactColumn {
    /// Part of the name: several name columns (first name, last name) are joined by a space.
    Name,
    /// One or more email addresses, separated by commas, semicolons or spaces.
    Email,
    /// One or more phone numbers, separated by commas, semicolons or slashes.
    Phone,
    /// Tags, separated by commas, semicolons or bars.
    Tags,
    Notes,
    /// A custom field of this name.
    Custom(String),
    /// Left out.
    Ignore,
}

/// Why a row of the file was not imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// Every cell is blank.
    EmptyRow,
    /// Neither a name, nor an email address, nor a phone number.
    NoNameOrAddress,
    BadEmail,
    BadPhone,
    /// A cell is longer than its field takes.
    TooLong,
    /// Its email address and phone number belong to two different contacts (of the file, or
    /// stored), which the import does not merge.
    TwoContacts,
    /// The row has more or fewer cells than the header.
    WrongCellCount,
}

/// A row that was not imported: its number as a spreadsheet shows it (the header is row 1),
/// why, and the cell at fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RejectedRow {
    pub row: usize,
    pub reason: RejectReason,
    pub value: String,
}

/// One contact as the file describes it (one row, or several rows of one person).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportedContact {
    /// The rows it was read from.
    pub rows: Vec<usize>,
    /// Its name, empty when the file gave none.
    pub name: String,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub tags: Vec<String>,
    pub custom_fields: BTreeMap<String, String>,
    pub notes: String,
}

/// The longest name, tag, custom field's name and value, and notes a row may hold.
const NAME_CHARS: usize = 200;
const TAG_CHARS: usize = 50;
const FIELD_NAME_CHARS: usize = 64;
const FIELD_VALUE_CHARS: usize = 1_000;
const NOTES_CHARS: usize = 10_000;

/// A header folded for comparison: lower case, no accents, letters and digits only.
fn fold(header: &str) -> String {
    crate::text::folded(header)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// The field a column holds, guessed from its header in English, Spanish or Portuguese; a
/// header it does not know is a custom field of that name, a blank one is left out.
pub fn guess_column(header: &str) -> ContactColumn {
    const NAMES: [&str; 16] = [
        "name",
        "fullname",
        "firstname",
        "lastname",
        "surname",
        "contact",
        "nombre",
        "nombrecompleto",
        "apellido",
        "apellidos",
        "contacto",
        "nome",
        "nomecompleto",
        "sobrenome",
        "contato",
        "cliente",
    ];
    const EMAILS: [&str; 8] = [
        "email",
        "emails",
        "mail",
        "emailaddress",
        "correo",
        "correoelectronico",
        "correos",
        "enderecodeemail",
    ];
    const PHONES: [&str; 14] = [
        "phone",
        "phones",
        "phonenumber",
        "telephone",
        "mobile",
        "cell",
        "tel",
        "telefono",
        "celular",
        "movil",
        "whatsapp",
        "telefone",
        "fone",
        "numero",
    ];
    const TAGS: [&str; 6] = [
        "tags",
        "tag",
        "labels",
        "etiquetas",
        "etiqueta",
        "marcadores",
    ];
    const NOTES: [&str; 8] = [
        "notes",
        "note",
        "notas",
        "nota",
        "observaciones",
        "observacoes",
        "comentarios",
        "comments",
    ];
    let folded = fold(header);
    if folded.is_empty() {
        ContactColumn::Ignore
    } else if NAMES.contains(&folded.as_str()) {
        ContactColumn::Name
    } else if EMAILS.contains(&folded.as_str()) {
        ContactColumn::Email
    } else if PHONES.contains(&folded.as_str()) {
        ContactColumn::Phone
    } else if TAGS.contains(&folded.as_str()) {
        ContactColumn::Tags
    } else if NOTES.contains(&folded.as_str()) {
        ContactColumn::Notes
    } else {
        ContactColumn::Custom(header.trim().chars().take(FIELD_NAME_CHARS).collect())
    }
}

/// The field each column holds, guessed from the headers ([`guess_column`]); a field an earlier
/// column took already makes a later column a custom field of its header (a `Nota` custom field
/// after `notes`), but for the parts of a name.
pub fn guess_mapping(headers: &[String]) -> Vec<ContactColumn> {
    let mut mapping: Vec<ContactColumn> = Vec::with_capacity(headers.len());
    for header in headers {
        let guessed = guess_column(header);
        let taken = guessed != ContactColumn::Name && mapping.contains(&guessed);
        mapping.push(match guessed {
            ContactColumn::Custom(_) | ContactColumn::Ignore => guessed,
            _ if taken => {
                ContactColumn::Custom(header.trim().chars().take(FIELD_NAME_CHARS).collect())
            }
            _ => guessed,
        });
    }
    mapping
}

/// Whether `text` is a phone number as an import takes one: digits with spaces, dashes, dots,
/// brackets and one leading `+`, 6 to 15 digits (E.164's most).
pub fn is_phone_number(text: &str) -> bool {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let body = text.strip_prefix('+').unwrap_or(text);
    (6..=15).contains(&digits)
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'))
}

/// The characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell as written to a CSV file: one a spreadsheet would run as a formula gets a leading
/// apostrophe, so it reads as text (OWASP's CSV injection advice).
pub fn guard_cell(text: &str) -> String {
    if text.starts_with(FORMULA_STARTS) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// A cell as read from a CSV file: the apostrophe [`guard_cell`] added is taken off again.
pub fn unguard_cell(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => text,
    }
}

/// Reads row number `row` of the file, whose cells the columns of `mapping` describe.
pub fn read_row(
    row: usize,
    cells: &[String],
    mapping: &[ContactColumn],
) -> Result<ImportedContact, RejectedRow> {
    let reject = |reason, value: &str| RejectedRow {
        row,
        reason,
        value: value.chars().take(200).collect(),
    };
    if cells.iter().all(|cell| cell.trim().is_empty()) {
        return Err(reject(RejectReason::EmptyRow, ""));
    }
    if cells.len() != mapping.len() {
        return Err(reject(
            RejectReason::WrongCellCount,
            &format!("{} / {}", cells.len(), mapping.len()),
        ));
    }
    let mut contact = ImportedContact {
        rows: vec![row],
        ..ImportedContact::default()
    };
    let mut name_parts = Vec::new();
    for (cell, column) in cells.iter().zip(mapping) {
        let cell = unguard_cell(cell.trim()).trim();
        if cell.is_empty() {
            continue;
        }
        let too_long = |limit: usize| cell.chars().count() > limit;
        match column {
            ContactColumn::Ignore => {}
            ContactColumn::Name if too_long(NAME_CHARS) => {
                return Err(reject(RejectReason::TooLong, cell));
            }
            ContactColumn::Name => name_parts.push(cell),
            ContactColumn::Email => {
                for email in split(cell, &[',', ';', ' ']) {
                    if !is_email_address(email) {
                        return Err(reject(RejectReason::BadEmail, email));
                    }
                    add(&mut contact.emails, email.to_lowercase());
                }
            }
            ContactColumn::Phone => {
                for phone in split(cell, &[',', ';', '/']) {
                    if !is_phone_number(phone) {
                        return Err(reject(RejectReason::BadPhone, phone));
                    }
                    add(&mut contact.phones, phone.to_string());
                }
            }
            ContactColumn::Tags => {
                for tag in split(cell, &[',', ';', '|']) {
                    if tag.chars().count() > TAG_CHARS {
                        return Err(reject(RejectReason::TooLong, tag));
                    }
                    add(&mut contact.tags, tag.to_lowercase());
                }
            }
            ContactColumn::Notes if too_long(NOTES_CHARS) => {
                return Err(reject(RejectReason::TooLong, cell));
            }
            ContactColumn::Notes => contact.notes = cell.to_string(),
            ContactColumn::Custom(field) if too_long(FIELD_VALUE_CHARS) => {
                return Err(reject(RejectReason::TooLong, field));
            }
            ContactColumn::Custom(field) => {
                contact
                    .custom_fields
                    .insert(field.clone(), cell.to_string());
            }
        }
    }
    contact.name = name_parts.join(" ");
    if contact.name.chars().count() > NAME_CHARS {
        return Err(reject(RejectReason::TooLong, &contact.name));
    }
    if contact.name.is_empty() && contact.emails.is_empty() && contact.phones.is_empty() {
        return Err(reject(RejectReason::NoNameOrAddress, ""));
    }
    Ok(contact)
}

fn split<'a>(cell: &'a str, separators: &'a [char]) -> impl Iterator<Item = &'a str> {
    cell.split(separators)
        .map(str::trim)
        .filter(|part| !part.is_empty())
}

pub(crate) fn add(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(row: &[&str]) -> Vec<String> {
        row.iter().map(|cell| cell.to_string()).collect()
    }

    #[test]
    fn headers_in_three_languages_name_their_fields() {
        let guessed: Vec<ContactColumn> = [
            "Nombre",
            "Apellido",
            "Correo electrónico",
            "Teléfono",
            "Nome",
            "E-mail",
            "Telefone",
            "Etiquetas",
            "Observações",
            "Plan",
            " ",
        ]
        .iter()
        .map(|header| guess_column(header))
        .collect();
        use ContactColumn::*;
        let exported: Vec<String> = ["name", "email", "phone", "tags", "notes", "Nota", "Correo"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            guess_mapping(&exported)[4..],
            [Notes, Custom("Nota".into()), Custom("Correo".into())]
        );
        assert_eq!(
            guessed,
            [
                Name,
                Name,
                Email,
                Phone,
                Name,
                Email,
                Phone,
                Tags,
                Notes,
                Custom("Plan".into()),
                Ignore
            ]
        );
    }

    #[test]
    fn a_row_is_read_or_refused_naming_the_cell() {
        use ContactColumn::*;
        let mapping = [Name, Name, Email, Phone, Tags, Custom("Plan".into())];
        let read = read_row(
            2,
            &cells(&[
                "Ana",
                "Pérez",
                "ANA@x.co; ana2@x.co",
                "'+57 300 123 4567",
                "vip, vip",
                "oro",
            ]),
            &mapping,
        )
        .expect("a good row");
        assert_eq!(read.name, "Ana Pérez");
        assert_eq!(read.emails, ["ana@x.co", "ana2@x.co"]);
        assert_eq!(read.phones, ["+57 300 123 4567"]);
        assert_eq!(read.tags, ["vip"]);
        assert_eq!(read.custom_fields["Plan"], "oro");
        for (row, reason, value) in [
            (["", "", "", "", "", ""], RejectReason::EmptyRow, ""),
            (
                ["Ana", "", "ana@", "", "", ""],
                RejectReason::BadEmail,
                "ana@",
            ),
            (
                ["Ana", "", "", "12ab", "", ""],
                RejectReason::BadPhone,
                "12ab",
            ),
            (
                ["", "", "", "", "vip", ""],
                RejectReason::NoNameOrAddress,
                "",
            ),
        ] {
            let refused = read_row(7, &cells(&row), &mapping).expect_err("a bad row");
            assert_eq!((refused.row, refused.reason), (7, reason), "{row:?}");
            assert_eq!(refused.value, value);
        }
        let short = read_row(3, &cells(&["Ana"]), &mapping).expect_err("one cell");
        assert_eq!(short.reason, RejectReason::WrongCellCount);
    }

    #[test]
    fn formulas_are_guarded_on_the_way_out_and_read_back_as_written() {
        for text in ["=HYPERLINK(\"x\")", "+57 300", "-1", "@SUM(A1)"] {
            let guarded = guard_cell(text);
            assert!(guarded.starts_with('\''), "{guarded}");
            assert_eq!(unguard_cell(&guarded), text);
        }
        assert_eq!(guard_cell("Ana"), "Ana");
        assert_eq!(unguard_cell("'quoted"), "'quoted");
    }
}
