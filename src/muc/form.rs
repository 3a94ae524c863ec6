//! The room configuration form (muc#roomconfig, §10.2, §16.5.3). Features contribute fields to
//! the [`ConfigFields`] registry; the owner module renders and applies the whole form.

use bevy_ecs::prelude::*;
use xmpp_parsers::data_forms::{DataForm, DataFormType, Field, FieldType, Option_};
use xmpp_parsers::muc::user::Status;
use xmpp_parsers::stanza_error::DefinedCondition;

use super::config::{AllowPm, RoomConfig, Whois};

pub const ROOMCONFIG: &str = "http://jabber.org/protocol/muc#roomconfig";

/// How a field is shown and what values it takes.
#[derive(Debug, Clone, Copy)]
pub enum FieldKind {
    Boolean,
    TextSingle,
    TextPrivate,
    ListSingle(&'static [(&'static str, &'static str)]),
}

/// Service limits a submission is checked against.
#[derive(Debug, Clone, Copy)]
pub struct FormContext {
    pub max_history: u32,
}

/// One configuration field: how to read it from and write it into a [`RoomConfig`].
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub var: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    pub get: fn(&RoomConfig) -> Vec<String>,
    pub set: fn(&mut RoomConfig, &[String], &FormContext) -> Result<(), String>,
}

/// The fields of the configuration form, in the order they are shown.
#[derive(Resource, Debug, Clone)]
pub struct ConfigFields(pub Vec<FieldSpec>);

impl Default for ConfigFields {
    fn default() -> Self {
        ConfigFields(core_fields())
    }
}

/// A refused submission: the condition and a plain sentence; nothing was applied.
#[derive(Debug, Clone, PartialEq)]
pub struct FormError {
    pub condition: DefinedCondition,
    pub text: String,
}

/// An accepted submission.
#[derive(Debug, Clone)]
pub struct Applied {
    pub config: RoomConfig,
    pub changed: Vec<&'static str>,
    /// The status codes occupants are told (§10.2.1): 170–173 and 104.
    pub statuses: Vec<Status>,
}

/// The form an owner gets (§10.1.3 / §10.2).
pub fn config_form(config: &RoomConfig, fields: &ConfigFields) -> DataForm {
    let mut form_fields = Vec::new();
    for spec in &fields.0 {
        let type_ = match spec.kind {
            FieldKind::Boolean => FieldType::Boolean,
            FieldKind::TextSingle => FieldType::TextSingle,
            FieldKind::TextPrivate => FieldType::TextPrivate,
            FieldKind::ListSingle(_) => FieldType::ListSingle,
        };
        let mut field = Field::new(spec.var, type_);
        field.label = Some(spec.label.to_owned());
        field.values = (spec.get)(config);
        if let FieldKind::ListSingle(options) = spec.kind {
            field.options = options
                .iter()
                .map(|(value, label)| Option_ {
                    label: Some((*label).to_owned()),
                    value: (*value).to_owned(),
                })
                .collect();
        }
        form_fields.push(field);
    }
    let mut form = DataForm::new(DataFormType::Form, ROOMCONFIG, form_fields);
    form.title = Some("Room configuration".to_owned());
    form
}

