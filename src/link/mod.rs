//! The component link (XEP-0114): one task owns the connection to the server, feeds what it
//! reads into a bounded inbound channel and writes what the outbound queue holds.
//!
//! The stream is our own ([`framer`] over rxml, the XML parser of the xmpp-rs stack), not
//! `tokio_xmpp::Component`'s: a component serves every user of the server, so nothing a user
//! sends may end the stream. tokio-xmpp's stream ends on a stanza that does not parse, on any
//! attribute over 8 KiB, and its element builder recurses once per nesting level (a stanza nested
//! a few thousand deep overflowed the stack). Here a stanza that breaks a limit becomes
//! [`Inbound::Invalid`] and its sender gets an error; the stream stays up.
//!
//! Reading and writing run side by side, so that a server slow to read our output never stops us
//! reading (and the other way round). When the server goes away the link reconnects with capped
//! exponential backoff; stanzas produced meanwhile are kept up to a bound and written once the
//! link is back.

pub mod framer;
pub mod wire;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{debug, error, info, warn};
use xmpp_parsers::component::Handshake;
use xmpp_parsers::iq::Iq;
use xmpp_parsers::jid::{BareJid, Jid};
use xmpp_parsers::minidom::Element;
use xmpp_parsers::minidom::rxml::Namespace;
use xmpp_parsers::ping::Ping;
use xmpp_parsers::stanza::Stanza;
use xmpp_parsers::stream_error::StreamError;

pub use framer::{Framer, Limits};
pub use wire::{Outbound, Wire};

use crate::stanza::Inbound;
use wire::{FairQueue, OutboundReceiver};

/// IQ ids of our keepalive pings; their replies are not the engine's business.
const KEEPALIVE_ID: &str = "palaver-keepalive-";
const STREAM_NS: &str = "http://etherx.jabber.org/streams";
/// How much is read from the socket, and written to it, at a time.
const IO_CHUNK: usize = 64 * 1024;

/// How the link connects and how much it buffers.
#[derive(Debug, Clone)]
pub struct LinkConfig {
    /// The component's domain.
    pub domain: BareJid,
    /// How many connections to open (a server such as ejabberd takes several per component and
    /// parses them in parallel; Prosody takes one).
    pub connections: usize,
    /// `host:port` of the server's component listener; resolved on every attempt.
    pub server: String,
    pub secret: String,
    /// Silence before a keepalive ping.
    pub read_timeout: Duration,
    /// How long the server then has to say anything.
    pub response_timeout: Duration,
    /// How long connecting plus the handshake may take.
    pub connect_timeout: Duration,
    /// Capacity of the inbound channel, in stanzas.
    pub inbound_capacity: usize,
    /// What one inbound stanza may be.
    pub limits: Limits,
    /// The largest stanza written; larger ones are not sent (the server would end the stream).
    pub max_stanza_bytes: usize,
    /// Bytes of serialised stanzas that may wait for the socket before the engine waits.
    pub outbound_budget: usize,
    /// How many outbound stanzas are kept while disconnected; beyond that they are dropped
    /// (and counted in the log).
    pub offline_buffer: usize,
    /// First reconnect delay; doubled after each failed attempt up to `max_backoff`.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
}

impl LinkConfig {
    /// Prosody ends a component's stream on a stanza over 512 KiB; this leaves room to spare.
    pub const DEFAULT_MAX_STANZA_BYTES: usize = 384 * 1024;

    pub fn new(domain: BareJid, server: String, secret: String) -> LinkConfig {
        LinkConfig {
            domain,
            connections: 1,
            server,
            secret,
            read_timeout: Duration::from_secs(60),
            response_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(20),
            inbound_capacity: 1024,
            limits: Limits::default(),
            max_stanza_bytes: LinkConfig::DEFAULT_MAX_STANZA_BYTES,
            outbound_budget: 32 * 1024 * 1024,
            offline_buffer: 10_000,
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
        }
    }
}

/// The service's end of the link.
pub struct Link {
    /// What the server sent us, in order.
    pub inbound: mpsc::Receiver<Inbound>,
    /// A tick each time a connection comes up (the service then checks who is still there).
    pub up: mpsc::UnboundedReceiver<()>,
    /// What to write to the server, bounded in bytes.
    pub outbound: Outbound,
    /// Ends after every `outbound` handle is dropped and everything queued was written (or the
    /// link was down and the rest was logged as lost).
    pub task: JoinHandle<()>,
    /// Opens one more connection that only reads (a spare, see [`spares`]), or closes the
    /// newest spare; they all end when this sender is dropped.
    pub spare: mpsc::UnboundedSender<Spare>,
}

