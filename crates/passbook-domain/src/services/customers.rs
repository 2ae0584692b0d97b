//! `/v2/customers`: creating, reading, updating and deleting an app's customers, as a service
//! of its own ([`Passbook::customers`]).
use passbook_types::customers::CustomerIn;

use super::Passbook;
use super::initiate::{MAX_NAME_LEN, is_valid_email, text_field};
use crate::model::{App, Customer, CustomerId, CustomerProfile, Page, PageRequest};
use crate::store::{CustomerDeleted, CustomerStore};
use crate::{Error, Result, ids};

const MAX_ADDRESS_LEN: usize = 100;
const EXISTS: &str = "Customer already exists with similar credentials (email or names supplied)";

/// The customers service: an app's customers through the [`CustomerStore`] alone.
#[derive(Clone, Copy)]
pub struct Customers<'a> {
    passbook: &'a Passbook,
    store: &'a dyn CustomerStore,
}

impl Passbook {
    /// An app's customers.
    pub fn customers(&self) -> Customers<'_> {
        Customers { passbook: self, store: self.store.as_ref() }
    }
}

impl Customers<'_> {
    pub async fn create(&self, app: &App, input: CustomerIn) -> Result<Customer> {
        let email = clean(input.email.clone()).ok_or_else(|| Error::invalid("email", "email is required"))?;
        if !is_valid_email(&email) {
            return Err(Error::invalid("email", format!("email '{email}' is not a valid email address")));
        }
        let mut profile = CustomerProfile::default();
        apply_profile(&mut profile, &input, true)?;
        let now = self.passbook.now();
        let customer = Customer {
            id: ids::object_id(now).into(),
            app_id: app.id.clone(),
            name: display_name(&profile),
            email: email.to_lowercase(),
            profile,
            created_at: now,
        };
        if !self.store.insert_customer(&customer).await? {
            return Err(Error::invalid("email", EXISTS));
        }
        Ok(customer)
    }

    /// The app's customer; Mono's 400 for an id it does not know.
    pub async fn get(&self, app: &App, id: &CustomerId) -> Result<Customer> {
        let invalid = || Error::invalid("id", "Invalid Customer Id, could not fetch customer");
        self.find(app, id).await?.ok_or_else(invalid)
    }

    /// The app's customer, if `id` names one (another app's customer is none).
    pub(crate) async fn find(&self, app: &App, id: &CustomerId) -> Result<Option<Customer>> {
        if !ids::is_object_id(id.as_str()) {
            return Ok(None);
        }
        self.store.customer(&app.id, id).await
    }

    pub async fn list(&self, app: &App, page: PageRequest) -> Result<Page<Customer>> {
        self.store.list_customers(&app.id, page).await
    }

    pub async fn update(&self, app: &App, id: &CustomerId, input: CustomerIn) -> Result<Customer> {
        let mut customer = self.get(app, id).await?;
        if input.email.is_some() {
            return Err(Error::invalid("email", "email cannot be changed; create a new customer instead"));
        }
        let nothing =
            [&input.first_name, &input.last_name, &input.business_name, &input.address, &input.phone, &input.kind]
                .iter()
                .all(|v| v.is_none())
                && input.identity.is_none();
        if nothing {
            return Err(Error::invalid(
                "body",
                "Nothing to update: send any of identity, address, phone, type, first_name, last_name, business_name",
            ));
        }
        apply_profile(&mut customer.profile, &input, false)?;
        customer.name = display_name(&customer.profile);
        self.store.update_customer(&customer).await?;
        Ok(customer)
    }

    pub async fn delete(&self, app: &App, id: &CustomerId) -> Result<()> {
        if !ids::is_object_id(id.as_str()) {
            return Err(Error::invalid("id", "Invalid Customer Id"));
        }
        match self.store.delete_customer(&app.id, id).await? {
            CustomerDeleted::Deleted => Ok(()),
            CustomerDeleted::NotFound => Err(Error::invalid("id", "Invalid Customer Id")),
            CustomerDeleted::HasAccounts(n) => {
                Err(Error::Conflict(format!("Customer '{id}' has {n} linked account(s); unlink them first")))
            }
        }
    }
}

fn clean(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn display_name(p: &CustomerProfile) -> String {
    if p.business {
        return p.business_name.clone().unwrap_or_default();
    }
    [p.first_name.as_deref(), p.last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ")
}

/// Applies the fields of `input` to `profile`; on create the name fields the type needs are
/// required.
fn apply_profile(profile: &mut CustomerProfile, input: &CustomerIn, creating: bool) -> Result<()> {
    if let Some(kind) = clean(input.kind.clone()) {
        profile.business = match kind.as_str() {
            "individual" => false,
            "business" => true,
            other => return Err(Error::invalid("type", format!("type must be individual or business, got '{other}'"))),
        };
    }
    for (field, value, target) in [
        ("first_name", &input.first_name, &mut profile.first_name),
        ("last_name", &input.last_name, &mut profile.last_name),
        ("business_name", &input.business_name, &mut profile.business_name),
    ] {
        if let Some(v) = text_field(field, value.clone(), MAX_NAME_LEN)? {
            *target = Some(v);
        }
    }
    if let Some(address) = text_field("address", input.address.clone(), MAX_ADDRESS_LEN)? {
        profile.address = Some(address);
    }
    if let Some(phone) = clean(input.phone.clone()) {
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        if !(7..=15).contains(&digits) || phone.chars().any(|c| !(c.is_ascii_digit() || "+ -()".contains(c))) {
            return Err(Error::invalid("phone", format!("phone '{phone}' is not a phone number")));
        }
        profile.phone = Some(phone);
    }
    if let Some(identity) = &input.identity {
        match identity.kind.as_deref().map(str::trim) {
            Some("bvn") => {}
            other => {
                return Err(Error::invalid(
                    "identity.type",
                    format!(
                        "identity.type must be \"bvn\", got {}",
                        other.map_or("nothing".into(), |o| format!("'{o}'"))
                    ),
                ));
            }
        }
        let number = clean(identity.number.clone()).unwrap_or_default();
        if number.len() != 11 || !number.chars().all(|c| c.is_ascii_digit()) {
            return Err(Error::invalid("identity.number", "identity.number must be an 11-digit BVN"));
        }
        profile.bvn = Some(number);
    }
    if creating {
        if profile.business && profile.business_name.is_none() {
            return Err(Error::invalid("business_name", "business_name is required for a business customer"));
        }
        if !profile.business && profile.first_name.is_none() {
            return Err(Error::invalid("first_name", "first_name is required"));
        }
        if !profile.business && profile.last_name.is_none() {
            return Err(Error::invalid("last_name", "last_name is required"));
        }
    }
    Ok(())
}
