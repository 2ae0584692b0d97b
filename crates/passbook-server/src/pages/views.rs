//! The templates of the link page and the data each one shows.
use askama::Template;
use passbook_domain::model::{AuthMethod, FormField, Institution};

pub const DEFAULT_BRAND: &str = "#0F5FA8";

/// What every page shows around its step: the app, the colours, and in widget mode the bridge
/// to the parent window.
pub struct Chrome {
    pub app_name: String,
    pub brand_color: String,
    pub page_url: String,
    pub widget: Option<WidgetBridge>,
    /// This answer's CSP nonce: only the page's own `<script>` and `<style>` elements run.
    pub nonce: String,
}

/// A fresh CSP nonce (about 131 bits).
pub fn new_nonce() -> String {
    passbook_domain::ids::random_alnum(22)
}

/// Values for the widget's `postMessage` script, each already JSON (safe inside `<script>`).
pub struct WidgetBridge {
    pub events_json: String,
    pub origin_json: String,
    pub reference_json: String,
    pub page_name_json: String,
}

/// JSON that can sit inside a `<script>` element.
pub fn script_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("serialisable").replace('<', "\\u003c")
}

#[derive(Template)]
#[template(path = "intro.html")]
pub struct IntroPage {
    pub chrome: Chrome,
}

#[derive(Template)]
#[template(path = "institutions.html")]
pub struct InstitutionsPage {
    pub chrome: Chrome,
    pub query: String,
    pub institutions: Vec<InstitutionItem>,
}

pub struct InstitutionItem {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub color: String,
    pub initials: String,
    pub search_text: String,
}

impl InstitutionItem {
    pub fn new(inst: &Institution) -> Self {
        let initials: String = inst
            .name
            .split_whitespace()
            .filter(|w| w.chars().next().is_some_and(char::is_alphanumeric))
            .take(2)
            .filter_map(|w| w.chars().next())
            .collect::<String>()
            .to_uppercase();
        Self {
            id: inst.id.clone(),
            name: inst.name.clone(),
            kind: match inst.kind {
                passbook_domain::model::InstitutionKind::BusinessBanking => "Business banking",
                passbook_domain::model::InstitutionKind::InvestmentPlatform => "Investments",
                passbook_domain::model::InstitutionKind::PersonalBanking => "Personal banking",
            },
            status: inst.status.as_str(),
            color: inst.primary_color.clone(),
            initials,
            search_text: format!("{} {} {}", inst.name.to_lowercase(), inst.bank_code, inst.nip_code),
        }
    }
}

#[derive(Template)]
#[template(path = "auth_method.html")]
pub struct AuthMethodPage {
    pub chrome: Chrome,
    pub institution_name: String,
    pub methods: Vec<(&'static str, &'static str)>,
}

/// The login form, and the bank's follow-up questions, which look the same.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub chrome: Chrome,
    pub institution_name: String,
    pub title: String,
    pub action: &'static str,
    pub submit_label: &'static str,
    pub fields: Vec<FormField>,
    pub error: Option<String>,
    pub other_methods: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "upload.html")]
pub struct UploadPage {
    pub chrome: Chrome,
    pub institution_name: String,
    pub error: Option<String>,
    pub password_needed: bool,
    pub other_methods: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "consent.html")]
pub struct ConsentPage {
    pub chrome: Chrome,
    pub institution_name: String,
    pub error: Option<String>,
    pub bank_url: Option<String>,
}

#[derive(Template)]
#[template(path = "review.html")]
pub struct ReviewPage {
    pub chrome: Chrome,
    pub accounts: Vec<ReviewItem>,
    pub rows_read: usize,
    /// The lines of the file that were passed over, with why, and how many in all.
    pub skipped: Vec<passbook_domain::statement_file::SkippedLine>,
    pub skipped_total: usize,
}

/// One account of an uploaded statement, as the review step shows it.
pub struct ReviewItem {
    pub name: String,
    pub number: String,
    pub currency: String,
    pub period: String,
    pub transactions: usize,
    pub opening: String,
    pub closing: String,
    pub reconciliation: &'static str,
}

#[derive(Template)]
#[template(path = "accounts.html")]
pub struct AccountsPage {
    pub chrome: Chrome,
    pub error: Option<String>,
    pub accounts: Vec<AccountItem>,
}

pub struct AccountItem {
    pub choice: String,
    pub name: String,
    pub kind: String,
    pub currency: String,
    pub last_digits: String,
}

#[derive(Template)]
#[template(path = "outcome.html")]
pub struct OutcomePage {
    pub chrome: Chrome,
    pub icon: &'static str,
    pub heading: String,
    pub detail: String,
    pub continue_url: Option<String>,
    /// Widget mode, once linked: the code for the parent, as JSON.
    pub widget_code: Option<String>,
}

pub fn method_choices(inst: &Institution, except: Option<AuthMethod>) -> Vec<(&'static str, &'static str)> {
    inst.auth_methods
        .iter()
        .filter(|a| Some(a.method) != except)
        .map(|a| (a.method.as_str(), a.method.label()))
        .collect()
}
