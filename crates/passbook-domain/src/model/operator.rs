//! The people who run Passbook from the console: operators, their roles and sessions, and the
//! audit log of what they did.
use super::OperatorId;
use crate::Timestamp;

/// What an operator may do. Each role can do everything the roles below it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Reads every page; changes nothing.
    Viewer,
    /// Apps, keys, webhooks (and their replays) and the sandbox.
    Developer,
    /// Also customers' accounts, institutions and inviting operators below owner.
    Admin,
    /// Everything, including inviting owners.
    Owner,
}

/// One kind of change the console makes; every action names the one it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Create and change apps, their keys, webhook settings; send test webhooks.
    ManageApps,
    /// Deliver events again.
    ReplayWebhooks,
    /// Move an app's sandbox clock.
    UseSandbox,
    /// Refresh or unlink customers' accounts.
    ManageAccounts,
    /// Mark an institution degraded or down.
    ManageInstitutions,
    /// Invite operators.
    InviteOperators,
    /// Switch connectors on and off and set their keys (they reach banks, and some bill).
    ConfigureConnectors,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Developer, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Developer => "developer",
            Self::Admin => "admin",
            Self::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    fn least_for(permission: Permission) -> Role {
        match permission {
            Permission::ManageApps | Permission::ReplayWebhooks | Permission::UseSandbox => Role::Developer,
            Permission::ManageAccounts | Permission::ManageInstitutions | Permission::InviteOperators => Role::Admin,
            Permission::ConfigureConnectors => Role::Owner,
        }
    }

    pub fn can(self, permission: Permission) -> bool {
        self >= Self::least_for(permission)
    }

    /// Whether this role may invite someone as `role`: owners anyone, admins up to admin.
    pub fn can_invite(self, role: Role) -> bool {
        self.can(Permission::InviteOperators) && (self == Role::Owner || role < Role::Owner)
    }

    /// Whether this role may change or remove an operator who is `target`: owners anyone, admins
    /// those below them.
    pub fn can_manage(self, target: Role) -> bool {
        self.can(Permission::InviteOperators) && (self == Role::Owner || target < self)
    }
}

#[derive(Debug, Clone)]
pub struct Operator {
    pub id: OperatorId,
    pub email: String,
    pub role: Role,
    pub created_at: Timestamp,
}

/// An operator as stored: with the password's argon2id hash (a PHC string).
#[derive(Debug, Clone)]
pub struct OperatorRecord {
    pub operator: Operator,
    pub password_hash: String,
}

/// A one-time link that makes an operator with `role`.
#[derive(Debug, Clone)]
pub struct Invite {
    pub token_hash: String,
    pub role: Role,
    /// `None`: the setup link of a fresh installation.
    pub invited_by: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A live session and the operator it signs in.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub session: OperatorSession,
    pub operator: Operator,
}

/// A logged-in browser.
#[derive(Debug, Clone)]
pub struct OperatorSession {
    pub token_hash: String,
    pub operator_id: OperatorId,
    /// SHA-256 of what the browser says it is; a session shown by another browser is refused.
    pub browser_hash: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// One line of the audit log.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// `api` for an app's own requests, `operator:<id>` for an operator.
    pub actor: String,
    pub app_id: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    pub at: Timestamp,
}
