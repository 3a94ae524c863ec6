//! The XMPP servers the end-to-end tests run behind: a real Prosody or a real ejabberd, each on
//! free loopback ports with its own generated configuration and data in a temporary directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::{DOMAIN, PASSWORD, SECRET, USERS, free_port, stop, tail, wait_for_port};

/// Which server a test runs behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Prosody,
    Ejabberd,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Prosody => "prosody",
            Kind::Ejabberd => "ejabberd",
        }
    }

    /// Whether this run includes the server. `PALAVER_E2E_SERVERS` (e.g. `prosody`) narrows a
    /// local run; under `CI=true` every server runs, so that a missing one fails the build.
    pub fn selected(self) -> bool {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            return true;
        }
        match std::env::var("PALAVER_E2E_SERVERS") {
            Ok(list) => list
                .split(',')
                .any(|s| s.trim().eq_ignore_ascii_case(self.name())),
            Err(_) => true,
        }
    }
}

/// A running server of either kind.
pub enum Server {
    Prosody(Prosody),
    Ejabberd(Ejabberd),
}

impl Server {
    pub fn start(kind: Kind) -> Server {
        match kind {
            Kind::Prosody => Server::Prosody(Prosody::start()),
            Kind::Ejabberd => Server::Ejabberd(Ejabberd::start()),
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Server::Prosody(_) => Kind::Prosody,
            Server::Ejabberd(_) => Kind::Ejabberd,
        }
    }

    /// The temporary directory the server's files (and palaver's database) live in.
    pub fn dir(&self) -> &Path {
        match self {
            Server::Prosody(s) => s.dir.path(),
            Server::Ejabberd(s) => s.dir.path(),
        }
    }

    pub fn c2s_port(&self) -> u16 {
        match self {
            Server::Prosody(s) => s.c2s_port,
            Server::Ejabberd(s) => s.c2s_port,
        }
    }

    pub fn component_port(&self) -> u16 {
        match self {
            Server::Prosody(s) => s.component_port,
            Server::Ejabberd(s) => s.component_port,
        }
    }

    /// Stops the server process (the data stays).
    pub fn kill(&mut self) {
        match self {
            Server::Prosody(s) => s.kill(),
            Server::Ejabberd(s) => s.kill(),
        }
    }

    /// Starts the stopped server again on the same ports and data.
    pub fn launch(&mut self) {
        match self {
            Server::Prosody(s) => s.launch(),
            Server::Ejabberd(s) => s.launch(),
        }
    }

    pub fn tails(&self) -> String {
        match self {
            Server::Prosody(s) => s.tails(),
            Server::Ejabberd(s) => s.tails(),
        }
    }
}

