//! §8 moderator and §9 admin use cases through muc#admin, and §10.3–§10.8's lists.

use crate::testing::{Harness, assert_stanzas, canonical};

const ROOM: &str = "lobby@conference.localhost";

fn admin_set(
    h: &mut Harness,
    from: &str,
    id: &str,
    items: &str,
) -> Vec<xmpp_parsers::minidom::Element> {
    h.send(&format!(
        "<iq type='set' id='{id}' from='{from}' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#admin'>{items}</query></iq>"
    ))
}

fn admin_get(
    h: &mut Harness,
    from: &str,
    id: &str,
    item: &str,
) -> Vec<xmpp_parsers::minidom::Element> {
    h.send(&format!(
        "<iq type='get' id='{id}' from='{from}' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#admin'>{item}</query></iq>"
    ))
}

#[test]
fn kick_tells_the_kicked_first_then_the_room_then_the_moderator() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = admin_set(
        &mut h,
        "alice@localhost/pc",
        "k1",
        "<item nick='Bob' role='none'><reason>Avaunt, you cullion!</reason></item>",
    );
    assert_stanzas(
        &out,
        &[
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <status code='110'/><status code='307'/>\
               <item affiliation='none' role='none'><actor nick='Alice'/><reason>Avaunt, you cullion!</reason></item></x></presence>",
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <status code='307'/>\
               <item affiliation='none' role='none' jid='bob@localhost/m'><actor nick='Alice'/><reason>Avaunt, you cullion!</reason></item></x></presence>",
            "<iq type='result' id='k1' from='lobby@conference.localhost' to='alice@localhost/pc'/>",
        ],
    );
    // Bob is gone; a kick is not a ban: he may come back.
    let out = h.join("bob@localhost/m", "lobby@conference.localhost/Bob");
    assert!(
        canonical(&out[out.len() - 2]).contains("code='110'"),
        "{:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
}

#[test]
fn participants_may_not_kick_and_unknown_nicks_are_item_not_found() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = admin_set(
        &mut h,
        "bob@localhost/m",
        "k",
        "<item nick='Alice' role='none'/>",
    );
    assert_stanzas(
        &out,
        &[
            "<iq type='error' id='k' from='lobby@conference.localhost' to='bob@localhost/m'>\
             <error type='auth' by='conference.localhost'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
             <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>Only moderators may change roles</text></error>\
             <query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Alice' role='none'/></query></iq>",
        ],
    );
    let out = admin_set(
        &mut h,
        "alice@localhost/pc",
        "k",
        "<item nick='Nobody' role='none'/>",
    );
    assert!(canonical(&out[0]).contains("item-not-found"));
}

#[test]
fn ban_removes_with_301_and_keeps_the_user_out() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = admin_set(
        &mut h,
        "alice@localhost/pc",
        "b1",
        "<item affiliation='outcast' jid='bob@localhost'><reason>Treason</reason></item>",
    );
    assert_stanzas(
        &out,
        &[
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <status code='110'/><status code='301'/>\
               <item affiliation='outcast' role='none'><actor nick='Alice'/><reason>Treason</reason></item></x></presence>",
            "<presence type='unavailable' from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <status code='301'/>\
               <item affiliation='outcast' role='none' jid='bob@localhost/m'><actor nick='Alice'/><reason>Treason</reason></item></x></presence>",
            "<iq type='result' id='b1' from='lobby@conference.localhost' to='alice@localhost/pc'/>",
        ],
    );
    let out = h.join("bob@localhost/other", "lobby@conference.localhost/Bobby");
    assert_eq!(out.len(), 1);
    assert!(
        canonical(&out[0]).contains("}forbidden>"),
        "{}",
        canonical(&out[0])
    );
    // The ban list shows him with the reason.
    let out = admin_get(
        &mut h,
        "alice@localhost/pc",
        "l",
        "<item affiliation='outcast'/>",
    );
    assert_stanzas(
        &out,
        &[
            "<iq type='result' id='l' from='lobby@conference.localhost' to='alice@localhost/pc'>\
             <query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast' jid='bob@localhost'><reason>Treason</reason></item></query></iq>",
        ],
    );
    // Lifting the ban (affiliation none) lets him in again.
    admin_set(
        &mut h,
        "alice@localhost/pc",
        "u",
        "<item affiliation='none' jid='bob@localhost'/>",
    );
    let out = h.join("bob@localhost/m", "lobby@conference.localhost/Bob");
    assert!(out.iter().any(|e| canonical(e).contains("code='110'")));
}

