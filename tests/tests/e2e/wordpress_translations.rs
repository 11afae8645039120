//! The WordPress plugin's translations, checked without WordPress: each committed `.mo` holds
//! every translation of its `.po`, the `.po` files translate every string of the `.pot` and the
//! `.pot` every string of the PHP, every Spanish and Portuguese locale WordPress offers reaches a
//! shipped file through the plugin's fallback table, and the install guides name the settings
//! page and its fields exactly as the plugin shows them in each language.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, bail, ensure};
use switchboard_e2e::workspace_root;

fn plugin_dir() -> PathBuf {
    workspace_root().join("www/wordpress/switchboard-chat")
}

fn read(path: &std::path::Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// The text of one quoted `.po` string (without its quotes), with its escapes resolved.
fn po_unquote(line: &str) -> anyhow::Result<String> {
    let inner = line
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .with_context(|| format!("not a quoted .po string: {line}"))?;
    let mut text = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            text.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => text.push('\n'),
            Some('t') => text.push('\t'),
            Some('"') => text.push('"'),
            Some('\\') => text.push('\\'),
            other => bail!("unknown escape \\{other:?} in {line}"),
        }
    }
    Ok(text)
}

/// The entries of a `.po` or `.pot` file, msgid → msgstr, without the header (empty msgid).
/// A fuzzy entry is an error: msgfmt leaves it out of the `.mo`.
fn parse_po(text: &str) -> anyhow::Result<BTreeMap<String, String>> {
    #[derive(PartialEq)]
    enum Field {
        None,
        Id,
        Str,
    }
    let mut entries = BTreeMap::new();
    let (mut id, mut translation, mut field) = (String::new(), String::new(), Field::None);
    let mut finish = |id: &mut String, translation: &mut String| {
        if !id.is_empty() {
            entries.insert(std::mem::take(id), std::mem::take(translation));
        }
        id.clear();
        translation.clear();
    };
    for line in text.lines().map(str::trim) {
        if line.starts_with("#,") && line.contains("fuzzy") {
            bail!("a fuzzy entry (msgfmt leaves it out): {line}");
        } else if let Some(rest) = line.strip_prefix("msgid ") {
            finish(&mut id, &mut translation);
            id = po_unquote(rest)?;
            field = Field::Id;
        } else if let Some(rest) = line.strip_prefix("msgstr ") {
            translation = po_unquote(rest)?;
            field = Field::Str;
        } else if line.starts_with('"') {
            match field {
                Field::Id => id.push_str(&po_unquote(line)?),
                Field::Str => translation.push_str(&po_unquote(line)?),
                Field::None => bail!("a string outside an entry: {line}"),
            }
        } else if line.starts_with("msgid_plural") || line.starts_with("msgctxt") {
            bail!("plurals and contexts are not handled by this check: {line}");
        }
    }
    finish(&mut id, &mut translation);
    Ok(entries)
}

/// The messages of a GNU `.mo` file, original → translation: a magic number (which also tells
/// the byte order), a revision, the number of strings, and two tables of (length, offset)
/// pairs, one for the originals and one for the translations.
fn parse_mo(bytes: &[u8]) -> anyhow::Result<BTreeMap<String, String>> {
    let word_at = |at: usize, little: bool| -> anyhow::Result<usize> {
        let word: [u8; 4] = bytes
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .with_context(|| format!("the .mo file ends before byte {}", at + 4))?;
        Ok(if little {
            u32::from_le_bytes(word)
        } else {
            u32::from_be_bytes(word)
        } as usize)
    };
    let little = match word_at(0, true)? {
        0x9504_12de => true,
        0xde12_0495 => false,
        magic => bail!("not a .mo file (magic {magic:#x})"),
    };
    ensure!(word_at(4, little)? >> 16 == 0, "unknown .mo major revision");
    let count = word_at(8, little)?;
    let (originals, translations) = (word_at(12, little)?, word_at(16, little)?);
    let string_at = |table: usize, index: usize| -> anyhow::Result<String> {
        let length = word_at(table + index * 8, little)?;
        let offset = word_at(table + index * 8 + 4, little)?;
        let raw = bytes
            .get(offset..offset + length)
            .with_context(|| format!("string {index} lies outside the .mo file"))?;
        Ok(String::from_utf8(raw.to_vec())?)
    };
    (0..count)
        .map(|index| {
            Ok((
                string_at(originals, index)?,
                string_at(translations, index)?,
            ))
        })
        .collect()
}

