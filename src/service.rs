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
    let link = link::spawn(link_config);
    let mut engine = Engine::new(settings);
    crate::play::install(&mut engine, games);
    let result = serve(engine, link.inbound, &link.outbound, shutdown_signal()).await;
    // Closing the outbound channel lets the link write what is queued and close the stream.
    drop(link.outbound);
    match tokio::time::timeout(Duration::from_secs(5), link.task).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => warn!("the link task failed: {e}"),
        Err(_) => warn!("the link did not finish writing within 5s"),
    }
    result
}

/// The loop proper, separate from the link so that it can be driven without a server.
pub async fn serve(
    mut engine: Engine,
    mut inbound: mpsc::Receiver<Inbound>,
    outbound: &mpsc::UnboundedSender<Stanza>,
    shutdown: impl Future<Output = Result<&'static str, Error>>,
) -> Result<(), Error> {
    tokio::pin!(shutdown);
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
                for stanza in engine.shutdown(SystemTime::now()) {
                    // The link may be gone already; farewells are best effort.
                    let _ = outbound.send(stanza);
                }
                return Ok(());
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
                    tick(&mut engine, outbound)?;
                }
            }
            () = sleep, if deadline.is_some() => {
                tick(&mut engine, outbound)?;
            }
        }
    }
}

fn tick(engine: &mut Engine, outbound: &mpsc::UnboundedSender<Stanza>) -> Result<(), Error> {
    let span = debug_span!("tick", pending = engine.pending());
    let _enter = span.enter();
    let out = engine.tick(SystemTime::now());
    debug!(out = out.len(), "tick done");
    for stanza in out {
        outbound.send(stanza).map_err(|_| Error::LinkStopped)?;
    }
    Ok(())
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
        let result = serve(engine, in_rx, &out_tx, std::future::pending()).await;
        assert!(matches!(result, Err(Error::LinkStopped)), "{result:?}");
        let mut ids = Vec::new();
        while let Ok(Stanza::Iq(iq)) = out_rx.try_recv() {
            assert!(matches!(iq, Iq::Error { .. }), "{iq:?}");
            ids.push(iq.id().to_owned());
        }
        assert_eq!(ids, ["a", "b"]);
    }
}
