//! A year of realistic transaction history, generated deterministically.
//!
//! Each day's activity is drawn from a generator seeded with the account id and the day, and
//! the history starts 365 days before the account was linked (the time inside its ObjectId)
//! from an opening balance drawn from the account id. So any fetch of the same account
//! returns the same records with the same running balances, and a later fetch only adds days.
use passbook_domain::Timestamp;
use passbook_domain::connector::FetchedTransaction;
use passbook_domain::model::TxKind;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::Month;

use super::names::{BANKS, BILLERS, FIRST_NAMES, LAST_NAMES, MERCHANTS, NETWORKS, PHONE_PREFIXES};
use super::persona::{Persona, pick};
use super::seed;

const DAY_MS: i64 = 86_400_000;
const HISTORY_DAYS: i64 = 365;

#[derive(Debug, Clone)]
pub struct History {
    /// Posted records, in the order they posted, each with the balance after it.
    pub transactions: Vec<FetchedTransaction>,
    /// Card payments authorised but not yet posted (or about to be reversed).
    pub pending: Vec<FetchedTransaction>,
    pub balance: i64,
}

/// Payments a busy account receives each day (`user_history`): about 100,000 over the year.
const BUSY_PAYMENTS_PER_DAY: i64 = 270;

/// The account's history from a year before `linked_at` up to `now`; a `busy` account also
/// takes [`BUSY_PAYMENTS_PER_DAY`] small payments a day.
///
/// Card payments are authorised first and post a day or two later (sometimes for a slightly
/// different amount, always under the merchant's settled narration); a few are reversed instead.
/// Records enter the ledger in the order they post, so running balances never change once
/// listed, and a later `now` only adds to the end.
pub fn generate(account_id: &str, persona: &Persona, linked_at: Timestamp, now: Timestamp, busy: bool) -> History {
    let account_seed = seed(&["account", account_id]);
    let mut rng = ChaCha8Rng::seed_from_u64(account_seed);
    let salary = rng.random_range(150_000..1_500_000) * 100;
    let mut ledger = Ledger { balance: rng.random_range(20_000..600_000) * 100, out: Vec::new() };
    let first_day = linked_at.0.div_euclid(DAY_MS) - HISTORY_DAYS;
    let last_day = now.0.div_euclid(DAY_MS);
    let mut entries = Vec::new();
    for day in first_day..=last_day {
        let mut rng = ChaCha8Rng::seed_from_u64(account_seed ^ day.cast_unsigned().wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut day_events = day_activity(&mut rng, persona, salary, day);
        if busy {
            day_events.extend(busy_payments(&mut rng));
        }
        day_events.sort_by_key(|e| e.offset_ms);
        for (n, planned) in day_events.into_iter().enumerate() {
            let at = Timestamp(day * DAY_MS + planned.offset_ms);
            if at > now {
                break;
            }
            let card = planned.card.then(|| CardHold::draw(account_seed, day, n, &planned));
            entries.push(Entry { fingerprint: format!("{day}-{n}"), at, planned, card });
        }
    }
    let mut posting: Vec<(Timestamp, &Entry)> =
        entries.iter().filter_map(|e| e.posts_at().filter(|t| *t <= now).map(|t| (t, e))).collect();
    posting.sort_by_key(|(at, _)| *at);
    for (at, entry) in posting {
        ledger.post(&entry.fingerprint, at, &entry.planned);
    }
    let pending = entries.iter().filter_map(|e| e.pending_at(now)).collect();
    History { balance: ledger.balance, transactions: ledger.out, pending }
}

/// One planned record and, for a card payment, how its hold settles.
struct Entry {
    fingerprint: String,
    at: Timestamp,
    planned: Planned,
    card: Option<CardHold>,
}

impl Entry {
    /// When it reaches the ledger; `None` for a reversed hold.
    fn posts_at(&self) -> Option<Timestamp> {
        match &self.card {
            None => Some(self.at),
            Some(hold) if hold.reversed => None,
            Some(hold) => Some(self.at.plus_millis(hold.settles_after_ms)),
        }
    }

    /// The hold as the bank lists it at `now`, while it is pending.
    fn pending_at(&self, now: Timestamp) -> Option<FetchedTransaction> {
        let hold = self.card.as_ref()?;
        (now < self.at.plus_millis(hold.settles_after_ms)).then(|| FetchedTransaction {
            fingerprint: self.fingerprint.clone(),
            date: self.at,
            narration: hold.narration.clone(),
            amount: hold.amount,
            kind: self.planned.kind,
            balance: None,
            currency: "NGN".into(),
        })
    }
}

/// A card authorisation: what it shows while pending, and how long until it posts or is reversed.
struct CardHold {
    narration: String,
    amount: i64,
    settles_after_ms: i64,
    reversed: bool,
}

impl CardHold {
    /// Drawn from a generator of its own, so the day's other records stay as they were.
    fn draw(account_seed: u64, day: i64, n: usize, planned: &Planned) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(
            account_seed.rotate_left(29) ^ (day.cast_unsigned() << 16 | n as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93),
        );
        let settles_after_ms = rng.random_range(18 * 3_600_000..54 * 3_600_000);
        let reversed = rng.random_bool(0.08);
        // A fifth of holds are for another amount than the merchant finally takes (fuel,
        // restaurants): within 5% either way, in whole naira.
        let amount = if rng.random_bool(0.2) {
            let percent = rng.random_range(95..=105);
            (planned.amount * percent / 100 / 100).max(1) * 100
        } else {
            planned.amount
        };
        let narration = planned.narration.replacen("POS PURCHASE", "POS AUTH", 1);
        Self { narration, amount, settles_after_ms, reversed }
    }
}