/// The locales with a shipped `.po`, read from the `languages/` folder.
fn shipped_locales() -> anyhow::Result<Vec<String>> {
    let mut locales = Vec::new();
    for entry in std::fs::read_dir(plugin_dir().join("languages"))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Some(locale) = name
            .strip_prefix("switchboard-chat-")
            .and_then(|rest| rest.strip_suffix(".po"))
        {
            locales.push(locale.to_owned());
        }
    }
    locales.sort();
    Ok(locales)
}

/// The translations WordPress reads for a shipped locale: its `.mo` file.
fn mo_of(locale: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let path = plugin_dir()
        .join("languages")
        .join(format!("switchboard-chat-{locale}.mo"));
    let bytes = std::fs::read(&path).with_context(|| {
        format!(
            "reading {} (compile it: msgfmt -o {0} {})",
            path.display(),
            path.with_extension("po").display()
        )
    })?;
    parse_mo(&bytes).with_context(|| format!("parsing {}", path.display()))
}

/// Every single-quoted string the PHP passes to a translation function of the plugin's domain.
fn php_strings(php: &str) -> anyhow::Result<Vec<String>> {
    let mut found = Vec::new();
    for opening in ["__( '", "_e( '"] {
        for (at, _) in php.match_indices(opening) {
            let mut text = String::new();
            let mut chars = php[at + opening.len()..].chars();
            loop {
                match chars.next().context("an unterminated PHP string")? {
                    '\\' => match chars.next() {
                        Some(c @ ('\'' | '\\')) => text.push(c),
                        Some(c) => {
                            text.push('\\');
                            text.push(c);
                        }
                        None => bail!("an unterminated PHP string"),
                    },
                    '\'' => break,
                    c => text.push(c),
                }
            }
            if chars
                .as_str()
                .trim_start()
                .starts_with(", 'switchboard-chat'")
            {
                found.push(text);
            }
        }
    }
    Ok(found)
}

#[test]
fn every_translation_of_each_po_is_in_its_committed_mo() -> anyhow::Result<()> {
    let locales = shipped_locales()?;
    assert_eq!(locales, ["es_ES", "pt_BR"]);
    let template = parse_po(&read(&plugin_dir().join("languages/switchboard-chat.pot"))?)?;
    for locale in &locales {
        let po_path = plugin_dir()
            .join("languages")
            .join(format!("switchboard-chat-{locale}.po"));
        let po = parse_po(&read(&po_path)?).with_context(|| format!("{}", po_path.display()))?;
        let mo = mo_of(locale)?;
        for msgid in template.keys() {
            assert!(po.contains_key(msgid), "{locale}.po lacks {msgid:?}");
        }
        for (msgid, msgstr) in &po {
            assert!(
                !msgstr.is_empty(),
                "{locale}.po leaves {msgid:?} untranslated"
            );
            assert_eq!(
                mo.get(msgid),
                Some(msgstr),
                "{locale}.mo is older than its .po for {msgid:?}: run msgfmt -o switchboard-chat-{locale}.mo switchboard-chat-{locale}.po"
            );
        }
        // The header (empty original) tells WordPress the charset.
        let header = mo.get("").context("the .mo has no header")?;
        assert!(header.contains("charset=UTF-8"), "{locale}.mo: {header}");
    }
    Ok(())
}

