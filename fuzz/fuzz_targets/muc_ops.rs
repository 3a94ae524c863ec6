//! Structure-aware: arbitrary sequences of well-formed MUC operations (joins, leaves, nick and
//! status changes, messages, subjects, moderation, configuration, destruction, invitations,
//! registration, voice requests, disco, pings, IQs to occupants and their replies, bounces,
//! game commands, time passing) against one world, with the invariants of
//! `palaver_fuzz::invariants` and the IQ accounting of `palaver_fuzz::ops` checked after every
//! tick.
#![no_main]

libfuzzer_sys::fuzz_target!(|script: palaver_fuzz::ops::Script| {
    palaver_fuzz::ops::Runner::run(&script)
});
