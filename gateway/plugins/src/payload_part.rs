//! The bytes an adapter names as a part of the inbound payload it was given (an email
//! attachment, as an offset range and a transfer encoding): the host reads and decodes them
//! from its own copy, so that a large file never travels back through the adapter's output.

use mail_parser::decoders::{base64::base64_decode, quoted_printable::quoted_printable_decode};

use crate::latest::{PayloadPart, TransferEncoding};

/// The decoded bytes of `part` within `payload`, or why they cannot be read.
pub fn read_payload_part(payload: &[u8], part: &PayloadPart) -> Result<Vec<u8>, String> {
    let (Ok(start), Ok(end)) = (usize::try_from(part.start), usize::try_from(part.end)) else {
        return Err("the part lies beyond the payload".into());
    };
    let Some(raw) = payload.get(start..end) else {
        return Err(format!(
            "the part {start}..{end} lies outside the payload of {} bytes",
            payload.len()
        ));
    };
    let (decoded, encoding) = match part.encoding {
        TransferEncoding::None => return Ok(raw.to_vec()),
        TransferEncoding::Base64 => (base64_decode(raw), "base64"),
        TransferEncoding::QuotedPrintable => (quoted_printable_decode(raw), "quoted-printable"),
    };
    decoded.ok_or_else(|| format!("the part {start}..{end} is not valid {encoding}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(start: u64, end: u64, encoding: TransferEncoding) -> PayloadPart {
        PayloadPart {
            start,
            end,
            encoding,
        }
    }

    #[test]
    fn a_part_is_decoded_from_its_range() {
        let payload = b"head\r\n\r\nJVBERi0x\r\nLjQ=\r\n--b--";
        assert_eq!(
            read_payload_part(payload, &part(8, 24, TransferEncoding::Base64)).as_deref(),
            Ok(&b"%PDF-1.4"[..])
        );
        assert_eq!(
            read_payload_part(b"caf=C3=A9", &part(0, 9, TransferEncoding::QuotedPrintable))
                .as_deref(),
            Ok("café".as_bytes())
        );
        assert_eq!(
            read_payload_part(b"abc", &part(1, 3, TransferEncoding::None)).as_deref(),
            Ok(&b"bc"[..])
        );
    }

    #[test]
    fn a_range_outside_the_payload_or_bad_encoding_is_named() {
        let outside = read_payload_part(b"abc", &part(2, 9, TransferEncoding::None));
        assert_eq!(
            outside,
            Err("the part 2..9 lies outside the payload of 3 bytes".into())
        );
        assert!(read_payload_part(b"abc", &part(3, 1, TransferEncoding::None)).is_err());
        let bad = read_payload_part(b"%%%%", &part(0, 4, TransferEncoding::Base64));
        assert_eq!(bad, Err("the part 0..4 is not valid base64".into()));
    }
}
