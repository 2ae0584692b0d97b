//! Ids as the domain's functions and the storage port take them: an account id cannot be
//! passed where an app id is expected. They arrive from URLs (`Path<AccountId>`) and rows, and
//! are checked against the app that asks, so they carry no format rules of their own. Each reads
//! as text (`Deref<Target = str>`), for formatting and binding; only its own type makes one.
use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }
    };
}

id_type!(
    /// An integrator's app.
    AppId
);
id_type!(
    /// A link session: one run of the widget or the hosted page.
    SessionId
);
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
id_type!(
    /// A statement PDF built for an account (`/v2/accounts/{id}/statement/jobs/{job}`).
    StatementId
);
id_type!(
    /// An uploaded statement file's import: what was read from it.
    ImportId
);
id_type!(
    /// An institution users may link (`/v2/institutions`).
    InstitutionId
);
id_type!(
    /// An operator of the console.
    OperatorId
);
id_type!(
    /// A customer's SimpleFIN grant.
    GrantId
);
