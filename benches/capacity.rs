//! Memory and capacity of the engine, in process, through real stanzas (issue 12, part 3):
//! 10,000 empty persistent rooms and 100,000 idle occupants (ten per room), each measured as
//! the growth of this process's resident set divided by the count; the tick time of one
//! groupchat in a room of 1,000; the resident set after a 300-message flood into that room and
//! after everyone has left (and whether the allocator gives it back when asked).
//!
//! Run: `cargo bench --bench capacity` (about a minute). `cargo test --benches` runs it at a
//! hundredth of the size; `--scale N` divides the counts by N. `--stop-after rooms|occupants`
//! exits after that phase without freeing anything, so that a heap profiler (valgrind's DHAT)
//! sees what that phase left live (README, Benchmarks).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use palaver::stanza::Inbound;
use palaver::testing::{Harness, parse};

/// The system allocator, counting the bytes live on the heap (what was asked for, not what
/// malloc rounded it up to): the heap a phase leaves, free of the resident set's page noise.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on to the system allocator unchanged; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// The inline size of each component a room and an occupant may have (a table row holds these,
/// plus two change ticks of 4 bytes each per component).
fn component_sizes() {
    use palaver::muc::{archive, config, history, room, subject};
    use palaver::store::capture;
    use std::mem::size_of;
    let room: [(&str, usize); 10] = [
        ("Room", size_of::<room::Room>()),
        ("RoomConfig", size_of::<config::RoomConfig>()),
        ("Roster", size_of::<room::Roster>()),
        ("Affiliations", size_of::<room::Affiliations>()),
        ("Occupants", size_of::<room::Occupants>()),
        ("History", size_of::<history::History>()),
        ("Archive", size_of::<archive::Archive>()),
        ("Subject", size_of::<subject::Subject>()),
        ("Persisted", size_of::<capture::Persisted>()),
        ("StoredSessions", size_of::<capture::StoredSessions>()),
    ];
    let occupant: [(&str, usize); 8] = [
        ("Nick", size_of::<room::Nick>()),
        ("RealJid", size_of::<room::RealJid>()),
        ("OccupantRole", size_of::<room::OccupantRole>()),
        (
            "OccupantAffiliation",
            size_of::<room::OccupantAffiliation>(),
        ),
        ("LastPresence", size_of::<room::LastPresence>()),
        ("Sessions", size_of::<room::Sessions>()),
        ("OccupantId", size_of::<room::OccupantId>()),
        ("InRoom", size_of::<room::InRoom>()),
    ];
    for (what, parts) in [("room", &room[..]), ("occupant", &occupant[..])] {
        let total: usize = parts.iter().map(|(_, n)| n + 8).sum();
        let list: Vec<String> = parts.iter().map(|(c, n)| format!("{c} {n}")).collect();
        println!(
            "  a persistent {what}'s components, inline bytes: {} (row with ticks: {total})",
            list.join(", ")
        );
    }
}

const DOMAIN: &str = "conference.localhost";

/// This process's resident set in bytes (/proc/self/statm counts pages).
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * page_size()
}

fn page_size() -> u64 {
    std::process::Command::new("getconf")
        .arg("PAGESIZE")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(4096)
}

/// The peak resident set since the last [`reset_peak`], in bytes.
fn peak() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

/// Linux resets the peak resident set when "5" is written to clear_refs.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Asks glibc's allocator to return its free memory to the system: what remains after it is
/// memory the engine still holds (or fragmentation), not the allocator's cache.
fn trim() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only walks glibc's own heap; it takes no pointers of ours.
        unsafe { libc::malloc_trim(0) };
        true
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    false
}

fn mib(bytes: f64) -> String {
    format!("{:.1} MiB", bytes / 1048576.0)
}

struct Bench {
    h: Harness,
    /// Outbound stanzas produced (dropped at once: the link would have written them).
    out: usize,
}

impl Bench {
    fn push(&mut self, xml: &str) {
        self.h
            .engine
            .push(Inbound::from_element(parse(xml)), self.h.now);
    }

    /// Ticks until every queued stanza is handled; the output and store changes are dropped.
    fn drain(&mut self) {
        loop {
            self.out += self.h.engine.tick(self.h.now).len();
            drop(self.h.engine.take_store_changes());
            if self.h.engine.pending() == 0 {
                break;
            }
        }
    }

