//! The transition function: a link's state and what the user did (or what the bank answered)
//! give the next state and the events to record. Nothing here waits on a database or a bank;
//! the shell in `services::link_flow` loads, asks the bank when told to, and saves.
use super::events::{InstitutionRef, LinkEvent, error_type, user_message};
use crate::connector::{ConnectorError, Credentials, LoginStep};
use crate::institutions::Listing;
use crate::model::{
    AccountId, AttemptKind, AuthMethod, DiscoveredAccount, FailureReason, Institution, LinkContext, LinkSession,
    LinkState, StatementPreview, WayIn,
};
use crate::statement_file::{ReadError, ReadReport};
use crate::{Error, Result};

/// The institutions a link can reach, as the machine looks them up.
pub trait Catalogue {
    fn institution(&self, id: &str) -> Option<&Institution>;
}

impl Catalogue for Listing {
    fn institution(&self, id: &str) -> Option<&Institution> {
        self.get(id)
    }
}

/// What the user asked for, parsed once at each entry point (page, widget, Partners API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkAction {
    /// The intro page: the user agrees to share their data.
    Consent,
    ChooseInstitution(String),
    ChooseAuthMethod(String),
    Login(Credentials),
    AnswerChallenge(Credentials),
    /// The accounts to link, by their [`DiscoveredAccount::choice`] (the page's checkboxes).
    SelectAccounts(Vec<String>),
    /// The Partners API's `commit`: the answer to the bank's question, or the account to link
    /// by `accountNumber`, whichever the link is waiting for.
    Commit(Credentials),
    /// The file way in: a statement file (and its password, when it has one), or why the
    /// upload itself failed (too large, cut short).
    UploadStatement(std::result::Result<StatementUpload, ReadError>),
    /// The user checked what was read from the statement and links it.
    ConfirmStatement,
    /// Open banking: go to the bank to approve access.
    StartConsent,
    /// The bank sent the user back: the return URL's query (`state`, and `code` or `error`).
    ConsentReturned(Credentials),
    /// Back to the list of institutions, forgetting the login.
    Restart,
    Cancel,
}

/// An uploaded statement file.
#[derive(Clone, PartialEq, Eq)]
pub struct StatementUpload {
    pub file: Vec<u8>,
    pub file_name: Option<String>,
    pub password: Option<String>,
    /// The currency the uploader says the account is in, for files that do not state one.
    pub currency: Option<String>,
}

impl std::fmt::Debug for StatementUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "StatementUpload({} bytes, {:?}, password: {})",
            self.file.len(),
            self.file_name,
            self.password.is_some()
        )
    }
}

/// What the machine knows besides the session.
pub struct World<'a, C: Catalogue + ?Sized> {
    pub catalogue: &'a C,
    /// Logins (and answers) a link may try.
    pub max_attempts: u32,
    /// A re-authorisation: the number of the account being renewed (`None` once unlinked).
    pub reauth_account_number: Option<&'a str>,
    /// The account being renewed was linked through its bank (a login or a consent), not from a
    /// file: only a way in that proves the same account may renew it.
    pub reauth_by_bank: bool,
}

