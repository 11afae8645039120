//! Browser pieces shared by the agent console and the website widget: the languages they
//! speak ([`Locale`]), an event socket that reconnects with a growing wait
//! ([`socket::Socket`]), a one-shot timer ([`after`]) and a short chime ([`chime`]).

mod locale;
pub mod socket;

pub use locale::Locale;

/// Runs `then` once, `millis` from now.
pub fn after(millis: i32, then: impl FnOnce() + 'static) {
    let callback = wasm_bindgen::closure::Closure::once_into_js(then);
    if let Some(window) = web_sys::window() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
            wasm_bindgen::JsCast::unchecked_ref(&callback),
            millis,
        );
    }
}

/// Two short soft notes, made in the browser (no sound file to fetch).
pub fn chime() {
    let Ok(context) = web_sys::AudioContext::new() else {
        return;
    };
    let start = context.current_time();
    for (offset, pitch) in [(0.0, 880.0), (0.12, 1320.0)] {
        let (Ok(tone), Ok(volume)) = (context.create_oscillator(), context.create_gain()) else {
            return;
        };
        tone.frequency().set_value(pitch);
        let gain = volume.gain();
        let _ = gain.set_value_at_time(0.0, start + offset);
        let _ = gain.linear_ramp_to_value_at_time(0.1, start + offset + 0.02);
        let _ = gain.linear_ramp_to_value_at_time(0.0, start + offset + 0.25);
        let _ = tone.connect_with_audio_node(&volume);
        let _ = volume.connect_with_audio_node(&context.destination());
        let _ = tone.start_with_when(start + offset);
        let _ = tone.stop_with_when(start + offset + 0.3);
    }
}