/// Validates and applies a submitted form: all of it, or nothing.
pub fn apply_submission(
    config: &RoomConfig,
    fields: &ConfigFields,
    form: &DataForm,
    ctx: &FormContext,
) -> Result<Applied, FormError> {
    let bad = |condition, text: String| FormError { condition, text };
    if form.type_ != DataFormType::Submit {
        return Err(bad(
            DefinedCondition::BadRequest,
            "The form must be of type submit".into(),
        ));
    }
    if let Some(form_type) = form.form_type()
        && form_type != ROOMCONFIG
    {
        return Err(bad(
            DefinedCondition::BadRequest,
            format!("FORM_TYPE must be {ROOMCONFIG}"),
        ));
    }
    let mut new = config.clone();
    for field in &form.fields {
        let Some(var) = field.var.as_deref() else {
            continue;
        };
        // muc#maxhistoryfetch is the older name some clients send for the history length.
        let var = if var == "muc#maxhistoryfetch" {
            "muc#roomconfig_historylength"
        } else {
            var
        };
        let Some(spec) = fields.0.iter().find(|s| s.var == var) else {
            continue;
        };
        (spec.set)(&mut new, &field.values, ctx).map_err(|text| {
            bad(
                DefinedCondition::NotAcceptable,
                format!("{}: {text}", spec.var),
            )
        })?;
    }
    if new.password.as_deref() == Some("") {
        return Err(bad(
            DefinedCondition::NotAcceptable,
            "A password-protected room needs a non-empty password".into(),
        ));
    }
    let changed: Vec<&'static str> = fields
        .0
        .iter()
        .filter(|s| (s.get)(config) != (s.get)(&new))
        .map(|s| s.var)
        .collect();
    let mut statuses = Vec::new();
    if new.whois != config.whois {
        statuses.push(match new.whois {
            Whois::Anyone => Status::ConfigRoomNonAnonymous,
            Whois::Moderators => Status::ConfigRoomSemiAnonymous,
        });
    }
    if new.logging != config.logging {
        statuses.push(if new.logging {
            Status::ConfigRoomLoggingEnabled
        } else {
            Status::ConfigRoomLoggingDisabled
        });
    }
    let privacy = ["muc#roomconfig_whois", "muc#roomconfig_enablelogging"];
    if changed.iter().any(|v| !privacy.contains(v)) {
        statuses.insert(0, Status::ConfigNonPrivacyRelated);
    }
    Ok(Applied {
        config: new,
        changed,
        statuses,
    })
}

fn one(values: &[String]) -> Result<&str, String> {
    match values {
        [] => Ok(""),
        [v] => Ok(v.as_str()),
        _ => Err("expects a single value".into()),
    }
}

fn boolean(values: &[String]) -> Result<bool, String> {
    match one(values)? {
        "1" | "true" => Ok(true),
        "0" | "false" | "" => Ok(false),
        other => Err(format!("'{other}' is not a boolean (use 1 or 0)")),
    }
}

fn flag(on: bool) -> Vec<String> {
    vec![if on { "1" } else { "0" }.to_owned()]
}

macro_rules! bool_field {
    ($var:expr, $label:expr, $field:ident) => {
        FieldSpec {
            var: $var,
            label: $label,
            kind: FieldKind::Boolean,
            get: |c| flag(c.$field),
            set: |c, v, _| {
                c.$field = boolean(v)?;
                Ok(())
            },
        }
    };
}

macro_rules! text_field {
    ($var:expr, $label:expr, $field:ident) => {
        FieldSpec {
            var: $var,
            label: $label,
            kind: FieldKind::TextSingle,
            get: |c| vec![c.$field.clone()],
            set: |c, v, _| {
                c.$field = one(v)?.to_owned();
                Ok(())
            },
        }
    };
}

