//! The whole inbound path: arbitrary bytes from the server, after a fixed stream header,
//! through the framer, the stanza parser, the engine's queues, routing and every feature's
//! systems (the shipped games included), and back out through serialisation. No input may
//! panic, end the stream by anything but malformed XML, or make the service send a stanza the
//! server would refuse. See `palaver_fuzz::inbound`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| palaver_fuzz::inbound(data));