/// The machine's answer.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// Save this state.
    Move(Moved),
    /// Count an attempt and ask the bank; its answer goes to [`after_bank`].
    AskBank(BankCall, Vec<LinkEvent>),
    /// Read this file with the `StatementReader` and keep what it holds; what was read goes
    /// to [`after_file`].
    ReadFile(FileCall, Vec<LinkEvent>),
    /// Register a consent at the bank ([`after_consent_start`] takes its answer).
    StartConsent(ConsentCall),
    /// Ask the bank which accounts the approved consent covers ([`after_consent`]).
    FinishConsent(ConsentCall, Credentials),
    /// Link these accounts; the shell writes them and ends the link with [`linked`].
    Link(LinkPlan, Vec<LinkEvent>),
    /// Nothing to do (a cancel after the link ended).
    Stay,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Moved {
    pub context: LinkContext,
    pub state: LinkState,
    pub events: Vec<LinkEvent>,
    /// An attempt the bank never judged (it was down, or the connector failed) is given back.
    pub refund: Option<AttemptKind>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankCall {
    pub kind: AttemptKind,
    pub institution_id: String,
    pub request: BankRequest,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BankRequest {
    Login { method: AuthMethod, credentials: Credentials },
    Answer { connector_state: String, answer: Credentials },
}

/// What came of a [`BankCall`].
#[derive(Debug)]
pub enum BankAnswer {
    /// The link had used all its attempts; the bank was not asked.
    NoAttemptsLeft,
    Answered {
        attempt: u32,
        result: std::result::Result<LoginStep, ConnectorError>,
    },
}

#[derive(Debug, PartialEq, Eq)]
pub struct ConsentCall {
    pub institution_id: String,
    /// Set once the bank registered the consent.
    pub consent_id: Option<String>,
}

/// What came of a [`ConsentCall`]: the bank registered the consent, or could not.
pub type ConsentStarted = std::result::Result<crate::connector::ConsentStart, ConnectorError>;

#[derive(Debug, PartialEq, Eq)]
pub struct FileCall {
    pub institution_id: String,
    pub upload: StatementUpload,
}

/// What came of a [`FileCall`]: the accounts to review and the import's report, or why the file
/// could not be read.
pub type FileRead = std::result::Result<(Vec<StatementPreview>, ReadReport), ReadError>;

#[derive(Debug, PartialEq, Eq)]
pub struct LinkPlan {
    pub institution_id: String,
    pub auth_method: AuthMethod,
    pub accounts: Vec<DiscoveredAccount>,
}

/// The next step for `action` on the session.
pub fn decide<C: Catalogue + ?Sized>(session: &LinkSession, world: &World<C>, action: LinkAction) -> Result<Next> {
    let state = &session.state;
    let context = &session.context;
    match (action, state) {
        (LinkAction::Consent, _) if state.is_final() || context.consented => {
            Err(Error::Conflict("Consent was given already".into()))
        }
        (LinkAction::Consent, _) => {
            Ok(move_to(LinkContext { consented: true, ..context.clone() }, state.clone(), Vec::new()))
        }
        (LinkAction::Cancel, _) if state.is_final() => Ok(Next::Stay),
        (LinkAction::Cancel, _) => Ok(move_to(
            context.clone(),
            LinkState::Failed { reason: FailureReason::UserCancelled },
            vec![LinkEvent::Exited { page: page_name(context, state) }],
        )),
        (
            LinkAction::ChooseInstitution(id),
            LinkState::ChooseInstitution
            | LinkState::ChooseAuthMethod { .. }
            | LinkState::Login { .. }
            | LinkState::UploadStatement { .. }
            | LinkState::ReviewStatement { .. }
            | LinkState::Consent { .. }
            | LinkState::AwaitingConsent { .. },
        ) => choose_institution(world, context, &id),
        (
            LinkAction::ChooseAuthMethod(method),
            LinkState::ChooseAuthMethod { institution_id }
            | LinkState::Login { institution_id, .. }
            | LinkState::UploadStatement { institution_id, .. }
            | LinkState::ReviewStatement { institution_id, .. }
            | LinkState::Consent { institution_id, .. }
            | LinkState::AwaitingConsent { institution_id, .. },
        ) => choose_auth_method(world, context, state, institution_id, &method),
        // Going to the bank again (the user came back without an answer) starts a new consent.
        (
            LinkAction::StartConsent,
            LinkState::Consent { institution_id, .. } | LinkState::AwaitingConsent { institution_id, .. },
        ) => Ok(Next::StartConsent(ConsentCall { institution_id: institution_id.clone(), consent_id: None })),
        (LinkAction::ConsentReturned(answer), LinkState::AwaitingConsent { institution_id, consent_id, nonce, .. }) => {
            consent_returned(world, context, (institution_id, consent_id, nonce), answer)
        }
        (LinkAction::UploadStatement(Err(refused)), LinkState::UploadStatement { institution_id, .. }) => {
            Ok(refuse_file(session, institution_id.clone(), refused))
        }
        (LinkAction::UploadStatement(Ok(upload)), LinkState::UploadStatement { institution_id, .. }) => {
            Ok(read_file(context, institution_id, upload))
        }
        (
            LinkAction::ConfirmStatement | LinkAction::Commit(_),
            LinkState::ReviewStatement { accounts, institution_id, .. },
        ) => confirm_statement(world, session, institution_id, accounts),
        (LinkAction::Login(credentials), LinkState::Login { institution_id, auth_method, .. }) => {
            login(world, context, institution_id, *auth_method, credentials)
        }
        (LinkAction::AnswerChallenge(answer) | LinkAction::Commit(answer), LinkState::Challenge { .. }) => {
            answer_challenge(state, answer)
        }
        (LinkAction::SelectAccounts(choices), LinkState::SelectAccounts { accounts, .. }) => {
            select_accounts(world, session, accounts, &choices)
        }
        (LinkAction::Commit(fields), LinkState::SelectAccounts { accounts, .. }) => {
            let number = fields.get("accountNumber").or(fields.get("account_number")).unwrap_or_default();
            let chosen = accounts.iter().find(|a| a.account_number == number).cloned().ok_or_else(|| {
                Error::invalid("accountNumber", format!("accountNumber '{number}' is not one of this login's accounts"))
            })?;
            link_chosen(world, session, vec![chosen])
        }
        // The Partners API drives a consent with commits: the first gets the bank's page, the
        // next ones (once the user is back) report where the link stands.
        (LinkAction::Commit(_), LinkState::Consent { institution_id, .. }) => {
            Ok(Next::StartConsent(ConsentCall { institution_id: institution_id.clone(), consent_id: None }))
        }
        (LinkAction::Commit(_), LinkState::AwaitingConsent { .. } | LinkState::Linked { .. }) => Ok(Next::Stay),
        (LinkAction::Commit(_), _) => {
            Err(Error::Conflict(format!("Nothing to commit: the session is at step {}", state.step().as_str())))
        }
        (
            LinkAction::Restart,
            LinkState::ChooseAuthMethod { .. }
            | LinkState::Login { .. }
            | LinkState::Challenge { .. }
            | LinkState::UploadStatement { .. }
            | LinkState::ReviewStatement { .. }
            | LinkState::Consent { .. }
            | LinkState::AwaitingConsent { .. }
            | LinkState::SelectAccounts { .. },
        ) => Ok(move_to(LinkContext { consented: true, ..context.clone() }, LinkState::ChooseInstitution, vec![])),
        _ => Err(Error::Conflict(format!("This link is at step {}", state.step().as_str()))),
    }
}

/// The user came back from the bank: its answer must carry this link's `state`; a refusal
/// sends the user back to the consent page with the bank's reason.
fn consent_returned<C: Catalogue + ?Sized>(
    world: &World<C>,
    context: &LinkContext,
    (institution_id, consent_id, nonce): (&String, &String, &String),
    answer: Credentials,
) -> Result<Next> {
    if answer.get("state") != Some(nonce.as_str()) {
        return Err(Error::invalid("state", "This answer from the bank does not belong to this link"));
    }
    if let Some(refusal) = answer.get("error") {
        let name = institution(world, institution_id).map(|i| i.name.clone()).unwrap_or_default();
        let message = if refusal == "access_denied" {
            format!("You did not approve access at {name}. Go back to {name} to approve it, or choose another way.")
        } else {
            format!("{name} did not give access ({refusal}). Try again, or choose another way.")
        };
        let event =
            LinkEvent::ErrorOccurred { error_type: "CONSENT_DENIED", message: message.clone(), page: "CONSENT" };
        let state = LinkState::Consent { institution_id: institution_id.clone(), error: Some(message) };
        return Ok(move_to(context.clone(), state, vec![event]));
    }
    let call = ConsentCall { institution_id: institution_id.clone(), consent_id: Some(consent_id.clone()) };
    Ok(Next::FinishConsent(call, answer))
}

/// A statement file sent: read it, unless none was chosen.
fn read_file(context: &LinkContext, institution_id: &str, upload: StatementUpload) -> Next {
    if upload.file.is_empty() {
        let state = LinkState::UploadStatement {
            institution_id: institution_id.to_string(),
            error: Some("Choose your statement file.".into()),
            password_needed: false,
        };
        return move_to(context.clone(), state, vec![]);
    }
    let call = FileCall { institution_id: institution_id.to_string(), upload };
    Next::ReadFile(call, vec![])
}

/// The user confirmed the accounts a statement showed.
fn confirm_statement<C: Catalogue + ?Sized>(
    world: &World<C>,
    session: &LinkSession,
    institution_id: &str,
    accounts: &[StatementPreview],
) -> Result<Next> {
    let context = &session.context;
    let mut discovered: Vec<DiscoveredAccount> = accounts.iter().map(StatementPreview::discovered).collect();
    // Renewing an account with a file that states no account number: the file's one
    // account is taken to be that account (a file that states another number is not),
    // unless the account was linked through its bank: a file that does not show the
    // number proves nothing about a bank-verified account.
    if let ([only], [preview], Some(number)) = (discovered.as_mut_slice(), accounts, world.reauth_account_number)
        && context.reauth_account_id.is_some()
        && !preview.number_stated
    {
        if world.reauth_by_bank {
            let error = "This account was linked through your bank. Upload a statement that shows its \
                         account number, or log in to your bank."
                .to_string();
            let state = LinkState::UploadStatement {
                institution_id: institution_id.to_string(),
                error: Some(error),
                password_needed: false,
            };
            return Ok(move_to(context.clone(), state, vec![]));
        }
        only.account_number = number.to_string();
    }
    Ok(found_accounts(world, session, discovered))
}

/// The accounts the user ticked; at least one.
fn select_accounts<C: Catalogue + ?Sized>(
    world: &World<C>,
    session: &LinkSession,
    accounts: &[DiscoveredAccount],
    choices: &[String],
) -> Result<Next> {
    let (context, state) = (&session.context, &session.state);
    let chosen: Vec<_> = accounts.iter().filter(|a| choices.contains(&a.choice())).cloned().collect();
    if chosen.is_empty() {
        return Ok(move_to(context.clone(), with_error(state, "Choose at least one account to link."), vec![]));
    }
    link_chosen(world, session, chosen)
}

/// The next step once the bank answered `call`.
pub fn after_bank<C: Catalogue + ?Sized>(
    session: &LinkSession,
    world: &World<C>,
    call: &BankCall,
    answer: BankAnswer,
) -> Next {
    let context = &session.context;
    let too_many = || move_to(context.clone(), LinkState::Failed { reason: FailureReason::TooManyAttempts }, vec![]);
    let (attempt, result) = match answer {
        BankAnswer::NoAttemptsLeft => return too_many(),
        BankAnswer::Answered { attempt, result } => (attempt, result),
    };
    let (institution_id, auth_method) = match &session.state {
        LinkState::Login { institution_id, auth_method, .. }
        | LinkState::Challenge { institution_id, auth_method, .. } => (institution_id.clone(), *auth_method),
        // The bank was asked from one of these two steps only.
        other => return move_to(context.clone(), other.clone(), vec![]),
    };
    match result {
        Err(ConnectorError::InvalidCredentials | ConnectorError::InvalidAnswer | ConnectorError::Refused(_))
            if attempt >= world.max_attempts =>
        {
            too_many()
        }
        Err(err) => {
            let message = user_message(&err);
            let page = page_name(&session.context, &session.state);
            let event = LinkEvent::ErrorOccurred { error_type: error_type(&err), message: message.clone(), page };
            let unjudged = matches!(
                err,
                ConnectorError::Transient(_)
                    | ConnectorError::Internal(_)
                    | ConnectorError::InstitutionUnavailable
                    | ConnectorError::QuotaExhausted { .. }
            );
            Next::Move(Moved {
                context: context.clone(),
                state: with_error(&session.state, &message),
                events: vec![event],
                refund: unjudged.then_some(call.kind),
            })
        }
        Ok(LoginStep::Challenge { state, challenge }) => move_to(
            context.clone(),
            LinkState::Challenge { institution_id, auth_method, connector_state: state, challenge, error: None },
            vec![],
        ),
        Ok(LoginStep::Accounts { accounts, .. }) => found_accounts(world, session, accounts),
    }
}

/// The bank registered the consent (the user now goes to `bank_url`), or could not.
pub fn after_consent_start(session: &LinkSession, call: &ConsentCall, nonce: String, started: ConsentStarted) -> Next {
    let institution_id = call.institution_id.clone();
    match started {
        Ok(start) => move_to(
            session.context.clone(),
            LinkState::AwaitingConsent {
                institution_id,
                consent_id: start.consent_id,
                nonce,
                bank_url: start.redirect_url,
            },
            vec![],
        ),
        Err(err) => {
            let message = user_message(&err);
            let page = page_name(&session.context, &session.state);
            let event = LinkEvent::ErrorOccurred { error_type: error_type(&err), message: message.clone(), page };
            move_to(session.context.clone(), LinkState::Consent { institution_id, error: Some(message) }, vec![event])
        }
    }
}

/// The accounts an approved consent covers.
pub fn after_consent<C: Catalogue + ?Sized>(
    session: &LinkSession,
    world: &World<C>,
    call: &ConsentCall,
    finished: std::result::Result<Vec<DiscoveredAccount>, ConnectorError>,
) -> Next {
    match finished {
        Ok(accounts) => found_accounts(world, session, accounts),
        Err(err) => {
            let message = user_message(&err);
            let page = page_name(&session.context, &session.state);
            let event = LinkEvent::ErrorOccurred { error_type: error_type(&err), message: message.clone(), page };
            let state = LinkState::Consent { institution_id: call.institution_id.clone(), error: Some(message) };
            move_to(session.context.clone(), state, vec![event])
        }
    }
}

/// What the `StatementReader` made of the uploaded file: the accounts to review, or why it
/// could not be read (a password asks for the password).
pub fn after_file(session: &LinkSession, call: &FileCall, read: FileRead) -> Next {
    let institution_id = call.institution_id.clone();
    match read {
        Ok((accounts, report)) if !accounts.is_empty() => {
            move_to(session.context.clone(), LinkState::ReviewStatement { institution_id, accounts, report }, vec![])
        }
        Ok(_) => refuse_file(session, institution_id, ReadError::NothingFound("it holds no account".into())),
        Err(err) => refuse_file(session, institution_id, err),
    }
}

fn refuse_file(session: &LinkSession, institution_id: String, err: ReadError) -> Next {
    let password_needed = matches!(err, ReadError::PasswordRequired | ReadError::WrongPassword);
    let error_type = if password_needed { "STATEMENT_PASSWORD_REQUIRED" } else { "STATEMENT_UNREADABLE" };
    let message = err.to_string();
    let event = LinkEvent::ErrorOccurred { error_type, message: message.clone(), page: "STATEMENT_UPLOAD" };
    let state = LinkState::UploadStatement { institution_id, error: Some(message), password_needed };
    move_to(session.context.clone(), state, vec![event])
}

/// The accounts a login (or a statement) showed: none is explained, one links at once, several
/// are offered to choose from.
fn found_accounts<C: Catalogue + ?Sized>(
    world: &World<C>,
    session: &LinkSession,
    accounts: Vec<DiscoveredAccount>,
) -> Next {
    let (Some(institution_id), Some(auth_method)) = (session.state.institution_id(), session.state.auth_method())
    else {
        return move_to(session.context.clone(), session.state.clone(), vec![]);
    };
    let institution_id = institution_id.to_string();
    match accounts.len() {
        0 => move_to(
            session.context.clone(),
            with_error(&entry_state(institution_id, auth_method), "The bank shows no accounts for this login."),
            vec![],
        ),
        1 => link_accounts(world, session, institution_id, auth_method, accounts, vec![]),
        _ => move_to(
            session.context.clone(),
            LinkState::SelectAccounts { institution_id, auth_method, accounts, error: None },
            vec![],
        ),
    }
}

/// The bank renewed access by itself (a re-authorisation without the user): link as if the
/// user had logged in. Only a link waiting at its login step can be renewed.
pub fn renewed<C: Catalogue + ?Sized>(
    session: &LinkSession,
    world: &World<C>,
    accounts: Vec<DiscoveredAccount>,
) -> Result<Next> {
    match &session.state {
        LinkState::Login { institution_id, auth_method, .. } => {
            Ok(link_accounts(world, session, institution_id.clone(), *auth_method, accounts, vec![]))
        }
        other => Err(Error::Conflict(format!("This link is at step {}", other.step().as_str()))),
    }
}

/// The state of a link whose accounts were written.
pub fn linked(plan: &LinkPlan, account_ids: Vec<AccountId>, auth_code: Option<String>) -> LinkState {
    LinkState::Linked { institution_id: plan.institution_id.clone(), account_ids, auth_code }
}

/// The name of the page the user is on, as the widget reports it in `on_exit`.
pub fn page_name(context: &LinkContext, state: &LinkState) -> &'static str {
    match state {
        _ if !context.consented && !state.is_final() => "INTRO",
        LinkState::ChooseInstitution => "INSTITUTIONS",
        LinkState::ChooseAuthMethod { .. } => "AUTH_METHODS",
        LinkState::Login { .. } => "LOGIN",
        LinkState::Challenge { .. } => "MFA",
        LinkState::UploadStatement { .. } => "STATEMENT_UPLOAD",
        LinkState::ReviewStatement { .. } => "STATEMENT_REVIEW",
        LinkState::Consent { .. } | LinkState::AwaitingConsent { .. } => "CONSENT",
        LinkState::SelectAccounts { .. } => "ACCOUNT_SELECTION",
        LinkState::Linked { .. } | LinkState::Failed { .. } => "RESULT",
    }
}

/// The state the link starts in: the institution list, or the institution the app chose.
pub fn start<C: Catalogue + ?Sized>(catalogue: &C, choice: Option<(&str, Option<AuthMethod>)>) -> LinkState {
    let Some((id, method)) = choice else { return LinkState::ChooseInstitution };
    match method.or_else(|| catalogue.institution(id).and_then(only_method)) {
        Some(auth_method) => entry_state(id.to_string(), auth_method),
        None => LinkState::ChooseAuthMethod { institution_id: id.to_string() },
    }
}

/// The first step of a way in: the login form, or the upload form.
fn entry_state(institution_id: String, auth_method: AuthMethod) -> LinkState {
    match auth_method.way_in() {
        WayIn::Credentials => LinkState::Login { institution_id, auth_method, error: None },
        WayIn::File => LinkState::UploadStatement { institution_id, error: None, password_needed: false },
        WayIn::ConsentRedirect => LinkState::Consent { institution_id, error: None },
    }
}

fn move_to(context: LinkContext, state: LinkState, events: Vec<LinkEvent>) -> Next {
    Next::Move(Moved { context, state, events, refund: None })
}

/// The one way an institution is reached besides a statement upload (which every institution
/// offers beside its own way), or the upload when that is all it has.
fn only_method(institution: &Institution) -> Option<AuthMethod> {
    let ways: Vec<AuthMethod> =
        institution.auth_methods.iter().map(|a| a.method).filter(|m| m.way_in() != WayIn::File).collect();
    match (ways.as_slice(), institution.auth_methods.as_slice()) {
        ([only], _) => Some(*only),
        ([], [only]) => Some(only.method),
        _ => None,
    }
}

fn reference(institution: &Institution) -> InstitutionRef {
    InstitutionRef { id: institution.id.clone(), name: institution.name.clone() }
}

fn institution<'a, C: Catalogue + ?Sized>(world: &World<'a, C>, id: &str) -> Result<&'a Institution> {
    world.catalogue.institution(id).ok_or_else(|| Error::invalid("institution", format!("Unknown institution '{id}'")))
}

