//! §7.4 groupchat, §7.5 private messages, §8.1 subject, §11.1 bounces.

use crate::testing::{Harness, assert_stanzas};

#[test]
fn groupchat_is_reflected_to_everyone_with_the_clients_id() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = h.send("<message type='groupchat' id='g1' from='bob@localhost/m' to='lobby@conference.localhost'><body>hi all</body></message>");
    assert_stanzas(
        &out,
        &[
            "<message type='groupchat' id='g1' from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><body>hi all</body></message>",
            "<message type='groupchat' id='g1' from='lobby@conference.localhost/Bob' to='bob@localhost/m'><body>hi all</body></message>",
        ],
    );
}

#[test]
fn groupchat_from_a_non_occupant_is_not_acceptable() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = h.send("<message type='groupchat' id='x' from='eve@localhost/e' to='lobby@conference.localhost'><body>spam</body></message>");
    assert_stanzas(
        &out,
        &[
            "<message type='error' id='x' from='lobby@conference.localhost' to='eve@localhost/e'><body>spam</body>\
             <error type='modify' by='conference.localhost'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
             <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>Only occupants are allowed to send messages to the room</text></error></message>",
        ],
    );
}

#[test]
fn private_messages_go_to_the_occupant_from_the_senders_room_jid() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = h.send("<message type='chat' id='p1' from='alice@localhost/pc' to='lobby@conference.localhost/Bob'><body>psst</body></message>");
    assert_stanzas(
        &out,
        &[
            "<message type='chat' id='p1' from='lobby@conference.localhost/Alice' to='bob@localhost/m'><body>psst</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>",
        ],
    );
    let out = h.send("<message type='chat' id='p2' from='alice@localhost/pc' to='lobby@conference.localhost/Nobody'><body>?</body></message>");
    assert_eq!(out.len(), 1);
    assert!(crate::testing::canonical(&out[0]).contains("item-not-found"));
    let out = h.send("<message type='groupchat' id='p3' from='alice@localhost/pc' to='lobby@conference.localhost/Bob'><body>?</body></message>");
    assert!(crate::testing::canonical(&out[0]).contains("bad-request"));
}

#[test]
fn subject_changes_follow_changesubject() {
    let mut h = Harness::lobby_with_alice_and_bob();
    // Bob is a participant; by default only moderators may change the subject.
    let out = h.send("<message type='groupchat' id='s1' from='bob@localhost/m' to='lobby@conference.localhost'><subject>mine</subject></message>");
    assert!(crate::testing::canonical(&out[0]).contains("forbidden"));
    let out = h.send("<message type='groupchat' id='s2' from='alice@localhost/pc' to='lobby@conference.localhost'><subject>Game night</subject></message>");
    assert_stanzas(
        &out,
        &[
            "<message type='groupchat' id='s2' from='lobby@conference.localhost/Alice' to='alice@localhost/pc'><subject>Game night</subject></message>",
            "<message type='groupchat' id='s2' from='lobby@conference.localhost/Alice' to='bob@localhost/m'><subject>Game night</subject></message>",
        ],
    );
    // A later joiner gets it last, stamped with when it was set (§7.2.15).
    let out = h.join("carol@localhost/c", "lobby@conference.localhost/Carol");
    assert_stanzas(
        &out[out.len() - 1..],
        &[
            "<message type='groupchat' from='lobby@conference.localhost/Alice' to='carol@localhost/c'><subject>Game night</subject>\
               <delay xmlns='urn:xmpp:delay' from='lobby@conference.localhost' stamp='2026-01-01T00:00:00+00:00'/></message>",
        ],
    );
}

#[test]
fn a_subject_with_a_thread_is_a_message_not_a_subject_change() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = h.send("<message type='groupchat' id='t' from='bob@localhost/m' to='lobby@conference.localhost'><subject>Re: hi</subject><thread>t1</thread></message>");
    assert_stanzas(
        &out,
        &[
            "<message type='groupchat' id='t' from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><subject>Re: hi</subject><thread>t1</thread></message>",
            "<message type='groupchat' id='t' from='lobby@conference.localhost/Bob' to='bob@localhost/m'><subject>Re: hi</subject><thread>t1</thread></message>",
        ],
    );
    let out = h.join("carol@localhost/c", "lobby@conference.localhost/Carol");
    assert!(
        crate::testing::canonical(&out[out.len() - 1])
            .contains("<{jabber:component:accept}subject></subject>"),
        "the subject is unchanged: {out:?}"
    );
}

#[test]
fn a_bounced_message_error_removes_the_occupant() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = h.send("<message type='error' from='bob@localhost/m' to='lobby@conference.localhost'><error type='cancel'><recipient-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>");
    assert_stanzas(
        &out,
        &[
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><priority>0</priority>\
             <x xmlns='http://jabber.org/protocol/muc#user'><status code='333'/><item affiliation='none' role='none' jid='bob@localhost/m'/></x></presence>",
        ],
    );
    // An error is never answered with an error.
    let out = h.send("<message type='error' from='eve@localhost/e' to='lobby@conference.localhost'><error type='cancel'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>");
    assert!(out.is_empty());
}
