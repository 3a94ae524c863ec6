//! Groupchat throughput through the engine, in process: a room of 100 occupants, messages from
//! the occupants in turn. Prints inbound messages/s, outbound stanzas/s and per-tick latency
//! (median, p99) for single-stanza ticks and for batched ticks.
//!
//! Run: `cargo bench --bench groupchat`

use std::time::{Duration, Instant};

use palaver::stanza::Inbound;
use palaver::testing::{Harness, parse};

const OCCUPANTS: usize = 100;
const ROOM: &str = "bench@conference.localhost";

fn setup() -> (Harness, Vec<Inbound>) {
    let mut h = Harness::new();
    h.create_instant("owner@localhost/r", ROOM, "owner");
    for i in 1..OCCUPANTS {
        h.join(&format!("user{i}@localhost/r"), &format!("{ROOM}/user{i}"));
    }
    (h, Vec::new())
}

fn message(i: usize, seq: usize) -> Inbound {
    let from = if i == 0 {
        "owner@localhost/r".to_owned()
    } else {
        format!("user{i}@localhost/r")
    };
    Inbound::from_element(parse(&format!(
        "<message type='groupchat' id='m{seq}' from='{from}' to='{ROOM}'><body>move e2e4 {seq}</body></message>"
    )))
}

fn run(batch: usize, ticks: usize) {
    let (mut h, _) = setup();
    let mut latencies = Vec::with_capacity(ticks);
    let mut inbound = 0usize;
    let mut outbound = 0usize;
    let mut seq = 0usize;
    let mut busy = Duration::ZERO;
    for _ in 0..ticks {
        let stanzas: Vec<Inbound> = (0..batch)
            .map(|_| {
                seq += 1;
                message(seq % OCCUPANTS, seq)
            })
            .collect();
        let start = Instant::now();
        for s in stanzas {
            h.engine.push(s, h.now);
        }
        let out = h.engine.tick(h.now);
        let took = start.elapsed();
        busy += took;
        latencies.push(took);
        inbound += batch;
        outbound += out.len();
    }
    assert_eq!(
        outbound,
        inbound * OCCUPANTS,
        "every message reaches every occupant"
    );
    latencies.sort();
    let median = latencies[latencies.len() / 2];
    let p99 = latencies[(latencies.len() * 99 / 100).min(latencies.len() - 1)];
    let secs = busy.as_secs_f64();
    println!(
        "batch {batch:>3}: {:>9.0} inbound msg/s  {:>11.0} outbound stanzas/s  tick median {:>9.1?}  p99 {:>9.1?}  ({ticks} ticks)",
        inbound as f64 / secs,
        outbound as f64 / secs,
        median,
        p99,
    );
}

fn main() {
    // `cargo test --benches` runs this with --bench absent: keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let scale = if quick { 1 } else { 20 };
    println!("groupchat into a room of {OCCUPANTS} occupants (in-process engine)");
    run(1, 100 * scale);
    run(10, 20 * scale);
    run(100, 5 * scale);
}