fn choose_institution<C: Catalogue + ?Sized>(world: &World<C>, context: &LinkContext, id: &str) -> Result<Next> {
    let institution = institution(world, id)?;
    let institution_id = institution.id.clone();
    // Where the bank has two ways in, the event waits for the user's choice of one.
    Ok(match only_method(institution) {
        Some(auth_method) => move_to(
            context.clone(),
            entry_state(institution_id, auth_method),
            vec![LinkEvent::InstitutionSelected { institution: reference(institution), auth_method }],
        ),
        None => move_to(context.clone(), LinkState::ChooseAuthMethod { institution_id }, vec![]),
    })
}

fn choose_auth_method<C: Catalogue + ?Sized>(
    world: &World<C>,
    context: &LinkContext,
    state: &LinkState,
    institution_id: &str,
    method: &str,
) -> Result<Next> {
    let institution = institution(world, institution_id)?;
    let auth_method = AuthMethod::parse(method)
        .filter(|m| institution.supports(*m))
        .ok_or_else(|| Error::invalid("auth_method", format!("{} does not offer '{method}'", institution.name)))?;
    let events = match state.auth_method() {
        None => vec![LinkEvent::InstitutionSelected { institution: reference(institution), auth_method }],
        Some(previous) if previous != auth_method => {
            vec![LinkEvent::AuthMethodSwitched { previous, method: auth_method }]
        }
        Some(_) => Vec::new(),
    };
    Ok(move_to(context.clone(), entry_state(institution.id.clone(), auth_method), events))
}

