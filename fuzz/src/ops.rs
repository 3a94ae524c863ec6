//! The `muc_ops` target: arbitrary sequences of well-formed MUC operations by a small cast of
//! users in a few rooms of one world, with time passing, checked after every tick.
//!
//! Besides [`crate::invariants`], every IQ request the service receives must be answered
//! exactly once — by the service, or by relaying it exactly once to an occupant (§17.4), whose
//! reply is then relayed back once — never both, never zero. Requests carry unique ids, and
//! those addressed to occupants carry a `fuzz` attribute naming their id so that a relay can be
//! told from the service's own requests.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use arbitrary::Arbitrary;
use palaver::engine::Engine;
use palaver::muc::limits::{Allowances, Limits};
use palaver::stanza::Inbound;
use xmpp_parsers::iq::Iq;
use xmpp_parsers::jid::BareJid;
use xmpp_parsers::minidom::Element;
use xmpp_parsers::stanza::Stanza;

use crate::{DOMAIN, engine, invariants, send, start};

/// The cast: six local users, a service administrator, and someone from another server (who
/// may not create rooms).
const USERS: [&str; 8] = [
    "u0@localhost",
    "u1@localhost",
    "u2@localhost",
    "u3@localhost",
    "u4@localhost",
    "u5@localhost",
    "admin@localhost",
    "guest@remote.example",
];
pub const ADMIN: &str = "admin@localhost";
const ROOMS: [&str; 3] = ["r0", "r1", "r2"];
/// Nicknames, a few that differ only in case or by a space, one at the bound (100 chars) and
/// one over it.
const NICKS: [&str; 12] = [
    "Alice", "Bob", "Carol", "Dave", "alice", "Zoë", "a b", "P0", "bot", "☃", "n100", "n101",
];
const TEXTS: [&str; 10] = [
    "hi",
    "hello world",
    "",
    "  ",
    "<&>'\"",
    "ünïcödé ☃",
    "!help",
    "r500",
    "r501",
    "r2001",
];
const PASSWORDS: [&str; 3] = ["secret", "wrong", ""];
/// Move texts of the shipped games, and a few that are no move.
const MOVES: [&str; 28] = [
    "a1", "b2", "c3", "b1", "a2", "c1", "a3", "1", "2", "3", "4", "7", "8", "e", "o", "comet",
    "c3-d4", "f6-e5", "d4xf6", "h8", "rock", "paper", "scissors", "roll", "hold", "d3", "c4",
    "pass",
];
const GAMES: [&str; 13] = [
    "tic-tac-toe",
    "nim",
    "misere-nim",
    "rock-paper-scissors",
    "connect-four",
    "hangman",
    "pig",
    "reversi",
    "checkers",
    "gomoku",
    "hex",
    "chess",
    "",
];
const SECONDS: [u64; 8] = [1, 5, 30, 61, 130, 301, 900, 3601];

/// A text from [`TEXTS`], with the long ones made to measure.
fn text(i: u8) -> String {
    let t = TEXTS[i as usize % TEXTS.len()];
    match t {
        "r500" => "r".repeat(500),
        "r501" => "r".repeat(501),
        "r2001" => "s".repeat(2001),
        t => t.to_owned(),
    }
}

fn nick(i: u8) -> String {
    match NICKS[i as usize % NICKS.len()] {
        "n100" => "n".repeat(100),
        "n101" => "n".repeat(101),
        n => n.to_owned(),
    }
}

/// Escapes text for an attribute or element.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
        .replace('"', "&quot;")
}

/// Free text from the fuzzer, kept to characters XML may carry and to 300 of them.
#[derive(Debug, Clone)]
pub struct Free(String);

impl<'a> Arbitrary<'a> for Free {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let s: String = u.arbitrary()?;
        Ok(Free(
            s.chars()
                .filter(|c| {
                    matches!(*c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
                })
                .take(300)
                .collect(),
        ))
    }
}

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Who {
    user: u8,
    second_session: bool,
}

