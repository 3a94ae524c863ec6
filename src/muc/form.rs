//! The room configuration form (muc#roomconfig, §10.1.3, §10.2, registry §16.5.3) and the
//! muc#roominfo disco#info extension (§6.4, §16.5.4).
//!
//! Features contribute their fields to the [`ConfigFields`] registry (as Prosody's modules
//! do); each [`FieldSpec`] says how to read its value(s) from a [`RoomConfig`], how to
//! validate and write a submitted value, and which status codes a change implies.

use bevy_ecs::prelude::*;
use xmpp_parsers::data_forms::{DataForm, DataFormType, Field, FieldType, Option_};
use xmpp_parsers::jid::Jid;
use xmpp_parsers::muc::user::Status;
use xmpp_parsers::stanza_error::{DefinedCondition, ErrorType, StanzaError};

use super::config::{AllowPm, NickChange, RoleSet, RoomConfig, Whois};

pub const ROOMCONFIG: &str = "http://jabber.org/protocol/muc#roomconfig";
pub const ROOMINFO: &str = "http://jabber.org/protocol/muc#roominfo";

/// How a field is shown and how many values it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Boolean,
    TextSingle,
    TextPrivate,
    TextMulti,
    JidSingle,
    JidMulti,
    /// `(value, label)` options.
    ListSingle(&'static [(&'static str, &'static str)]),
    ListMulti(&'static [(&'static str, &'static str)]),
}

impl FieldKind {
    pub fn field_type(self) -> FieldType {
        match self {
            FieldKind::Boolean => FieldType::Boolean,
            FieldKind::TextSingle => FieldType::TextSingle,
            FieldKind::TextPrivate => FieldType::TextPrivate,
            FieldKind::TextMulti => FieldType::TextMulti,
            FieldKind::JidSingle => FieldType::JidSingle,
            FieldKind::JidMulti => FieldType::JidMulti,
            FieldKind::ListSingle(_) => FieldType::ListSingle,
            FieldKind::ListMulti(_) => FieldType::ListMulti,
        }
    }

    /// XEP-0004 §3.3: only the -multi types (and hidden) may carry several values.
    pub fn single(self) -> bool {
        !matches!(
            self,
            FieldKind::TextMulti | FieldKind::JidMulti | FieldKind::ListMulti(_)
        )
    }

    fn options(self) -> &'static [(&'static str, &'static str)] {
        match self {
            FieldKind::ListSingle(options) | FieldKind::ListMulti(options) => options,
            _ => &[],
        }
    }
}

/// Service limits a submission is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormContext {
    /// Upper bound of `historylength`.
    pub max_history: u32,
    /// Upper bound of the archive's retention in days.
    pub archive_days: u32,
    /// The ids of the games the service has loaded.
    pub games: Vec<String>,
}

/// The games a room may be configured to host (filled by the game feature).
#[derive(Resource, Debug, Clone, Default)]
pub struct KnownGames(pub Vec<String>);

/// Reads a field's current value(s).
pub type Getter = fn(&RoomConfig) -> Vec<String>;
/// Validates submitted value(s) and writes them; the error is a plain sentence for the owner.
pub type Setter = fn(&mut RoomConfig, &[String], &FormContext) -> Result<(), String>;
/// The status codes occupants are told when the field changed from `before` to `after`.
pub type StatusFn = fn(before: &RoomConfig, after: &RoomConfig) -> Vec<Status>;

/// One configuration field.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub var: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    pub get: Getter,
    pub set: Setter,
    /// Other names a submission may use for this field.
    pub aliases: &'static [&'static str],
    /// Defaults to [`non_privacy`] (104).
    pub statuses: StatusFn,
    /// Applied after every other field, for setters that read what others set.
    pub late: bool,
}

impl FieldSpec {
    /// A field whose change is not privacy-related (status 104), applied in form order.
    pub const fn new(
        var: &'static str,
        label: &'static str,
        kind: FieldKind,
        get: Getter,
        set: Setter,
    ) -> FieldSpec {
        FieldSpec {
            var,
            label,
            kind,
            get,
            set,
            aliases: &[],
            statuses: non_privacy,
            late: false,
        }
    }

    pub const fn with_aliases(mut self, aliases: &'static [&'static str]) -> FieldSpec {
        self.aliases = aliases;
        self
    }

    pub const fn with_statuses(mut self, statuses: StatusFn) -> FieldSpec {
        self.statuses = statuses;
        self
    }

    pub const fn applied_late(mut self) -> FieldSpec {
        self.late = true;
        self
    }

    fn answers_to(&self, var: &str) -> bool {
        self.var == var || self.aliases.contains(&var)
    }
}

/// Status 104: a non-privacy-related configuration change (§10.2.1).
pub fn non_privacy(_: &RoomConfig, _: &RoomConfig) -> Vec<Status> {
    vec![Status::ConfigNonPrivacyRelated]
}

/// The fields of the configuration form, in the order they are shown.
#[derive(Resource, Debug, Clone)]
pub struct ConfigFields(pub Vec<FieldSpec>);

impl Default for ConfigFields {
    fn default() -> Self {
        ConfigFields(core_fields())
    }
}

impl ConfigFields {
    /// Adds a feature's field at the end, or replaces the field with the same var in place.
    pub fn push(&mut self, spec: FieldSpec) -> &mut Self {
        match self.0.iter_mut().find(|s| s.var == spec.var) {
            Some(slot) => *slot = spec,
            None => self.0.push(spec),
        }
        self
    }

    pub fn get(&self, var: &str) -> Option<&FieldSpec> {
        self.0.iter().find(|s| s.var == var)
    }
}

/// A refused submission: nothing was applied.
#[derive(Debug, Clone, PartialEq)]
pub struct FormError {
    /// `BadRequest` for a malformed form, `NotAcceptable` for a value the room cannot take.
    pub condition: DefinedCondition,
    /// A plain sentence for the owner.
    pub text: String,
}

impl FormError {
    fn bad_request(text: String) -> FormError {
        FormError {
            condition: DefinedCondition::BadRequest,
            text,
        }
    }

    fn not_acceptable(text: String) -> FormError {
        FormError {
            condition: DefinedCondition::NotAcceptable,
            text,
        }
    }

