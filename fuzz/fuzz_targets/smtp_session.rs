//! The SMTP listener's session, fed whatever a client sends: it answers and ends, never panics.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    switchboard_mail::listener::fuzzing::session(bytes);
});