    /// Pushes `xmls` 256 at a time (a tick's worth), draining between batches.
    fn feed(&mut self, xmls: impl Iterator<Item = String>) {
        self.feed_in(256, xmls);
    }

    fn feed_in(&mut self, batch: usize, xmls: impl Iterator<Item = String>) {
        for (n, xml) in xmls.enumerate() {
            self.push(&xml);
            if n % batch == batch - 1 {
                self.drain();
            }
        }
        self.drain();
    }
}

fn room(j: usize) -> String {
    format!("room{j}@{DOMAIN}")
}

fn join(user: &str, room: &str, nick: &str) -> String {
    format!(
        "<presence from='{user}' to='{room}/{nick}'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>"
    )
}

fn leave(user: &str, room: &str, nick: &str) -> String {
    format!("<presence from='{user}' to='{room}/{nick}' type='unavailable'/>")
}

fn persistent(owner: &str, room: &str) -> String {
    format!(
        "<iq type='set' id='cfg' from='{owner}' to='{room}'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field><field var='muc#roomconfig_persistentroom'><value>1</value></field></x></query></iq>"
    )
}

fn groupchat(user: &str, room: &str, seq: usize) -> String {
    format!(
        "<message type='groupchat' id='m{seq}' from='{user}' to='{room}'><body>move e2e4 {seq}</body></message>"
    )
}

