//! Income and creditworthiness: computed from the account's transactions and delivered by
//! webhook, as Mono does (the requests answer at once; the results arrive as events).
use passbook_types::accounts::CreditworthinessRequest;
use serde_json::json;

use super::Passbook;
use super::queries::parse_positive;
use crate::income::{analyse, can_afford, monthly_payment};
use crate::model::{Account, AccountId, App, DataKind, IncomeRecord, Page, PageRequest};
use crate::{Error, Result, ids, webhook_payloads};

impl Passbook {
    async fn analysable(&self, app: &App, id: &AccountId) -> Result<Account> {
        let account = self.accounts().get(app, id).await?;
        if !account.has(DataKind::Transactions) {
            return Err(Error::Conflict(format!(
                "The account's transactions are not available (data_status {})",
                account.data_status.as_str()
            )));
        }
        Ok(account)
    }

    /// `GET /v2/accounts/{id}/income`: analyses the credits of the last `period` months (all of
    /// them by default), keeps the report and sends `mono.events.account_income`.
    pub async fn request_income(&self, app: &App, id: &AccountId, period: Option<&str>) -> Result<Account> {
        let months = parse_positive("period", period)?.map(|m| m.min(120) as u32);
        let account = self.analysable(app, id).await?;
        let (transactions, _) = self.statements().period_transactions(&account, months.unwrap_or(120)).await?;
        let report = analyse(&transactions);
        let now = self.clock.now();
        let event = webhook_payloads::account_income(&account, &report, now);
        let record = IncomeRecord {
            id: ids::object_id(now),
            account_id: account.id.to_string(),
            period_months: months,
            report: json!({"income_summary": {"total_income": report.total_income, "employer": report.employer,
                                              "number_of_income_streams": report.streams.len()},
                           "income_streams": report.streams, "annual_income": report.annual_income,
                           "monthly_income": report.monthly_income}),
            created_at: now,
        };
        self.store.insert_income_record(&app.id, &record, &event).await?;
        self.metrics.event_created(&event.event);
        self.wake_dispatcher();
        Ok(account)
    }

    pub async fn income_records(&self, app: &App, id: &AccountId, page: PageRequest) -> Result<Page<IncomeRecord>> {
        let account = self.accounts().get(app, id).await?;
        self.store.income_records(&app.id, &account.id, page).await
    }

    /// `POST /v2/accounts/{id}/creditworthiness`: can the account holder afford this loan?
    pub async fn request_creditworthiness(
        &self,
        app: &App,
        id: &AccountId,
        req: CreditworthinessRequest,
    ) -> Result<Account> {
        let bvn = req.bvn.as_deref().map(str::trim).unwrap_or_default();
        if bvn.len() != 11 || !bvn.chars().all(|c| c.is_ascii_digit()) {
            return Err(Error::invalid("bvn", "bvn must be the 11-digit BVN of the account holder"));
        }
        let principal = req.principal.filter(|p| (1..=MAX_AMOUNT).contains(p)).ok_or_else(|| {
            Error::invalid(
                "principal",
                format!("principal is required: the loan amount in kobo, from 1 to {MAX_AMOUNT}"),
            )
        })?;
        let rate = req.interest_rate.filter(|r| (0.0..=100.0).contains(r)).ok_or_else(|| {
            Error::invalid("interest_rate", "interest_rate is required: the yearly rate in percent, from 0 to 100")
        })?;
        let term = req.term.filter(|t| (1..=360).contains(t)).ok_or_else(|| {
            Error::invalid("term", "term is required: the number of monthly repayments, from 1 to 360")
        })?;
        let account = self.analysable(app, id).await?;
        let (transactions, _) = self.statements().period_transactions(&account, 12).await?;
        let report = analyse(&transactions);
        let loans = req.existing_loans.unwrap_or_default();
        check_loans(&loans)?;
        let open: Vec<_> = loans.iter().filter(|l| l.closed_date.as_deref().is_none_or(str::is_empty)).collect();
        // Each amount is at most MAX_AMOUNT and there are at most MAX_LOANS: the sums fit.
        let existing_repayments: i64 = open.iter().filter_map(|l| l.repayment_amount).sum();
        let payment = monthly_payment(principal, rate, term);
        let mut by_institution: std::collections::BTreeMap<String, i64> = Default::default();
        for loan in &open {
            let owed = loan.opening_balance.unwrap_or_default();
            *by_institution.entry(loan.institution.clone().unwrap_or_else(|| "Unknown".into())).or_default() += owed;
        }
        let oldest = transactions.last().map(|t| t.date.to_iso()[..10].to_string());
        let newest = transactions.first().map(|t| t.date.to_iso()[..10].to_string());
        let assessment = json!({
            "months_assessed": {"start": oldest, "end": newest},
            "summary": {"can_afford": can_afford(report.monthly_income, payment, existing_repayments), "monthly_payment": payment},
            "debt": {"credit_check": req.run_credit_check.unwrap_or(false),
                     "total_debt": by_institution.values().sum::<i64>(),
                     "debt_by_institution": by_institution.iter().map(|(i, a)| json!({"institution": i, "amount_owed": a})).collect::<Vec<_>>()},
        });
        let event = webhook_payloads::account_credit_worthiness(&account, assessment, self.clock.now());
        self.store.insert_event(&event, None).await?;
        self.metrics.event_created(&event.event);
        self.wake_dispatcher();
        Ok(account)
    }
}

/// The largest amount accepted anywhere in a creditworthiness request: ₦10 trillion, in kobo.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;
/// Existing loans one request may list.
pub const MAX_LOANS: usize = 100;

fn check_loans(loans: &[passbook_types::accounts::ExistingLoan]) -> Result<()> {
    if loans.len() > MAX_LOANS {
        return Err(Error::invalid("existing_loans", format!("existing_loans may list at most {MAX_LOANS} loans")));
    }
    for (i, loan) in loans.iter().enumerate() {
        for (name, value) in [("repayment_amount", loan.repayment_amount), ("opening_balance", loan.opening_balance)] {
            if value.is_some_and(|v| !(0..=MAX_AMOUNT).contains(&v)) {
                let field = format!("existing_loans[{i}].{name}");
                return Err(Error::invalid(
                    &field,
                    format!("{field} must be an amount in kobo from 0 to {MAX_AMOUNT}"),
                ));
            }
        }
    }
    Ok(())
}
