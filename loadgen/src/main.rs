//! palaver's end-to-end load generator (issue 12): starts Prosody or ejabberd on loopback and
//! palaver as its component, logs in K clients, and measures palaver and, in the same run, the
//! server's own MUC service the same way. Prints one table with both columns and the ratios.
//!
//! Run: `cargo build --release && cargo run --release -p loadgen -- --server prosody`
//! (README, Benchmarks, lists the options and what each row means).

mod clients;
mod procfs;
mod scenario;
mod servers;
mod xmpp;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use servers::Kind;

#[derive(Parser, Debug, Clone)]
#[command(
    name = "loadgen",
    about = "End-to-end load test of palaver beside the server's own MUC, on loopback"
)]
pub struct Args {
    /// The XMPP server to start on loopback.
    #[arg(long, value_enum, default_value = "prosody")]
    pub server: Kind,
    /// Clients to log in (at least the largest room size + 1).
    #[arg(long, default_value_t = 200)]
    pub clients: usize,
    /// Rooms for the many-rooms phase (rooms created, joins across them, memory per room).
    #[arg(long, default_value_t = 1000)]
    pub rooms: usize,
    /// Occupants joining each of those rooms after its creator.
    #[arg(long, default_value_t = 4)]
    pub joins_per_room: usize,
    /// Seconds each throughput and latency measurement lasts (after 1 s of warm-up).
    #[arg(long, default_value_t = 5.0)]
    pub duration: f64,
    /// Receivers in the throughput rooms; the latency runs in the first.
    #[arg(long, value_delimiter = ',', default_value = "20,100")]
    pub sizes: Vec<usize>,
    /// The fixed offered load of the latency run, groupchat messages per second.
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,
    /// Messages the throughput sender keeps in flight (sent, not yet received by everyone).
    #[arg(long, default_value_t = 100)]
    pub window: u64,
    /// palaver's `--connections N` (passed only when N > 1).
    #[arg(long, default_value_t = 1)]
    pub connections: usize,
    /// The palaver binary (default: `palaver` next to this program, i.e. target/release).
    #[arg(long)]
    pub palaver: Option<PathBuf>,
    /// Measure only palaver or only the server's MUC.
    #[arg(long, value_enum, default_value = "both")]
    pub only: Only,
    /// Keep the temporary directory (configurations, logs) and print where it is.
    #[arg(long)]
    pub keep: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Only {
    Both,
    Palaver,
    Muc,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(e) = check(&args) {
        eprintln!("loadgen: {e}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("loadgen: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(scenario::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn check(args: &Args) -> Result<(), String> {
    let largest = args.sizes.iter().copied().max().unwrap_or(0);
    if args.sizes.is_empty() || args.sizes.contains(&0) {
        return Err("--sizes needs room sizes of at least 1".into());
    }
    if args.clients < largest + 1 {
        return Err(format!(
            "--clients {} is too few for a room of {largest} receivers plus its sender",
            args.clients
        ));
    }
    if args.joins_per_room >= args.clients {
        return Err("--joins-per-room must be below --clients".into());
    }
    if args.rooms == 0 || args.window == 0 || args.connections == 0 {
        return Err("--rooms, --window and --connections must be at least 1".into());
    }
    if !(args.duration > 0.0 && args.duration <= 600.0) {
        return Err("--duration must be more than 0 and at most 600 seconds".into());
    }
    if !(args.rate > 0.0 && args.rate <= 100_000.0) {
        return Err("--rate must be more than 0 and at most 100000".into());
    }
    Ok(())
}
