//! The service loop: one task owns the [`Engine`] (so the world needs no locks) and ticks it
//! whenever stanzas arrive or a timer is due.

use std::time::{Duration, SystemTime};

use tokio::sync::mpsc;
use tracing::{debug, debug_span, info, warn};
use xmpp_parsers::stanza::Stanza;

use crate::engine::Engine;
use crate::link::{self, LinkConfig, Outbound};
use crate::stanza::Inbound;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the link to the server stopped unexpectedly")]
    LinkStopped,
    #[error("cannot listen for shutdown signals: {0}")]
    Signal(std::io::Error),
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
}

/// The service's side of the store task: tickets out, commits back.
pub struct StoreLink {
    pub handle: crate::store::StoreHandle,
    pub committed: mpsc::UnboundedReceiver<crate::store::Committed>,
    /// Cluster mode: the rooms this instance holds, claimed as their stanzas come.
    pub cluster: Option<crate::cluster::Cluster>,
}

/// Runs the service until ctrl-c or SIGTERM.
pub async fn run(config: crate::config::Config) -> Result<(), Error> {
    let settings = config.settings;
    let mut link_config = LinkConfig::new(settings.domain.clone(), config.server, config.secret);
    link_config.limits = config.stanza_limits;
    link_config.max_stanza_bytes = config.max_outbound_stanza_bytes;
    link_config.connections = config.connections;
    info!(
        domain = %settings.domain,
        server = %link_config.server,
        "starting palaver {}",
        env!("CARGO_PKG_VERSION")
    );
    let (games, mistakes) = crate::game::load_dir(&config.rules_dir, &config.assets_dir);
    for mistake in &mistakes {
        warn!("game refused: {mistake}");
    }
    info!(
        games = games.len(),
        dir = %config.rules_dir.display(),
        "games loaded: {}",
        games.iter().map(|g| g.id()).collect::<Vec<_>>().join(", ")
    );
    // Every persistent room is in the World before the component connects; in cluster mode
    // rooms are loaded as their stanzas come, by the instance the server sends them to.
    let mut store = crate::store::Store::open(&config.db).await?;
    if let Some(id) = &config.instance {
        store = store.with_instance(id);
        info!(instance = %id, "cluster mode: rooms are claimed as their stanzas come");
    }
    let stored = if config.instance.is_some() {
        Vec::new()
    } else {
        store.load_all().await?
    };
    let played = store
        .load_games(&settings.domain.to_string(), crate::play::records::RECENT)
        .await?;
    let key = store.service_key().await?;
    let mut engine = Engine::new(settings);
    // Occupant-ids and stanza-ids stay the same across restarts.
    engine
        .world_mut()
        .insert_resource(crate::muc::occupant_id::ServiceKey(key));
    engine
        .world_mut()
        .resource_mut::<crate::muc::limits::Limits>()
        .0 = config.allowances;
    crate::play::install(&mut engine, games);
    crate::play::restore_games(&mut engine, played);
    // Where the games are reloaded from (ad-hoc command, SIGHUP).
    engine.world_mut().insert_resource(crate::adhoc::RulesDirs {
        rules: config.rules_dir.clone(),
        assets: config.assets_dir.clone(),
    });
    let rooms = crate::store::capture::restore(&mut engine, stored, chrono::Utc::now());
    info!(rooms, db = %config.db, "persistent rooms loaded");
    let connections = link_config.connections;
    let link = link::spawn(link_config);
    let cluster = match &config.instance {
        Some(_) => {
            let mut cluster = crate::cluster::Cluster::new(store.clone())
                .with_links(connections, link.spare.clone());
            cluster.prepare(&mut engine).await?;
            Some(cluster)
        }
        None => None,
    };
    let (handle, committed, store_task) = crate::store::spawn(store);
    let store_link = StoreLink {
        handle,
        committed,
        cluster,
    };
    let result = serve(
        engine,
        Inputs {
            inbound: link.inbound,
            link_up: link.up,
        },
        &link.outbound,
        shutdown_signal(),
        Some(store_link),
    )
    .await;
    // The store task ends once it has committed what was queued.
    match tokio::time::timeout(Duration::from_secs(10), store_task).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => warn!("the store task failed: {e}"),
        Err(_) => warn!("the store did not finish within 10s"),
    }
    // Closing the outbound channel lets the link write what is queued and close the stream.
    drop(link.outbound);
    drop(link.spare);
    match tokio::time::timeout(Duration::from_secs(5), link.task).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => warn!("the link task failed: {e}"),
        Err(_) => warn!("the link did not finish writing within 5s"),
    }
    result
}

