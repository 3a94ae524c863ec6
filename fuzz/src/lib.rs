//! What palaver's fuzz targets share: the engine as the service builds it, the stream as the
//! link reads it, and the checks every stanza the service sends must pass.
//!
//! The targets (`fuzz_targets/`) are thin: `inbound` feeds raw bytes through [`Stream`],
//! `muc_ops` plays [`ops::Script`]s against one [`World`] and checks [`invariants`].

pub mod invariants;
pub mod ops;

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use palaver::engine::{Engine, Settings};
use palaver::game::Rules;
use palaver::link::framer::{Frame, Framer, Limits};
use palaver::link::{Incoming, LinkConfig, incoming, wire};
use xmpp_parsers::stanza::Stanza;

/// The service's domain in every target.
pub const DOMAIN: &str = "conference.localhost";

/// The server's stream header, as Prosody opens a component stream (after the handshake the
/// link goes on reading the same stream).
pub const HEADER: &str = "<?xml version='1.0'?><stream:stream \
    xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' \
    id='fuzz' from='conference.localhost'>";

/// 2026-01-01T00:00:00Z, as the in-process tests use.
pub fn start() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600)
}

/// The shipped games (`rules/`), loaded once per process.
pub fn games() -> Vec<Arc<Rules>> {
    static GAMES: OnceLock<Vec<Arc<Rules>>> = OnceLock::new();
    GAMES
        .get_or_init(|| {
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
            let (games, mistakes) =
                palaver::game::load_dir(&root.join("rules"), &root.join("assets"));
            // The fuzzers' setup, not their input: a broken checkout should stop them loudly.
            assert!(
                mistakes.is_empty(),
                "the shipped rules do not load: {mistakes:?}"
            );
            assert!(!games.is_empty(), "no games in rules/");
            games
        })
        .clone()
}

/// An engine with every feature and the shipped games, as `service::run` builds it (with the
/// default allowances and limits), minus the store.
pub fn engine(admins: &[&str]) -> Engine {
    let mut settings = Settings::new(DOMAIN.parse().expect("the domain is a JID"));
    settings.admins = admins
        .iter()
        .map(|a| a.parse().expect("an admin is a JID"))
        .collect();
    let mut engine = Engine::new(settings);
    palaver::play::install(&mut engine, games());
    engine
}

/// The inbound path as the link and the service loop run it: bytes → framer → [`incoming`] →
/// [`Engine::push`] → [`Engine::tick`] → serialisation.
pub struct Stream {
    pub engine: Engine,
    pub now: SystemTime,
    framer: Framer,
    frames: Vec<Frame>,
    /// Set once the stream is over (malformed XML, the server's end or a stream error): the
    /// link would reconnect, and nothing more is read from this stream.
    pub ended: bool,
}

impl Default for Stream {
    fn default() -> Self {
        Stream::new()
    }
}

impl Stream {
    pub fn new() -> Stream {
        let mut framer = Framer::new(Limits::default());
        let mut frames = Vec::new();
        framer
            .feed(HEADER.as_bytes(), false, &mut frames)
            .expect("the fixed header is well-formed");
        assert!(matches!(frames.as_slice(), [Frame::Header(_)]));
        frames.clear();
        Stream {
            engine: engine(&[]),
            now: start(),
            framer,
            frames,
            ended: false,
        }
    }

    /// Reads `bytes` as the link reads one chunk off the socket and hands every stanza to the
    /// engine, then ticks once; returns what the tick sent, serialised and checked.
    pub fn read(&mut self, bytes: &[u8], at_eof: bool) -> Vec<Vec<u8>> {
        if !self.ended {
            let result = self.framer.feed(bytes, at_eof, &mut self.frames);
            // What was framed before malformed XML was read by the link and goes in.
            for frame in self.frames.drain(..) {
                if self.ended {
                    break;
                }
                match incoming(frame) {
                    Incoming::Stanza(inbound) => self.engine.push(inbound, self.now),
                    Incoming::Lost(_) => self.ended = true,
                    Incoming::KeepaliveReply | Incoming::Ignored(_) => {}
                }
            }
            if result.is_err() {
                self.ended = true;
            }
        }
        self.tick()
    }