fn installed(commands: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {commands}")])
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// A Prosody on loopback with its own config, data and log in a temporary directory.
pub struct Prosody {
    child: Option<Child>,
    pub dir: TempDir,
    pub c2s_port: u16,
    pub component_port: u16,
    pub config: PathBuf,
    pub log: PathBuf,
}

impl Prosody {
    pub fn start() -> Prosody {
        assert!(
            installed("prosody && command -v prosodyctl"),
            "prosody is not installed: the end-to-end tests need a real Prosody 0.12 \
             (on Debian: apt-get install -y prosody)"
        );
        let dir = tempfile::Builder::new()
            .prefix("palaver-e2e-prosody-")
            .tempdir()
            .expect("temp dir");
        let c2s_port = free_port();
        let component_port = free_port();
        let config = dir.path().join("prosody.cfg.lua");
        let log = dir.path().join("prosody.log");
        std::fs::create_dir_all(dir.path().join("data")).expect("data dir");
        std::fs::create_dir_all(dir.path().join("certs")).expect("certs dir");
        std::fs::write(
            &config,
            prosody_config(dir.path(), c2s_port, component_port, DOMAIN, SECRET),
        )
        .expect("write prosody config");
        let mut prosody = Prosody {
            child: None,
            dir,
            c2s_port,
            component_port,
            config,
            log,
        };
        for user in USERS {
            prosody.register(user, PASSWORD);
        }
        prosody.launch();
        prosody
    }

    /// Starts (or restarts) the server process and waits for both ports.
    pub fn launch(&mut self) {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("prosody.out"))
            .expect("prosody.out");
        let child = Command::new("prosody")
            .arg("--config")
            .arg(&self.config)
            .arg("-F")
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("dup"))
            .stderr(out)
            .spawn()
            .expect("cannot start prosody");
        self.child = Some(child);
        let up = wait_for_port(self.c2s_port, Duration::from_secs(10))
            && wait_for_port(self.component_port, Duration::from_secs(10));
        assert!(up, "prosody did not open its ports\n{}", self.tails());
    }

    /// Stops the server process (the data stays).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child);
        }
    }

    pub fn register(&self, user: &str, password: &str) {
        let out = Command::new("prosodyctl")
            .arg("--config")
            .arg(&self.config)
            .args(["register", user, "localhost", password])
            .output()
            .expect("cannot run prosodyctl");
        assert!(
            out.status.success(),
            "prosodyctl register {user} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn tails(&self) -> String {
        format!(
            "--- prosody.log (tail) ---\n{}\n--- prosody stdout/stderr (tail) ---\n{}",
            tail(&self.log, 40),
            tail(&self.dir.path().join("prosody.out"), 20)
        )
    }
}

impl Drop for Prosody {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn prosody_config(
    dir: &Path,
    c2s_port: u16,
    component_port: u16,
    domain: &str,
    secret: &str,
) -> String {
    let d = dir.display();
    format!(
        r#"-- Generated for palaver's end-to-end tests: loopback only, no TLS, no s2s, no http.
run_as_root = true
daemonize = false
pidfile = "{d}/prosody.pid"
data_path = "{d}/data"
certificates = "{d}/certs"
log = {{ {{ levels = {{ min = "debug" }}, to = "file", filename = "{d}/prosody.log" }} }}
interfaces = {{ "127.0.0.1" }}
c2s_ports = {{ {c2s_port} }}
c2s_interfaces = {{ "127.0.0.1" }}
c2s_direct_tls_ports = {{}}
legacy_ssl_ports = {{}}
component_ports = {{ {component_port} }}
component_interfaces = {{ "127.0.0.1" }}
s2s_ports = {{}}
http_ports = {{}}
https_ports = {{}}
modules_enabled = {{ "roster"; "saslauth"; "disco"; "ping"; "posix" }}
modules_disabled = {{ "s2s"; "tls" }}
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_plain"
storage = "internal"

VirtualHost "localhost"

Component "{domain}"
    component_secret = "{secret}"
"#
    )
}

/// Distinguishes the ejabberd nodes this process starts (tests run in parallel).
static NODES: AtomicUsize = AtomicUsize::new(0);

/// An ejabberd on loopback, started by `ejabberdctl` from a generated configuration, with its
/// own Erlang node name and distribution port (so no shared `epmd` is involved), spool and logs
/// in a temporary directory owned by the `ejabberd` user; stopped by PID.
pub struct Ejabberd {
    pub dir: TempDir,
    pub c2s_port: u16,
    pub component_port: u16,
    node: String,
    pid: Option<u32>,
}

impl Ejabberd {
    pub fn start() -> Ejabberd {
        Ejabberd::start_balanced(None)
    }

