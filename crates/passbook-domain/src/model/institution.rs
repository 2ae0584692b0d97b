use super::AuthMethod;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstitutionKind {
    PersonalBanking,
    BusinessBanking,
    InvestmentPlatform,
}

impl InstitutionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PersonalBanking => "PERSONAL_BANKING",
            Self::BusinessBanking => "BUSINESS_BANKING",
            Self::InvestmentPlatform => "INVESTMENT_PLATFORM",
        }
    }
}

/// Whether the institution answers logins right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstitutionStatus {
    Operational,
    Degraded,
    Down,
}

impl InstitutionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operational => "operational",
            Self::Degraded => "degraded",
            Self::Down => "down",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Operational, Self::Degraded, Self::Down].into_iter().find(|v| v.as_str() == s)
    }
}

/// A bank or platform a user can link, as its connector describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Institution {
    pub id: String,
    pub name: String,
    pub kind: InstitutionKind,
    pub bank_code: String,
    pub nip_code: String,
    pub country: String,
    pub primary_color: String,
    pub icon: Option<String>,
    pub identifier: String,
    pub status: InstitutionStatus,
    pub auth_methods: Vec<AuthMethodSpec>,
}

impl Institution {
    pub fn auth_method(&self, method: AuthMethod) -> Option<&AuthMethodSpec> {
        self.auth_methods.iter().find(|a| a.method == method)
    }

    pub fn supports(&self, method: AuthMethod) -> bool {
        self.auth_method(method).is_some()
    }
}

/// One way to log in, with the form the institution asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthMethodSpec {
    pub method: AuthMethod,
    pub title: String,
    pub form: Vec<FormField>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FormField {
    pub name: String,
    pub hint: String,
    /// Rendered as a password input and never echoed back.
    pub secret: bool,
    /// A file to upload.
    #[serde(default)]
    pub file: bool,
    /// May be left empty.
    #[serde(default)]
    pub optional: bool,
}

impl FormField {
    pub fn text(name: &str, hint: &str) -> Self {
        Self { name: name.into(), hint: hint.into(), secret: false, file: false, optional: false }
    }

    pub fn secret(name: &str, hint: &str) -> Self {
        Self { name: name.into(), hint: hint.into(), secret: true, file: false, optional: false }
    }

    pub fn file(name: &str, hint: &str) -> Self {
        Self { name: name.into(), hint: hint.into(), secret: false, file: true, optional: false }
    }

    pub fn optional(self) -> Self {
        Self { optional: true, ..self }
    }
}

impl AuthMethodSpec {
    /// Upload a statement: offered at every institution.
    pub fn statement_upload() -> Self {
        Self {
            method: AuthMethod::StatementUpload,
            title: "Upload a bank statement".into(),
            form: vec![
                FormField::file("statement", "Statement file (PDF, Excel, CSV, OFX, CAMT.053 or MT940)"),
                FormField::secret("password", "File password, if it has one").optional(),
            ],
        }
    }
}