struct Planned {
    offset_ms: i64,
    narration: String,
    amount: i64,
    kind: TxKind,
    /// Charges that follow this record (stamp duty, transfer fees).
    charges: Vec<(String, i64)>,
    /// A card payment: authorised first, posted later.
    card: bool,
}

struct Ledger {
    balance: i64,
    out: Vec<FetchedTransaction>,
}

impl Ledger {
    fn post(&mut self, fingerprint: &str, at: Timestamp, planned: &Planned) {
        let total_debit = planned.amount + planned.charges.iter().map(|c| c.1).sum::<i64>();
        if planned.kind == TxKind::Debit && total_debit > self.balance {
            return; // not enough money: the bank declines it
        }
        self.push(fingerprint.to_string(), at, planned.narration.clone(), planned.amount, planned.kind);
        for (i, (narration, amount)) in planned.charges.iter().enumerate() {
            if *amount <= self.balance {
                self.push(
                    format!("{fingerprint}-c{i}"),
                    Timestamp(at.0 + 1000 * (passbook_domain::numbers::signed(i) + 1)),
                    narration.clone(),
                    *amount,
                    TxKind::Debit,
                );
            }
        }
    }

    fn push(&mut self, fingerprint: String, date: Timestamp, narration: String, amount: i64, kind: TxKind) {
        // Two records never share a moment: a fee planned for the same millisecond as the next
        // payment goes a millisecond later, so newest-first lists follow the running balance.
        let date = match self.out.last() {
            Some(previous) if date <= previous.date => Timestamp(previous.date.0 + 1),
            _ => date,
        };
        self.balance += if kind == TxKind::Credit { amount } else { -amount };
        self.out.push(FetchedTransaction {
            fingerprint,
            date,
            narration,
            amount,
            kind,
            balance: Some(self.balance),
            currency: "NGN".into(),
        });
    }
}

/// A shop's takings: card and transfer payments through the day, one in each slot of the day.
fn busy_payments(rng: &mut ChaCha8Rng) -> Vec<Planned> {
    let slot = DAY_MS / BUSY_PAYMENTS_PER_DAY;
    (0..BUSY_PAYMENTS_PER_DAY)
        .map(|i| {
            let offset_ms = i * slot + rng.random_range(0..slot / 2) * 2 + 1;
            let (narration, amount) = if rng.random_bool(0.6) {
                (format!("POS SETTLEMENT TERMINAL {:04}", rng.random_range(1..40)), naira(rng, 500, 25_000, 50))
            } else {
                (format!("NIP/TRF FRM {}/{}", counterparty(rng), pick(rng, BANKS)), naira(rng, 1_000, 60_000, 100))
            };
            Planned { offset_ms, narration, amount, kind: TxKind::Credit, charges: Vec::new(), card: false }
        })
        .collect()
}

fn naira(rng: &mut ChaCha8Rng, low: i64, high: i64, step: i64) -> i64 {
    rng.random_range(low / step..=high / step) * step * 100
}

fn counterparty(rng: &mut ChaCha8Rng) -> String {
    format!("{} {}", pick(rng, FIRST_NAMES), pick(rng, LAST_NAMES)).to_uppercase()
}

const fn kobo(naira: i64) -> i64 {
    naira * 100
}

/// The NIP fee with VAT in kobo (₦10.75, ₦26.88, ₦53.75), by amount band.
fn transfer_fee(amount: i64) -> i64 {
    match amount {
        a if a <= kobo(5_000) => 1075,
        a if a <= kobo(50_000) => 2688,
        _ => 5375,
    }
}

