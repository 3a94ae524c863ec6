//! Who may do what to whom: the privilege tables of §5.1.1 (roles) and §5.2.1 (affiliations)
//! and the change rules of §5.1.3 and §5.2.2, with the refusals §8 and §9 prescribe. Pure
//! functions, so that the moderation systems and the permission-matrix test share one truth.

use xmpp_parsers::jid::BareJid;
use xmpp_parsers::muc::user::Role;

use crate::xmpp::muc_admin::{AdminAffiliation, AdminRole};

/// Why a change is refused; each maps to the XEP's error condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// The actor lacks the privilege altogether.
    Forbidden(&'static str),
    /// The target is protected from this actor.
    NotAllowed(&'static str),
    /// The change would undo the actor's own standing (self-ban, the last owner leaving).
    Conflict(&'static str),
}

impl Denied {
    /// The plain sentence given with the refusal.
    pub fn text(self) -> &'static str {
        match self {
            Denied::Forbidden(t) | Denied::NotAllowed(t) | Denied::Conflict(t) => t,
        }
    }
}

/// The one who asks: the effective affiliation (service administrators count as owners) and
/// the role, `None` when not in the room.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub jid: BareJid,
    pub affiliation: AdminAffiliation,
    pub role: Role,
}

/// The user a change is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub jid: BareJid,
    pub affiliation: AdminAffiliation,
    /// `Role::None` when not in the room.
    pub role: Role,
}

/// The affiliation hierarchy of §5.2; a player stands where a member stands.
pub fn rank(affiliation: AdminAffiliation) -> u8 {
    match affiliation {
        AdminAffiliation::Outcast => 0,
        AdminAffiliation::None => 1,
        AdminAffiliation::Member | AdminAffiliation::Player => 2,
        AdminAffiliation::Admin => 3,
        AdminAffiliation::Owner => 4,
    }
}

fn is_admin_or_owner(a: AdminAffiliation) -> bool {
    rank(a) >= rank(AdminAffiliation::Admin)
}

/// §5.1.1: only moderators change roles at all (checked before the target is looked up).
pub fn may_change_roles(actor: &Actor) -> Result<(), Denied> {
    if actor.role != Role::Moderator {
        return Err(Denied::Forbidden("Only moderators may change roles"));
    }
    Ok(())
}

/// §5.2.1: only admins and owners change affiliations at all.
pub fn may_change_affiliations(actor: &Actor) -> Result<(), Denied> {
    if !is_admin_or_owner(actor.affiliation) {
        return Err(Denied::Forbidden(
            "Only admins and owners may change affiliations",
        ));
    }
    Ok(())
}

/// §5.1.3 with §8.2–§8.6 and §9.6–§9.8: may `actor` give the occupant `target` the role `new`?
pub fn may_set_role(actor: &Actor, target: &Target, new: AdminRole) -> Result<(), Denied> {
    may_change_roles(actor)?;
    let outranked = rank(target.affiliation) > rank(actor.affiliation);
    match new {
        AdminRole::None => {
            if outranked {
                return Err(Denied::NotAllowed(
                    "You may not kick someone with a higher affiliation than yours",
                ));
            }
            if target.role == Role::Moderator && !is_admin_or_owner(actor.affiliation) {
                return Err(Denied::NotAllowed(
                    "Only admins and owners may kick a moderator",
                ));
            }
            Ok(())
        }
        AdminRole::Moderator => {
            if !is_admin_or_owner(actor.affiliation) {
                return Err(Denied::Forbidden(
                    "Only admins and owners may grant moderator status",
                ));
            }
            Ok(())
        }
        AdminRole::Participant | AdminRole::Visitor if target.role == Role::Moderator => {
            if !is_admin_or_owner(actor.affiliation) {
                return Err(Denied::Forbidden(
                    "Only admins and owners may revoke moderator status",
                ));
            }
            if is_admin_or_owner(target.affiliation) {
                return Err(Denied::NotAllowed(
                    "Moderator status cannot be revoked from an admin or owner",
                ));
            }
            Ok(())
        }
        AdminRole::Visitor => {
            if is_admin_or_owner(target.affiliation) {
                return Err(Denied::NotAllowed(
                    "Voice cannot be revoked from an admin or owner",
                ));
            }
            // §8.4: not from an affiliation at or above the moderator's own (an unaffiliated
            // moderator may still silence unaffiliated participants).
            if target.affiliation != AdminAffiliation::None
                && rank(target.affiliation) >= rank(actor.affiliation)
            {
                return Err(Denied::NotAllowed(
                    "You may not revoke voice from someone of your affiliation or higher",
                ));
            }
            Ok(())
        }
        AdminRole::Participant | AdminRole::Player => Ok(()),
    }
}

