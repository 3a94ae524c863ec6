//! The room archive end to end (XEP-0313 with XEP-0359 stanza-ids and XEP-0421 occupant-ids,
//! XEP-0425 moderation): real clients querying through a real server.

mod support;

use support::*;
use xmpp_parsers::minidom::Element;
use xmpp_parsers::stanza::Stanza;

const ROOM: &str = "talk@conference.localhost";
const ALICE: &str = "talk@conference.localhost/Alice";
const BOB: &str = "talk@conference.localhost/Bob";
const MUC: &str = "http://jabber.org/protocol/muc";
const MAM: &str = "urn:xmpp:mam:2";

async fn enter(client: &mut Client, occupant: &str) {
    client
        .send_xml(&format!(
            "<presence to='{occupant}'><x xmlns='{MUC}'/></presence>"
        ))
        .await;
    client
        .expect("own presence", WAIT, |s| {
            presence_with(s, occupant, &["110"])
        })
        .await;
}

/// Alice creates the room (instant, temporary: its archive lives in memory) and Bob joins.
async fn room(env: &Env) -> (Client, Client) {
    let mut alice = env.client("alice").await;
    enter(&mut alice, ALICE).await;
    alice
        .send_xml(&format!(
            "<iq type='set' to='{ROOM}' id='c'><query xmlns='http://jabber.org/protocol/muc#owner'>\
             <x xmlns='jabber:x:data' type='submit'/></query></iq>"
        ))
        .await;
    alice.expect("the room", WAIT, |s| iq_reply(s, "c")).await;
    let mut bob = env.client("bob").await;
    enter(&mut bob, BOB).await;
    (alice, bob)
}

/// Says `body` and returns the stanza-id of its reflection.
async fn say(client: &mut Client, body: &str) -> String {
    say_in(client, ROOM, body).await;
    let s = client
        .expect("the reflection", WAIT, |s| {
            message(s).and_then(body_of) == Some(body.to_owned())
        })
        .await;
    Element::from(&s)
        .get_child("stanza-id", "urn:xmpp:sid:0")
        .filter(|e| e.attr("by") == Some(ROOM))
        .and_then(|e| e.attr("id").map(str::to_owned))
        .expect("a stanza-id by the room")
}

fn body_of(m: &xmpp_parsers::message::Message) -> Option<String> {
    body(m).map(str::to_owned)
}

/// Queries the archive; returns (archive id, inner message) of each result, and the fin.
async fn query(client: &mut Client, id: &str, inner: &str) -> (Vec<(String, Element)>, Element) {
    client
        .send_xml(&format!(
            "<iq type='set' to='{ROOM}' id='{id}'><query xmlns='{MAM}' queryid='{id}'>{inner}</query></iq>"
        ))
        .await;
    let (fin_at, fin) = client
        .expect_indexed("the fin", WAIT, |s| iq_reply(s, id))
        .await;
    let fin = result_payload(&fin).cloned().expect("a fin");
    // The results all came before the fin (XEP-0313 §4): they wait among what was received.
    let taken = client.take_received(|s| {
        Element::from(s)
            .get_child("result", MAM)
            .is_some_and(|r| r.attr("queryid") == Some(id))
    });
    let mut results = Vec::new();
    for (at, s) in taken {
        assert!(at < fin_at, "a result after the fin");
        let e = Element::from(&s);
        let r = e.get_child("result", MAM).expect("result");
        let inner = r
            .get_child("forwarded", "urn:xmpp:forward:0")
            .and_then(|f| f.children().find(|c| c.name() == "message"))
            .cloned()
            .expect("a forwarded message");
        results.push((at, r.attr("id").unwrap_or_default().to_owned(), inner));
    }
    results.sort_by_key(|(at, ..)| *at);
    (results.into_iter().map(|(_, id, m)| (id, m)).collect(), fin)
}

fn inner_body(m: &Element) -> String {
    m.children()
        .find(|c| c.name() == "body")
        .map(Element::text)
        .unwrap_or_default()
}

