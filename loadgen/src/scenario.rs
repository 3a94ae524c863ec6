//! The measurements, run once against palaver and once against the server's own MUC, and the
//! table that compares them.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::clients::{Pool, now_ns};
use crate::procfs::{self, Sample};
use crate::servers::{HOST, Kind, MUC_DOMAIN, PALAVER_DOMAIN, Palaver, Server};
use crate::{Args, Only};

/// Time for memory to settle before RSS is read (Prosody's Lua collector is incremental).
const SETTLE: Duration = Duration::from_secs(2);

/// One MUC service under test.
struct Target {
    label: String,
    domain: &'static str,
    /// Distinguishes the room names of the two targets.
    tag: &'static str,
    /// The process that holds the rooms: palaver, or the server itself.
    pid: u32,
    is_palaver: bool,
}

/// A target's figures, by row key.
#[derive(Default)]
struct Figures(HashMap<String, f64>);

impl Figures {
    fn set(&mut self, key: impl Into<String>, value: f64) {
        self.0.insert(key.into(), value);
    }
}

struct Samples {
    muc: Option<Sample>,
    server: Option<Sample>,
    me: Option<Sample>,
}

struct Run {
    args: Args,
    pool: Pool,
    server_pid: u32,
    ticks: f64,
}

fn join_xml(room: &str, i: usize) -> String {
    format!(
        "<presence to='{room}/u{i}'><x xmlns='http://jabber.org/protocol/muc'>\
         <history maxstanzas='0'/></x></presence>"
    )
}

fn leave_xml(room: &str, i: usize) -> String {
    format!("<presence to='{room}/u{i}' type='unavailable'/>")
}

fn config_xml(room: &str) -> String {
    format!(
        "<iq type='set' id='cfg' to='{room}'><query xmlns='http://jabber.org/protocol/muc#owner'>\
         <x xmlns='jabber:x:data' type='submit'/></query></iq>"
    )
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64
}

fn get(c: &AtomicU64) -> u64 {
    c.load(Ordering::Relaxed)
}

impl Run {
    fn samples(&self, t: &Target) -> Samples {
        Samples {
            muc: procfs::sample(t.pid),
            server: procfs::sample(self.server_pid),
            me: procfs::sample(std::process::id()),
        }
    }

    fn rss(&self, t: &Target) -> Result<f64, String> {
        procfs::sample(t.pid)
            .map(|s| s.rss_bytes as f64)
            .ok_or_else(|| format!("cannot read /proc/{} (did {} exit?)", t.pid, t.label))
    }

    fn cpu(&self, from: Option<Sample>, to: Option<Sample>) -> f64 {
        match (from, to) {
            (Some(a), Some(b)) => procfs::cpu_percent(a, b, self.ticks),
            _ => f64::NAN,
        }
    }

    /// Rooms created by their owners (join, then the instant configuration), `window` at a time.
    async fn create_rooms(&mut self, rooms: &[(usize, String)]) -> Result<(), String> {
        let joins: Vec<_> = rooms.iter().map(|(i, r)| (*i, join_xml(r, *i))).collect();
        let configs: Vec<_> = rooms.iter().map(|(i, r)| (*i, config_xml(r))).collect();
        let window = self.args.window.max(50);
        self.pool
            .windowed(&joins, |c| &c.joined, window, "creating rooms (joins)")
            .await?;
        self.pool
            .windowed(
                &configs,
                |c| &c.iq_results,
                window,
                "creating rooms (configuration)",
            )
            .await
    }

    async fn join(&mut self, joins: &[(usize, String)], window: u64) -> Result<(), String> {
        let items: Vec<_> = joins.iter().map(|(i, r)| (*i, join_xml(r, *i))).collect();
        self.pool
            .windowed(&items, |c| &c.joined, window, "joining")
            .await
    }

    async fn leave(&mut self, leaves: &[(usize, String)]) -> Result<(), String> {
        let items: Vec<_> = leaves.iter().map(|(i, r)| (*i, leave_xml(r, *i))).collect();
        self.pool
            .windowed(&items, |c| &c.left, 1000, "leaving")
            .await
    }