/// §5.2.2 with §9.1–§9.5 and §10.3–§10.8: may `actor` give `target` the affiliation `new`?
/// (That the room keeps an owner is checked over a whole request by the caller, see
/// [`keeps_an_owner`].)
pub fn may_set_affiliation(
    actor: &Actor,
    target: &Target,
    new: AdminAffiliation,
) -> Result<(), Denied> {
    may_change_affiliations(actor)?;
    if new == AdminAffiliation::Outcast && target.jid == actor.jid {
        return Err(Denied::Conflict("You may not ban yourself"));
    }
    if actor.affiliation == AdminAffiliation::Owner {
        return Ok(());
    }
    if is_admin_or_owner(new) {
        return Err(Denied::Forbidden(
            "Only owners may edit the admin and owner lists",
        ));
    }
    if is_admin_or_owner(target.affiliation) {
        return Err(Denied::NotAllowed(
            "Only owners may change the affiliation of an admin or owner",
        ));
    }
    Ok(())
}

/// §10.5: every room keeps at least one owner.
pub fn keeps_an_owner(owners_after: usize) -> Result<(), Denied> {
    if owners_after == 0 {
        Err(Denied::Conflict("The room must keep at least one owner"))
    } else {
        Ok(())
    }
}

/// Which lists an occupant may read (§7.11, §8.5, §9.5, §9.8, §10.5, §10.7). The owner and
/// admin lists are the owners' (§10.5, §10.8: forbidden to anyone else in a semi-anonymous room;
/// in a non-anonymous one, where the JIDs are no secret, admins may read them too). The ban and
/// member lists are the admins' (§9.1, §9.5); besides, the roles `getmemberlist` names and,
/// in a non-anonymous members-only room, its members read the member list (§9.5's note).
pub fn may_get_affiliation_list(
    actor: &Actor,
    list: AdminAffiliation,
    config: &super::config::RoomConfig,
) -> Result<(), Denied> {
    if actor.affiliation == AdminAffiliation::Owner {
        return Ok(());
    }
    if is_admin_or_owner(list) {
        if actor.affiliation == AdminAffiliation::Admin
            && config.whois == super::config::Whois::Anyone
        {
            return Ok(());
        }
        return Err(Denied::Forbidden(
            "Only owners may retrieve the owner and admin lists of this room",
        ));
    }
    if is_admin_or_owner(actor.affiliation) {
        return Ok(());
    }
    let member = rank(actor.affiliation) >= rank(AdminAffiliation::Member);
    let open_book = config.members_only && config.whois == super::config::Whois::Anyone;
    if list == AdminAffiliation::Member
        && (config.get_member_list.contains(&actor.role) || (member && open_book))
    {
        return Ok(());
    }
    Err(Denied::Forbidden(
        "You are not allowed to retrieve this list",
    ))
}

pub fn may_get_role_list(actor: &Actor, list: AdminRole) -> Result<(), Denied> {
    match list {
        AdminRole::Moderator if !is_admin_or_owner(actor.affiliation) => Err(Denied::Forbidden(
            "Only admins and owners may retrieve the moderator list",
        )),
        _ if actor.role != Role::Moderator && !is_admin_or_owner(actor.affiliation) => {
            Err(Denied::Forbidden("Only moderators may retrieve this list"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
#[path = "tests/privileges.rs"]
mod tests;