e2e! {
async fn occupants_page_through_the_archive(kind: Kind) {
    let env = Env::start(kind).await;
    let (mut alice, mut bob) = room(&env).await;
    let mut ids = Vec::new();
    for body in ["one", "two", "three"] {
        ids.push(say(&mut alice, body).await);
    }
    // A reaction (no body) by Bob is relayed untouched and archived.
    bob.send_xml(&format!(
        "<message to='{ROOM}' type='groupchat' id='r'><reactions xmlns='urn:xmpp:reactions:0' id='{}'><reaction>👍</reaction></reactions><store xmlns='urn:xmpp:hints'/></message>",
        ids[0]
    ))
    .await;
    alice
        .expect("the reaction", WAIT, |s| {
            from_is(s, BOB)
                && Element::from(s).get_child("reactions", "urn:xmpp:reactions:0").is_some()
        })
        .await;
    let (page, fin) = query(
        &mut bob,
        "p1",
        "<set xmlns='http://jabber.org/protocol/rsm'><max>2</max></set>",
    )
    .await;
    assert_eq!(page.iter().map(|(i, _)| i.clone()).collect::<Vec<_>>(), ids[..2]);
    assert_eq!(inner_body(&page[0].1), "one");
    assert_eq!(page[0].1.attr("from"), Some(ALICE));
    assert!(
        page[0].1.get_child("occupant-id", "urn:xmpp:occupant-id:0").is_some(),
        "{:?}",
        page[0].1
    );
    assert_ne!(fin.attr("complete"), Some("true"));
    let (page, fin) = query(
        &mut bob,
        "p2",
        &format!(
            "<set xmlns='http://jabber.org/protocol/rsm'><max>2</max><after>{}</after></set>",
            ids[1]
        ),
    )
    .await;
    assert_eq!(page.len(), 2);
    assert_eq!(page[0].0, ids[2]);
    assert!(page[1].1.children().any(|c| c.name() == "reactions"));
    assert_eq!(fin.attr("complete"), Some("true"));
    // In an open room, a user who never entered reads it too (XEP-0313 §6.1.2)...
    let mut carol = env.client("carol").await;
    let (page, _) = query(&mut carol, "c1", "").await;
    assert_eq!(page.len(), 4);
    // ...but not once banned.
    alice
        .send_xml(&format!(
            "<iq type='set' to='{ROOM}' id='ban'><query xmlns='http://jabber.org/protocol/muc#admin'>\
               <item affiliation='outcast' jid='carol@localhost'/></query></iq>"
        ))
        .await;
    alice.expect("the ban's result", WAIT, |s| iq_reply(s, "ban")).await;
    carol
        .send_xml(&format!("<iq type='set' to='{ROOM}' id='s'><query xmlns='{MAM}'/></iq>"))
        .await;
    let s = carol.expect("the refusal", WAIT, |s| iq_reply(s, "s")).await;
    assert!(
        matches!(&s, Stanza::Iq(xmpp_parsers::iq::Iq::Error { error, .. })
            if error.defined_condition == xmpp_parsers::stanza_error::DefinedCondition::Forbidden),
        "{s:?}"
    );
}
}

