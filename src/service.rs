//! The service loop: one task owns the [`Engine`] (so the world needs no locks) and ticks it
//! whenever stanzas arrive or a timer is due.

use std::time::{Duration, SystemTime};

use tokio::sync::mpsc;
use tracing::{debug, debug_span, info, warn};
use xmpp_parsers::stanza::Stanza;

use crate::engine::Engine;
use crate::link::{self, LinkConfig};
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
}

/// Runs the service until ctrl-c or SIGTERM.
pub async fn run(config: crate::config::Config) -> Result<(), Error> {
    let settings = config.settings;
    let link_config = LinkConfig::new(settings.domain.clone(), config.server, config.secret);
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
    // Every persistent room is in the World before the component connects.
    let store = crate::store::Store::open(&config.db).await?;
    let stored = store.load_all().await?;
    let key = store.service_key().await?;
    let mut engine = Engine::new(settings);
    // Occupant-ids and stanza-ids stay the same across restarts.
    engine
        .world_mut()
        .insert_resource(crate::muc::occupant_id::ServiceKey(key));
    crate::play::install(&mut engine, games);
    let rooms = crate::store::capture::restore(&mut engine, stored, chrono::Utc::now());
    info!(rooms, db = %config.db, "persistent rooms loaded");
    let (handle, committed, store_task) = crate::store::spawn(store);
    let link = link::spawn(link_config);
    let store_link = StoreLink { handle, committed };
    let result = serve(
        engine,
        link.inbound,
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
    fn release(&mut self, outbound: &mpsc::UnboundedSender<Stanza>) -> Result<(), Error> {
        while self
            .queue
            .front()
            .is_some_and(|(ticket, _)| *ticket <= self.committed)
        {
            if let Some((_, stanzas)) = self.queue.pop_front() {
                for stanza in stanzas {
                    outbound.send(stanza).map_err(|_| Error::LinkStopped)?;
                }
            }
        }
        Ok(())
    }
}

/// The loop proper, separate from the link so that it can be driven without a server.
pub async fn serve(
    mut engine: Engine,
    mut inbound: mpsc::Receiver<Inbound>,
    outbound: &mpsc::UnboundedSender<Stanza>,
    shutdown: impl Future<Output = Result<&'static str, Error>>,
    mut store: Option<StoreLink>,
) -> Result<(), Error> {
    tokio::pin!(shutdown);
    let mut held = Held::default();
    // A first tick arms the timers of restored rooms (game clocks) before any stanza arrives.
    tick(&mut engine, outbound, &mut held, store.as_ref())?;
    let max_batch = engine
        .world()
        .resource::<crate::engine::Service>()
        .settings
        .max_batch
        .max(1);
    loop {
        let deadline = engine.next_deadline();
        let sleep = sleep_until(deadline);
        tokio::select! {
            signal = &mut shutdown => {
                info!("{}, shutting down", signal?);
                let farewells = engine.shutdown(SystemTime::now());
                if let Some(mut link) = store.take() {
                    // Let the store commit what it holds, then release what waited on it.
                    drop(link.handle);
                    while let Some(c) = link.committed.recv().await {
                        held.committed = held.committed.max(c.ticket);
                    }
                    held.committed = u64::MAX;
                    let _ = held.release(outbound);
                }
                for stanza in farewells {
                    // The link may be gone already; farewells are best effort.
                    let _ = outbound.send(stanza);
                }
                return Ok(());
            }
            Some(c) = async {
                match store.as_mut() {
                    Some(link) => link.committed.recv().await,
                    None => std::future::pending().await,
                }
            } => {
                if !c.ok {
                    warn!(ticket = c.ticket, "a store commit failed; its stanzas go out anyway");
                }
                held.committed = held.committed.max(c.ticket);
                held.release(outbound)?;
            }
            first = inbound.recv() => {
                let Some(first) = first else {
                    return Err(Error::LinkStopped);
                };
                engine.push(first);
                while engine.pending() < max_batch {
                    match inbound.try_recv() {
                        Ok(more) => engine.push(more),
                        Err(_) => break,
                    }
                }
                // A tick takes at most max_batch stanzas; loop so none wait for the next input.
                while engine.pending() > 0 {
                    tick(&mut engine, outbound, &mut held, store.as_ref())?;
                }
            }
            () = sleep, if deadline.is_some() => {
                tick(&mut engine, outbound, &mut held, store.as_ref())?;
            }
        }
    }
}

/// Runs one tick. Its stanzas go out at once, unless it changed persistent state (or earlier
/// stanzas still wait): then they wait for the store to commit, so that no client hears of a
/// change that a crash could lose.
fn tick(
    engine: &mut Engine,
    outbound: &mpsc::UnboundedSender<Stanza>,
    held: &mut Held,
    store: Option<&StoreLink>,
) -> Result<(), Error> {
    let span = debug_span!("tick", pending = engine.pending());
    let _enter = span.enter();
    let out = engine.tick(SystemTime::now());
    let changes = engine.take_store_changes();
    debug!(out = out.len(), changes = changes.len(), "tick done");
    match store {
        Some(link) if !changes.is_empty() => {
            held.next_ticket += 1;
            let ticket = held.next_ticket;
            if !link.handle.submit(crate::store::Batch { changes, ticket }) {
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
                outbound.send(stanza).map_err(|_| Error::LinkStopped)?;
            }
        }
    }
    held.release(outbound)
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

    /// An IQ nobody handles gets its error through the loop, in order, without a server.
    #[tokio::test]
    async fn inbound_stanzas_are_ticked_and_answers_forwarded() {
        let settings = crate::engine::Settings::new("conference.localhost".parse().expect("jid"));
        let engine = Engine::from_builder(Engine::builder(settings));
        let (in_tx, in_rx) = mpsc::channel(8);
        let (out_tx, mut out_rx) = mpsc::unbounded_channel();
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
        let result = serve(engine, in_rx, &out_tx, std::future::pending(), None).await;
        assert!(matches!(result, Err(Error::LinkStopped)), "{result:?}");
        let mut ids = Vec::new();
        while let Ok(Stanza::Iq(iq)) = out_rx.try_recv() {
            assert!(matches!(iq, Iq::Error { .. }), "{iq:?}");
            ids.push(iq.id().to_owned());
        }
        assert_eq!(ids, ["a", "b"]);
    }
}
