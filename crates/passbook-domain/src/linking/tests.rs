//! The link state machine without a database or a bank: every scenario the integration tests
//! walk through the pages, the widget and the Partners API.
use super::*;
use crate::Error;
use crate::connector::{ConnectorError, Credentials, LoginStep};
use crate::model::*;
use crate::statement_file::ReadError;

const ONE_WAY: &str = "kuda";
const TWO_WAYS: &str = "gtbank";

struct Banks(Vec<Institution>);

impl Catalogue for Banks {
    fn institution(&self, id: &str) -> Option<&Institution> {
        self.0.iter().find(|i| i.id == id)
    }
}

fn bank(id: &str, name: &str, methods: &[AuthMethod]) -> Institution {
    Institution {
        id: id.into(),
        name: name.into(),
        kind: InstitutionKind::PersonalBanking,
        bank_code: "000".into(),
        nip_code: "000000".into(),
        country: "NG".into(),
        primary_color: "#000000".into(),
        icon: None,
        identifier: id.into(),
        status: InstitutionStatus::Operational,
        auth_methods: methods
            .iter()
            .map(|m| AuthMethodSpec {
                method: *m,
                title: format!("Log in to {name}"),
                form: vec![FormField::text("username", "Username"), FormField::secret("password", "Password")],
            })
            .chain([AuthMethodSpec::statement_upload()])
            .collect(),
    }
}

fn banks() -> Banks {
    Banks(vec![
        bank(ONE_WAY, "Kuda", &[AuthMethod::MobileBanking]),
        bank(TWO_WAYS, "GTBank", &[AuthMethod::InternetBanking, AuthMethod::MobileBanking]),
    ])
}

fn world(banks: &Banks) -> World<'_, Banks> {
    World { catalogue: banks, max_attempts: 3, reauth_account_number: None, reauth_by_bank: false }
}

fn session(state: LinkState) -> LinkSession {
    LinkSession {
        id: "s".into(),
        mode: LinkMode::Widget,
        app_id: "app".into(),
        customer_id: Some("cus".into()),
        reference: None,
        redirect_url: None,
        context: LinkContext { consented: true, ..LinkContext::default() },
        state,
        login_attempts: 0,
        challenge_attempts: 0,
        version: 0,
        created_at: crate::Timestamp(0),
        expires_at: crate::Timestamp(1),
        completed_at: None,
    }
}

fn login_state(error: Option<&str>) -> LinkState {
    LinkState::Login {
        institution_id: TWO_WAYS.into(),
        auth_method: AuthMethod::InternetBanking,
        error: error.map(str::to_string),
    }
}

fn challenge_state() -> LinkState {
    LinkState::Challenge {
        institution_id: TWO_WAYS.into(),
        auth_method: AuthMethod::InternetBanking,
        connector_state: "bank-session".into(),
        challenge: Challenge {
            kind: ChallengeKind::Otp,
            title: "Enter the code".into(),
            fields: vec![FormField::text("otp", "Code")],
        },
        error: None,
    }
}

fn account(number: &str) -> DiscoveredAccount {
    DiscoveredAccount {
        connector_ref: format!("ref-{number}"),
        name: "ADA OBI".into(),
        account_number: number.into(),
        kind: "SAVINGS_ACCOUNT".into(),
        currency: "NGN".into(),
        balance: None,
    }
}

fn select_state() -> LinkState {
    LinkState::SelectAccounts {
        institution_id: TWO_WAYS.into(),
        auth_method: AuthMethod::InternetBanking,
        accounts: vec![account("0123456789"), account("9876543210")],
        error: None,
    }
}