fn login<C: Catalogue + ?Sized>(
    world: &World<C>,
    context: &LinkContext,
    institution_id: &str,
    auth_method: AuthMethod,
    credentials: Credentials,
) -> Result<Next> {
    let institution = institution(world, institution_id)?;
    let form = institution.auth_method(auth_method).map(|spec| spec.form.as_slice()).unwrap_or_default();
    if let Some(missing) = form.iter().find(|f| credentials.get(&f.name).is_none_or(|v| v.trim().is_empty())) {
        let error = Some(format!("Enter your {}.", missing.hint.to_lowercase()));
        let state = LinkState::Login { institution_id: institution_id.to_string(), auth_method, error };
        return Ok(move_to(context.clone(), state, vec![]));
    }
    let call = BankCall {
        kind: AttemptKind::Login,
        institution_id: institution_id.to_string(),
        request: BankRequest::Login { method: auth_method, credentials },
    };
    Ok(Next::AskBank(call, vec![LinkEvent::LoginAttempted { institution: reference(institution), auth_method }]))
}

fn answer_challenge(state: &LinkState, answer: Credentials) -> Result<Next> {
    let LinkState::Challenge { institution_id, connector_state, challenge, .. } = state else {
        return Err(Error::Conflict(format!("This link is at step {}", state.step().as_str())));
    };
    let call = BankCall {
        kind: AttemptKind::Challenge,
        institution_id: institution_id.clone(),
        request: BankRequest::Answer { connector_state: connector_state.clone(), answer },
    };
    Ok(Next::AskBank(call, vec![LinkEvent::MfaSubmitted { kind: challenge.kind }]))
}

