//! What the owner sets for the whole community: who may register, whether reading needs an
//! account, the community's description and its rules page. One row, read by every node;
//! each change is logged.

use diesel::prelude::*;
use stoa_db::schema::community_settings;
use stoa_db::{DbConn, UserId};

use crate::Error;
use crate::audit::{self, AuditAction, Entry, Target};

/// Who may create an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Registration {
    /// Anyone.
    #[default]
    Open,
    /// Anyone, but new accounts read only until a moderator approves them.
    Approval,
    /// Only with an invitation link from staff or moderators.
    Invite,
    /// Nobody.
    Closed,
}

impl Registration {
    pub const ALL: [Registration; 4] = [
        Registration::Open,
        Registration::Approval,
        Registration::Invite,
        Registration::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Registration::Open => "open",
            Registration::Approval => "approval",
            Registration::Invite => "invite",
            Registration::Closed => "closed",
        }
    }

    /// How the settings page names it.
    pub fn label(self) -> &'static str {
        match self {
            Registration::Open => "Open: anyone can sign up",
            Registration::Approval => {
                "Approval required: new members read until a moderator approves them"
            }
            Registration::Invite => {
                "Invitation only: sign-up needs a link from staff or moderators"
            }
            Registration::Closed => "Closed: nobody can sign up",
        }
    }

    pub fn parse(s: &str) -> Option<Registration> {
        Registration::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The community's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Community {
    pub registration: Registration,
    pub login_required: bool,
    /// The name the owner gave the community; empty: the configured one.
    pub name: String,
    pub description: String,
    pub rules_source: String,
    pub rules_html: String,
}

/// The longest name, description and rules.
pub const NAME_MAX_CHARS: usize = 60;
pub const DESCRIPTION_MAX_CHARS: usize = 500;
pub const RULES_MAX_CHARS: usize = 20_000;

/// The settings as stored.
pub fn load(conn: &mut DbConn) -> Result<Community, Error> {
    let (registration, login_required, name, description, rules_source, rules_html): (
        String,
        bool,
        String,
        String,
        String,
        String,
    ) = community_settings::table
        .find(1_i64)
        .select((
            community_settings::registration,
            community_settings::login_required,
            community_settings::name,
            community_settings::description,
            community_settings::rules_source,
            community_settings::rules_html,
        ))
        .first(conn)
        .optional()?
        .unwrap_or_default();
    Ok(Community {
        registration: Registration::parse(&registration).unwrap_or_default(),
        login_required,
        name,
        description,
        rules_source,
        rules_html,
    })
}

/// What the owner's settings form sends.
#[derive(Debug, Clone, Copy)]
pub struct Changes<'a> {
    pub registration: Registration,
    pub login_required: bool,
    pub name: &'a str,
    pub description: &'a str,
    pub rules_source: &'a str,
}

/// Saves the owner's changes: registration, reading, name, description and rules (Markdown,
/// rendered through the same sanitizer as posts). Each setting that changed is logged.
/// Call inside a write transaction.
pub fn save(conn: &mut DbConn, by: UserId, changes: Changes<'_>) -> Result<(), Error> {
    let Changes {
        registration,
        login_required,
        name,
        description,
        rules_source,
    } = changes;
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(Error::Invalid(format!(
            "Keep the name under {NAME_MAX_CHARS} characters."
        )));
    }
    let description = description.trim();
    if description.chars().count() > DESCRIPTION_MAX_CHARS {
        return Err(Error::Invalid(format!(
            "Keep the description under {DESCRIPTION_MAX_CHARS} characters."
        )));
    }
    let rules_source = rules_source.trim_end();
    if rules_source.chars().count() > RULES_MAX_CHARS {
        return Err(Error::Invalid(format!(
            "Keep the rules under {RULES_MAX_CHARS} characters."
        )));
    }
    let before = load(conn)?;
    diesel::update(community_settings::table.find(1_i64))
        .set((
            community_settings::registration.eq(registration.as_str()),
            community_settings::login_required.eq(login_required),
            community_settings::name.eq(&name),
            community_settings::description.eq(description),
            community_settings::rules_source.eq(rules_source),
            community_settings::rules_html.eq(stoa_threads::markdown::render(rules_source)),
        ))
        .execute(conn)?;
    let changes = [
        (
            before.registration != registration,
            "registration",
            registration.as_str().to_owned(),
        ),
        (
            before.login_required != login_required,
            "login required to read",
            if login_required { "on" } else { "off" }.to_owned(),
        ),
        (before.name != name, "name", name.clone()),
        (
            before.description != description,
            "description",
            "changed".to_owned(),
        ),
        (
            before.rules_source != rules_source,
            "rules",
            "changed".to_owned(),
        ),
    ];
    for (changed, setting, value) in changes {
        if changed {
            audit::record(
                conn,
                Entry {
                    actor: by,
                    action: AuditAction::ChangeSetting,
                    target: Target::Setting,
                    label: setting,
                    reason: &value,
                },
            )?;
        }
    }
    Ok(())
}
