//! The templates of the link page and the data each one shows.
use askama::Template;
use passbook_domain::model::{AuthMethod, FormField, Institution};

pub const DEFAULT_BRAND: &str = "#0F5FA8";

#[derive(Template)]
#[template(path = "institutions.html")]
pub struct InstitutionsPage {
    pub app_name: String,
    pub brand_color: String,
    pub page_url: String,
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
    pub app_name: String,
    pub brand_color: String,
    pub page_url: String,
    pub institution_name: String,
    pub methods: Vec<(&'static str, &'static str)>,
}

/// The login form, and the bank's follow-up questions, which look the same.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub app_name: String,
    pub brand_color: String,
    pub page_url: String,
    pub institution_name: String,
    pub title: String,
    pub action: &'static str,
    pub submit_label: &'static str,
    pub fields: Vec<FormField>,
    pub error: Option<String>,
    pub other_methods: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "accounts.html")]
pub struct AccountsPage {
    pub app_name: String,
    pub brand_color: String,
    pub page_url: String,
    pub error: Option<String>,
    pub accounts: Vec<AccountItem>,
}

pub struct AccountItem {
    pub connector_ref: String,
    pub name: String,
    pub kind: String,
    pub currency: String,
    pub last_digits: String,
}

#[derive(Template)]
#[template(path = "outcome.html")]
pub struct OutcomePage {
    pub app_name: String,
    pub brand_color: String,
    pub icon: &'static str,
    pub heading: String,
    pub detail: String,
    pub continue_url: Option<String>,
}

pub fn method_choices(inst: &Institution, except: Option<AuthMethod>) -> Vec<(&'static str, &'static str)> {
    inst.auth_methods
        .iter()
        .filter(|a| Some(a.method) != except)
        .map(|a| (a.method.as_str(), a.method.label()))
        .collect()
}
