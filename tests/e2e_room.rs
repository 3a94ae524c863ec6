//! XEP-0045 end to end: real Prosody, the palaver binary, real c2s clients.

mod support;

use support::*;
use xmpp_parsers::message::MessageType;
use xmpp_parsers::presence::Type as PresenceType;

const ROOM: &str = "lobby@conference.localhost";
const ALICE: &str = "lobby@conference.localhost/Alice";
const BOB: &str = "lobby@conference.localhost/Bob";
const MUC: &str = "http://jabber.org/protocol/muc";
const DISCO_INFO: &str = "http://jabber.org/protocol/disco#info";
const DISCO_ITEMS: &str = "http://jabber.org/protocol/disco#items";

/// Alice creates `lobby` and accepts the default configuration (an instant room).
async fn create_lobby(alice: &mut Client) {
    alice
        .send_xml(&format!(
            "<presence to='{ALICE}'><x xmlns='{MUC}'/></presence>"
        ))
        .await;
    let s = alice
        .expect("self-presence with status 110 and 201", WAIT, |s| {
            presence_with(s, ALICE, &["110", "201"])
        })
        .await;
    let item = presence(&s).and_then(muc_item);
    assert_eq!(
        item.and_then(|i| i.attr("affiliation")),
        Some("owner"),
        "{s:?}"
    );
    assert_eq!(
        item.and_then(|i| i.attr("role")),
        Some("moderator"),
        "{s:?}"
    );

    alice
        .send_xml(&format!(
            "<iq type='set' to='{ROOM}' id='create1'>\
               <query xmlns='http://jabber.org/protocol/muc#owner'>\
                 <x xmlns='jabber:x:data' type='submit'/></query></iq>"
        ))
        .await;
    let s = alice
        .expect("result of the instant-room form", WAIT, |s| {
            iq_reply(s, "create1")
        })
        .await;
    result_payload(&s);
}

/// Bob joins as Bob; returns the arrival indexes of (Alice's presence, his own, the subject).
async fn join_bob(alice: &mut Client, bob: &mut Client) -> (usize, usize, usize) {
    bob.send_xml(&format!(
        "<presence to='{BOB}'><x xmlns='{MUC}'/></presence>"
    ))
    .await;
    let (alice_at, _) = bob
        .expect_indexed("Alice's presence", WAIT, |s| {
            from_is(s, ALICE) && presence(s).is_some_and(|p| p.type_ == PresenceType::None)
        })
        .await;
    let (self_at, s) = bob
        .expect_indexed("own presence with 110", WAIT, |s| {
            presence_with(s, BOB, &["110"])
        })
        .await;
    let item = presence(&s).and_then(muc_item);
    assert_eq!(
        item.and_then(|i| i.attr("role")),
        Some("participant"),
        "{s:?}"
    );
    let (subject_at, _) = bob
        .expect_indexed("the subject message", WAIT, |s| {
            from_is(s, ROOM)
                && message(s)
                    .is_some_and(|m| m.type_ == MessageType::Groupchat && subject(m).is_some())
        })
        .await;
    let s = alice
        .expect("Bob's presence", WAIT, |s| {
            from_is(s, BOB) && presence(s).is_some_and(|p| p.type_ == PresenceType::None)
        })
        .await;
    let p = presence(&s).expect("a presence");
    assert!(
        !statuses(p).contains(&"110".to_owned()),
        "110 only goes to Bob: {s:?}"
    );
    (alice_at, self_at, subject_at)
}

/// A running service with `lobby` created by Alice and Bob in it.
async fn lobby(kind: Kind) -> (Env, Client, Client) {
    let env = Env::start(kind).await;
    let mut alice = env.client("alice").await;
    let mut bob = env.client("bob").await;
    create_lobby(&mut alice).await;
    join_bob(&mut alice, &mut bob).await;
    (env, alice, bob)
}

e2e! {
async fn service_disco_info_names_a_text_conference_service(kind: Kind) {
    let env = Env::start(kind).await;
    let mut alice = env.client("alice").await;
    alice
        .send_xml(&format!(
            "<iq type='get' to='{DOMAIN}' id='info1'><query xmlns='{DISCO_INFO}'/></iq>"
        ))
        .await;
    let s = alice
        .expect("disco#info result", WAIT, |s| iq_reply(s, "info1"))
        .await;
    let query = result_payload(&s).expect("a query payload");
    assert!(
        query.children().any(|c| c.name() == "identity"
            && c.attr("category") == Some("conference")
            && c.attr("type") == Some("text")),
        "no conference/text identity: {query:?}"
    );
    assert!(
        query
            .children()
            .any(|c| c.name() == "feature" && c.attr("var") == Some(MUC)),
        "no {MUC} feature: {query:?}"
    );
}
}

