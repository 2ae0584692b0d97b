//! Nigerian institutions with their CBN bank codes and NIP institution codes.
use passbook_domain::model::{AuthMethod, AuthMethodSpec, FormField, Institution, InstitutionKind, InstitutionStatus};

use AuthMethod::{InternetBanking as IB, MobileBanking as MB, OpenBanking};
use InstitutionKind::{BusinessBanking as Business, InvestmentPlatform as Investment, PersonalBanking as Personal};

struct Entry {
    id: &'static str,
    name: &'static str,
    kind: InstitutionKind,
    bank_code: &'static str,
    nip_code: &'static str,
    color: &'static str,
    methods: &'static [AuthMethod],
}

const fn e(
    id: &'static str,
    name: &'static str,
    kind: InstitutionKind,
    bank_code: &'static str,
    nip_code: &'static str,
    color: &'static str,
    methods: &'static [AuthMethod],
) -> Entry {
    Entry { id, name, kind, bank_code, nip_code, color, methods }
}

/// Ids of GTBank, ALAT and Kuda are the ones Mono's own docs show. Beside the commercial banks,
/// the fintechs and microfinance banks Nigerian users link most (OPay, Kuda, Moniepoint, PalmPay,
/// Carbon, FairMoney, VFD, Paga and others), each with its CBN bank code and NIP institution code.
const ENTRIES: &[Entry] = &[
    e("5f2d08be60b92e2888287702", "GTBank", Personal, "058", "000013", "#DD4F05", &[IB, MB]),
    e("5f5b530a67ffc15e5911e0d2", "ALAT by WEMA", Personal, "035", "000017", "#BE0B5F", &[MB]),
    e("5f2d08bf60b92e2888287704", "Kuda Bank", Personal, "50211", "090267", "#40196D", &[MB]),
    e("5f2d08c060b92e2888287706", "Access Bank", Personal, "044", "000014", "#F37021", &[IB, MB]),
    e("5f2d08c160b92e2888287707", "Zenith Bank", Personal, "057", "000015", "#E30613", &[IB, MB]),
    e("5f2d08c260b92e2888287708", "First Bank of Nigeria", Personal, "011", "000016", "#003B65", &[IB, MB]),
    e("5f2d08c360b92e2888287709", "United Bank for Africa", Personal, "033", "000004", "#D42E12", &[IB, MB]),
    e("5f2d08c460b92e288828770a", "Fidelity Bank", Personal, "070", "000007", "#2C2A7C", &[IB, MB]),
    e("5f2d08c560b92e288828770b", "Union Bank", Personal, "032", "000018", "#00AEEF", &[IB]),
    e("5f2d08c660b92e288828770c", "Stanbic IBTC Bank", Personal, "221", "000012", "#0033A1", &[IB, MB]),
    e("5f2d08c760b92e288828770d", "Sterling Bank", Personal, "232", "000001", "#DB3539", &[IB, MB]),
    e("5f2d08c860b92e288828770e", "Ecobank Nigeria", Personal, "050", "000010", "#005A8B", &[IB, MB]),
    e("5f2d08c960b92e288828770f", "FCMB", Personal, "214", "000003", "#5C2D91", &[IB, MB]),
    e("5f2d08ca60b92e2888287710", "Polaris Bank", Personal, "076", "000008", "#7B2A8C", &[IB]),
    e("5f2d08cb60b92e2888287711", "Keystone Bank", Personal, "082", "000002", "#004B8D", &[IB]),
    e("5f2d08cc60b92e2888287712", "Providus Bank", Personal, "101", "000023", "#F2A900", &[IB]),
    e("5f2d08cd60b92e2888287713", "Opay", Personal, "999992", "100004", "#1DCF9F", &[MB]),
    e("5f2d08ce60b92e2888287714", "Moniepoint MFB", Personal, "50515", "090405", "#0357EE", &[MB]),
    e("5f2d08cf60b92e2888287715", "PalmPay", Personal, "999991", "100033", "#6C2BD9", &[MB]),
    e("5f2d08d760b92e288828771d", "Carbon", Personal, "565", "100026", "#0C1B33", &[MB]),
    e("5f2d08d860b92e288828771e", "FairMoney MFB", Personal, "51318", "090551", "#0B4FB3", &[MB]),
    e("5f2d08d960b92e288828771f", "VFD Microfinance Bank", Personal, "566", "090110", "#E4032E", &[MB]),
    e("5f2d08da60b92e2888287720", "Paga", Personal, "327", "100002", "#EF6C00", &[MB]),
    e("5f2d08db60b92e2888287721", "Sparkle MFB", Personal, "51310", "090325", "#5D2E8C", &[MB]),
    e("5f2d08dc60b92e2888287722", "Rubies MFB", Personal, "125", "090175", "#B3123B", &[MB]),
    e("5f2d08dd60b92e2888287723", "Mint MFB", Personal, "50304", "090281", "#00A86B", &[MB]),
    e("5f2d08de60b92e2888287724", "Eyowo", Personal, "50126", "090328", "#2D9CDB", &[MB]),
    e("5f2d08df60b92e2888287725", "LAPO MFB", Personal, "50549", "090177", "#E30613", &[MB]),
    e("5f2d08e060b92e2888287726", "Renmoney MFB", Personal, "50767", "090198", "#1A1A5E", &[MB]),
    e("5f2d08e160b92e2888287727", "Wema Bank", Personal, "035", "000017", "#8A1538", &[IB, MB]),
    e("5f2d08e260b92e2888287728", "Jaiz Bank", Personal, "301", "000006", "#006838", &[IB, MB]),
    e("5f2d08e360b92e2888287729", "Unity Bank", Personal, "215", "000011", "#8CC63F", &[IB]),
    e("5f2d08e460b92e288828772a", "Globus Bank", Personal, "00103", "000027", "#00559F", &[IB, MB]),
    e("5f2d08e560b92e288828772b", "Titan Trust Bank", Personal, "102", "000025", "#7A2182", &[IB]),
    e("5f2d08e660b92e288828772c", "Lotus Bank", Personal, "303", "000029", "#2E3192", &[MB]),
    e("5f2d08e760b92e288828772d", "TAJ Bank", Personal, "302", "000026", "#8B6F2E", &[MB]),
    e("5f2d08e860b92e288828772e", "SunTrust Bank", Personal, "100", "000022", "#F7941D", &[IB]),
    e("5f2d08e960b92e288828772f", "PremiumTrust Bank", Personal, "105", "000031", "#0A4A7C", &[IB, MB]),
    e("5f2d08ea60b92e2888287730", "Optimus Bank", Personal, "107", "000036", "#1B365D", &[MB]),
    e("5f2d08d060b92e2888287716", "GTBank Business", Business, "058", "000013", "#DD4F05", &[IB]),
    e("5f2d08d160b92e2888287717", "Zenith Bank Corporate", Business, "057", "000015", "#E30613", &[IB]),
    e("5f2d08d260b92e2888287718", "Access Bank Business", Business, "044", "000014", "#F37021", &[IB]),
    e("5f2d08d360b92e2888287719", "Moniepoint Business", Business, "50515", "090405", "#0357EE", &[MB]),
    e("5f2d08d460b92e288828771a", "Risevest", Investment, "000000", "000000", "#0898A0", &[MB]),
    e("5f2d08d560b92e288828771b", "Bamboo", Investment, "000000", "000000", "#01A354", &[MB]),
    e("5f2d08d660b92e288828771c", "Cowrywise", Investment, "000000", "000000", "#0066F5", &[MB]),
    e(
        super::open_bank::OPEN_BANK_ID,
        "Passbook Open Bank (sandbox)",
        Personal,
        "999",
        "999999",
        "#127A5A",
        &[OpenBanking],
    ),
];

