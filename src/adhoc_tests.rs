//! XEP-0050 ad-hoc commands through real stanzas.

use super::RulesDirs;
use crate::testing::{Harness, assert_stanzas, canonical};

const ROOT: &str = "root@localhost/console";
const SERVICE: &str = "conference.localhost";
const CMD: &str = "http://jabber.org/protocol/commands";

fn admin_harness() -> Harness {
    Harness::with_settings(|s| {
        s.admins = vec!["root@localhost".parse().unwrap_or_else(|e| panic!("{e}"))];
    })
}

fn command(
    h: &mut Harness,
    from: &str,
    node: &str,
    inner: &str,
) -> Vec<xmpp_parsers::minidom::Element> {
    h.send(&format!(
        "<iq type='set' id='c' from='{from}' to='{SERVICE}'><command xmlns='{CMD}' node='{node}' action='execute'>{inner}</command></iq>"
    ))
}

fn submit(fields: &str) -> String {
    format!("<x xmlns='jabber:x:data' type='submit'>{fields}</x>")
}

#[test]
fn administrators_find_the_commands_others_find_none() {
    let mut h = admin_harness();
    let items = |h: &mut Harness, from: &str| {
        h.send(&format!(
            "<iq type='get' id='d' from='{from}' to='{SERVICE}'><query xmlns='http://jabber.org/protocol/disco#items' node='{CMD}'/></iq>"
        ))
    };
    assert_stanzas(
        &items(&mut h, ROOT),
        &[&format!(
            "<iq type='result' id='d' from='{SERVICE}' to='{ROOT}'><query xmlns='http://jabber.org/protocol/disco#items' node='{CMD}'>\
               <item jid='{SERVICE}' node='list-rooms' name='List rooms'/>\
               <item jid='{SERVICE}' node='destroy-room' name='Destroy a room'/>\
               <item jid='{SERVICE}' node='announce' name='Announce to every room'/>\
               <item jid='{SERVICE}' node='reload-rules' name='Reload the games'/>\
               <item jid='{SERVICE}' node='stats' name='Service statistics'/>\
             </query></iq>"
        )],
    );
    assert_stanzas(
        &items(&mut h, "eve@localhost/e"),
        &[&format!(
            "<iq type='result' id='d' from='{SERVICE}' to='eve@localhost/e'><query xmlns='http://jabber.org/protocol/disco#items' node='{CMD}'/></iq>"
        )],
    );
    let out = h.send(&format!(
        "<iq type='get' id='i' from='{ROOT}' to='{SERVICE}'><query xmlns='http://jabber.org/protocol/disco#info' node='stats'/></iq>"
    ));
    assert_stanzas(
        &out,
        &[&format!(
            "<iq type='result' id='i' from='{SERVICE}' to='{ROOT}'><query xmlns='http://jabber.org/protocol/disco#info' node='stats'>\
               <identity category='automation' type='command-node' xml:lang='en' name='Service statistics'/>\
               <feature var='{CMD}'/><feature var='jabber:x:data'/></query></iq>"
        )],
    );
    let out = h.send(&format!(
        "<iq type='get' id='s' from='eve@localhost/e' to='{SERVICE}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"
    ));
    assert!(canonical(&out[0]).contains(&format!("var='{CMD}'")));
    // Running one is theirs alone; an unknown one is not found.
    let out = command(&mut h, "eve@localhost/e", "stats", "");
    assert!(canonical(&out[0]).contains("}forbidden>"));
    let out = command(&mut h, ROOT, "reboot", "");
    assert!(canonical(&out[0]).contains("}item-not-found>"));
}

#[test]
fn list_rooms_and_statistics() {
    let mut h = admin_harness();
    h.create_instant("alice@localhost/pc", "lobby@conference.localhost", "Alice");
    h.join("bob@localhost/m", "lobby@conference.localhost/Bob");
    h.join("bob@localhost/l", "lobby@conference.localhost/Bob");
    h.create_instant("carol@localhost/c", "chess@conference.localhost", "Carol");
    let out = command(&mut h, ROOT, "list-rooms", "");
    assert_stanzas(
        &out,
        &[&format!(
            "<iq type='result' id='c' from='{SERVICE}' to='{ROOT}'><command xmlns='{CMD}' node='list-rooms' sessionid='list-rooms:1' status='completed'>\
               <x xmlns='jabber:x:data' type='result'><title>Rooms</title>\
                 <field var='count' label='Rooms'><value>2</value></field>\
                 <field var='rooms' type='text-multi' label='Room: occupants, game'>\
                   <value>chess@conference.localhost: 1 occupant</value><value>lobby@conference.localhost: 2 occupants</value></field>\
               </x></command></iq>"
        )],
    );
    h.send("<message type='groupchat' from='bob@localhost/m' to='lobby@conference.localhost'><body>hi</body></message>");
    let out = command(&mut h, ROOT, "stats", "");
    let text = canonical(&out[0]);
    for (var, value) in [
        ("rooms", "2"),
        ("occupants", "3"),
        ("sessions", "4"),
        ("games", "0"),
    ] {
        assert!(
            text.contains(&format!(
                "var='{var}'><{{jabber:x:data}}value>{value}</value>"
            )),
            "{var}={value} in {text}"
        );
    }
    // Stanzas in the last minute, averaged: some came in and went out.
    assert!(!text.contains("value>0.0<"), "{text}");
}