e2e! {
async fn owner_creates_an_instant_room(kind: Kind) {
    let env = Env::start(kind).await;
    let mut alice = env.client("alice").await;
    create_lobby(&mut alice).await;
}
}

e2e! {
async fn joining_shows_occupants_then_self_then_subject(kind: Kind) {
    let env = Env::start(kind).await;
    let mut alice = env.client("alice").await;
    let mut bob = env.client("bob").await;
    create_lobby(&mut alice).await;
    let (alice_at, self_at, subject_at) = join_bob(&mut alice, &mut bob).await;
    assert!(
        alice_at < self_at && self_at < subject_at,
        "XEP-0045 §7.2.3: occupants, then self-presence, then subject; got indexes \
         {alice_at}, {self_at}, {subject_at}"
    );
}
}

e2e! {
async fn groupchat_is_reflected_to_everyone_with_the_same_id(kind: Kind) {
    let (_env, mut alice, mut bob) = lobby(kind).await;
    bob.send_xml(&format!(
        "<message to='{ROOM}' type='groupchat' id='g1'><body>hello all</body></message>"
    ))
    .await;
    for client in [&mut alice, &mut bob] {
        let s = client
            .expect("the reflected groupchat message", WAIT, |s| {
                from_is(s, BOB)
                    && message(s).is_some_and(|m| {
                        m.type_ == MessageType::Groupchat && body(m) == Some("hello all")
                    })
            })
            .await;
        let m = message(&s).expect("a message");
        assert_eq!(m.id.as_ref().map(|i| i.0.as_str()), Some("g1"), "{s:?}");
    }
}
}

e2e! {
async fn private_message_arrives_from_the_senders_occupant_jid(kind: Kind) {
    let (_env, mut alice, mut bob) = lobby(kind).await;
    alice
        .send_xml(&format!(
            "<message to='{BOB}' type='chat' id='pm1'><body>psst</body>\
               <x xmlns='http://jabber.org/protocol/muc#user'/></message>"
        ))
        .await;
    let s = bob
        .expect("Alice's private message", WAIT, |s| {
            message(s).is_some_and(|m| body(m) == Some("psst"))
        })
        .await;
    assert!(
        from_is(&s, ALICE),
        "from must be Alice's occupant JID: {s:?}"
    );
    let m = message(&s).expect("a message");
    assert_eq!(
        m.to.as_ref().map(ToString::to_string),
        Some(bob.jid.to_string())
    );
}
}

e2e! {
async fn nick_change_is_unavailable_with_303_then_new_presence(kind: Kind) {
    let (_env, mut alice, mut bob) = lobby(kind).await;
    let robert = "lobby@conference.localhost/Robert";
    bob.send_xml(&format!("<presence to='{robert}'/>")).await;

    let (gone_at, s) = bob
        .expect_indexed("unavailable with 303 and 110", WAIT, |s| {
            presence_with(s, BOB, &["303", "110"])
        })
        .await;
    let p = presence(&s).expect("a presence");
    assert_eq!(p.type_, PresenceType::Unavailable, "{s:?}");
    assert_eq!(
        muc_item(p).and_then(|i| i.attr("nick")),
        Some("Robert"),
        "{s:?}"
    );
    let (back_at, _) = bob
        .expect_indexed("presence as Robert with 110", WAIT, |s| {
            presence_with(s, robert, &["110"])
                && presence(s).is_some_and(|p| p.type_ == PresenceType::None)
        })
        .await;
    assert!(gone_at < back_at, "unavailable must come first");

    let s = alice
        .expect("Bob's unavailable with 303", WAIT, |s| {
            presence_with(s, BOB, &["303"])
        })
        .await;
    let p = presence(&s).expect("a presence");
    assert_eq!(p.type_, PresenceType::Unavailable, "{s:?}");
    assert!(!statuses(p).contains(&"110".to_owned()), "{s:?}");
    alice
        .expect("Robert's presence", WAIT, |s| {
            from_is(s, robert) && presence(s).is_some_and(|p| p.type_ == PresenceType::None)
        })
        .await;
}
}

