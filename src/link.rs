//! The component link (XEP-0114): one task owns the connection to the server, feeds what it
//! reads into a bounded inbound channel and writes what the outbound channel holds.
//!
//! `tokio_xmpp::Component` is not used on purpose: its stream ends on the first stanza that fails
//! to parse, so any user could disconnect the service with one malformed stanza. Here a bad
//! stanza becomes [`Inbound::Invalid`] and the engine answers it with an error.
//!
//! When the server goes away the link reconnects with capped exponential backoff; stanzas
//! produced meanwhile are buffered up to a bound and written once the link is back.

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::io::BufStream;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_xmpp::connect::{DnsConfig, ServerConnector, TcpServerConnector};
use tokio_xmpp::xmlstream::{
    FallibleStreamElement, ReadError, StreamElementError, Timeouts, XmppStream, XmppStreamElement,
};
use tracing::{debug, error, info, warn};
use xmpp_parsers::component::Handshake;
use xmpp_parsers::iq::Iq;
use xmpp_parsers::jid::{BareJid, Jid};
use xmpp_parsers::ping::Ping;
use xmpp_parsers::stanza::Stanza;

use crate::stanza::{Inbound, InvalidStanza, StanzaKind};

type Stream = XmppStream<BufStream<TcpStream>>;

/// IQ ids of our keepalive pings; their replies are not the engine's business.
const KEEPALIVE_ID: &str = "palaver-keepalive-";

/// How the link connects and how much it buffers.
#[derive(Debug, Clone)]
pub struct LinkConfig {
    /// The component's domain.
    pub domain: BareJid,
    /// `host:port` of the server's component listener; resolved on every attempt.
    pub server: String,
    pub secret: String,
    /// Silence before a keepalive ping, and how long the server then has to answer.
    pub timeouts: Timeouts,
    /// How long connecting plus the handshake may take.
    pub connect_timeout: Duration,
    /// Capacity of the inbound channel.
    pub inbound_capacity: usize,
    /// How many outbound stanzas are kept while disconnected; beyond that they are dropped
    /// (and counted in the log).
    pub offline_buffer: usize,
    /// First reconnect delay; doubled after each failure up to `max_backoff`.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// A connection that lasted this long resets the backoff.
    pub stable_after: Duration,
}

impl LinkConfig {
    pub fn new(domain: BareJid, server: String, secret: String) -> LinkConfig {
        LinkConfig {
            domain,
            server,
            secret,
            timeouts: Timeouts {
                read_timeout: Duration::from_secs(60),
                response_timeout: Duration::from_secs(30),
            },
            connect_timeout: Duration::from_secs(20),
            inbound_capacity: 1024,
            offline_buffer: 10_000,
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            stable_after: Duration::from_secs(30),
        }
    }
}

/// The service's end of the link.
pub struct Link {
    /// What the server sent us, in order.
    pub inbound: mpsc::Receiver<Inbound>,
    /// What to write to the server, in order. Unbounded so that the engine never waits on the
    /// link while the link waits on the engine; the link writes before it reads again, and
    /// while disconnected it moves everything into its bounded buffer.
    pub outbound: mpsc::UnboundedSender<Stanza>,
    /// Ends after `outbound` is dropped and everything queued was written (or the link was
    /// down and the rest was logged as lost).
    pub task: JoinHandle<()>,
}

/// Starts the link task.
pub fn spawn(config: LinkConfig) -> Link {
    let (in_tx, in_rx) = mpsc::channel(config.inbound_capacity.max(1));
    let (out_tx, out_rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(config, in_tx, out_rx));
    Link {
        inbound: in_rx,
        outbound: out_tx,
        task,
    }
}

