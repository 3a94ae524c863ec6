//! In-process harness: stanza XML into an [`Engine`], the exact stanzas out. Used by the unit
//! tests of every feature and by the benchmarks. Panics on malformed test input: it is test code.

use std::time::{Duration, SystemTime};

use xmpp_parsers::minidom::{Element, Node};
use xmpp_parsers::stanza::Stanza;

use crate::engine::{Engine, Settings};
use crate::muc::limits::{Allowances, Limits};
use crate::stanza::Inbound;

/// The service domain every harness uses.
pub const DOMAIN: &str = "conference.localhost";

/// The service key every harness uses, so that occupant-ids and stanza-ids are the same on
/// every run.
pub const KEY: [u8; 32] = [7; 32];

pub struct Harness {
    pub engine: Engine,
    pub now: SystemTime,
    /// What the ticks asked the store to keep, in order.
    pub stored: Vec<crate::store::Change>,
    /// The stanzas fed so far, as XML, when they are recorded for the fuzzers' seed corpus.
    recording: Option<String>,
}

/// Set to a directory, every harness writes the stanzas its test fed it there, one file per
/// harness: the seed corpus of the `inbound` fuzz target (see `fuzz/README.md`).
pub const SEED_CORPUS_ENV: &str = "PALAVER_SEED_CORPUS";

impl Drop for Harness {
    fn drop(&mut self) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let (Some(xml), Some(dir)) = (self.recording.take(), std::env::var_os(SEED_CORPUS_ENV))
        else {
            return;
        };
        if xml.is_empty() {
            return;
        }
        let test = std::thread::current()
            .name()
            .unwrap_or("harness")
            .replace("::", "-");
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::path::Path::new(&dir).join(format!("{test}-{n}.xml"));
        if let Err(e) = std::fs::write(&path, xml) {
            tracing::warn!("cannot write {}: {e}", path.display());
        }
    }
}

impl Default for Harness {
    fn default() -> Self {
        Harness::new()
    }
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with_settings(|_| {})
    }

    /// A harness whose settings `tweak` may change first.
    pub fn with_settings(tweak: impl FnOnce(&mut Settings)) -> Harness {
        #[allow(clippy::expect_used)]
        let mut settings = Settings::new(DOMAIN.parse().expect("valid domain"));
        tweak(&mut settings);
        let mut engine = Engine::new(settings);
        engine
            .world_mut()
            .insert_resource(crate::muc::occupant_id::ServiceKey(KEY));
        // The harness's clock stands still while its users type: the rates that protect a
        // service from floods would refuse an ordinary test's tenth message. Tests of the
        // allowances themselves use `with_allowances`.
        engine.world_mut().resource_mut::<Limits>().0 = Allowances {
            max_rooms_per_user: usize::MAX,
            message_burst: u32::MAX,
            bytes_burst: u32::MAX,
            presence_burst: u32::MAX,
            nick_change_burst: u32::MAX,
            invitation_burst: u32::MAX,
            room_message_burst: u32::MAX,
            request_burst: u32::MAX,
            ..Allowances::default()
        };
        Harness {
            engine,
            // 2026-01-01T00:00:00Z: fixed so that delay stamps are exact.
            now: SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600),
            stored: Vec::new(),
            recording: std::env::var_os(SEED_CORPUS_ENV).map(|_| String::new()),
        }
    }

    /// A harness with the service's `allowances` (rates, room creation) as given.
    pub fn with_allowances(allowances: Allowances) -> Harness {
        let mut h = Harness::new();
        h.engine.world_mut().resource_mut::<Limits>().0 = allowances;
        h
    }

    /// Feeds one stanza (the default namespace is added when missing) and runs a tick.
    pub fn send(&mut self, xml: &str) -> Vec<Element> {
        self.push(parse(xml));
        self.tick()
    }

    /// Feeds several stanzas and runs one tick for all of them.
    pub fn send_all(&mut self, xmls: &[&str]) -> Vec<Element> {
        for xml in xmls {
            self.push(parse(xml));
        }
        self.tick()
    }

    fn push(&mut self, element: Element) {
        if let Some(recording) = &mut self.recording {
            recording.push_str(&String::from(&element));
            recording.push('\n');
        }
        self.engine.push(Inbound::from_element(element), self.now);
    }

    pub fn tick(&mut self) -> Vec<Element> {
        let out: Vec<Element> = self
            .engine
            .tick(self.now)
            .into_iter()
            .map(Element::from)
            .collect();
        for e in &out {
            check_occupant_id(e);
        }
        let changes = self.engine.take_store_changes();
        self.stored.extend(changes);
        out
    }

    pub fn advance(&mut self, seconds: u64) {
        self.now += Duration::from_secs(seconds);
    }

    /// `user@localhost/res` joins `room@conference.localhost/nick`; returns what it produced.
    pub fn join(&mut self, user: &str, room_nick: &str) -> Vec<Element> {
        self.send(&format!(
            "<presence from='{user}' to='{room_nick}'><x xmlns='http://jabber.org/protocol/muc'/></presence>"
        ))
    }

    /// Creates `room` with `owner` as `nick` and accepts the default configuration (instant room).
    pub fn create_instant(&mut self, owner: &str, room: &str, nick: &str) {
        self.join(owner, &format!("{room}/{nick}"));
        let out = self.send(&format!(
            "<iq type='set' id='create' from='{owner}' to='{room}'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>"
        ));
        assert_stanzas(
            &out,
            &[&format!(
                "<iq type='result' id='create' from='{room}' to='{owner}'/>"
            )],
        );
    }

    /// `lobby@conference.localhost` with Alice (owner, alice@localhost/pc) and Bob
    /// (bob@localhost/m): the room most tests start from.
    pub fn lobby_with_alice_and_bob() -> Harness {
        let mut h = Harness::new();
        h.create_instant("alice@localhost/pc", "lobby@conference.localhost", "Alice");
        h.join("bob@localhost/m", "lobby@conference.localhost/Bob");
        h
    }

    /// Feeds a stanza the link could not parse (as the link reports it).
    pub fn send_raw(&mut self, inbound: Inbound) -> Vec<Element> {
        self.engine.push(inbound, self.now);
        self.tick()
    }
}