#[test]
fn an_owner_may_not_ban_herself_and_the_last_owner_stays() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = admin_set(
        &mut h,
        "alice@localhost/pc",
        "s",
        "<item affiliation='outcast' jid='alice@localhost'/>",
    );
    assert!(
        canonical(&out[0]).contains("}conflict>"),
        "{}",
        canonical(&out[0])
    );
    let out = admin_set(
        &mut h,
        "alice@localhost/pc",
        "s",
        "<item affiliation='member' jid='alice@localhost'/>",
    );
    assert!(
        canonical(&out[0]).contains("}conflict>"),
        "{}",
        canonical(&out[0])
    );
    // With a second owner named in the same request, stepping down is fine.
    let out = admin_set(
        &mut h,
        "alice@localhost/pc",
        "s2",
        "<item affiliation='owner' jid='bob@localhost'/><item affiliation='admin' jid='alice@localhost'/>",
    );
    assert!(canonical(out.last().unwrap_or_else(|| panic!("no reply"))).contains("type='result'"));
}

#[test]
fn voice_grant_and_revoke_in_a_moderated_room() {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", ROOM, "Alice");
    h.send(&format!(
        "<iq type='set' id='c' from='alice@localhost/pc' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>\
           <field var='muc#roomconfig_moderatedroom'><value>1</value></field></x></query></iq>"
    ));
    let out = h.join("bob@localhost/m", "lobby@conference.localhost/Bob");
    assert!(
        canonical(&out[2]).contains("role='visitor'"),
        "{}",
        canonical(&out[2])
    );
    // A visitor cannot speak.
    let out = h.send(&format!("<message type='groupchat' id='v' from='bob@localhost/m' to='{ROOM}'><body>hi</body></message>"));
    assert!(canonical(&out[0]).contains("}forbidden>"));
    // The voice list is empty, the visitor list has Bob.
    let out = admin_get(
        &mut h,
        "alice@localhost/pc",
        "vl",
        "<item role='participant'/>",
    );
    assert_stanzas(
        &out,
        &[
            "<iq type='result' id='vl' from='lobby@conference.localhost' to='alice@localhost/pc'><query xmlns='http://jabber.org/protocol/muc#admin'/></iq>",
        ],
    );
    let out = admin_set(
        &mut h,
        "alice@localhost/pc",
        "g",
        "<item nick='Bob' role='participant'><reason>A worthy witch</reason></item>",
    );
    assert_stanzas(
        &out,
        &[
            "<presence from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <item affiliation='none' role='participant' jid='bob@localhost/m'><actor nick='Alice'/><reason>A worthy witch</reason></item></x></presence>",
            "<presence from='lobby@conference.localhost/Bob' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <status code='110'/><item affiliation='none' role='participant'><actor nick='Alice'/><reason>A worthy witch</reason></item></x></presence>",
            "<iq type='result' id='g' from='lobby@conference.localhost' to='alice@localhost/pc'/>",
        ],
    );
    let out = h.send(&format!("<message type='groupchat' id='v2' from='bob@localhost/m' to='{ROOM}'><body>hi</body></message>"));
    assert_eq!(out.len(), 2);
    let out = admin_get(
        &mut h,
        "alice@localhost/pc",
        "vl",
        "<item role='participant'/>",
    );
    assert_stanzas(
        &out,
        &[
            "<iq type='result' id='vl' from='lobby@conference.localhost' to='alice@localhost/pc'><query xmlns='http://jabber.org/protocol/muc#admin'>\
        <item affiliation='none' role='participant' jid='bob@localhost/m' nick='Bob'/></query></iq>",
        ],
    );
    // Revoking voice: back to visitor; the owner's own voice cannot be revoked.
    let out = admin_set(
        &mut h,
        "alice@localhost/pc",
        "r",
        "<item nick='Bob' role='visitor'/>",
    );
    assert!(canonical(&out[0]).contains("role='visitor'"));
    let out = admin_set(
        &mut h,
        "alice@localhost/pc",
        "r",
        "<item nick='Alice' role='visitor'/>",
    );
    assert!(canonical(&out[0]).contains("}not-allowed>"));
}

