//! A process's resident memory and CPU time, from /proc.

use std::time::Instant;

/// One reading of a process.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub at: Instant,
    /// User plus system time, in clock ticks.
    pub cpu_ticks: u64,
    pub rss_bytes: u64,
}

pub fn sample(pid: u32) -> Option<Sample> {
    let at = Instant::now();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line; `rest` starts at field 3.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(Sample {
        at,
        cpu_ticks: utime + stime,
        rss_bytes: rss_kib * 1024,
    })
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux).
pub fn ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// CPU use between two samples, in percent of one core.
pub fn cpu_percent(from: Sample, to: Sample, ticks_per_second: f64) -> f64 {
    let wall = to.at.duration_since(from.at).as_secs_f64();
    if wall <= 0.0 {
        return 0.0;
    }
    let cpu = to.cpu_ticks.saturating_sub(from.cpu_ticks) as f64 / ticks_per_second;
    100.0 * cpu / wall
}

/// The PID of the process whose command line holds every one of `needles`, if exactly one does.
pub fn find(needles: &[&str]) -> Option<u32> {
    let mut found = None;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if needles.iter().all(|n| cmdline.contains(n)) {
            if found.is_some() {
                return None;
            }
            found = Some(pid);
        }
    }
    found
}
