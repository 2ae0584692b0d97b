//! `POST /v2/accounts/initiate`: validate, find or create the customer, open a link session.
use passbook_types::connect::WidgetQuery;
use passbook_types::linking::{InitiateRequest, InstitutionChoice};

use super::Linking;
use super::apps::parse_http_url;
use crate::crypto::hash_secret;
use crate::linking;
use crate::model::{
    AccountId, App, AppId, AuthMethod, Customer, CustomerId, CustomerProfile, LinkContext, LinkMode, LinkSession,
    NamedCustomer,
};
use crate::store::SessionCreated;
use crate::{Error, Institutions, Result, Timestamp, ids};

pub(crate) const MAX_REFERENCE_LEN: usize = 100;
/// Longest customer name accepted.
pub(crate) const MAX_NAME_LEN: usize = 200;

/// A text field as given, trimmed: `None` when empty; refused when longer than `max`
/// characters or holding control characters (a NUL byte, say) or invisible ones that change how
/// text around them reads (see [`hides_text`]).
pub(crate) fn text_field(field: &str, value: Option<String>, max: usize) -> Result<Option<String>> {
    let Some(value) = value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) else { return Ok(None) };
    if value.chars().count() > max {
        return Err(Error::invalid(field, format!("{field} must be at most {max} characters")));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(field, format!("{field} must not contain control characters")));
    }
    if let Some(c) = value.chars().find(|c| hides_text(*c)) {
        return Err(Error::invalid(
            field,
            format!("{field} must not contain invisible formatting characters (U+{:04X})", u32::from(c)),
        ));
    }
    Ok(Some(value))
}

/// Bidirectional overrides and isolates, marks, zero-width spaces, word joiners and byte-order
/// marks: invisible, and able to make a name read as something else (`evil\u{202E}gpj.exe`).
/// The zero-width (non-)joiners stay allowed: scripts such as Persian and Devanagari need them.
pub(crate) fn hides_text(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{061C}' | '\u{FEFF}')
}

/// Longest app name accepted.
pub(crate) const MAX_APP_NAME_LEN: usize = 100;