fn credentials(pairs: &[(&str, &str)]) -> Credentials {
    Credentials(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

fn moved(next: Next) -> Moved {
    match next {
        Next::Move(moved) => moved,
        other => panic!("expected a move, got {other:?}"),
    }
}

fn decide_ok(state: LinkState, action: LinkAction) -> Next {
    let banks = banks();
    decide(&session(state), &world(&banks), action).unwrap()
}

fn answered(state: LinkState, call_kind: AttemptKind, attempt: u32, result: Result<LoginStep, ConnectorError>) -> Next {
    let banks = banks();
    let call = BankCall {
        kind: call_kind,
        institution_id: TWO_WAYS.into(),
        request: BankRequest::Login { method: AuthMethod::InternetBanking, credentials: Credentials::default() },
    };
    after_bank(&session(state), &world(&banks), &call, BankAnswer::Answered { attempt, result })
}

#[test]
fn a_link_starts_where_the_app_left_it() {
    let banks = banks();
    assert_eq!(start(&banks, None), LinkState::ChooseInstitution);
    assert_eq!(
        start(&banks, Some((ONE_WAY, None))),
        LinkState::Login { institution_id: ONE_WAY.into(), auth_method: AuthMethod::MobileBanking, error: None },
        "one way in: straight to its login"
    );
    assert_eq!(start(&banks, Some((TWO_WAYS, None))), LinkState::ChooseAuthMethod { institution_id: TWO_WAYS.into() });
    assert_eq!(start(&banks, Some((TWO_WAYS, Some(AuthMethod::InternetBanking)))), login_state(None));
}

#[test]
fn consent_is_given_once() {
    let banks = banks();
    let mut fresh = session(LinkState::ChooseInstitution);
    fresh.context.consented = false;
    assert_eq!(page_name(&fresh.context, &fresh.state), "INTRO");
    let consented = moved(decide(&fresh, &world(&banks), LinkAction::Consent).unwrap());
    assert!(consented.context.consented);
    assert_eq!(consented.state, LinkState::ChooseInstitution);
    for state in [LinkState::ChooseInstitution, LinkState::Failed { reason: FailureReason::UserCancelled }] {
        let refused = decide(&session(state), &world(&banks), LinkAction::Consent);
        assert!(matches!(refused, Err(Error::Conflict(_))), "{refused:?}");
    }
}

#[test]
fn choosing_an_institution_with_one_way_in_goes_to_its_login_and_announces_it() {
    let moved = moved(decide_ok(LinkState::ChooseInstitution, LinkAction::ChooseInstitution(ONE_WAY.into())));
    assert_eq!(
        moved.state,
        LinkState::Login { institution_id: ONE_WAY.into(), auth_method: AuthMethod::MobileBanking, error: None }
    );
    assert_eq!(
        moved.events,
        [LinkEvent::InstitutionSelected {
            institution: InstitutionRef { id: ONE_WAY.into(), name: "Kuda".into() },
            auth_method: AuthMethod::MobileBanking
        }]
    );
}

#[test]
fn an_institution_with_two_ways_in_waits_for_the_choice_before_announcing() {
    let chosen = moved(decide_ok(LinkState::ChooseInstitution, LinkAction::ChooseInstitution(TWO_WAYS.into())));
    assert_eq!(chosen.state, LinkState::ChooseAuthMethod { institution_id: TWO_WAYS.into() });
    assert!(chosen.events.is_empty());

    let method = moved(decide_ok(chosen.state, LinkAction::ChooseAuthMethod("internet_banking".into())));
    assert_eq!(method.state, login_state(None));
    assert!(matches!(
        method.events[..],
        [LinkEvent::InstitutionSelected { auth_method: AuthMethod::InternetBanking, .. }]
    ));

    let switched = moved(decide_ok(method.state, LinkAction::ChooseAuthMethod("mobile_banking".into())));
    assert_eq!(
        switched.events,
        [LinkEvent::AuthMethodSwitched { previous: AuthMethod::InternetBanking, method: AuthMethod::MobileBanking }]
    );
    let same = moved(decide_ok(switched.state, LinkAction::ChooseAuthMethod("mobile_banking".into())));
    assert!(same.events.is_empty());
}

#[test]
fn unknown_choices_are_refused_by_name() {
    let banks = banks();
    let at = |state| session(state);
    let unknown = decide(&at(LinkState::ChooseInstitution), &world(&banks), LinkAction::ChooseInstitution("x".into()));
    assert!(matches!(&unknown, Err(Error::Invalid { field, .. }) if field == "institution"), "{unknown:?}");
    let banks2 = banks;
    let method = decide(
        &at(LinkState::ChooseAuthMethod { institution_id: ONE_WAY.into() }),
        &world(&banks2),
        LinkAction::ChooseAuthMethod("internet_banking".into()),
    );
    let Err(Error::Invalid { message, .. }) = method else { panic!("{method:?}") };
    assert_eq!(message, "Kuda does not offer 'internet_banking'");
}

#[test]
fn actions_of_another_step_are_conflicts() {
    let banks = banks();
    for (state, action) in [
        (challenge_state(), LinkAction::ChooseInstitution(ONE_WAY.into())),
        (LinkState::ChooseInstitution, LinkAction::Login(Credentials::default())),
        (login_state(None), LinkAction::AnswerChallenge(Credentials::default())),
        (login_state(None), LinkAction::SelectAccounts(vec![])),
        (LinkState::ChooseInstitution, LinkAction::Restart),
        (
            LinkState::Linked { institution_id: TWO_WAYS.into(), account_ids: vec![], auth_code: None },
            LinkAction::Restart,
        ),
    ] {
        let step = state.step();
        let refused = decide(&session(state), &world(&banks), action);
        let Err(Error::Conflict(message)) = refused else { panic!("{refused:?}") };
        assert_eq!(message, format!("This link is at step {}", step.as_str()));
    }
    let commit = decide(&session(login_state(None)), &world(&banks), LinkAction::Commit(Credentials::default()));
    assert!(matches!(commit, Err(Error::Conflict(m)) if m == "Nothing to commit: the session is at step login"));
}

#[test]
fn a_login_missing_a_field_names_it_without_asking_the_bank() {
    let next = moved(decide_ok(login_state(None), LinkAction::Login(credentials(&[("username", "ada")]))));
    assert_eq!(next.state, login_state(Some("Enter your password.")));
    assert!(next.events.is_empty());
}

#[test]
fn a_complete_login_asks_the_bank() {
    let creds = credentials(&[("username", "ada"), ("password", "secret")]);
    let Next::AskBank(call, events) = decide_ok(login_state(None), LinkAction::Login(creds.clone())) else {
        panic!("the bank is asked")
    };
    assert_eq!(call.kind, AttemptKind::Login);
    assert_eq!(call.request, BankRequest::Login { method: AuthMethod::InternetBanking, credentials: creds });
    assert!(matches!(events[..], [LinkEvent::LoginAttempted { .. }]));
}

#[test]
fn a_wrong_password_shows_the_banks_reason_until_the_last_attempt_fails_the_link() {
    let wrong = moved(answered(login_state(None), AttemptKind::Login, 1, Err(ConnectorError::InvalidCredentials)));
    assert_eq!(wrong.state, login_state(Some("The login details are incorrect. Check them and try again.")));
    assert_eq!(
        wrong.events,
        [LinkEvent::ErrorOccurred {
            error_type: "INVALID_CREDENTIALS",
            message: "The login details are incorrect. Check them and try again.".into(),
            page: "LOGIN",
        }]
    );
    assert_eq!(wrong.refund, None, "the bank judged it: the attempt counts");
    let last = moved(answered(login_state(None), AttemptKind::Login, 3, Err(ConnectorError::InvalidCredentials)));
    assert_eq!(last.state, LinkState::Failed { reason: FailureReason::TooManyAttempts });

    let banks = banks();
    let call = BankCall {
        kind: AttemptKind::Login,
        institution_id: TWO_WAYS.into(),
        request: BankRequest::Login { method: AuthMethod::InternetBanking, credentials: Credentials::default() },
    };
    let none_left = after_bank(&session(login_state(None)), &world(&banks), &call, BankAnswer::NoAttemptsLeft);
    assert_eq!(moved(none_left).state, LinkState::Failed { reason: FailureReason::TooManyAttempts });
}

#[test]
fn an_answer_the_bank_never_judged_gives_the_attempt_back() {
    for err in [
        ConnectorError::InstitutionUnavailable,
        ConnectorError::Transient("timeout".into()),
        ConnectorError::Internal("bug".into()),
    ] {
        let next = moved(answered(login_state(None), AttemptKind::Login, 3, Err(err.clone())));
        assert_eq!(next.refund, Some(AttemptKind::Login), "{err:?}");
        assert!(!next.state.is_final(), "even on the last attempt: {err:?}");
        assert!(!next.state.error().unwrap().contains("timeout"), "internals stay out of the user's sight");
    }
    let locked = moved(answered(login_state(None), AttemptKind::Login, 1, Err(ConnectorError::AccountLocked)));
    assert_eq!(locked.refund, None);
    assert!(matches!(locked.events[..], [LinkEvent::ErrorOccurred { error_type: "ACCOUNT_LOCKED", .. }]));
}

#[test]
fn the_bank_asks_a_question_and_a_wrong_answer_stays_on_it() {
    let question = challenge_state();
    let LinkState::Challenge { challenge, .. } = &question else { unreachable!() };
    let asked = moved(answered(
        login_state(None),
        AttemptKind::Login,
        1,
        Ok(LoginStep::Challenge { state: "bank-session".into(), challenge: challenge.clone() }),
    ));
    assert_eq!(asked.state, question);

    let Next::AskBank(call, events) =
        decide_ok(question.clone(), LinkAction::AnswerChallenge(credentials(&[("otp", "1")])))
    else {
        panic!("the answer goes to the bank")
    };
    assert_eq!(call.kind, AttemptKind::Challenge);
    assert!(matches!(&call.request, BankRequest::Answer { connector_state, .. } if connector_state == "bank-session"));
    assert_eq!(events, [LinkEvent::MfaSubmitted { kind: ChallengeKind::Otp }]);

    let wrong = moved(answered(question.clone(), AttemptKind::Challenge, 1, Err(ConnectorError::InvalidAnswer)));
    assert_eq!(wrong.state.step(), LinkStep::Challenge);
    assert_eq!(wrong.state.error(), Some("The code or answer is incorrect. Try again."));
    assert!(matches!(wrong.events[..], [LinkEvent::ErrorOccurred { error_type: "INVALID_MFA", .. }]));
    let Next::AskBank(..) = decide_ok(question, LinkAction::Commit(credentials(&[("otp", "1")]))) else {
        panic!("a Partners API commit answers the question")
    };
}

#[test]
fn after_login_one_account_links_at_once_several_are_offered_none_is_explained() {
    let accounts = |n: usize| {
        Ok(LoginStep::Accounts {
            state: String::new(),
            accounts: (0..n).map(|i| account(&format!("000000000{i}"))).collect(),
        })
    };
    let Next::Link(plan, events) = answered(login_state(None), AttemptKind::Login, 1, accounts(1)) else {
        panic!("one account links")
    };
    assert_eq!((plan.institution_id.as_str(), plan.accounts.len()), (TWO_WAYS, 1));
    assert!(matches!(&events[..], [LinkEvent::AccountLinked { institution }] if institution.name == "GTBank"));

    let several = moved(answered(login_state(None), AttemptKind::Login, 1, accounts(2)));
    assert!(matches!(&several.state, LinkState::SelectAccounts { accounts, .. } if accounts.len() == 2));
    let none = moved(answered(challenge_state(), AttemptKind::Challenge, 1, accounts(0)));
    assert_eq!(none.state, login_state(Some("The bank shows no accounts for this login.")));
}

#[test]
fn choosing_accounts_links_them() {
    let nothing = moved(decide_ok(select_state(), LinkAction::SelectAccounts(vec!["nope".into()])));
    assert_eq!(nothing.state.error(), Some("Choose at least one account to link."));

    let Next::Link(plan, events) =
        decide_ok(select_state(), LinkAction::SelectAccounts(vec![account("9876543210").choice()]))
    else {
        panic!("the chosen account links")
    };
    assert_eq!(plan.accounts, [account("9876543210")]);
    assert!(matches!(events[..], [LinkEvent::AccountsSelected { count: 1 }, LinkEvent::AccountLinked { .. }]));
    let state = linked(&plan, vec!["acc1".into()], Some("code_x".into()));
    assert_eq!(
        state,
        LinkState::Linked {
            institution_id: TWO_WAYS.into(),
            account_ids: vec!["acc1".into()],
            auth_code: Some("code_x".into())
        }
    );
}

#[test]
fn the_partners_api_commits_an_account_by_number() {
    let Next::Link(plan, _) =
        decide_ok(select_state(), LinkAction::Commit(credentials(&[("accountNumber", "0123456789")])))
    else {
        panic!("links")
    };
    assert_eq!(plan.accounts, [account("0123456789")]);
    let banks = banks();
    let unknown = decide(
        &session(select_state()),
        &world(&banks),
        LinkAction::Commit(credentials(&[("accountNumber", "1111111111")])),
    );
    assert!(matches!(unknown, Err(Error::Invalid { message, .. }) if message.contains("'1111111111' is not one")));
}

#[test]
fn a_reauthorisation_links_only_the_account_it_renews() {
    let banks = banks();
    let mut reauth = session(select_state());
    reauth.context.reauth_account_id = Some("acc-old".into());
    let renewing = World { reauth_account_number: Some("9876543210"), ..world(&banks) };
    let all = vec![account("0123456789").choice(), account("9876543210").choice()];
    let Next::Link(plan, _) = decide(&reauth, &renewing, LinkAction::SelectAccounts(all.clone())).unwrap() else {
        panic!("links")
    };
    assert_eq!(plan.accounts, [account("9876543210")]);

    let other = World { reauth_account_number: Some("5555554321"), ..world(&banks) };
    let refused = moved(decide(&reauth, &other, LinkAction::SelectAccounts(all.clone())).unwrap());
    assert_eq!(
        refused.state.error(),
        Some("This login or statement does not hold the account you are re-authorising: use the one that holds it.")
    );
    assert_eq!(refused.state.step(), LinkStep::Login);
    let unlinked = moved(decide(&reauth, &world(&banks), LinkAction::SelectAccounts(all)).unwrap());
    assert!(unlinked.state.error().unwrap().contains("was unlinked"));
}

#[test]
fn a_bank_that_renews_access_by_itself_links_from_the_login() {
    let banks = banks();
    let mut reauth = session(login_state(None));
    reauth.context.reauth_account_id = Some("acc-old".into());
    let renewing = World { reauth_account_number: Some("0123456789"), ..world(&banks) };
    let Next::Link(plan, _) = renewed(&reauth, &renewing, vec![account("0123456789")]).unwrap() else {
        panic!("links")
    };
    assert_eq!(plan.auth_method, AuthMethod::InternetBanking);
    let done = session(LinkState::Failed { reason: FailureReason::UserCancelled });
    assert!(matches!(renewed(&done, &renewing, vec![]), Err(Error::Conflict(_))));
}

#[test]
fn back_forgets_the_login_and_cancel_ends_the_link_once() {
    for state in [
        LinkState::ChooseAuthMethod { institution_id: TWO_WAYS.into() },
        login_state(None),
        challenge_state(),
        select_state(),
    ] {
        let back = moved(decide_ok(state, LinkAction::Restart));
        assert_eq!(back.state, LinkState::ChooseInstitution);
        assert!(back.context.consented);
    }
    for (state, page) in [
        (LinkState::ChooseInstitution, "INSTITUTIONS"),
        (LinkState::ChooseAuthMethod { institution_id: TWO_WAYS.into() }, "AUTH_METHODS"),
        (login_state(None), "LOGIN"),
        (challenge_state(), "MFA"),
        (select_state(), "ACCOUNT_SELECTION"),
    ] {
        let cancelled = moved(decide_ok(state, LinkAction::Cancel));
        assert_eq!(cancelled.state, LinkState::Failed { reason: FailureReason::UserCancelled });
        assert_eq!(cancelled.events, [LinkEvent::Exited { page }]);
    }
    let ended = LinkState::Linked { institution_id: TWO_WAYS.into(), account_ids: vec![], auth_code: None };
    assert_eq!(decide_ok(ended, LinkAction::Cancel), Next::Stay);
}

#[test]
fn events_become_the_widgets_messages() {
    let institution = InstitutionRef { id: TWO_WAYS.into(), name: "GTBank".into() };
    let cases = [
        (
            LinkEvent::InstitutionSelected { institution: institution.clone(), auth_method: AuthMethod::MobileBanking },
            "mono.connect.institution_selected",
            serde_json::json!({"institution": {"id": TWO_WAYS, "name": "GTBank"}, "authMethod": "mobile_banking"}),
        ),
        (
            LinkEvent::MfaSubmitted { kind: ChallengeKind::SecurityQuestion },
            "mono.connect.mfa_submitted",
            serde_json::json!({"mfaType": "SECURITY_QUESTION"}),
        ),
        (
            LinkEvent::AccountsSelected { count: 2 },
            "mono.connect.account_selected",
            serde_json::json!({"selectedAccountsCount": 2}),
        ),
        (LinkEvent::Exited { page: "LOGIN" }, "mono.connect.on_exit", serde_json::json!({"pageName": "LOGIN"})),
    ];
    for (event, kind, data) in cases {
        let message = event.widget_message();
        assert_eq!((message.kind.as_str(), message.data), (kind, data));
    }
}

fn preview(number: &str, stated: bool) -> StatementPreview {
    StatementPreview {
        connector_ref: format!("statement:imp:{number}"),
        format: crate::statement_file::FileFormat::Csv,
        account_number: number.into(),
        number_stated: stated,
        name: "ADA OBI".into(),
        currency: "NGN".into(),
        first_day: None,
        last_day: None,
        transactions: 3,
        opening: Some(100),
        closing: Some(400),
        reconciliation: crate::statement_file::ReconciliationStatus::Balanced,
    }
}

fn upload_state(error: Option<&str>, password_needed: bool) -> LinkState {
    LinkState::UploadStatement { institution_id: TWO_WAYS.into(), error: error.map(str::to_string), password_needed }
}

#[test]
fn every_bank_offers_an_upload_beside_its_login() {
    let banks = banks();
    assert_eq!(
        start(&banks, Some((ONE_WAY, None))),
        LinkState::Login { institution_id: ONE_WAY.into(), auth_method: AuthMethod::MobileBanking, error: None },
        "an upload beside one login still goes straight to the login"
    );
    let chosen = moved(decide_ok(login_state(None), LinkAction::ChooseAuthMethod("statement_upload".into())));
    assert_eq!(chosen.state, upload_state(None, false));
    assert_eq!(
        chosen.events,
        [LinkEvent::AuthMethodSwitched { previous: AuthMethod::InternetBanking, method: AuthMethod::StatementUpload }]
    );
    assert_eq!(start(&banks, Some((TWO_WAYS, Some(AuthMethod::StatementUpload)))), upload_state(None, false));
}

#[test]
fn an_upload_is_read_then_reviewed_then_linked() {
    let upload = StatementUpload {
        file: b"Date,Amount".to_vec(),
        file_name: Some("s.csv".into()),
        password: None,
        currency: None,
    };
    let Next::ReadFile(call, _) = decide_ok(upload_state(None, false), LinkAction::UploadStatement(Ok(upload.clone())))
    else {
        panic!("the file is read")
    };
    assert_eq!(call.upload, upload);
    let reviewed = moved(after_file(
        &session(upload_state(None, false)),
        &call,
        Ok((vec![preview("0123456789", true)], Default::default())),
    ));
    assert_eq!(reviewed.state.step(), LinkStep::ReviewStatement);
    let Next::Link(plan, events) = decide_ok(reviewed.state.clone(), LinkAction::ConfirmStatement) else {
        panic!("links")
    };
    assert_eq!(
        (plan.auth_method, plan.accounts[0].account_number.as_str()),
        (AuthMethod::StatementUpload, "0123456789")
    );
    assert!(matches!(events[..], [LinkEvent::AccountLinked { .. }]));
    let two = moved(after_file(
        &session(upload_state(None, false)),
        &call,
        Ok((vec![preview("1", true), preview("2", true)], Default::default())),
    ));
    let choose = moved(decide_ok(two.state, LinkAction::ConfirmStatement));
    assert!(
        matches!(&choose.state, LinkState::SelectAccounts { accounts, auth_method: AuthMethod::StatementUpload, .. } if accounts.len() == 2)
    );
}

#[test]
fn a_file_that_cannot_be_read_says_why_and_asks_for_a_password_when_it_has_one() {
    let call = FileCall {
        institution_id: TWO_WAYS.into(),
        upload: StatementUpload { file: vec![1], file_name: None, password: None, currency: None },
    };
    let at = session(upload_state(None, false));
    let locked = moved(after_file(&at, &call, Err(ReadError::PasswordRequired)));
    assert_eq!(locked.state, upload_state(Some(&ReadError::PasswordRequired.to_string()), true));
    assert!(matches!(locked.events[..], [LinkEvent::ErrorOccurred { error_type: "STATEMENT_PASSWORD_REQUIRED", .. }]));
    let scan = moved(after_file(&at, &call, Err(ReadError::NoTextLayer)));
    assert_eq!(scan.state, upload_state(Some(&ReadError::NoTextLayer.to_string()), false));
    let empty = StatementUpload { file: Vec::new(), file_name: None, password: None, currency: None };
    assert_eq!(
        moved(decide_ok(upload_state(None, false), LinkAction::UploadStatement(Ok(empty)))).state.error(),
        Some("Choose your statement file.")
    );
    let too_large = moved(decide_ok(
        upload_state(None, false),
        LinkAction::UploadStatement(Err(ReadError::TooLarge { limit_mb: 20 })),
    ));
    assert_eq!(too_large.state.error(), Some("The file is over the 20 MB limit."));
}

#[test]
fn renewing_with_a_statement_takes_its_one_unnumbered_account_but_not_another_number() {
    let banks = banks();
    let mut reauth = session(LinkState::ReviewStatement {
        institution_id: TWO_WAYS.into(),
        accounts: vec![preview("5555555555", false)],
        report: Default::default(),
    });
    reauth.context.reauth_account_id = Some("acc".into());
    let world = World { reauth_account_number: Some("0123456789"), ..world(&banks) };
    let Next::Link(plan, _) = decide(&reauth, &world, LinkAction::ConfirmStatement).unwrap() else { panic!("links") };
    assert_eq!(plan.accounts[0].account_number, "0123456789");
    reauth.state = LinkState::ReviewStatement {
        institution_id: TWO_WAYS.into(),
        accounts: vec![preview("5555555555", true)],
        report: Default::default(),
    };
    let refused = moved(decide(&reauth, &world, LinkAction::ConfirmStatement).unwrap());
    let error = refused.state.error().unwrap();
    assert!(error.contains("does not hold the account") && !error.contains("6789"), "nothing of the account: {error}");
    assert_eq!(refused.state.step(), LinkStep::UploadStatement, "back to the upload, not a login form");

    // An account its bank verified is not renewed by a file that does not show its number.
    reauth.state = LinkState::ReviewStatement {
        institution_id: TWO_WAYS.into(),
        accounts: vec![preview("5555555555", false)],
        report: Default::default(),
    };
    let by_bank = World { reauth_by_bank: true, ..world };
    let refused = moved(decide(&reauth, &by_bank, LinkAction::ConfirmStatement).unwrap());
    assert!(refused.state.error().unwrap().contains("linked through your bank"), "{:?}", refused.state);
    assert_eq!(refused.state.step(), LinkStep::UploadStatement);
}

fn consent_bank() -> Banks {
    let mut bank = bank("open", "Open Bank", &[AuthMethod::OpenBanking]);
    bank.auth_methods.retain(|a| a.method != AuthMethod::StatementUpload);
    bank.auth_methods.push(AuthMethodSpec::statement_upload());
    Banks(vec![bank])
}

fn awaiting() -> LinkState {
    LinkState::AwaitingConsent {
        institution_id: "open".into(),
        consent_id: "c1".into(),
        nonce: "n1".into(),
        bank_url: "https://bank.example/authorize".into(),
    }
}

#[test]
fn a_consent_goes_to_the_bank_and_its_answer_is_checked_against_the_link() {
    let banks = consent_bank();
    assert_eq!(start(&banks, Some(("open", None))), LinkState::Consent { institution_id: "open".into(), error: None });
    let at = session(LinkState::Consent { institution_id: "open".into(), error: None });
    let Next::StartConsent(call) = decide(&at, &world(&banks), LinkAction::StartConsent).unwrap() else {
        panic!("to the bank")
    };
    let started = crate::connector::ConsentStart {
        consent_id: "c1".into(),
        redirect_url: "https://bank.example/authorize".into(),
    };
    assert_eq!(moved(after_consent_start(&at, &call, "n1".into(), Ok(started))).state, awaiting());

    let waiting = session(awaiting());
    let forged = decide(
        &waiting,
        &world(&banks),
        LinkAction::ConsentReturned(credentials(&[("state", "other"), ("code", "x")])),
    );
    assert!(matches!(forged, Err(Error::Invalid { field, .. }) if field == "state"));
    let answer = credentials(&[("state", "n1"), ("code", "c1.0.90")]);
    let Next::FinishConsent(call, given) =
        decide(&waiting, &world(&banks), LinkAction::ConsentReturned(answer.clone())).unwrap()
    else {
        panic!("the bank is asked for the accounts")
    };
    assert_eq!((call.consent_id.as_deref(), given), (Some("c1"), answer));
    let Next::Link(plan, _) = after_consent(&waiting, &world(&banks), &call, Ok(vec![account("0123456789")])) else {
        panic!("links")
    };
    assert_eq!(plan.auth_method, AuthMethod::OpenBanking);
}

#[test]
fn a_denied_or_failed_consent_comes_back_to_the_consent_step_with_the_reason() {
    let banks = consent_bank();
    let waiting = session(awaiting());
    let denied = moved(
        decide(
            &waiting,
            &world(&banks),
            LinkAction::ConsentReturned(credentials(&[("state", "n1"), ("error", "access_denied")])),
        )
        .unwrap(),
    );
    assert_eq!(denied.state.step(), LinkStep::Consent);
    assert!(denied.state.error().unwrap().starts_with("You did not approve access at Open Bank."));
    assert!(matches!(denied.events[..], [LinkEvent::ErrorOccurred { error_type: "CONSENT_DENIED", .. }]));
    let call = ConsentCall { institution_id: "open".into(), consent_id: Some("c1".into()) };
    let failed = moved(after_consent(&waiting, &world(&banks), &call, Err(ConnectorError::InstitutionUnavailable)));
    assert_eq!(failed.state.error(), Some("The bank is temporarily unavailable. Try again later."));
    let at_consent = session(LinkState::Consent { institution_id: "open".into(), error: None });
    let commit = || LinkAction::Commit(Credentials::default());
    assert!(
        matches!(decide(&at_consent, &world(&banks), commit()).unwrap(), Next::StartConsent(_)),
        "the Partners API starts it"
    );
    assert_eq!(decide(&waiting, &world(&banks), commit()).unwrap(), Next::Stay, "and asks again once the user is back");
}
