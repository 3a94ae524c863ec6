//! The outbound half: stanzas become bytes once, in the service loop, and wait for the link in
//! a queue bounded in bytes.
//!
//! The bound is a semaphore of byte permits: [`Outbound::send`] waits while the queue is full,
//! which holds the engine back (backpressure) instead of growing memory without end. The link
//! writes recipients' stanzas in turn ([`FairQueue`]), each recipient's in order, so a reply to
//! one user is not stuck behind a broadcast storm to a thousand others.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

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

/// The service's end of the outbound queue.
#[derive(Clone)]
pub struct Outbound {
    tx: mpsc::UnboundedSender<Wire>,
    budget: Arc<Semaphore>,
    /// No stanza larger than this is ever written (the server would end the stream).
    max_stanza_bytes: usize,
}

/// The link's end.
pub struct OutboundReceiver {
    pub rx: mpsc::UnboundedReceiver<Wire>,
}

/// A queue that holds at most `budget_bytes` of stanzas and refuses to write any stanza over
/// `max_stanza_bytes`.
pub fn channel(budget_bytes: usize, max_stanza_bytes: usize) -> (Outbound, OutboundReceiver) {
    let (tx, rx) = mpsc::unbounded_channel();
    let budget_bytes = budget_bytes.clamp(max_stanza_bytes, Semaphore::MAX_PERMITS);
    (
        Outbound {
            tx,
            budget: Arc::new(Semaphore::new(budget_bytes)),
            max_stanza_bytes,
        },
        OutboundReceiver { rx },
    )
}

impl Outbound {
    /// Serialises `stanza` and queues it, waiting while the queue is full.
    pub async fn send(&self, stanza: Stanza) -> Result<(), Closed> {
        let Some((to, bytes)) = serialise(stanza, self.max_stanza_bytes) else {
            return Ok(());
        };
        let permits = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        let permit = self
            .budget
            .clone()
            .acquire_many_owned(permits)
            .await
            .map_err(|_| Closed)?;
        self.tx
            .send(Wire {
                to,
                bytes,
                _permit: Some(permit),
            })
            .map_err(|_| Closed)
    }

    /// Bytes that may still be queued before `send` waits.
    pub fn available(&self) -> usize {
        self.budget.available_permits()
    }

    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
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
