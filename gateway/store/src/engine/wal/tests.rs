use super::*;

fn append_group(wal: &mut Wal, n: u8) {
    let key = [b'k', n];
    let value = [n; 3];
    wal.append(
        1,
        u64::from(n) * 10,
        &[b'l', n, b'\n'],
        [
            (&key[..], Some(&value[..])),
            (&b"gone"[..], None),
            (&b"empty"[..], Some(&b""[..])),
        ],
    )
    .expect("append");
}

/// A log in `dir` holding groups 0, 1 and 2.
fn log_of_three(dir: &Path) -> Wal {
    let (mut wal, records) = Wal::open(dir).expect("open");
    assert!(records.is_empty());
    for n in 0..3 {
        append_group(&mut wal, n);
    }
    wal
}

fn group(n: u8) -> Record {
    Record {
        segment: 1,
        offset: u64::from(n) * 10,
        lines: vec![b'l', n, b'\n'],
        writes: vec![
            (vec![b'k', n], Some(vec![n; 3])),
            (b"gone".to_vec(), None),
            (b"empty".to_vec(), Some(Vec::new())),
        ],
    }
}

#[test]
fn records_come_back_in_order_until_one_is_cut_short() {
    let dir = tempfile::tempdir().expect("temp dir");
    drop(log_of_three(dir.path()));
    let (_, records) = Wal::open(dir.path()).expect("reopen");
    assert_eq!(records, [group(0), group(1), group(2)]);

    // A crash in the middle of the last record's write.
    let path = dir.path().join(FILE);
    let len = std::fs::metadata(&path).expect("log").len();
    let file = OpenOptions::new().write(true).open(&path).expect("log");
    file.set_len(len - 5).expect("cut");
    let (_, records) = Wal::open(dir.path()).expect("reopen");
    assert_eq!(records, [group(0), group(1)]);
}

/// A log in `dir` of groups 0, 1 and 2, with one byte of group `damaged` flipped: its path,
/// its bytes and the length of one record.
fn log_of_three_damaged_in(dir: &Path, damaged: u64) -> (PathBuf, Vec<u8>, u64) {
    let wal = log_of_three(dir);
    let record_len = wal.len() / 3;
    drop(wal);
    let path = dir.join(FILE);
    let mut bytes = std::fs::read(&path).expect("log");
    bytes[(HEADER_LEN + damaged * record_len + 20) as usize] ^= 0xff;
    std::fs::write(&path, &bytes).expect("write");
    (path, bytes, record_len)
}

#[test]
fn a_last_record_that_does_not_match_its_crc_ends_the_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    log_of_three_damaged_in(dir.path(), 2);
    let (_, records) = Wal::open(dir.path()).expect("reopen");
    assert_eq!(records, [group(0), group(1)]);
}

#[test]
fn damage_before_answered_records_stops_the_start_and_salvage_keeps_the_rest() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (path, bytes, record_len) = log_of_three_damaged_in(dir.path(), 1);

    let Err(error) = Wal::open(dir.path()) else {
        panic!("a damaged log was opened");
    };
    let message = error.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        message.contains(&format!("at byte {}", HEADER_LEN + record_len)),
        "{message}"
    );
    assert!(message.contains("switchboard salvage-log"), "{message}");
    assert_eq!(
        std::fs::read(&path).expect("log"),
        bytes,
        "the failed start changed the file"
    );

    let salvaged = salvage(dir.path()).expect("salvage").expect("a log");
    assert_eq!(salvaged.kept, 2);
    assert_eq!(salvaged.lost_bytes, record_len as usize);
    assert_eq!(
        std::fs::read(&salvaged.set_aside).expect("set aside"),
        bytes
    );
    let (_, records) = Wal::open(dir.path()).expect("open the salvaged log");
    assert_eq!(records, [group(0), group(2)]);
}

#[test]
fn a_record_too_short_to_hold_its_generation_ends_the_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&0u64.to_be_bytes());
    // A length of 3, and the CRC of those 3 bytes: the first of the generation's 8.
    bytes.extend_from_slice(&3u32.to_be_bytes());
    bytes.extend_from_slice(&crc32fast::hash(&[0; 3]).to_be_bytes());
    bytes.extend_from_slice(&0u64.to_be_bytes());
    std::fs::write(dir.path().join(FILE), &bytes).expect("write");
    let (wal, records) = Wal::open(dir.path()).expect("open");
    assert_eq!(records, []);
    assert_eq!(wal.len(), 0);
}

#[test]
fn a_cleared_log_keeps_none_of_its_records_and_takes_new_ones_over_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut wal = log_of_three(dir.path());
    let file_len = std::fs::metadata(dir.path().join(FILE)).expect("log").len();
    wal.clear().expect("clear");
    assert_eq!(wal.len(), 0);
    drop(wal);
    let (mut wal, records) = Wal::open(dir.path()).expect("reopen");
    assert_eq!(records, []);

    // The new record takes the first one's place; the two after it are of the old
    // generation and stay out.
    append_group(&mut wal, 3);
    drop(wal);
    let (_, records) = Wal::open(dir.path()).expect("reopen");
    assert_eq!(records, [group(3)]);
    assert_eq!(
        std::fs::metadata(dir.path().join(FILE)).expect("log").len(),
        file_len,
        "the file was written over, not grown"
    );
}

#[test]
fn a_file_that_is_not_this_log_is_refused_with_its_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join(FILE), b"\0\0\0\x05something else").expect("write");
    let Err(error) = Wal::open(dir.path()) else {
        panic!("an unknown log was opened");
    };
    assert!(
        error.to_string().contains("is not a write-ahead log"),
        "{error}"
    );
    assert!(error.to_string().contains(FILE), "{error}");
}
