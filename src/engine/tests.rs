//! Routing and the errors every stanza the service cannot honour gets.

use crate::engine::Service;
use crate::stanza::{Inbound, InvalidStanza, StanzaKind};
use crate::testing::{Harness, assert_stanzas};
use xmpp_parsers::minidom::Element;

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
        condition: xmpp_parsers::stanza_error::DefinedCondition::BadRequest,
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
        condition: xmpp_parsers::stanza_error::DefinedCondition::BadRequest,
        reason: "broken".into(),
    }));
    assert!(out.is_empty());
}

/// Found by the `inbound` fuzzer: the error to a stanza whose `to` does not parse had no `from`,
/// and the server may end the stream of a component that sends from outside its domain.
#[test]
fn the_error_to_a_stanza_with_a_malformed_to_comes_from_the_service() {
    let mut h = Harness::new();
    let out = h.send(
        "<iq type='set' id='create' from='founder@localhost/f' to='lobb@y@conference.localhost'>\
           <query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>",
    );
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].attr("from"), Some("conference.localhost"));
    assert_eq!(out[0].attr("to"), Some("founder@localhost/f"));
    // An address that is no JID is jid-malformed (RFC 6120 §8.3.3.8).
    assert!(crate::testing::canonical(&out[0]).contains("}jid-malformed>"));
    // Nor does a reply ever come from another domain's address.
    let out = h.send_raw(Inbound::Invalid(InvalidStanza {
        kind: StanzaKind::Message,
        from: Some("alice@localhost/pc".into()),
        to: Some("room@elsewhere.example".into()),
        id: Some("m".into()),
        type_: None,
        condition: xmpp_parsers::stanza_error::DefinedCondition::BadRequest,
        reason: "broken".into(),
    }));
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].attr("from"), Some("conference.localhost"));
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

fn groupchat(from: &str, room: &str, id: &str) -> Inbound {
    Inbound::from_element(crate::testing::parse(&format!(
        "<message type='groupchat' id='{id}' from='{from}' to='{room}'><body>{id}</body></message>"
    )))
}

#[test]
fn a_flood_does_not_delay_anyone_else() {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", "flood@conference.localhost", "Alice");
    h.create_instant("carol@localhost/c", "calm@conference.localhost", "Carol");
    h.join("bob@localhost/m", "flood@conference.localhost/Bob");
    let max = h
        .engine
        .world()
        .resource::<Service>()
        .settings
        .max_queued_per_sender;
    for n in 0..max + 10 {
        h.engine.push(
            groupchat(
                "bob@localhost/m",
                "flood@conference.localhost",
                &format!("f{n}"),
            ),
            h.now,
        );
    }
    // Carol's message arrives after the whole flood.
    h.engine.push(
        groupchat("carol@localhost/c", "calm@conference.localhost", "calm"),
        h.now,
    );
    let out = h.tick();
    // The excess of the flood is refused at once, before anything else is sent.
    let refused: Vec<&Element> = out
        .iter()
        .take_while(|e| e.attr("type") == Some("error"))
        .collect();
    assert_eq!(refused.len(), 10);
    assert!(crate::testing::canonical(refused[0]).contains("resource-constraint"));
    assert_eq!(refused[0].attr("id"), Some(format!("f{max}").as_str()));
    // Carol's message is reflected in the first round, right after the first of the flood.
    let position = out
        .iter()
        .position(|e| e.attr("id") == Some("calm"))
        .expect("carol's message was reflected in the first tick");
    assert!(position <= 10 + 2 + 1, "reflected at {position}");
}

