//! §10.1: a room nobody configures is destroyed after the lock timeout, driven by the tick loop.

use std::time::Duration;

use crate::testing::{Harness, assert_stanzas};

#[test]
fn an_unconfigured_room_expires() {
    let mut h = Harness::with_settings(|s| s.lock_timeout = Duration::from_secs(60));
    h.join("alice@localhost/pc", "lobby@conference.localhost/Alice");
    let deadline = h.engine.next_deadline();
    assert_eq!(deadline, Some(h.now + Duration::from_secs(60)));
    h.advance(59);
    assert!(h.tick().is_empty());
    h.advance(1);
    assert_stanzas(
        &h.tick(),
        &[
            "<presence type='unavailable' from='lobby@conference.localhost/Alice' to='alice@localhost/pc'><priority>0</priority>\
             <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='none'/>\
             <destroy><reason>The room was not configured in time and has been destroyed</reason></destroy></x></presence>",
        ],
    );
    assert_eq!(h.engine.next_deadline(), None);
}
