//! Typed settings: defaults, then an optional `stoa.toml`, then environment variables.
//! Validated once at start, with a message that names the bad setting.

use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use stoa_moderation::posting::PostingRules;
use stoa_moderation::trust::Thresholds;

/// Everything Stoa can be told. Each field is listed in `docs/configuration.md`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `postgres://…` for PostgreSQL; a file path (or `sqlite://path`) for SQLite. Empty:
    /// `<data_dir>/stoa.db`.
    pub database_url: String,
    /// Folder for the SQLite file and the mail folder.
    pub data_dir: PathBuf,
    /// Address and port to listen on.
    pub bind: String,
    /// The public address of the forum, used in links sent by mail; `https://` also makes
    /// cookies `Secure`.
    pub base_url: String,
    /// The community's name, shown in the header and in mails.
    pub community_name: String,
    /// SMTP server URL (`smtps://user:pass@host`); empty: mail is written to `<data_dir>/mail`.
    pub smtp_url: String,
    /// Sender address of outgoing mail.
    pub mail_from: String,
    /// Database connections per node.
    pub db_pool_size: u32,
    /// HTTP worker threads; 0: one per core.
    pub workers: usize,
    /// A session unused this many hours ends.
    pub session_idle_hours: i64,
    /// A session ends this many days after login.
    pub session_max_days: i64,
    /// Log format: `text` or `json`.
    pub log_format: String,
    /// Take the client's address from `X-Forwarded-For`/`Forwarded` (set by a reverse proxy in
    /// front of Stoa) for rate limits. Leave off when clients connect directly: they could
    /// send any value.
    pub trust_proxy_headers: bool,
    /// The proxies whose `X-Forwarded-For` is believed (addresses or networks, comma
    /// separated); from any other peer the header is ignored.
    pub trusted_proxies: String,
    /// The least role that may create a new tag: `member`, `staff`, `moderator` or `owner`.
    pub new_tag_min_role: String,
    /// Meilisearch's address (`http://127.0.0.1:7700`); empty: search runs on the database.
    pub meili_url: String,
    /// A Meilisearch API key allowed to manage the index (empty: none).
    pub meili_api_key: String,
    /// The Meilisearch index holding the threads.
    pub meili_index: String,
    /// Flags waiting on a post that hide it until a moderator decides (1–100).
    pub flags_to_hide: u32,
    /// Seconds a person takes at least to fill in the sign-up form; sent sooner, it is
    /// refused as automated (0 turns the check off).
    pub min_fill_seconds: u32,
    /// Milliseconds a thread page waits for its related questions to be found (after a
    /// question is asked they are found again); longer, it shows those found before, or none,
    /// and they are found meanwhile for the next time the page is made (0: never waits).
    pub related_wait_ms: u32,
    /// Log-in attempts from one address a minute, and an hour.
    pub login_per_minute: u32,
    pub login_per_hour: u32,
    /// Links a post may carry at trust levels 0, 1, 2, 3 (0: no limit).
    pub max_links: [u32; 4],
    /// `@username` mentions a post may carry at levels 0–3 (0: no limit).
    pub max_mentions: [u32; 4],
    /// Seconds between two posts of one member at levels 0–3 (0: no limit).
    pub post_gap_seconds: [u32; 4],
    /// Posts a day at levels 0–3 (0: no limit).
    pub posts_per_day: [u32; 4],
    /// A level-0 member's first this-many posts wait for a moderator when they carry a link.
    pub approval_posts: u32,
    /// Hold those first posts for approval even without links.
    pub approve_all_first_posts: bool,
    /// Days visited that levels 1, 2, 3 take.
    pub trust_visit_days: [u32; 3],
    /// Posts read that levels 1, 2, 3 take.
    pub trust_posts_read: [u32; 3],
    /// Posts (not deleted) that levels 1, 2, 3 take.
    pub trust_posts: [u32; 3],
    /// Accepted answers that levels 1, 2, 3 take.
    pub trust_accepted: [u32; 3],
    /// More flags upheld against a member's posts than this, and they are not promoted.
    pub trust_max_upheld_flags: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: String::new(),
            data_dir: PathBuf::from("./stoa-data"),
            bind: "127.0.0.1:8080".into(),
            base_url: "http://127.0.0.1:8080".into(),
            community_name: "Stoa".into(),
            smtp_url: String::new(),
            mail_from: "Stoa <stoa@localhost>".into(),
            db_pool_size: 8,
            workers: 0,
            session_idle_hours: 24 * 14,
            session_max_days: 60,
            log_format: "text".into(),
            trust_proxy_headers: false,
            trusted_proxies: "127.0.0.1, ::1".into(),
            new_tag_min_role: "staff".into(),
            meili_url: String::new(),
            meili_api_key: String::new(),
            meili_index: "stoa_threads".into(),
            flags_to_hide: 3,
            min_fill_seconds: 3,
            related_wait_ms: 20,
            login_per_minute: 6,
            login_per_hour: 30,
            max_links: PostingRules::default().max_links,
            max_mentions: PostingRules::default().max_mentions,
            post_gap_seconds: PostingRules::default().gap_seconds,
            posts_per_day: PostingRules::default().per_day,
            approval_posts: PostingRules::default().approval_posts,
            approve_all_first_posts: PostingRules::default().approve_all_first_posts,
            trust_visit_days: Thresholds::default().visit_days,
            trust_posts_read: Thresholds::default().posts_read,
            trust_posts: Thresholds::default().posts,
            trust_accepted: Thresholds::default().accepted,
            trust_max_upheld_flags: Thresholds::default().max_upheld_flags,
        }
    }
}

