//! End-to-end test support: a real Prosody or ejabberd on loopback ([`servers`]), the built
//! `palaver` binary connected to it as `conference.localhost`, and real c2s clients. Tests are
//! written once and run behind both servers ([`e2e!`]).
//!
//! The clients speak c2s with tokio-xmpp's XML stream but exchange raw [`Element`]s: this crate
//! builds xmpp-parsers with its `component` feature, which makes the typed stanzas belong to
//! `jabber:component:accept`, so tokio-xmpp's own `Client` could not parse c2s stanzas here.
//! Received stanzas are handed to tests as typed [`Stanza`]s after a namespace rewrite.

#![allow(dead_code)] // not every test file uses every helper

pub mod servers;

use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use tokio::io::BufStream;
use tokio::net::TcpStream;
use tokio_xmpp::minidom::{Element, Node};
use tokio_xmpp::xmlstream::{StreamHeader, Timeouts, XmlStream, initiate_stream};
use xmpp_parsers::jid::{FullJid, Jid};
use xmpp_parsers::stanza::Stanza;

pub const DOMAIN: &str = "conference.localhost";
pub const SECRET: &str = "e2e-secret";
pub const PASSWORD: &str = "pw";
/// Accounts every environment has.
pub const USERS: &[&str] = &["alice", "bob", "carol"];

#[allow(unused_imports)] // Prosody alone: for the tests of what only Prosody does
pub use servers::{Kind, Prosody, Server};

