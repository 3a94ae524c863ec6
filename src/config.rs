//! Command line, environment and configuration file.
//!
//! Every setting is looked up on the command line first, then in the environment, then in the
//! optional RON file. Any mistake ends the process with exactly one line on stderr and exit
//! code 2, so that an operator (or systemd's journal) sees the cause at a glance.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use serde::Deserialize;
use tracing_subscriber::EnvFilter;
use xmpp_parsers::jid::BareJid;

use crate::engine::Settings;

/// An XMPP multi-user chat service (XEP-0045), run as an external component (XEP-0114).
#[derive(Parser, Debug)]
#[command(
    name = "palaver",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Without a subcommand, `palaver` runs the service.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the service (the same as giving no subcommand).
    Run(RunArgs),
    /// Tools for game rules files: check, test, explain, play.
    Rules {
        #[command(subcommand)]
        action: RulesAction,
    },
}

#[derive(Subcommand, Debug)]
pub enum RulesAction {
    /// Check rules files (default: rules/*.ron): every mistake as file:line:col, then random
    /// playouts that report games ending before any move, never ending, or ends never reached.
    Check {
        files: Vec<PathBuf>,
        /// The directory word lists and other assets are read from (default: assets)
        #[arg(long, default_value = "assets")]
        assets: PathBuf,
        /// Random games played per file
        #[arg(long, default_value_t = 200)]
        playouts: usize,
    },
    /// Replay the example games of rules files (default: rules/*.ron).
    Test {
        files: Vec<PathBuf>,
        /// The directory word lists and other assets are read from (default: assets)
        #[arg(long, default_value = "assets")]
        assets: PathBuf,
    },
    /// Describe a game in plain sentences generated from its rules (what !rules shows).
    Explain {
        file: PathBuf,
        /// The directory word lists and other assets are read from (default: assets)
        #[arg(long, default_value = "assets")]
        assets: PathBuf,
    },
    /// Play a game in the terminal; --bot SEAT lets the computer take a seat (or "all").
    Play {
        file: PathBuf,
        /// A seat the computer plays (repeatable), or "all"
        #[arg(long = "bot", value_name = "SEAT")]
        bots: Vec<String>,
        /// How many play (default: the game's minimum)
        #[arg(long)]
        players: Option<usize>,
        /// The random seed (dice, words, the computer's choices)
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The directory word lists and other assets are read from (default: assets)
        #[arg(long, default_value = "assets")]
        assets: PathBuf,
    },
}

#[derive(Args, Debug, Default, Clone)]
pub struct RunArgs {
    /// The component's domain, e.g. conference.example.org [env: PALAVER_DOMAIN]
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Option<String>,
    /// The server's component port, host:port [env: PALAVER_SERVER]
    #[arg(long, value_name = "HOST:PORT")]
    pub server: Option<String>,
    /// The component secret shared with the server [env: PALAVER_SECRET]
    #[arg(long, value_name = "SECRET")]
    pub secret: Option<String>,
    /// A configuration file in RON [env: PALAVER_CONFIG]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A service administrator's bare JID; repeat for more [env: PALAVER_ADMINS, comma-separated]
    #[arg(long = "admin", value_name = "JID")]
    pub admins: Vec<String>,
    /// The directory of game rules files [env: PALAVER_RULES] (default: rules)
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// The directory of assets such as word lists [env: PALAVER_ASSETS] (default: assets)
    #[arg(long, value_name = "DIR")]
    pub assets: Option<PathBuf>,
    /// The database: a file path or sqlite: URL (SQLite), or a postgres:// URL [env: PALAVER_DB]
    /// (default: palaver.db, in $STATE_DIRECTORY when systemd sets it)
    #[arg(long, value_name = "PATH|URL")]
    pub db: Option<String>,
    /// How many connections to open to the server (ejabberd takes several; Prosody one)
    /// [env: PALAVER_CONNECTIONS] (default: 1)
    #[arg(long, value_name = "N")]
    pub connections: Option<String>,
    /// Run as this instance of several sharing one PostgreSQL database under one domain
    /// (letters, digits, '.', '_', '-'; unique per instance) [env: PALAVER_INSTANCE]
    #[arg(long, value_name = "ID")]
    pub instance: Option<String>,
}

