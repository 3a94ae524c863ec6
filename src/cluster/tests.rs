//! Two instances in one process, each its own service loop, sharing one PostgreSQL (skipped
//! without `PALAVER_TEST_POSTGRES`: cluster mode needs it).

use std::time::Duration;

use tokio::sync::mpsc;
use xmpp_parsers::minidom::Element;

use super::*;
use crate::service::{Inputs, StoreLink, serve};

const ROOM: &str = "keep@conference.localhost";
const ALICE: &str = "alice@localhost/pc";
const BOB: &str = "bob@localhost/m";

/// One instance: its inbound channel and what it writes.
struct Node {
    to: mpsc::Sender<Inbound>,
    from: crate::link::wire::OutboundReceiver,
    store: Store,
}

impl Node {
    async fn start(url: &str, id: &str) -> Node {
        let store = Store::open(url)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .with_instance(id);
        let settings = crate::engine::Settings::new(crate::testing::DOMAIN.parse().expect("jid"));
        let mut engine = Engine::new(settings);
        engine
            .world_mut()
            .insert_resource(crate::muc::occupant_id::ServiceKey(crate::testing::KEY));
        let mut cluster = Cluster::new(store.clone());
        cluster
            .prepare(&mut engine)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let (handle, committed, _task) = crate::store::spawn(store.clone());
        let link = StoreLink {
            handle,
            committed,
            cluster: Some(cluster),
        };
        let (in_tx, in_rx) = mpsc::channel(64);
        let (out_tx, out_rx) = crate::link::wire::channel(1 << 20, 1 << 16);
        let (_up_tx, up_rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let _keep = _up_tx;
            let inputs = Inputs {
                inbound: in_rx,
                link_up: up_rx,
            };
            let _ = serve(engine, inputs, &out_tx, std::future::pending(), Some(link)).await;
        });
        Node {
            to: in_tx,
            from: out_rx,
            store,
        }
    }

    async fn send(&self, xml: &str) {
        let inbound = Inbound::from_element(crate::testing::parse(xml));
        self.to.send(inbound).await.expect("loop running");
    }

    /// The first stanza written that `wanted` accepts (others are passed over).
    async fn expect(&mut self, what: &str, wanted: impl Fn(&Element) -> bool) -> Element {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let wire = tokio::time::timeout_at(deadline, self.from.rx.recv())
                .await
                .unwrap_or_else(|_| panic!("no {what} within 10s"))
                .unwrap_or_else(|| panic!("the loop stopped before {what}"));
            let e: Element = std::str::from_utf8(&wire.bytes)
                .expect("utf8")
                .parse()
                .expect("xml");
            if wanted(&e) {
                return e;
            }
        }
    }
}

fn attr<'a>(e: &'a Element, name: &'a str) -> Option<&'a str> {
    e.attr(name)
}