/// Defines an end-to-end test once and runs it behind each server: `async fn NAME(kind: Kind)`
/// becomes the tests `NAME::prosody` and `NAME::ejabberd`. A server left out of
/// `PALAVER_E2E_SERVERS` is reported and skipped, except under `CI=true`.
macro_rules! e2e {
    ($(#[$meta:meta])* async fn $name:ident($kind:ident: Kind) $body:block) => {
        $(#[$meta])*
        async fn $name($kind: Kind) $body

        mod $name {
            #[tokio::test]
            async fn prosody() {
                if $crate::support::Kind::Prosody.selected() {
                    super::$name($crate::support::Kind::Prosody).await;
                } else {
                    eprintln!("skipped: prosody is not in PALAVER_E2E_SERVERS");
                }
            }

            #[tokio::test]
            async fn ejabberd() {
                if $crate::support::Kind::Ejabberd.selected() {
                    super::$name($crate::support::Kind::Ejabberd).await;
                } else {
                    eprintln!("skipped: ejabberd is not in PALAVER_E2E_SERVERS");
                }
            }
        }
    };
}
pub(crate) use e2e;

const CLIENT_NS: &str = "jabber:client";
const COMPONENT_NS: &str = "jabber:component:accept";

/// A free TCP port on loopback (the listener is closed again at once).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("cannot bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

fn wait_for_port(port: u16, timeout: Duration) -> bool {
    let until = Instant::now() + timeout;
    while Instant::now() < until {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn tail(path: &Path, lines: usize) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}

fn stop(child: &mut Child) {
    // SIGKILL by PID: these processes belong to the test alone.
    let _ = child.kill();
    let _ = child.wait();
}

/// The `palaver` binary under test, logging at debug level to a file.
pub struct Palaver {
    child: Option<Child>,
    pub log: PathBuf,
}

impl Palaver {
    pub fn start(dir: &Path, component_port: u16, extra: &[&str]) -> Palaver {
        let log = dir.join("palaver.log");
        let out = std::fs::File::create(&log).expect("palaver.log");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_palaver"));
        cmd.args(["--domain", DOMAIN]);
        if !extra.contains(&"--secret") {
            cmd.args(["--secret", SECRET]);
        }
        // Each test its own database, next to its Prosody.
        if !extra.contains(&"--db") {
            cmd.arg("--db").arg(dir.join("palaver.db"));
        }
        let child = cmd
            .arg("--server")
            .arg(format!("127.0.0.1:{component_port}"))
            .args(extra)
            .env("RUST_LOG", "debug")
            .env_remove("PALAVER_CONFIG")
            .env_remove("PALAVER_DB")
            .env_remove("PALAVER_ADMINS")
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("dup"))
            .stderr(out)
            .spawn()
            .expect("cannot start palaver");
        Palaver {
            child: Some(child),
            log,
        }
    }

    /// How many times the log says the link came up.
    pub fn connections(&self) -> usize {
        let up = format!(" as {DOMAIN}");
        self.log_text()
            .lines()
            .filter(|l| l.contains("connected to ") && l.ends_with(&up))
            .count()
    }

    /// Waits until the log says the link is up for the `n`th time.
    pub async fn wait_connected(&self, n: usize, timeout: Duration) -> bool {
        let until = Instant::now() + timeout;
        while Instant::now() < until {
            if self.connections() >= n {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// Sends SIGHUP to the process (it reloads its games).
    pub fn hangup(&self) {
        if let Some(child) = &self.child {
            let _ = Command::new("kill")
                .args(["-HUP", &child.id().to_string()])
                .status();
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child);
        }
    }
}

impl Drop for Palaver {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A server plus palaver, torn down (palaver first) on drop; on a failing test the tails of
/// both logs are printed.
pub struct Env {
    pub palaver: Palaver,
    pub server: Server,
}

impl Env {
    pub async fn start(kind: Kind) -> Env {
        Env::start_with(kind, &[]).await
    }

    /// Like [`Env::start`], with a palaver configuration file holding `fields` (RON, e.g.
    /// `seat_grace_secs: 2`); the command line still names the domain, server and secret.
    pub async fn start_with_config(kind: Kind, fields: &str) -> Env {
        let server = Server::start(kind);
        let config = server.dir().join("palaver.ron");
        std::fs::write(&config, format!("({fields})")).expect("write palaver.ron");
        let config = config.display().to_string();
        let palaver = Palaver::start(
            server.dir(),
            server.component_port(),
            &["--config", &config],
        );
        let env = Env { palaver, server };
        assert!(
            env.palaver.wait_connected(1, Duration::from_secs(15)).await,
            "palaver did not connect to {}",
            kind.name()
        );
        env
    }

    /// [`Env::start`] with extra command-line arguments for palaver.
    pub async fn start_with(kind: Kind, extra: &[&str]) -> Env {
        let server = Server::start(kind);
        let palaver = Palaver::start(server.dir(), server.component_port(), extra);
        let env = Env { palaver, server };
        assert!(
            env.palaver.wait_connected(1, Duration::from_secs(15)).await,
            "palaver did not connect to {}",
            kind.name()
        );
        env
    }

    /// A logged-in client for one of [`USERS`].
    pub async fn client(&self, user: &str) -> Client {
        Client::connect(self.server.c2s_port(), user, PASSWORD).await
    }

    /// Another session of one of [`USERS`], bound to `resource`.
    pub async fn session(&self, user: &str, resource: &str) -> Client {
        Client::connect_as(self.server.c2s_port(), user, PASSWORD, resource).await
    }

    /// Kills palaver with SIGKILL and starts it again on the same database; waits for the link.
    pub async fn restart_palaver(&mut self) {
        self.palaver.kill();
        self.palaver = Palaver::start(self.server.dir(), self.server.component_port(), &[]);
        assert!(
            self.palaver
                .wait_connected(1, Duration::from_secs(15))
                .await,
            "palaver did not come back"
        );
    }

    pub fn tails(&self) -> String {
        format!(
            "{}\n--- palaver.log (tail) ---\n{}",
            self.server.tails(),
            tail(&self.palaver.log, 100)
        )
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.tails());
        }
        self.palaver.kill();
        self.server.kill();
    }
}

type C2s = XmlStream<BufStream<TcpStream>, Element>;

/// A real c2s client: plaintext, SASL PLAIN, resource binding.
pub struct Client {
    stream: C2s,
    pub jid: FullJid,
    /// Received but not yet matched by [`Client::expect`], in arrival order.
    unmatched: Vec<(usize, Stanza)>,
    /// Everything received, for failure messages.
    history: Vec<String>,
    /// Answers disco#info requests, as every client does.
    pub answers_disco: bool,
}

fn timeouts() -> Timeouts {
    Timeouts {
        read_timeout: Duration::from_secs(30),
        response_timeout: Duration::from_secs(30),
    }
}

async fn open(io: BufStream<TcpStream>) -> C2s {
    let header = StreamHeader {
        to: Some("localhost".into()),
        from: None,
        id: None,
    };
    let pending = initiate_stream(io, CLIENT_NS, header, timeouts())
        .await
        .expect("c2s stream header");
    let (_features, stream) = pending
        .recv_features::<Element>()
        .await
        .expect("c2s stream features");
    stream
}

async fn next_element(stream: &mut C2s, what: &str) -> Element {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.next()).await {
            Ok(Some(Ok(e))) => return e,
            Ok(Some(Err(tokio_xmpp::xmlstream::ReadError::SoftTimeout))) => {}
            other => panic!("c2s: waiting for {what}: {other:?}"),
        }
    }
}

impl Client {
    pub async fn connect(port: u16, user: &str, password: &str) -> Client {
        Client::connect_as(port, user, password, "e2e").await
    }

    pub async fn connect_as(port: u16, user: &str, password: &str, resource: &str) -> Client {
        let tcp = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("c2s connect");
        let mut stream = open(BufStream::new(tcp)).await;
        let creds = base64(format!("\0{user}\0{password}").as_bytes());
        let auth: Element = format!(
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{creds}</auth>"
        )
        .parse()
        .expect("auth element");
        stream.send(&auth).await.expect("send auth");
        let reply = next_element(&mut stream, "SASL result").await;
        assert_eq!(reply.name(), "success", "login as {user} failed: {reply:?}");
        let header = StreamHeader {
            to: Some("localhost".into()),
            from: None,
            id: None,
        };
        let pending = stream
            .initiate_reset()
            .send_header(header)
            .await
            .expect("stream restart");
        let (_features, mut stream) = pending
            .recv_features::<Element>()
            .await
            .expect("features after auth");
        let bind: Element = format!(
            "<iq xmlns='jabber:client' type='set' id='bind'>\
             <bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>{resource}</resource></bind></iq>"
        )
        .parse()
        .expect("bind element");
        stream.send(&bind).await.expect("send bind");
        let reply = next_element(&mut stream, "bind result").await;
        let jid = reply
            .get_child("bind", "urn:ietf:params:xml:ns:xmpp-bind")
            .and_then(|b| b.get_child("jid", "urn:ietf:params:xml:ns:xmpp-bind"))
            .map(|j| j.text())
            .unwrap_or_else(|| panic!("bind failed: {reply:?}"));
        let jid: FullJid = jid.parse().expect("bound JID");
        Client {
            stream,
            jid,
            unmatched: Vec::new(),
            history: Vec::new(),
            answers_disco: true,
        }
    }

    /// The bound JID as a [`Jid`].
    pub fn full(&self) -> Jid {
        Jid::from(self.jid.clone())
    }

    /// Sends one stanza written as XML; `jabber:client` is the default namespace.
    pub async fn send_xml(&mut self, xml: &str) {
        let element = parse_client_xml(xml);
        self.stream.send(&element).await.expect("send stanza");
    }

    pub async fn send(&mut self, stanza: Stanza) {
        let element = match stanza {
            Stanza::Iq(s) => Element::from(s),
            Stanza::Message(s) => Element::from(s),
            Stanza::Presence(s) => Element::from(s),
        };
        let element = rename_ns(&element, COMPONENT_NS, CLIENT_NS);
        self.stream.send(&element).await.expect("send stanza");
    }

    /// Returns the first stanza (earlier unmatched ones first) that `pred` accepts, waiting up
    /// to `timeout`; panics with everything received when none does.
    pub async fn expect(
        &mut self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&Stanza) -> bool,
    ) -> Stanza {
        self.expect_indexed(what, timeout, pred).await.1
    }

    /// [`Client::expect`], plus the stanza's arrival index on this connection (to check order).
    pub async fn expect_indexed(
        &mut self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&Stanza) -> bool,
    ) -> (usize, Stanza) {
        if let Some(i) = self.unmatched.iter().position(|(_, s)| pred(s)) {
            return self.unmatched.remove(i);
        }
        let until = tokio::time::Instant::now() + timeout;
        loop {
            match self.next_stanza(until).await {
                Next::Timeout => self.fail(what, "timed out"),
                Next::Ended(why) => self.fail(what, &format!("stream ended: {why}")),
                Next::Got(index, Some(stanza)) if pred(&stanza) => return (index, *stanza),
                Next::Got(index, Some(stanza)) => self.unmatched.push((index, *stanza)),
                // Not a stanza xmpp-parsers accepts: kept in the history only.
                Next::Got(_, None) => {}
            }
        }
    }

    /// Reads the next element before `until`: recorded in the history and, like any client,
    /// answering a disco#info request (the service asks occupants whether they are still there).
    async fn next_stanza(&mut self, until: tokio::time::Instant) -> Next {
        loop {
            return match tokio::time::timeout_at(until, self.stream.next()).await {
                Err(_) => Next::Timeout,
                Ok(Some(Ok(element))) => {
                    let index = self.history.len();
                    self.history.push(String::from(&element));
                    if self.answers_disco && is_disco_info_get(&element) {
                        let reply = disco_info_result(&element);
                        self.stream
                            .send(&reply)
                            .await
                            .expect("send disco#info result");
                        continue;
                    }
                    let converted = rename_ns(&element, CLIENT_NS, COMPONENT_NS);
                    Next::Got(index, Stanza::try_from(converted).ok().map(Box::new))
                }
                Ok(Some(Err(tokio_xmpp::xmlstream::ReadError::SoftTimeout))) => continue,
                Ok(other) => Next::Ended(format!("{other:?}")),
            };
        }
    }

    /// Forgets what arrived but was not matched yet, so that later expectations only see
    /// what comes next.
    pub fn forget_unmatched(&mut self) {
        self.unmatched.clear();
    }

    /// Asserts that nothing `pred` accepts arrives within `wait`.
    pub async fn expect_none(
        &mut self,
        what: &str,
        wait: Duration,
        pred: impl Fn(&Stanza) -> bool,
    ) {
        if let Some((_, s)) = self.unmatched.iter().find(|(_, s)| pred(s)) {
            panic!("{}: unexpected {what}: {s:?}", self.jid);
        }
        let until = tokio::time::Instant::now() + wait;
        while let Next::Got(index, stanza) = self.next_stanza(until).await {
            if let Some(stanza) = stanza {
                assert!(
                    !pred(&stanza),
                    "{}: unexpected {what}: {stanza:?}",
                    self.jid
                );
                self.unmatched.push((index, *stanza));
            }
        }
    }

    /// Takes every stanza received but not yet matched that `pred` accepts, with its arrival
    /// index, in arrival order.
    pub fn take_received(&mut self, pred: impl Fn(&Stanza) -> bool) -> Vec<(usize, Stanza)> {
        let (taken, kept) = std::mem::take(&mut self.unmatched)
            .into_iter()
            .partition(|(_, s)| pred(s));
        self.unmatched = kept;
        taken
    }

    /// How many stanzas `pred` accepts among those received within `wait` (and those already
    /// received but not matched); they are consumed.
    pub async fn count_within(&mut self, wait: Duration, pred: impl Fn(&Stanza) -> bool) -> usize {
        let mut count = 0;
        self.unmatched.retain(|(_, s)| {
            let hit = pred(s);
            count += usize::from(hit);
            !hit
        });
        let until = tokio::time::Instant::now() + wait;
        while let Next::Got(index, stanza) = self.next_stanza(until).await {
            match stanza {
                Some(stanza) if pred(&stanza) => count += 1,
                Some(stanza) => self.unmatched.push((index, *stanza)),
                None => {}
            }
        }
        count
    }

    fn fail(&self, what: &str, why: &str) -> ! {
        let mut msg = format!(
            "{}: expected {what}, {why}; received {} stanzas:",
            self.jid,
            self.history.len()
        );
        for (i, s) in self.history.iter().enumerate() {
            let _ = write!(msg, "\n  [{i}] {s}");
        }
        panic!("{msg}");
    }
}