/// Stanzas held until the store commits the tick that produced them, in order.
#[derive(Default)]
struct Held {
    queue: std::collections::VecDeque<(u64, Vec<Stanza>)>,
    next_ticket: u64,
    committed: u64,
}

impl Held {
    async fn release(&mut self, outbound: &Outbound) -> Result<(), Error> {
        while self
            .queue
            .front()
            .is_some_and(|(ticket, _)| *ticket <= self.committed)
        {
            if let Some((_, stanzas)) = self.queue.pop_front() {
                for stanza in stanzas {
                    outbound
                        .send(stanza)
                        .await
                        .map_err(|_| Error::LinkStopped)?;
                }
            }
        }
        Ok(())
    }
}

/// What the link hands the loop: stanzas, and a tick each time a connection comes up.
pub struct Inputs {
    pub inbound: mpsc::Receiver<Inbound>,
    pub link_up: mpsc::UnboundedReceiver<()>,
}

/// The loop proper, separate from the link so that it can be driven without a server.
pub async fn serve(
    mut engine: Engine,
    inputs: Inputs,
    outbound: &Outbound,
    shutdown: impl Future<Output = Result<&'static str, Error>>,
    mut store: Option<StoreLink>,
) -> Result<(), Error> {
    tokio::pin!(shutdown);
    let Inputs {
        mut inbound,
        mut link_up,
    } = inputs;
    let mut held = Held::default();
    let mut cluster_events = store
        .as_mut()
        .and_then(|s| s.cluster.as_mut())
        .and_then(|c| c.events());
    let mut poll = tokio::time::interval(crate::cluster::POLL_EVERY);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // A first tick arms the timers of restored rooms (game clocks) before any stanza arrives.
    tick(&mut engine, outbound, &mut held, store.as_ref()).await?;
    let mut hangup = hangup_signal();
    let mut trim = tokio::time::interval(TRIM_EVERY);
    trim.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut busy = false;
    loop {
        let deadline = engine.next_deadline();
        let sleep = sleep_until(deadline);
        tokio::select! {
            Some(()) = link_up.recv() => {
                engine.link_up();
                tick(&mut engine, outbound, &mut held, store.as_ref()).await?;
            }
            Some(()) = async {
                match hangup.as_mut() {
                    Some(h) => h.recv().await,
                    None => std::future::pending().await,
                }
            } => {
                info!("SIGHUP: reloading the games");
                crate::adhoc::reload_rules(&mut engine);
            }
            Some(event) = async {
                match cluster_events.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            } => {
                if let Some(cluster) = store.as_mut().and_then(|s| s.cluster.as_mut()) {
                    cluster.on_event(&mut engine, event);
                }
                tick(&mut engine, outbound, &mut held, store.as_ref()).await?;
            }
            _ = poll.tick(), if cluster_events.is_some() => {
                if let Some(cluster) = store.as_mut().and_then(|s| s.cluster.as_mut()) {
                    cluster.poll(&mut engine);
                }
            }
            _ = trim.tick() => {
                if std::mem::take(&mut busy) {
                    give_back_memory();
                }
            }
            signal = &mut shutdown => {
                info!("{}, shutting down", signal?);
                let farewells = engine.shutdown(SystemTime::now());
                if let Some(mut link) = store.take() {
                    // Every occupant was told the service stops (332): none is to be asked
                    // about after the restart.
                    held.next_ticket += 1;
                    link.handle.submit(crate::store::Batch {
                        changes: vec![crate::store::Change::ClearOccupants],
                        ticket: held.next_ticket,
                        ..Default::default()
                    });
                    // Let the store commit what it holds, then release what waited on it.
                    drop(link.handle);
                    while let Some(c) = link.committed.recv().await {
                        held.committed = held.committed.max(c.ticket);
                    }
                    held.committed = u64::MAX;
                    let _ = held.release(outbound).await;
                    if let Some(cluster) = &link.cluster {
                        cluster.release_all().await;
                    }
                }
                for stanza in farewells {
                    // The link may be gone already; farewells are best effort.
                    let _ = outbound.send(stanza).await;
                }
                return Ok(());
            }
            Some(c) = async {
                match store.as_mut() {
                    Some(link) => link.committed.recv().await,
                    None => std::future::pending().await,
                }
            } => {
                let lost = committed(&mut held, c);
                if !lost.is_empty() {
                    drop_lost(&mut engine, store.as_mut(), &lost);
                    tick(&mut engine, outbound, &mut held, store.as_ref()).await?;
                }
                held.release(outbound).await?;
            }
            first = inbound.recv() => {
                let Some(first) = first else {
                    return Err(Error::LinkStopped);
                };
                busy = true;
                take_in(&mut engine, store.as_mut(), first, SystemTime::now());
                settle_if_late(&engine).await;
                drain(&mut engine, &mut inbound, store.as_mut());
                // A tick takes at most max_batch stanzas. Between ticks, what arrived meanwhile
                // joins its sender's queue (so a flood in the channel does not stand in front of
                // everyone else) and commits are taken in; after a few ticks the loop comes back
                // here so that shutdown is heard.
                for _ in 0..TICKS_PER_TURN {
                    if engine.pending() == 0 {
                        break;
                    }
                    tick(&mut engine, outbound, &mut held, store.as_ref()).await?;
                    drain(&mut engine, &mut inbound, store.as_mut());
                    if let Some(link) = store.as_mut() {
                        let mut lost = Vec::new();
                        while let Ok(c) = link.committed.try_recv() {
                            lost.extend(committed(&mut held, c));
                        }
                        if !lost.is_empty() {
                            drop_lost(&mut engine, Some(link), &lost);
                        }
                        held.release(outbound).await?;
                    }
                }
            }
            () = sleep, if deadline.is_some() => {
                settle_if_late(&engine).await;
                drain(&mut engine, &mut inbound, store.as_mut());
                tick(&mut engine, outbound, &mut held, store.as_ref()).await?;
            }
        }
    }
}

