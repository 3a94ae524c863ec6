//! The outbound half: stanzas become bytes once, in the service loop, and wait for the link in
//! a queue bounded in bytes.
//!
//! The bound is a semaphore of byte permits: [`Outbound::send`] waits while the queue is full,
//! which holds the engine back (backpressure) instead of growing memory without end. The link
//! writes recipients' stanzas in turn ([`FairQueue`]), each recipient's in order, so a reply to
//! one user is not stuck behind a broadcast storm to a thousand others.

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tracing::warn;
use xmpp_parsers::iq::Iq;
use xmpp_parsers::minidom::Element;
use xmpp_parsers::stanza::Stanza;
use xmpp_parsers::stanza_error::{DefinedCondition, ErrorType};

/// One serialised stanza on its way out.
#[derive(Debug)]
pub struct Wire {
    /// The recipient (the `to` attribute), which keys the fair queue.
    pub to: String,
    pub bytes: Vec<u8>,
    /// Returns this stanza's bytes to the budget once it is written or dropped.
    _permit: Option<OwnedSemaphorePermit>,
}

impl Wire {
    /// A stanza the link writes on its own account (keepalives), outside the budget.
    pub fn unbudgeted(to: String, bytes: Vec<u8>) -> Wire {
        Wire {
            to,
            bytes,
            _permit: None,
        }
    }
}

/// The link task is gone.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the link is gone")]
pub struct Closed;

/// One link's queue: its channel, its byte budget, and whether the link still serves.
struct Lane {
    tx: mpsc::UnboundedSender<Wire>,
    budget: Arc<Semaphore>,
    alive: Arc<AtomicBool>,
}

/// The service's end of the outbound queues, one per link. A stanza goes to the link chosen by
/// a hash of its recipient's bare JID, so each recipient's stanzas stay in order on one link.
#[derive(Clone)]
pub struct Outbound {
    lanes: Arc<Vec<Lane>>,
    /// No stanza larger than this is ever written (the server would end the stream).
    max_stanza_bytes: usize,
}

/// A link's end of its queue, and the flag it clears when it gives up for good (a server that
/// takes one connection per component refused this extra one).
pub struct OutboundReceiver {
    pub rx: mpsc::UnboundedReceiver<Wire>,
    pub alive: Arc<AtomicBool>,
}

impl OutboundReceiver {
    /// No more stanzas are sent to this link.
    pub fn retire(&self) {
        self.alive.store(false, Ordering::Relaxed);
    }
}

/// A queue that holds at most `budget_bytes` of stanzas and refuses to write any stanza over
/// `max_stanza_bytes`.
pub fn channel(budget_bytes: usize, max_stanza_bytes: usize) -> (Outbound, OutboundReceiver) {
    let (out, mut receivers) = lanes(1, budget_bytes, max_stanza_bytes);
    let receiver = receivers.remove(0);
    (out, receiver)
}

/// `n` queues, each holding at most `budget_bytes`.
pub fn lanes(
    n: usize,
    budget_bytes: usize,
    max_stanza_bytes: usize,
) -> (Outbound, Vec<OutboundReceiver>) {
    let budget_bytes = budget_bytes.clamp(max_stanza_bytes, Semaphore::MAX_PERMITS);
    let mut lanes = Vec::new();
    let mut receivers = Vec::new();
    for _ in 0..n.max(1) {
        let (tx, rx) = mpsc::unbounded_channel();
        let alive = Arc::new(AtomicBool::new(true));
        lanes.push(Lane {
            tx,
            budget: Arc::new(Semaphore::new(budget_bytes)),
            alive: alive.clone(),
        });
        receivers.push(OutboundReceiver { rx, alive });
    }
    (
        Outbound {
            lanes: Arc::new(lanes),
            max_stanza_bytes,
        },
        receivers,
    )
}

/// The lane for `to` among the live ones (the first lane when none is left: it keeps retrying).
fn lane_for(lanes: &[Lane], to: &str) -> usize {
    let live: Vec<usize> = (0..lanes.len())
        .filter(|&i| lanes[i].alive.load(Ordering::Relaxed))
        .collect();
    if live.len() <= 1 {
        return live.first().copied().unwrap_or(0);
    }
    let bare = to.split('/').next().unwrap_or(to);
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bare.hash(&mut hasher);
    live[(hasher.finish() % live.len() as u64) as usize]
}

