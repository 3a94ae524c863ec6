//! Service administration end to end (XEP-0050 ad-hoc commands, SIGHUP): an administrator's
//! real client through a real server.

mod support;

use std::time::{Duration, Instant};

use support::*;
use xmpp_parsers::minidom::Element;

const CMD: &str = "http://jabber.org/protocol/commands";
const MUC: &str = "http://jabber.org/protocol/muc";

/// Runs a command (with a submitted form's fields, if any); returns the `<command/>` answer.
async fn run(client: &mut Client, id: &str, node: &str, fields: Option<&str>) -> Element {
    let form = fields
        .map(|f| format!("<x xmlns='jabber:x:data' type='submit'>{f}</x>"))
        .unwrap_or_default();
    client
        .send_xml(&format!(
            "<iq type='set' to='{DOMAIN}' id='{id}'><command xmlns='{CMD}' node='{node}' action='execute'>{form}</command></iq>"
        ))
        .await;
    let s = client
        .expect("the command's answer", WAIT, |s| iq_reply(s, id))
        .await;
    result_payload(&s).cloned().expect("a command")
}

fn values(command: &Element, var: &str) -> Vec<String> {
    command
        .get_child("x", "jabber:x:data")
        .into_iter()
        .flat_map(|x| x.children())
        .filter(|f| f.attr("var") == Some(var))
        .flat_map(|f| f.children().map(Element::text))
        .collect()
}

e2e! {
async fn an_administrator_lists_announces_reloads_and_destroys(kind: Kind) {
    // A rules directory of its own, with one game: the reloads below must find a second.
    let rules = tempfile::tempdir().expect("a rules directory");
    std::fs::copy("rules/nim.ron", rules.path().join("nim.ron")).expect("copy nim.ron");
    let rules_dir = rules.path().display().to_string();
    let env = Env::start_with(kind, &["--admin", "alice@localhost", "--rules", &rules_dir]).await;
    let mut alice = env.client("alice").await;
    let mut bob = env.client("bob").await;
    let room = format!("den@{DOMAIN}");
    bob.send_xml(&format!("<presence to='{room}/Bob'><x xmlns='{MUC}'/></presence>"))
        .await;
    bob.expect("own presence", WAIT, |s| presence_with(s, &format!("{room}/Bob"), &["110"]))
        .await;
    bob.send_xml(&format!(
        "<iq type='set' to='{room}' id='c'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>"
    ))
    .await;
    bob.expect("the room", WAIT, |s| iq_reply(s, "c")).await;
    let listed = run(&mut alice, "l", "list-rooms", None).await;
    assert_eq!(values(&listed, "rooms"), [format!("{room}: 1 occupant")]);
    let stats = run(&mut alice, "s", "stats", None).await;
    assert_eq!(values(&stats, "occupants"), ["1"]);
    let done = run(
        &mut alice,
        "a",
        "announce",
        Some("<field var='body'><value>Maintenance at noon.</value></field>"),
    )
    .await;
    assert_eq!(done.attr("status"), Some("completed"));
    bob.expect("the announcement", WAIT, |s| {
        from_is(s, &room) && message(s).and_then(body) == Some("Maintenance at noon.")
    })
    .await;
    // Bob is no administrator.
    bob.send_xml(&format!(
        "<iq type='set' to='{DOMAIN}' id='x'><command xmlns='{CMD}' node='stats' action='execute'/></iq>"
    ))
    .await;
    let s = bob.expect("the refusal", WAIT, |s| iq_reply(s, "x")).await;
    assert!(String::from(&Element::from(&s)).contains("forbidden"), "{s:?}");
    // The games reload by command and on SIGHUP.
    let reloaded = run(&mut alice, "r", "reload-rules", None).await;
    let note = reloaded
        .get_child("note", CMD)
        .map(Element::text)
        .unwrap_or_default();
    assert!(note.contains(&format!("1 games loaded from {rules_dir}: nim.")), "{note}");
    // A game added to the directory is there after SIGHUP, without a restart.
    std::fs::copy("rules/tic-tac-toe.ron", rules.path().join("tic-tac-toe.ron"))
        .expect("copy tic-tac-toe.ron");
    env.palaver.hangup();
    let loaded = format!("2 games loaded from {rules_dir}: nim, tic-tac-toe.");
    let until = Instant::now() + Duration::from_secs(10);
    while !env.palaver.log_text().contains(&loaded) && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = env.palaver.log_text();
    assert!(log.contains("SIGHUP: reloading the games"), "{log}");
    assert!(log.contains(&loaded), "{log}");
    say_in(&mut bob, &room, "!game tic-tac-toe").await;
    room_says(&mut bob, &room, "This room now plays Tic-tac-toe").await;
    // The administrator destroys the room: Bob is told so (§10.9) and the room is gone.
    let done = run(
        &mut alice,
        "d",
        "destroy-room",
        Some(&format!(
            "<field var='room'><value>{room}</value></field><field var='reason'><value>Closing</value></field>"
        )),
    )
    .await;
    assert_eq!(done.attr("status"), Some("completed"));
    let s = bob
        .expect("the destruction", WAIT, |s| {
            from_is(s, &format!("{room}/Bob"))
                && presence(s).is_some_and(|p| {
                    p.type_ == xmpp_parsers::presence::Type::Unavailable
                })
        })
        .await;
    assert!(String::from(&Element::from(&s)).contains("Closing"), "{s:?}");
    let listed = run(&mut alice, "l2", "list-rooms", None).await;
    assert_eq!(values(&listed, "count"), ["0"]);
    assert_eq!(env.palaver.connections(), 1, "SIGHUP must not stop the service");
    run(&mut alice, "s2", "stats", None).await;
}
}