    /// Client 0 pipelines groupchat into a room of `size` receivers; delivered stanzas/s over
    /// `duration` after a second of warm-up. In the first room, the latency run follows.
    async fn throughput(
        &mut self,
        t: &Target,
        size: usize,
        latency: bool,
        f: &mut Figures,
    ) -> Result<(), String> {
        let room = format!("tp{size}-{}@{}", t.tag, t.domain);
        self.create_rooms(&[(0, room.clone())]).await?;
        let members: Vec<_> = (1..=size).map(|i| (i, room.clone())).collect();
        self.join(&members, self.args.window.max(50)).await?;
        tokio::time::sleep(Duration::from_millis(300)).await;

        let c = self.pool.counters.clone();
        let errors = get(&c.errors);
        let base = get(&c.delivered);
        let echoes = get(&c.echoes);
        let r = size as u64;
        let window = self.args.window;
        let mut sent = 0u64;
        let start = Instant::now();
        let warm = start + Duration::from_secs(1);
        let end = warm + Duration::from_secs_f64(self.args.duration);
        let mut first: Option<(u64, Samples)> = None;
        let mut batch = String::new();
        loop {
            let now = Instant::now();
            if now >= end {
                break;
            }
            if first.is_none() && now >= warm {
                first = Some((get(&c.delivered), self.samples(t)));
            }
            let done = get(&c.delivered) - base;
            let in_flight = (sent * r).saturating_sub(done).div_ceil(r);
            if in_flight < window {
                batch.clear();
                for _ in 0..(window - in_flight).min(32) {
                    let _ = write!(
                        batch,
                        "<message to='{room}' type='groupchat'><body>lg 0 {}</body></message>",
                        now_ns()
                    );
                    sent += 1;
                }
                self.pool.send(0, &batch).await?;
            } else {
                let _ = tokio::time::timeout(Duration::from_millis(2), c.progress.notified()).await;
                c.check(errors, "throughput")?;
            }
        }
        let last = (get(&c.delivered), self.samples(t));
        let (d0, s0) = first.ok_or("the throughput run ended before its warm-up did")?;
        let secs = match (&s0.me, &last.1.me) {
            (Some(a), Some(b)) => b.at.duration_since(a.at).as_secs_f64(),
            _ => return Err("cannot read this process's /proc entry".into()),
        };
        f.set(format!("tp{size}"), (last.0 - d0) as f64 / secs);
        if t.is_palaver {
            f.set(format!("cpu.palaver.{size}"), self.cpu(s0.muc, last.1.muc));
        }
        f.set(
            format!("cpu.server.{size}"),
            self.cpu(s0.server, last.1.server),
        );
        f.set(format!("cpu.loadgen.{size}"), self.cpu(s0.me, last.1.me));
        let drain = Duration::from_secs(120);
        c.wait(
            &c.delivered,
            base + sent * r,
            errors,
            drain,
            "throughput (drain)",
        )
        .await?;
        c.wait(
            &c.echoes,
            echoes + sent,
            errors,
            drain,
            "throughput (echoes)",
        )
        .await?;

        if latency {
            self.latency(&room, f).await?;
        }
        let mut everyone = members;
        everyone.push((0, room));
        self.leave(&everyone).await
    }

    /// Client 0 sends at the fixed `rate`; the round trip is until its own copy comes back.
    async fn latency(&mut self, room: &str, f: &mut Figures) -> Result<(), String> {
        let c = self.pool.counters.clone();
        let errors = get(&c.errors);
        if let Ok(mut rtts) = c.rtts.lock() {
            rtts.clear();
        }
        c.record_rtt.store(true, Ordering::Relaxed);
        let echoes = get(&c.echoes);
        let interval = Duration::from_secs_f64(1.0 / self.args.rate);
        let start = tokio::time::Instant::now();
        let end = start + Duration::from_secs_f64(self.args.duration);
        let mut n = 0u32;
        loop {
            let at = start + interval * n;
            if at >= end {
                break;
            }
            tokio::time::sleep_until(at).await;
            let xml = format!(
                "<message to='{room}' type='groupchat'><body>lg 0 {}</body></message>",
                now_ns()
            );
            self.pool.send(0, &xml).await?;
            n += 1;
        }
        let waited = c
            .wait(
                &c.echoes,
                echoes + u64::from(n),
                errors,
                Duration::from_secs(60),
                "latency",
            )
            .await;
        c.record_rtt.store(false, Ordering::Relaxed);
        waited?;
        let mut rtts = c.rtts.lock().map(|r| r.clone()).unwrap_or_default();
        rtts.sort_unstable();
        f.set("rtt.p50", percentile(&rtts, 0.50) / 1e6);
        f.set("rtt.p99", percentile(&rtts, 0.99) / 1e6);
        f.set("rtt.max", percentile(&rtts, 1.0) / 1e6);
        Ok(())
    }