/// A setting that cannot be used, and why.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct SettingsError(String);

impl Settings {
    /// Loads the defaults, then `file` if it exists, then the environment: `DATABASE_URL`,
    /// `MEILI_URL`, `MEILI_API_KEY`, and `STOA_<FIELD>` for every field (`STOA_BIND`, `STOA_BASE_URL`, …). `STOA_CONFIG`
    /// names the file itself and is not a setting.
    pub fn load(file: &std::path::Path) -> Result<Settings, SettingsError> {
        let settings: Settings = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(file))
            .merge(Env::raw().only(&["DATABASE_URL", "MEILI_URL", "MEILI_API_KEY"]))
            .merge(Env::prefixed("STOA_").ignore(&["CONFIG"]))
            .extract()
            .map_err(|e| SettingsError(e.to_string()))?;
        settings.validated()
    }

    /// Checks values and fills derived defaults.
    pub fn validated(mut self) -> Result<Settings, SettingsError> {
        if self.database_url.trim().is_empty() {
            self.database_url = self.data_dir.join("stoa.db").display().to_string();
        }
        stoa_db::Backend::from_url(&self.database_url)
            .map_err(|e| SettingsError(format!("DATABASE_URL: {e}")))?;
        self.base_url = self.base_url.trim_end_matches('/').to_owned();
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return Err(SettingsError(format!(
                "STOA_BASE_URL must start with http:// or https:// (got {:?})",
                self.base_url
            )));
        }
        if self.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(SettingsError(format!(
                "STOA_BIND must be an address and port like 127.0.0.1:8080 (got {:?})",
                self.bind
            )));
        }
        if !(1..=256).contains(&self.db_pool_size) {
            return Err(SettingsError(
                "STOA_DB_POOL_SIZE must be between 1 and 256".into(),
            ));
        }
        if !(1..=24 * 3650).contains(&self.session_idle_hours)
            || !(1..=3650).contains(&self.session_max_days)
        {
            return Err(SettingsError(
                "STOA_SESSION_IDLE_HOURS must be 1 to 87600 and STOA_SESSION_MAX_DAYS 1 to 3650"
                    .into(),
            ));
        }
        if !matches!(
            self.new_tag_min_role.as_str(),
            "member" | "staff" | "moderator" | "owner"
        ) {
            return Err(SettingsError(
                "STOA_NEW_TAG_MIN_ROLE must be member, staff, moderator or owner".into(),
            ));
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return Err(SettingsError(
                "STOA_LOG_FORMAT must be `text` or `json`".into(),
            ));
        }
        self.meili_url = self.meili_url.trim().trim_end_matches('/').to_owned();
        let meili_scheme =
            self.meili_url.starts_with("http://") || self.meili_url.starts_with("https://");
        if !(self.meili_url.is_empty() || meili_scheme) {
            return Err(SettingsError(format!(
                "MEILI_URL must start with http:// or https:// (got {:?})",
                self.meili_url
            )));
        }
        if self.meili_index.is_empty()
            || !self
                .meili_index
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(SettingsError(
                "STOA_MEILI_INDEX must be letters, digits, - and _".into(),
            ));
        }
        if let Err(bad) = parse_networks(&self.trusted_proxies) {
            return Err(SettingsError(format!(
                "STOA_TRUSTED_PROXIES must list addresses or networks like 10.0.0.0/8 (got {bad:?})"
            )));
        }
        if self.min_fill_seconds > 600 {
            return Err(SettingsError(
                "STOA_MIN_FILL_SECONDS must be at most 600".into(),
            ));
        }
        if self.related_wait_ms > 10_000 {
            return Err(SettingsError(
                "STOA_RELATED_WAIT_MS must be at most 10000".into(),
            ));
        }
        if self.login_per_minute == 0 || self.login_per_hour < self.login_per_minute {
            return Err(SettingsError(
                "STOA_LOGIN_PER_MINUTE must be at least 1 and STOA_LOGIN_PER_HOUR at least as much"
                    .into(),
            ));
        }
        if !(1..=100).contains(&self.flags_to_hide) {
            return Err(SettingsError(
                "STOA_FLAGS_TO_HIDE must be between 1 and 100".into(),
            ));
        }
        if self.community_name.trim().is_empty() {
            return Err(SettingsError(
                "STOA_COMMUNITY_NAME must not be empty".into(),
            ));
        }
        Ok(self)
    }

    /// True when the forum is reached over HTTPS (cookies get `Secure`).
    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    /// Session lifetimes.
    pub fn session_policy(&self) -> stoa_accounts::SessionPolicy {
        stoa_accounts::SessionPolicy {
            idle: time::Duration::hours(self.session_idle_hours),
            absolute: time::Duration::days(self.session_max_days),
        }
    }

    /// The least role that may create a tag.
    pub fn new_tag_min_role(&self) -> stoa_accounts::Role {
        stoa_accounts::Role::from_stored(&self.new_tag_min_role)
    }

    /// Whether `X-Forwarded-For` from `peer` is believed: header trust is on and `peer` is
    /// one of the trusted proxies.
    pub fn trusts_proxy(&self, peer: std::net::IpAddr) -> bool {
        self.trust_proxy_headers
            && parse_networks(&self.trusted_proxies)
                .is_ok_and(|networks| networks.iter().any(|n| n.contains(&peer)))
    }

    /// The limits on members' posts by trust level.
    pub fn posting_rules(&self) -> PostingRules {
        PostingRules {
            max_links: self.max_links,
            max_mentions: self.max_mentions,
            gap_seconds: self.post_gap_seconds,
            per_day: self.posts_per_day,
            approval_posts: self.approval_posts,
            approve_all_first_posts: self.approve_all_first_posts,
        }
    }

    /// What each trust level takes.
    pub fn trust_thresholds(&self) -> Thresholds {
        Thresholds {
            visit_days: self.trust_visit_days,
            posts_read: self.trust_posts_read,
            posts: self.trust_posts,
            accepted: self.trust_accepted,
            max_upheld_flags: self.trust_max_upheld_flags,
        }
    }

    /// Where mail goes when no SMTP server is configured.
    pub fn mail_dir(&self) -> PathBuf {
        self.data_dir.join("mail")
    }
}

