//! The store's write-ahead log as a start reads it: any file is either taken or refused with a
//! reason, and a refused one salvaged so that the next start takes every record kept.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    switchboard_store::fuzzing::read_write_ahead_log(bytes);
});
