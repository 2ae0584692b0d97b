use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use super::Console;
use crate::crypto::hash_secret;
use crate::model::{
    AuditEntry, Invite, LiveSession, Operator, OperatorRecord, OperatorSession, Page, PageRequest, Permission, Role,
};
use crate::store::OperatorCreated;
use crate::{Error, Result, ids};

/// How long a console session lasts from login.
pub const SESSION_TTL_MS: i64 = 12 * 60 * 60 * 1000;
/// How long the setup link and invitations stay usable.
pub const INVITE_TTL_MS: i64 = 24 * 60 * 60 * 1000;
/// Failed console logins allowed within [`LOGIN_WINDOW_MS`]; one more is refused. A guesser
/// locks an account only from its own address (the right operator elsewhere still gets in);
/// guesses spread over many addresses meet the account's overall ceiling; one address trying
/// many accounts meets its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    pub per_account_and_address: u64,
    pub per_account: u64,
    pub per_address: u64,
}

impl LoginLimits {
    /// Which limit the failures counted (per account and address, per account, per address)
    /// exceed, as the refusal says it.
    fn exceeded(&self, counted: &[u64]) -> Option<&'static str> {
        if counted[0] > self.per_account_and_address {
            Some("for this account from this address")
        } else if counted[1] > self.per_account {
            Some("for this account")
        } else if counted[2] > self.per_address {
            Some("from this address")
        } else {
            None
        }
    }
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self { per_account_and_address: 5, per_account: 50, per_address: 20 }
    }
}

pub const LOGIN_WINDOW_MS: i64 = 15 * 60 * 1000;
pub const MIN_PASSWORD_CHARS: usize = 12;

/// A login to check: what the form said and where it came from.
pub struct LoginForm<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub address: &'a str,
    /// What the browser says it is (`User-Agent`); the session only works for it.
    pub browser: &'a str,
}

/// A session just opened: its token goes in the cookie and is kept nowhere else.
pub struct OpenedSession {
    pub token: String,
    pub operator: Operator,
}

/// An operator in the middle of a request: who, and the CSRF token their forms must carry.
#[derive(Debug, Clone)]
pub struct Signed {
    pub operator: Operator,
    pub csrf: String,
    pub token_hash: String,
}

impl Signed {
    /// Refuses unless the operator's role allows `permission`.
    pub fn require(&self, permission: Permission) -> Result<()> {
        if self.operator.role.can(permission) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "A {} cannot do this; ask an owner or admin for a role that can",
                self.operator.role.as_str()
            )))
        }
    }

    pub fn actor(&self) -> String {
        format!("operator:{}", self.operator.id)
    }
}