/// An app's name, as the CLI, the console and the API take it.
pub(crate) fn app_name(name: &str) -> Result<String> {
    text_field("name", Some(name.to_string()), MAX_APP_NAME_LEN)?
        .ok_or_else(|| Error::invalid("name", "name must not be empty"))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerSpec {
    Existing(CustomerId),
    New { name: String, email: String },
}

/// A validated initiate request.
#[derive(Debug, Clone)]
pub struct InitiateLink {
    pub customer: CustomerSpec,
    pub reference: Option<String>,
    pub redirect_url: Option<String>,
    pub institution: Option<(String, Option<AuthMethod>)>,
    /// Re-authorise this account instead of linking a new one.
    pub reauth_account: Option<AccountId>,
}

#[derive(Debug, Clone)]
pub struct InitiatedLink {
    pub mono_url: String,
    pub customer_id: String,
    pub reference: Option<String>,
    pub redirect_url: Option<String>,
    pub created_at: Timestamp,
    /// For a re-authorisation: the account, its institution and auth method.
    pub reauth: Option<(AccountId, String, AuthMethod)>,
}

impl InitiateLink {
    pub fn parse(req: InitiateRequest, institutions: &Institutions) -> Result<Self> {
        match req.scope.as_deref().map(str::trim) {
            None | Some("") => {
                return Err(Error::invalid("scope", "scope is required; use \"auth\" to link an account"));
            }
            Some("auth") => {}
            Some("reauth") => return Self::parse_reauth(req),
            Some(other) => {
                return Err(Error::invalid(
                    "scope",
                    format!("scope \"{other}\" is not supported; use \"auth\" or \"reauth\""),
                ));
            }
        }
        let customer = parse_customer(req.customer)?;
        let reference = text_field("meta.ref", req.meta.and_then(|m| m.reference), MAX_REFERENCE_LEN)?;
        let redirect_url = req.redirect_url.map(|u| parse_http_url("redirect_url", &u)).transpose()?;
        let institution = match req.institution {
            None => None,
            Some(choice) => Some(parse_institution(
                institutions,
                choice.id,
                choice.auth_method,
                ("institution.id", "institution.auth_method"),
            )?),
        };
        Ok(Self { customer, reference, redirect_url, institution, reauth_account: None })
    }

    /// A Partners API session (`POST /v2/connect/session`): the institution is required, and
    /// refusals name the Partners API's own fields.
    pub fn for_partner(req: passbook_types::partners::SessionRequest, institutions: &Institutions) -> Result<Self> {
        if let Some(scope) = req.scope.as_deref().map(str::trim).filter(|s| !s.is_empty() && *s != "financial_data") {
            return Err(Error::invalid("scope", format!("scope '{scope}' is not supported; use financial_data")));
        }
        let customer = parse_customer(req.customer)?;
        let reference = text_field("meta.ref", req.meta.and_then(|m| m.reference), MAX_REFERENCE_LEN)?;
        if req.institution.as_deref().is_none_or(|i| i.trim().is_empty()) {
            return Err(Error::invalid("institution", "institution is required (an id from GET /v3/institutions)"));
        }
        let institution =
            parse_institution(institutions, req.institution, req.auth_method, ("institution", "auth_method"))?;
        Ok(Self { customer, reference, redirect_url: None, institution: Some(institution), reauth_account: None })
    }

    /// The widget's query string (`@mono.co/connect.js`): `data` (JSON with `customer`, or the
    /// `account` to re-authorise), `selectedInstitution` (JSON), `scope` and `reference`.
    pub fn for_widget(query: &WidgetQuery, institutions: &Institutions) -> Result<Self> {
        let data: WidgetData = json_param("data", query.data.as_deref())?.unwrap_or_default();
        let reference = text_field("reference", query.reference.clone(), MAX_REFERENCE_LEN)?;
        if let Some(account) = data.account {
            return Self::reauth(Some(&account), reference, None);
        }
        match query.scope.as_deref().map(str::trim) {
            None | Some("") | Some("auth") => {}
            Some("reauth") => {
                return Err(Error::invalid("data.account", "data.account is required to re-authorise an account"));
            }
            Some(other) => {
                return Err(Error::invalid("scope", format!("scope \"{other}\" is not supported; use \"auth\"")));
            }
        }
        let choice: Option<InstitutionChoice> =
            json_param("selectedInstitution", query.selected_institution.as_deref())?;
        let institution = choice
            .map(|c| {
                let fields = ("selectedInstitution.id", "selectedInstitution.auth_method");
                parse_institution(institutions, c.id, c.auth_method, fields)
            })
            .transpose()?;
        Ok(Self {
            customer: parse_customer(data.customer)?,
            reference,
            redirect_url: None,
            institution,
            reauth_account: None,
        })
    }

    /// A re-authorisation of `account`; customer and institution are the account's, filled in
    /// when the session is created.
    pub fn reauth(account: Option<&str>, reference: Option<String>, redirect_url: Option<String>) -> Result<Self> {
        let account = account.map(str::trim).filter(|a| !a.is_empty());
        let account = account.ok_or_else(|| Error::invalid("account", "account is required to re-authorise"))?;
        if !ids::is_object_id(account) {
            return Err(Error::invalid("account", format!("account '{account}' is not an account id")));
        }
        Ok(Self {
            customer: CustomerSpec::Existing(CustomerId::default()),
            reference,
            redirect_url,
            institution: None,
            reauth_account: Some(account.into()),
        })
    }

    /// `scope: "reauth"`.
    fn parse_reauth(req: InitiateRequest) -> Result<Self> {
        let account = req.account.as_deref().map(str::trim).filter(|a| !a.is_empty());
        let account = account.ok_or_else(|| Error::invalid("account", "account is required with scope \"reauth\""))?;
        let reference = text_field("meta.ref", req.meta.and_then(|m| m.reference), MAX_REFERENCE_LEN)?;
        let redirect_url = req.redirect_url.map(|u| parse_http_url("redirect_url", &u)).transpose()?;
        Self::reauth(Some(account), reference, redirect_url)
    }
}

/// The widget's `data` parameter.
#[derive(serde::Deserialize, Default)]
struct WidgetData {
    customer: Option<passbook_types::linking::CustomerIn>,
    account: Option<String>,
}

/// A query parameter that holds JSON; absent or blank is `None`.
fn json_param<T: serde::de::DeserializeOwned>(name: &str, raw: Option<&str>) -> Result<Option<T>> {
    match raw.filter(|d| !d.trim().is_empty()) {
        None => Ok(None),
        Some(raw) => serde_json::from_str(raw)
            .map(Some)
            .map_err(|e| Error::invalid(name, format!("{name} is not valid JSON: {e}"))),
    }
}

/// An institution and, optionally, how to log in to it; refusals name `fields` (the id's and
/// the method's, as the caller's wire format calls them).
fn parse_institution(
    institutions: &Institutions,
    id: Option<String>,
    method: Option<String>,
    (id_field, method_field): (&str, &str),
) -> Result<(String, Option<AuthMethod>)> {
    let id = id
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::invalid(id_field, format!("{id_field} is required when institution is given")))?;
    let inst = institutions.get(&id).ok_or_else(|| {
        Error::invalid(id_field, format!("{id_field} '{id}' is not a known institution; see GET /v3/institutions"))
    })?;
    let method = match method.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => {
            let method = AuthMethod::parse(raw).ok_or_else(|| {
                Error::invalid(
                    method_field,
                    format!("{method_field} '{raw}' is not valid; use internet_banking or mobile_banking"),
                )
            })?;
            if !inst.supports(method) {
                let supported: Vec<_> = inst.auth_methods.iter().map(|a| a.method.as_str()).collect();
                return Err(Error::invalid(
                    method_field,
                    format!("{} does not support {raw}; it supports {}", inst.name, supported.join(", ")),
                ));
            }
            Some(method)
        }
    };
    Ok((id, method))
}