/// An order to the spare connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spare {
    Open,
    /// Ends the newest open spare (its slot at the server becomes free).
    Close,
}

/// The most spare connections one service opens over its life.
pub const MAX_SPARES: usize = 64;

/// Starts the link tasks, one per connection.
pub fn spawn(config: LinkConfig) -> Link {
    let (in_tx, in_rx) = mpsc::channel(config.inbound_capacity.max(1));
    let count = config.connections.max(1);
    let (outbound, receivers) = wire::lanes(count, config.outbound_budget, config.max_stanza_bytes);
    let up = Arc::new(AtomicUsize::new(0));
    let (up_tx, up_rx) = mpsc::unbounded_channel();
    let tasks: Vec<JoinHandle<()>> = receivers
        .into_iter()
        .enumerate()
        .map(|(index, rx)| {
            let name = (count > 1).then(|| format!("link {} of {count}: ", index + 1));
            let links = Links {
                name: name.unwrap_or_default(),
                up: up.clone(),
                several: count > 1,
                came_up: up_tx.clone(),
            };
            tokio::spawn(run(links, config.clone(), in_tx.clone(), rx))
        })
        .collect();
    let (spare, asked) = mpsc::unbounded_channel();
    let spares = tokio::spawn(spares(config, asked, in_tx, up, up_tx));
    let task = tokio::spawn(async move {
        for task in tasks {
            if let Err(e) = task.await {
                warn!("a link task failed: {e}");
            }
        }
        if let Err(e) = spares.await {
            warn!("the spare links failed: {e}");
        }
    });
    Link {
        inbound: in_rx,
        up: up_rx,
        outbound,
        task,
        spare,
    }
}

/// Spare connections, opened on request: they feed the engine what the server sends them but
/// write nothing of the engine's (outbound goes over the first links). ejabberd with
/// `component_number` hands each new connection a free slot, if one is free, and keeps a dead
/// connection's slot free until a new connection comes: an instance that takes over a dead one's
/// rooms opens spares to take its slots. A spare that got no slot receives nothing and costs
/// one idle connection.
async fn spares(
    config: LinkConfig,
    mut asked: mpsc::UnboundedReceiver<Spare>,
    inbound: mpsc::Sender<Inbound>,
    up: Arc<AtomicUsize>,
    came_up: mpsc::UnboundedSender<()>,
) {
    // Their outbound queues stay open, and empty, until the service stops asking.
    let mut keep = Vec::new();
    let mut tasks = Vec::new();
    let mut opened = 0;
    while let Some(order) = asked.recv().await {
        if order == Spare::Close {
            // Its outbound queue closed, the connection ends its stream.
            match keep.pop() {
                Some(_) => info!("a spare link closes: its slot goes back to the server"),
                None => warn!("no spare link is open to close"),
            }
            continue;
        }
        if opened >= MAX_SPARES {
            warn!("{MAX_SPARES} spare links are open already; not opening another");
            continue;
        }
        let (tx, rx) = mpsc::unbounded_channel();
        keep.push(tx);
        opened += 1;
        let links = Links {
            name: format!("spare link {opened}: "),
            up: up.clone(),
            several: true,
            came_up: came_up.clone(),
        };
        let receiver = OutboundReceiver {
            rx,
            alive: Arc::new(AtomicBool::new(true)),
        };
        tasks.push(tokio::spawn(run(
            links,
            config.clone(),
            inbound.clone(),
            receiver,
        )));
    }
    drop(keep);
    for task in tasks {
        if let Err(e) = task.await {
            warn!("a spare link task failed: {e}");
        }
    }
}

/// Why a connection attempt failed.
#[derive(Debug, thiserror::Error)]
enum ConnectError {
    /// The server answered and said no (or said something we cannot use).
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Failed(String),
}

/// Why a session ended.
enum SessionEnd {
    /// The service shut down: outbound closed, or nobody reads inbound any more.
    Shutdown,
    /// The connection is gone; reconnect.
    Lost(String),
}

/// Outbound stanzas waiting for the socket, across reconnects.
struct Pending {
    rx: mpsc::UnboundedReceiver<Wire>,
    queue: FairQueue,
    /// The most stanzas kept while disconnected.
    offline_bound: usize,
    dropped: u64,
}

