//! The words of Settings › Contacts (importing a CSV file, exporting every contact) and of a
//! contact's data export and erasure, in English, Spanish and Portuguese (Brazil).

use switchboard_model::RejectReason;

use super::Locale;

/// Every text of contacts in and out of files in one language.
#[derive(Debug, PartialEq)]
pub struct ContactFilesTexts {
    pub import_title: &'static str,
    pub import_help: &'static str,
    pub file: &'static str,
    /// "… {rows} … {rejected} …".
    pub preview_counts: &'static str,
    /// The fields a column may hold: name, email, phone, tags, notes, custom field, none.
    pub fields: [&'static str; 7],
    pub import: &'static str,
    pub importing: &'static str,
    /// "… {created} … {updated} … {unchanged} … {combined} …".
    pub report: &'static str,
    pub rejected: &'static str,
    pub none_rejected: &'static str,
    pub row: &'static str,
    pub reason: &'static str,
    pub value: &'static str,
    pub export_csv: &'static str,
    pub export_data: &'static str,
    pub erase: &'static str,
    /// "… {name} …".
    pub erase_question: &'static str,
    pub erase_for_good: &'static str,
    pub keep: &'static str,
    pub erased: &'static str,
    /// Why a row was refused: an empty row, no name or address, a bad email, a bad phone,
    /// too long, two contacts' addresses, the wrong number of cells.
    pub reasons: [&'static str; 7],
}

impl ContactFilesTexts {
    /// Why a row was refused, in words.
    pub fn reason(&self, reason: RejectReason) -> &'static str {
        let [empty, nothing, email, phone, long, two, cells] = self.reasons;
        match reason {
            RejectReason::EmptyRow => empty,
            RejectReason::NoNameOrAddress => nothing,
            RejectReason::BadEmail => email,
            RejectReason::BadPhone => phone,
            RejectReason::TooLong => long,
            RejectReason::TwoContacts => two,
            RejectReason::WrongCellCount => cells,
        }
    }
}

static EN: ContactFilesTexts = ContactFilesTexts {
    import_title: "Import contacts from a CSV file",
    import_help: "The first line must name the columns. Contacts with the same email or phone are merged; nothing a contact has is overwritten.",
    file: "CSV file",
    preview_counts: "{rows} rows; {rejected} will be rejected.",
    fields: [
        "Name",
        "Email",
        "Phone",
        "Tags",
        "Notes",
        "Custom field",
        "Don't import",
    ],
    import: "Import",
    importing: "Importing…",
    report: "{created} created, {updated} updated, {unchanged} unchanged, {combined} duplicate rows merged.",
    rejected: "Rejected rows",
    none_rejected: "No row was rejected.",
    row: "Row",
    reason: "Reason",
    value: "Value",
    export_csv: "Export CSV",
    export_data: "Export data",
    erase: "Erase contact",
    erase_question: "Erase {name} for good? Their conversations, messages and files are deleted, and removed from search. This cannot be undone.",
    erase_for_good: "Erase for good",
    keep: "Keep",
    erased: "Contact erased.",
    reasons: [
        "Empty row",
        "No name, email or phone",
        "Invalid email",
        "Invalid phone number",
        "Text too long",
        "The email and the phone belong to two different contacts",
        "Wrong number of cells",
    ],
};

static ES: ContactFilesTexts = ContactFilesTexts {
    import_title: "Importar contactos desde un archivo CSV",
    import_help: "La primera línea debe nombrar las columnas. Los contactos con el mismo correo o teléfono se combinan; no se sobrescribe nada de lo que ya tiene un contacto.",
    file: "Archivo CSV",
    preview_counts: "{rows} filas; se rechazarán {rejected}.",
    fields: [
        "Nombre",
        "Correo",
        "Teléfono",
        "Etiquetas",
        "Notas",
        "Campo personalizado",
        "No importar",
    ],
    import: "Importar",
    importing: "Importando…",
    report: "{created} creados, {updated} actualizados, {unchanged} sin cambios, {combined} filas duplicadas combinadas.",
    rejected: "Filas rechazadas",
    none_rejected: "No se rechazó ninguna fila.",
    row: "Fila",
    reason: "Motivo",
    value: "Valor",
    export_csv: "Exportar CSV",
    export_data: "Exportar datos",
    erase: "Borrar contacto",
    erase_question: "¿Borrar a {name} definitivamente? Se eliminan sus conversaciones, mensajes y archivos, también de la búsqueda. No se puede deshacer.",
    erase_for_good: "Borrar definitivamente",
    keep: "Conservar",
    erased: "Contacto borrado.",
    reasons: [
        "Fila vacía",
        "Sin nombre, correo ni teléfono",
        "Correo no válido",
        "Teléfono no válido",
        "Texto demasiado largo",
        "El correo y el teléfono son de dos contactos distintos",
        "Número de celdas incorrecto",
    ],
};

static PT_BR: ContactFilesTexts = ContactFilesTexts {
    import_title: "Importar contatos de um arquivo CSV",
    import_help: "A primeira linha deve nomear as colunas. Contatos com o mesmo e-mail ou telefone são mesclados; nada do que um contato já tem é sobrescrito.",
    file: "Arquivo CSV",
    preview_counts: "{rows} linhas; {rejected} serão rejeitadas.",
    fields: [
        "Nome",
        "E-mail",
        "Telefone",
        "Etiquetas",
        "Observações",
        "Campo personalizado",
        "Não importar",
    ],
    import: "Importar",
    importing: "Importando…",
    report: "{created} criados, {updated} atualizados, {unchanged} sem alterações, {combined} linhas duplicadas mescladas.",
    rejected: "Linhas rejeitadas",
    none_rejected: "Nenhuma linha foi rejeitada.",
    row: "Linha",
    reason: "Motivo",
    value: "Valor",
    export_csv: "Exportar CSV",
    export_data: "Exportar dados",
    erase: "Apagar contato",
    erase_question: "Apagar {name} definitivamente? As conversas, mensagens e arquivos dessa pessoa são excluídos, inclusive da busca. Não é possível desfazer.",
    erase_for_good: "Apagar definitivamente",
    keep: "Manter",
    erased: "Contato apagado.",
    reasons: [
        "Linha vazia",
        "Sem nome, e-mail nem telefone",
        "E-mail inválido",
        "Telefone inválido",
        "Texto longo demais",
        "O e-mail e o telefone são de dois contatos diferentes",
        "Número de células incorreto",
    ],
};

pub fn contact_files_texts(locale: Locale) -> &'static ContactFilesTexts {
    match locale {
        Locale::En => &EN,
        Locale::Es => &ES,
        Locale::PtBr => &PT_BR,
    }
}