impl CustomerSpec {
    /// `{"name", "email"}` for a new customer (or one found by e-mail), `{"id"}` for an existing one.
    pub fn parse(customer: Option<passbook_types::linking::CustomerIn>) -> Result<Self> {
        parse_customer(customer)
    }
}

fn parse_customer(customer: Option<passbook_types::linking::CustomerIn>) -> Result<CustomerSpec> {
    let customer =
        customer.ok_or_else(|| Error::invalid("customer", "customer is required: an object with name and email"))?;
    if let Some(id) = text_field("customer.id", customer.id, 64)? {
        return Ok(CustomerSpec::Existing(id.into()));
    }
    let name = text_field("customer.name", customer.name, MAX_NAME_LEN)?
        .ok_or_else(|| Error::invalid("customer.name", "customer.name is required"))?;
    let email = text_field("customer.email", customer.email, 254)?
        .ok_or_else(|| Error::invalid("customer.email", "customer.email is required"))?;
    if !is_valid_email(&email) {
        return Err(Error::invalid("customer.email", format!("customer.email '{email}' is not a valid email address")));
    }
    Ok(CustomerSpec::New { name, email: email.to_lowercase() })
}

/// A pragmatic check: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.len() <= 254
}

/// A session just created, with the token of its URL (not stored anywhere).
pub(crate) struct CreatedSession {
    pub token: String,
    pub session: LinkSession,
}