pub fn institutions() -> Vec<Institution> {
    ENTRIES
        .iter()
        .map(|entry| Institution {
            id: entry.id.into(),
            name: entry.name.into(),
            kind: entry.kind,
            bank_code: entry.bank_code.into(),
            nip_code: entry.nip_code.into(),
            country: "ng".into(),
            primary_color: entry.color.into(),
            icon: None,
            identifier: format!("passbook.sandbox.{}", slug(entry.name)),
            status: InstitutionStatus::Operational,
            auth_methods: entry.methods.iter().map(|&m| auth_method(entry.name, m)).collect(),
        })
        .collect()
}

fn auth_method(bank: &str, method: AuthMethod) -> AuthMethodSpec {
    let (title, form) = match method {
        AuthMethod::StatementUpload => return AuthMethodSpec::statement_upload(),
        AuthMethod::OpenBanking => (format!("Approve access at {bank}"), Vec::new()),
        AuthMethod::InternetBanking => (
            format!("Log in to {bank} Internet Banking"),
            vec![FormField::text("username", "Username"), FormField::secret("password", "Password")],
        ),
        AuthMethod::MobileBanking => (
            format!("Log in to the {bank} app"),
            vec![
                FormField::text("username", "Phone number or user ID"),
                FormField::secret("password", "Password or PIN"),
            ],
        ),
    };
    AuthMethodSpec { method, title, form }
}

fn slug(name: &str) -> String {
    name.to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn ids_are_unique_object_ids() {
        let all = institutions();
        let ids: HashSet<_> = all.iter().map(|i| i.id.clone()).collect();
        assert_eq!(ids.len(), all.len());
        assert!(all.iter().all(|i| passbook_domain::ids::is_object_id(&i.id)));
        assert!(all.iter().all(|i| !i.auth_methods.is_empty()));
    }

    #[test]
    fn the_fintechs_users_link_are_there_with_their_nip_codes() {
        let all = institutions();
        for (name, nip) in [
            ("Opay", "100004"),
            ("Kuda Bank", "090267"),
            ("Moniepoint MFB", "090405"),
            ("PalmPay", "100033"),
            ("Carbon", "100026"),
            ("FairMoney MFB", "090551"),
        ] {
            let found = all.iter().find(|i| i.name == name).unwrap_or_else(|| panic!("{name} is missing"));
            assert_eq!(found.nip_code, nip, "{name}");
        }
        assert!(all.iter().all(|i| i.nip_code.len() == 6 && i.nip_code.bytes().all(|b| b.is_ascii_digit())));
    }
}
