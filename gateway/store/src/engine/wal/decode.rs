//! Reading the log's bytes back as records: each one whole, of the log's generation and
//! matching its CRC, or else the sign of where the log ends or was damaged.

use super::Record;

/// Every whole record of `generation`, up to the first one that is cut short, does not match
/// its CRC or belongs to another generation; how many bytes they take; and whether what comes
/// after them is a record of this generation cut short.
pub(super) fn decode_all(all: &[u8], generation: u64) -> (Vec<Record>, usize, bool) {
    let (mut records, mut bytes) = (Vec::new(), all);
    loop {
        match decode(bytes, generation) {
            Decoded::Whole(record, rest) => {
                records.push(record);
                bytes = rest;
            }
            Decoded::Torn => return (records, all.len() - bytes.len(), true),
            Decoded::End => return (records, all.len() - bytes.len(), false),
        }
    }
}

/// Where in `bytes` the first whole record of `generation` starts, if one does.
pub(super) fn next_whole_record(bytes: &[u8], generation: u64) -> Option<usize> {
    let generation = generation.to_be_bytes();
    (0..bytes.len().saturating_sub(16)).find(|&at| {
        bytes[at + 8..at + 16] == generation
            && matches!(
                decode(&bytes[at..], u64::from_be_bytes(generation)),
                Decoded::Whole(..)
            )
    })
}

enum Decoded<'a> {
    Whole(Record, &'a [u8]),
    /// A record of this generation, cut short or not matching its CRC.
    Torn,
    /// Nothing more of this generation.
    End,
}

fn decode(bytes: &[u8], generation: u64) -> Decoded<'_> {
    let mut reader = Reader(bytes);
    let (Some(len), Some(crc), Some(written_in)) = (reader.u32(), reader.u32(), reader.u64())
    else {
        return Decoded::End;
    };
    if written_in != generation {
        return Decoded::End;
    }
    let end = 8 + len as usize;
    let record = bytes
        .get(8..end)
        .filter(|payload| crc32fast::hash(payload) == crc)
        .and_then(|payload| parse(payload.get(8..)?));
    match record {
        Some(record) => Decoded::Whole(record, &bytes[end..]),
        None => Decoded::Torn,
    }
}

/// A record's contents after its generation.
fn parse(payload: &[u8]) -> Option<Record> {
    let mut reader = Reader(payload);
    let segment = reader.u32()?;
    let offset = reader.u64()?;
    let lines = reader.bytes()?.to_vec();
    let mut writes = Vec::new();
    while !reader.0.is_empty() {
        let key = reader.bytes()?.to_vec();
        let value = match reader.take(1)? {
            [1] => Some(reader.bytes()?.to_vec()),
            _ => None,
        };
        writes.push((key, value));
    }
    Some(Record {
        segment,
        offset,
        lines,
        writes,
    })
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (taken, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(taken)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = self.u32()? as usize;
        self.take(len)
    }
}