/// The configuration file. Unknown fields are refused so that a typo does not go unnoticed.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub domain: Option<String>,
    pub server: Option<String>,
    pub secret: Option<String>,
    pub admins: Option<Vec<String>>,
    pub lock_timeout_secs: Option<u64>,
    pub max_history: Option<u32>,
    pub max_batch: Option<usize>,
    pub seat_grace_secs: Option<u64>,
    pub max_archive: Option<usize>,
    pub archive_days: Option<u32>,
    pub rules: Option<String>,
    pub assets: Option<String>,
    pub db: Option<String>,
    pub connections: Option<usize>,
    pub instance: Option<String>,
    pub limits: Option<FileLimits>,
}

/// The `limits` section: what a stanza may be, and the allowances of users and rooms. Every
/// field is optional; README lists the defaults.
#[derive(Deserialize, Debug, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct FileLimits {
    pub max_stanza_bytes: Option<usize>,
    pub max_outbound_stanza_bytes: Option<usize>,
    pub max_nesting: Option<usize>,
    pub max_attribute_bytes: Option<usize>,
    pub max_elements: Option<usize>,
    pub max_queued_per_sender: Option<usize>,
    pub room_creation: Option<crate::muc::limits::RoomCreation>,
    pub max_rooms_per_user: Option<usize>,
    pub messages_per_minute: Option<u32>,
    pub message_burst: Option<u32>,
    pub bytes_burst: Option<u32>,
    pub bytes_per_second: Option<u32>,
    pub presences_per_minute: Option<u32>,
    pub presence_burst: Option<u32>,
    pub nick_changes_per_hour: Option<u32>,
    pub nick_change_burst: Option<u32>,
    pub invitations_per_minute: Option<u32>,
    pub invitation_burst: Option<u32>,
    pub room_messages_per_second: Option<u32>,
    pub room_message_burst: Option<u32>,
    pub requests_per_second: Option<u32>,
    pub request_burst: Option<u32>,
}

/// Everything `palaver` needs to run the service.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    /// `host:port` of the server's component listener.
    pub server: String,
    pub secret: String,
    /// Where the games' rules files are.
    pub rules_dir: PathBuf,
    /// Where word lists are.
    pub assets_dir: PathBuf,
    /// The database URL or SQLite file.
    pub db: String,
    /// What one inbound stanza may be.
    pub stanza_limits: crate::link::Limits,
    /// The largest stanza palaver writes.
    pub max_outbound_stanza_bytes: usize,
    /// Rates and room creation.
    pub allowances: crate::muc::limits::Allowances,
    /// How many connections to open to the server.
    pub connections: usize,
    /// Cluster mode: this instance's id among several sharing the database.
    pub instance: Option<String>,
}

/// A configuration mistake; its `Display` is the one line printed after `palaver: `.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{flag} is missing (or set {env})")]
    Missing {
        flag: &'static str,
        env: &'static str,
    },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
    #[error("cannot read config file {path}: {message}")]
    Unreadable { path: String, message: String },
    #[error("{path}:{line}:{col}: {message}")]
    Syntax {
        path: String,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("{0}")]
    Usage(String),
}

/// Where a value came from, for error messages.
#[derive(Debug, Clone, Copy)]
enum Origin<'a> {
    Flag(&'static str),
    Env(&'static str),
    File(&'a Path, &'static str),
}

impl Origin<'_> {
    fn describe(&self, value: &str) -> String {
        match self {
            Origin::Flag(flag) => format!("{flag} {value:?}"),
            Origin::Env(var) => format!("{var}={value:?}"),
            Origin::File(path, field) => format!("{}: {field} {value:?}", path.display()),
        }
    }
}

/// Picks a value: command line, then environment, then file.
fn pick<'a>(
    cli: Option<String>,
    flag: &'static str,
    env: &dyn Fn(&str) -> Option<String>,
    var: &'static str,
    file: Option<String>,
    path: Option<&'a Path>,
    field: &'static str,
) -> Option<(String, Origin<'a>)> {
    if let Some(v) = cli {
        return Some((v, Origin::Flag(flag)));
    }
    // An empty variable counts as unset, as shells and unit files often leave them empty.
    if let Some(v) = env(var).filter(|v| !v.is_empty()) {
        return Some((v, Origin::Env(var)));
    }
    match (file, path) {
        (Some(v), Some(p)) => Some((v, Origin::File(p, field))),
        _ => None,
    }
}