fn link_chosen<C: Catalogue + ?Sized>(
    world: &World<C>,
    session: &LinkSession,
    chosen: Vec<DiscoveredAccount>,
) -> Result<Next> {
    let (Some(institution_id), Some(auth_method)) = (session.state.institution_id(), session.state.auth_method())
    else {
        return Err(Error::Conflict(format!("This link is at step {}", session.state.step().as_str())));
    };
    let events = vec![LinkEvent::AccountsSelected { count: chosen.len() }];
    Ok(link_accounts(world, session, institution_id.to_string(), auth_method, chosen, events))
}

/// Links `chosen`; a re-authorisation links only the account it renews, and goes back to the
/// login when this login does not hold it.
fn link_accounts<C: Catalogue + ?Sized>(
    world: &World<C>,
    session: &LinkSession,
    institution_id: String,
    auth_method: AuthMethod,
    chosen: Vec<DiscoveredAccount>,
    mut events: Vec<LinkEvent>,
) -> Next {
    let accounts = match (&session.context.reauth_account_id, world.reauth_account_number) {
        (None, _) => chosen,
        (Some(_), number) => match chosen.into_iter().find(|d| Some(d.account_number.as_str()) == number) {
            Some(same) => vec![same],
            None => {
                // Nothing of the account is named: whoever holds the app's public key and an
                // account id can open this page and log in with another account.
                let error = match number {
                    Some(_) => "This login or statement does not hold the account you are re-authorising: use \
                                the one that holds it."
                        .to_string(),
                    None => "The account being re-authorised was unlinked; ask the app for a new link.".into(),
                };
                let state = with_error(&entry_state(institution_id, auth_method), &error);
                return move_to(session.context.clone(), state, events);
            }
        },
    };
    let name = world.catalogue.institution(&institution_id).map(|i| i.name.clone()).unwrap_or_default();
    events.push(LinkEvent::AccountLinked { institution: InstitutionRef { id: institution_id.clone(), name } });
    Next::Link(LinkPlan { institution_id, auth_method, accounts }, events)
}

/// The state with the user's last try refused for `error`.
fn with_error(state: &LinkState, message: &str) -> LinkState {
    let mut state = state.clone();
    if let LinkState::Login { error, .. }
    | LinkState::Challenge { error, .. }
    | LinkState::SelectAccounts { error, .. }
    | LinkState::UploadStatement { error, .. }
    | LinkState::Consent { error, .. } = &mut state
    {
        *error = Some(message.to_string());
    }
    state
}

/// The last four characters of an account number.
pub fn last_digits(number: &str) -> String {
    number.chars().skip(number.chars().count().saturating_sub(4)).collect()
}