impl Outbound {
    /// Serialises `stanza` and queues it, waiting while its link's queue is full.
    pub async fn send(&self, stanza: Stanza) -> Result<(), Closed> {
        let Some((to, bytes)) = serialise(stanza, self.max_stanza_bytes) else {
            return Ok(());
        };
        let permits = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        let mut wire = Wire {
            to,
            bytes,
            _permit: None,
        };
        // A link that retires while we wait hands the stanza to the next live one.
        for _ in 0..=self.lanes.len() {
            let lane = &self.lanes[lane_for(&self.lanes, &wire.to)];
            let permit = lane
                .budget
                .clone()
                .acquire_many_owned(permits)
                .await
                .map_err(|_| Closed)?;
            wire._permit = Some(permit);
            match lane.tx.send(wire) {
                Ok(()) => return Ok(()),
                Err(mpsc::error::SendError(back)) => wire = back,
            }
        }
        Err(Closed)
    }

    /// Bytes that may still be queued on the first link before `send` waits.
    pub fn available(&self) -> usize {
        self.lanes[0].budget.available_permits()
    }
}

/// The stanza as bytes, with its recipient. A stanza over `max` is not sent: an IQ answer is
/// replaced by a `resource-constraint` error (so the asker is not left waiting), anything else
/// is dropped with a warning.
pub fn serialise(stanza: Stanza, max: usize) -> Option<(String, Vec<u8>)> {
    let replacement = match &stanza {
        Stanza::Iq(
            Iq::Result {
                from: Some(from),
                to,
                id,
                ..
            }
            | Iq::Error {
                from: Some(from),
                to,
                id,
                ..
            },
        ) => Some(Stanza::Iq(Iq::Error {
            from: Some(from.clone()),
            to: to.clone(),
            id: id.clone(),
            error: crate::stanza::error(
                ErrorType::Wait,
                DefinedCondition::ResourceConstraint,
                from,
                Some("The answer is too large to send."),
            ),
            payload: None,
        })),
        _ => None,
    };
    let (to, bytes) = to_bytes(stanza)?;
    if bytes.len() <= max {
        return Some((to, bytes));
    }
    warn!(
        to = %to,
        bytes = bytes.len(),
        max,
        "an outbound stanza is larger than the limit; not sent"
    );
    let (to, bytes) = to_bytes(replacement?)?;
    (bytes.len() <= max).then_some((to, bytes))
}

fn to_bytes(stanza: Stanza) -> Option<(String, Vec<u8>)> {
    let element = Element::from(stanza);
    let to = element.attr("to").unwrap_or_default().to_owned();
    let mut bytes = Vec::with_capacity(256);
    match element.write_to(&mut bytes) {
        Ok(()) => Some((to, bytes)),
        Err(e) => {
            warn!(to = %to, "an outbound stanza could not be serialised: {e}");
            None
        }
    }
}

/// Queued stanzas by recipient, served in turn: one stanza per recipient per round, each
/// recipient's in order.
#[derive(Default)]
pub struct FairQueue {
    queues: HashMap<String, VecDeque<Wire>>,
    ring: VecDeque<String>,
    len: usize,
}

impl FairQueue {
    pub fn push(&mut self, wire: Wire) {
        let queue = self.queues.entry(wire.to.clone()).or_default();
        if queue.is_empty() {
            self.ring.push_back(wire.to.clone());
        }
        queue.push_back(wire);
        self.len += 1;
    }

