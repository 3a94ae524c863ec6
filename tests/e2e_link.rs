//! The component link end to end: robustness against bad stanzas, reconnecting, refusals.

mod support;

use std::time::Duration;

use support::*;
use xmpp_parsers::iq::Iq;
use xmpp_parsers::message::MessageType;
use xmpp_parsers::stanza::Stanza;

async fn disco_works(client: &mut Client, id: &str) {
    client
        .send_xml(&format!(
            "<iq type='get' to='{DOMAIN}' id='{id}'>\
               <query xmlns='http://jabber.org/protocol/disco#info'/></iq>"
        ))
        .await;
    let s = client
        .expect("a disco#info reply", WAIT, |s| iq_reply(s, id))
        .await;
    result_payload(&s);
}

e2e! {
async fn a_stanza_that_does_not_parse_gets_an_error_and_the_link_stays_up(kind: Kind) {
    let env = Env::start(kind).await;
    let mut alice = env.client("alice").await;
    // A stanza the server routes but xmpp-parsers refuses. Prosody reads no message payload
    // (a second <thread/> passes) but wants one IQ child; ejabberd reads threads but lets an
    // IQ without a child through.
    let bad = match kind {
        Kind::Prosody => format!(
            "<message to='{DOMAIN}' type='chat' id='bad1'><thread>a</thread><thread>b</thread><body>x</body></message>"
        ),
        Kind::Ejabberd => format!(
            "<iq to='{DOMAIN}' type='get' id='bad1'/>"
        ),
    };
    alice.send_xml(&bad).await;
    let s = alice
        .expect("the error reply to the bad stanza", WAIT, |s| {
            message(s).is_some_and(|m| {
                m.type_ == MessageType::Error && m.id.as_ref().is_some_and(|i| i.0 == "bad1")
            }) || matches!(s, Stanza::Iq(Iq::Error { id, .. }) if id == "bad1")
        })
        .await;
    assert!(from_is(&s, DOMAIN), "{s:?}");
    // The reply came from palaver's engine, not from the server bouncing it.
    assert!(env.palaver.log_text().contains(match kind {
        Kind::Prosody => "invalid Message stanza",
        Kind::Ejabberd => "invalid Iq stanza",
    }));
    disco_works(&mut alice, "after-bad").await;
    assert_eq!(
        env.palaver.connections(),
        1,
        "the link must not have reconnected"
    );
}
}

e2e! {
async fn palaver_reconnects_when_the_server_restarts(kind: Kind) {
    let mut env = Env::start(kind).await;
    env.server.kill();
    // The backoff starts at 1 s: wait for at least one failed attempt before restarting.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    env.server.launch();
    assert!(
        env.palaver.wait_connected(2, Duration::from_secs(15)).await,
        "palaver did not reconnect"
    );
    let mut alice = env.client("alice").await;
    disco_works(&mut alice, "after-restart").await;
    let log = env.palaver.log_text();
    assert!(
        log.contains("lost the connection"),
        "no warning about the lost link"
    );
}
}

e2e! {
async fn a_wrong_secret_is_reported_plainly_and_retried(kind: Kind) {
    let server = Server::start(kind);
    let mut palaver = Palaver::start(
        server.dir(),
        server.component_port(),
        &["--secret", "not-the-secret"],
    );
    let until = std::time::Instant::now() + Duration::from_secs(10);
    let expected =
        format!("the server refused the component handshake for {DOMAIN}: not-authorized");
    let mut refusals = 0;
    while std::time::Instant::now() < until && refusals < 2 {
        refusals = palaver.log_text().matches(&expected).count();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = palaver.log_text();
    palaver.kill();
    assert!(
        refusals >= 2,
        "expected two refusals (one retry); log:\n{log}\n{}",
        server.tails()
    );
    assert!(log.contains("check the secret"), "{log}");
    assert_eq!(palaver.connections(), 0);
}
}

#[test]
fn bad_configuration_is_one_line_and_exit_code_2() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_palaver"))
        .args(["--server", "127.0.0.1:5347", "--secret", "s"])
        .env_remove("PALAVER_DOMAIN")
        .env_remove("PALAVER_CONFIG")
        .output()
        .expect("run palaver");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr,
        "palaver: --domain is missing (or set PALAVER_DOMAIN)\n"
    );
}

#[tokio::test]
async fn an_extra_connection_prosody_refuses_is_given_up_and_the_first_serves() {
    let prosody = Prosody::start();
    let palaver = Palaver::start(
        prosody.dir.path(),
        prosody.component_port,
        &["--connections", "2"],
    );
    assert!(
        palaver.wait_connected(1, Duration::from_secs(15)).await,
        "{}",
        palaver.log_text()
    );
    let until = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < until
        && !palaver.log_text().contains("takes only one connection")
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut alice = Client::connect(prosody.c2s_port, "alice", PASSWORD).await;
    disco_works(&mut alice, "two-links").await;
    // Many stanzas to many recipients all arrive although one link was given up.
    for i in 0..20 {
        disco_works(&mut alice, &format!("more{i}")).await;
    }
    let log = palaver.log_text();
    assert_eq!(log.matches("takes only one connection").count(), 1, "{log}");
    assert_eq!(palaver.connections(), 1, "{log}");
    assert!(
        !log.contains("reconnecting"),
        "the refused link is not retried: {log}"
    );
}