    /// Everyone joins one room at once.
    async fn one_room(&mut self, t: &Target, f: &mut Figures) -> Result<(), String> {
        let room = format!("one-{}@{}", t.tag, t.domain);
        self.create_rooms(&[(0, room.clone())]).await?;
        let k = self.args.clients;
        let joins: Vec<_> = (1..k).map(|i| (i, room.clone())).collect();
        let start = Instant::now();
        self.join(&joins, k as u64).await?;
        f.set(
            "join.one",
            joins.len() as f64 / start.elapsed().as_secs_f64(),
        );
        let mut everyone = joins;
        everyone.push((0, room));
        self.leave(&everyone).await
    }

    /// `rooms` rooms, each created by one client and joined by `joins_per_room` more.
    async fn many_rooms(&mut self, t: &Target, f: &mut Figures) -> Result<(), String> {
        let k = self.args.clients;
        let m = self.args.rooms;
        let rooms: Vec<_> = (0..m)
            .map(|j| (j % k, format!("r{j}-{}@{}", t.tag, t.domain)))
            .collect();
        tokio::time::sleep(SETTLE).await;
        let empty = self.rss(t)?;
        f.set("mem.start", empty / 1048576.0);
        let start = Instant::now();
        self.create_rooms(&rooms).await?;
        f.set("create", m as f64 / start.elapsed().as_secs_f64());
        tokio::time::sleep(SETTLE).await;
        let with_rooms = self.rss(t)?;
        f.set("mem.room", (with_rooms - empty) / m as f64);

        let joins: Vec<_> = (0..self.args.joins_per_room)
            .flat_map(|x| {
                rooms
                    .iter()
                    .enumerate()
                    .map(move |(j, (_, r))| ((j + 1 + x) % k, r.clone()))
            })
            .collect();
        let start = Instant::now();
        self.join(&joins, self.args.window.max(50) * 5).await?;
        f.set(
            "join.many",
            joins.len() as f64 / start.elapsed().as_secs_f64(),
        );
        tokio::time::sleep(SETTLE).await;
        let full = self.rss(t)?;
        f.set("mem.occupant", (full - with_rooms) / joins.len() as f64);
        f.set("mem.full", full / 1048576.0);

        let mut everyone = joins;
        everyone.extend(rooms);
        self.leave(&everyone).await?;
        // palaver gives freed memory back every 10 s after activity.
        tokio::time::sleep(Duration::from_secs(11)).await;
        f.set("mem.after", self.rss(t)? / 1048576.0);
        Ok(())
    }

    /// The memory phase: first, while the processes are fresh (a heap that earlier traffic
    /// grew takes new rooms into freed memory without growing).
    async fn measure_memory(&mut self, t: &Target, f: &mut Figures) -> Result<(), String> {
        eprintln!("loadgen: {}: {} rooms", t.label, self.args.rooms);
        self.many_rooms(t, f).await
    }

    async fn measure_traffic(&mut self, t: &Target, f: &mut Figures) -> Result<(), String> {
        let sizes = self.args.sizes.clone();
        for (n, size) in sizes.iter().enumerate() {
            eprintln!("loadgen: {}: throughput, room of {size}", t.label);
            self.throughput(t, *size, n == 0, f).await?;
        }
        eprintln!("loadgen: {}: joins into one room", t.label);
        self.one_room(t, f).await
    }

