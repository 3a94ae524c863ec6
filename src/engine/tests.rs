//! Routing and the errors every stanza the service cannot honour gets.

use crate::stanza::{Inbound, InvalidStanza, StanzaKind};
use crate::testing::{Harness, assert_stanzas};

#[test]
fn unknown_iq_gets_service_unavailable_and_results_are_not_answered() {
    let mut h = Harness::new();
    let out = h.send("<iq type='get' id='v' from='alice@localhost/pc' to='conference.localhost'><query xmlns='jabber:iq:version'/></iq>");
    assert_stanzas(
        &out,
        &[
            "<iq type='error' id='v' from='conference.localhost' to='alice@localhost/pc'>\
             <error type='cancel' by='conference.localhost'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>\
             <query xmlns='jabber:iq:version'/></iq>",
        ],
    );
    assert!(
        h.send("<iq type='result' id='v' from='alice@localhost/pc' to='conference.localhost'/>")
            .is_empty()
    );
    assert!(h.send("<iq type='error' id='v' from='alice@localhost/pc' to='conference.localhost'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>").is_empty());
}

#[test]
fn stanzas_that_do_not_parse_get_bad_request_unless_they_are_errors() {
    let mut h = Harness::new();
    let out = h.send("<iq type='get' id='e' from='alice@localhost/pc' to='conference.localhost'/>");
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].attr("type"), Some("error"));
    assert!(crate::testing::canonical(&out[0]).contains("bad-request"));
    let out = h.send_raw(Inbound::Invalid(InvalidStanza {
        kind: StanzaKind::Message,
        from: Some("alice@localhost/pc".into()),
        to: Some("lobby@conference.localhost".into()),
        id: Some("m".into()),
        type_: Some("error".into()),
        reason: "broken".into(),
    }));
    assert!(out.is_empty());
    // A sender that is not a JID cannot be answered.
    let out = h.send_raw(Inbound::Invalid(InvalidStanza {
        kind: StanzaKind::Presence,
        from: Some("@@@".into()),
        to: None,
        id: None,
        type_: None,
        reason: "broken".into(),
    }));
    assert!(out.is_empty());
}

#[test]
fn messages_to_the_service_are_refused_and_foreign_domains_ignored() {
    let mut h = Harness::new();
    let out = h.send("<message from='alice@localhost/pc' to='conference.localhost' id='s'><body>hi</body></message>");
    assert!(crate::testing::canonical(&out[0]).contains("service-unavailable"));
    assert!(h.send("<message from='alice@localhost/pc' to='room@elsewhere.example' id='s'><body>hi</body></message>").is_empty());
}

#[test]
fn a_batch_keeps_each_senders_order() {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", "lobby@conference.localhost", "Alice");
    h.join("bob@localhost/m", "lobby@conference.localhost/Bob");
    // Bob speaks then leaves in the same tick: his message still reaches everyone.
    let out = h.send_all(&[
        "<message type='groupchat' id='last' from='bob@localhost/m' to='lobby@conference.localhost'><body>bye</body></message>",
        "<presence type='unavailable' from='bob@localhost/m' to='lobby@conference.localhost/Bob'/>",
    ]);
    let kinds: Vec<(String, Option<String>)> = out
        .iter()
        .map(|e| (e.name().to_owned(), e.attr("to").map(str::to_owned)))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("message".into(), Some("alice@localhost/pc".into())),
            ("message".into(), Some("bob@localhost/m".into())),
            ("presence".into(), Some("alice@localhost/pc".into())),
            ("presence".into(), Some("bob@localhost/m".into())),
        ]
    );
}

#[test]
fn hostile_input_never_panics() {
    let mut h = Harness::new();
    let inputs = [
        "<presence from='a@localhost/x' to='conference.localhost'/>",
        "<presence from='a@localhost' to='r@conference.localhost/n'><x xmlns='http://jabber.org/protocol/muc'/></presence>",
        "<presence to='r@conference.localhost/n'/>",
        "<presence from='a@localhost/x' to='r@conference.localhost/n'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='-1'/></x></presence>",
        "<message from='a@localhost/x' to='r@conference.localhost'/>",
        "<message type='groupchat' from='a@localhost/x' to='r@conference.localhost/n'/>",
        "<iq type='set' id='1' from='a@localhost/x' to='r@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><destroy/><x xmlns='jabber:x:data' type='submit'/></query></iq>",
        "<iq type='get' id='2' from='a@localhost/x' to='r@conference.localhost/n'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
        "<iq type='get' id='3' from='a@localhost/x' to='conference.localhost'><query xmlns='http://jabber.org/protocol/disco#items' node='x'/></iq>",
    ];
    for xml in inputs {
        let _ = h.send(xml);
    }
    // The first round created the room `r` for a@localhost/x: configure it and go again.
    let out = h.send("<iq type='set' id='c' from='a@localhost/x' to='r@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>");
    assert_eq!(out[0].attr("type"), Some("result"));
    for xml in inputs {
        let _ = h.send(xml);
    }
}