impl Pending {
    /// Keeps a stanza produced while disconnected, or drops it beyond the bound.
    fn keep_offline(&mut self, wire: Wire) {
        if self.queue.len() < self.offline_bound {
            self.queue.push(wire);
            return;
        }
        if self.dropped == 0 {
            warn!(
                bound = self.offline_bound,
                "outbound buffer is full while disconnected; dropping stanzas until reconnected"
            );
        }
        self.dropped += 1;
    }

    /// Logs what was lost, once per outage.
    fn report_dropped(&mut self) {
        if self.dropped > 0 {
            warn!(
                dropped = self.dropped,
                "{} outbound stanzas were dropped while disconnected", self.dropped
            );
            self.dropped = 0;
        }
    }
}

/// What a link knows of its siblings.
struct Links {
    /// Prefixes its log lines when there are several.
    name: String,
    /// How many of the service's links are connected now.
    up: Arc<AtomicUsize>,
    several: bool,
    /// Told each time this link comes up.
    came_up: mpsc::UnboundedSender<()>,
}

impl Links {
    /// Whether a sibling is connected, waiting briefly: a server that refuses a second
    /// connection does so once the first is through its handshake, which its task may not have
    /// counted yet.
    async fn sibling_up(&self) -> bool {
        if !self.several {
            return false;
        }
        for _ in 0..40 {
            if self.up.load(Ordering::Relaxed) > 0 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }
}

/// One connection's life: connect, serve, reconnect.
async fn run(
    links: Links,
    config: LinkConfig,
    inbound: mpsc::Sender<Inbound>,
    outbound: OutboundReceiver,
) {
    let name = links.name.clone();
    let retire = outbound.alive.clone();
    let mut pending = Pending {
        rx: outbound.rx,
        queue: FairQueue::default(),
        offline_bound: config.offline_buffer,
        dropped: 0,
    };
    let mut backoff = config.min_backoff;
    loop {
        let attempt = tokio::time::timeout(config.connect_timeout, connect(&config));
        let Some(result) = buffer_while(attempt, &mut pending).await else {
            return shutdown_offline(&mut pending);
        };
        match result {
            Ok(Ok(conn)) => {
                info!("{name}connected to {} as {}", config.server, config.domain);
                // The link was healthy: whatever ends it, the next attempt starts afresh.
                backoff = config.min_backoff;
                links.up.fetch_add(1, Ordering::Relaxed);
                let _ = links.came_up.send(());
                let end = session(&config, conn, &inbound, &mut pending).await;
                links.up.fetch_sub(1, Ordering::Relaxed);
                match end {
                    SessionEnd::Shutdown => return,
                    SessionEnd::Lost(reason) => {
                        warn!("{name}lost the connection to {}: {reason}", config.server)
                    }
                }
            }
            // Prosody takes one connection per component domain: an extra link is refused
            // with conflict. It is not an error; the service runs on the links it has.
            Ok(Err(ConnectError::Refused(reason)))
                if reason.starts_with("conflict") && links.sibling_up().await =>
            {
                info!(
                    "{name}the server takes only one connection for {} ({reason}); running on \
                     the connections it accepted",
                    config.domain
                );
                retire.store(false, Ordering::Relaxed);
                // Whatever was queued for this link goes out on the others.
                pending.rx.close();
                return;
            }
            Ok(Err(ConnectError::Refused(reason))) => error!(
                "{name}the server refused the component handshake for {}: {reason} — check \
                 the secret and that the server has a Component entry for this domain",
                config.domain
            ),
            Ok(Err(ConnectError::Failed(reason))) => {
                warn!("{name}cannot connect to {}: {reason}", config.server)
            }
            Err(_) => warn!(
                "{name}cannot connect to {}: no handshake within {:?}",
                config.server, config.connect_timeout
            ),
        }
        warn!("{name}reconnecting in {}s", backoff.as_secs_f32());
        if buffer_while(tokio::time::sleep(backoff), &mut pending)
            .await
            .is_none()
        {
            return shutdown_offline(&mut pending);
        }
        backoff = (backoff * 2).min(config.max_backoff);
    }
}

/// Awaits `fut` while keeping outbound stanzas; `None` when the service closed the outbound
/// queue meanwhile.
async fn buffer_while<F: Future>(fut: F, pending: &mut Pending) -> Option<F::Output> {
    tokio::pin!(fut);
    loop {
        tokio::select! {
            out = &mut fut => return Some(out),
            wire = pending.rx.recv() => match wire {
                Some(wire) => pending.keep_offline(wire),
                None => return None,
            },
        }
    }
}

fn shutdown_offline(pending: &mut Pending) {
    if !pending.queue.is_empty() {
        warn!(
            lost = pending.queue.len(),
            "shutting down while disconnected: {} outbound stanzas were never sent",
            pending.queue.len()
        );
    }
    pending.report_dropped();
}

/// A connection past the handshake.
struct Conn {
    read: OwnedReadHalf,
    write: OwnedWriteHalf,
    framer: Framer,
}

/// Connects, opens the component stream and performs the handshake.
async fn connect(config: &LinkConfig) -> Result<Conn, ConnectError> {
    let failed = |e: &dyn std::fmt::Display| ConnectError::Failed(e.to_string());
    let tcp = TcpStream::connect(&config.server)
        .await
        .map_err(|e| failed(&e))?;
    // Stanzas are small and each one is a reply someone waits for.
    tcp.set_nodelay(true).map_err(|e| failed(&e))?;
    let (mut read, mut write) = tcp.into_split();
    let header = format!(
        "<?xml version='1.0'?><stream:stream xmlns='{}' xmlns:stream='{STREAM_NS}' to='{}'>",
        xmpp_parsers::ns::COMPONENT,
        escape(config.domain.as_str())
    );
    write
        .write_all(header.as_bytes())
        .await
        .map_err(|e| failed(&e))?;
    let mut framer = Framer::new(config.limits);
    let mut frames = Vec::new();
    let mut buf = vec![0u8; 4096];
    let mut handshake_sent = false;
    loop {
        let n = read.read(&mut buf).await.map_err(|e| failed(&e))?;
        if let Err(e) = framer.feed(&buf[..n], n == 0, &mut frames) {
            return Err(ConnectError::Refused(format!(
                "the server's reply is not well-formed XML ({e}); is this a component port?"
            )));
        }
        for frame in frames.drain(..) {
            match frame {
                framer::Frame::Header(attrs) if !handshake_sent => {
                    let Some(id) = attrs.get(&Namespace::NONE, "id") else {
                        return Err(ConnectError::Failed(
                            "the server's stream header has no id (is this a component port?)"
                                .into(),
                        ));
                    };
                    let hash = Handshake::from_stream_id_and_password(id.clone(), &config.secret)
                        .data
                        .unwrap_or_default();
                    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
                    let handshake = format!("<handshake>{hex}</handshake>");
                    write
                        .write_all(handshake.as_bytes())
                        .await
                        .map_err(|e| failed(&e))?;
                    handshake_sent = true;
                }
                framer::Frame::Element(e) if e.name() == "handshake" && handshake_sent => {
                    return Ok(Conn {
                        read,
                        write,
                        framer,
                    });
                }
                framer::Frame::Element(e) if e.is("error", STREAM_NS) => {
                    return Err(ConnectError::Refused(stream_error_text(e)));
                }
                framer::Frame::End => {
                    return Err(ConnectError::Refused("the server closed the stream".into()));
                }
                other => {
                    return Err(ConnectError::Refused(format!(
                        "unexpected reply to the handshake: {}",
                        frame_name(&other)
                    )));
                }
            }
        }
        if n == 0 {
            return Err(ConnectError::Refused(
                "the server closed the connection".into(),
            ));
        }
    }
}

fn frame_name(frame: &framer::Frame) -> String {
    match frame {
        framer::Frame::Header(_) => "a second stream header".into(),
        framer::Frame::Element(e) | framer::Frame::Refused { element: e, .. } => {
            format!("<{}/>", e.name())
        }
        framer::Frame::End => "the end of the stream".into(),
    }
}

fn stream_error_text(e: Element) -> String {
    match StreamError::try_from(e) {
        Ok(e) => {
            let mut reason = e.condition.to_string();
            if let Some((_, text)) = e.get_best_text(vec!["en"]) {
                reason.push_str(&format!(" ({text})"));
            }
            reason
        }
        Err(_) => "a stream error".into(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('\'', "&apos;")
}

/// Serves one connection until it ends: the reader and the writer side by side.
async fn session(
    config: &LinkConfig,
    conn: Conn,
    inbound: &mpsc::Sender<Inbound>,
    pending: &mut Pending,
) -> SessionEnd {
    pending.report_dropped();
    if !pending.queue.is_empty() {
        info!(
            count = pending.queue.len(),
            "sending stanzas buffered while disconnected"
        );
    }
    let Conn {
        read,
        write,
        framer,
    } = conn;
    let (ping_tx, ping_rx) = mpsc::channel(1);
    tokio::select! {
        end = read_loop(config, read, framer, inbound, ping_tx) => end,
        end = write_loop(write, pending, ping_rx) => end,
    }
}

/// Reads stanzas and hands them to the engine; pings the server when the link is idle.
async fn read_loop(
    config: &LinkConfig,
    mut read: OwnedReadHalf,
    mut framer: Framer,
    inbound: &mpsc::Sender<Inbound>,
    ping: mpsc::Sender<Wire>,
) -> SessionEnd {
    let ping_to = keepalive_target(&config.domain);
    let mut buf = vec![0u8; IO_CHUNK];
    let mut frames = Vec::new();
    let mut pinged = false;
    loop {
        let wait = if pinged {
            config.response_timeout
        } else {
            config.read_timeout
        };
        let n = match tokio::time::timeout(wait, read.read(&mut buf)).await {
            Err(_) if pinged => {
                return SessionEnd::Lost(format!(
                    "the server did not answer a keepalive within {wait:?}"
                ));
            }
            Err(_) => {
                // Make the server say something; an error reply is as good as a result.
                debug!(to = %ping_to, "link idle, sending a keepalive ping");
                let _ = ping.try_send(keepalive(config, &ping_to));
                pinged = true;
                continue;
            }
            Ok(Err(e)) => return SessionEnd::Lost(e.to_string()),
            Ok(Ok(n)) => n,
        };
        pinged = false;
        if n == 0 {
            return SessionEnd::Lost("the server closed the connection".into());
        }
        if let Err(e) = framer.feed(&buf[..n], false, &mut frames) {
            return SessionEnd::Lost(format!("the server sent malformed XML: {e}"));
        }
        for frame in frames.drain(..) {
            let item = match incoming(frame) {
                Incoming::Stanza(item) => item,
                Incoming::KeepaliveReply => {
                    debug!("keepalive answered");
                    continue;
                }
                Incoming::Lost(reason) => return SessionEnd::Lost(reason),
                Incoming::Ignored(what) => {
                    debug!("ignoring {what}");
                    continue;
                }
            };
            if inbound.send(item).await.is_err() {
                return SessionEnd::Shutdown;
            }
        }
    }
}

/// What one frame read off an established stream means to the service.
#[derive(Debug)]
pub enum Incoming {
    /// A stanza for the engine: one that parsed, or the header of one that did not or that
    /// broke a limit (its sender is answered with an error).
    Stanza(Inbound),
    /// The server answered our keepalive.
    KeepaliveReply,
    /// The server ends the stream (a stream error, or its closing tag), and why.
    Lost(String),
    /// Anything else: logged and ignored.
    Ignored(String),
}

/// Turns a frame into what the engine gets. Public so that the fuzzers drive the very code the
/// link runs.
pub fn incoming(frame: framer::Frame) -> Incoming {
    match frame {
        framer::Frame::Element(e) if e.is("error", STREAM_NS) => Incoming::Lost(format!(
            "the server sent a stream error: {}",
            stream_error_text(e)
        )),
        framer::Frame::Element(e) if is_stanza(&e) => {
            if is_keepalive_reply(&e) {
                return Incoming::KeepaliveReply;
            }
            let item = Inbound::from_element(e);
            if let Inbound::Invalid(h) = &item {
                debug!(from = h.from.as_deref(), reason = %h.reason, "invalid {:?} stanza", h.kind);
            }
            Incoming::Stanza(item)
        }
        framer::Frame::Refused { element, reason } if is_stanza(&element) => {
            debug!(from = element.attr("from"), %reason, "refused an inbound stanza");
            Incoming::Stanza(Inbound::refused(&element, reason))
        }
        framer::Frame::End => Incoming::Lost("the server closed the stream".into()),
        other => Incoming::Ignored(frame_name(&other)),
    }
}

fn is_stanza(e: &Element) -> bool {
    e.ns() == xmpp_parsers::ns::COMPONENT && matches!(e.name(), "iq" | "message" | "presence")
}

/// Writes queued stanzas, recipients in turn, until the service closes the queue.
async fn write_loop(
    mut write: OwnedWriteHalf,
    pending: &mut Pending,
    mut ping: mpsc::Receiver<Wire>,
) -> SessionEnd {
    let mut bytes = Vec::with_capacity(IO_CHUNK);
    let mut written = Vec::new();
    loop {
        while let Ok(wire) = pending.rx.try_recv() {
            pending.queue.push(wire);
        }
        if pending.queue.is_empty() {
            pending.queue.shrink();
            tokio::select! {
                biased;
                Some(wire) = ping.recv() => pending.queue.push(wire),
                wire = pending.rx.recv() => match wire {
                    Some(wire) => pending.queue.push(wire),
                    None => {
                        close(&mut write).await;
                        return SessionEnd::Shutdown;
                    }
                },
            }
            continue;
        }
        if let Ok(wire) = ping.try_recv() {
            pending.queue.push(wire);
        }
        while bytes.len() < IO_CHUNK {
            let Some(wire) = pending.queue.pop() else {
                break;
            };
            bytes.extend_from_slice(&wire.bytes);
            written.push(wire);
        }
        if let Err(e) = write.write_all(&bytes).await {
            // TCP cannot tell what the server got; say how much is in doubt rather than nothing.
            warn!(
                "write failed; up to {} outbound stanzas may not have reached the server",
                written.len()
            );
            return SessionEnd::Lost(e.to_string());
        }
        bytes.clear();
        // Their bytes go back to the budget only now that the socket took them.
        written.clear();
    }
}

/// Sends the stream footer.
async fn close(write: &mut OwnedWriteHalf) {
    let closing = async {
        write.write_all(b"</stream:stream>").await?;
        write.shutdown().await
    };
    match tokio::time::timeout(Duration::from_secs(2), closing).await {
        Ok(Ok(())) => info!("link closed"),
        Ok(Err(e)) => debug!("closing the link: {e}"),
        Err(_) => debug!("the server did not take the stream's end in time"),
    }
}

/// The server to ping: the parent domain (`conference.example.org` → `example.org`), which is
/// normally a host of the server we are connected to.
fn keepalive_target(domain: &BareJid) -> Jid {
    let name = domain.domain().as_str();
    name.split_once('.')
        .and_then(|(_, parent)| parent.parse::<BareJid>().ok())
        .unwrap_or_else(|| domain.clone())
        .into()
}

fn keepalive(config: &LinkConfig, to: &Jid) -> Wire {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let id = format!("{KEEPALIVE_ID}{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let ping = Stanza::Iq(
        Iq::from_get(id, Ping)
            .with_from(Jid::from(config.domain.clone()))
            .with_to(to.clone()),
    );
    let (to, bytes) = wire::serialise(ping, usize::MAX).unwrap_or_default();
    Wire::unbudgeted(to, bytes)
}

fn is_keepalive_reply(e: &Element) -> bool {
    e.name() == "iq"
        && matches!(e.attr("type"), Some("result" | "error"))
        && e.attr("id").is_some_and(|id| id.starts_with(KEEPALIVE_ID))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keepalive_goes_to_the_parent_domain() {
        let d: BareJid = "conference.example.org".parse().expect("jid");
        assert_eq!(keepalive_target(&d).to_string(), "example.org");
        let d: BareJid = "localhost".parse().expect("jid");
        assert_eq!(keepalive_target(&d).to_string(), "localhost");
    }

    #[test]
    fn keepalive_replies_are_recognised() {
        let config = LinkConfig::new(
            "conference.localhost".parse().expect("jid"),
            "127.0.0.1:5347".into(),
            "s".into(),
        );
        let ping = keepalive(&config, &"localhost".parse().expect("jid"));
        let request: Element = std::str::from_utf8(&ping.bytes)
            .expect("utf8")
            .parse()
            .expect("xml");
        assert!(!is_keepalive_reply(&request), "a request is not a reply");
        let id = request.attr("id").expect("id");
        let reply: Element = format!(
            "<iq xmlns='jabber:component:accept' type='result' id='{id}' from='localhost'/>"
        )
        .parse()
        .expect("xml");
        assert!(is_keepalive_reply(&reply));
        let other: Element =
            "<iq xmlns='jabber:component:accept' type='result' id='purple1' from='localhost'/>"
                .parse()
                .expect("xml");
        assert!(!is_keepalive_reply(&other));
    }

    #[test]
    fn the_offline_buffer_is_bounded_and_counts_drops() {
        let (_tx, rx) = mpsc::unbounded_channel();
        let mut p = Pending {
            rx,
            queue: FairQueue::default(),
            offline_bound: 2,
            dropped: 0,
        };
        for i in 0..5 {
            p.keep_offline(Wire::unbudgeted(format!("u{i}@localhost"), vec![i]));
        }
        assert_eq!(p.queue.len(), 2);
        assert_eq!(p.dropped, 3);
        p.report_dropped();
        assert_eq!(p.dropped, 0);
    }
}
