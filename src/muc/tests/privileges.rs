//! The permission matrix: every (actor affiliation/role) × (action) × (target affiliation/role)
//! through real muc#admin stanzas, against tables transcribed by hand from §5.1.1, §5.1.3,
//! §5.2.1, §5.2.2 and the refusals of §8.2–§8.4, §9.1–§9.8 and §10.3–§10.8 (not computed from
//! the rules under test).
//!
//! Cells: `.` allowed, `F` forbidden, `N` not-allowed, `C` conflict.

use xmpp_parsers::minidom::Element;

use crate::testing::{Harness, canonical};

const ROOM: &str = "lobby@conference.localhost";

/// The classes of users; the first eight are occupants of a moderated room.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Class {
    OwnerModerator,
    AdminModerator,
    MemberModerator,
    NoneModerator,
    MemberParticipant,
    NoneParticipant,
    NoneVisitor,
    MemberVisitor,
    /// Not in the room, no affiliation.
    Absent,
    /// Not in the room, banned.
    AbsentOutcast,
}

const OCCUPANTS: [Class; 8] = [
    Class::OwnerModerator,
    Class::AdminModerator,
    Class::MemberModerator,
    Class::NoneModerator,
    Class::MemberParticipant,
    Class::NoneParticipant,
    Class::NoneVisitor,
    Class::MemberVisitor,
];

/// Actors: the eight occupant classes, then someone outside the room.
fn actors() -> Vec<Class> {
    let mut v = OCCUPANTS.to_vec();
    v.push(Class::Absent);
    v
}

/// A target: another user of a class, or the actor itself.
#[derive(Debug, Clone, Copy)]
enum Who {
    Other(Class),
    Itself,
}

fn role_targets() -> Vec<Who> {
    let mut v: Vec<Who> = OCCUPANTS.iter().map(|c| Who::Other(*c)).collect();
    v.push(Who::Itself);
    v
}

fn affiliation_targets() -> Vec<Who> {
    let mut v = role_targets();
    v.push(Who::Other(Class::Absent));
    v.push(Who::Other(Class::AbsentOutcast));
    v
}

// Rows: actors in `actors()` order; columns: targets in `role_targets()` order
// (O/m A/m M/m N/m M/p N/p N/v M/v self).
const KICK: [&str; 9] = [
    ". . . . . . . . .", // owner moderator kicks anyone, even another owner (§8.2: not lower)
    "N . . . . . . . .", // admin: not an owner
    "N N N N . . . . N", // member moderator: not higher affiliations, not moderators (§5.1.3)
    "N N N N N . . N N", // unaffiliated moderator: only unaffiliated non-moderators
    "F F F F F F F F F", // no moderator role: no kicking at all (§5.1.1)
    "F F F F F F F F F",
    "F F F F F F F F F",
    "F F F F F F F F F",
    "F F F F F F F F F", // not in the room
];
const VOICE: [&str; 9] = [
    "N N . . . . . . N", // participant: revokes moderator status, never from admin/owner (§9.7)
    "N N . . . . . . N",
    "F F F F . . . . F", // moderator status is the admins' and owners' to remove (§5.2.1)
    "F F F F . . . . F",
    "F F F F F F F F F",
    "F F F F F F F F F",
    "F F F F F F F F F",
    "F F F F F F F F F",
    "F F F F F F F F F",
];
const DEVOICE: [&str; 9] = [
    "N N . . . . . . N", // visitor: never from admin/owner (§8.4)
    "N N . . . . . . N",
    "F F F F N . . N F", // not from one's own affiliation or higher (§8.4)
    "F F F F N . . N F",
    "F F F F F F F F F",
    "F F F F F F F F F",
    "F F F F F F F F F",
    "F F F F F F F F F",
    "F F F F F F F F F",
];
const MODERATOR: [&str; 9] = [
    ". . . . . . . . .", // admins and owners assign the moderator role (§5.2.1, §9.6)
    ". . . . . . . . .",
    "F F F F F F F F F",
    "F F F F F F F F F",
    "F F F F F F F F F",
    "F F F F F F F F F",
    "F F F F F F F F F",
    "F F F F F F F F F",
    "F F F F F F F F F",
];