/// Gives memory freed since the last call back to the system. glibc's allocator keeps what a
/// burst (a flood, a mass disconnect) used; without this the process stays at its peak.
fn give_back_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; 0 keeps no padding.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// How often memory is given back after the service was busy.
const TRIM_EVERY: Duration = Duration::from_secs(10);

/// Ticks run back to back before the loop listens for shutdown again.
const TICKS_PER_TURN: usize = 8;
/// The most stanzas moved from the link's channel into the engine's queues between two ticks.
const DRAIN_MAX: usize = 4096;

/// Moves what the link has read into the engine's per-sender queues.
fn drain(
    engine: &mut Engine,
    inbound: &mut mpsc::Receiver<Inbound>,
    mut store: Option<&mut StoreLink>,
) {
    let now = SystemTime::now();
    for _ in 0..DRAIN_MAX {
        match inbound.try_recv() {
            Ok(more) => take_in(engine, store.as_deref_mut(), more, now),
            Err(_) => break,
        }
    }
}

/// One inbound stanza into the engine; in cluster mode one for a room not held here first
/// waits for the room's claim.
fn take_in(engine: &mut Engine, store: Option<&mut StoreLink>, inbound: Inbound, now: SystemTime) {
    match store.and_then(|s| s.cluster.as_mut()) {
        Some(cluster) => cluster.take_in(engine, inbound, now),
        None => engine.push(inbound, now),
    }
}