e2e! {
async fn a_moderator_retracts_a_message_and_the_archive_and_history_keep_a_tombstone(kind: Kind) {
    let env = Env::start(kind).await;
    let (mut alice, mut bob) = room(&env).await;
    let spam = say(&mut bob, "buy potions").await;
    alice
        .send_xml(&format!(
            "<iq type='set' to='{ROOM}' id='mod'><moderate id='{spam}' xmlns='urn:xmpp:message-moderate:1'>\
             <retract xmlns='urn:xmpp:message-retract:1'/><reason>Spam</reason></moderate></iq>"
        ))
        .await;
    let s = alice.expect("the result", WAIT, |s| iq_reply(s, "mod")).await;
    result_payload(&s);
    let s = bob
        .expect("the retraction", WAIT, |s| {
            from_is(s, ROOM)
                && Element::from(s)
                    .get_child("retract", "urn:xmpp:message-retract:1")
                    .is_some_and(|r| r.attr("id") == Some(spam.as_str()))
        })
        .await;
    let retract = Element::from(&s);
    let moderated = retract
        .get_child("retract", "urn:xmpp:message-retract:1")
        .and_then(|r| r.get_child("moderated", "urn:xmpp:message-moderate:1"))
        .expect("moderated");
    assert_eq!(moderated.attr("by"), Some(ALICE));
    let (page, _) = query(&mut bob, "after", "").await;
    let tombstone = &page.iter().find(|(i, _)| *i == spam).expect("the tombstone").1;
    assert_eq!(inner_body(tombstone), "");
    assert!(tombstone.children().any(|c| c.name() == "retracted"), "{tombstone:?}");
    // The history a newcomer gets holds the tombstone too, never the message.
    let mut carol = env.client("carol").await;
    enter(&mut carol, "talk@conference.localhost/Carol").await;
    let s = carol
        .expect("the tombstone in the history", WAIT, |s| {
            from_is(s, BOB)
                && Element::from(s)
                    .get_child("stanza-id", "urn:xmpp:sid:0")
                    .is_some_and(|i| i.attr("id") == Some(spam.as_str()))
        })
        .await;
    let history = Element::from(&s);
    assert!(
        history.get_child("retracted", "urn:xmpp:message-retract:1").is_some()
            && history.get_child("delay", "urn:xmpp:delay").is_some(),
        "{history:?}"
    );
    assert!(!String::from(&history).contains("buy potions"), "{history:?}");
    let received = carol.take_received(|_| true);
    assert!(
        received.iter().all(|(_, s)| !String::from(&Element::from(s)).contains("buy potions")),
        "{received:?}"
    );
}
}

e2e! {
async fn clients_payloads_reach_everyone_and_the_archive_untouched(kind: Kind) {
    let env = Env::start(kind).await;
    let (mut alice, mut bob) = room(&env).await;
    let first = say(&mut alice, "helo").await;
    // XEP-0308 correction, XEP-0461 reply with its XEP-0428 fallback, XEP-0066 link (as XEP-0363
    // uploads are shared); every body XEP-0393-styled.
    let payloads: [(&str, String, &str, &str); 3] = [
        (
            "corr",
            "<replace xmlns='urn:xmpp:message-correct:0' id='m0'/>".to_owned(),
            "replace",
            "urn:xmpp:message-correct:0",
        ),
        (
            "repl",
            format!(
                "<reply xmlns='urn:xmpp:reply:0' to='{ALICE}' id='{first}'/>\
                 <fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='7'/></fallback>"
            ),
            "reply",
            "urn:xmpp:reply:0",
        ),
        (
            "link",
            "<x xmlns='jabber:x:oob'><url>https://example.org/cat.png</url></x>".to_owned(),
            "x",
            "jabber:x:oob",
        ),
    ];
    for (id, payload, name, ns) in &payloads {
        let text = format!("*{id}* _seen_ https://example.org/cat.png");
        alice
            .send_xml(&format!(
                "<message to='{ROOM}' type='groupchat' id='{id}'><body>{text}</body>{payload}</message>"
            ))
            .await;
        let s = bob
            .expect("the payload", WAIT, |s| {
                from_is(s, ALICE) && message(s).and_then(body_of).as_deref() == Some(text.as_str())
            })
            .await;
        let got = Element::from(&s);
        let child = got
            .get_child(name, *ns)
            .unwrap_or_else(|| panic!("{id}: {got:?}"));
        if *id == "repl" {
            assert_eq!(child.attr("id"), Some(first.as_str()), "{got:?}");
            assert!(got.get_child("fallback", "urn:xmpp:fallback:0").is_some(), "{got:?}");
        }
    }
    let (page, _) = query(&mut bob, "all", "").await;
    assert_eq!(page.len(), 4, "{page:?}");
    for ((_, archived), (id, _, name, ns)) in page[1..].iter().zip(payloads.iter()) {
        assert!(archived.get_child(name, *ns).is_some(), "{id}: {archived:?}");
        assert_eq!(
            inner_body(archived),
            format!("*{id}* _seen_ https://example.org/cat.png")
        );
    }
}
}