    /// Waits until palaver answers a disco#info query: its link to the server is up.
    async fn wait_for_palaver(&mut self, palaver: &mut Palaver) -> Result<(), String> {
        let c = self.pool.counters.clone();
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            if !palaver.alive() {
                return Err(format!("palaver exited:\n{}", palaver.log_tail()));
            }
            let before = get(&c.iq_results);
            self.pool
                .send(
                    0,
                    &format!(
                        "<iq type='get' id='probe' to='{PALAVER_DOMAIN}'>\
                         <query xmlns='http://jabber.org/protocol/disco#info'/></iq>"
                    ),
                )
                .await?;
            tokio::time::sleep(Duration::from_millis(250)).await;
            if get(&c.iq_results) > before {
                return Ok(());
            }
        }
        Err(format!(
            "palaver did not answer within 20 s; its log:\n{}",
            palaver.log_tail()
        ))
    }
}

fn palaver_binary(args: &Args) -> Result<PathBuf, String> {
    if let Some(p) = &args.palaver {
        return Ok(p.clone());
    }
    let me = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let p = me.with_file_name("palaver");
    if p.exists() {
        Ok(p)
    } else {
        Err(format!(
            "{} does not exist: build palaver first (cargo build --release) or pass --palaver",
            p.display()
        ))
    }
}

pub async fn run(args: Args) -> Result<(), String> {
    let binary = match args.only {
        Only::Muc => None,
        _ => Some(palaver_binary(&args)?),
    };
    eprintln!("loadgen: starting {}", args.server.name());
    let mut server = Server::start(args.server, args.connections)?;
    if args.keep {
        eprintln!("loadgen: files in {}", server.dir.path().display());
    }
    let result = run_with(&args, binary.as_deref(), &server).await;
    if result.is_err() {
        eprintln!(
            "--- {} log (tail) ---\n{}",
            args.server.name(),
            server.log_tail()
        );
    }
    server.stop();
    if args.keep {
        let dir = std::mem::replace(
            &mut server.dir,
            tempfile::tempdir().map_err(|e| e.to_string())?,
        );
        let _ = dir.keep();
    }
    result
}

async fn run_with(
    args: &Args,
    binary: Option<&std::path::Path>,
    server: &Server,
) -> Result<(), String> {
    let mut palaver = match binary {
        Some(b) => Some(Palaver::start(b, server, args.connections)?),
        None => None,
    };
    eprintln!("loadgen: logging in {} clients", args.clients);
    let pool = Pool::login(server.c2s_port, HOST, args.clients).await?;
    eprintln!(
        "loadgen: logged in, {} to {}",
        pool.jids.first().map_or("", String::as_str),
        pool.jids.last().map_or("", String::as_str)
    );
    let mut run = Run {
        args: args.clone(),
        pool,
        server_pid: server.pid,
        ticks: procfs::ticks_per_second(),
    };
    if let Some(p) = palaver.as_mut() {
        run.wait_for_palaver(p).await?;
    }
    let muc_label = format!("{} MUC", args.server.name());
    let mut targets = Vec::new();
    if let Some(p) = &palaver {
        targets.push(Target {
            label: "palaver".into(),
            domain: PALAVER_DOMAIN,
            tag: "p",
            pid: p.pid,
            is_palaver: true,
        });
    }
    if args.only != Only::Palaver {
        targets.push(Target {
            label: muc_label.clone(),
            domain: MUC_DOMAIN,
            tag: "m",
            pid: server.pid,
            is_palaver: false,
        });
    }
    let mut figures: Vec<Figures> = targets.iter().map(|_| Figures::default()).collect();
    // Memory first, the server's MUC before palaver: palaver's traffic passes through the
    // server and would grow its heap, whereas palaver's own process sees none of the MUC's.
    let mut result = Ok(());
    for (n, t) in targets.iter().enumerate().rev() {
        result = run.measure_memory(t, &mut figures[n]).await;
        if result.is_err() {
            break;
        }
    }
    if result.is_ok() {
        for (n, t) in targets.iter().enumerate() {
            result = run.measure_traffic(t, &mut figures[n]).await;
            if result.is_err() {
                break;
            }
        }
    }
    if let Err(e) = result {
        if let Some(p) = palaver.as_mut()
            && !p.alive()
        {
            return Err(format!("{e}\npalaver exited; its log:\n{}", p.log_tail()));
        }
        return Err(e);
    }
    let mut ours = Figures::default();
    let mut theirs = Figures::default();
    for (t, f) in targets.iter().zip(figures) {
        if t.is_palaver {
            ours = f;
        } else {
            theirs = f;
        }
    }
    if let Some(p) = palaver.as_mut() {
        p.stop();
    }
    print!("{}", table(args, server.kind, &muc_label, &ours, &theirs));
    Ok(())
}