e2e! {
async fn owner_changes_the_subject_and_everyone_sees_it(kind: Kind) {
    let (_env, mut alice, mut bob) = lobby(kind).await;
    alice
        .send_xml(&format!(
            "<message to='{ROOM}' type='groupchat' id='subj1'><subject>Game night</subject></message>"
        ))
        .await;
    for client in [&mut alice, &mut bob] {
        client
            .expect("the new subject", WAIT, |s| {
                from_is(s, ALICE)
                    && message(s).is_some_and(|m| {
                        m.type_ == MessageType::Groupchat && subject(m) == Some("Game night")
                    })
            })
            .await;
    }
}
}

e2e! {
async fn service_items_list_the_room(kind: Kind) {
    let (_env, mut alice, _bob) = lobby(kind).await;
    alice
        .send_xml(&format!(
            "<iq type='get' to='{DOMAIN}' id='items1'><query xmlns='{DISCO_ITEMS}'/></iq>"
        ))
        .await;
    let s = alice
        .expect("disco#items result", WAIT, |s| iq_reply(s, "items1"))
        .await;
    let query = result_payload(&s).expect("a query payload");
    assert!(
        query
            .children()
            .any(|c| c.name() == "item" && c.attr("jid") == Some(ROOM)),
        "{ROOM} not listed: {query:?}"
    );
}
}

e2e! {
async fn leaving_is_unavailable_with_110_and_others_see_it(kind: Kind) {
    let (_env, mut alice, mut bob) = lobby(kind).await;
    bob.send_xml(&format!("<presence to='{BOB}' type='unavailable'/>"))
        .await;
    bob.expect("own unavailable with 110", WAIT, |s| {
        presence_with(s, BOB, &["110"])
            && presence(s).is_some_and(|p| p.type_ == PresenceType::Unavailable)
    })
    .await;
    alice
        .expect("Bob leaving", WAIT, |s| {
            from_is(s, BOB) && presence(s).is_some_and(|p| p.type_ == PresenceType::Unavailable)
        })
        .await;
}
}

e2e! {
async fn disco_to_an_occupant_from_outside_is_a_bad_request(kind: Kind) {
    let (env, _alice, _bob) = lobby(kind).await;
    let mut carol = env.client("carol").await;
    carol
        .send_xml(&format!(
            "<iq type='get' to='{BOB}' id='d'><query xmlns='{DISCO_INFO}'/></iq>"
        ))
        .await;
    let s = carol.expect("the refusal", WAIT, |s| iq_reply(s, "d")).await;
    let e = xmpp_parsers::minidom::Element::from(&s);
    assert_eq!(e.attr("type"), Some("error"), "{s:?}");
    assert!(
        e.children()
            .filter(|c| c.name() == "error")
            .any(|err| err.children().any(|c| c.name() == "bad-request")),
        "{s:?}"
    );
}
}

e2e! {
async fn nicknames_are_enforced_and_compared_as_nicknames(kind: Kind) {
    let (env, _alice, _bob) = lobby(kind).await;
    let mut carol = env.client("carol").await;
    for (nick, condition) in [
        ("   ", "jid-malformed"),
        // A no-break space only (NFKC makes it a space). Zero-width characters only are left
        // to the in-process test: resourceprep leaves no nick, and Prosody drops the presence
        // before it reaches the room.
        ("&#xA0;", "jid-malformed"),
        ("&#x2800;", "not-acceptable"),
        ("bob", "conflict"),
        ("Bob&#x200B;", "conflict"),
    ] {
        carol
            .send_xml(&format!(
                "<presence to='{ROOM}/{nick}' id='n'><x xmlns='{MUC}'/></presence>"
            ))
            .await;
        let s = carol
            .expect("the refusal", WAIT, |s| {
                presence(s).is_some_and(|p| p.type_ == PresenceType::Error)
            })
            .await;
        let e = xmpp_parsers::minidom::Element::from(&s);
        assert!(
            e.children()
                .filter(|c| c.name() == "error")
                .any(|err| err.children().any(|c| c.name() == condition)),
            "{nick}: expected {condition}: {s:?}"
        );
    }
    // The room's JID is case-insensitive and spaces around a nickname go (status 210).
    carol
        .send_xml(&format!(
            "<presence to='LOBBY@conference.localhost/ Carol '><x xmlns='{MUC}'/></presence>"
        ))
        .await;
    carol
        .expect("own presence with 110 and 210", WAIT, |s| {
            presence_with(s, "lobby@conference.localhost/Carol", &["110", "210"])
        })
        .await;
    // Emoji (assigned after Unicode 3.2; RFC 7622 allows them in a resourcepart) are a
    // nickname's own: Carol, in, takes one as her new nick. ejabberd 23.01 refuses such an
    // address itself (bad-request from the server), so it never reaches a component there.
    if kind == Kind::Prosody {
        carol
            .send_xml("<presence to='lobby@conference.localhost/Carol &#x1F3B2;'/>")
            .await;
        carol
            .expect("own presence under the new nick", WAIT, |s| {
                presence_with(s, "lobby@conference.localhost/Carol \u{1F3B2}", &["110"])
            })
            .await;
    }
}
}