    /// An ejabberd whose router spreads palaver's domain over `slots` connections by the bare
    /// destination (`domain_balancing` with `component_number`): each room on one connection.
    #[allow(dead_code)] // the cluster test's
    pub fn start_balanced(slots: Option<usize>) -> Ejabberd {
        assert!(
            installed("ejabberdctl"),
            "ejabberd is not installed: the end-to-end tests also run behind a real ejabberd \
             23.01 (on Debian: apt-get install -y ejabberd; PALAVER_E2E_SERVERS=prosody runs \
             the Prosody half alone, except under CI=true)"
        );
        // A port picked free may be taken before ejabberd binds it (by another test's server
        // or an outgoing connection's ephemeral port): try again with other ports.
        let mut attempt = 0;
        let ejabberd = loop {
            attempt += 1;
            let mut ejabberd = Ejabberd::prepare(slots);
            match ejabberd.try_launch() {
                Ok(()) => break ejabberd,
                Err(why) if attempt < 3 => {
                    eprintln!("ejabberd did not start ({why}); trying other ports");
                    // The node may be up without its listeners: stop it either way.
                    let _ = ejabberd
                        .ctl()
                        .arg("stop")
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .status();
                    ejabberd.kill();
                }
                Err(why) => panic!("{why}"),
            }
        };
        // One ejabberdctl (an Erlang VM) per account: run them side by side.
        let registrations: Vec<_> = USERS
            .iter()
            .map(|user| {
                let child = ejabberd
                    .ctl()
                    .args(["register", user, "localhost", PASSWORD])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("cannot run ejabberdctl");
                (user, child)
            })
            .collect();
        for (user, child) in registrations {
            let mut out = child.wait_with_output().expect("ejabberdctl register");
            // A loaded machine makes an ejabberdctl time out now and then: try that one again,
            // alone (an account already there is fine).
            for _ in 0..3 {
                if out.status.success() || String::from_utf8_lossy(&out.stdout).contains("already")
                {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_secs(1));
                out = ejabberd
                    .ctl()
                    .args(["register", user, "localhost", PASSWORD])
                    .output()
                    .expect("cannot run ejabberdctl");
            }
            assert!(
                out.status.success() || String::from_utf8_lossy(&out.stdout).contains("already"),
                "ejabberdctl register {user} failed: {}{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                ejabberd.tails()
            );
        }
        ejabberd
    }

    /// A fresh directory, ports, configuration and node name.
    fn prepare(slots: Option<usize>) -> Ejabberd {
        let dir = tempfile::Builder::new()
            .prefix("palaver-e2e-ejabberd-")
            .tempdir()
            .expect("temp dir");
        let c2s_port = free_port();
        let component_port = free_port();
        let dist_port = free_port();
        let d = dir.path();
        std::fs::create_dir_all(d.join("spool")).expect("spool dir");
        std::fs::create_dir_all(d.join("logs")).expect("logs dir");
        std::fs::write(
            d.join("ejabberd.yml"),
            ejabberd_config(c2s_port, component_port, DOMAIN, SECRET)
                + &slots.map(|n| balancing(DOMAIN, n)).unwrap_or_default(),
        )
        .expect("write ejabberd.yml");
        std::fs::write(
            d.join("ejabberdctl.cfg"),
            format!(
                "INET_DIST_INTERFACE=127.0.0.1\nERL_EPMD_ADDRESS=127.0.0.1\n\
                 ERL_DIST_PORT={dist_port}\nEJABBERD_PID_PATH={}/ejabberd.pid\n",
                d.display()
            ),
        )
        .expect("write ejabberdctl.cfg");
        std::fs::write(
            d.join("inetrc"),
            "{lookup,[\"file\",\"native\"]}.\n{host,{127,0,0,1}, [\"localhost\"]}.\n",
        )
        .expect("write inetrc");
        // ejabberdctl runs the node as the ejabberd user, which must own its files.
        let owned = Command::new("chown")
            .args(["-R", "ejabberd:"])
            .arg(d)
            .status()
            .is_ok_and(|s| s.success());
        assert!(owned, "cannot give {} to the ejabberd user", d.display());
        let node = format!(
            "palaver_e2e_{}_{}@localhost",
            std::process::id(),
            NODES.fetch_add(1, Ordering::Relaxed)
        );
        Ejabberd {
            dir,
            c2s_port,
            component_port,
            node,
            pid: None,
        }
    }