#[test]
fn a_set_with_one_bad_item_applies_nothing() {
    let mut h = Harness::lobby_with_alice_and_bob();
    h.join("carol@localhost/c", "lobby@conference.localhost/Carol");
    // Make Carol an admin, then have her try to ban Bob and Alice (an owner) at once.
    admin_set(
        &mut h,
        "alice@localhost/pc",
        "a",
        "<item affiliation='admin' jid='carol@localhost'/>",
    );
    let out = admin_set(
        &mut h,
        "carol@localhost/c",
        "two",
        "<item affiliation='outcast' jid='bob@localhost'/><item affiliation='outcast' jid='alice@localhost'/>",
    );
    assert_eq!(
        out.len(),
        1,
        "{:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
    assert!(canonical(&out[0]).contains("}not-allowed>"));
    let out = admin_get(
        &mut h,
        "alice@localhost/pc",
        "l",
        "<item affiliation='outcast'/>",
    );
    assert_stanzas(
        &out,
        &[
            "<iq type='result' id='l' from='lobby@conference.localhost' to='alice@localhost/pc'><query xmlns='http://jabber.org/protocol/muc#admin'/></iq>",
        ],
    );
}

#[test]
fn granting_admin_makes_a_moderator_and_members_list_shows_absent_users() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = admin_set(
        &mut h,
        "alice@localhost/pc",
        "a",
        "<item affiliation='admin' jid='bob@localhost'/>",
    );
    assert_stanzas(
        &out,
        &[
            "<presence from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <item affiliation='admin' role='moderator' jid='bob@localhost/m'><actor nick='Alice'/></item></x></presence>",
            "<presence from='lobby@conference.localhost/Bob' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <status code='110'/><item affiliation='admin' role='moderator' jid='bob@localhost/m'><actor nick='Alice'/></item></x></presence>",
            "<iq type='result' id='a' from='lobby@conference.localhost' to='alice@localhost/pc'/>",
        ],
    );
    // A user who is not in the room: nothing to tell anyone but the requester.
    let out = admin_set(
        &mut h,
        "bob@localhost/m",
        "m",
        "<item affiliation='member' jid='dave@localhost'/>",
    );
    assert_stanzas(
        &out,
        &[
            "<message from='lobby@conference.localhost' to='dave@localhost'><body>You are now a member of lobby@conference.localhost.</body>\
               <x xmlns='http://jabber.org/protocol/muc#user'><status code='101'/><item affiliation='member' role='none'/></x></message>",
            "<iq type='result' id='m' from='lobby@conference.localhost' to='bob@localhost/m'/>",
        ],
    );
    let out = admin_get(
        &mut h,
        "bob@localhost/m",
        "ml",
        "<item affiliation='member'/>",
    );
    assert_stanzas(
        &out,
        &[
            "<iq type='result' id='ml' from='lobby@conference.localhost' to='bob@localhost/m'><query xmlns='http://jabber.org/protocol/muc#admin'>\
        <item affiliation='member' jid='dave@localhost'/></query></iq>",
        ],
    );
    // An admin cannot touch the owner list.
    let out = admin_set(
        &mut h,
        "bob@localhost/m",
        "o",
        "<item affiliation='owner' jid='dave@localhost'/>",
    );
    assert!(canonical(&out[0]).contains("}forbidden>"));
}

#[test]
fn owner_and_admin_lists_are_the_owners_in_a_semi_anonymous_room() {
    let mut h = Harness::lobby_with_alice_and_bob();
    admin_set(
        &mut h,
        "alice@localhost/pc",
        "a",
        "<item affiliation='admin' jid='bob@localhost'/>",
    );
    // §10.5, §10.8: the admin Bob may not read the owner or admin list of a semi-anonymous room.
    for list in ["owner", "admin"] {
        let out = admin_get(
            &mut h,
            "bob@localhost/m",
            "l",
            &format!("<item affiliation='{list}'/>"),
        );
        assert_stanzas(
            &out,
            &[&format!(
                "<iq type='error' id='l' from='lobby@conference.localhost' to='bob@localhost/m'>\
                   <error type='auth' by='conference.localhost'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
                   <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>Only owners may retrieve the owner and admin lists of this room</text></error>\
                   <query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='{list}'/></query></iq>"
            )],
        );
    }
    // He still reads the lists that are the admins' (§9.1, §9.5); the owner reads them all.
    for list in ["outcast", "member"] {
        let out = admin_get(
            &mut h,
            "bob@localhost/m",
            "l",
            &format!("<item affiliation='{list}'/>"),
        );
        assert!(canonical(&out[0]).contains("type='result'"), "{list}");
    }
    let out = admin_get(
        &mut h,
        "alice@localhost/pc",
        "l",
        "<item affiliation='owner'/>",
    );
    assert_stanzas(
        &out,
        &[
            "<iq type='result' id='l' from='lobby@conference.localhost' to='alice@localhost/pc'><query xmlns='http://jabber.org/protocol/muc#admin'>\
               <item affiliation='owner' jid='alice@localhost'/></query></iq>",
        ],
    );
    // In a non-anonymous room the JIDs are no secret: an admin may read them (the XEP's MAY).
    h.send("<iq type='set' id='c' from='alice@localhost/pc' to='lobby@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>\
        <field var='muc#roomconfig_whois'><value>anyone</value></field></x></query></iq>");
    let out = admin_get(
        &mut h,
        "bob@localhost/m",
        "l",
        "<item affiliation='owner'/>",
    );
    assert!(canonical(&out[0]).contains("type='result'"), "{out:?}");
}