    /// One tick at the current time, its stanzas serialised and checked.
    pub fn tick(&mut self) -> Vec<Vec<u8>> {
        let out = self.engine.tick(self.now);
        // The store task would take these; here they only must not pile up.
        drop(self.engine.take_store_changes());
        out.into_iter().filter_map(send).collect()
    }

    pub fn advance(&mut self, by: Duration) {
        self.now += by;
    }
}

/// Serialises a stanza as the service loop does and checks that the server would take it;
/// `None` when the link would not send it (over the size limit).
pub fn send(stanza: Stanza) -> Option<Vec<u8>> {
    let (to, bytes) = wire::serialise(stanza, LinkConfig::DEFAULT_MAX_STANZA_BYTES)?;
    check_wire(&to, &bytes);
    Some(bytes)
}

/// What the server needs of every stanza a component sends, or it ends the stream (Prosody's
/// mod_component): well-formed XML, one stanza, a `to`, and a `from` in the component's
/// domain ("invalid-from" otherwise). Panics (a finding) when one is broken.
pub fn check_wire(to: &str, bytes: &[u8]) {
    assert!(
        bytes.len() <= LinkConfig::DEFAULT_MAX_STANZA_BYTES,
        "an outbound stanza over the limit: {} bytes",
        bytes.len()
    );
    // Limits as generous as the server's own: what matters here is well-formedness.
    let mut framer = Framer::new(Limits {
        max_depth: 1 << 16,
        max_stanza_bytes: usize::MAX,
        max_attribute_bytes: 1 << 30,
        max_elements: usize::MAX,
    });
    let mut frames = Vec::new();
    let text = String::from_utf8_lossy(bytes);
    framer
        .feed(HEADER.as_bytes(), false, &mut frames)
        .expect("header");
    if let Err(e) = framer.feed(bytes, false, &mut frames) {
        panic!("an outbound stanza is not well-formed XML ({e}): {text}");
    }
    let [Frame::Header(_), Frame::Element(element)] = frames.as_slice() else {
        panic!("an outbound stanza is not exactly one element: {frames:?}: {text}");
    };
    assert!(
        matches!(element.name(), "iq" | "message" | "presence"),
        "not a stanza: {text}"
    );
    assert!(!to.is_empty(), "an outbound stanza without 'to': {text}");
    assert!(
        to.parse::<xmpp_parsers::jid::Jid>().is_ok(),
        "an outbound stanza to a malformed JID: {text}"
    );
    let from = element.attr("from");
    let from_domain = from
        .and_then(|f| f.parse::<xmpp_parsers::jid::Jid>().ok())
        .map(|j| j.domain().as_str().to_owned());
    assert_eq!(
        from_domain.as_deref(),
        Some(DOMAIN),
        "an outbound stanza not from the service's domain (the server would end the stream): {text}"
    );
}

/// The `inbound` target: `data` is what the server sends after its stream header. Each line
/// is read as one chunk off the socket followed by a tick, a second apart (so the seeds, one
/// stanza a line, replay their tests tick by tick, and a line break inside a stanza splits it
/// across reads); then the stream ends and time runs on so that every timer fires.
pub fn inbound(data: &[u8]) {
    let mut stream = Stream::new();
    let mut lines = data.split_inclusive(|b| *b == b'\n').peekable();
    while let Some(line) = lines.next() {
        stream.read(line, lines.peek().is_none());
        stream.advance(Duration::from_secs(1));
    }
    stream.read(&[], true);
    // Seat grace, game clocks and the computer's moves, then locked rooms' expiry.
    for step in [2, 70, 400, 86_400] {
        stream.advance(Duration::from_secs(step));
        stream.tick();
    }
}