/// What [`Client::next_stanza`] read.
enum Next {
    Timeout,
    Ended(String),
    /// The arrival index, and the stanza if xmpp-parsers accepts it.
    Got(usize, Option<Box<Stanza>>),
}

fn is_disco_info_get(e: &Element) -> bool {
    e.name() == "iq"
        && e.attr("type") == Some("get")
        && e.get_child("query", "http://jabber.org/protocol/disco#info")
            .is_some()
}

/// What a client answers to disco#info: its identity.
fn disco_info_result(request: &Element) -> Element {
    let id = request.attr("id").unwrap_or_default();
    let to = request.attr("from").unwrap_or_default();
    format!(
        "<iq xmlns='{CLIENT_NS}' type='result' id='{id}' to='{to}'>\
         <query xmlns='http://jabber.org/protocol/disco#info'>\
         <identity category='client' type='pc' name='e2e'/></query></iq>"
    )
    .parse()
    .expect("disco#info result")
}

/// Parses client XML, adding `xmlns='jabber:client'` to the root when it has none.
pub fn parse_client_xml(xml: &str) -> Element {
    let xml = xml.trim();
    let name_end = xml[1..]
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .map(|i| i + 1)
        .unwrap_or(xml.len());
    let head = &xml[..xml.find('>').unwrap_or(xml.len())];
    let xml = if head.contains("xmlns=") {
        xml.to_owned()
    } else {
        format!(
            "{} xmlns='{CLIENT_NS}'{}",
            &xml[..name_end],
            &xml[name_end..]
        )
    };
    xml.parse()
        .unwrap_or_else(|e| panic!("test XML does not parse: {e}: {xml}"))
}