/// Rooms whose writes were refused because another instance claimed them are dropped here.
fn drop_lost(engine: &mut Engine, store: Option<&mut StoreLink>, lost: &[(String, i64)]) {
    if let Some(cluster) = store.and_then(|s| s.cluster.as_mut()) {
        cluster.lost(engine, lost);
    }
}

/// When a timer is due long past its time, the service was stopped or starved: give the link a
/// moment to read what waits in the socket, since that arrived before the deadline too.
async fn settle_if_late(engine: &Engine) {
    let Some(deadline) = engine.next_deadline() else {
        return;
    };
    let late = SystemTime::now()
        .duration_since(deadline)
        .unwrap_or(Duration::ZERO);
    if late > Duration::from_millis(500) {
        debug!(
            late_ms = late.as_millis() as u64,
            "a timer is late; reading queued input first"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Takes a commit report in; returns the rooms it says another instance holds now, after
/// taking out of the held stanzas what those rooms said: their changes were not stored.
fn committed(held: &mut Held, c: crate::store::Committed) -> Vec<(String, i64)> {
    if !c.ok {
        warn!(
            ticket = c.ticket,
            "a store commit failed; its stanzas go out anyway"
        );
    }
    held.committed = held.committed.max(c.ticket);
    if !c.lost.is_empty() {
        for (_, stanzas) in held.queue.iter_mut().filter(|(t, _)| *t <= c.ticket) {
            stanzas.retain(|stanza| {
                let (from, _) = crate::stanza::stanza_addresses(stanza);
                let room = from.as_deref().map(|f| f.split('/').next().unwrap_or(f));
                !c.lost.iter().any(|(lost, _)| Some(lost.as_str()) == room)
            });
        }
    }
    c.lost
}

/// Runs one tick. Its stanzas go out at once, unless it changed persistent state (or earlier
/// stanzas still wait): then they wait for the store to commit, so that no client hears of a
/// change that a crash could lose.
async fn tick(
    engine: &mut Engine,
    outbound: &Outbound,
    held: &mut Held,
    store: Option<&StoreLink>,
) -> Result<(), Error> {
    let (out, changes) = debug_span!("tick", pending = engine.pending()).in_scope(|| {
        let out = engine.tick(SystemTime::now());
        let changes = engine.take_store_changes();
        debug!(out = out.len(), changes = changes.len(), "tick done");
        (out, changes)
    });
    match store {
        Some(link) if !changes.is_empty() => {
            held.next_ticket += 1;
            let ticket = held.next_ticket;
            let epochs = link
                .cluster
                .as_ref()
                .map(|c| c.epochs(&changes))
                .unwrap_or_default();
            if !link.handle.submit(crate::store::Batch {
                changes,
                ticket,
                epochs,
            }) {
                warn!("the store task is gone; changes are not saved");
                held.committed = held.committed.max(ticket);
            }
            held.queue.push_back((ticket, out));
        }
        _ if !held.queue.is_empty() => {
            // Behind held stanzas: keep the order.
            held.queue.push_back((held.next_ticket, out));
        }
        _ => {
            for stanza in out {
                outbound
                    .send(stanza)
                    .await
                    .map_err(|_| Error::LinkStopped)?;
            }
        }
    }
    held.release(outbound).await
}

/// Sleeps until `deadline` (at once if it has passed); forever without one.
async fn sleep_until(deadline: Option<SystemTime>) {
    match deadline {
        Some(at) => {
            let wait = at
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO);
            tokio::time::sleep(wait).await;
        }
        None => std::future::pending().await,
    }
}

/// SIGHUP asks for the games to be reloaded; `None` where there is no such signal.
#[cfg(unix)]
fn hangup_signal() -> Option<tokio::signal::unix::Signal> {
    use tokio::signal::unix::{SignalKind, signal};
    signal(SignalKind::hangup())
        .map_err(|e| warn!("SIGHUP will not reload the games: {e}"))
        .ok()
}

#[cfg(not(unix))]
fn hangup_signal() -> Option<NoSignal> {
    None
}

/// Stands for a signal stream where the platform has none.
#[cfg(not(unix))]
struct NoSignal;

#[cfg(not(unix))]
impl NoSignal {
    async fn recv(&mut self) -> Option<()> {
        None
    }
}

/// Resolves on ctrl-c or SIGTERM, naming which.
async fn shutdown_signal() -> Result<&'static str, Error> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).map_err(Error::Signal)?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.map(|()| "interrupted").map_err(Error::Signal),
            _ = term.recv() => Ok("terminated"),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c()
            .await
            .map(|()| "interrupted")
            .map_err(Error::Signal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xmpp_parsers::iq::Iq;

    /// Cluster mode: a commit that reports a room lost takes that room's held stanzas out (its
    /// changes were not stored) and leaves the others.
    #[test]
    fn stanzas_of_a_lost_room_are_not_released() {
        let message = |from: &str| {
            let xml = format!(
                "<message xmlns='jabber:component:accept' type='groupchat' from='{from}' \
                 to='u@localhost/r'><body>hi</body></message>"
            );
            let e: xmpp_parsers::minidom::Element = xml.parse().expect("xml");
            Stanza::try_from(e).expect("a message")
        };
        let mut held = Held::default();
        held.queue.push_back((
            1,
            vec![
                message("lost@conference.localhost/A"),
                message("kept@conference.localhost/B"),
            ],
        ));
        held.queue
            .push_back((2, vec![message("lost@conference.localhost/A")]));
        let lost = committed(
            &mut held,
            crate::store::Committed {
                ticket: 1,
                ok: true,
                lost: vec![("lost@conference.localhost".into(), 3)],
            },
        );
        assert_eq!(lost, [("lost@conference.localhost".to_owned(), 3)]);
        let left: Vec<(u64, usize)> = held.queue.iter().map(|(t, s)| (*t, s.len())).collect();
        // Ticket 2 is not committed yet: its own report will say.
        assert_eq!(left, [(1, 1), (2, 1)]);
    }

    /// An IQ nobody handles gets its error through the loop, in order, without a server.
    #[tokio::test]
    async fn inbound_stanzas_are_ticked_and_answers_forwarded() {
        let settings = crate::engine::Settings::new("conference.localhost".parse().expect("jid"));
        let engine = Engine::from_builder(Engine::builder(settings));
        let (in_tx, in_rx) = mpsc::channel(8);
        let (out_tx, mut out_rx) = crate::link::wire::channel(1 << 20, 1 << 16);
        for id in ["a", "b"] {
            let xml = format!(
                "<iq xmlns='jabber:component:accept' type='get' id='{id}' \
                 from='u@localhost/r' to='conference.localhost'>\
                 <query xmlns='urn:example:unknown'/></iq>"
            );
            let inbound = Inbound::from_xml(&xml).expect("well-formed");
            in_tx.send(inbound).await.expect("channel open");
        }
        drop(in_tx);
        let (_up_tx, up_rx) = mpsc::unbounded_channel();
        let inputs = Inputs {
            inbound: in_rx,
            link_up: up_rx,
        };
        let result = serve(engine, inputs, &out_tx, std::future::pending(), None).await;
        assert!(matches!(result, Err(Error::LinkStopped)), "{result:?}");
        let mut ids = Vec::new();
        while let Ok(wire) = out_rx.rx.try_recv() {
            let e: xmpp_parsers::minidom::Element = std::str::from_utf8(&wire.bytes)
                .expect("utf8")
                .parse()
                .expect("xml");
            let Ok(Stanza::Iq(iq)) = Stanza::try_from(e) else {
                panic!("not an iq")
            };
            assert!(matches!(iq, Iq::Error { .. }), "{iq:?}");
            ids.push(iq.id().to_owned());
        }
        assert_eq!(ids, ["a", "b"]);
    }
}