fn invalid(origin: Origin<'_>, value: &str, message: impl std::fmt::Display) -> ConfigError {
    ConfigError::Invalid {
        origin: origin.describe(value),
        message: one_line(&message.to_string()),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads and parses the RON configuration file.
pub fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Unreadable {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    parse_file(path, &text)
}

fn parse_file(path: &Path, text: &str) -> Result<FileConfig, ConfigError> {
    // Implicit `Some` lets the file say `domain: "x"` rather than `domain: Some("x")`.
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(text)
        .map_err(|e: ron::error::SpannedError| ConfigError::Syntax {
            path: path.display().to_string(),
            line: e.span.start.line,
            col: e.span.start.col,
            message: one_line(&e.code.to_string()),
        })
}

/// Checks `host:port` without resolving it (the link resolves on every connection attempt, so
/// that a server whose address changes is still found).
fn check_server(value: &str, origin: Origin<'_>) -> Result<(), ConfigError> {
    let Some((host, port)) = value.rsplit_once(':') else {
        return Err(invalid(origin, value, "expected host:port"));
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(invalid(origin, value, "expected host:port"));
    }
    if host.contains(':') && !(host.starts_with('[') && host.ends_with(']')) {
        return Err(invalid(
            origin,
            value,
            "write an IPv6 address as [addr]:port",
        ));
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(()),
        _ => Err(invalid(
            origin,
            value,
            "the port must be a number from 1 to 65535",
        )),
    }
}

fn parse_domain(value: &str, origin: Origin<'_>) -> Result<BareJid, ConfigError> {
    let jid = BareJid::from_str(value).map_err(|e| invalid(origin, value, e))?;
    if jid.node().is_some() {
        return Err(invalid(origin, value, "expected a domain, not a user JID"));
    }
    Ok(jid)
}

fn parse_admin(value: &str, origin: Origin<'_>) -> Result<BareJid, ConfigError> {
    BareJid::from_str(value.trim())
        .map_err(|e| invalid(origin, value, format!("not a bare JID: {e}")))
}

/// Resolves the command line against the environment (`env`) and the configuration file.
pub fn resolve(args: RunArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
    let path = args.config.clone().or_else(|| {
        env("PALAVER_CONFIG")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    let file = match &path {
        Some(p) => read_file(p)?,
        None => FileConfig::default(),
    };
    let path = path.as_deref();

    let (domain, origin) = pick(
        args.domain,
        "--domain",
        env,
        "PALAVER_DOMAIN",
        file.domain,
        path,
        "domain",
    )
    .ok_or(ConfigError::Missing {
        flag: "--domain",
        env: "PALAVER_DOMAIN",
    })?;
    let domain = parse_domain(&domain, origin)?;

    let (server, origin) = pick(
        args.server,
        "--server",
        env,
        "PALAVER_SERVER",
        file.server,
        path,
        "server",
    )
    .ok_or(ConfigError::Missing {
        flag: "--server",
        env: "PALAVER_SERVER",
    })?;
    check_server(&server, origin)?;

    let (secret, origin) = pick(
        args.secret,
        "--secret",
        env,
        "PALAVER_SECRET",
        file.secret,
        path,
        "secret",
    )
    .ok_or(ConfigError::Missing {
        flag: "--secret",
        env: "PALAVER_SECRET",
    })?;
    if secret.is_empty() {
        return Err(invalid(origin, "", "the secret must not be empty"));
    }

    // A list from a higher source replaces, not extends, a lower one, like every other setting.
    let admins = if !args.admins.is_empty() {
        args.admins
            .iter()
            .map(|a| parse_admin(a, Origin::Flag("--admin")))
            .collect::<Result<Vec<_>, _>>()?
    } else if let Some(list) = env("PALAVER_ADMINS").filter(|v| !v.trim().is_empty()) {
        list.split(',')
            .filter(|a| !a.trim().is_empty())
            .map(|a| parse_admin(a, Origin::Env("PALAVER_ADMINS")))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        let list = file.admins.unwrap_or_default();
        let origin = Origin::File(path.unwrap_or(Path::new("")), "admins");
        list.iter()
            .map(|a| parse_admin(a, origin))
            .collect::<Result<Vec<_>, _>>()?
    };

    let mut settings = Settings::new(domain);
    settings.admins = admins;
    if let Some(secs) = file.lock_timeout_secs {
        settings.lock_timeout = Duration::from_secs(secs);
    }
    if let Some(n) = file.max_history {
        settings.max_history = n;
    }
    if let Some(secs) = file.seat_grace_secs {
        settings.seat_grace = Duration::from_secs(secs);
    }
    if let Some(n) = file.max_archive {
        settings.max_archive = n;
    }
    if let Some(n) = file.archive_days {
        settings.archive_days = n;
    }
    if let Some(n) = file.max_batch {
        if n == 0 {
            let origin = Origin::File(path.unwrap_or(Path::new("")), "max_batch");
            return Err(invalid(origin, "0", "must be at least 1"));
        }
        settings.max_batch = n;
    }
    let limits = file.limits.clone().unwrap_or_default();
    let limits_origin = |field: &'static str| Origin::File(path.unwrap_or(Path::new("")), field);
    let mut stanza_limits = crate::link::Limits::default();
    let mut max_outbound_stanza_bytes = crate::link::LinkConfig::DEFAULT_MAX_STANZA_BYTES;
    let at_least = |value: usize, min: usize, field: &'static str| {
        if value < min {
            Err(invalid(
                limits_origin(field),
                &value.to_string(),
                format!("must be at least {min}"),
            ))
        } else {
            Ok(value)
        }
    };
    if let Some(n) = limits.max_stanza_bytes {
        stanza_limits.max_stanza_bytes = at_least(n, 4096, "limits.max_stanza_bytes")?;
    }
    if let Some(n) = limits.max_outbound_stanza_bytes {
        max_outbound_stanza_bytes = at_least(n, 16384, "limits.max_outbound_stanza_bytes")?;
    }
    if let Some(n) = limits.max_nesting {
        stanza_limits.max_depth = at_least(n, 8, "limits.max_nesting")?;
    }
    if let Some(n) = limits.max_attribute_bytes {
        stanza_limits.max_attribute_bytes = at_least(n, 3072, "limits.max_attribute_bytes")?;
    }
    if let Some(n) = limits.max_elements {
        stanza_limits.max_elements = at_least(n, 64, "limits.max_elements")?;
    }
    if let Some(n) = limits.max_queued_per_sender {
        settings.max_queued_per_sender = at_least(n, 1, "limits.max_queued_per_sender")?;
    }
    let mut allowances = crate::muc::limits::Allowances::default();
    macro_rules! allow {
        ($($field:ident),*) => {
            $(if let Some(v) = limits.$field {
                allowances.$field = v;
            })*
        };
    }
    allow!(
        room_creation,
        max_rooms_per_user,
        messages_per_minute,
        message_burst,
        bytes_burst,
        bytes_per_second,
        presences_per_minute,
        presence_burst,
        nick_changes_per_hour,
        nick_change_burst,
        invitations_per_minute,
        invitation_burst,
        room_messages_per_second,
        room_message_burst,
        requests_per_second,
        request_burst
    );
    let rules_dir = pick(
        args.rules.map(|p| p.display().to_string()),
        "--rules",
        env,
        "PALAVER_RULES",
        file.rules,
        path,
        "rules",
    )
    .map_or_else(|| PathBuf::from("rules"), |(v, _)| PathBuf::from(v));
    let assets_dir = pick(
        args.assets.map(|p| p.display().to_string()),
        "--assets",
        env,
        "PALAVER_ASSETS",
        file.assets,
        path,
        "assets",
    )
    .map_or_else(|| PathBuf::from("assets"), |(v, _)| PathBuf::from(v));
    let connections = match pick(
        args.connections,
        "--connections",
        env,
        "PALAVER_CONNECTIONS",
        file.connections.map(|n| n.to_string()),
        path,
        "connections",
    ) {
        None => 1,
        Some((value, origin)) => match value.trim().parse::<usize>() {
            Ok(n) if (1..=64).contains(&n) => n,
            _ => return Err(invalid(origin, &value, "must be a number from 1 to 64")),
        },
    };
    let db = pick(args.db, "--db", env, "PALAVER_DB", file.db, path, "db")
        .map(|(v, _)| v)
        .unwrap_or_else(|| default_db(env));
    let instance = match pick(
        args.instance,
        "--instance",
        env,
        "PALAVER_INSTANCE",
        file.instance,
        path,
        "instance",
    ) {
        None => None,
        Some((id, origin)) => {
            let fine = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
            if id.is_empty() || id.len() > 64 || !id.chars().all(fine) {
                return Err(invalid(
                    origin,
                    &id,
                    "must be 1 to 64 letters, digits, '.', '_' or '-'",
                ));
            }
            if !(db.starts_with("postgres://") || db.starts_with("postgresql://")) {
                return Err(invalid(
                    origin,
                    &id,
                    "several instances share one PostgreSQL database: set --db postgres://…",
                ));
            }
            Some(id)
        }
    };
    Ok(Config {
        settings,
        server,
        secret,
        rules_dir,
        assets_dir,
        db,
        stanza_limits,
        max_outbound_stanza_bytes,
        allowances,
        connections,
        instance,
    })
}

/// `palaver.db` in systemd's state directory when it gives one, else in the working directory.
fn default_db(env: &dyn Fn(&str) -> Option<String>) -> String {
    match env("STATE_DIRECTORY").filter(|d| !d.is_empty()) {
        // systemd may list several directories separated by colons; the first is ours.
        Some(dirs) => {
            let first = dirs.split(':').next().unwrap_or_default();
            Path::new(first).join("palaver.db").display().to_string()
        }
        None => "palaver.db".to_owned(),
    }
}

/// Parses the command line; `Ok(None)` when clap already printed help or the version.
fn parse_cli(
    argv: impl IntoIterator<Item = std::ffi::OsString>,
) -> Result<Option<Cli>, ConfigError> {
    match Cli::try_parse_from(argv) {
        Ok(cli) => Ok(Some(cli)),
        Err(e) => match e.kind() {
            clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                // Help and version are what was asked for, not errors.
                let _ = e.print();
                Ok(None)
            }
            _ => {
                // clap renders a paragraph with usage; keep its first line only.
                let rendered = e.render().to_string();
                let first = rendered.lines().next().unwrap_or_default();
                let first = first.strip_prefix("error: ").unwrap_or(first);
                Err(ConfigError::Usage(format!(
                    "{} (see palaver --help)",
                    one_line(first)
                )))
            }
        },
    }
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn init_tracing() -> Result<(), ConfigError> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.is_empty() => {
            EnvFilter::try_new(&spec).map_err(|e| ConfigError::Invalid {
                origin: format!("RUST_LOG={spec:?}"),
                message: one_line(&e.to_string()),
            })?
        }
        _ => EnvFilter::new("info"),
    };
    // Logs go to stderr so that stdout stays free for future subcommands' output.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only help on a terminal; in files and journals they are noise.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    Ok(())
}

fn config_error(e: &ConfigError) -> ExitCode {
    eprintln!("palaver: {e}");
    ExitCode::from(2)
}

fn rules_command(action: RulesAction) -> ExitCode {
    use crate::game::cli;
    match action {
        RulesAction::Check {
            files,
            assets,
            playouts,
        } => cli::check(&files, &assets, playouts),
        RulesAction::Test { files, assets } => cli::test(&files, &assets),
        RulesAction::Explain { file, assets } => cli::explain(&file, &assets),
        RulesAction::Play {
            file,
            bots,
            players,
            seed,
            assets,
        } => cli::play(&file, &assets, &bots, players, seed),
    }
}

pub fn main() -> ExitCode {
    let cli = match parse_cli(std::env::args_os()) {
        Ok(Some(cli)) => cli,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => return config_error(&e),
    };
    let args = match cli.command {
        Some(Command::Run(args)) => args,
        Some(Command::Rules { action }) => return rules_command(action),
        None => cli.run,
    };
    let config = match resolve(args, &env_var) {
        Ok(c) => c,
        Err(e) => return config_error(&e),
    };
    if let Err(e) = init_tracing() {
        return config_error(&e);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("palaver: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(crate::service::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One plain line, whatever the log filter: the operator must see why.
            eprintln!("palaver: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::io::Write;

    fn args(argv: &[&str]) -> RunArgs {
        let argv = std::iter::once("palaver")
            .chain(argv.iter().copied())
            .map(Into::into);
        match parse_cli(argv) {
            Ok(Some(Cli {
                command: Some(Command::Run(a)),
                ..
            })) => a,
            Ok(Some(cli)) => cli.run,
            other => panic!("command line did not parse: {other:?}"),
        }
    }

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn no_env() -> impl Fn(&str) -> Option<String> + use<> {
        env(&[])
    }

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(text.as_bytes()).expect("write temp file");
        f
    }

    const FULL: &[&str] = &[
        "--domain",
        "conference.localhost",
        "--server",
        "127.0.0.1:5347",
        "--secret",
        "s",
    ];

    #[test]
    fn command_line_alone_is_enough() {
        let c = resolve(args(FULL), &no_env()).expect("valid");
        assert_eq!(c.settings.domain.to_string(), "conference.localhost");
        assert_eq!(c.server, "127.0.0.1:5347");
        assert_eq!(c.secret, "s");
        assert!(c.settings.admins.is_empty());
        assert_eq!(c.settings.lock_timeout, Duration::from_secs(300));
    }

    #[test]
    fn database_games_and_assets_have_defaults_and_overrides() {
        let c = resolve(args(FULL), &no_env()).expect("valid");
        assert_eq!(c.db, "palaver.db");
        assert_eq!(c.rules_dir, PathBuf::from("rules"));
        assert_eq!(c.assets_dir, PathBuf::from("assets"));
        let systemd = env(&[("STATE_DIRECTORY", "/var/lib/palaver:/other")]);
        let c = resolve(args(FULL), &systemd).expect("valid");
        assert_eq!(c.db, "/var/lib/palaver/palaver.db");
        let e = env(&[("PALAVER_DB", "postgres://palaver@127.0.0.1/palaver")]);
        let c = resolve(args(FULL), &e).expect("valid");
        assert_eq!(c.db, "postgres://palaver@127.0.0.1/palaver");
        let mut argv = FULL.to_vec();
        argv.extend_from_slice(&["--db", "sqlite:/tmp/x.db", "--rules", "/srv/rules"]);
        let c = resolve(args(&argv), &e).expect("valid");
        assert_eq!(c.db, "sqlite:/tmp/x.db");
        assert_eq!(c.rules_dir, PathBuf::from("/srv/rules"));
    }

    #[test]
    fn run_subcommand_is_the_same_as_none() {
        let mut argv = vec!["run"];
        argv.extend_from_slice(FULL);
        let c = resolve(args(&argv), &no_env()).expect("valid");
        assert_eq!(c.settings.domain.to_string(), "conference.localhost");
    }

    #[test]
    fn environment_fills_what_the_command_line_lacks() {
        let e = env(&[
            ("PALAVER_DOMAIN", "muc.example.org"),
            ("PALAVER_SERVER", "localhost:5347"),
            ("PALAVER_SECRET", "env-secret"),
            ("PALAVER_ADMINS", "a@example.org, b@example.org"),
        ]);
        let c = resolve(args(&["--secret", "cli-secret"]), &e).expect("valid");
        assert_eq!(c.settings.domain.to_string(), "muc.example.org");
        assert_eq!(c.server, "localhost:5347");
        assert_eq!(c.secret, "cli-secret");
        let admins: Vec<String> = c.settings.admins.iter().map(|a| a.to_string()).collect();
        assert_eq!(admins, ["a@example.org", "b@example.org"]);
    }

    #[test]
    fn file_is_the_last_resort() {
        let f = file(
            r#"(domain: "conference.localhost", server: "127.0.0.1:5347", secret: "file",
                admins: ["admin@localhost"], lock_timeout_secs: 60, max_history: 20, max_batch: 8,
                seat_grace_secs: 5, max_archive: 500, archive_days: 7)"#,
        );
        let path = f.path().to_str().expect("utf-8 temp path");
        let e = env(&[("PALAVER_SECRET", "env")]);
        let c = resolve(args(&["--config", path, "--server", "10.0.0.1:5000"]), &e).expect("valid");
        assert_eq!(c.server, "10.0.0.1:5000");
        assert_eq!(c.secret, "env");
        assert_eq!(c.settings.domain.to_string(), "conference.localhost");
        assert_eq!(c.settings.admins.len(), 1);
        assert_eq!(c.settings.lock_timeout, Duration::from_secs(60));
        assert_eq!(c.settings.max_history, 20);
        assert_eq!(c.settings.seat_grace, Duration::from_secs(5));
        assert_eq!(c.settings.max_batch, 8);
        assert_eq!(c.settings.max_archive, 500);
        assert_eq!(c.settings.archive_days, 7);

        // The file may also be named by the environment.
        let e = env(&[("PALAVER_CONFIG", path)]);
        let c = resolve(args(&["--admin", "x@y"]), &e).expect("valid");
        assert_eq!(c.secret, "file");
        assert_eq!(c.settings.admins[0].to_string(), "x@y");
    }

    #[test]
    fn an_instance_id_needs_postgres() {
        assert_eq!(
            resolve(args(FULL), &no_env()).expect("valid").instance,
            None
        );
        let mut argv = FULL.to_vec();
        argv.extend_from_slice(&["--instance", "a", "--db", "postgres://u@h/palaver"]);
        let c = resolve(args(&argv), &no_env()).expect("valid");
        assert_eq!(c.instance.as_deref(), Some("a"));
        let e = env(&[("PALAVER_INSTANCE", "node-1")]);
        let err = resolve(args(FULL), &e).expect_err("sqlite");
        assert_eq!(
            err.to_string(),
            "PALAVER_INSTANCE=\"node-1\": several instances share one PostgreSQL database: \
             set --db postgres://…"
        );
        let mut argv = FULL.to_vec();
        argv.extend_from_slice(&["--instance", "a b", "--db", "postgres://u@h/palaver"]);
        let err = resolve(args(&argv), &no_env()).expect_err("space");
        assert_eq!(
            err.to_string(),
            "--instance \"a b\": must be 1 to 64 letters, digits, '.', '_' or '-'"
        );
    }

    #[test]
    fn limits_come_from_the_file_and_are_checked() {
        let c = resolve(args(FULL), &no_env()).expect("valid");
        assert_eq!(c.stanza_limits, crate::link::Limits::default());
        assert_eq!(c.allowances, crate::muc::limits::Allowances::default());
        let f = file(
            r#"(limits: (max_stanza_bytes: 65536, max_nesting: 16, room_creation: Anyone,
                max_rooms_per_user: 3, messages_per_minute: 30))"#,
        );
        let path = f.path().to_str().expect("utf-8 temp path");
        let mut argv = FULL.to_vec();
        argv.extend_from_slice(&["--config", path]);
        let c = resolve(args(&argv), &no_env()).expect("valid");
        assert_eq!(c.stanza_limits.max_stanza_bytes, 65536);
        assert_eq!(c.stanza_limits.max_depth, 16);
        assert_eq!(
            c.allowances.room_creation,
            crate::muc::limits::RoomCreation::Anyone
        );
        assert_eq!(c.allowances.max_rooms_per_user, 3);
        assert_eq!(c.allowances.messages_per_minute, 30);
        assert_eq!(c.connections, 1);
        let mut argv = FULL.to_vec();
        argv.extend_from_slice(&["--connections", "4"]);
        assert_eq!(
            resolve(args(&argv), &no_env()).expect("valid").connections,
            4
        );
        let e = env(&[("PALAVER_CONNECTIONS", "0")]);
        let err = resolve(args(FULL), &e).expect_err("zero links");
        assert_eq!(
            err.to_string(),
            r#"PALAVER_CONNECTIONS="0": must be a number from 1 to 64"#
        );
        let f = file("(limits: (max_nesting: 2))");
        let path = f.path().to_str().expect("utf-8 temp path");
        let mut argv = FULL.to_vec();
        argv.extend_from_slice(&["--config", path]);
        let e = resolve(args(&argv), &no_env()).expect_err("too shallow");
        assert!(
            e.to_string()
                .ends_with(r#"limits.max_nesting "2": must be at least 8"#),
            "{e}"
        );
        let f = file("(limits: (max_nestin: 20))");
        let path = f.path().to_str().expect("utf-8 temp path");
        let mut argv = FULL.to_vec();
        argv.extend_from_slice(&["--config", path]);
        let e = resolve(args(&argv), &no_env()).expect_err("a typo");
        assert!(e.to_string().contains("max_nestin"), "{e}");
    }

    #[test]
    fn missing_settings_name_flag_and_variable() {
        let e = resolve(args(&[]), &no_env()).expect_err("nothing given");
        assert_eq!(e.to_string(), "--domain is missing (or set PALAVER_DOMAIN)");
        let e =
            resolve(args(&["--domain", "c.l", "--secret", "s"]), &no_env()).expect_err("no server");
        assert_eq!(e.to_string(), "--server is missing (or set PALAVER_SERVER)");
        let e = resolve(args(&["--domain", "c.l", "--server", "h:1"]), &no_env())
            .expect_err("no secret");
        assert_eq!(e.to_string(), "--secret is missing (or set PALAVER_SECRET)");
    }

    #[test]
    fn bad_values_are_named_with_their_origin() {
        let mut argv = FULL.to_vec();
        argv[1] = "alice@localhost";
        let e = resolve(args(&argv), &no_env()).expect_err("user JID as domain");
        assert_eq!(
            e.to_string(),
            "--domain \"alice@localhost\": expected a domain, not a user JID"
        );

        let e = resolve(
            args(&["--domain", "c.l", "--secret", "s"]),
            &env(&[("PALAVER_SERVER", "localhost")]),
        )
        .expect_err("no port");
        assert_eq!(
            e.to_string(),
            "PALAVER_SERVER=\"localhost\": expected host:port"
        );

        let mut argv = FULL.to_vec();
        argv[3] = "127.0.0.1:99999";
        let e = resolve(args(&argv), &no_env()).expect_err("port out of range");
        assert!(
            e.to_string()
                .starts_with("--server \"127.0.0.1:99999\": the port"),
            "{e}"
        );

        let mut argv = FULL.to_vec();
        argv.extend(["--admin", "a@b/c"]);
        let e = resolve(args(&argv), &no_env()).expect_err("full JID as admin");
        assert!(
            e.to_string()
                .starts_with("--admin \"a@b/c\": not a bare JID"),
            "{e}"
        );
    }

    #[test]
    fn ipv6_server_needs_brackets() {
        let mut argv = FULL.to_vec();
        argv[3] = "[::1]:5347";
        assert!(resolve(args(&argv), &no_env()).is_ok());
        argv[3] = "::1:5347";
        assert!(resolve(args(&argv), &no_env()).is_err());
    }

    #[test]
    fn config_file_errors_are_one_line_with_position() {
        let f = file("(domain: \"c.l\",\n  secret: 5)\n");
        let path = f.path().to_str().expect("utf-8 temp path");
        let e = resolve(args(&["--config", path]), &no_env()).expect_err("bad type");
        let line = e.to_string();
        assert!(line.starts_with(&format!("{path}:2:")), "{line}");
        assert!(!line.contains('\n'));

        let f = file("(domian: \"c.l\")");
        let path = f.path().to_str().expect("utf-8 temp path");
        let e = resolve(args(&["--config", path]), &no_env()).expect_err("unknown field");
        assert!(e.to_string().contains("domian"), "{e}");

        let e = resolve(args(&["--config", "/nonexistent/palaver.ron"]), &no_env())
            .expect_err("no such file");
        assert!(
            e.to_string()
                .starts_with("cannot read config file /nonexistent/palaver.ron: "),
            "{e}"
        );
    }

    #[test]
    fn usage_errors_are_one_line() {
        let argv = ["palaver", "--frobnicate"].map(Into::into);
        let e = parse_cli(argv).expect_err("unknown flag");
        let line = e.to_string();
        assert!(line.contains("--frobnicate"), "{line}");
        assert!(line.ends_with("(see palaver --help)"), "{line}");
        assert!(!line.contains('\n'));
    }
}