/// Live entities in the engine's world (rooms, occupants, and whatever else features keep).
fn entities(b: &mut Bench) -> usize {
    let world = b.h.engine.world_mut();
    world
        .query::<bevy_ecs::entity::Entity>()
        .iter(world)
        .count()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo test --benches` runs this without --bench: a hundredth of the size.
    let quick = !args.iter().any(|a| a == "--bench");
    let stop_after = args
        .iter()
        .position(|a| a == "--stop-after")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let scale = args
        .iter()
        .position(|a| a == "--scale")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|&n| (1..=1000).contains(&n))
        .unwrap_or(if quick { 100 } else { 1 });
    let rooms = 10_000 / scale;
    let per_room = 10;
    let occupants = rooms * per_room;
    let big = (1_000 / scale.min(10)).max(2);
    let flood = 300;

    let mut b = Bench {
        h: Harness::new(),
        out: 0,
    };
    // Warm-up: the first room and occupant allocate the engine's tables and caches.
    b.feed(
        [
            join("warm@localhost/r", "warm@conference.localhost", "w"),
            leave("warm@localhost/r", "warm@conference.localhost", "w"),
        ]
        .into_iter(),
    );
    let base = rss();
    let base_heap = live();
    println!(
        "capacity of the in-process engine: {rooms} empty rooms, {occupants} idle occupants, a room of {big}"
    );
    println!("  resident at start: {}", mib(base as f64));
    component_sizes();

    // Empty rooms: created by an owner, made persistent, left empty.
    let t = Instant::now();
    b.feed((0..rooms).flat_map(|j| {
        let owner = format!("owner{j}@localhost/r");
        let r = room(j);
        [
            join(&owner, &r, "owner"),
            persistent(&owner, &r),
            leave(&owner, &r, "owner"),
        ]
    }));
    let with_rooms = rss();
    let rooms_heap = live();
    println!(
        "  {rooms} empty rooms: {:>7.0} bytes per room, heap {:.0}   ({:.1} s, {} entities)",
        (with_rooms as f64 - base as f64) / rooms as f64,
        (rooms_heap as f64 - base_heap as f64) / rooms as f64,
        t.elapsed().as_secs_f64(),
        entities(&mut b)
    );
    if stop_after.as_deref() == Some("rooms") {
        // Without dropping anything: a heap profiler sees the rooms as live at exit.
        std::process::exit(0);
    }

    // Idle occupants: ten distinct users in every room.
    let t = Instant::now();
    b.feed((0..occupants).map(|i| {
        let j = i % rooms;
        join(&format!("user{i}@localhost/r"), &room(j), &format!("u{i}"))
    }));
    let with_occupants = rss();
    println!(
        "  {occupants} idle occupants: {:>7.0} bytes per occupant, heap {:.0}   ({:.1} s, {} entities)",
        (with_occupants as f64 - with_rooms as f64) / occupants as f64,
        (live() as f64 - rooms_heap as f64) / occupants as f64,
        t.elapsed().as_secs_f64(),
        entities(&mut b)
    );
    if stop_after.as_deref() == Some("occupants") {
        std::process::exit(0);
    }

    // A room of `big`: the tick time of one groupchat.
    let hall = format!("hall@{DOMAIN}");
    b.h.create_instant("host@localhost/r", &hall, "host");
    drop(b.h.engine.take_store_changes());
    // A few joins per tick: 256 joins into a room of 1,000 make a quarter of a million presences
    // in one tick's output, whose memory glibc would keep and the figures below would hide in.
    let t = Instant::now();
    reset_peak();
    b.feed_in(
        8,
        (1..big).map(|i| join(&format!("fan{i}@localhost/r"), &hall, &format!("fan{i}"))),
    );
    println!(
        "  {} joins into one room: {:.1} s; resident {} (peak {})",
        big - 1,
        t.elapsed().as_secs_f64(),
        mib(rss() as f64),
        mib(peak() as f64)
    );
    let ticks = if quick { 20 } else { 300 };
    let mut times = Vec::with_capacity(ticks);
    for seq in 0..ticks {
        let from = format!("fan{}@localhost/r", 1 + seq % (big - 1));
        b.push(&groupchat(&from, &hall, seq));
        let start = Instant::now();
        let out = b.h.engine.tick(b.h.now);
        times.push(start.elapsed());
        assert_eq!(out.len(), big, "every occupant gets the message");
    }
    times.sort();
    let median = times[times.len() / 2];
    let p99 = times[(times.len() * 99 / 100).min(times.len() - 1)];
    println!(
        "  one groupchat in a room of {big}: tick median {median:.1?}, p99 {p99:.1?} ({ticks} ticks)"
    );

    // A flood: `flood` messages queued at once into the room of `big`. The service gives freed
    // memory back every 10 s; so does this, first.
    trim();
    let before_flood = rss();
    reset_peak();
    let t = Instant::now();
    let mut flood_out = 0;
    for seq in 0..flood {
        let from = format!("fan{}@localhost/r", 1 + seq % (big - 1));
        b.push(&groupchat(&from, &hall, ticks + seq));
    }
    while b.h.engine.pending() > 0 {
        flood_out += b.h.engine.tick(b.h.now).len();
    }
    let flood_time = t.elapsed();
    assert_eq!(flood_out, flood * big, "the flood reaches everyone");
    let after_flood = rss();
    let flood_peak = peak();
    trim();
    println!(
        "  {flood}-message flood into the room of {big}: {flood_out} stanzas in {flood_time:.1?}; resident {} before, {} after (peak {}), {} after malloc_trim",
        mib(before_flood as f64),
        mib(after_flood as f64),
        mib(flood_peak as f64),
        mib(rss() as f64)
    );

    // Everyone leaves; the persistent rooms stay, empty.
    let full = rss();
    let t = Instant::now();
    b.feed(
        (0..occupants)
            .map(|i| {
                let j = i % rooms;
                leave(&format!("user{i}@localhost/r"), &room(j), &format!("u{i}"))
            })
            .chain(
                (1..big).map(|i| leave(&format!("fan{i}@localhost/r"), &hall, &format!("fan{i}"))),
            )
            .chain(std::iter::once(leave("host@localhost/r", &hall, "host"))),
    );
    let left = rss();
    let trimmed = trim().then(rss);
    println!(
        "  everyone left ({:.1} s, {} entities): resident {} (with everyone {}, with the empty rooms {}){}",
        t.elapsed().as_secs_f64(),
        entities(&mut b),
        mib(left as f64),
        mib(full as f64),
        mib(with_rooms as f64),
        trimmed.map_or(String::new(), |r| format!(
            "; after malloc_trim {}",
            mib(r as f64)
        ))
    );
    println!(
        "  ({} outbound stanzas produced in all; targets: at most 1024 bytes per idle occupant)",
        b.out + flood_out
    );
}
