//! XEP-0313 on rooms through real stanzas: results, paging, filters, who may read.

use xmpp_parsers::minidom::Element;

use crate::muc::occupant_id::ServiceKey;
use crate::testing::{Harness, KEY, assert_stanzas, canonical};

const ROOM: &str = "lobby@conference.localhost";
const MAM: &str = "urn:xmpp:mam:2";
const ALICE: &str = "alice@localhost/pc";
const BOB: &str = "bob@localhost/m";

fn say(h: &mut Harness, from: &str, id: &str, body: &str) -> String {
    let out = h.send(&format!(
        "<message type='groupchat' id='{id}' from='{from}' to='{ROOM}'><body>{body}</body></message>"
    ));
    stanza_id(&out[0])
}

fn stanza_id(e: &Element) -> String {
    e.get_child("stanza-id", "urn:xmpp:sid:0")
        .and_then(|s| s.attr("id"))
        .unwrap_or_else(|| panic!("no stanza-id: {}", canonical(e)))
        .to_owned()
}

/// Sends a MAM query whose `<query/>` holds `inner`; returns what came back.
fn query(h: &mut Harness, from: &str, inner: &str) -> Vec<Element> {
    h.send(&format!(
        "<iq type='set' id='q' from='{from}' to='{ROOM}'><query xmlns='{MAM}'>{inner}</query></iq>"
    ))
}

fn form(fields: &str) -> String {
    format!(
        "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>{MAM}</value></field>{fields}</x>"
    )
}

fn rsm(inner: &str) -> String {
    format!("<set xmlns='http://jabber.org/protocol/rsm'>{inner}</set>")
}

/// The archive ids of the results, in the order they came.
fn ids(out: &[Element]) -> Vec<String> {
    out.iter()
        .filter_map(|e| e.get_child("result", MAM))
        .filter_map(|r| r.attr("id").map(str::to_owned))
        .collect()
}

/// The `<fin/>` of the final result, and whether it said complete.
fn complete(out: &[Element]) -> bool {
    let fin = out
        .last()
        .and_then(|e| e.get_child("fin", MAM))
        .unwrap_or_else(|| panic!("no fin: {out:?}"));
    fin.attr("complete") == Some("true")
}

fn error(out: &[Element]) -> String {
    let e = canonical(&out[0]);
    assert!(e.contains("type='error'"), "{e}");
    e
}

fn oid(user: &str) -> String {
    let room = ROOM.parse().unwrap_or_else(|e| panic!("{e}"));
    let user = user.parse().unwrap_or_else(|e| panic!("{e}"));
    ServiceKey(KEY).occupant_id(&room, &user)
}

#[test]
fn a_query_forwards_each_message_as_relayed_then_the_fin() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let one = say(&mut h, ALICE, "m1", "one");
    h.advance(60);
    let two = say(&mut h, BOB, "m2", "two");
    let out = query(&mut h, BOB, "");
    let alice = oid("alice@localhost");
    let bob = oid("bob@localhost");
    // Query ids are echoed only when given.
    let out2 = h.send(&format!(
        "<iq type='set' id='q2' from='{BOB}' to='{ROOM}'><query xmlns='{MAM}' queryid='f27'/></iq>"
    ));
    assert_eq!(
        out2[0]
            .get_child("result", MAM)
            .and_then(|r| r.attr("queryid")),
        Some("f27")
    );
    assert_stanzas(
        &out,
        &[
            &format!(
                "<message from='{ROOM}' to='{BOB}'><result xmlns='{MAM}' id='{one}'><forwarded xmlns='urn:xmpp:forward:0'>\
                   <delay xmlns='urn:xmpp:delay' stamp='2026-01-01T00:00:00+00:00'/>\
                   <message xmlns='jabber:client' type='groupchat' id='m1' from='{ROOM}/Alice'><body>one</body>\
                     <stanza-id xmlns='urn:xmpp:sid:0' id='{one}' by='{ROOM}'/><occupant-id xmlns='urn:xmpp:occupant-id:0' id='{alice}'/></message>\
                 </forwarded></result></message>"
            ),
            &format!(
                "<message from='{ROOM}' to='{BOB}'><result xmlns='{MAM}' id='{two}'><forwarded xmlns='urn:xmpp:forward:0'>\
                   <delay xmlns='urn:xmpp:delay' stamp='2026-01-01T00:01:00+00:00'/>\
                   <message xmlns='jabber:client' type='groupchat' id='m2' from='{ROOM}/Bob'><body>two</body>\
                     <stanza-id xmlns='urn:xmpp:sid:0' id='{two}' by='{ROOM}'/><occupant-id xmlns='urn:xmpp:occupant-id:0' id='{bob}'/></message>\
                 </forwarded></result></message>"
            ),
            &format!(
                "<iq type='result' id='q' from='{ROOM}' to='{BOB}'><fin xmlns='{MAM}' complete='true'>\
                   <set xmlns='http://jabber.org/protocol/rsm'><first index='0'>{one}</first><last>{two}</last><count>2</count></set></fin></iq>"
            ),
        ],
    );
    // The moderator Alice also sees who sent each (§5.1: real JIDs are hers to see).
    let out = query(&mut h, ALICE, "");
    assert!(
        canonical(&out[1]).contains(
            "<{http://jabber.org/protocol/muc#user}item affiliation='none' jid='bob@localhost'>"
        ),
        "{}",
        canonical(&out[1])
    );
}