    pub fn pop(&mut self) -> Option<Wire> {
        let to = self.ring.pop_front()?;
        let queue = self.queues.get_mut(&to)?;
        let wire = queue.pop_front();
        if queue.is_empty() {
            self.queues.remove(&to);
        } else {
            self.ring.push_back(to);
        }
        if wire.is_some() {
            self.len -= 1;
        }
        wire
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Frees what the queue holds after a burst (the maps keep their capacity otherwise).
    pub fn shrink(&mut self) {
        if self.len == 0 {
            self.queues = HashMap::new();
            self.ring = VecDeque::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xmpp_parsers::message::Message;

    fn message(to: &str, body: &str) -> Stanza {
        let mut m = Message::new(Some(to.parse().expect("jid")));
        m.bodies
            .insert(xmpp_parsers::message::Lang(String::new()), body.to_owned());
        Stanza::Message(m)
    }

    fn wire(to: &str, n: u8) -> Wire {
        Wire::unbudgeted(to.to_owned(), vec![n])
    }

    #[test]
    fn recipients_take_turns_and_keep_their_order() {
        let mut q = FairQueue::default();
        for n in 0..3 {
            q.push(wire("storm@x", n));
        }
        q.push(wire("asker@x", 10));
        let order: Vec<(String, u8)> = std::iter::from_fn(|| q.pop())
            .map(|w| (w.to, w.bytes[0]))
            .collect();
        assert_eq!(
            order,
            [
                ("storm@x".into(), 0),
                ("asker@x".into(), 10),
                ("storm@x".into(), 1),
                ("storm@x".into(), 2)
            ]
        );
        assert!(q.is_empty());
    }

    #[test]
    fn oversized_stanzas_are_not_written() {
        let small = serialise(message("a@x", "hi"), 1000).expect("fits");
        assert_eq!(small.0, "a@x");
        assert!(
            String::from_utf8(small.1)
                .expect("utf8")
                .contains("<body>hi</body>")
        );
        assert!(serialise(message("a@x", &"y".repeat(2000)), 1000).is_none());
        // An IQ answer that does not fit becomes an error the asker can read.
        let big = Stanza::Iq(Iq::Result {
            from: Some("muc.x".parse().expect("jid")),
            to: Some("a@x/r".parse().expect("jid")),
            id: "q1".into(),
            payload: Some(
                Element::builder("query", "urn:x")
                    .append("z".repeat(2000))
                    .build(),
            ),
        });
        let (to, bytes) = serialise(big, 1000).expect("replaced");
        let text = String::from_utf8(bytes).expect("utf8");
        assert_eq!(to, "a@x/r");
        assert!(
            text.contains("type=\"error\"") || text.contains("type='error'"),
            "{text}"
        );
        assert!(text.contains("resource-constraint"), "{text}");
        assert!(text.contains("q1"), "{text}");
    }

    #[tokio::test]
    async fn recipients_are_spread_over_the_links_and_keep_to_one() {
        let (out, mut receivers) = lanes(3, 1 << 20, 1 << 16);
        let users: Vec<String> = (0..30).map(|i| format!("u{i}@x")).collect();
        for round in 0..2 {
            for u in &users {
                out.send(message(&format!("{u}/r{round}"), "hi"))
                    .await
                    .expect("open");
            }
        }
        let mut seen: Vec<Vec<String>> = Vec::new();
        for r in receivers.iter_mut() {
            let mut got = Vec::new();
            while let Ok(w) = r.rx.try_recv() {
                got.push(w.to.split('/').next().unwrap_or_default().to_owned());
            }
            seen.push(got);
        }
        assert!(
            seen.iter().all(|s| !s.is_empty()),
            "every link gets some: {seen:?}"
        );
        for u in &users {
            let links = seen.iter().filter(|s| s.contains(u)).count();
            assert_eq!(links, 1, "{u} is always on one link");
        }
        // A retired link gets nothing more; its recipients move to the others.
        receivers[1].retire();
        for u in &users {
            out.send(message(u, "again")).await.expect("open");
        }
        assert!(receivers[1].rx.try_recv().is_err());
        let moved = receivers[0].rx.try_recv().is_ok() || receivers[2].rx.try_recv().is_ok();
        assert!(moved);
    }

    #[tokio::test]
    async fn a_full_queue_holds_the_sender_back() {
        use futures::FutureExt;
        let (out, mut rx) = channel(300, 300);
        out.send(message("a@x", &"y".repeat(150)))
            .await
            .expect("open");
        // The second does not fit until the first is written.
        let mut second = Box::pin(out.send(message("b@x", &"y".repeat(150))));
        assert!((&mut second).now_or_never().is_none(), "the queue is full");
        let first = rx.rx.recv().await.expect("queued");
        assert_eq!(first.to, "a@x");
        drop(first);
        second.await.expect("open");
        assert_eq!(rx.rx.recv().await.expect("queued").to, "b@x");
    }
}
