//! What a link page shows, decided here so that the page only renders: it never calls back into
//! the domain and showing it never writes.
use super::Linking;
use super::link_flow::Advanced;
use crate::Result;
use crate::linking::page_name;
use crate::model::{
    AuthMethod, Challenge, DiscoveredAccount, FailureReason, Institution, InstitutionOverride, LinkMode, LinkSession,
    LinkState, StatementPreview, WidgetEvent,
};

/// A link page, finished.
#[derive(Debug, Clone)]
pub struct LinkView {
    pub mode: LinkMode,
    pub app_name: String,
    pub reference: Option<String>,
    /// Widget mode: the parent window's origin (no messages are posted without one).
    pub widget_origin: Option<String>,
    /// The page's name as the widget reports it in `on_exit`.
    pub page_name: &'static str,
    /// The chosen institution's colour, when one is chosen.
    pub brand_color: Option<String>,
    pub step: StepView,
    /// The link ended and the app gave a redirect URL to continue to.
    pub can_continue: bool,
    /// Widget mode: the messages of the action this page answers.
    pub messages: Vec<WidgetEvent>,
}

/// The step on the page, with what it needs.
#[derive(Debug, Clone)]
pub enum StepView {
    /// The user has not yet agreed to share their data.
    Intro,
    ChooseInstitution {
        query: String,
        institutions: Vec<Institution>,
    },
    ChooseAuthMethod {
        institution: Institution,
    },
    Login {
        institution: Institution,
        auth_method: AuthMethod,
        error: Option<String>,
    },
    UploadStatement {
        institution: Institution,
        error: Option<String>,
        password_needed: bool,
    },
    ReviewStatement {
        institution: Institution,
        accounts: Vec<StatementPreview>,
        report: crate::statement_file::ReadReport,
    },
    /// Open banking: about to go to the bank (or back from it without an answer).
    Consent {
        institution: Institution,
        error: Option<String>,
        /// The bank's page, when a consent is waiting there.
        bank_url: Option<String>,
    },
    Challenge {
        institution: Institution,
        challenge: Challenge,
        error: Option<String>,
    },
    SelectAccounts {
        accounts: Vec<DiscoveredAccount>,
        error: Option<String>,
    },
    Linked {
        account_count: usize,
        auth_code: Option<String>,
    },
    Failed {
        reason: FailureReason,
    },
}

impl Linking<'_> {
    /// The page for the link behind `token`; `query` narrows the institution list.
    pub async fn page(&self, token: &str, query: &str) -> Result<LinkView> {
        let session = self.session(token).await?;
        self.view(session, query, Vec::new()).await
    }

    /// The page answering an action, with the messages the action made.
    pub async fn advanced_view(&self, advanced: Advanced) -> Result<LinkView> {
        self.view(advanced.session, "", advanced.messages).await
    }

    async fn view(&self, session: LinkSession, query: &str, messages: Vec<WidgetEvent>) -> Result<LinkView> {
        let app_name = self.apps.app(&session.app_id).await?.map_or_else(|| "The app".to_string(), |a| a.name);
        let overrides = self.overrides.institution_overrides().await?;
        let institution = session
            .state
            .institution_id()
            .and_then(|id| self.passbook.institutions.get(id))
            .map(|i| super::console::with_override(&i, &overrides));
        Ok(LinkView {
            mode: session.mode,
            app_name,
            reference: session.reference.clone(),
            widget_origin: session.context.widget_origin.clone(),
            page_name: page_name(&session.context, &session.state),
            brand_color: institution.as_ref().map(|i| i.primary_color.clone()),
            can_continue: self.redirect_target(&session).is_some(),
            step: self.step_view(&session, institution, query, &overrides),
            messages,
        })
    }

    fn step_view(
        &self,
        session: &LinkSession,
        institution: Option<Institution>,
        query: &str,
        overrides: &[InstitutionOverride],
    ) -> StepView {
        let state = session.state.clone();
        if !session.context.consented && !state.is_final() {
            return StepView::Intro;
        }
        let choose = || StepView::ChooseInstitution {
            query: query.to_string(),
            institutions: self
                .passbook
                .institutions
                .now()
                .search(query)
                .map(|i| super::console::with_override(i, overrides))
                .collect(),
        };
        match (state, institution) {
            (LinkState::Linked { account_ids, auth_code, .. }, _) => {
                StepView::Linked { account_count: account_ids.len(), auth_code }
            }
            (LinkState::Failed { reason }, _) => StepView::Failed { reason },
            (LinkState::SelectAccounts { accounts, error, .. }, Some(_)) => {
                StepView::SelectAccounts { accounts, error }
            }
            (LinkState::ChooseAuthMethod { .. }, Some(institution)) => StepView::ChooseAuthMethod { institution },
            (LinkState::Login { auth_method, error, .. }, Some(institution)) => {
                StepView::Login { institution, auth_method, error }
            }
            (LinkState::Challenge { challenge, error, .. }, Some(institution)) => {
                StepView::Challenge { institution, challenge, error }
            }
            (LinkState::UploadStatement { error, password_needed, .. }, Some(institution)) => {
                StepView::UploadStatement { institution, error, password_needed }
            }
            (LinkState::ReviewStatement { accounts, report, .. }, Some(institution)) => {
                StepView::ReviewStatement { institution, accounts, report }
            }
            (LinkState::Consent { error, .. }, Some(institution)) => {
                StepView::Consent { institution, error, bank_url: None }
            }
            (LinkState::AwaitingConsent { bank_url, .. }, Some(institution)) => {
                StepView::Consent { institution, error: None, bank_url: Some(bank_url) }
            }
            // An institution this server no longer offers: the user picks again.
            (
                LinkState::ChooseInstitution
                | LinkState::ChooseAuthMethod { .. }
                | LinkState::Login { .. }
                | LinkState::Challenge { .. }
                | LinkState::UploadStatement { .. }
                | LinkState::ReviewStatement { .. }
                | LinkState::Consent { .. }
                | LinkState::AwaitingConsent { .. }
                | LinkState::SelectAccounts { .. },
                _,
            ) => choose(),
        }
    }
}