#[test]
fn pages_go_forward_and_backward_and_may_be_flipped() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let all: Vec<String> = (1..=5)
        .map(|i| say(&mut h, ALICE, &format!("m{i}"), &format!("n{i}")))
        .collect();
    let page = |h: &mut Harness, set: &str| query(h, BOB, &rsm(set));
    let out = page(&mut h, "<max>2</max>");
    assert_eq!(ids(&out), all[0..2]);
    assert!(!complete(&out));
    let out = page(&mut h, &format!("<max>2</max><after>{}</after>", all[1]));
    assert_eq!(ids(&out), all[2..4]);
    assert!(!complete(&out));
    let out = page(&mut h, &format!("<max>2</max><after>{}</after>", all[3]));
    assert_eq!(ids(&out), all[4..5]);
    assert!(complete(&out));
    // Backward from the end: the last page first.
    let out = page(&mut h, "<max>2</max><before/>");
    assert_eq!(ids(&out), all[3..5]);
    assert!(!complete(&out));
    let out = page(&mut h, &format!("<max>2</max><before>{}</before>", all[3]));
    assert_eq!(ids(&out), all[1..3]);
    let out = page(&mut h, &format!("<max>2</max><before>{}</before>", all[1]));
    assert_eq!(ids(&out), all[0..1]);
    assert!(complete(&out));
    // A flipped page: the same results, newest first.
    let out = query(
        &mut h,
        BOB,
        &format!("{}<flip-page/>", rsm("<max>2</max><before/>")),
    );
    assert_eq!(ids(&out), [all[4].clone(), all[3].clone()]);
    // max 0: the count alone.
    let out = page(&mut h, "<max>0</max>");
    assert!(ids(&out).is_empty());
    assert!(canonical(&out[0]).contains("<{http://jabber.org/protocol/rsm}count>5</count>"));
    // An id the archive does not hold.
    let out = page(&mut h, "<after>nope</after>");
    assert!(error(&out).contains("}item-not-found>"));
}