/// The fields of XEP-0045's registry that palaver's core implements.
pub fn core_fields() -> Vec<FieldSpec> {
    vec![
        text_field!("muc#roomconfig_roomname", "Natural-language room name", name),
        text_field!("muc#roomconfig_roomdesc", "Short description of the room", description),
        text_field!("muc#roomconfig_lang", "Natural language for room discussions", lang),
        bool_field!("muc#roomconfig_persistentroom", "Make room persistent", persistent),
        bool_field!("muc#roomconfig_publicroom", "Make room publicly searchable", public),
        bool_field!(
            "muc#roomconfig_changesubject",
            "Allow occupants to change the subject",
            change_subject
        ),
        FieldSpec {
            var: "muc#roomconfig_maxusers",
            label: "Maximum number of occupants",
            kind: FieldKind::ListSingle(&[
                ("5", "5"),
                ("10", "10"),
                ("20", "20"),
                ("30", "30"),
                ("50", "50"),
                ("100", "100"),
                ("none", "No limit"),
            ]),
            get: |c| vec![c.max_users.map_or("none".to_owned(), |n| n.to_string())],
            set: |c, v, _| {
                c.max_users = match one(v)? {
                    "none" | "" | "0" => None,
                    n => Some(
                        n.parse::<u32>()
                            .map_err(|_| format!("'{n}' is not a number of occupants"))?,
                    ),
                };
                Ok(())
            },
        },
        FieldSpec {
            var: "muc#roomconfig_whois",
            label: "Who may discover occupants' real JIDs",
            kind: FieldKind::ListSingle(&[
                ("moderators", "Moderators only"),
                ("anyone", "Anyone"),
            ]),
            get: |c| {
                vec![
                    match c.whois {
                        Whois::Moderators => "moderators",
                        Whois::Anyone => "anyone",
                    }
                    .to_owned(),
                ]
            },
            set: |c, v, _| {
                c.whois = match one(v)? {
                    "moderators" => Whois::Moderators,
                    "anyone" => Whois::Anyone,
                    other => return Err(format!("'{other}' is not moderators or anyone")),
                };
                Ok(())
            },
        },
        FieldSpec {
            var: "muc#roomconfig_historylength",
            label: "Number of messages kept as history",
            kind: FieldKind::TextSingle,
            get: |c| vec![c.history_length.to_string()],
            set: |c, v, ctx| {
                let v = one(v)?;
                let n: u32 = v
                    .parse()
                    .map_err(|_| format!("'{v}' is not a number of messages"))?;
                if n > ctx.max_history {
                    return Err(format!("at most {} messages are kept", ctx.max_history));
                }
                c.history_length = n;
                Ok(())
            },
        },
        bool_field!("muc#roomconfig_membersonly", "Make room members-only", members_only),
        bool_field!("muc#roomconfig_moderatedroom", "Make room moderated", moderated),
        FieldSpec {
            var: "muc#roomconfig_passwordprotectedroom",
            label: "Password required to enter",
            kind: FieldKind::Boolean,
            get: |c| flag(c.password.is_some()),
            set: |c, v, _| {
                if boolean(v)? {
                    c.password.get_or_insert_with(String::new);
                } else {
                    c.password = None;
                }
                Ok(())
            },
        },
        FieldSpec {
            var: "muc#roomconfig_roomsecret",
            label: "Password",
            kind: FieldKind::TextPrivate,
            get: |c| vec![c.password.clone().unwrap_or_default()],
            set: |c, v, _| {
                let secret = one(v)?;
                if let Some(password) = c.password.as_mut() {
                    *password = secret.to_owned();
                } else if !secret.is_empty() {
                    c.password = Some(secret.to_owned());
                }
                Ok(())
            },
        },
        bool_field!(
            "muc#roomconfig_allowinvites",
            "Allow occupants to invite others",
            allow_invites
        ),
        FieldSpec {
            var: "muc#roomconfig_allowpm",
            label: "Who may send private messages",
            kind: FieldKind::ListSingle(&[
                ("anyone", "Anyone"),
                ("participants", "Participants"),
                ("moderators", "Moderators"),
                ("none", "Nobody"),
            ]),
            get: |c| {
                vec![
                    match c.allow_pm {
                        AllowPm::Anyone => "anyone",
                        AllowPm::Participants => "participants",
                        AllowPm::Moderators => "moderators",
                        AllowPm::None => "none",
                    }
                    .to_owned(),
                ]
            },
            set: |c, v, _| {
                c.allow_pm = match one(v)? {
                    "anyone" => AllowPm::Anyone,
                    "participants" => AllowPm::Participants,
                    "moderators" => AllowPm::Moderators,
                    "none" => AllowPm::None,
                    other => return Err(format!("'{other}' is not a known choice")),
                };
                Ok(())
            },
        },
        bool_field!("muc#roomconfig_enablelogging", "Enable public logging", logging),
    ]
}