    fn ctl(&self) -> Command {
        let d = self.dir.path();
        let mut cmd = Command::new("ejabberdctl");
        cmd.arg("--config-dir")
            .arg(d)
            .arg("--config")
            .arg(d.join("ejabberd.yml"))
            .arg("--ctl-config")
            .arg(d.join("ejabberdctl.cfg"))
            .arg("--spool")
            .arg(d.join("spool"))
            .arg("--logs")
            .arg(d.join("logs"))
            .arg("--node")
            .arg(&self.node)
            .stdin(Stdio::null());
        cmd
    }

    /// Starts (or restarts) the node and waits for both ports.
    pub fn launch(&mut self) {
        if let Err(why) = self.try_launch() {
            panic!("{why}");
        }
    }

    fn try_launch(&mut self) -> Result<(), String> {
        let out = self.ctl().arg("start").output().expect("ejabberdctl start");
        if !out.status.success() {
            return Err(format!(
                "ejabberdctl start failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        // Generous: an Erlang node on a loaded machine can take long to open its ports.
        let up = wait_for_port(self.c2s_port, Duration::from_secs(90))
            && wait_for_port(self.component_port, Duration::from_secs(10));
        // The node writes its PID once started: the handle to stop it by.
        let pid_file = self.dir.path().join("ejabberd.pid");
        let until = Instant::now() + Duration::from_secs(5);
        while self.pid.is_none() && Instant::now() < until {
            self.pid = std::fs::read_to_string(&pid_file)
                .ok()
                .and_then(|p| p.trim().parse().ok());
            if self.pid.is_none() {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        if !up {
            return Err(format!("ejabberd did not open its ports\n{}", self.tails()));
        }
        if self.pid.is_none() {
            return Err(format!("ejabberd wrote no PID file\n{}", self.tails()));
        }
        Ok(())
    }

    /// Stops the node by PID: SIGTERM (the Erlang VM shuts down in order), SIGKILL if it
    /// lingers. The data stays.
    pub fn kill(&mut self) {
        let Some(pid) = self.pid.take() else { return };
        let signal = |sig: &str| {
            let _ = Command::new("kill")
                .args([sig, &pid.to_string()])
                .stderr(Stdio::null())
                .status();
        };
        signal("-TERM");
        let alive = || Path::new(&format!("/proc/{pid}")).exists();
        let until = Instant::now() + Duration::from_secs(10);
        while alive() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(50));
        }
        if alive() {
            signal("-KILL");
        }
        let _ = std::fs::remove_file(self.dir.path().join("ejabberd.pid"));
    }

    pub fn tails(&self) -> String {
        let logs = self.dir.path().join("logs");
        format!(
            "--- ejabberd.log (tail) ---\n{}\n--- error.log (tail) ---\n{}",
            tail(&logs.join("ejabberd.log"), 40),
            tail(&logs.join("error.log"), 20)
        )
    }
}

impl Drop for Ejabberd {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn ejabberd_config(c2s_port: u16, component_port: u16, domain: &str, secret: &str) -> String {
    format!(
        r#"# Generated for palaver's end-to-end tests: loopback only, no TLS, no s2s, no http.
hosts:
  - localhost
loglevel: info
certfiles: []
listen:
  -
    port: {c2s_port}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls_required: false
  -
    port: {component_port}
    ip: "127.0.0.1"
    module: ejabberd_service
    access: all
    hosts:
      "{domain}":
        password: "{secret}"
auth_method: internal
auth_password_format: plain
s2s_access: none
modules:
  mod_disco: {{}}
  mod_ping: {{}}
  mod_roster: {{}}
"#
    )
}

/// Several connections for the domain (several palaver instances): every stanza for one room
/// (its bare JID) goes down one of `slots`; a slot whose connection is gone is free, and what is
/// routed to it is dropped, until a new connection takes it.
pub fn balancing(domain: &str, slots: usize) -> String {
    format!(
        r#"domain_balancing:
  "{domain}":
    type: bare_destination
    component_number: {slots}
"#
    )
}