fn statuses(e: &Element) -> Vec<String> {
    e.get_child("x", "http://jabber.org/protocol/muc#user")
        .map(|x| {
            x.children()
                .filter(|c| c.is("status", "http://jabber.org/protocol/muc#user"))
                .filter_map(|c| c.attr("code").map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A persistent room held by one instance moves to the other when a stanza for it reaches the
/// other: the other claims it and loads what was stored (the subject), asks the stored session
/// whether it is still there, and the first instance, finding the claim gone, drops its copy and
/// tells its occupant it was removed (110 + 333) so that the client rejoins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_moves_to_the_instance_its_stanzas_reach() {
    let Some(url) = std::env::var("PALAVER_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        return;
    };
    let db = crate::store::tests::fresh_postgres_db(&url, "cluster_move").await;
    let mut a = Node::start(&db, "a").await;
    let mut b = Node::start(&db, "b").await;

    a.send(&format!(
        "<presence from='{ALICE}' to='{ROOM}/Alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>"
    ))
    .await;
    a.expect("Alice's own presence", |e| {
        e.name() == "presence" && statuses(e).contains(&"110".to_owned())
    })
    .await;
    a.send(&format!(
        "<iq type='set' id='cfg' from='{ALICE}' to='{ROOM}'>\
         <query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>\
         <field var='muc#roomconfig_persistentroom'><value>1</value></field></x></query></iq>"
    ))
    .await;
    a.expect("the configuration result", |e| {
        attr(e, "id") == Some("cfg") && attr(e, "type") == Some("result")
    })
    .await;
    a.send(&format!(
        "<message type='groupchat' from='{ALICE}' to='{ROOM}'><subject>kept</subject></message>"
    ))
    .await;
    a.expect("the subject's echo", |e| {
        e.name() == "message" && e.get_child("subject", "jabber:component:accept").is_some()
    })
    .await;
    let owners = a.store.owners().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(owners.get(ROOM).map(|o| o.0.as_str()), Some("a"));

    // The router now sends the room's stanzas to b.
    b.send(&format!(
        "<presence from='{BOB}' to='{ROOM}/Bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>"
    ))
    .await;
    let probe = b
        .expect("a probe of Alice's stored session", |e| {
            e.name() == "iq" && attr(e, "to") == Some(ALICE)
        })
        .await;
    assert_eq!(attr(&probe, "from"), Some(ROOM));
    let subject = b
        .expect("the stored subject, told to Bob", |e| {
            e.name() == "message" && attr(e, "to") == Some(BOB)
        })
        .await;
    assert_eq!(
        subject
            .get_child("subject", "jabber:component:accept")
            .map(Element::text),
        Some("kept".to_owned())
    );
    let owners = b.store.owners().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        owners.get(ROOM).map(|o| (o.0.as_str(), o.1)),
        Some(("b", 2))
    );

    // a learns it lost the room: Alice is told she was removed, and must rejoin.
    let removed = a
        .expect("Alice's removal", |e| {
            e.name() == "presence" && attr(e, "to") == Some(ALICE)
        })
        .await;
    assert_eq!(attr(&removed, "type"), Some("unavailable"));
    assert_eq!(attr(&removed, "from"), Some(&*format!("{ROOM}/Alice")));
    assert_eq!(statuses(&removed), ["110", "333"]);

    // Alice answers the probe: b puts her back; her rejoin lands on b too.
    b.send(&format!(
        "<iq type='result' id='{}' from='{ALICE}' to='{ROOM}'>\
         <query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
        attr(&probe, "id").unwrap_or_default()
    ))
    .await;
    b.expect("Alice back, told to Bob", |e| {
        e.name() == "presence"
            && attr(e, "from") == Some(&*format!("{ROOM}/Alice"))
            && attr(e, "to") == Some(BOB)
    })
    .await;
}

/// Makes `room` on `node` with `user` as its owner, unlocked at once (an instant room).
async fn instant(node: &mut Node, user: &str, room: &str, nick: &str) {
    node.send(&format!(
        "<presence from='{user}' to='{room}/{nick}'><x xmlns='http://jabber.org/protocol/muc'/></presence>"
    ))
    .await;
    node.expect("the creator's own presence", |e| {
        e.name() == "presence" && statuses(e).contains(&"110".to_owned())
    })
    .await;
    node.send(&format!(
        "<iq type='set' id='instant' from='{user}' to='{room}'>\
         <query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>"
    ))
    .await;
    node.expect("the instant room's result", |e| {
        attr(e, "id") == Some("instant") && attr(e, "type") == Some("result")
    })
    .await;
}

/// The service's disco#items as `node` answers it: `(jid, name)` of each item.
async fn service_items(node: &mut Node, id: &str) -> Vec<(String, String)> {
    node.send(&format!(
        "<iq type='get' id='{id}' from='{ALICE}' to='{}'>\
         <query xmlns='http://jabber.org/protocol/disco#items'/></iq>",
        crate::testing::DOMAIN
    ))
    .await;
    let reply = node
        .expect("the service's items", |e| attr(e, "id") == Some(id))
        .await;
    reply
        .get_child("query", "http://jabber.org/protocol/disco#items")
        .map(|q| {
            q.children()
                .map(|i| {
                    (
                        i.attr("jid").unwrap_or_default().to_owned(),
                        i.attr("name").unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The service's disco#items is the same from either instance: each lists its own public rooms
/// and those the other lists (a second or two behind).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_instance_lists_every_public_room() {
    let Some(url) = std::env::var("PALAVER_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        return;
    };
    let db = crate::store::tests::fresh_postgres_db(&url, "cluster_listing").await;
    let mut a = Node::start(&db, "a").await;
    let mut b = Node::start(&db, "b").await;
    instant(&mut a, ALICE, "one@conference.localhost", "Alice").await;
    instant(&mut b, BOB, "two@conference.localhost", "Bob").await;
    let wanted = vec![
        ("one@conference.localhost".to_owned(), "one".to_owned()),
        ("two@conference.localhost".to_owned(), "two".to_owned()),
    ];
    // Two polls at most (one to write, one to read), each a second apart.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut round = 0;
    loop {
        round += 1;
        let from_a = service_items(&mut a, &format!("a{round}")).await;
        let from_b = service_items(&mut b, &format!("b{round}")).await;
        if from_a == wanted && from_b == wanted {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "a lists {from_a:?}, b lists {from_b:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What the other instances list joins this instance's own rooms in every service-wide
/// answer: disco#items (public rooms only, one the instance holds answered from its World),
/// `!games running`, the ad-hoc room list. No database needed.
#[test]
fn the_other_instances_rooms_are_in_the_service_wide_answers() {
    let mut h = crate::testing::Harness::new();
    h.create_instant(ALICE, "here@conference.localhost", "Alice");
    let listed = |room: &str, public: bool, status: Option<&str>| {
        (
            room.parse::<BareJid>().expect("jid"),
            Listing {
                room: room.into(),
                persistent: true,
                public,
                name: format!("{room} as listed"),
                occupants: 3,
                game: status.map(|_| "nim".into()),
                playing: status.is_some(),
                status: status.map(str::to_owned),
            },
        )
    };
    h.engine.world_mut().insert_resource(Directory(vec![
        listed(
            "away@conference.localhost",
            true,
            Some("Carol (A) vs Dave (B) — Carol to move"),
        ),
        // Stale: this instance holds it now, so its own state answers.
        listed("here@conference.localhost", true, None),
        listed("hidden@conference.localhost", false, None),
    ]));
    let out = h.send(&format!(
        "<iq type='get' id='items' from='{BOB}' to='conference.localhost'>\
         <query xmlns='http://jabber.org/protocol/disco#items'/></iq>"
    ));
    crate::testing::assert_stanzas(
        &out,
        &[&format!(
            "<iq xmlns='jabber:component:accept' type='result' id='items' \
             from='conference.localhost' to='{BOB}'>\
             <query xmlns='http://jabber.org/protocol/disco#items'>\
             <item jid='away@conference.localhost' name='away@conference.localhost as listed'/>\
             <item jid='here@conference.localhost' name='here'/>\
             </query></iq>"
        )],
    );
    let out = h.send(&format!(
        "<message type='groupchat' from='{ALICE}' to='here@conference.localhost'>\
         <body>!games running</body></message>"
    ));
    let said: Vec<String> = out
        .iter()
        .filter_map(|e| {
            e.get_child("body", "jabber:component:accept")
                .map(Element::text)
        })
        .collect();
    assert!(
        said.iter().any(
            |b| b.contains("away@conference.localhost — Carol (A) vs Dave (B) — Carol to move")
        ),
        "{said:?}"
    );
}
