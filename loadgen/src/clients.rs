//! K logged-in clients: one reader task each that classifies what arrives into shared
//! counters, and their writers, driven by the scenario in turn.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::Notify;

use crate::xmpp::{self, Reader};

/// The clock every body's timestamp is read against.
static EPOCH: OnceLock<Instant> = OnceLock::new();

pub fn now_ns() -> u64 {
    EPOCH.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// What all readers have seen, counted as it arrives.
#[derive(Default)]
pub struct Counters {
    /// Load messages (body `lg SENDER TIME`) received by anyone but their sender.
    pub delivered: AtomicU64,
    /// Load messages received back by their sender.
    pub echoes: AtomicU64,
    /// Self-presences (status 110) that are not `unavailable`: joins done.
    pub joined: AtomicU64,
    /// Self-presences of type `unavailable`: leaves done.
    pub left: AtomicU64,
    pub iq_results: AtomicU64,
    pub errors: AtomicU64,
    pub last_error: Mutex<String>,
    /// Readers that ended (a closed or broken connection).
    pub dead: AtomicU64,
    pub last_death: Mutex<String>,
    /// While set, senders record their echoes' round trips here (nanoseconds).
    pub record_rtt: AtomicBool,
    pub rtts: Mutex<Vec<u64>>,
    /// Woken on every delivered load message (the pipelining sender waits on it).
    pub progress: Notify,
}

impl Counters {
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Fails when a reader died or an error arrived since `errors_before`.
    pub fn check(&self, errors_before: u64, what: &str) -> Result<(), String> {
        if Counters::get(&self.dead) > 0 {
            let why = self
                .last_death
                .lock()
                .map(|s| s.clone())
                .unwrap_or_default();
            return Err(format!("{what}: a client's connection ended: {why}"));
        }
        if Counters::get(&self.errors) > errors_before {
            let last = self
                .last_error
                .lock()
                .map(|s| s.clone())
                .unwrap_or_default();
            return Err(format!("{what}: the server answered with an error: {last}"));
        }
        Ok(())
    }

    /// Waits until `counter` reaches `target`, failing on an error, a dead client or `timeout`.
    pub async fn wait(
        &self,
        counter: &AtomicU64,
        target: u64,
        errors_before: u64,
        timeout: Duration,
        what: &str,
    ) -> Result<(), String> {
        let until = Instant::now() + timeout;
        loop {
            self.check(errors_before, what)?;
            let have = Counters::get(counter);
            if have >= target {
                return Ok(());
            }
            if Instant::now() > until {
                return Err(format!(
                    "{what}: {have} of {target} after {timeout:?} (the servers are too slow or a \
                     stanza was lost)"
                ));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

fn classify(me: usize, stanza: &[u8], c: &Counters) {
    let kind = xmpp::attr(stanza, "type");
    if kind == Some(b"error") {
        c.errors.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut last) = c.last_error.lock() {
            *last = String::from_utf8_lossy(stanza).chars().take(600).collect();
        }
        return;
    }
    match xmpp::name(stanza) {
        b"message" if kind == Some(b"groupchat") => {
            let Some(body) = xmpp::body(stanza) else {
                return;
            };
            let Some(rest) = body.strip_prefix(b"lg ") else {
                return;
            };
            // Room history repeats old messages: those are not deliveries.
            if xmpp::contains(stanza, b"urn:xmpp:delay") {
                return;
            }
            let mut fields = rest.split(|&b| b == b' ');
            let parse =
                |f: Option<&[u8]>| -> Option<u64> { std::str::from_utf8(f?).ok()?.parse().ok() };
            let (Some(sender), Some(sent)) = (parse(fields.next()), parse(fields.next())) else {
                return;
            };
            if sender == me as u64 {
                c.echoes.fetch_add(1, Ordering::Relaxed);
                if c.record_rtt.load(Ordering::Relaxed)
                    && let Ok(mut rtts) = c.rtts.lock()
                {
                    rtts.push(now_ns().saturating_sub(sent));
                }
            } else {
                c.delivered.fetch_add(1, Ordering::Relaxed);
                c.progress.notify_one();
            }
        }
        b"presence" if xmpp::has_status(stanza, "110") => {
            if kind == Some(b"unavailable") {
                c.left.fetch_add(1, Ordering::Relaxed);
            } else {
                c.joined.fetch_add(1, Ordering::Relaxed);
            }
        }
        b"iq" if kind == Some(b"result") => {
            c.iq_results.fetch_add(1, Ordering::Relaxed);
        }
        _ => {}
    }
}

async fn read_loop(me: usize, mut reader: Reader, counters: Arc<Counters>) {
    let why = loop {
        loop {
            match reader.split.next() {
                Ok(Some(r)) => classify(me, &reader.split.buf[r], &counters),
                Ok(None) => break,
                Err(e) => {
                    if let Ok(mut last) = counters.last_death.lock() {
                        *last = format!("client {me}: {e}");
                    }
                    counters.dead.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
        }
        if let Err(e) = reader.fill().await {
            break e;
        }
    };
    if let Ok(mut last) = counters.last_death.lock() {
        *last = format!("client {me}: {why}");
    }
    counters.dead.fetch_add(1, Ordering::Relaxed);
}

/// The clients; client `i` is nick `u{i}` in every room.
pub struct Pool {
    pub writers: Vec<BufWriter<OwnedWriteHalf>>,
    /// The JIDs the server bound, by client.
    pub jids: Vec<String>,
    pub counters: Arc<Counters>,
}

impl Pool {
    /// Logs in `k` clients, 50 at a time.
    pub async fn login(port: u16, host: &str, k: usize) -> Result<Pool, String> {
        let counters = Arc::new(Counters::default());
        let mut writers = Vec::with_capacity(k);
        let mut jids = Vec::with_capacity(k);
        let mut next = 0;
        while next < k {
            let batch: Vec<_> = (next..k.min(next + 50))
                .map(|i| tokio::spawn(xmpp::login(port, host.to_owned(), format!("lg{i}"))))
                .collect();
            for (i, task) in (next..).zip(batch) {
                let session = task
                    .await
                    .map_err(|e| format!("login task: {e}"))?
                    .map_err(|e| format!("client {i}: {e}"))?;
                tokio::spawn(read_loop(i, session.reader, counters.clone()));
                writers.push(session.writer);
                jids.push(session.jid);
            }
            next = writers.len();
        }
        Ok(Pool {
            writers,
            jids,
            counters,
        })
    }

    pub async fn send(&mut self, i: usize, xml: &str) -> Result<(), String> {
        let w = self
            .writers
            .get_mut(i)
            .ok_or_else(|| format!("no client {i}"))?;
        w.write_all(xml.as_bytes())
            .await
            .map_err(|e| format!("client {i}: write: {e}"))?;
        w.flush()
            .await
            .map_err(|e| format!("client {i}: write: {e}"))
    }

    /// Sends `items` (client, stanza) in order with at most `window` of them unanswered, an
    /// answer being one more on `counter`; returns when all are answered.
    pub async fn windowed(
        &mut self,
        items: &[(usize, String)],
        counter: fn(&Counters) -> &AtomicU64,
        window: u64,
        what: &str,
    ) -> Result<(), String> {
        let c = self.counters.clone();
        let base = Counters::get(counter(&c));
        let errors = Counters::get(&c.errors);
        for (k, (i, xml)) in items.iter().enumerate() {
            loop {
                let answered = Counters::get(counter(&c)).saturating_sub(base);
                if (k as u64).saturating_sub(answered) < window {
                    break;
                }
                c.check(errors, what)?;
                tokio::time::sleep(Duration::from_micros(500)).await;
            }
            self.send(*i, xml).await?;
        }
        c.wait(
            counter(&c),
            base + items.len() as u64,
            errors,
            Duration::from_secs(120),
            what,
        )
        .await
    }
}