#[test]
fn player_affiliation_shows_as_member_and_player_role_as_hats() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = admin_set(
        &mut h,
        "alice@localhost/pc",
        "p",
        "<item affiliation='player' jid='bob@localhost'/>",
    );
    assert!(
        canonical(&out[0]).contains("affiliation='member'"),
        "{}",
        canonical(&out[0])
    );
    let out = admin_get(
        &mut h,
        "alice@localhost/pc",
        "pl",
        "<item affiliation='player'/>",
    );
    assert_stanzas(
        &out,
        &[
            "<iq type='result' id='pl' from='lobby@conference.localhost' to='alice@localhost/pc'><query xmlns='http://jabber.org/protocol/muc#admin'>\
        <item affiliation='player' jid='bob@localhost'/></query></iq>",
        ],
    );
    let out = admin_set(
        &mut h,
        "alice@localhost/pc",
        "r",
        "<item nick='Bob' role='player'/>",
    );
    assert_stanzas(
        &out,
        &[
            "<presence from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <item affiliation='member' role='participant' jid='bob@localhost/m'><actor nick='Alice'/></item></x>\
               <hats xmlns='urn:xmpp:hats:0'><hat title='Player' uri='urn:palaver:game:0#player'/></hats><player xmlns='urn:palaver:game:0'/></presence>",
            "<presence from='lobby@conference.localhost/Bob' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <status code='110'/><item affiliation='member' role='participant'><actor nick='Alice'/></item></x>\
               <hats xmlns='urn:xmpp:hats:0'><hat title='Player' uri='urn:palaver:game:0#player'/></hats><player xmlns='urn:palaver:game:0'/></presence>",
            "<iq type='result' id='r' from='lobby@conference.localhost' to='alice@localhost/pc'/>",
        ],
    );
    let out = admin_get(&mut h, "alice@localhost/pc", "rl", "<item role='player'/>");
    assert!(canonical(&out[0]).contains("nick='Bob'"));
}

#[test]
fn service_admins_act_as_owners() {
    let mut h = Harness::with_settings(|s| {
        s.admins = vec!["root@localhost".parse().unwrap_or_else(|e| panic!("{e}"))]
    });
    h.create_instant("alice@localhost/pc", ROOM, "Alice");
    h.join("bob@localhost/m", "lobby@conference.localhost/Bob");
    let out = admin_set(
        &mut h,
        "root@localhost/x",
        "k",
        "<item affiliation='outcast' jid='alice@localhost'/>",
    );
    // Alice is the only owner: banning her would leave the room ownerless.
    assert!(
        canonical(&out[0]).contains("}conflict>"),
        "{}",
        canonical(&out[0])
    );
    let out = admin_set(
        &mut h,
        "root@localhost/x",
        "k",
        "<item affiliation='outcast' jid='bob@localhost'/>",
    );
    assert!(canonical(out.last().unwrap_or_else(|| panic!("no reply"))).contains("type='result'"));
}

#[test]
fn malformed_requests_are_bad_requests() {
    let mut h = Harness::lobby_with_alice_and_bob();
    for items in [
        "",
        "<item/>",
        "<item role='none'/>",
        "<item affiliation='member'/>",
        "<item affiliation='member' role='none' nick='Bob'/>",
        "<item affiliation='wizard' jid='x@localhost'/>",
    ] {
        let out = admin_set(&mut h, "alice@localhost/pc", "m", items);
        assert!(
            canonical(&out[0]).contains("bad-request"),
            "{items}: {}",
            canonical(&out[0])
        );
    }
    let out = admin_get(
        &mut h,
        "alice@localhost/pc",
        "m",
        "<item affiliation='member'/><item affiliation='admin'/>",
    );
    assert!(canonical(&out[0]).contains("bad-request"));
}

#[test]
fn members_of_a_non_anonymous_members_only_room_read_the_member_list() {
    let mut h = Harness::lobby_with_alice_and_bob();
    admin_set(
        &mut h,
        "alice@localhost/pc",
        "m",
        "<item affiliation='member' jid='bob@localhost'/>",
    );
    let out = admin_get(
        &mut h,
        "bob@localhost/m",
        "l",
        "<item affiliation='member'/>",
    );
    assert!(canonical(&out[0]).contains("}forbidden>"));
    h.send(&format!(
        "<iq type='set' id='c' from='alice@localhost/pc' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>\
           <field var='muc#roomconfig_membersonly'><value>1</value></field><field var='muc#roomconfig_whois'><value>anyone</value></field></x></query></iq>"
    ));
    let out = admin_get(
        &mut h,
        "bob@localhost/m",
        "l",
        "<item affiliation='member'/>",
    );
    assert!(
        canonical(&out[0]).contains("type='result'")
            && canonical(&out[0]).contains("bob@localhost"),
        "{}",
        canonical(&out[0])
    );
    // Not the ban list.
    let out = admin_get(
        &mut h,
        "bob@localhost/m",
        "l",
        "<item affiliation='outcast'/>",
    );
    assert!(canonical(&out[0]).contains("}forbidden>"));
}