// Columns: O/m A/m M/m N/m M/p N/p N/v M/v self absent absent-outcast.
const BAN: [&str; 9] = [
    ". . . . . . . . C . .", // §9.1: anyone but oneself
    "N N . . . . . . C . .", // an admin may not ban an admin or owner
    "F F F F F F F F F F F", // only admins and owners ban (§5.2.1)
    "F F F F F F F F F F F",
    "F F F F F F F F F F F",
    "F F F F F F F F F F F",
    "F F F F F F F F F F F",
    "F F F F F F F F F F F",
    "F F F F F F F F F F F",
];
const MEMBER_LIKE: [&str; 9] = [
    ". . . . . . . . . . .", // owners edit every list; another owner remains (§10.5)
    "N N . . . . . . N . .", // admins edit the member list, not admins or owners (§9.3–§9.5)
    "F F F F F F F F F F F",
    "F F F F F F F F F F F",
    "F F F F F F F F F F F",
    "F F F F F F F F F F F",
    "F F F F F F F F F F F",
    "F F F F F F F F F F F",
    "F F F F F F F F F F F",
];
const OWNER_LIST: [&str; 9] = [
    ". . . . . . . . . . .", // only owners edit the admin and owner lists (§10.3–§10.8)
    "F F F F F F F F F F F",
    "F F F F F F F F F F F",
    "F F F F F F F F F F F",
    "F F F F F F F F F F F",
    "F F F F F F F F F F F",
    "F F F F F F F F F F F",
    "F F F F F F F F F F F",
    "F F F F F F F F F F F",
];

fn jid_of(name: &str) -> String {
    format!("{name}@localhost")
}

fn set(h: &mut Harness, from: &str, id: &str, item: &str) -> Vec<Element> {
    h.send(&format!(
        "<iq type='set' id='{id}' from='{from}' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#admin'>{item}</query></iq>"
    ))
}

/// Brings `name` into the room as `class` (the founder, an owner, arranges it).
fn arrange(h: &mut Harness, name: &str, class: Class) {
    let founder = "founder@localhost/f";
    let jid = jid_of(name);
    let affiliation = match class {
        Class::OwnerModerator => Some("owner"),
        Class::AdminModerator => Some("admin"),
        Class::MemberModerator | Class::MemberParticipant | Class::MemberVisitor => Some("member"),
        Class::AbsentOutcast => Some("outcast"),
        _ => None,
    };
    if let Some(a) = affiliation {
        expect_result(
            &set(
                h,
                founder,
                "arr",
                &format!("<item affiliation='{a}' jid='{jid}'/>"),
            ),
            "arr",
            name,
        );
    }
    if matches!(class, Class::Absent | Class::AbsentOutcast) {
        return;
    }
    h.join(&format!("{jid}/r"), &format!("{ROOM}/{name}"));
    let role = match class {
        Class::MemberModerator | Class::NoneModerator => Some("moderator"),
        Class::NoneParticipant => Some("participant"),
        Class::MemberVisitor => Some("visitor"),
        _ => None,
    };
    if let Some(r) = role {
        expect_result(
            &set(
                h,
                founder,
                "arr",
                &format!("<item nick='{name}' role='{r}'/>"),
            ),
            "arr",
            name,
        );
    }
}