/// Why a connection attempt failed.
#[derive(Debug, thiserror::Error)]
enum ConnectError {
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

/// Outbound stanzas waiting for a connection, with a count of those that did not fit.
struct Backlog {
    queue: VecDeque<Stanza>,
    bound: usize,
    dropped: u64,
}

impl Backlog {
    fn push(&mut self, stanza: Stanza) {
        if self.queue.len() < self.bound {
            self.queue.push_back(stanza);
            return;
        }
        if self.dropped == 0 {
            warn!(
                bound = self.bound,
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

async fn run(
    config: LinkConfig,
    inbound: mpsc::Sender<Inbound>,
    mut outbound: mpsc::UnboundedReceiver<Stanza>,
) {
    let mut backlog = Backlog {
        queue: VecDeque::new(),
        bound: config.offline_buffer,
        dropped: 0,
    };
    let mut backoff = config.min_backoff;
    loop {
        let attempt = tokio::time::timeout(config.connect_timeout, connect(&config));
        let Some(result) = buffer_while(attempt, &mut outbound, &mut backlog).await else {
            return shutdown_offline(&mut backlog);
        };
        match result {
            Ok(Ok(stream)) => {
                info!("connected to {} as {}", config.server, config.domain);
                let started = Instant::now();
                match session(&config, stream, &inbound, &mut outbound, &mut backlog).await {
                    SessionEnd::Shutdown => return,
                    SessionEnd::Lost(reason) => {
                        warn!("lost the connection to {}: {reason}", config.server)
                    }
                }
                if started.elapsed() >= config.stable_after {
                    backoff = config.min_backoff;
                }
            }
            Ok(Err(ConnectError::Refused(reason))) => error!(
                "the server refused the component handshake for {}: {reason} — check the \
                 secret and that the server has a Component entry for this domain",
                config.domain
            ),
            Ok(Err(ConnectError::Failed(reason))) => {
                warn!("cannot connect to {}: {reason}", config.server)
            }
            Err(_) => warn!(
                "cannot connect to {}: no handshake within {:?}",
                config.server, config.connect_timeout
            ),
        }
        warn!("reconnecting in {}s", backoff.as_secs_f32());
        if buffer_while(tokio::time::sleep(backoff), &mut outbound, &mut backlog)
            .await
            .is_none()
        {
            return shutdown_offline(&mut backlog);
        }
        backoff = (backoff * 2).min(config.max_backoff);
    }
}

/// Awaits `fut` while moving outbound stanzas into the backlog; `None` when the service closed
/// the outbound channel meanwhile.
async fn buffer_while<F: Future>(
    fut: F,
    outbound: &mut mpsc::UnboundedReceiver<Stanza>,
    backlog: &mut Backlog,
) -> Option<F::Output> {
    tokio::pin!(fut);
    loop {
        tokio::select! {
            out = &mut fut => return Some(out),
            stanza = outbound.recv() => match stanza {
                Some(stanza) => backlog.push(stanza),
                None => return None,
            },
        }
    }
}

fn shutdown_offline(backlog: &mut Backlog) {
    if !backlog.queue.is_empty() {
        warn!(
            lost = backlog.queue.len(),
            "shutting down while disconnected: {} outbound stanzas were never sent",
            backlog.queue.len()
        );
    }
    backlog.report_dropped();
}

/// Connects, opens the component stream and performs the handshake.
async fn connect(config: &LinkConfig) -> Result<Stream, ConnectError> {
    let failed = |e: &dyn std::fmt::Display| ConnectError::Failed(e.to_string());
    let addr = tokio::net::lookup_host(&config.server)
        .await
        .map_err(|e| failed(&e))?
        .next()
        .ok_or_else(|| ConnectError::Failed("the name resolves to no address".into()))?;
    let connector = TcpServerConnector::from(DnsConfig::addr(&addr.to_string()));
    let jid = Jid::from(config.domain.clone());
    let (mut pending, _) = connector
        .connect(&jid, xmpp_parsers::ns::COMPONENT, config.timeouts)
        .await
        .map_err(|e| failed(&e))?;
    let header = pending.take_header();
    let mut stream: Stream = pending.skip_features();
    let Some(stream_id) = header.id else {
        return Err(ConnectError::Failed(
            "the server's stream header has no id (is this a component port?)".into(),
        ));
    };
    let handshake = Handshake::from_stream_id_and_password(stream_id.into_owned(), &config.secret);
    stream
        .send(&XmppStreamElement::ComponentHandshake(handshake))
        .await
        .map_err(|e| failed(&e))?;
    loop {
        match stream.next().await {
            Some(Ok(FallibleStreamElement::Ok(XmppStreamElement::ComponentHandshake(_)))) => {
                return Ok(stream);
            }
            Some(Ok(FallibleStreamElement::Ok(XmppStreamElement::StreamError(e)))) => {
                let e = e.0;
                let mut reason = e.condition.to_string();
                if let Some((_, text)) = e.get_best_text(vec!["en"]) {
                    reason.push_str(&format!(" ({text})"));
                }
                return Err(ConnectError::Refused(reason));
            }
            Some(Ok(other)) => {
                return Err(ConnectError::Refused(format!(
                    "unexpected reply to the handshake: {other:?}"
                )));
            }
            // The server has not answered yet; the hard timeout (or ours) ends the wait.
            Some(Err(ReadError::SoftTimeout)) => {}
            Some(Err(ReadError::ParseError(e))) => {
                return Err(ConnectError::Refused(format!(
                    "unparseable reply to the handshake: {e}"
                )));
            }
            Some(Err(ReadError::HardError(e))) if e.kind() == io::ErrorKind::TimedOut => {
                return Err(failed(&"the server did not answer the handshake"));
            }
            Some(Err(ReadError::HardError(_) | ReadError::StreamFooterReceived)) | None => {
                return Err(ConnectError::Refused(
                    "the server closed the connection".into(),
                ));
            }
        }
    }
}

/// Serves one connection until it ends.
async fn session(
    config: &LinkConfig,
    mut stream: Stream,
    inbound: &mpsc::Sender<Inbound>,
    outbound: &mut mpsc::UnboundedReceiver<Stanza>,
    backlog: &mut Backlog,
) -> SessionEnd {
    backlog.report_dropped();
    if !backlog.queue.is_empty() {
        info!(
            count = backlog.queue.len(),
            "sending stanzas buffered while disconnected"
        );
        let batch: Vec<Stanza> = backlog.queue.drain(..).collect();
        if let Err(reason) = write(&mut stream, batch).await {
            return SessionEnd::Lost(reason);
        }
    }
    let ping_to = keepalive_target(&config.domain);
    loop {
        tokio::select! {
            // Writing first keeps the unbounded outbound channel short: nothing new is read
            // (and so nothing new is produced) while answers are waiting.
            biased;
            stanza = outbound.recv() => {
                let Some(stanza) = stanza else {
                    close(&mut stream).await;
                    return SessionEnd::Shutdown;
                };
                let mut batch = vec![stanza];
                while batch.len() < 256 {
                    match outbound.try_recv() {
                        Ok(s) => batch.push(s),
                        Err(_) => break,
                    }
                }
                if let Err(reason) = write(&mut stream, batch).await {
                    return SessionEnd::Lost(reason);
                }
            }
            item = stream.next() => {
                let inbound_item = match item {
                    Some(Ok(FallibleStreamElement::Ok(XmppStreamElement::Stanza(stanza)))) => {
                        if is_keepalive_reply(&stanza) {
                            debug!("keepalive answered");
                            continue;
                        }
                        Inbound::Stanza(Box::new(stanza))
                    }
                    Some(Ok(FallibleStreamElement::Err(StreamElementError::InvalidStanza {
                        name,
                        header,
                        error,
                        ..
                    }))) => {
                        let kind = match name.to_string().as_str() {
                            "iq" => StanzaKind::Iq,
                            "message" => StanzaKind::Message,
                            _ => StanzaKind::Presence,
                        };
                        debug!(from = header.from.as_deref(), %error, "invalid {kind:?} stanza");
                        Inbound::Invalid(InvalidStanza {
                            kind,
                            from: header.from,
                            to: header.to,
                            id: header.id,
                            type_: header.type_,
                            reason: error.to_string(),
                        })
                    }
                    Some(Ok(FallibleStreamElement::Err(e @ StreamElementError::InvalidNonza { .. }))) => {
                        warn!("ignoring {e}");
                        continue;
                    }
                    Some(Ok(FallibleStreamElement::Ok(XmppStreamElement::StreamError(e)))) => {
                        return SessionEnd::Lost(format!("the server sent a stream error: {}", e.0));
                    }
                    Some(Ok(FallibleStreamElement::Ok(other))) => {
                        debug!("ignoring unexpected stream element {other:?}");
                        continue;
                    }
                    Some(Err(ReadError::SoftTimeout)) => {
                        // Make the server say something before the hard timeout declares the
                        // link dead; an error reply is as good as a result.
                        debug!(to = %ping_to, "link idle, sending a keepalive ping");
                        if let Err(reason) = write(&mut stream, vec![keepalive(config, &ping_to)]).await {
                            return SessionEnd::Lost(reason);
                        }
                        continue;
                    }
                    Some(Err(ReadError::ParseError(e))) => {
                        // Not well-formed enough to even get a header: nobody to answer.
                        warn!("ignoring an element that did not parse: {e}");
                        continue;
                    }
                    Some(Err(ReadError::HardError(e))) => return SessionEnd::Lost(e.to_string()),
                    Some(Err(ReadError::StreamFooterReceived)) | None => {
                        return SessionEnd::Lost("the server closed the stream".into());
                    }
                };
                if inbound.send(inbound_item).await.is_err() {
                    close(&mut stream).await;
                    return SessionEnd::Shutdown;
                }
            }
        }
    }
}

/// Writes a batch and flushes it once.
async fn write(stream: &mut Stream, batch: Vec<Stanza>) -> Result<(), String> {
    let count = batch.len();
    let mut result = Ok(());
    for stanza in batch {
        result = stream.feed(&XmppStreamElement::Stanza(stanza)).await;
        if result.is_err() {
            break;
        }
    }
    if result.is_ok() {
        result = SinkExt::<&XmppStreamElement>::flush(stream).await;
    }
    result.map_err(|e| {
        // TCP cannot tell what the server got; say how much is in doubt rather than nothing.
        warn!("write failed; up to {count} outbound stanzas may not have reached the server");
        e.to_string()
    })
}

/// Sends the stream footer, waiting briefly for the server to close its side.
async fn close(stream: &mut Stream) {
    let closing = async {
        SinkExt::<&XmppStreamElement>::close(stream).await?;
        Ok::<_, io::Error>(())
    };
    match tokio::time::timeout(Duration::from_secs(2), closing).await {
        Ok(Ok(())) => info!("link closed"),
        Ok(Err(e)) => debug!("closing the link: {e}"),
        Err(_) => debug!("the server did not close the stream in time"),
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

fn keepalive(config: &LinkConfig, to: &Jid) -> Stanza {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let id = format!("{KEEPALIVE_ID}{}", NEXT.fetch_add(1, Ordering::Relaxed));
    Stanza::Iq(
        Iq::from_get(id, Ping)
            .with_from(Jid::from(config.domain.clone()))
            .with_to(to.clone()),
    )
}

fn is_keepalive_reply(stanza: &Stanza) -> bool {
    match stanza {
        Stanza::Iq(iq @ (Iq::Result { .. } | Iq::Error { .. })) => {
            iq.id().starts_with(KEEPALIVE_ID)
        }
        _ => false,
    }
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
        let Stanza::Iq(iq) = &ping else {
            panic!("not an iq: {ping:?}")
        };
        assert!(!is_keepalive_reply(&ping), "a request is not a reply");
        let reply = Stanza::Iq(Iq::empty_result(
            "conference.localhost".parse().expect("jid"),
            iq.id().to_owned(),
        ));
        assert!(is_keepalive_reply(&reply));
        let other = Stanza::Iq(Iq::empty_result(
            "conference.localhost".parse().expect("jid"),
            "purple1",
        ));
        assert!(!is_keepalive_reply(&other));
    }

    #[test]
    fn backlog_is_bounded_and_counts_drops() {
        let mut b = Backlog {
            queue: VecDeque::new(),
            bound: 2,
            dropped: 0,
        };
        for i in 0..5 {
            let to: Jid = format!("u{i}@localhost").parse().expect("jid");
            b.push(Stanza::Message(xmpp_parsers::message::Message::new(Some(
                to,
            ))));
        }
        assert_eq!(b.queue.len(), 2);
        assert_eq!(b.dropped, 3);
        b.report_dropped();
        assert_eq!(b.dropped, 0);
    }
}