impl Linking<'_> {
    pub async fn initiate(&self, app: &App, link: InitiateLink) -> Result<InitiatedLink> {
        let created = self.create_session(app, link, LinkMode::Hosted, None).await?;
        let state = &created.session.state;
        let reauth = created.session.context.reauth_account_id.clone().map(|account| {
            let institution = state.institution_id().unwrap_or_default().to_string();
            (account, institution, state.auth_method().unwrap_or(AuthMethod::InternetBanking))
        });
        Ok(InitiatedLink {
            reauth,
            mono_url: format!("{}/link/{}", self.passbook.settings.public_url, created.token),
            // A hosted link (secret key) always has its customer.
            customer_id: created.session.customer_id.clone().unwrap_or_default().into(),
            reference: created.session.reference,
            redirect_url: created.session.redirect_url,
            created_at: created.session.created_at,
        })
    }

    pub(crate) async fn create_session(
        &self,
        app: &App,
        link: InitiateLink,
        mode: LinkMode,
        widget_origin: Option<String>,
    ) -> Result<CreatedSession> {
        let link = self.for_reauth(app, link).await?;
        let now = self.passbook.now();
        let (customer, named_customer) = self.link_customer(app, link.customer, mode, now).await?;
        let token = ids::random_alnum(32);
        let context = LinkContext {
            consented: false,
            widget_origin,
            reauth_account_id: link.reauth_account.clone(),
            named_customer,
        };
        let choice = link.institution.as_ref().map(|(id, method)| (id.as_str(), *method));
        let state = linking::start(self.passbook.institutions.now().as_ref(), choice);
        let mut session = LinkSession {
            id: hash_secret(&token).into(),
            mode,
            app_id: app.id.clone(),
            customer_id: customer.as_ref().map(|c| c.id.clone()),
            reference: link.reference,
            redirect_url: link.redirect_url,
            context,
            state,
            login_attempts: 0,
            challenge_attempts: 0,
            version: 0,
            created_at: now,
            expires_at: now.plus_millis(self.passbook.settings.link_ttl_ms),
            completed_at: None,
        };
        match self.links.create_link_session(customer.as_ref(), &session).await? {
            SessionCreated::Created(customer) => session.customer_id = customer.map(|c| c.id),
            SessionCreated::ReferenceTaken => {
                return Err(Error::Conflict(format!(
                    "meta.ref '{}' was already used by this app; send a new reference for each link",
                    session.reference.as_deref().unwrap_or_default()
                )));
            }
        }
        Ok(CreatedSession { token, session })
    }

    /// A re-authorisation links again the account's customer at the account's institution, by
    /// the way it was linked.
    async fn for_reauth(&self, app: &App, mut link: InitiateLink) -> Result<InitiateLink> {
        if let Some(account_id) = &link.reauth_account {
            let account = self.accounts.account(&app.id, account_id).await?.ok_or_else(|| {
                Error::invalid("account", format!("account '{account_id}' is not a linked account of this app"))
            })?;
            link.customer = CustomerSpec::Existing(account.customer_id.clone());
            link.institution = Some((account.institution_id.clone(), Some(account.auth_method)));
        }
        Ok(link)
    }

    /// The link's customer: an existing one, one made now, or (in the widget) only named until
    /// the account is linked.
    async fn link_customer(
        &self,
        app: &App,
        spec: CustomerSpec,
        mode: LinkMode,
        now: Timestamp,
    ) -> Result<(Option<Customer>, Option<NamedCustomer>)> {
        Ok(match spec {
            CustomerSpec::Existing(id) => {
                let customer = self.customers.customer(&app.id, &id).await?.ok_or_else(|| {
                    Error::invalid("customer.id", format!("customer.id '{id}' is not a customer of this app"))
                })?;
                (Some(customer), None)
            }
            // A public key is no proof of who the customer is: opening the widget makes no
            // customer and answers the same whether the e-mail is known or not.
            CustomerSpec::New { name, email } if mode == LinkMode::Widget => {
                (None, Some(NamedCustomer { name, email }))
            }
            CustomerSpec::New { name, email } => (Some(new_customer(&app.id, name, email, now)), None),
        })
    }
}

/// A customer made now from a name and an e-mail.
pub(crate) fn new_customer(app_id: &AppId, name: String, email: String, now: Timestamp) -> Customer {
    let profile = CustomerProfile::from_full_name(&name);
    Customer { id: ids::object_id(now).into(), app_id: app_id.clone(), name, email, profile, created_at: now }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for good in ["samuel@neem.com", "a.b+c@sub.example.ng"] {
            assert!(is_valid_email(good), "{good}");
        }
        for bad in ["", "samuel", "@neem.com", "samuel@", "samuel@neem", "sam uel@neem.com", "a@b@c.com", "a@.com"] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn a_widget_query_becomes_a_link_or_names_what_is_wrong() {
        let institutions = Institutions::new(Vec::new());
        let query = |data: &str, scope: &str, institution: &str| WidgetQuery {
            key: Some("test_pk_x".into()),
            scope: Some(scope.into()),
            data: Some(data.into()),
            reference: Some(" ref-1 ".into()),
            selected_institution: Some(institution.into()),
            version: None,
            referrer: None,
        };
        let reauth =
            InitiateLink::for_widget(&query(r#"{"account": "0123456789abcdef01234567"}"#, "", ""), &institutions)
                .unwrap();
        assert_eq!(
            (reauth.reauth_account.as_deref(), reauth.reference.as_deref()),
            (Some("0123456789abcdef01234567"), Some("ref-1"))
        );
        let new = InitiateLink::for_widget(
            &query(r#"{"customer": {"name": "Ada Obi", "email": "Ada@Example.ng"}}"#, "auth", ""),
            &institutions,
        )
        .unwrap();
        assert_eq!(new.customer, CustomerSpec::New { name: "Ada Obi".into(), email: "ada@example.ng".into() });
        for (q, field) in [
            (query("{oops", "auth", ""), "data"),
            (query("", "reauth", ""), "data.account"),
            (query("", "payments", ""), "scope"),
            (query(r#"{"customer": {"id": "c1"}}"#, "auth", "[1]"), "selectedInstitution"),
            (query(r#"{"customer": {"id": "c1"}}"#, "auth", r#"{"id": "nope"}"#), "selectedInstitution.id"),
        ] {
            let refused = InitiateLink::for_widget(&q, &institutions);
            assert!(matches!(&refused, Err(Error::Invalid { field: f, .. }) if f == field), "{field}: {refused:?}");
        }
    }
}