/// Parses test XML, putting the stanza in the component namespace unless it names one.
pub fn parse(xml: &str) -> Element {
    let xml = xml.trim();
    let with_ns = if xml.contains("xmlns='jabber:") || xml.contains("xmlns=\"jabber:") {
        let head = xml.split('>').next().unwrap_or_default();
        if head.contains("xmlns=") {
            xml.to_owned()
        } else {
            add_ns(xml)
        }
    } else {
        add_ns(xml)
    };
    match with_ns.parse() {
        Ok(e) => e,
        Err(e) => panic!("test XML does not parse: {e}\n{xml}"),
    }
}

fn add_ns(xml: &str) -> String {
    let name_end = xml
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap_or(xml.len());
    format!(
        "{} xmlns='{}'{}",
        &xml[..name_end],
        xmpp_parsers::ns::DEFAULT_NS,
        &xml[name_end..]
    )
}

/// A canonical text form: namespaces spelt out, attributes sorted, blank text dropped.
pub fn canonical(e: &Element) -> String {
    let mut attrs: Vec<(String, String)> = e
        .attrs()
        .iter()
        .map(|((ns, name), v)| {
            let key = if ns.is_none() {
                name.to_string()
            } else {
                format!("{{{}}}{}", ns.as_str(), name)
            };
            (key, v.to_string())
        })
        .collect();
    attrs.sort();
    let attrs: Vec<String> = attrs.iter().map(|(k, v)| format!(" {k}='{v}'")).collect();
    let mut children = String::new();
    for node in e.nodes() {
        match node {
            Node::Element(child) => children.push_str(&canonical(child)),
            Node::Text(t) if !t.trim().is_empty() => children.push_str(t.trim()),
            Node::Text(_) => {}
        }
    }
    format!(
        "<{{{}}}{}{}>{}</{}>",
        e.ns(),
        e.name(),
        attrs.join(""),
        children,
        e.name()
    )
}

/// XEP-0421 §4, checked on every stanza every test sees: a presence or message from an occupant
/// JID (`room@service/nick`), unless an error, carries exactly one `<occupant-id/>`.
#[track_caller]
fn check_occupant_id(e: &Element) {
    let about_occupant = matches!(e.name(), "presence" | "message")
        && e.attr("type") != Some("error")
        && e.attr("from").is_some_and(|f| f.contains('/'));
    if about_occupant {
        let ids = e
            .children()
            .filter(|c| c.is("occupant-id", crate::muc::occupant_id::NS))
            .count();
        assert_eq!(ids, 1, "one occupant-id expected: {}", canonical(e));
    }
}

/// A copy of `e` without the elements named `name` in `ns`, at any depth.
fn without(e: &Element, name: &str, ns: &str) -> Element {
    let mut out = Element::builder(e.name(), e.ns()).build();
    *out.attrs_mut() = e.attrs().clone();
    for node in e.nodes() {
        match node {
            Node::Element(child) if child.is(name, ns) => {}
            Node::Element(child) => {
                out.append_child(without(child, name, ns));
            }
            Node::Text(t) => out.append_text_node(t.clone()),
        }
    }
    out
}

/// Asserts that `actual` is exactly `expected`, in order. Occupant-ids and stanza-ids, which
/// every message and presence carries, are compared only when `expected` spells them out.
#[track_caller]
pub fn assert_stanzas(actual: &[Element], expected: &[&str]) {
    let all = expected.concat();
    let mut actual: Vec<Element> = actual.to_vec();
    if !all.contains(crate::muc::occupant_id::NS) {
        actual = actual
            .iter()
            .map(|e| without(e, "occupant-id", crate::muc::occupant_id::NS))
            .collect();
    }
    if !all.contains(xmpp_parsers::ns::SID) {
        actual = actual
            .iter()
            .map(|e| without(e, "stanza-id", xmpp_parsers::ns::SID))
            .collect();
    }
    let actual: Vec<String> = actual.iter().map(canonical).collect();
    let expected: Vec<String> = expected.iter().map(|x| canonical(&parse(x))).collect();
    if actual != expected {
        let mut msg = String::from("stanzas differ\n--- expected:\n");
        for x in &expected {
            msg.push_str(x);
            msg.push('\n');
        }
        msg.push_str("--- actual:\n");
        for x in &actual {
            msg.push_str(x);
            msg.push('\n');
        }
        panic!("{msg}");
    }
}

/// The stanzas as typed values, for tests that look at one part only.
pub fn typed(elements: &[Element]) -> Vec<Stanza> {
    elements
        .iter()
        .filter_map(|e| Stanza::try_from(e.clone()).ok())
        .collect()
}