fn table(args: &Args, kind: Kind, muc: &str, p: &Figures, m: &Figures) -> String {
    let first = args.sizes.first().copied().unwrap_or(0);
    let mut rows: Vec<(String, String, usize)> = Vec::new();
    for size in &args.sizes {
        rows.push((
            format!("tp{size}"),
            format!("delivered stanzas/s, 1 sender, room of {size}"),
            0,
        ));
    }
    let rate = args.rate;
    rows.extend([
        (
            "rtt.p50".into(),
            format!("groupchat round trip p50 ms, {rate} msg/s, room of {first}"),
            2,
        ),
        ("rtt.p99".into(), "  p99 ms".into(), 2),
        ("rtt.max".into(), "  max ms".into(), 2),
        (
            "join.one".into(),
            format!("joins/s, {} clients into one room", args.clients - 1),
            0,
        ),
        (
            "create".into(),
            format!("rooms created/s ({} rooms)", args.rooms),
            0,
        ),
        (
            "join.many".into(),
            format!(
                "joins/s across {} rooms ({} joins)",
                args.rooms,
                args.rooms * args.joins_per_room
            ),
            0,
        ),
        (
            "mem.room".into(),
            "RSS bytes per room (with its creator)".into(),
            0,
        ),
        (
            "mem.occupant".into(),
            format!(
                "RSS bytes per occupant (rooms of {})",
                args.joins_per_room + 1
            ),
            0,
        ),
        ("mem.start".into(), "RSS MiB before the rooms".into(), 1),
        ("mem.full".into(), "RSS MiB with all rooms full".into(), 1),
        (
            "mem.after".into(),
            "RSS MiB 11 s after everyone left".into(),
            1,
        ),
    ]);
    for size in &args.sizes {
        rows.push((
            format!("cpu.palaver.{size}"),
            format!("palaver CPU % of a core, room of {size}"),
            0,
        ));
        rows.push((
            format!("cpu.server.{size}"),
            format!("{} CPU %, room of {size}", kind.name()),
            0,
        ));
        rows.push((
            format!("cpu.loadgen.{size}"),
            format!("loadgen CPU %, room of {size}"),
            0,
        ));
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{} on loopback; {} clients; {} s runs; window {}; palaver --connections {}",
        kind.name(),
        args.clients,
        args.duration,
        args.window,
        args.connections
    );
    let _ = writeln!(
        out,
        "{:<52} {:>12} {:>14} {:>7}",
        "", "palaver", muc, "ratio"
    );
    let cell = |f: &Figures, key: &str, decimals: usize| match f.0.get(key) {
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => "-".into(),
    };
    for (key, label, decimals) in rows {
        let ratio = match (p.0.get(&key), m.0.get(&key)) {
            (Some(a), Some(b)) if a.is_finite() && b.is_finite() && *b != 0.0 => {
                format!("{:.2}", a / b)
            }
            _ => "-".into(),
        };
        let _ = writeln!(
            out,
            "{:<52} {:>12} {:>14} {:>7}",
            label,
            cell(p, &key, decimals),
            cell(m, &key, decimals),
            ratio
        );
    }
    let _ = writeln!(
        out,
        "ratio = palaver / {muc}. RSS is of the process holding the rooms: palaver, or {}.",
        kind.name()
    );
    out
}
