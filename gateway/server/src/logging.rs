//! The gateway's log output: text for people or JSON for collectors. Values that a plugin or a
//! request controls (a plugin's log line, a name, a header) may hold line breaks or terminal
//! escapes; in text logs every control character in a value is written as an escape (`\n`,
//! `\u{1b}`), so that one event is always one line and nobody can forge a line of their own.
//! JSON logs escape them by being JSON.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::MakeExt;
use tracing_subscriber::fmt::format::{Writer, debug_fn};

use crate::config::{LogConfig, LogFormat};

pub fn init(config: &LogConfig) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&config.filter));
    // Colours only on a terminal: in a file or a pipe they are bytes a reader must strip.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal());
    match config.format {
        LogFormat::Text => builder.fmt_fields(escaped_fields()).init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Fields as `name=value` (the message without its name), each value with its control
/// characters escaped.
fn escaped_fields() -> impl for<'writer> tracing_subscriber::fmt::FormatFields<'writer> {
    debug_fn(|writer: &mut Writer<'_>, field, value| {
        let text = format!("{value:?}");
        if field.name() != "message" {
            write!(writer, "{}=", field.name())?;
        }
        for character in text.chars() {
            if character.is_control() {
                write!(writer, "{}", character.escape_default())?;
            } else {
                writer.write_char(character)?;
            }
        }
        Ok(())
    })
    .delimited(" ")
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| io::Error::other("poisoned"))?
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_value_with_line_breaks_and_escapes_stays_on_its_own_line() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .fmt_fields(escaped_fields())
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let forged = "ok\n2026-12-02T06:00:00.000000Z  INFO switchboard: admin logged in\x1b[2K";
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(plugin = %"evil\r\nname", channel_id = 7, "{forged}");
        });
        let output = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8");
        assert_eq!(output.lines().count(), 1, "{output}");
        assert!(
            output.contains(
                "ok\\n2026-12-02T06:00:00.000000Z  INFO switchboard: admin logged in\\u{1b}[2K"
            ),
            "{output}"
        );
        assert!(
            output.contains("plugin=evil\\r\\nname channel_id=7"),
            "{output}"
        );
    }
}
