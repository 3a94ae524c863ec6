//! The component link end to end: robustness against bad stanzas, reconnecting, refusals.

mod support;

use std::time::Duration;

use support::*;
use xmpp_parsers::message::MessageType;

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

#[tokio::test]
async fn a_stanza_that_does_not_parse_gets_an_error_and_the_link_stays_up() {
    let env = Env::start().await;
    let mut alice = env.client("alice").await;
    // An unknown message type: Prosody routes it, xmpp-parsers refuses it.
    alice
        .send_xml(&format!(
            "<message to='{DOMAIN}' type='bogus' id='bad1'><body>x</body></message>"
        ))
        .await;
    let s = alice
        .expect("the error reply to the bad stanza", WAIT, |s| {
            message(s).is_some_and(|m| {
                m.type_ == MessageType::Error && m.id.as_ref().is_some_and(|i| i.0 == "bad1")
            })
        })
        .await;
    assert!(from_is(&s, DOMAIN), "{s:?}");
    // The reply came from palaver's engine, not from Prosody bouncing for a missing component.
    assert!(env.palaver.log_text().contains("invalid Message stanza"));
    disco_works(&mut alice, "after-bad").await;
    assert_eq!(
        env.palaver.connections(),
        1,
        "the link must not have reconnected"
    );
}

#[tokio::test]
async fn palaver_reconnects_when_the_server_restarts() {
    let mut env = Env::start().await;
    env.prosody.kill();
    // The backoff starts at 1 s: wait for at least one failed attempt before restarting.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    env.prosody.launch();
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

#[tokio::test]
async fn a_wrong_secret_is_reported_plainly_and_retried() {
    let prosody = Prosody::start();
    let mut palaver = Palaver::start(
        prosody.dir.path(),
        prosody.component_port,
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
        prosody.tails()
    );
    assert!(log.contains("check the secret"), "{log}");
    assert_eq!(palaver.connections(), 0);
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