impl Console<'_> {
    /// On a database without operators: a new setup link's token (the first owner's way in).
    pub async fn setup_token_if_needed(&self) -> Result<Option<String>> {
        if self.store.operator_count().await? > 0 {
            return Ok(None);
        }
        self.new_invite(Role::Owner, None).await.map(Some)
    }

    /// A one-time link's token; an operator's invitation is audited with it.
    async fn new_invite(&self, role: Role, invited_by: Option<&Signed>) -> Result<String> {
        let token = ids::random_alnum(32);
        let now = self.passbook.now();
        let invite = Invite {
            token_hash: hash_secret(&token),
            role,
            invited_by: invited_by.map(|by| by.operator.id.to_string()),
            created_at: now,
            expires_at: now.plus_millis(INVITE_TTL_MS),
        };
        let audit =
            invited_by.map(|by| self.passbook.audit_entry(&by.actor(), "", "operator_invited", "", role.as_str()));
        self.store.insert_invite(&invite, audit.as_ref()).await?;
        Ok(token)
    }

    /// An invitation to join as `role`; the token is shown to the inviter once.
    pub async fn invite_operator(&self, by: &Signed, role: &str) -> Result<String> {
        self.allow(by, Permission::InviteOperators).await?;
        let role = parse_role(role)?;
        if !by.operator.role.can_invite(role) {
            return Err(self.refuse(by, format!("Only an owner can invite an {}", role.as_str())).await);
        }
        self.new_invite(role, Some(by)).await
    }

    /// Invitations waiting to be used, for those who may invite.
    pub async fn pending_invitations(&self, by: &Signed) -> Result<Vec<Invite>> {
        self.allow(by, Permission::InviteOperators).await?;
        self.store.pending_invites(self.passbook.now()).await
    }

    /// Ends a pending invitation (by its token's hash, as the operators page lists it), if `by`
    /// could have sent one for that role.
    pub async fn revoke_invitation(&self, by: &Signed, token_hash: &str) -> Result<()> {
        self.allow(by, Permission::InviteOperators).await?;
        let now = self.passbook.now();
        let Some(invite) = self.store.invite(token_hash, now).await? else {
            return Err(Error::not_found("No pending invitation with that id"));
        };
        if !by.operator.role.can_invite(invite.role) {
            return Err(self
                .refuse(by, format!("Only an owner can revoke an invitation to be an {}", invite.role.as_str()))
                .await);
        }
        let audit = self.passbook.audit_entry(&by.actor(), "", "invitation_revoked", "", invite.role.as_str());
        if !self.store.revoke_invite(token_hash, now, &audit).await? {
            return Err(Error::not_found("No pending invitation with that id"));
        }
        Ok(())
    }

    /// Gives another operator a new role.
    pub async fn change_operator_role(&self, by: &Signed, id: &str, role: &str) -> Result<()> {
        let target = self.operator_to_manage(by, id).await?;
        let role = parse_role(role)?;
        if !by.operator.role.can_invite(role) {
            return Err(self.refuse(by, format!("Only an owner can make an {}", role.as_str())).await);
        }
        let audit = self.passbook.audit_entry(&by.actor(), "", "operator_role_changed", &target.id, role.as_str());
        self.store.set_operator_role(&target.id, role, &audit).await?;
        Ok(())
    }

    /// Removes another operator; their sessions end at once.
    pub async fn remove_operator(&self, by: &Signed, id: &str) -> Result<Operator> {
        let target = self.operator_to_manage(by, id).await?;
        let audit = self.passbook.audit_entry(&by.actor(), "", "operator_removed", &target.id, target.role.as_str());
        self.store.delete_operator(&target.id, &audit).await?;
        Ok(target)
    }

    /// Another operator whom `by` may change or remove.
    pub async fn operator_to_manage(&self, by: &Signed, id: &str) -> Result<Operator> {
        self.allow(by, Permission::InviteOperators).await?;
        let target = self
            .store
            .operators()
            .await?
            .into_iter()
            .find(|o| o.id == id)
            .ok_or_else(|| Error::not_found(format!("No operator with id '{id}'")))?;
        if target.id == by.operator.id {
            return Err(Error::Conflict("You cannot change or remove yourself; ask another owner".into()));
        }
        if !by.operator.role.can_manage(target.role) {
            return Err(self
                .refuse(by, format!("Only an owner can change or remove an {}", target.role.as_str()))
                .await);
        }
        Ok(target)
    }

    /// The role an unused invitation (or the setup link) grants. An invitation is only as good
    /// as its inviter: once they are removed, or may no longer grant that role, it is void.
    pub async fn invitation(&self, token: &str) -> Result<Invite> {
        let invite = self
            .store
            .invite(&hash_secret(token), self.passbook.now())
            .await?
            .ok_or_else(|| Error::not_found("This invitation was used already, has expired, or never existed"))?;
        if let Some(inviter) = &invite.invited_by {
            let still_allowed = self
                .store
                .operators()
                .await?
                .into_iter()
                .find(|o| &o.id == inviter)
                .is_some_and(|o| o.role.can_invite(invite.role));
            if !still_allowed {
                return Err(Error::Gone(
                    "The operator who sent this invitation has been removed or may no longer grant this role; ask \
                     another for a new one"
                        .into(),
                ));
            }
        }
        Ok(invite)
    }

    /// Accepts an invitation: makes the operator and logs them in.
    pub async fn join(&self, token: &str, email: &str, password: &str, browser: &str) -> Result<OpenedSession> {
        let invite = self.invitation(token).await?;
        let operator =
            self.insert_operator(email, password, invite.role, Some(&invite.token_hash), "operator_joined").await?;
        self.open_session(operator, browser).await
    }

    /// `passbook operators create`: an operator made from the command line.
    pub async fn create_operator(&self, email: &str, password: &str, role: &str) -> Result<Operator> {
        let role = parse_role(role)?;
        self.insert_operator(email, password, role, None, "operator_created").await
    }

    /// Makes the operator, audited as `action`: by the new operator when joining, by the CLI
    /// otherwise.
    async fn insert_operator(
        &self,
        email: &str,
        password: &str,
        role: Role,
        invite: Option<&str>,
        action: &str,
    ) -> Result<Operator> {
        let email = parse_email(email)?;
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(Error::invalid(
                "password",
                format!("password must be at least {MIN_PASSWORD_CHARS} characters"),
            ));
        }
        let now = self.passbook.now();
        let operator = Operator { id: ids::object_id(now).into(), email, role, created_at: now };
        let password_hash = hash_password(password.to_string()).await?;
        let record = OperatorRecord { operator: operator.clone(), password_hash };
        let actor = if invite.is_some() { format!("operator:{}", operator.id) } else { "cli".to_string() };
        let audit = self.passbook.audit_entry(&actor, "", action, &operator.id, role.as_str());
        match self.store.insert_operator(&record, invite, &audit).await? {
            OperatorCreated::Created => Ok(operator),
            OperatorCreated::EmailTaken => {
                Err(Error::Conflict(format!("An operator with e-mail {} exists already", operator.email)))
            }
            OperatorCreated::InviteUsed => Err(Error::Gone("This invitation was used already or has expired".into())),
        }
    }

    /// Checks a login against the limits and the password, and opens a session. The attempt is
    /// counted before the password is checked, so guesses sent in parallel share the limits.
    pub async fn log_in(&self, form: &LoginForm<'_>) -> Result<OpenedSession> {
        let email = form.email.trim().to_lowercase();
        let now = self.passbook.now();
        let subjects = login_subjects(&email, form.address);
        let attempt = ids::random_alnum(24);
        let since = now.plus_millis(-LOGIN_WINDOW_MS);
        let counted = self.store.claim_login_attempt(&attempt, &subjects, now, since).await?;
        let over = self.passbook.settings.console_logins.exceeded(&counted);
        let record = self.store.operator_by_email(&email).await?;
        // Who was tried, for the audit: an operator's id, never an e-mail typed by a stranger.
        let tried = record.as_ref().map_or("unknown operator".to_string(), |r| r.operator.id.to_string());
        let from = format!("from {}", form.address);
        if let Some(whose) = over {
            self.store.forget_login_attempt(&attempt, None).await?;
            self.audit("anonymous", "login_refused", &tried, &format!("{whose}, {from}")).await?;
            return Err(Error::TooManyAttempts(format!(
                "Too many failed logins {whose}; try again in {} minutes",
                LOGIN_WINDOW_MS / 60_000
            )));
        }
        // An unknown e-mail costs the same hash as a known one, so timing tells nothing.
        let stored = record.as_ref().map_or(DECOY_HASH.to_string(), |r| r.password_hash.clone());
        let matches = verify_password(form.password.to_string(), stored).await?;
        match record {
            Some(record) if matches => {
                self.store.forget_login_attempt(&attempt, Some(&subjects[0])).await?;
                self.audit(&format!("operator:{}", record.operator.id), "operator_logged_in", &tried, &from).await?;
                self.open_session(record.operator, form.browser).await
            }
            // The claimed attempt stays: it is a failure now.
            _ => {
                self.audit("anonymous", "login_failed", &tried, &from).await?;
                Err(Error::Unauthorized("Wrong e-mail or password".into()))
            }
        }
    }

    async fn open_session(&self, operator: Operator, browser: &str) -> Result<OpenedSession> {
        let token = ids::random_alnum(43);
        let now = self.passbook.now();
        self.store
            .insert_operator_session(&OperatorSession {
                token_hash: hash_secret(&token),
                operator_id: operator.id.clone(),
                browser_hash: hash_secret(browser),
                created_at: now,
                expires_at: now.plus_millis(SESSION_TTL_MS),
            })
            .await?;
        Ok(OpenedSession { token, operator })
    }

    /// The operator of a session cookie, if the session is live and shown by the browser that
    /// opened it. A session shown by another browser is ended: its cookie was copied.
    pub async fn signed_in(&self, token: &str, browser: &str) -> Result<Option<Signed>> {
        let token_hash = hash_secret(token);
        let Some(LiveSession { session, operator }) =
            self.store.operator_session(&token_hash, self.passbook.now()).await?
        else {
            return Ok(None);
        };
        if session.browser_hash != hash_secret(browser) {
            tracing::warn!(operator = %operator.id, "a console session was shown by another browser; ended");
            self.store.delete_operator_session(&token_hash).await?;
            self.audit("anonymous", "session_ended_other_browser", &operator.id, "").await?;
            return Ok(None);
        }
        Ok(Some(Signed { operator, csrf: csrf_token(token), token_hash }))
    }

    pub async fn log_out(&self, signed: &Signed) -> Result<()> {
        self.store.delete_operator_session(&signed.token_hash).await?;
        self.audit(&signed.actor(), "operator_logged_out", &signed.operator.id, "").await
    }

    /// An audit line of its own, about the console rather than an app (a login, a refusal:
    /// nothing else changes with it).
    async fn audit(&self, actor: &str, action: &str, subject: &str, detail: &str) -> Result<()> {
        self.store.record_audit(&self.passbook.audit_entry(actor, "", action, subject, detail)).await
    }

    /// Refuses, and audits the refusal, unless the operator's role allows `permission`.
    pub(crate) async fn allow(&self, by: &Signed, permission: Permission) -> Result<()> {
        match by.require(permission) {
            Ok(()) => Ok(()),
            Err(Error::Forbidden(why)) => Err(self.refuse(by, why).await),
            Err(other) => Err(other),
        }
    }

    /// An operator's action refused: the audit log keeps who tried and why (a failure to write
    /// it is logged, and the refusal stands).
    pub async fn refuse(&self, by: &Signed, why: String) -> Error {
        if let Err(err) = self.audit(&by.actor(), "action_refused", &by.operator.id, &why).await {
            tracing::warn!(%err, "could not audit a refused console action");
        }
        Error::Forbidden(why)
    }

    pub async fn operators(&self) -> Result<Vec<Operator>> {
        self.store.operators().await
    }

    pub async fn audit_log(&self, page: PageRequest) -> Result<Page<AuditEntry>> {
        self.store.audit_log(page).await
    }
}