#[test]
fn filters_by_time_sender_and_ids() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let a1 = say(&mut h, ALICE, "a1", "a1");
    h.advance(3600);
    let b1 = say(&mut h, BOB, "b1", "b1");
    h.advance(3600);
    let a2 = say(&mut h, ALICE, "a2", "a2");
    let field =
        |var: &str, value: &str| format!("<field var='{var}'><value>{value}</value></field>");
    let out = query(&mut h, BOB, &form(&field("start", "2026-01-01T01:00:00Z")));
    assert_eq!(ids(&out), [b1.clone(), a2.clone()]);
    let out = query(&mut h, BOB, &form(&field("end", "2026-01-01T01:00:00Z")));
    assert_eq!(ids(&out), [a1.clone(), b1.clone()]);
    let out = query(&mut h, BOB, &form(&field("with", &format!("{ROOM}/Alice"))));
    assert_eq!(ids(&out), [a1.clone(), a2.clone()]);
    let out = query(
        &mut h,
        BOB,
        &form(&format!(
            "{}{}",
            field("after-id", &a1),
            field("before-id", &a2)
        )),
    );
    assert_eq!(ids(&out), std::slice::from_ref(&b1));
    let out = query(
        &mut h,
        BOB,
        &form(&format!(
            "<field var='ids'><value>{a2}</value><value>{a1}</value></field>"
        )),
    );
    assert_eq!(ids(&out), [a1.clone(), a2.clone()]);
    // A real JID as `with` only for who may see real JIDs: Alice, a moderator, yes; Bob, no.
    let out = query(&mut h, ALICE, &form(&field("with", "bob@localhost")));
    assert_eq!(ids(&out), std::slice::from_ref(&b1));
    let out = query(&mut h, BOB, &form(&field("with", "alice@localhost")));
    assert!(ids(&out).is_empty());
    // Refusals: an unknown id, an unknown field, a bad date, a malformed JID.
    let out = query(&mut h, BOB, &form(&field("ids", "nope")));
    assert!(error(&out).contains("}item-not-found>"));
    let out = query(&mut h, BOB, &form(&field("{urn:example}search", "x")));
    assert!(error(&out).contains("}feature-not-implemented>"));
    let out = query(&mut h, BOB, &form(&field("start", "yesterday")));
    assert!(error(&out).contains("}bad-request>"));
    let out = query(&mut h, BOB, &form(&field("with", "@@")));
    assert!(error(&out).contains("}jid-malformed>"));
}

#[test]
fn the_form_and_the_metadata() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = h.send(&format!(
        "<iq type='get' id='f' from='{BOB}' to='{ROOM}'><query xmlns='{MAM}'/></iq>"
    ));
    assert_stanzas(
        &out,
        &[&format!(
            "<iq type='result' id='f' from='{ROOM}' to='{BOB}'><query xmlns='{MAM}'><x xmlns='jabber:x:data' type='form'>\
               <field type='hidden' var='FORM_TYPE'><value>{MAM}</value></field>\
               <field type='jid-single' var='with'/><field type='text-single' var='start'/><field type='text-single' var='end'/>\
               <field type='text-single' var='before-id'/><field type='text-single' var='after-id'/>\
               <field type='list-multi' var='ids'><validate xmlns='http://jabber.org/protocol/xdata-validate' datatype='xs:string'><open/></validate></field>\
             </x></query></iq>"
        )],
    );
    let meta = |h: &mut Harness| {
        h.send(&format!(
            "<iq type='get' id='md' from='{BOB}' to='{ROOM}'><metadata xmlns='{MAM}'/></iq>"
        ))
    };
    assert_stanzas(
        &meta(&mut h),
        &[&format!(
            "<iq type='result' id='md' from='{ROOM}' to='{BOB}'><metadata xmlns='{MAM}'/></iq>"
        )],
    );
    let first = say(&mut h, ALICE, "1", "first");
    h.advance(10);
    let last = say(&mut h, ALICE, "2", "last");
    assert_stanzas(
        &meta(&mut h),
        &[&format!(
            "<iq type='result' id='md' from='{ROOM}' to='{BOB}'><metadata xmlns='{MAM}'>\
               <start id='{first}' timestamp='2026-01-01T00:00:00+00:00'/><end id='{last}' timestamp='2026-01-01T00:00:10+00:00'/></metadata></iq>"
        )],
    );
}