impl Who {
    fn bare(self) -> &'static str {
        USERS[self.user as usize % USERS.len()]
    }
    fn full(self) -> String {
        let resource = if self.second_session { "b" } else { "a" };
        format!("{}/{resource}", self.bare())
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct RoomSel(u8);

impl RoomSel {
    fn jid(self) -> String {
        format!("{}@{DOMAIN}", ROOMS[self.0 as usize % ROOMS.len()])
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum History {
    Default,
    MaxChars(u16),
    MaxStanzas(u8),
    Seconds(u16),
    Since(bool),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Show {
    None,
    Away,
    Chat,
    Dnd,
    Xa,
}

#[derive(Arbitrary, Debug, Clone)]
pub enum Body {
    Text(u8),
    Command(Command),
    Free(Free),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Command {
    Help,
    Games,
    Rules(u8),
    Game(u8),
    Player(u8),
    Sit,
    SitSeat(u8),
    SitBot,
    Stand,
    Start,
    Rematch,
    Move(u8),
    BareMove(u8),
    Board,
    Resign,
    Score,
}

impl Command {
    fn text(self) -> String {
        let seat = |i: u8| ["X", "O", "A", "B", "white", "black", "1", "Z"][i as usize % 8];
        match self {
            Command::Help => "!help".into(),
            Command::Games => "!games".into(),
            Command::Rules(g) => format!("!rules {}", GAMES[g as usize % GAMES.len()]),
            Command::Game(g) => format!("!game {}", GAMES[g as usize % GAMES.len()]),
            Command::Player(n) => format!("!player {}", nick(n)),
            Command::Sit => "!sit".into(),
            Command::SitSeat(s) => format!("!sit {}", seat(s)),
            Command::SitBot => "!sit bot".into(),
            Command::Stand => "!stand".into(),
            Command::Start => "!start".into(),
            Command::Rematch => "!rematch".into(),
            Command::Move(m) => format!("!move {}", MOVES[m as usize % MOVES.len()]),
            Command::BareMove(m) => MOVES[m as usize % MOVES.len()].into(),
            Command::Board => "!board".into(),
            Command::Resign => "!resign".into(),
            Command::Score => "!score".into(),
        }
    }
}

impl Body {
    fn text(&self) -> String {
        match self {
            Body::Text(i) => text(*i),
            Body::Command(c) => c.text(),
            Body::Free(f) => f.0.clone(),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum RoleSel {
    None,
    Visitor,
    Participant,
    Moderator,
    Player,
}

impl RoleSel {
    fn name(self) -> &'static str {
        match self {
            RoleSel::None => "none",
            RoleSel::Visitor => "visitor",
            RoleSel::Participant => "participant",
            RoleSel::Moderator => "moderator",
            RoleSel::Player => "player",
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum AffSel {
    Outcast,
    None,
    Member,
    Admin,
    Owner,
    Player,
}

impl AffSel {
    fn name(self) -> &'static str {
        match self {
            AffSel::Outcast => "outcast",
            AffSel::None => "none",
            AffSel::Member => "member",
            AffSel::Admin => "admin",
            AffSel::Owner => "owner",
            AffSel::Player => "player",
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum AdminItem {
    Role {
        nick: u8,
        role: RoleSel,
        reason: Option<u8>,
    },
    Affiliation {
        user: u8,
        affiliation: AffSel,
        reason: Option<u8>,
    },
    AffiliationByNick {
        nick: u8,
        affiliation: AffSel,
    },
}

impl AdminItem {
    fn xml(self) -> String {
        let reason = |r: Option<u8>| {
            r.map(|r| format!("<reason>{}</reason>", esc(&text(r))))
                .unwrap_or_default()
        };
        match self {
            AdminItem::Role {
                nick: n,
                role,
                reason: r,
            } => format!(
                "<item nick='{}' role='{}'>{}</item>",
                esc(&nick(n)),
                role.name(),
                reason(r)
            ),
            AdminItem::Affiliation {
                user,
                affiliation,
                reason: r,
            } => format!(
                "<item jid='{}' affiliation='{}'>{}</item>",
                USERS[user as usize % USERS.len()],
                affiliation.name(),
                reason(r)
            ),
            AdminItem::AffiliationByNick {
                nick: n,
                affiliation,
            } => format!(
                "<item nick='{}' affiliation='{}'/>",
                esc(&nick(n)),
                affiliation.name()
            ),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum ListSel {
    Affiliation(AffSel),
    Role(RoleSel),
}

#[derive(Arbitrary, Debug, Clone)]
pub enum ConfigField {
    Name(u8),
    Description(u8),
    Persistent(bool),
    Public(bool),
    MembersOnly(bool),
    Moderated(bool),
    PasswordProtected(bool),
    Secret(u8),
    MaxUsers(u8),
    Whois(bool),
    HistoryLength(u8),
    AllowInvites(bool),
    AllowPm(u8),
    ChangeSubject(bool),
    PresenceBroadcast(bool, bool, bool),
    GetMemberList(bool, bool, bool),
    ChangeNick(u8),
    SeparateSpectators(bool),
    Logging(bool),
    Game(u8),
    GamePrefix(u8),
    MessageRate(u8),
    Owners(Vec<u8>),
    Admins(Vec<u8>),
    Unknown(Free),
}

impl ConfigField {
    fn xml(&self) -> String {
        let b = |v: bool| if v { "1" } else { "0" };
        let roles = |m: bool, p: bool, v: bool| {
            [(m, "moderator"), (p, "participant"), (v, "visitor")]
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, r)| format!("<value>{r}</value>"))
                .collect::<String>()
        };
        let users = |us: &[u8]| {
            us.iter()
                .take(4)
                .map(|u| format!("<value>{}</value>", USERS[*u as usize % USERS.len()]))
                .collect::<String>()
        };
        let (var, values) = match self {
            ConfigField::Name(t) => ("muc#roomconfig_roomname", one(&text(*t))),
            ConfigField::Description(t) => ("muc#roomconfig_roomdesc", one(&text(*t))),
            ConfigField::Persistent(v) => ("muc#roomconfig_persistentroom", one(b(*v))),
            ConfigField::Public(v) => ("muc#roomconfig_publicroom", one(b(*v))),
            ConfigField::MembersOnly(v) => ("muc#roomconfig_membersonly", one(b(*v))),
            ConfigField::Moderated(v) => ("muc#roomconfig_moderatedroom", one(b(*v))),
            ConfigField::PasswordProtected(v) => {
                ("muc#roomconfig_passwordprotectedroom", one(b(*v)))
            }
            ConfigField::Secret(p) => (
                "muc#roomconfig_roomsecret",
                one(PASSWORDS[*p as usize % PASSWORDS.len()]),
            ),
            ConfigField::MaxUsers(m) => (
                "muc#roomconfig_maxusers",
                one(["none", "1", "2", "3", "0", "-1", "many", "100000"][*m as usize % 8]),
            ),
            ConfigField::Whois(anyone) => (
                "muc#roomconfig_whois",
                one(if *anyone { "anyone" } else { "moderators" }),
            ),
            ConfigField::HistoryLength(h) => (
                "muc#roomconfig_historylength",
                one(["0", "1", "5", "20", "200", "201", "-3", "x"][*h as usize % 8]),
            ),
            ConfigField::AllowInvites(v) => ("muc#roomconfig_allowinvites", one(b(*v))),
            ConfigField::AllowPm(p) => (
                "muc#roomconfig_allowpm",
                one(["anyone", "participants", "moderators", "none", "bogus"][*p as usize % 5]),
            ),
            ConfigField::ChangeSubject(v) => ("muc#roomconfig_changesubject", one(b(*v))),
            ConfigField::PresenceBroadcast(m, p, v) => {
                ("muc#roomconfig_presencebroadcast", roles(*m, *p, *v))
            }
            ConfigField::GetMemberList(m, p, v) => {
                ("muc#roomconfig_getmemberlist", roles(*m, *p, *v))
            }
            ConfigField::ChangeNick(c) => (
                "palaver#roomconfig_changenick",
                one(["anyone", "participants", "nobody", "?"][*c as usize % 4]),
            ),
            ConfigField::SeparateSpectators(v) => {
                ("palaver#roomconfig_separatespectators", one(b(*v)))
            }
            ConfigField::Logging(v) => ("muc#roomconfig_enablelogging", one(b(*v))),
            ConfigField::Game(g) => (
                "palaver#roomconfig_game",
                one(GAMES[*g as usize % GAMES.len()]),
            ),
            ConfigField::GamePrefix(p) => (
                "palaver#roomconfig_gameprefix",
                one(["!", ".", "!!", "a", "", "####"][*p as usize % 6]),
            ),
            ConfigField::MessageRate(r) => (
                "palaver#roomconfig_messagerate",
                one(["", "1", "60", "600", "601", "0"][*r as usize % 6]),
            ),
            ConfigField::Owners(us) => ("muc#roomconfig_roomowners", users(us)),
            ConfigField::Admins(us) => ("muc#roomconfig_roomadmins", users(us)),
            ConfigField::Unknown(f) => {
                return format!("<field var='{}'><value>x</value></field>", esc(&f.0));
            }
        };
        format!("<field var='{var}'>{values}</field>")
    }
}

fn one(v: &str) -> String {
    format!("<value>{}</value>", esc(v))
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Target {
    Service,
    Room(RoomSel),
    Occupant(RoomSel, u8),
}

impl Target {
    fn jid(self) -> String {
        match self {
            Target::Service => DOMAIN.into(),
            Target::Room(r) => r.jid(),
            Target::Occupant(r, n) => format!("{}/{}", r.jid(), nick(n)),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum DiscoNode {
    None,
    RoomUserItem,
    Rooms,
    Bogus,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum OccupantPayload {
    Version,
    VCard,
    Unknown,
    Time,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Invitee {
    User(u8),
    Session(Who),
    Occupant(u8),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Register {
    Get,
    Submit(u8),
    SubmitEmpty,
    Remove,
    Cancel,
    ReservedNick,
}

/// One operation. Every stanza comes from a full JID of the cast, as a server delivers it.
#[derive(Arbitrary, Debug, Clone)]
pub enum Op {
    Join {
        who: Who,
        room: RoomSel,
        nick: u8,
        password: Option<u8>,
        history: History,
    },
    /// A presence to `room/nick` without the MUC element: a nick or status change for an
    /// occupant (a join without MUC support otherwise).
    Presence {
        who: Who,
        room: RoomSel,
        nick: u8,
        show: Show,
        status: Option<u8>,
    },
    Leave {
        who: Who,
        room: RoomSel,
        nick: u8,
        status: Option<u8>,
    },
    Groupchat {
        who: Who,
        room: RoomSel,
        body: Body,
    },
    /// A private message to the room itself: a game command or secret move.
    Whisper {
        who: Who,
        room: RoomSel,
        body: Body,
    },
    Private {
        who: Who,
        room: RoomSel,
        nick: u8,
        groupchat_type: bool,
        body: Body,
    },
    Subject {
        who: Who,
        room: RoomSel,
        subject: Option<u8>,
    },
    Admin {
        who: Who,
        room: RoomSel,
        items: Vec<AdminItem>,
    },
    List {
        who: Who,
        room: RoomSel,
        list: ListSel,
    },
    GetConfig {
        who: Who,
        room: RoomSel,
    },
    Configure {
        who: Who,
        room: RoomSel,
        fields: Vec<ConfigField>,
    },
    CancelConfig {
        who: Who,
        room: RoomSel,
    },
    Destroy {
        who: Who,
        room: RoomSel,
        alternate: Option<RoomSel>,
        reason: Option<u8>,
    },
    Invite {
        who: Who,
        room: RoomSel,
        invitees: Vec<Invitee>,
        reason: Option<u8>,
    },
    Decline {
        who: Who,
        room: RoomSel,
        to: u8,
    },
    Register {
        who: Who,
        room: RoomSel,
        what: Register,
    },
    ApproveRegistration {
        who: Who,
        room: RoomSel,
        user: u8,
        allow: bool,
    },
    VoiceRequest {
        who: Who,
        room: RoomSel,
    },
    ApproveVoice {
        who: Who,
        room: RoomSel,
        user: Who,
        nick: u8,
        allow: bool,
    },
    Disco {
        who: Who,
        target: Target,
        items: bool,
        node: DiscoNode,
        max: Option<u8>,
        after: Option<u8>,
    },
    Ping {
        who: Who,
        target: Target,
    },
    OccupantIq {
        who: Who,
        room: RoomSel,
        nick: u8,
        payload: OccupantPayload,
        set: bool,
    },
    /// The relayed IQ's target answers it (or, with `spoof`, someone else pretends to).
    ReplyToRelay {
        pick: u8,
        error: bool,
        spoof: Option<Who>,
    },
    /// An occupant's server bounces a stanza the room sent it (the session is gone).
    Bounce {
        pick: u8,
    },
    MessageToService {
        who: Who,
    },
    Advance(u8),
}

/// One step: an operation, then a tick unless `batch` holds it for the next one.
#[derive(Arbitrary, Debug, Clone)]
pub struct Step {
    pub op: Op,
    pub batch: bool,
}

/// A whole input.
#[derive(Arbitrary, Debug, Clone)]
pub struct Script {
    /// The service's default allowances, or none in the way (as the in-process tests have).
    pub relaxed: bool,
    pub steps: Vec<Step>,
}

/// Where an IQ request stands.
#[derive(Debug, Clone)]
struct Request {
    /// The asker's full JID.
    asker: String,
    state: State,
}

#[derive(Debug, Clone, PartialEq)]
enum State {
    Waiting,
    Answered,
    /// Relayed to an occupant under `id` (to `to`, from `from`); `replies` is how many replies
    /// its target sent, `relayed_back` how many the asker got.
    Relayed {
        id: String,
        to: String,
        from: String,
        replies: u32,
        relayed_back: u32,
    },
}

/// A stanza the room sent to an occupant, which its server may bounce.
#[derive(Debug, Clone)]
struct Sent {
    kind: &'static str,
    from: String,
    to: String,
    id: Option<String>,
}

/// Runs a script against a fresh world, checking after every tick.
pub struct Runner {
    engine: Engine,
    admins: Vec<BareJid>,
    now: std::time::SystemTime,
    next_id: u64,
    requests: HashMap<String, Request>,
    /// Relay ids in the order seen, for [`Op::ReplyToRelay`].
    relays: Vec<String>,
    sent: VecDeque<Sent>,
}

/// At most this many steps of a script are played (each input stays fast).
const MAX_STEPS: usize = 200;

impl Runner {
    pub fn new(relaxed: bool) -> Runner {
        let mut engine = engine(&[ADMIN]);
        if relaxed {
            engine.world_mut().resource_mut::<Limits>().0 = Allowances {
                max_rooms_per_user: usize::MAX,
                message_burst: u32::MAX,
                bytes_burst: u32::MAX,
                presence_burst: u32::MAX,
                nick_change_burst: u32::MAX,
                invitation_burst: u32::MAX,
                room_message_burst: u32::MAX,
                request_burst: u32::MAX,
                ..Allowances::default()
            };
        }
        Runner {
            engine,
            admins: vec![ADMIN.parse().expect("admin JID")],
            now: start(),
            next_id: 0,
            requests: HashMap::new(),
            relays: Vec::new(),
            sent: VecDeque::new(),
        }
    }

    pub fn run(script: &Script) {
        let mut runner = Runner::new(script.relaxed);
        for step in script.steps.iter().take(MAX_STEPS) {
            runner.op(&step.op);
            if !step.batch {
                runner.tick();
            }
        }
        runner.tick();
        // Let every timer run out: seat grace, game clocks, locked rooms.
        for secs in [61, 400, 86_400] {
            runner.now += Duration::from_secs(secs);
            runner.tick();
        }
    }

    fn id(&mut self) -> String {
        self.next_id += 1;
        format!("q{}", self.next_id)
    }

    fn push(&mut self, xml: &str) {
        let element: Element = match xml.parse() {
            Ok(e) => e,
            Err(e) => panic!("fuzz harness bug: generated XML does not parse ({e}): {xml}"),
        };
        self.engine.push(Inbound::from_element(element), self.now);
    }

    /// Pushes an IQ request and remembers that it wants an answer.
    fn request(&mut self, who: Who, to: &str, type_: &str, id: &str, payload: &str) {
        self.requests.insert(
            id.to_owned(),
            Request {
                asker: who.full(),
                state: State::Waiting,
            },
        );
        let xml = format!(
            "<iq xmlns='jabber:component:accept' type='{type_}' id='{id}' from='{}' to='{}'>{payload}</iq>",
            esc(&who.full()),
            esc(to)
        );
        self.push(&xml);
    }

    fn stanza(&mut self, name: &str, who: Who, to: &str, attrs: &str, body: &str) {
        let xml = format!(
            "<{name} xmlns='jabber:component:accept' from='{}' to='{}'{attrs}>{body}</{name}>",
            esc(&who.full()),
            esc(to)
        );
        self.push(&xml);
    }

    fn op(&mut self, op: &Op) {
        const MUC: &str = "http://jabber.org/protocol/muc";
        const MUC_USER: &str = "http://jabber.org/protocol/muc#user";
        const ADMIN_NS: &str = "http://jabber.org/protocol/muc#admin";
        const OWNER_NS: &str = "http://jabber.org/protocol/muc#owner";
        match op {
            Op::Join {
                who,
                room,
                nick: n,
                password,
                history,
            } => {
                let password = password
                    .map(|p| format!("<password>{}</password>", PASSWORDS[p as usize % 3]))
                    .unwrap_or_default();
                let history = match history {
                    History::Default => String::new(),
                    History::MaxChars(c) => format!("<history maxchars='{c}'/>"),
                    History::MaxStanzas(s) => format!("<history maxstanzas='{s}'/>"),
                    History::Seconds(s) => format!("<history seconds='{s}'/>"),
                    History::Since(past) => format!(
                        "<history since='{}'/>",
                        if *past {
                            "1970-01-01T00:00:00Z"
                        } else {
                            "2100-01-01T00:00:00Z"
                        }
                    ),
                };
                let to = format!("{}/{}", room.jid(), nick(*n));
                let body = format!("<x xmlns='{MUC}'>{password}{history}</x>");
                self.stanza("presence", *who, &to, "", &body);
            }
            Op::Presence {
                who,
                room,
                nick: n,
                show,
                status,
            } => {
                let show = match show {
                    Show::None => "",
                    Show::Away => "<show>away</show>",
                    Show::Chat => "<show>chat</show>",
                    Show::Dnd => "<show>dnd</show>",
                    Show::Xa => "<show>xa</show>",
                };
                let status = status
                    .map(|s| format!("<status>{}</status>", esc(&text(s))))
                    .unwrap_or_default();
                let to = format!("{}/{}", room.jid(), nick(*n));
                self.stanza("presence", *who, &to, "", &format!("{show}{status}"));
            }
            Op::Leave {
                who,
                room,
                nick: n,
                status,
            } => {
                let status = status
                    .map(|s| format!("<status>{}</status>", esc(&text(s))))
                    .unwrap_or_default();
                let to = format!("{}/{}", room.jid(), nick(*n));
                self.stanza("presence", *who, &to, " type='unavailable'", &status);
            }
            Op::Groupchat { who, room, body } => {
                let id = self.id();
                let body = format!("<body>{}</body>", esc(&body.text()));
                self.stanza(
                    "message",
                    *who,
                    &room.jid(),
                    &format!(" type='groupchat' id='{id}'"),
                    &body,
                );
            }
            Op::Whisper { who, room, body } => {
                let body = format!("<body>{}</body>", esc(&body.text()));
                self.stanza("message", *who, &room.jid(), " type='chat'", &body);
            }
            Op::Private {
                who,
                room,
                nick: n,
                groupchat_type,
                body,
            } => {
                let to = format!("{}/{}", room.jid(), nick(*n));
                let type_ = if *groupchat_type { "groupchat" } else { "chat" };
                let body = format!("<body>{}</body><x xmlns='{MUC_USER}'/>", esc(&body.text()));
                self.stanza("message", *who, &to, &format!(" type='{type_}'"), &body);
            }
            Op::Subject { who, room, subject } => {
                let subject = match subject {
                    Some(s) => format!("<subject>{}</subject>", esc(&text(*s))),
                    None => "<subject/>".into(),
                };
                self.stanza("message", *who, &room.jid(), " type='groupchat'", &subject);
            }
            Op::Admin { who, room, items } => {
                let id = self.id();
                let items: String = items.iter().take(4).map(|i| i.xml()).collect();
                let payload = format!("<query xmlns='{ADMIN_NS}'>{items}</query>");
                self.request(*who, &room.jid(), "set", &id, &payload);
            }
            Op::List { who, room, list } => {
                let id = self.id();
                let item = match list {
                    ListSel::Affiliation(a) => format!("<item affiliation='{}'/>", a.name()),
                    ListSel::Role(r) => format!("<item role='{}'/>", r.name()),
                };
                let payload = format!("<query xmlns='{ADMIN_NS}'>{item}</query>");
                self.request(*who, &room.jid(), "get", &id, &payload);
            }
            Op::GetConfig { who, room } => {
                let id = self.id();
                let payload = format!("<query xmlns='{OWNER_NS}'/>");
                self.request(*who, &room.jid(), "get", &id, &payload);
            }
            Op::Configure { who, room, fields } => {
                let id = self.id();
                let fields: String = fields.iter().take(8).map(|f| f.xml()).collect();
                let payload = format!(
                    "<query xmlns='{OWNER_NS}'><x xmlns='jabber:x:data' type='submit'>\
                     <field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>\
                     {fields}</x></query>"
                );
                self.request(*who, &room.jid(), "set", &id, &payload);
            }
            Op::CancelConfig { who, room } => {
                let id = self.id();
                let payload = format!(
                    "<query xmlns='{OWNER_NS}'><x xmlns='jabber:x:data' type='cancel'/></query>"
                );
                self.request(*who, &room.jid(), "set", &id, &payload);
            }
            Op::Destroy {
                who,
                room,
                alternate,
                reason,
            } => {
                let id = self.id();
                let jid = alternate
                    .map(|a| format!(" jid='{}'", a.jid()))
                    .unwrap_or_default();
                let reason = reason
                    .map(|r| format!("<reason>{}</reason>", esc(&text(r))))
                    .unwrap_or_default();
                let payload =
                    format!("<query xmlns='{OWNER_NS}'><destroy{jid}>{reason}</destroy></query>");
                self.request(*who, &room.jid(), "set", &id, &payload);
            }
            Op::Invite {
                who,
                room,
                invitees,
                reason,
            } => {
                let reason = reason
                    .map(|r| format!("<reason>{}</reason>", esc(&text(r))))
                    .unwrap_or_default();
                let invites: String = invitees
                    .iter()
                    .take(3)
                    .map(|i| {
                        let to = match i {
                            Invitee::User(u) => USERS[*u as usize % USERS.len()].to_owned(),
                            Invitee::Session(w) => w.full(),
                            Invitee::Occupant(n) => format!("{}/{}", room.jid(), nick(*n)),
                        };
                        format!("<invite to='{}'>{reason}</invite>", esc(&to))
                    })
                    .collect();
                let body = format!("<x xmlns='{MUC_USER}'>{invites}</x>");
                self.stanza("message", *who, &room.jid(), "", &body);
            }
            Op::Decline { who, room, to } => {
                let body = format!(
                    "<x xmlns='{MUC_USER}'><decline to='{}'/></x>",
                    USERS[*to as usize % USERS.len()]
                );
                self.stanza("message", *who, &room.jid(), "", &body);
            }
            Op::Register { who, room, what } => {
                let id = self.id();
                let form = |fields: &str, type_: &str| {
                    format!(
                        "<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='{type_}'>\
                         <field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>\
                         {fields}</x></query>"
                    )
                };
                let (type_, payload) = match what {
                    Register::Get => ("get", "<query xmlns='jabber:iq:register'/>".to_owned()),
                    Register::Submit(n) => (
                        "set",
                        form(
                            &format!(
                                "<field var='muc#register_roomnick'><value>{}</value></field>",
                                esc(&nick(*n))
                            ),
                            "submit",
                        ),
                    ),
                    Register::SubmitEmpty => ("set", form("", "submit")),
                    Register::Remove => (
                        "set",
                        "<query xmlns='jabber:iq:register'><remove/></query>".to_owned(),
                    ),
                    Register::Cancel => ("set", form("", "cancel")),
                    Register::ReservedNick => (
                        "get",
                        "<query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'/>"
                            .to_owned(),
                    ),
                };
                self.request(*who, &room.jid(), type_, &id, &payload);
            }
            Op::ApproveRegistration {
                who,
                room,
                user,
                allow,
            } => {
                let body = format!(
                    "<x xmlns='jabber:x:data' type='submit'>\
                     <field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>\
                     <field var='x-palaver#jid'><value>{}</value></field>\
                     <field var='muc#register_allow'><value>{}</value></field></x>",
                    USERS[*user as usize % USERS.len()],
                    if *allow { "1" } else { "0" }
                );
                self.stanza("message", *who, &room.jid(), "", &body);
            }
            Op::VoiceRequest { who, room } => {
                let body = "<x xmlns='jabber:x:data' type='submit'>\
                    <field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field>\
                    <field var='muc#role' type='list-single'><value>participant</value></field></x>";
                self.stanza("message", *who, &room.jid(), "", body);
            }
            Op::ApproveVoice {
                who,
                room,
                user,
                nick: n,
                allow,
            } => {
                let body = format!(
                    "<x xmlns='jabber:x:data' type='submit'>\
                     <field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field>\
                     <field var='muc#role'><value>participant</value></field>\
                     <field var='muc#jid'><value>{}</value></field>\
                     <field var='muc#roomnick'><value>{}</value></field>\
                     <field var='muc#request_allow'><value>{}</value></field></x>",
                    esc(&user.full()),
                    esc(&nick(*n)),
                    if *allow { "true" } else { "false" }
                );
                self.stanza("message", *who, &room.jid(), "", &body);
            }
            Op::Disco {
                who,
                target,
                items,
                node,
                max,
                after,
            } => {
                let id = self.id();
                let ns = if *items {
                    "http://jabber.org/protocol/disco#items"
                } else {
                    "http://jabber.org/protocol/disco#info"
                };
                let node = match node {
                    DiscoNode::None => "",
                    DiscoNode::RoomUserItem => " node='x-roomuser-item'",
                    DiscoNode::Rooms => " node='http://jabber.org/protocol/muc#rooms'",
                    DiscoNode::Bogus => " node='bogus'",
                };
                let rsm = match (max, after) {
                    (None, None) => String::new(),
                    (max, after) => format!(
                        "<set xmlns='http://jabber.org/protocol/rsm'>{}{}</set>",
                        max.map(|m| format!("<max>{m}</max>")).unwrap_or_default(),
                        after
                            .map(|a| format!("<after>{}</after>", ROOMS[a as usize % 3]))
                            .unwrap_or_default()
                    ),
                };
                // A query to an occupant is relayed to its real JID (§6.7): the marker lets
                // the accounting recognise the relay.
                let marker = match target {
                    Target::Occupant(..) => format!(" fuzz='{id}'"),
                    _ => String::new(),
                };
                let payload = format!("<query xmlns='{ns}'{node}{marker}>{rsm}</query>");
                self.request(*who, &target.jid(), "get", &id, &payload);
            }
            Op::Ping { who, target } => {
                let id = self.id();
                self.request(
                    *who,
                    &target.jid(),
                    "get",
                    &id,
                    "<ping xmlns='urn:xmpp:ping'/>",
                );
            }
            Op::OccupantIq {
                who,
                room,
                nick: n,
                payload,
                set,
            } => {
                let id = self.id();
                let payload = match payload {
                    OccupantPayload::Version => {
                        format!("<query xmlns='jabber:iq:version' fuzz='{id}'/>")
                    }
                    OccupantPayload::VCard => format!("<vCard xmlns='vcard-temp' fuzz='{id}'/>"),
                    OccupantPayload::Unknown => format!("<query xmlns='urn:fuzz' fuzz='{id}'/>"),
                    OccupantPayload::Time => format!("<time xmlns='urn:xmpp:time' fuzz='{id}'/>"),
                };
                let to = format!("{}/{}", room.jid(), nick(*n));
                let type_ = if *set { "set" } else { "get" };
                self.request(*who, &to, type_, &id, &payload);
            }
            Op::ReplyToRelay { pick, error, spoof } => {
                if self.relays.is_empty() {
                    return;
                }
                let relay_id = self.relays[*pick as usize % self.relays.len()].clone();
                let Some((asker_id, to, from)) =
                    self.requests
                        .iter_mut()
                        .find_map(|(asker_id, r)| match &mut r.state {
                            State::Relayed {
                                id,
                                to,
                                from,
                                replies,
                                ..
                            } if *id == relay_id => {
                                // Only the target's reply counts as one (a spoof must be dropped).
                                if spoof.is_none() {
                                    *replies += 1;
                                }
                                Some((asker_id.clone(), to.clone(), from.clone()))
                            }
                            _ => None,
                        })
                else {
                    return;
                };
                let _ = asker_id;
                let replier = match spoof {
                    Some(w) => w.full(),
                    None => to,
                };
                let (type_, body) = if *error {
                    (
                        "error",
                        "<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
                    )
                } else {
                    ("result", "")
                };
                let xml = format!(
                    "<iq xmlns='jabber:component:accept' type='{type_}' id='{relay_id}' from='{}' to='{}'>{body}</iq>",
                    esc(&replier),
                    esc(&from)
                );
                self.push(&xml);
            }
            Op::Bounce { pick } => {
                if self.sent.is_empty() {
                    return;
                }
                let s = self.sent[*pick as usize % self.sent.len()].clone();
                let id =
                    s.id.map(|i| format!(" id='{}'", esc(&i)))
                        .unwrap_or_default();
                let xml = format!(
                    "<{kind} xmlns='jabber:component:accept' type='error' from='{}' to='{}'{id}>\
                     <error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></{kind}>",
                    esc(&s.to),
                    esc(&s.from),
                    kind = s.kind
                );
                self.push(&xml);
            }
            Op::MessageToService { who } => {
                self.stanza("message", *who, DOMAIN, "", "<body>hello?</body>");
            }
            Op::Advance(i) => {
                self.now += Duration::from_secs(SECONDS[*i as usize % SECONDS.len()]);
            }
        }
    }

    /// Runs a tick and checks what it sent and the world it left.
    fn tick(&mut self) {
        let out = self.engine.tick(self.now);
        drop(self.engine.take_store_changes());
        for stanza in out {
            self.account(&stanza);
            self.remember(&stanza);
            send(stanza);
        }
        if self.engine.pending() == 0 {
            for (id, r) in &self.requests {
                assert!(
                    r.state != State::Waiting,
                    "the request {id} of {} was neither answered nor relayed",
                    r.asker
                );
            }
        }
        invariants::check(self.engine.world_mut(), &self.admins);
        self.now += Duration::from_millis(100);
    }

    /// Accounts for answers and relays of the requests sent.
    fn account(&mut self, stanza: &Stanza) {
        let Stanza::Iq(iq) = stanza else { return };
        match iq {
            Iq::Result { id, to, .. } | Iq::Error { id, to, .. } => {
                let Some(r) = self.requests.get_mut(id) else {
                    return;
                };
                let to = to.as_ref().map(|t| t.to_string()).unwrap_or_default();
                assert_eq!(to, r.asker, "the answer to {id} went to someone else");
                match &mut r.state {
                    State::Waiting => r.state = State::Answered,
                    State::Answered => panic!("the request {id} was answered twice: {iq:?}"),
                    State::Relayed {
                        replies,
                        relayed_back,
                        ..
                    } => {
                        // Relayed back once, and only after its target replied.
                        *relayed_back += 1;
                        assert!(
                            *relayed_back <= 1 && *replies >= 1,
                            "the request {id} was relayed and then answered \
                             ({replies} replies from its target, {relayed_back} answers): {iq:?}"
                        );
                    }
                }
            }
            Iq::Get {
                id,
                payload,
                to,
                from,
                ..
            }
            | Iq::Set {
                id,
                payload,
                to,
                from,
                ..
            } => {
                let Some(marker) = payload.attr("fuzz") else {
                    return;
                };
                let r = self
                    .requests
                    .get_mut(marker)
                    .unwrap_or_else(|| panic!("a relay of an unknown request {marker}"));
                assert_eq!(
                    r.state,
                    State::Waiting,
                    "the request {marker} was relayed after it was answered or relayed"
                );
                r.state = State::Relayed {
                    id: id.clone(),
                    to: to.as_ref().map(|t| t.to_string()).unwrap_or_default(),
                    from: from.as_ref().map(|f| f.to_string()).unwrap_or_default(),
                    replies: 0,
                    relayed_back: 0,
                };
                self.relays.push(id.clone());
            }
        }
    }

    /// Keeps the last stanzas sent to users, for [`Op::Bounce`].
    fn remember(&mut self, stanza: &Stanza) {
        let (kind, from, to, id) = match stanza {
            Stanza::Message(m) if m.type_ != xmpp_parsers::message::MessageType::Error => (
                "message",
                m.from.as_ref(),
                m.to.as_ref(),
                m.id.as_ref().map(|i| i.0.clone()),
            ),
            Stanza::Presence(p) if p.type_ != xmpp_parsers::presence::Type::Error => {
                ("presence", p.from.as_ref(), p.to.as_ref(), p.id.clone())
            }
            _ => return,
        };
        let (Some(from), Some(to)) = (from, to) else {
            return;
        };
        self.sent.push_back(Sent {
            kind,
            from: from.to_string(),
            to: to.to_string(),
            id,
        });
        if self.sent.len() > 64 {
            self.sent.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(user: u8) -> Who {
        Who {
            user,
            second_session: false,
        }
    }

    fn step(op: Op) -> Step {
        Step { op, batch: false }
    }

    /// A plain session: the accounting and the invariants hold for ordinary use, and a relayed
    /// IQ is answered once through its target.
    #[test]
    fn an_ordinary_session_passes() {
        let room = RoomSel(0);
        let join = |user, nick| {
            step(Op::Join {
                who: who(user),
                room,
                nick,
                password: None,
                history: History::Default,
            })
        };
        let script = Script {
            relaxed: true,
            steps: vec![
                join(0, 0),
                step(Op::Configure {
                    who: who(0),
                    room,
                    fields: vec![ConfigField::Game(0), ConfigField::Moderated(true)],
                }),
                join(1, 1),
                join(2, 2),
                step(Op::Groupchat {
                    who: who(1),
                    room,
                    body: Body::Command(Command::Sit),
                }),
                step(Op::Groupchat {
                    who: who(2),
                    room,
                    body: Body::Command(Command::Sit),
                }),
                step(Op::OccupantIq {
                    who: who(1),
                    room,
                    nick: 2,
                    payload: OccupantPayload::Version,
                    set: false,
                }),
                step(Op::ReplyToRelay {
                    pick: 0,
                    error: false,
                    spoof: None,
                }),
                step(Op::Admin {
                    who: who(0),
                    room,
                    items: vec![AdminItem::Affiliation {
                        user: 1,
                        affiliation: AffSel::Outcast,
                        reason: Some(0),
                    }],
                }),
                step(Op::Disco {
                    who: who(3),
                    target: Target::Service,
                    items: true,
                    node: DiscoNode::None,
                    max: Some(1),
                    after: None,
                }),
                step(Op::Advance(7)),
            ],
        };
        let mut runner = Runner::new(script.relaxed);
        for s in &script.steps {
            runner.op(&s.op);
            runner.tick();
        }
        let relayed = runner
            .requests
            .values()
            .filter(|r| {
                matches!(
                    r.state,
                    State::Relayed {
                        relayed_back: 1,
                        ..
                    }
                )
            })
            .count();
        assert_eq!(relayed, 1, "{:?}", runner.requests);
        assert!(runner.requests.len() >= 4);
        Runner::run(&script);
    }
}