/// What a login attempt counts against: the account from this address, the account, and the
/// address (the e-mail only as a hash).
fn login_subjects(email: &str, address: &str) -> [String; 3] {
    let account = hash_secret(email);
    [format!("account:{account}:{address}"), format!("account:{account}"), format!("address:{address}")]
}

/// The token a session's forms carry: derived from the cookie's token, which a page on another
/// site can neither read nor guess, so nothing more is stored.
pub fn csrf_token(session_token: &str) -> String {
    hash_secret(&format!("passbook-console-csrf:{session_token}"))
}

fn parse_role(raw: &str) -> Result<Role> {
    Role::parse(raw.trim())
        .ok_or_else(|| Error::invalid("role", format!("role must be owner, admin, developer or viewer, got '{raw}'")))
}

fn parse_email(raw: &str) -> Result<String> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(user, host)| !user.is_empty() && host.contains('.') && !host.starts_with('.'))
        && !email.chars().any(char::is_whitespace);
    if !valid {
        return Err(Error::invalid("email", format!("email must be an e-mail address, got '{}'", raw.trim())));
    }
    Ok(email)
}

/// A hash of a password nobody has, checked when the e-mail is unknown.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$cGFzc2Jvb2tkZWNveXNhbHQ$8eR0V8m0lIC3Hq4VZ0FzJ6CbIK4wq0pQm4C9aXq2m5E";