#[test]
fn who_may_read_the_archive() {
    let mut h = Harness::lobby_with_alice_and_bob();
    say(&mut h, ALICE, "1", "hello");
    // In an open room anyone who could enter may, never having entered (XEP-0313 §6.1.2),
    // hidden room or not.
    let out = query(&mut h, "carol@localhost/c", "");
    assert_eq!(ids(&out).len(), 1);
    let cfg = |h: &mut Harness, fields: &str| {
        h.send(&format!(
            "<iq type='set' id='c' from='{ALICE}' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#owner'>\
             <x xmlns='jabber:x:data' type='submit'>{fields}</x></query></iq>"
        ))
    };
    cfg(
        &mut h,
        "<field var='muc#roomconfig_publicroom'><value>0</value></field>",
    );
    let out = query(&mut h, "carol@localhost/c", "");
    assert_eq!(ids(&out).len(), 1);
    // The owner may keep it to occupants and members.
    cfg(
        &mut h,
        "<field var='palaver#roomconfig_archivereaders'><value>occupants</value></field>",
    );
    let out = query(&mut h, "carol@localhost/c", "");
    assert!(error(&out).contains("}forbidden>"));
    cfg(
        &mut h,
        "<field var='palaver#roomconfig_archivereaders'><value>anyone</value></field>",
    );
    // Not in a members-only room.
    cfg(
        &mut h,
        "<field var='muc#roomconfig_membersonly'><value>1</value></field>",
    );
    let out = query(&mut h, "carol@localhost/c", "");
    let e = error(&out);
    assert!(
        e.contains("}forbidden>") && e.contains("Only members may read"),
        "{e}"
    );
    cfg(
        &mut h,
        "<field var='muc#roomconfig_membersonly'><value>0</value></field>",
    );
    // Not while it has a password.
    cfg(
        &mut h,
        "<field var='muc#roomconfig_roomsecret'><value>s</value></field><field var='muc#roomconfig_passwordprotectedroom'><value>1</value></field>",
    );
    let out = query(&mut h, "carol@localhost/c", "");
    assert!(error(&out).contains("}forbidden>"));
    // A member who is away may; a banned user may not, even when present before.
    h.send(&format!(
        "<iq type='set' id='m' from='{ALICE}' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#admin'>\
         <item affiliation='member' jid='dave@localhost'/><item affiliation='outcast' jid='bob@localhost'/></query></iq>"
    ));
    let out = query(&mut h, "dave@localhost/d", "");
    assert_eq!(ids(&out).len(), 1);
    let out = query(&mut h, BOB, "");
    assert!(error(&out).contains("}forbidden>"));
}

#[test]
fn archiving_can_be_turned_off_and_the_archive_is_bounded() {
    let mut h = Harness::with_settings(|s| {
        s.max_archive = 3;
        s.archive_days = 2;
    });
    h.create_instant(ALICE, ROOM, "Alice");
    let all: Vec<String> = (0..5)
        .map(|i| say(&mut h, ALICE, &format!("{i}"), "x"))
        .collect();
    let out = query(&mut h, ALICE, "");
    assert_eq!(ids(&out), all[2..5], "the oldest go first");
    // Two days later the old ones have expired.
    h.advance(3 * 24 * 3600);
    let fresh = say(&mut h, ALICE, "f", "fresh");
    let out = query(&mut h, ALICE, "");
    assert_eq!(ids(&out), [fresh]);
    h.send(&format!(
        "<iq type='set' id='c' from='{ALICE}' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#owner'>\
         <x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_enablearchiving'><value>0</value></field></x></query></iq>"
    ));
    let out = h.send(&format!(
        "<message type='groupchat' id='u' from='{ALICE}' to='{ROOM}'><body>unarchived</body></message>"
    ));
    // Still stamped (clients refer to messages by it), not archived.
    stanza_id(&out[0]);
    let out = query(&mut h, ALICE, "");
    assert_eq!(ids(&out).len(), 1);
    let out = h.send(&format!(
        "<iq type='get' id='i' from='{ALICE}' to='{ROOM}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"
    ));
    assert!(!canonical(&out[0]).contains("urn:xmpp:mam:2"));
    // A retention the service does not allow is refused.
    let out = h.send(&format!(
        "<iq type='set' id='r' from='{ALICE}' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#owner'>\
         <x xmlns='jabber:x:data' type='submit'><field var='palaver#roomconfig_archiveretention'><value>9</value></field></x></query></iq>"
    ));
    assert!(
        canonical(&out[0]).contains("}not-acceptable>"),
        "{}",
        canonical(&out[0])
    );
}