/// A copy of `e` with every element in namespace `from` moved to `to`.
fn rename_ns(e: &Element, from: &str, to: &str) -> Element {
    let ns = if e.ns() == from {
        to.to_owned()
    } else {
        e.ns()
    };
    let mut out = Element::builder(e.name(), ns).build();
    *out.attrs_mut() = e.attrs().clone();
    for node in e.nodes() {
        match node {
            Node::Element(child) => {
                out.append_child(rename_ns(child, from, to));
            }
            Node::Text(text) => out.append_text_node(text.clone()),
        }
    }
    out
}

/// Standard base64 with padding, for the SASL PLAIN payload.
pub fn base64(data: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

// Predicates and accessors for tests.

pub fn presence(s: &Stanza) -> Option<&xmpp_parsers::presence::Presence> {
    match s {
        Stanza::Presence(p) => Some(p),
        _ => None,
    }
}

pub fn message(s: &Stanza) -> Option<&xmpp_parsers::message::Message> {
    match s {
        Stanza::Message(m) => Some(m),
        _ => None,
    }
}

pub fn from_is(s: &Stanza, jid: &str) -> bool {
    let from = match s {
        Stanza::Presence(p) => p.from.as_ref(),
        Stanza::Message(m) => m.from.as_ref(),
        Stanza::Iq(iq) => iq.from(),
    };
    from.is_some_and(|f| f.to_string() == jid)
}

/// The status codes of a presence's `muc#user` payload.
pub fn statuses(p: &xmpp_parsers::presence::Presence) -> Vec<String> {
    p.payloads
        .iter()
        .filter(|e| e.is("x", "http://jabber.org/protocol/muc#user"))
        .flat_map(|x| x.children())
        .filter(|c| c.name() == "status")
        .filter_map(|c| c.attr("code").map(str::to_owned))
        .collect()
}

/// The `muc#user` `<item/>` of a presence.
pub fn muc_item(p: &xmpp_parsers::presence::Presence) -> Option<&Element> {
    p.payloads
        .iter()
        .find(|e| e.is("x", "http://jabber.org/protocol/muc#user"))
        .and_then(|x| x.get_child("item", "http://jabber.org/protocol/muc#user"))
}

/// A presence from `from` carrying all of `codes`.
pub fn presence_with(s: &Stanza, from: &str, codes: &[&str]) -> bool {
    presence(s).is_some_and(|p| {
        from_is(s, from) && {
            let have = statuses(p);
            codes.iter().all(|c| have.iter().any(|h| h == c))
        }
    })
}

/// An IQ result or error with this id; panics (in the caller's expect) never, just matches.
pub fn iq_reply(s: &Stanza, id: &str) -> bool {
    matches!(s, Stanza::Iq(iq @ (xmpp_parsers::iq::Iq::Result { .. } | xmpp_parsers::iq::Iq::Error { .. })) if iq.id() == id)
}

/// The payload of an IQ result, or a panic naming the error.
pub fn result_payload(s: &Stanza) -> Option<&Element> {
    match s {
        Stanza::Iq(xmpp_parsers::iq::Iq::Result { payload, .. }) => payload.as_ref(),
        other => panic!("expected an IQ result, got {other:?}"),
    }
}

pub fn body(m: &xmpp_parsers::message::Message) -> Option<&str> {
    m.bodies.values().next().map(String::as_str)
}

pub fn subject(m: &xmpp_parsers::message::Message) -> Option<&str> {
    m.subjects.values().next().map(String::as_str)
}

pub const WAIT: Duration = Duration::from_secs(5);

/// Sends groupchat `body` to `room`.
pub async fn say_in(client: &mut Client, room: &str, body: &str) {
    client
        .send_xml(&format!(
            "<message to='{room}' type='groupchat'><body>{body}</body></message>"
        ))
        .await;
}

/// Waits for a message from the room itself whose body contains `needle`; returns the body.
pub async fn room_says(client: &mut Client, room: &str, needle: &str) -> String {
    let what = format!("the room saying {needle:?}");
    let s = client
        .expect(&what, WAIT, |s| {
            from_is(s, room)
                && message(s)
                    .and_then(body)
                    .is_some_and(|b| b.contains(needle))
        })
        .await;
    message(&s).and_then(body).unwrap_or_default().to_owned()
}

/// Enters `occupant` (`room@service/nick`) and waits for the own available presence (110).
pub async fn enter(client: &mut Client, occupant: &str) -> Stanza {
    client
        .send_xml(&format!(
            "<presence to='{occupant}'><x xmlns='http://jabber.org/protocol/muc'/></presence>"
        ))
        .await;
    client
        .expect("own presence", WAIT, |s| {
            presence_with(s, occupant, &["110"])
                && presence(s).is_some_and(|p| p.type_ == xmpp_parsers::presence::Type::None)
        })
        .await
}

/// Accepts the default configuration of a room the client just created (an instant room).
pub async fn unlock(client: &mut Client, room: &str) {
    client
        .send_xml(&format!(
            "<iq type='set' to='{room}' id='instant'><query xmlns='http://jabber.org/protocol/muc#owner'>\
               <x xmlns='jabber:x:data' type='submit'/></query></iq>"
        ))
        .await;
    client
        .expect("the room unlocked", WAIT, |s| iq_reply(s, "instant"))
        .await;
}