#[test]
fn occupants_leaving_together_are_not_told_of_each_other() {
    let mut h = Harness::new();
    let room = "crowd@conference.localhost";
    h.create_instant("alice@localhost/pc", room, "Alice");
    let leavers: Vec<String> = (0..30).map(|i| format!("u{i}@localhost/r")).collect();
    for (i, jid) in leavers.iter().enumerate() {
        h.join(jid, &format!("{room}/U{i}"));
    }
    for (i, jid) in leavers.iter().enumerate() {
        h.engine.push(
            Inbound::from_element(crate::testing::parse(&format!(
                "<presence type='unavailable' from='{jid}' to='{room}/U{i}'/>"
            ))),
            h.now,
        );
    }
    let out = h.tick();
    for jid in &leavers {
        let to_leaver: Vec<&Element> = out.iter().filter(|e| e.attr("to") == Some(jid)).collect();
        assert_eq!(to_leaver.len(), 1, "{jid} gets its own leave only");
        assert!(crate::testing::canonical(to_leaver[0]).contains("code='110'"));
    }
    let to_alice = out
        .iter()
        .filter(|e| e.attr("to") == Some("alice@localhost/pc"))
        .count();
    assert_eq!(to_alice, 30, "the one who stays sees everyone leave");
}

#[test]
fn a_move_queued_before_its_deadline_is_in_time() {
    let mut h = Harness::new();
    let (games, errors) = crate::game::load_dir(
        std::path::Path::new("rules"),
        std::path::Path::new("assets"),
    );
    assert!(errors.is_empty(), "{errors:?}");
    crate::play::install(&mut h.engine, games);
    let room = "game@conference.localhost";
    h.create_instant("alice@localhost/pc", room, "Alice");
    let say = |from: &str, body: &str| {
        format!("<message type='groupchat' from='{from}' to='{room}'><body>{body}</body></message>")
    };
    h.send(&say("alice@localhost/pc", "!game connect-four"));
    for (jid, nick) in [("p0@localhost/r", "P0"), ("p1@localhost/r", "P1")] {
        h.join(jid, &format!("{room}/{nick}"));
        h.send(&say(jid, "!sit"));
    }
    h.send(&say("p0@localhost/r", "!start"));
    h.send(&say("p0@localhost/r", "d"));
    // P1's clock (120 s) runs out while the service is busy (or stopped): P1's chat and move
    // were queued before the deadline and are read only after it.
    h.advance(150);
    h.engine.push(
        Inbound::from_element(crate::testing::parse(&say("p1@localhost/r", "hmm"))),
        h.now,
    );
    h.engine.push(
        Inbound::from_element(crate::testing::parse(&say("p1@localhost/r", "c"))),
        h.now,
    );
    let out = h.tick();
    let bodies: Vec<String> = out
        .iter()
        .filter(|e| e.attr("from") == Some(room) && e.attr("to") == Some("alice@localhost/pc"))
        .filter_map(|e| {
            e.get_child("body", xmpp_parsers::ns::DEFAULT_NS)
                .map(Element::text)
        })
        .collect();
    let told = bodies.join("\n");
    assert!(told.contains("plays"), "the move counts: {told}");
    assert!(!told.contains("Time is up"), "{told}");
}

/// Found while writing the `muc_ops` fuzzer's IQ accounting: an IQ relayed to an occupant whose
/// leave was queued in the same tick was dropped with the leaver's presences, and its asker
/// never got an answer.
#[test]
fn an_iq_relayed_to_a_leaver_is_not_dropped() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = h.send_all(&[
        "<iq type='get' id='v1' from='bob@localhost/m' to='lobby@conference.localhost/Alice'><query xmlns='jabber:iq:version'/></iq>",
        "<presence type='unavailable' from='alice@localhost/pc' to='lobby@conference.localhost/Alice'/>",
    ]);
    assert_eq!(
        out.first().map(crate::testing::canonical),
        Some(crate::testing::canonical(&crate::testing::parse(
            "<iq type='get' id='palaver-fwd-1' from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><query xmlns='jabber:iq:version'/></iq>"
        )))
    );
    // Her server bounces it, and Bob hears back.
    let out = h.send(
        "<iq type='error' id='palaver-fwd-1' from='alice@localhost/pc' to='lobby@conference.localhost/Bob'>\
           <error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
    );
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].attr("id"), Some("v1"));
    assert_eq!(out[0].attr("to"), Some("bob@localhost/m"));
    assert_eq!(out[0].attr("type"), Some("error"));
}