#[test]
fn destroy_a_room_in_two_stages_or_cancel() {
    let mut h = admin_harness();
    h.create_instant("alice@localhost/pc", "lobby@conference.localhost", "Alice");
    let out = command(&mut h, ROOT, "destroy-room", "");
    assert_stanzas(
        &out,
        &[&format!(
            "<iq type='result' id='c' from='{SERVICE}' to='{ROOT}'><command xmlns='{CMD}' node='destroy-room' sessionid='destroy-room:1' status='executing'>\
               <actions execute='complete'><complete/></actions>\
               <x xmlns='jabber:x:data' type='form'><title>Destroy a room</title>\
                 <field var='room' type='jid-single' label='Room'><required/></field>\
                 <field var='reason' label='Reason'/>\
                 <field var='venue' type='jid-single' label='Alternate venue'/>\
               </x></command></iq>"
        )],
    );
    let out = h.send(&format!(
        "<iq type='set' id='c2' from='{ROOT}' to='{SERVICE}'><command xmlns='{CMD}' node='destroy-room' sessionid='destroy-room:1' action='cancel'/></iq>"
    ));
    assert_stanzas(
        &out,
        &[&format!(
            "<iq type='result' id='c2' from='{SERVICE}' to='{ROOT}'><command xmlns='{CMD}' node='destroy-room' sessionid='destroy-room:1' status='canceled'/></iq>"
        )],
    );
    let out = command(
        &mut h,
        ROOT,
        "destroy-room",
        &submit(
            "<field var='room'><value>lobby@conference.localhost</value></field><field var='reason'><value>Closing</value></field>",
        ),
    );
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(
        canonical(&out[0])
            .contains("<{http://jabber.org/protocol/muc#user}reason>Closing</reason>")
    );
    assert!(
        canonical(&out[1]).contains("status='completed'")
            && canonical(&out[1]).contains("lobby@conference.localhost was destroyed.")
    );
    let out = command(
        &mut h,
        ROOT,
        "destroy-room",
        &submit("<field var='room'><value>lobby@conference.localhost</value></field>"),
    );
    assert!(canonical(&out[0]).contains("}item-not-found>"));
}

#[test]
fn announce_to_every_room() {
    let mut h = admin_harness();
    h.create_instant("alice@localhost/pc", "lobby@conference.localhost", "Alice");
    h.create_instant("carol@localhost/c", "chess@conference.localhost", "Carol");
    let out = command(
        &mut h,
        ROOT,
        "announce",
        &submit("<field var='body'><value>Maintenance at noon.</value></field>"),
    );
    assert_stanzas(
        &out,
        &[
            "<message type='groupchat' from='chess@conference.localhost' to='carol@localhost/c'><body>Maintenance at noon.</body></message>",
            "<message type='groupchat' from='lobby@conference.localhost' to='alice@localhost/pc'><body>Maintenance at noon.</body></message>",
            &format!(
                "<iq type='result' id='c' from='{SERVICE}' to='{ROOT}'><command xmlns='{CMD}' node='announce' sessionid='announce:1' status='completed'>\
                   <note type='info'>Announced to 2 rooms.</note></command></iq>"
            ),
        ],
    );
}

#[test]
fn reload_the_games_without_a_restart() {
    let mut h = admin_harness();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::copy("rules/nim.ron", dir.path().join("nim.ron")).unwrap_or_else(|e| panic!("{e}"));
    h.engine.world_mut().insert_resource(RulesDirs {
        rules: dir.path().to_owned(),
        assets: "assets".into(),
    });
    let out = command(&mut h, ROOT, "reload-rules", "");
    let text = canonical(&out[0]);
    assert!(
        text.contains("status='completed'") && text.contains("1 games loaded from"),
        "{text}"
    );
    let known = &h
        .engine
        .world()
        .resource::<crate::muc::form::KnownGames>()
        .0;
    assert_eq!(known, &["nim"]);
    // A room may now play it.
    h.create_instant("alice@localhost/pc", "lobby@conference.localhost", "Alice");
    let out = h.send("<message type='groupchat' from='alice@localhost/pc' to='lobby@conference.localhost'><body>!game nim</body></message>");
    let all: String = out.iter().map(canonical).collect();
    assert!(all.contains("This room now plays Nim"), "{all}");
    // A broken file is named, the rest still load.
    std::fs::write(dir.path().join("broken.ron"), "(oops").unwrap_or_else(|e| panic!("{e}"));
    let out = command(&mut h, ROOT, "reload-rules", "");
    let text = canonical(&out[0]);
    assert!(
        text.contains("type='warn'") && text.contains("broken.ron"),
        "{text}"
    );
}
