//! The sandbox logins. Each username scripts what the "bank" does.
use passbook_domain::model::{Challenge, ChallengeKind, FormField};

pub const SANDBOX_PASSWORD: &str = "123456";
pub const SANDBOX_CODE: &str = "123456";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Good,
    MultipleAccounts,
    Otp,
    SecurityQuestion,
    Locked,
    InstitutionDown,
    SlowLogin,
    SlowData,
    DataPartial,
    DataUnavailable,
    DataFailed,
    NeedsReauth,
    /// A busy shop's account: about 100,000 transactions over the year (paging and filters at
    /// scale).
    LongHistory,
    /// Links normally; the bank is down one day in seven, and refreshes on those days fail.
    Outage,
}

/// (username, scenario, what it does): the table `docs/sandbox.md` and `GET /v2/connect/sandbox` show.
pub const SCENARIOS: &[(&str, Scenario, &str)] = &[
    ("user_good", Scenario::Good, "One account; data AVAILABLE"),
    ("user_multi", Scenario::MultipleAccounts, "Three accounts to choose from; data AVAILABLE"),
    ("user_mfa", Scenario::Otp, "Asks for a one-time code (123456), then one account"),
    ("user_question", Scenario::SecurityQuestion, "Asks a security question (answer 123456), then one account"),
    ("user_locked", Scenario::Locked, "The bank reports the account locked"),
    ("user_down", Scenario::InstitutionDown, "The bank is temporarily unavailable"),
    ("user_slow_login", Scenario::SlowLogin, "Login takes a few seconds, then one account"),
    ("user_slow", Scenario::SlowData, "Data stays PROCESSING for a few seconds, then AVAILABLE"),
    ("user_partial", Scenario::DataPartial, "Balance but no transactions; data PARTIAL"),
    ("user_unavailable", Scenario::DataUnavailable, "Neither balance nor transactions; data UNAVAILABLE"),
    ("user_failed", Scenario::DataFailed, "The data fetch fails; data FAILED"),
    (
        "user_reauth",
        Scenario::NeedsReauth,
        "Links normally; refreshes more than an hour after the login need re-authorisation",
    ),
    (
        "user_history",
        Scenario::LongHistory,
        "A busy shop's account: about 100,000 transactions over the year; data AVAILABLE",
    ),
    (
        "user_outage",
        Scenario::Outage,
        "Links normally; the bank is down every seventh day (by the sandbox clock), when refreshes fail",
    ),
];

/// The days `user_outage`'s bank is down: one in seven, counted from 1970-01-01 (a Thursday),
/// so every Wednesday.
pub fn outage_day(now: passbook_domain::Timestamp) -> bool {
    now.0.div_euclid(86_400_000) % 7 == 6
}

impl Scenario {
    pub fn from_username(username: &str) -> Option<Self> {
        SCENARIOS.iter().find(|(name, _, _)| *name == username).map(|(_, s, _)| *s)
    }

    pub fn challenge(self) -> Option<Challenge> {
        match self {
            Self::Otp => Some(Challenge {
                kind: ChallengeKind::Otp,
                title: "Enter the one-time code the bank sent to your phone".into(),
                fields: vec![FormField::secret("otp", "One-time code")],
            }),
            Self::SecurityQuestion => Some(Challenge {
                kind: ChallengeKind::SecurityQuestion,
                title: "What is the name of your first school?".into(),
                fields: vec![FormField::secret("answer", "Answer")],
            }),
            _ => None,
        }
    }
}