    /// The stanza error to answer with; both conditions are of type modify (RFC 6120 §8.3.3).
    pub fn to_stanza_error(&self, by: &Jid) -> StanzaError {
        crate::stanza::error(
            ErrorType::Modify,
            self.condition.clone(),
            by,
            Some(&self.text),
        )
    }
}

impl std::fmt::Display for FormError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for FormError {}

/// An accepted submission.
#[derive(Debug, Clone)]
pub struct Applied {
    pub config: RoomConfig,
    /// The vars whose value changed, in form order.
    pub changed: Vec<&'static str>,
    /// What occupants are told (§10.2.1), each code once; empty when nothing changed.
    pub statuses: Vec<Status>,
}

/// The form an owner gets (§10.1.3, §10.2), showing the room's current values.
pub fn config_form(config: &RoomConfig, fields: &ConfigFields) -> DataForm {
    let form_fields = fields
        .0
        .iter()
        .map(|spec| {
            let mut field = Field::new(spec.var, spec.kind.field_type());
            field.label = Some(spec.label.to_owned());
            field.values = (spec.get)(config);
            let option = |value: &str, label: &str| Option_ {
                label: Some(label.to_owned()),
                value: value.to_owned(),
            };
            field.options = spec
                .kind
                .options()
                .iter()
                .map(|(value, label)| option(value, label))
                .collect();
            if !field.options.is_empty() {
                // A value outside the usual choices (e.g. 7 occupants) must still be selectable.
                let extra: Vec<Option_> = field
                    .values
                    .iter()
                    .filter(|v| !field.options.iter().any(|o| &o.value == *v))
                    .map(|v| option(v, v))
                    .collect();
                field.options.extend(extra);
            }
            field
        })
        .collect();
    let mut form = DataForm::new(DataFormType::Form, ROOMCONFIG, form_fields);
    form.title = Some(if config.name.is_empty() {
        "Room configuration".to_owned()
    } else {
        format!("Configuration of “{}”", config.name)
    });
    form.instructions =
        Some("Complete this form to change the configuration of your room.".to_owned());
    form
}

/// Validates a submitted form and applies all of it, or nothing (§10.2). Fields the room does
/// not know are ignored; an empty submission keeps the configuration (an instant room).
pub fn apply_submission(
    config: &RoomConfig,
    fields: &ConfigFields,
    form: &DataForm,
    ctx: &FormContext,
) -> Result<Applied, FormError> {
    if form.type_ != DataFormType::Submit {
        return Err(FormError::bad_request(
            "The configuration form must be sent back with type 'submit'.".into(),
        ));
    }
    if let Some(form_type) = form.form_type()
        && form_type != ROOMCONFIG
    {
        return Err(FormError::bad_request(format!(
            "This is not a room configuration form (FORM_TYPE {form_type})."
        )));
    }
    let mut submitted: Vec<(&FieldSpec, &[String])> = Vec::new();
    for spec in &fields.0 {
        let mut values = None;
        for field in &form.fields {
            let Some(var) = field.var.as_deref() else {
                continue;
            };
            if !spec.answers_to(var) {
                continue;
            }
            if form
                .fields
                .iter()
                .filter(|f| f.var.as_deref() == Some(var))
                .count()
                > 1
            {
                return Err(FormError::bad_request(format!(
                    "The field {var} appears more than once."
                )));
            }
            if spec.kind.single() && field.values.len() > 1 {
                return Err(FormError::bad_request(format!(
                    "The field {var} takes a single value."
                )));
            }
            // The field's own name wins over an alias sent alongside it.
            if values.is_none() || var == spec.var {
                values = Some(field.values.as_slice());
            }
        }
        if let Some(values) = values {
            submitted.push((spec, values));
        }
    }
    let mut new = config.clone();
    let in_order = submitted.iter().filter(|(s, _)| !s.late);
    let late = submitted.iter().filter(|(s, _)| s.late);
    for (spec, values) in in_order.chain(late) {
        (spec.set)(&mut new, values, ctx).map_err(FormError::not_acceptable)?;
    }
    let mut changed = Vec::new();
    let mut statuses: Vec<Status> = Vec::new();
    for spec in &fields.0 {
        if (spec.get)(config) != (spec.get)(&new) {
            changed.push(spec.var);
            for status in (spec.statuses)(config, &new) {
                if !statuses.contains(&status) {
                    statuses.push(status);
                }
            }
        }
    }
    Ok(Applied {
        config: new,
        changed,
        statuses,
    })
}

/// The XEP-0128 extension of a room's disco#info (§6.4, registry §16.5.4).
pub fn roominfo_form(config: &RoomConfig, subject: Option<&str>, occupants: usize) -> DataForm {
    let field = |var: &str, type_: FieldType, label: &str, values: Vec<String>| {
        let mut field = Field::new(var, type_);
        field.label = Some(label.to_owned());
        field.values = values;
        field
    };
    let text = FieldType::TextSingle;
    let boolean = |on: bool| vec![flag(on).to_owned()];
    let mut fields = vec![
        field(
            "muc#roominfo_description",
            text.clone(),
            "Description",
            vec![config.description.clone()],
        ),
        field(
            "muc#roominfo_subject",
            text.clone(),
            "Current Discussion Topic",
            subject
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .into_iter()
                .collect(),
        ),
        // Both names are in use: the registry's subjectmod and §6.4's roomconfig field.
        field(
            "muc#roominfo_subjectmod",
            FieldType::Boolean,
            "The room subject can be modified by participants",
            boolean(config.change_subject),
        ),
        field(
            "muc#roomconfig_changesubject",
            FieldType::Boolean,
            "Subject can be modified",
            boolean(config.change_subject),
        ),
        field(
            "muc#roominfo_occupants",
            text.clone(),
            "Number of occupants",
            vec![occupants.to_string()],
        ),
    ];
    if !config.lang.is_empty() {
        fields.push(field(
            "muc#roominfo_lang",
            text.clone(),
            "Language of discussion",
            vec![config.lang.clone()],
        ));
    }
    fields.push(field(
        "muc#maxhistoryfetch",
        text,
        "Maximum Number of History Messages Returned by Room",
        vec![config.history_length.to_string()],
    ));
    DataForm::new(DataFormType::Result_, ROOMINFO, fields)
}

// ---- value parsing shared by the core fields ----