/// argon2id with the crate's defaults (19 MiB, 2 passes), on a blocking thread.
async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&ids::random_bytes::<16>()).map_err(|e| Error::Internal(e.to_string()))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("hashing a password: {e}")))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

async fn verify_password(password: String, stored: String) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let hash = PasswordHash::new(&stored).map_err(|e| Error::Internal(format!("a stored password hash: {e}")))?;
        Ok(Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grant_what_their_names_say() {
        assert!(!Role::Viewer.can(Permission::ManageApps));
        assert!(Role::Developer.can(Permission::ManageApps) && Role::Developer.can(Permission::ReplayWebhooks));
        assert!(!Role::Developer.can(Permission::ManageAccounts));
        assert!(Role::Admin.can(Permission::ManageInstitutions) && Role::Admin.can_invite(Role::Admin));
        assert!(!Role::Admin.can_invite(Role::Owner) && Role::Owner.can_invite(Role::Owner));
        assert!(Role::Admin.can_manage(Role::Developer) && !Role::Admin.can_manage(Role::Admin));
        assert!(Role::Owner.can_manage(Role::Owner) && !Role::Developer.can_manage(Role::Viewer));
    }

    #[tokio::test]
    async fn passwords_verify_against_their_hash_only() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery".into(), hash.clone()).await.unwrap());
        assert!(!verify_password("wrong horse battery".into(), hash).await.unwrap());
        assert!(!verify_password("anything".into(), DECOY_HASH.into()).await.unwrap());
    }
}