fn expect_result(out: &[Element], id: &str, what: &str) {
    assert_eq!(
        outcome(out, id),
        '.',
        "setting up {what}: {:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
}

/// The reply to request `id`, as a cell code.
fn outcome(out: &[Element], id: &str) -> char {
    let Some(iq) = out
        .iter()
        .find(|e| e.name() == "iq" && e.attr("id") == Some(id))
    else {
        return '?';
    };
    match iq.attr("type") {
        Some("result") => '.',
        Some("error") => {
            let text = canonical(iq);
            if text.contains("}forbidden>") {
                'F'
            } else if text.contains("}not-allowed>") {
                'N'
            } else if text.contains("}conflict>") {
                'C'
            } else {
                '!'
            }
        }
        _ => '?',
    }
}

/// Runs one case in a fresh moderated room; returns the cell and what went out.
fn run(actor: Class, target: Who, item: impl Fn(&str, &str) -> String) -> (char, Vec<Element>) {
    let mut h = Harness::new();
    h.create_instant("founder@localhost/f", ROOM, "Founder");
    h.send(&format!(
        "<iq type='set' id='mod' from='founder@localhost/f' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#owner'>\
           <x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_moderatedroom'><value>1</value></field></x></query></iq>"
    ));
    arrange(&mut h, "actor", actor);
    let (nick, jid) = match target {
        Who::Itself => ("actor", jid_of("actor")),
        Who::Other(class) => {
            arrange(&mut h, "target", class);
            ("target", jid_of("target"))
        }
    };
    let out = set(
        &mut h,
        &format!("{}/r", jid_of("actor")),
        "act",
        &item(nick, &jid),
    );
    (outcome(&out, "act"), out)
}

fn check(
    name: &str,
    table: &[&str; 9],
    targets: &[Who],
    item: impl Fn(&str, &str) -> String,
    effect: impl Fn(&[Element], &str) -> bool,
) {
    let mut failures = Vec::new();
    for (row, actor) in actors().into_iter().enumerate() {
        let cells: Vec<char> = table[row]
            .split_whitespace()
            .filter_map(|c| c.chars().next())
            .collect();
        assert_eq!(
            cells.len(),
            targets.len(),
            "{name}: row {row} has {} cells",
            cells.len()
        );
        for (col, target) in targets.iter().enumerate() {
            let (got, out) = run(actor, *target, &item);
            let nick = match target {
                Who::Itself => "actor",
                Who::Other(_) => "target",
            };
            if got != cells[col] {
                failures.push(format!(
                    "{name}: {actor:?} → {target:?}: expected {}, got {got}",
                    cells[col]
                ));
            } else if got == '.' && !effect(&out, nick) {
                failures.push(format!(
                    "{name}: {actor:?} → {target:?}: allowed but the room did not show it: {:?}",
                    out.iter().map(canonical).collect::<Vec<_>>()
                ));
            } else if got != '.' && out.len() != 1 {
                failures.push(format!(
                    "{name}: {actor:?} → {target:?}: refused yet {} stanzas went out",
                    out.len()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Whether some presence of `nick` carries `needle` (an in-room effect), or, for users not in
/// the room, the courtesy message with 101 went to them (§17.1).
fn shows(out: &[Element], nick: &str, needle: &str) -> bool {
    let from = format!("{ROOM}/{nick}");
    let presences: Vec<String> = out
        .iter()
        .filter(|e| e.name() == "presence" && e.attr("from") == Some(from.as_str()))
        .map(canonical)
        .collect();
    if presences.is_empty() {
        return out.iter().any(|e| {
            e.name() == "message"
                && e.attr("to") == Some(&jid_of(nick))
                && canonical(e).contains("code='101'")
        });
    }
    presences.iter().any(|p| p.contains(needle))
}

#[test]
fn role_changes() {
    let targets = role_targets();
    let role =
        |r: &'static str| move |nick: &str, _: &str| format!("<item nick='{nick}' role='{r}'/>");
    check("kick", &KICK, &targets, role("none"), |out, nick| {
        shows(out, nick, "role='none'")
    });
    check(
        "voice",
        &VOICE,
        &targets,
        role("participant"),
        |out, nick| {
            // Granting voice to someone who has it changes nothing visible.
            shows(out, nick, "role='participant'") || out.len() == 1
        },
    );
    check(
        "devoice",
        &DEVOICE,
        &targets,
        role("visitor"),
        |out, nick| shows(out, nick, "role='visitor'") || out.len() == 1,
    );
    check(
        "moderator",
        &MODERATOR,
        &targets,
        role("moderator"),
        |out, nick| shows(out, nick, "role='moderator'") || out.len() == 1,
    );
}

#[test]
fn affiliation_changes() {
    let targets = affiliation_targets();
    let affiliation = |a: &'static str| {
        move |_: &str, jid: &str| format!("<item affiliation='{a}' jid='{jid}'/>")
    };
    check(
        "ban",
        &BAN,
        &targets,
        affiliation("outcast"),
        // Banning the banned changes nothing.
        |out, nick| shows(out, nick, "code='301'") || out.len() == 1,
    );
    for (a, shown) in [
        ("none", "affiliation='none'"),
        ("member", "affiliation='member'"),
        ("player", "affiliation='member'"),
    ] {
        check(a, &MEMBER_LIKE, &targets, affiliation(a), |out, nick| {
            shows(out, nick, shown) || out.len() == 1
        });
    }
    for a in ["admin", "owner"] {
        let shown = format!("affiliation='{a}'");
        check(a, &OWNER_LIST, &targets, affiliation(a), |out, nick| {
            shows(out, nick, &shown) || out.len() == 1
        });
    }
}