/// Reads a comma-separated list of addresses (`192.0.2.1`) and networks (`10.0.0.0/8`);
/// the first entry that is neither is the error.
fn parse_networks(list: &str) -> Result<Vec<ipnet::IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<ipnet::IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| s.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        let s = Settings::default()
            .validated()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(s.database_url.ends_with("stoa.db"));
        let bad = Settings {
            base_url: "example.com".into(),
            ..Settings::default()
        }
        .validated();
        assert!(bad.is_err_and(|e| e.to_string().contains("STOA_BASE_URL")));
        let bad = Settings {
            database_url: "mysql://x".into(),
            ..Settings::default()
        }
        .validated();
        assert!(bad.is_err_and(|e| e.to_string().contains("DATABASE_URL")));
        let bad = Settings {
            trusted_proxies: "10.0.0.0/8, proxy.local".into(),
            ..Settings::default()
        }
        .validated();
        assert!(bad.is_err_and(|e| e.to_string().contains("proxy.local")));
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let s = Settings {
            trust_proxy_headers: true,
            trusted_proxies: "10.0.0.0/8, 192.0.2.7".into(),
            ..Settings::default()
        };
        let ip = |a: &str| a.parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(s.trusts_proxy(ip("10.1.2.3")) && s.trusts_proxy(ip("192.0.2.7")));
        assert!(!s.trusts_proxy(ip("192.0.2.8")) && !s.trusts_proxy(ip("127.0.0.1")));
        let off = Settings {
            trust_proxy_headers: false,
            ..s
        };
        assert!(!off.trusts_proxy(ip("10.1.2.3")));
    }
}
