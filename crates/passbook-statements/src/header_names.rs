//! What banks call each column of a statement table, in the languages they export in (headers
//! met in public statement exports and banks' published examples): rules tried in order, the
//! first that matches a header naming its column's role.
use crate::text::clean;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// With a priority: the booking date wins over the transaction date and the value date.
    Date(u8),
    Amount,
    Debit,
    Credit,
    Balance,
    Narration,
    /// A debit/credit indicator beside unsigned amounts.
    Flag,
    Currency,
    Account,
    Reference,
}

/// How a rule matches a header (lower-cased, without its unit or colon).
enum Names {
    /// One of these names exactly.
    Exactly(&'static [&'static str]),
    /// Starts with one of the first, unless it contains one of the second.
    StartsWith(&'static [&'static str], &'static [&'static str]),
}

impl Names {
    fn matches(&self, header: &str) -> bool {
        match self {
            Self::Exactly(names) => names.contains(&header),
            Self::StartsWith(prefixes, unless) => {
                prefixes.iter().any(|p| header.starts_with(p)) && !unless.iter().any(|u| header.contains(u))
            }
        }
    }
}

/// The role of a column named `header`, if it has one.
pub(crate) fn role(header: &str) -> Option<Role> {
    let h = header.trim().trim_matches('"').to_lowercase().replace('\u{a0}', " ");
    // `Debit(₦)`, `Balance After (NGN)`, `Amount:`: the name without its unit.
    let h = h.split_once('(').map_or(h.as_str(), |(name, _)| name).trim().trim_end_matches(':').trim();
    let h = clean(h);
    let found = RULES.iter().find(|(_, names)| names.matches(&h)).map(|(role, _)| *role);
    // German exports number their purpose lines: `VWZ1`, `VWZ2`, ...
    found.or_else(|| (h.starts_with("vwz") && h[3..].bytes().all(|b| b.is_ascii_digit())).then_some(Role::Narration))
}

const RULES: &[(Role, Names)] = &[
    // The booking date wins over the transaction date, which wins over the value date.
    (
        Role::Date(4),
        Names::Exactly(&[
            "posted date",
            "posting date",
            "booking date",
            "buchungstag",
            "bu.tag",
            "buchungsdatum",
            "boekdatum",
            "date posted",
            "data contabile",
            "data registrazione",
            "data lançamento",
            "data de lançamento",
            "data lancamento",
            "data do lançamento",
        ]),
    ),
    (
        Role::Date(3),
        Names::Exactly(&[
            "date",
            "datum",
            "fecha",
            "data",
            "fecha operacion",
            "fecha operación",
            "date opération",
            "date d'opération",
            "tran date",
            "txn date",
            "trans date",
            "tran. date",
            "transdate",
            "txn. date",
            "date/time",
            "date / time",
            "date & time",
            "date and time",
            "transaction date/time",
            "transaction date & time",
            "data operazione",
            "data movimento",
            "data da transação",
        ]),
    ),
    (
        Role::Date(2),
        Names::Exactly(&[
            "transaction date",
            "transactiedatum",
            "trans. date",
            "date de transaction",
            "trans. time",
            "transaction time",
        ]),
    ),
    (
        Role::Date(1),
        Names::Exactly(&[
            "value date",
            "valutadatum",
            "wertstellung",
            "wert",
            "date de valeur",
            "fecha valor",
            "valuta",
            "value dt",
            "valuedate",
            "value. date",
            "data valuta",
            "data valor",
        ]),
    ),
    (
        Role::Flag,
        Names::Exactly(&[
            "creditdebet",
            "af bij",
            "cr/dr",
            "dr/cr",
            "d/c",
            "c/d",
            "debit/credit",
            "credit/debit",
            "soll/haben",
            "dr / cr",
            "cr / dr",
            "d/c indicator",
            "segno",
        ]),
    ),
    (Role::Amount, Names::Exactly(&["money in/out", "amount in/out", "in/out"])),
    // Not the amount in the original currency, nor the currency of the amount.
    (
        Role::Amount,
        Names::StartsWith(
            &["amount", "betrag", "bedrag", "importe", "montant", "transaction amount", "importo", "valor"],
            &["original", "currency"],
        ),
    ),
    (
        Role::Debit,
        Names::StartsWith(
            &[
                "debit",
                "débit",
                "withdrawal",
                "money out",
                "paid out",
                "soll",
                "belastung",
                "cargo",
                "dare",
                "uscite",
                "dr amount",
                "outflow",
            ],
            &["credit"],
        ),
    ),
    (
        Role::Credit,
        Names::StartsWith(
            &[
                "credit",
                "crédit",
                "deposit",
                "money in",
                "paid in",
                "haben",
                "gutschrift",
                "abono",
                "lodgement",
                "avere",
                "entrate",
                "cr amount",
                "inflow",
            ],
            &["debit"],
        ),
    ),
    // The balance after the row, not before it.
    (
        Role::Balance,
        Names::StartsWith(
            &[
                "balance",
                "running balance",
                "runningbalance",
                "kontostand",
                "saldo",
                "solde",
                "available balance",
                "balance after",
                "ledger balance",
            ],
            &["before"],
        ),
    ),
    (
        Role::Currency,
        Names::Exactly(&[
            "currency",
            "ccy",
            "währung",
            "valutacode",
            "monn.",
            "devise",
            "moneda",
            "divisa",
            "waehrung",
            "moeda",
        ]),
    ),
    (
        Role::Account,
        Names::Exactly(&[
            "account",
            "account number",
            "account no",
            "kontonummer",
            "rekeningnummer",
            "rekening",
            "iban",
            "produit",
            "cuenta",
            "account no.",
            "card no.",
            "card no",
            "card number",
            "conto",
            "numero conto",
            "conta",
        ]),
    ),
    (
        Role::Reference,
        Names::Exactly(&[
            "reference",
            "ref",
            "ref.",
            "transaction id",
            "operation number",
            "referentie",
            "n° de transaction",
            "reference id",
            "transaction reference",
            "ref no",
            "reference number",
            "ref. no",
            "ref. no.",
            "ref no.",
            "transaction ref",
            "transaction reference number",
            "reference no",
            "reference no.",
            "session id",
            "riferimento",
        ]),
    ),
    (
        Role::Narration,
        Names::Exactly(&[
            "description",
            "desc",
            "details",
            "detail",
            "narration",
            "narrative",
            "remarks",
            "remark",
            "label",
            "libellé",
            "libelle",
            "memo",
            "naam / omschrijving",
            "omschrijving",
            "concepto",
            "buchungstext",
            "verwendungszweck",
            "auftraggeber/empfänger",
            "name",
            "payee",
            "reason",
            "mededelingen",
            "tegenrekeninghouder",
            "transaction details",
            "particulars",
            "description 1",
            "description 2",
            "description 3",
            "additional description",
            "beneficiary",
            "counterparty",
            "wir haben für sie gebucht",
            "transaction description",
            "transaction detail",
            "narrations",
            "to / from",
            "to/from",
            "descrizione",
            "causale",
            "descrizione operazione",
            "histórico",
            "historico",
            "descrição",
            "descricao",
        ]),
    ),
];