fn stamp_duty(amount: i64) -> Vec<(String, i64)> {
    if amount >= kobo(10_000) { vec![("STAMP DUTY CHARGE".into(), kobo(50))] } else { Vec::new() }
}

fn day_activity(rng: &mut ChaCha8Rng, persona: &Persona, salary: i64, day: i64) -> Vec<Planned> {
    let date = Timestamp(day * DAY_MS).to_datetime().date();
    let mut out = Vec::new();
    // In this order: the generator's draws follow it, and the sandbox's history must not change.
    income(rng, persona, salary, date, &mut out);
    spending(rng, &mut out);
    bills(rng, date, &mut out);
    out
}

/// The salary on the 25th, and now and then a transfer in.
fn income(rng: &mut ChaCha8Rng, persona: &Persona, salary: i64, date: time::Date, out: &mut Vec<Planned>) {
    if date.day() == 25 {
        let month = Month::try_from(date.month() as u8).map(|m| format!("{m}")).unwrap_or_default().to_uppercase();
        out.push(credit(at(rng, 7, 10), format!("SALARY FOR {month} {}", persona.employer), salary));
    }
    if rng.random_bool(0.15) {
        let amount = naira(rng, 2_000, 80_000, 500);
        out.push(credit(at(rng, 8, 22), format!("NIP/TRF FRM {}/{}", counterparty(rng), pick(rng, BANKS)), amount));
    }
}

/// Card purchases, transfers out, airtime and data, cash and USSD transfers, each on some days.
fn spending(rng: &mut ChaCha8Rng, out: &mut Vec<Planned>) {
    if rng.random_bool(0.5) {
        let amount = naira(rng, 1_500, 45_000, 50);
        let purchase = debit(at(rng, 9, 21), format!("POS PURCHASE @ {}", pick(rng, MERCHANTS)), amount, Vec::new());
        out.push(Planned { card: true, ..purchase });
    }
    if rng.random_bool(0.3) {
        let amount = naira(rng, 1_000, 100_000, 500);
        let narration = format!("NIP TRF TO {}/{}", counterparty(rng), pick(rng, BANKS));
        out.push(debit(at(rng, 8, 23), narration, amount, vec![("NIP CHARGE + VAT".into(), transfer_fee(amount))]));
    }
    if rng.random_bool(0.2) {
        let phone = format!("{}{:07}", pick(rng, PHONE_PREFIXES), rng.random_range(0..10_000_000));
        let amount = naira(rng, 100, 5_000, 100);
        out.push(debit(at(rng, 6, 23), format!("AIRTIME/{}/{phone}", pick(rng, NETWORKS)), amount, Vec::new()));
    }
    if rng.random_bool(0.08) {
        let amount = naira(rng, 1_000, 15_000, 500);
        out.push(debit(at(rng, 6, 23), format!("DATA BUNDLE/{}/MONTHLY", pick(rng, NETWORKS)), amount, Vec::new()));
    }
    if rng.random_bool(0.07) {
        let amount = naira(rng, 5_000, 40_000, 1_000);
        out.push(debit(at(rng, 7, 22), format!("ATM WDL @ {} BRANCH", pick(rng, BANKS)), amount, Vec::new()));
    }
    if rng.random_bool(0.05) {
        let amount = naira(rng, 500, 20_000, 100);
        out.push(debit(
            at(rng, 7, 22),
            format!("USSD TRF TO {}", counterparty(rng)),
            amount,
            vec![("NIP CHARGE + VAT".into(), transfer_fee(amount))],
        ));
    }
}

/// Bills on the 3rd and the 18th, SMS alert charges on the 28th.
fn bills(rng: &mut ChaCha8Rng, date: time::Date, out: &mut Vec<Planned>) {
    if date.day() == 3 || date.day() == 18 {
        let (biller, low, high) = pick(rng, BILLERS);
        let amount = naira(rng, low, high, 100);
        out.push(debit(
            at(rng, 8, 20),
            format!("BILL PAYMENT {biller} {}", rng.random_range(1_000_000..9_999_999)),
            amount,
            Vec::new(),
        ));
    }
    if date.day() == 28 {
        let month = format!("{}", date.month()).to_uppercase();
        out.push(debit(
            at(rng, 23, 24),
            format!("SMS ALERT CHARGES {month}"),
            rng.random_range(8_000..20_000),
            Vec::new(),
        ));
    }
}

/// A time of day between two hours, in milliseconds after midnight.
fn at(rng: &mut ChaCha8Rng, from_hour: i64, to_hour: i64) -> i64 {
    rng.random_range(from_hour * 3_600_000..to_hour * 3_600_000)
}