e2e! {
async fn two_resources_of_one_user_are_one_occupant(kind: Kind) {
    let (env, mut alice, mut bob) = lobby(kind).await;
    let mut laptop = env.session("bob", "laptop").await;
    laptop
        .send_xml(&format!("<presence to='{BOB}'><x xmlns='{MUC}'/></presence>"))
        .await;
    laptop
        .expect("own presence with 110", WAIT, |s| presence_with(s, BOB, &["110"]))
        .await;
    // Alice sees no second Bob.
    alice
        .expect_none("a presence from Bob", std::time::Duration::from_millis(500), |s| {
            from_is(s, BOB) && presence(s).is_some()
        })
        .await;
    // Room traffic and private messages reach both resources.
    say_in(&mut alice, ROOM, "to both").await;
    say_in(&mut laptop, ROOM, "from the laptop").await;
    alice
        .send_xml(&format!(
            "<message to='{BOB}' type='chat' id='pm'><body>psst</body></message>"
        ))
        .await;
    for client in [&mut bob, &mut laptop] {
        for text in ["to both", "from the laptop", "psst"] {
            let s = client
                .expect(text, WAIT, |s| message(s).and_then(body) == Some(text))
                .await;
            let from = if text == "from the laptop" { BOB } else { ALICE };
            assert!(from_is(&s, from), "{s:?}");
        }
    }
    // The phone leaves: Bob stays; the laptop leaves: Bob is gone.
    bob.send_xml(&format!("<presence to='{BOB}' type='unavailable'/>"))
        .await;
    bob.expect("own exit", WAIT, |s| presence_with(s, BOB, &["110"]))
        .await;
    alice
        .expect_none("Bob leaving", std::time::Duration::from_millis(500), |s| {
            from_is(s, BOB)
                && presence(s).is_some_and(|p| p.type_ == PresenceType::Unavailable)
        })
        .await;
    laptop
        .send_xml(&format!("<presence to='{BOB}' type='unavailable'/>"))
        .await;
    alice
        .expect("Bob leaving", WAIT, |s| {
            from_is(s, BOB)
                && presence(s).is_some_and(|p| p.type_ == PresenceType::Unavailable)
        })
        .await;
}
}

/// The occupant-id a stanza carries.
fn occupant_id(s: &xmpp_parsers::stanza::Stanza) -> Option<String> {
    xmpp_parsers::minidom::Element::from(s)
        .get_child("occupant-id", "urn:xmpp:occupant-id:0")
        .and_then(|o| o.attr("id").map(str::to_owned))
}

e2e! {
async fn an_occupant_keeps_its_occupant_id_across_nicks_and_sessions(kind: Kind) {
    let (env, mut alice, mut bob) = lobby(kind).await;
    say_in(&mut bob, ROOM, "one").await;
    let s = alice
        .expect("Bob's message", WAIT, |s| message(s).and_then(body) == Some("one"))
        .await;
    let id = occupant_id(&s).expect("an occupant-id on the message");
    bob.send_xml(&format!("<presence to='{ROOM}/Robert'/>")).await;
    let s = alice
        .expect("Robert's presence", WAIT, |s| {
            from_is(s, &format!("{ROOM}/Robert")) && presence(s).is_some()
        })
        .await;
    assert_eq!(occupant_id(&s).as_deref(), Some(id.as_str()));
    let mut laptop = env.session("bob", "laptop").await;
    laptop
        .send_xml(&format!("<presence to='{ROOM}/Bobby'><x xmlns='{MUC}'/></presence>"))
        .await;
    let s = alice
        .expect("Bobby's presence", WAIT, |s| {
            from_is(s, &format!("{ROOM}/Bobby")) && presence(s).is_some()
        })
        .await;
    assert_eq!(occupant_id(&s).as_deref(), Some(id.as_str()), "same user, same id");
    say_in(&mut alice, ROOM, "two").await;
    let s = bob
        .expect("Alice's message", WAIT, |s| message(s).and_then(body) == Some("two"))
        .await;
    let theirs = occupant_id(&s).expect("an occupant-id on Alice's message");
    assert_ne!(theirs, id, "another user, another id");
}
}