#[test]
fn the_template_holds_every_string_of_the_plugin() -> anyhow::Result<()> {
    let php = read(&plugin_dir().join("switchboard-chat.php"))?;
    let template = parse_po(&read(&plugin_dir().join("languages/switchboard-chat.pot"))?)?;
    let strings = php_strings(&php)?;
    assert!(strings.len() >= 10, "{strings:?}");
    for text in strings {
        assert!(
            template.contains_key(&text),
            "switchboard-chat.pot lacks {text:?}"
        );
    }
    Ok(())
}

#[test]
fn every_spanish_and_portuguese_locale_reads_a_shipped_translation() -> anyhow::Result<()> {
    let php = read(&plugin_dir().join("switchboard-chat.php"))?;
    // The filter is registered for the plugin's files …
    assert!(
        php.contains("add_filter( 'load_textdomain_mofile', 'switchboard_chat_mofile', 10, 2 );"),
        "the plugin no longer maps missing locales to its shipped files"
    );
    // … and its table, read from the PHP, sends each language to a file that is shipped.
    let table_start = php
        .find("$shipped  = array(")
        .context("switchboard_chat_fallback_locale()'s table")?;
    let table = &php[table_start..];
    let table = &table[..table.find(");").context("the end of the table")?];
    let mut fallback = BTreeMap::new();
    for line in table.lines().skip(1) {
        let pair: Vec<&str> = line
            .trim()
            .trim_end_matches(',')
            .split("=>")
            .map(|part| part.trim().trim_matches('\''))
            .collect();
        if let [language, locale] = pair[..] {
            fallback.insert(language.to_owned(), locale.to_owned());
        }
    }
    let shipped = shipped_locales()?;
    for locale in [
        "es_ES", "es_MX", "es_AR", "es_CO", "es_CL", "es_PE", "es_VE", "es_UY", "es_EC", "es_GT",
        "es_CR", "es_DO", "es_PR", "pt_BR", "pt_PT", "pt_AO",
    ] {
        let language = &locale[..2];
        let file = fallback
            .get(language)
            .with_context(|| format!("{locale} has no fallback"))?;
        assert!(file.starts_with(language), "{locale} → {file}");
        assert!(
            shipped.contains(file),
            "{locale} → {file}, which is not shipped"
        );
    }
    assert_eq!(fallback["es"], "es_ES");
    assert_eq!(fallback["pt"], "pt_BR");
    // A Spanish visitor's admin reads Spanish: the es_ES file translates the labels.
    let spanish = mo_of("es_ES")?;
    assert_eq!(spanish["Widget ID"], "ID del widget");
    Ok(())
}

#[test]
fn the_install_guides_name_the_plugin_labels_as_it_shows_them() -> anyhow::Result<()> {
    let php = read(&plugin_dir().join("switchboard-chat.php"))?;
    for label in ["Gateway URL", "Widget ID", "Switchboard Chat", "Settings"] {
        assert!(
            php.contains(&format!("__( '{label}', 'switchboard-chat' )")),
            "the plugin no longer has the label {label:?}"
        );
    }
    let english: BTreeMap<String, String> =
        ["Gateway URL", "Widget ID", "Switchboard Chat", "Settings"]
            .into_iter()
            .map(|label| (label.to_owned(), label.to_owned()))
            .collect();
    for (guide, labels) in [
        ("wordpress.html", english),
        ("wordpress.es.html", mo_of("es_ES")?),
        ("wordpress.pt-BR.html", mo_of("pt_BR")?),
    ] {
        let html = read(&workspace_root().join("www/install").join(guide))?;
        for field in ["Gateway URL", "Widget ID"] {
            let shown = &labels[field];
            assert!(
                html.contains(&format!("<strong>{shown}</strong>")),
                "{guide} does not name the field {shown:?} as the plugin shows it"
            );
        }
        let page = format!(
            "<span class=\"path\">{} → {}</span>",
            labels["Settings"], labels["Switchboard Chat"]
        );
        assert!(
            html.contains(&page),
            "{guide} does not name the page as {page}"
        );
    }
    Ok(())
}
