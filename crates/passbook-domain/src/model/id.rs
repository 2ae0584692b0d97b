//! Ids as the domain's public functions take them: an account id cannot be passed where a job
//! id is expected. They arrive from URLs (`Path<AccountId>`) and are checked against the app
//! that asks, so they carry no format rules of their own.
use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_string())
            }
        }
    };
}

id_type!(
    /// A linked account (`/v2/accounts/{id}`).
    AccountId
);
id_type!(
    /// A customer of an app (`/v2/customers/{id}`).
    CustomerId
);
id_type!(
    /// A background job: a real-time sync or a statement PDF being built.
    JobId
);
id_type!(
    /// A webhook event (`/passbook/v1/events/{id}`).
    EventId
);