pub(crate) fn flag(on: bool) -> &'static str {
    if on { "1" } else { "0" }
}

/// The single value of a field (arity is checked before setters run); none reads as empty.
pub(crate) fn single(values: &[String]) -> &str {
    values.first().map_or("", String::as_str)
}

/// XEP-0004 §3.3: "1"/"true" and "0"/"false"; a boolean without a value is false.
pub(crate) fn boolean(label: &str, values: &[String]) -> Result<bool, String> {
    match single(values).trim() {
        "1" | "true" => Ok(true),
        "0" | "false" | "" => Ok(false),
        other => Err(format!(
            "{label}: '{other}' is not a yes/no value (1 or 0)."
        )),
    }
}

/// A value out of a list-single's options.
pub(crate) fn choice<T: Copy>(
    label: &str,
    values: &[String],
    choices: &[(&str, T)],
) -> Result<T, String> {
    let value = single(values).trim();
    choices
        .iter()
        .find(|(name, _)| *name == value)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            format!("{label}: '{value}' is not one of {}.", names.join(", "))
        })
}

/// A decimal number: digits only, so that "+5" or "0x10" are refused rather than guessed at.
pub(crate) fn number(value: &str) -> Option<u32> {
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// A BCP 47 language tag, checked for shape only: letters, then alphanumeric subtags.
fn is_language_tag(tag: &str) -> bool {
    let mut subtags = tag.split('-');
    let primary_ok = subtags
        .next()
        .is_some_and(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    primary_ok
        && subtags
            .all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

const WHOIS: &[(&str, Whois)] = &[("moderators", Whois::Moderators), ("anyone", Whois::Anyone)];
const ALLOW_PM: &[(&str, AllowPm)] = &[
    ("anyone", AllowPm::Anyone),
    ("participants", AllowPm::Participants),
    ("moderators", AllowPm::Moderators),
    ("none", AllowPm::None),
];

const NICK_CHANGE: &[(&str, NickChange)] = &[
    ("anyone", NickChange::Anyone),
    ("participants", NickChange::Participants),
    ("nobody", NickChange::Nobody),
];
const ROLES: &[(&str, &str)] = &[
    ("moderator", "Moderator"),
    ("participant", "Participant"),
    ("visitor", "Visitor"),
];

fn role_names(set: RoleSet) -> Vec<String> {
    [
        (set.moderator, "moderator"),
        (set.participant, "participant"),
        (set.visitor, "visitor"),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .map(|(_, n)| n.to_owned())
    .collect()
}

fn role_set(label: &str, values: &[String]) -> Result<RoleSet, String> {
    let mut set = RoleSet {
        moderator: false,
        participant: false,
        visitor: false,
    };
    for v in values {
        match v.trim() {
            "moderator" => set.moderator = true,
            "participant" => set.participant = true,
            "visitor" => set.visitor = true,
            other => {
                return Err(format!(
                    "{label}: '{other}' is not one of moderator, participant, visitor."
                ));
            }
        }
    }
    Ok(set)
}

fn name_of<T: PartialEq>(choices: &[(&'static str, T)], value: &T) -> Vec<String> {
    choices
        .iter()
        .find(|(_, v)| v == value)
        .map(|(n, _)| (*n).to_owned())
        .into_iter()
        .collect()
}

/// 172 or 173: who can see real JIDs changed (§10.2.1).
fn whois_statuses(_: &RoomConfig, after: &RoomConfig) -> Vec<Status> {
    vec![match after.whois {
        Whois::Anyone => Status::ConfigRoomNonAnonymous,
        Whois::Moderators => Status::ConfigRoomSemiAnonymous,
    }]
}

/// 170 or 171: public logging turned on or off (§10.2.1).
fn logging_statuses(_: &RoomConfig, after: &RoomConfig) -> Vec<Status> {
    vec![if after.logging {
        Status::ConfigRoomLoggingEnabled
    } else {
        Status::ConfigRoomLoggingDisabled
    }]
}

macro_rules! bool_field {
    ($var:literal, $label:literal, $field:ident) => {
        FieldSpec::new(
            $var,
            $label,
            FieldKind::Boolean,
            |c| vec![flag(c.$field).to_owned()],
            |c, v, _| {
                c.$field = boolean($label, v)?;
                Ok(())
            },
        )
    };
}

macro_rules! text_field {
    ($var:literal, $label:literal, $field:ident) => {
        FieldSpec::new(
            $var,
            $label,
            FieldKind::TextSingle,
            |c| vec![c.$field.clone()],
            |c, v, _| {
                c.$field = single(v).to_owned();
                Ok(())
            },
        )
    };
}

/// The fields of XEP-0045's registry (§16.5.3) that palaver's core implements, with the labels
/// of §10.1.3's example form.
pub fn core_fields() -> Vec<FieldSpec> {
    vec![
        text_field!(
            "muc#roomconfig_roomname",
            "Natural-Language Room Name",
            name
        ),
        text_field!(
            "muc#roomconfig_roomdesc",
            "Short Description of Room",
            description
        ),
        FieldSpec::new(
            "muc#roomconfig_lang",
            "Natural Language for Room Discussions",
            FieldKind::TextSingle,
            |c| vec![c.lang.clone()],
            |c, v, _| {
                let lang = single(v).trim();
                if !lang.is_empty() && !is_language_tag(lang) {
                    return Err(format!(
                        "Natural Language for Room Discussions: '{lang}' is not a language tag \
                         such as en or pt-BR."
                    ));
                }
                c.lang = lang.to_owned();
                Ok(())
            },
        ),
        bool_field!(
            "muc#roomconfig_persistentroom",
            "Make Room Persistent?",
            persistent
        ),
        bool_field!(
            "muc#roomconfig_publicroom",
            "Make Room Publicly Searchable?",
            public
        ),
        bool_field!(
            "muc#roomconfig_changesubject",
            "Allow Occupants to Change Subject?",
            change_subject
        ),
        FieldSpec::new(
            "muc#roomconfig_maxusers",
            "Maximum Number of Occupants",
            FieldKind::ListSingle(&[
                ("5", "5"),
                ("10", "10"),
                ("20", "20"),
                ("30", "30"),
                ("50", "50"),
                ("100", "100"),
                ("none", "None"),
            ]),
            |c| {
                vec![
                    c.max_users
                        .map_or_else(|| "none".to_owned(), |n| n.to_string()),
                ]
            },
            |c, v, _| {
                let value = single(v).trim();
                c.max_users = match value {
                    "none" => None,
                    // Any positive number, not only the options: the list is a suggestion.
                    n => Some(number(n).filter(|&n| n > 0).ok_or_else(|| {
                        format!(
                            "Maximum Number of Occupants: '{value}' is neither a positive \
                             number nor 'none'."
                        )
                    })?),
                };
                Ok(())
            },
        ),
        FieldSpec::new(
            "muc#roomconfig_whois",
            "Who May Discover Real JIDs?",
            FieldKind::ListSingle(&[("moderators", "Moderators Only"), ("anyone", "Anyone")]),
            |c| name_of(WHOIS, &c.whois),
            |c, v, _| {
                c.whois = choice("Who May Discover Real JIDs?", v, WHOIS)?;
                Ok(())
            },
        )
        .with_statuses(whois_statuses),
        FieldSpec::new(
            "muc#roomconfig_historylength",
            "Maximum Number of History Messages Returned by Room",
            FieldKind::TextSingle,
            |c| vec![c.history_length.to_string()],
            |c, v, ctx| {
                let value = single(v).trim();
                let n = number(value).ok_or_else(|| {
                    format!("History length: '{value}' is not a number of messages.")
                })?;
                if n > ctx.max_history {
                    return Err(format!(
                        "History length: this service keeps at most {} messages.",
                        ctx.max_history
                    ));
                }
                c.history_length = n;
                Ok(())
            },
        )
        // XEP-0045's registered name for the same setting.
        .with_aliases(&["muc#maxhistoryfetch"]),
        bool_field!(
            "muc#roomconfig_membersonly",
            "Make Room Members Only?",
            members_only
        ),
        bool_field!(
            "muc#roomconfig_moderatedroom",
            "Make Room Moderated?",
            moderated
        ),
        // Applied after roomsecret whatever the order of the form, so that "protected" checks
        // the password this submission ends up with, and "not protected" drops a password the
        // client merely echoed back.
        FieldSpec::new(
            "muc#roomconfig_passwordprotectedroom",
            "Password Required for Entry?",
            FieldKind::Boolean,
            |c| vec![flag(c.password.is_some()).to_owned()],
            |c, v, _| {
                if !boolean("Password Required for Entry?", v)? {
                    c.password = None;
                } else if c.password.is_none() {
                    return Err("A password-protected room needs a password: \
                                fill in the Password field."
                        .to_owned());
                }
                Ok(())
            },
        )
        .applied_late(),
        FieldSpec::new(
            "muc#roomconfig_roomsecret",
            "Password",
            FieldKind::TextPrivate,
            |c| vec![c.password.clone().unwrap_or_default()],
            |c, v, _| {
                let secret = single(v);
                c.password = (!secret.is_empty()).then(|| secret.to_owned());
                Ok(())
            },
        ),
        bool_field!(
            "muc#roomconfig_allowinvites",
            "Allow Members to Invite Others?",
            allow_invites
        ),
        FieldSpec::new(
            "muc#roomconfig_allowpm",
            "Who Can Send Private Messages?",
            FieldKind::ListSingle(&[
                ("anyone", "Anyone"),
                ("participants", "Anyone with Voice"),
                ("moderators", "Moderators Only"),
                ("none", "Nobody"),
            ]),
            |c| name_of(ALLOW_PM, &c.allow_pm),
            |c, v, _| {
                c.allow_pm = choice("Who Can Send Private Messages?", v, ALLOW_PM)?;
                Ok(())
            },
        ),
        bool_field!(
            "muc#roomconfig_enablelogging",
            "Enable Public Logging?",
            logging
        )
        .with_statuses(logging_statuses),
        FieldSpec::new(
            "muc#roomconfig_presencebroadcast",
            "Roles for which Presence is Broadcasted",
            FieldKind::ListMulti(ROLES),
            |c| role_names(c.presence_broadcast),
            |c, v, _| {
                c.presence_broadcast = role_set("Roles for which Presence is Broadcasted", v)?;
                Ok(())
            },
        ),
        FieldSpec::new(
            "muc#roomconfig_getmemberlist",
            "Roles and Affiliations that May Retrieve Member List",
            FieldKind::ListMulti(ROLES),
            |c| role_names(c.get_member_list),
            |c, v, _| {
                c.get_member_list =
                    role_set("Roles and Affiliations that May Retrieve Member List", v)?;
                Ok(())
            },
        ),
        FieldSpec::new(
            "palaver#roomconfig_changenick",
            "Who May Change Their Nickname?",
            FieldKind::ListSingle(&[
                ("anyone", "Anyone"),
                ("participants", "Anyone with Voice"),
                ("nobody", "Nobody"),
            ]),
            |c| name_of(NICK_CHANGE, &c.nick_change),
            |c, v, _| {
                c.nick_change = choice("Who May Change Their Nickname?", v, NICK_CHANGE)?;
                Ok(())
            },
        ),
        bool_field!(
            "palaver#roomconfig_separatespectators",
            "During a Game, Keep Spectators' Chat from Players?",
            separate_spectators
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: FormContext = FormContext {
        max_history: 50,
        archive_days: 30,
        games: Vec::new(),
    };

    fn submit(pairs: &[(&str, &[&str])]) -> DataForm {
        let fields = pairs
            .iter()
            .map(|(var, values)| {
                let mut f = Field::new(var, FieldType::TextSingle);
                f.values = values.iter().map(|v| (*v).to_owned()).collect();
                f
            })
            .collect();
        DataForm::new(DataFormType::Submit, ROOMCONFIG, fields)
    }

    fn apply_to(config: &RoomConfig, pairs: &[(&str, &[&str])]) -> Result<Applied, FormError> {
        apply_submission(config, &ConfigFields::default(), &submit(pairs), &CTX)
    }

    fn apply(pairs: &[(&str, &[&str])]) -> Result<Applied, FormError> {
        apply_to(&RoomConfig::default(), pairs)
    }

    fn applied(pairs: &[(&str, &[&str])]) -> RoomConfig {
        match apply(pairs) {
            Ok(a) => a.config,
            Err(e) => panic!("{pairs:?} refused: {}", e.text),
        }
    }

    fn refused(pairs: &[(&str, &[&str])], condition: DefinedCondition) -> String {
        match apply(pairs) {
            Ok(a) => panic!("{pairs:?} accepted: {:?}", a.config),
            Err(e) => {
                assert_eq!(e.condition, condition, "{pairs:?}: {}", e.text);
                e.text
            }
        }
    }

    fn not_acceptable(pairs: &[(&str, &[&str])]) -> String {
        refused(pairs, DefinedCondition::NotAcceptable)
    }

    fn field<'a>(form: &'a DataForm, var: &str) -> &'a Field {
        form.fields
            .iter()
            .find(|f| f.var.as_deref() == Some(var))
            .unwrap_or_else(|| panic!("no field {var}"))
    }

    // ---- the form ----

    #[test]
    fn form_has_form_type_title_and_every_field() {
        let form = config_form(&RoomConfig::default(), &ConfigFields::default());
        assert_eq!(form.type_, DataFormType::Form);
        assert_eq!(form.form_type(), Some(ROOMCONFIG));
        assert_eq!(form.fields[0].type_, FieldType::Hidden);
        assert_eq!(form.title.as_deref(), Some("Room configuration"));
        let vars: Vec<&str> = form.fields[1..]
            .iter()
            .filter_map(|f| f.var.as_deref())
            .collect();
        let expected: Vec<&str> = core_fields().iter().map(|s| s.var).collect();
        assert_eq!(vars, expected);
        assert_eq!(expected.len(), 20);
        for f in &form.fields[1..] {
            assert!(f.label.as_deref().is_some_and(|l| !l.is_empty()), "{f:?}");
            if f.type_ != FieldType::ListMulti {
                assert_eq!(f.values.len(), 1, "{f:?}");
            }
        }
    }

    #[test]
    fn form_shows_current_values() {
        let config = RoomConfig {
            name: "Cave".into(),
            persistent: true,
            max_users: Some(20),
            whois: Whois::Anyone,
            password: Some("cauldron".into()),
            allow_pm: AllowPm::Moderators,
            history_length: 7,
            ..RoomConfig::default()
        };
        let form = config_form(&config, &ConfigFields::default());
        assert_eq!(form.title.as_deref(), Some("Configuration of “Cave”"));
        let value = |var| field(&form, var).values.clone();
        assert_eq!(value("muc#roomconfig_roomname"), ["Cave"]);
        assert_eq!(value("muc#roomconfig_persistentroom"), ["1"]);
        assert_eq!(value("muc#roomconfig_publicroom"), ["1"]);
        assert_eq!(value("muc#roomconfig_moderatedroom"), ["0"]);
        assert_eq!(value("muc#roomconfig_maxusers"), ["20"]);
        assert_eq!(value("muc#roomconfig_whois"), ["anyone"]);
        assert_eq!(value("muc#roomconfig_passwordprotectedroom"), ["1"]);
        assert_eq!(value("muc#roomconfig_roomsecret"), ["cauldron"]);
        assert_eq!(value("muc#roomconfig_allowpm"), ["moderators"]);
        assert_eq!(value("muc#roomconfig_historylength"), ["7"]);
        assert_eq!(
            field(&form, "muc#roomconfig_roomsecret").type_,
            FieldType::TextPrivate
        );
        assert_eq!(
            field(&form, "muc#roomconfig_enablelogging").type_,
            FieldType::Boolean
        );
    }

    #[test]
    fn list_fields_carry_options() {
        let form = config_form(&RoomConfig::default(), &ConfigFields::default());
        let maxusers = field(&form, "muc#roomconfig_maxusers");
        assert_eq!(maxusers.type_, FieldType::ListSingle);
        let values: Vec<&str> = maxusers.options.iter().map(|o| o.value.as_str()).collect();
        assert_eq!(values, ["5", "10", "20", "30", "50", "100", "none"]);
        assert_eq!(maxusers.values, ["none"]);
        let allowpm = field(&form, "muc#roomconfig_allowpm");
        assert_eq!(allowpm.options.len(), 4);
        assert_eq!(
            allowpm.options[1].label.as_deref(),
            Some("Anyone with Voice")
        );
        assert_eq!(field(&form, "muc#roomconfig_whois").options.len(), 2);
        assert!(field(&form, "muc#roomconfig_roomname").options.is_empty());
    }

    #[test]
    fn unusual_current_value_becomes_an_option() {
        let config = RoomConfig {
            max_users: Some(7),
            ..RoomConfig::default()
        };
        let form = config_form(&config, &ConfigFields::default());
        let maxusers = field(&form, "muc#roomconfig_maxusers");
        assert_eq!(maxusers.values, ["7"]);
        assert_eq!(maxusers.options.len(), 8);
        assert!(maxusers.options.iter().any(|o| o.value == "7"));
    }

    #[test]
    fn form_survives_xml() {
        let form = config_form(&RoomConfig::default(), &ConfigFields::default());
        let elem = xmpp_parsers::minidom::Element::from(form.clone());
        assert_eq!(DataForm::try_from(elem).ok(), Some(form));
    }

    #[test]
    fn submitting_the_form_back_reproduces_the_config() {
        let config = RoomConfig {
            name: "Cave".into(),
            description: "Witches".into(),
            lang: "en-GB".into(),
            persistent: true,
            public: false,
            change_subject: true,
            max_users: Some(7),
            whois: Whois::Anyone,
            history_length: 33,
            members_only: true,
            moderated: true,
            password: Some("cauldron".into()),
            allow_invites: true,
            allow_pm: AllowPm::Participants,
            logging: true,
            presence_broadcast: RoleSet {
                moderator: true,
                participant: true,
                visitor: false,
            },
            get_member_list: RoleSet::ALL,
            nick_change: NickChange::Participants,
            separate_spectators: false,
            game: None,
            game_prefix: "!".into(),
            messages_per_minute: None,
            game_options: Default::default(),
            // The archive's fields are the archive feature's (`muc::archive`): defaults here.
            archiving: true,
            archive_days: None,
            archive_readers: Default::default(),
        };
        let mut form = config_form(&config, &ConfigFields::default());
        form.type_ = DataFormType::Submit;
        let applied = apply_submission(
            &RoomConfig::default(),
            &ConfigFields::default(),
            &form,
            &CTX,
        );
        assert_eq!(applied.map(|a| a.config), Ok(config.clone()));
        // And onto itself it changes nothing.
        let same = apply_submission(&config, &ConfigFields::default(), &form, &CTX);
        let same = same.unwrap_or_else(|e| panic!("{}", e.text));
        assert!(same.changed.is_empty(), "{:?}", same.changed);
        assert!(same.statuses.is_empty());
    }

    // ---- form-level checks ----

    #[test]
    fn empty_submission_keeps_everything() {
        let config = RoomConfig {
            name: "Cave".into(),
            password: Some("x".into()),
            ..RoomConfig::default()
        };
        let form = DataForm {
            type_: DataFormType::Submit,
            title: None,
            instructions: None,
            fields: Vec::new(),
        };
        let applied = apply_submission(&config, &ConfigFields::default(), &form, &CTX);
        let applied = applied.unwrap_or_else(|e| panic!("{}", e.text));
        assert_eq!(applied.config, config);
        assert!(applied.changed.is_empty());
        assert!(applied.statuses.is_empty());
        // FORM_TYPE alone is just as empty.
        let applied = apply_to(&config, &[]).map(|a| a.config);
        assert_eq!(applied, Ok(config));
    }

    #[test]
    fn only_submit_forms_are_applied() {
        for type_ in [
            DataFormType::Form,
            DataFormType::Result_,
            DataFormType::Cancel,
        ] {
            let form = DataForm {
                type_: type_.clone(),
                title: None,
                instructions: None,
                fields: Vec::new(),
            };
            let result = apply_submission(
                &RoomConfig::default(),
                &ConfigFields::default(),
                &form,
                &CTX,
            );
            assert_eq!(
                result.err().map(|e| e.condition),
                Some(DefinedCondition::BadRequest),
                "{type_:?}"
            );
        }
    }

    #[test]
    fn wrong_form_type_is_a_bad_request() {
        let mut form = submit(&[("muc#roomconfig_roomname", &["x"])]);
        form.set_form_type("urn:example:other".into());
        let result = apply_submission(
            &RoomConfig::default(),
            &ConfigFields::default(),
            &form,
            &CTX,
        );
        assert_eq!(
            result.err().map(|e| e.condition),
            Some(DefinedCondition::BadRequest)
        );
    }

    #[test]
    fn missing_form_type_is_accepted() {
        let mut form = submit(&[("muc#roomconfig_roomname", &["Cave"])]);
        form.fields
            .retain(|f| f.var.as_deref() != Some("FORM_TYPE"));
        assert_eq!(form.form_type(), None);
        let result = apply_submission(
            &RoomConfig::default(),
            &ConfigFields::default(),
            &form,
            &CTX,
        );
        assert_eq!(result.map(|a| a.config.name).ok().as_deref(), Some("Cave"));
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let config = applied(&[
            ("muc#roomconfig_pubsub", &["xmpp:pubsub.example/node"]),
            ("x-unknown", &["whatever"]),
            ("muc#roomconfig_roomname", &["Cave"]),
        ]);
        assert_eq!(config.name, "Cave");
        assert_eq!(
            RoomConfig {
                name: String::new(),
                ..config
            },
            RoomConfig::default()
        );
    }

    #[test]
    fn several_values_for_a_single_field_is_a_bad_request() {
        let text = refused(
            &[("muc#roomconfig_roomname", &["a", "b"])],
            DefinedCondition::BadRequest,
        );
        assert!(text.contains("muc#roomconfig_roomname"), "{text}");
        refused(
            &[("muc#roomconfig_publicroom", &["1", "0"])],
            DefinedCondition::BadRequest,
        );
    }

    #[test]
    fn a_field_twice_is_a_bad_request() {
        refused(
            &[
                ("muc#roomconfig_roomname", &["a"]),
                ("muc#roomconfig_roomname", &["b"]),
            ],
            DefinedCondition::BadRequest,
        );
    }

    #[test]
    fn one_bad_field_applies_nothing() {
        let config = RoomConfig::default();
        let result = apply_to(
            &config,
            &[
                ("muc#roomconfig_roomname", &["Cave"]),
                ("muc#roomconfig_persistentroom", &["1"]),
                ("muc#roomconfig_maxusers", &["lots"]),
                ("muc#roomconfig_publicroom", &["0"]),
            ],
        );
        let err = result.err().map(|e| (e.condition, e.text));
        let Some((condition, text)) = err else {
            panic!("accepted");
        };
        assert_eq!(condition, DefinedCondition::NotAcceptable);
        assert!(text.contains("Maximum Number of Occupants"), "{text}");
        assert!(text.contains("lots"), "{text}");
        assert_eq!(config, RoomConfig::default());
    }

    #[test]
    fn form_error_becomes_a_modify_stanza_error() {
        let by: Jid = "room@conference.example.org".parse().expect("valid JID");
        let e = FormError::not_acceptable("No.".into()).to_stanza_error(&by);
        assert_eq!(e.type_, ErrorType::Modify);
        assert_eq!(e.defined_condition, DefinedCondition::NotAcceptable);
        assert_eq!(e.texts.get("en").map(String::as_str), Some("No."));
        assert_eq!(e.by, Some(by));
    }

    // ---- each field ----

    #[test]
    fn text_fields() {
        let c = applied(&[
            ("muc#roomconfig_roomname", &["A Dark Cave"]),
            (
                "muc#roomconfig_roomdesc",
                &["The place for all good witches!"],
            ),
        ]);
        assert_eq!(c.name, "A Dark Cave");
        assert_eq!(c.description, "The place for all good witches!");
        let named = RoomConfig {
            name: "x".into(),
            ..RoomConfig::default()
        };
        let cleared = apply_to(&named, &[("muc#roomconfig_roomname", &[])]);
        assert_eq!(cleared.map(|a| a.config.name).ok().as_deref(), Some(""));
    }

    #[test]
    fn lang_field() {
        for tag in ["en", "pt-BR", "zh-Hant-TW", "de-CH-1901", ""] {
            assert_eq!(applied(&[("muc#roomconfig_lang", &[tag])]).lang, tag);
        }
        for tag in [
            "english language",
            "en_GB",
            "-en",
            "en-",
            "toolongprimary",
            "é",
        ] {
            not_acceptable(&[("muc#roomconfig_lang", &[tag])]);
        }
    }

    #[test]
    fn boolean_fields() {
        type Get = fn(&RoomConfig) -> bool;
        let cases: [(&str, Get); 8] = [
            ("muc#roomconfig_persistentroom", |c| c.persistent),
            ("muc#roomconfig_publicroom", |c| c.public),
            ("muc#roomconfig_changesubject", |c| c.change_subject),
            ("muc#roomconfig_membersonly", |c| c.members_only),
            ("muc#roomconfig_moderatedroom", |c| c.moderated),
            ("muc#roomconfig_allowinvites", |c| c.allow_invites),
            ("muc#roomconfig_enablelogging", |c| c.logging),
            ("muc#roomconfig_passwordprotectedroom", |c| {
                c.password.is_some()
            }),
        ];
        for (var, get) in cases {
            let password = ("muc#roomconfig_roomsecret", &["s"][..]);
            for (value, expected) in [("1", true), ("true", true), ("0", false), ("false", false)] {
                let c = applied(&[(var, &[value]), password]);
                assert_eq!(get(&c), expected, "{var}={value}");
            }
            // XEP-0004: a boolean's default is false.
            assert!(!get(&applied(&[(var, &[])])), "{var} without value");
            for value in ["yes", "2", "True", "on"] {
                let text = not_acceptable(&[(var, &[value]), password]);
                assert!(text.contains(value), "{text}");
            }
        }
    }

    #[test]
    fn maxusers_field() {
        for (value, expected) in [
            ("5", Some(5)),
            ("100", Some(100)),
            ("7", Some(7)),
            ("1000", Some(1000)),
            ("none", None),
        ] {
            let c = applied(&[("muc#roomconfig_maxusers", &[value])]);
            assert_eq!(c.max_users, expected, "{value}");
        }
        for value in ["0", "-1", "+5", "ten", "", "99999999999", "None"] {
            not_acceptable(&[("muc#roomconfig_maxusers", &[value])]);
        }
    }

    #[test]
    fn whois_field() {
        assert_eq!(
            applied(&[("muc#roomconfig_whois", &["anyone"])]).whois,
            Whois::Anyone
        );
        assert_eq!(
            applied(&[("muc#roomconfig_whois", &["moderators"])]).whois,
            Whois::Moderators
        );
        for value in ["everyone", "", "Anyone"] {
            not_acceptable(&[("muc#roomconfig_whois", &[value])]);
        }
    }

    #[test]
    fn historylength_field() {
        for (value, expected) in [("0", 0), ("20", 20), ("50", 50)] {
            let c = applied(&[("muc#roomconfig_historylength", &[value])]);
            assert_eq!(c.history_length, expected);
        }
        let text = not_acceptable(&[("muc#roomconfig_historylength", &["51"])]);
        assert!(text.contains("50"), "{text}");
        for value in ["-1", "many", "", "1.5"] {
            not_acceptable(&[("muc#roomconfig_historylength", &[value])]);
        }
    }

    #[test]
    fn maxhistoryfetch_is_an_alias() {
        let c = applied(&[("muc#maxhistoryfetch", &["12"])]);
        assert_eq!(c.history_length, 12);
        not_acceptable(&[("muc#maxhistoryfetch", &["500"])]);
        // The field's own name wins, whichever comes first.
        let c = applied(&[
            ("muc#maxhistoryfetch", &["12"]),
            ("muc#roomconfig_historylength", &["30"]),
        ]);
        assert_eq!(c.history_length, 30);
        let changed = apply(&[("muc#maxhistoryfetch", &["12"])]).map(|a| a.changed);
        assert_eq!(changed, Ok(vec!["muc#roomconfig_historylength"]));
    }

    #[test]
    fn allowpm_field() {
        for (value, expected) in [
            ("anyone", AllowPm::Anyone),
            ("participants", AllowPm::Participants),
            ("moderators", AllowPm::Moderators),
            ("none", AllowPm::None),
        ] {
            assert_eq!(
                applied(&[("muc#roomconfig_allowpm", &[value])]).allow_pm,
                expected
            );
        }
        not_acceptable(&[("muc#roomconfig_allowpm", &["visitors"])]);
    }

    #[test]
    fn password_fields() {
        const PROTECTED: &str = "muc#roomconfig_passwordprotectedroom";
        const SECRET: &str = "muc#roomconfig_roomsecret";
        // Protected with a password, in either order.
        let c = applied(&[(PROTECTED, &["1"]), (SECRET, &["cauldronburn"])]);
        assert_eq!(c.password.as_deref(), Some("cauldronburn"));
        let c = applied(&[(SECRET, &["cauldronburn"]), (PROTECTED, &["1"])]);
        assert_eq!(c.password.as_deref(), Some("cauldronburn"));
        // Protected without a password.
        let text = not_acceptable(&[(PROTECTED, &["1"])]);
        assert!(text.contains("password"), "{text}");
        not_acceptable(&[(PROTECTED, &["1"]), (SECRET, &[""])]);
        // Not protected: an echoed password is dropped.
        let locked = RoomConfig {
            password: Some("old".into()),
            ..RoomConfig::default()
        };
        let c = apply_to(&locked, &[(PROTECTED, &["0"]), (SECRET, &["old"])]);
        assert_eq!(c.map(|a| a.config.password), Ok(None));
        // Protected, password kept when the secret is not resent.
        let c = apply_to(&locked, &[(PROTECTED, &["1"])]);
        assert_eq!(c.map(|a| a.config.password), Ok(Some("old".into())));
        // The secret alone decides.
        let c = applied(&[(SECRET, &["new"])]);
        assert_eq!(c.password.as_deref(), Some("new"));
        let c = apply_to(&locked, &[(SECRET, &[""])]);
        assert_eq!(c.map(|a| a.config.password), Ok(None));
    }

    // ---- status codes ----

    fn statuses(before: &RoomConfig, pairs: &[(&str, &[&str])]) -> Vec<Status> {
        match apply_to(before, pairs) {
            Ok(a) => a.statuses,
            Err(e) => panic!("{}", e.text),
        }
    }

    #[test]
    fn privacy_statuses() {
        let semi = RoomConfig::default();
        let non = RoomConfig {
            whois: Whois::Anyone,
            ..RoomConfig::default()
        };
        assert_eq!(
            statuses(&semi, &[("muc#roomconfig_whois", &["anyone"])]),
            [Status::ConfigRoomNonAnonymous]
        );
        assert_eq!(
            statuses(&non, &[("muc#roomconfig_whois", &["moderators"])]),
            [Status::ConfigRoomSemiAnonymous]
        );
        assert_eq!(
            statuses(&semi, &[("muc#roomconfig_enablelogging", &["1"])]),
            [Status::ConfigRoomLoggingEnabled]
        );
        let logged = RoomConfig {
            logging: true,
            ..RoomConfig::default()
        };
        assert_eq!(
            statuses(&logged, &[("muc#roomconfig_enablelogging", &["0"])]),
            [Status::ConfigRoomLoggingDisabled]
        );
    }

    #[test]
    fn non_privacy_status_once() {
        let before = RoomConfig::default();
        assert_eq!(
            statuses(
                &before,
                &[
                    ("muc#roomconfig_roomname", &["Cave"]),
                    ("muc#roomconfig_moderatedroom", &["1"]),
                    ("muc#roomconfig_passwordprotectedroom", &["1"]),
                    ("muc#roomconfig_roomsecret", &["s"]),
                ]
            ),
            [Status::ConfigNonPrivacyRelated]
        );
        let both = statuses(
            &before,
            &[
                ("muc#roomconfig_whois", &["anyone"]),
                ("muc#roomconfig_roomname", &["Cave"]),
            ],
        );
        assert_eq!(both.len(), 2);
        assert!(both.contains(&Status::ConfigNonPrivacyRelated));
        assert!(both.contains(&Status::ConfigRoomNonAnonymous));
    }

    #[test]
    fn unchanged_values_imply_nothing() {
        let before = RoomConfig::default();
        let a = apply_to(
            &before,
            &[
                ("muc#roomconfig_whois", &["moderators"]),
                ("muc#roomconfig_publicroom", &["true"]),
                ("muc#roomconfig_historylength", &["20"]),
            ],
        );
        let a = a.unwrap_or_else(|e| panic!("{}", e.text));
        assert!(a.changed.is_empty(), "{:?}", a.changed);
        assert!(a.statuses.is_empty());
    }

    #[test]
    fn changed_lists_vars_in_form_order() {
        let a = apply(&[
            ("muc#roomconfig_enablelogging", &["1"]),
            ("muc#roomconfig_roomname", &["Cave"]),
        ]);
        assert_eq!(
            a.map(|a| a.changed),
            Ok(vec![
                "muc#roomconfig_roomname",
                "muc#roomconfig_enablelogging"
            ])
        );
    }

    // ---- features' fields ----

    #[test]
    fn features_contribute_and_replace_fields() {
        let mut fields = ConfigFields::default();
        fields.push(
            FieldSpec::new(
                "palaver#seats",
                "Seats at the table",
                FieldKind::TextSingle,
                |c| vec![c.max_users.unwrap_or(0).to_string()],
                |c, v, _| {
                    let n = number(single(v)).ok_or("Seats: not a number.")?;
                    c.max_users = Some(n);
                    Ok(())
                },
            )
            .with_statuses(|_, _| Vec::new()),
        );
        assert_eq!(fields.0.len(), 21);
        let form = config_form(&RoomConfig::default(), &fields);
        assert_eq!(field(&form, "palaver#seats").values, ["0"]);
        let result = apply_submission(
            &RoomConfig::default(),
            &fields,
            &submit(&[("palaver#seats", &["4"])]),
            &CTX,
        );
        let a = result.unwrap_or_else(|e| panic!("{}", e.text));
        assert_eq!(a.config.max_users, Some(4));
        // maxusers changed too (same storage) and implies 104; the seats field itself nothing.
        assert_eq!(a.changed, ["muc#roomconfig_maxusers", "palaver#seats"]);
        assert_eq!(a.statuses, [Status::ConfigNonPrivacyRelated]);

        let before = fields.0.len();
        fields.push(FieldSpec::new(
            "muc#roomconfig_roomname",
            "Table name",
            FieldKind::TextSingle,
            |c| vec![c.name.to_uppercase()],
            |c, v, _| {
                c.name = single(v).to_lowercase();
                Ok(())
            },
        ));
        assert_eq!(fields.0.len(), before);
        assert_eq!(fields.0[0].label, "Table name");
        assert_eq!(
            fields.get("muc#roomconfig_roomname").map(|s| s.label),
            Some("Table name")
        );
    }

    // ---- muc#roominfo ----

    #[test]
    fn roominfo() {
        let config = RoomConfig {
            description: "The place for all good witches!".into(),
            lang: "en".into(),
            change_subject: true,
            history_length: 50,
            ..RoomConfig::default()
        };
        let form = roominfo_form(&config, Some("Spells"), 3);
        assert_eq!(form.type_, DataFormType::Result_);
        assert_eq!(form.form_type(), Some(ROOMINFO));
        let value = |var| field(&form, var).values.clone();
        assert_eq!(
            value("muc#roominfo_description"),
            ["The place for all good witches!"]
        );
        assert_eq!(value("muc#roominfo_subject"), ["Spells"]);
        assert_eq!(value("muc#roominfo_occupants"), ["3"]);
        assert_eq!(value("muc#roomconfig_changesubject"), ["1"]);
        assert_eq!(value("muc#roominfo_subjectmod"), ["1"]);
        assert_eq!(value("muc#roominfo_lang"), ["en"]);
        assert_eq!(value("muc#maxhistoryfetch"), ["50"]);
        assert!(form.fields[1..].iter().all(|f| f.label.is_some()));

        let bare = roominfo_form(&RoomConfig::default(), None, 0);
        assert!(field(&bare, "muc#roominfo_subject").values.is_empty());
        assert_eq!(field(&bare, "muc#roomconfig_changesubject").values, ["0"]);
        assert!(
            !bare
                .fields
                .iter()
                .any(|f| f.var.as_deref() == Some("muc#roominfo_lang"))
        );
        let elem = xmpp_parsers::minidom::Element::from(bare.clone());
        assert_eq!(DataForm::try_from(elem).ok(), Some(bare));
    }
}