#[test]
fn clients_payloads_pass_untouched_and_are_archived() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let first = say(&mut h, BOB, "orig", "helo");
    let payloads = [
        // XEP-0308 correction, XEP-0461 reply, XEP-0393 styling, XEP-0066 link.
        "<body>hello *all*</body><replace xmlns='urn:xmpp:message-correct:0' id='orig'/>".to_owned(),
        format!("<body>> helo\nhi</body><reply xmlns='urn:xmpp:reply:0' to='{ROOM}/Bob' id='{first}'/><fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='7'/></fallback>"),
        "<body>https://example.org/cat.png</body><x xmlns='jabber:x:oob'><url>https://example.org/cat.png</url></x>".to_owned(),
        // XEP-0444 reaction: no body.
        format!("<reactions xmlns='urn:xmpp:reactions:0' id='{first}'><reaction>👍</reaction></reactions><store xmlns='urn:xmpp:hints'/>"),
    ];
    for (i, p) in payloads.iter().enumerate() {
        let out = h.send(&format!(
            "<message type='groupchat' id='p{i}' from='{ALICE}' to='{ROOM}'>{p}</message>"
        ));
        assert_stanzas(
            &out[..1],
            &[&format!(
                "<message type='groupchat' id='p{i}' from='{ROOM}/Alice' to='{ALICE}'>{p}</message>"
            )],
        );
    }
    // A chat state alone is relayed, not archived.
    h.send(&format!(
        "<message type='groupchat' id='cs' from='{ALICE}' to='{ROOM}'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>"
    ));
    let out = query(&mut h, BOB, "");
    assert_eq!(ids(&out).len(), 5);
    let last = canonical(&out[4]);
    assert!(last.contains("{urn:xmpp:reactions:0}reactions"), "{last}");
}

#[test]
fn players_never_get_spectators_chat_from_the_archive() {
    let mut h = Harness::lobby_with_alice_and_bob();
    h.join("carol@localhost/c", &format!("{ROOM}/Carol"));
    h.send(&format!(
        "<iq type='set' id='p' from='{ALICE}' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Bob' role='player'/></query></iq>"
    ));
    let world = h.engine.world_mut();
    let room = world
        .resource::<crate::muc::room::RoomIndex>()
        .0
        .values()
        .next()
        .copied();
    if let Some(room) = room {
        world
            .entity_mut(room)
            .insert(crate::muc::player::GameRunning);
    }
    let spectator = say(&mut h, "carol@localhost/c", "s", "play e4!");
    let player = say(&mut h, BOB, "b", "gg");
    assert_eq!(ids(&query(&mut h, BOB, "")), std::slice::from_ref(&player));
    assert_eq!(
        ids(&query(&mut h, "carol@localhost/c", "")),
        [spectator.clone(), player.clone()]
    );
    // Not even by id.
    let out = query(
        &mut h,
        BOB,
        &form(&format!(
            "<field var='ids'><value>{spectator}</value></field>"
        )),
    );
    assert!(error(&out).contains("}item-not-found>"));
}

#[test]
fn expired_messages_go_even_where_nobody_writes() {
    let mut h = Harness::lobby_with_alice_and_bob();
    say(&mut h, ALICE, "1", "old news");
    let kept = |h: &mut Harness| -> usize {
        let world = h.engine.world_mut();
        let mut q = world.query::<&crate::muc::archive::Archive>();
        q.iter(world).map(|a| a.entries.len()).sum()
    };
    assert_eq!(kept(&mut h), 1);
    // Within the hour the archives are looked over; then the engine asks to be woken when the
    // message is 30 days old, and drops it then.
    h.advance(3600);
    h.tick();
    let due = h.now - std::time::Duration::from_secs(3600)
        + std::time::Duration::from_secs(30 * 24 * 3600 + 1);
    assert_eq!(h.engine.next_deadline(), Some(due));
    h.now = due;
    h.tick();
    assert_eq!(kept(&mut h), 0);
    assert_eq!(h.engine.next_deadline(), None, "nothing left to expire");
}