fn credit(offset_ms: i64, narration: String, amount: i64) -> Planned {
    Planned { offset_ms, charges: stamp_duty(amount), narration, amount, kind: TxKind::Credit, card: false }
}

fn debit(offset_ms: i64, narration: String, amount: i64, charges: Vec<(String, i64)>) -> Planned {
    Planned { offset_ms, narration, amount, kind: TxKind::Debit, charges, card: false }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINKED: Timestamp = Timestamp(1_735_689_600_000); // 2025-01-01

    #[test]
    fn history_is_deterministic_and_balances_add_up() {
        let persona = Persona::for_username("user_good");
        let a = generate("6553f10000000000000000aa", &persona, LINKED, LINKED, false);
        let b = generate("6553f10000000000000000aa", &persona, LINKED, LINKED, false);
        assert_eq!(a.transactions, b.transactions);
        assert!(a.transactions.len() > 300, "{}", a.transactions.len());
        let first = &a.transactions[0];
        let mut running = first.balance.unwrap() - signed(first);
        for t in &a.transactions {
            running += signed(t);
            assert_eq!(Some(running), t.balance);
            assert!(running >= 0);
        }
        assert_eq!(running, a.balance);
    }

    #[test]
    fn a_later_fetch_extends_the_same_history() {
        let persona = Persona::for_username("user_good");
        let early = generate("6553f10000000000000000bb", &persona, LINKED, LINKED, false);
        let later = generate("6553f10000000000000000bb", &persona, LINKED, LINKED.plus_millis(10 * DAY_MS), false);
        assert_eq!(&later.transactions[..early.transactions.len()], &early.transactions[..]);
        assert!(later.transactions.len() > early.transactions.len());
    }

    #[test]
    fn no_two_records_share_a_moment() {
        let persona = Persona::for_username("user_good");
        for n in 0..200 {
            let history = generate(&format!("6553f1000000000000{n:06x}"), &persona, LINKED, LINKED, false);
            for pair in history.transactions.windows(2) {
                assert!(pair[0].date < pair[1].date, "account {n}: {:?} then {:?}", pair[0], pair[1]);
            }
        }
    }

    #[test]
    fn a_busy_account_has_about_a_hundred_thousand_records_that_add_up() {
        let persona = Persona::for_username("user_history");
        let busy = generate("6553f10000000000000000cc", &persona, LINKED, LINKED, true);
        assert!((99_000..=101_500).contains(&busy.transactions.len()), "{}", busy.transactions.len());
        let first = &busy.transactions[0];
        let mut running = first.balance.unwrap() - signed(first);
        for t in &busy.transactions {
            running += signed(t);
            assert_eq!(Some(running), t.balance);
        }
        let again = generate("6553f10000000000000000cc", &persona, LINKED, LINKED, true);
        assert_eq!(again.transactions.len(), busy.transactions.len(), "deterministic");
    }

    #[test]
    fn card_holds_post_later_or_are_reversed_and_keep_their_fingerprint() {
        let persona = Persona::for_username("user_good");
        let (mut posted_later, mut changed, mut reversed) = (0, 0, 0);
        for n in 0..40 {
            let id = format!("6553f1000000000000{n:06x}");
            let mut now = LINKED;
            let mut seen_pending = std::collections::HashMap::new();
            for _ in 0..20 {
                let history = generate(&id, &persona, LINKED, now, false);
                for hold in &history.pending {
                    assert!(hold.narration.starts_with("POS AUTH @"), "{hold:?}");
                    assert!(hold.balance.is_none());
                    seen_pending.insert(hold.fingerprint.clone(), hold.clone());
                }
                let posted: std::collections::HashMap<_, _> =
                    history.transactions.iter().map(|t| (t.fingerprint.clone(), t)).collect();
                for hold in history.pending.iter() {
                    assert!(!posted.contains_key(&hold.fingerprint), "pending and posted at once");
                }
                seen_pending.retain(|fingerprint, hold| {
                    if let Some(t) = posted.get(fingerprint) {
                        posted_later += 1;
                        assert!(t.date > hold.date, "posts after it was authorised");
                        changed += (t.amount != hold.amount) as i32;
                        return false;
                    }
                    if !history.pending.iter().any(|p| &p.fingerprint == fingerprint) {
                        reversed += 1;
                        return false;
                    }
                    true
                });
                now = now.plus_millis(DAY_MS / 2);
            }
        }
        assert!(posted_later > 50, "{posted_later}");
        assert!(changed > 3, "{changed}");
        assert!(reversed > 0, "{reversed}");
    }

    fn signed(t: &FetchedTransaction) -> i64 {
        if t.kind == TxKind::Credit { t.amount } else { -t.amount }
    }
}
