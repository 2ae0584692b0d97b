//! The overview's figures and each institution's health, worked out from the store's raw
//! figures: counts per day, the funnel, success rates and percentiles.
use std::collections::BTreeMap;

use crate::model::*;
use crate::services::Passbook;
use crate::{Result, Timestamp};

const DAY_MS: i64 = 86_400_000;

/// Links started on one day, and where they stand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayLinks {
    pub day: Timestamp,
    pub started: u64,
    pub linked: u64,
    pub failed: u64,
}

/// A step of the funnel: how many links reached it, and how many stopped there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunnelStep {
    pub step: &'static str,
    pub reached: u64,
    pub stopped: u64,
}

/// How a set of timings spread.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
    pub count: u64,
    pub ok: u64,
    pub p50_ms: u64,
    pub p95_ms: u64,
}

impl Timings {
    fn of(mut samples: Vec<(u64, bool)>) -> Self {
        samples.sort_unstable();
        let count = samples.len() as u64;
        let ok = samples.iter().filter(|(_, ok)| *ok).count() as u64;
        let at = |q: f64| samples.get(((count as f64 * q).ceil() as usize).saturating_sub(1)).map_or(0, |s| s.0);
        Self { count, ok, p50_ms: at(0.5), p95_ms: at(0.95) }
    }

    /// The share that succeeded, 0–100; `None` without samples.
    pub fn success_percent(&self) -> Option<f64> {
        (self.count > 0).then(|| self.ok as f64 * 100.0 / self.count as f64)
    }
}

#[derive(Debug, Clone)]
pub struct Overview {
    pub since: Timestamp,
    pub days: Vec<DayLinks>,
    pub funnel: Vec<FunnelStep>,
    pub started: u64,
    pub webhooks: Timings,
    pub fetches: Timings,
    pub accounts_by_status: Vec<(String, u64)>,
}

#[derive(Debug, Clone)]
pub struct InstitutionHealth {
    pub institution: Institution,
    pub links: u64,
    pub linked: u64,
    pub login_errors: Vec<(String, u64)>,
    pub fetches: Timings,
    pub last_failure: Option<(Timestamp, String)>,
}

impl InstitutionHealth {
    pub fn link_success_percent(&self) -> Option<f64> {
        (self.links > 0).then(|| self.linked as f64 * 100.0 / self.links as f64)
    }
}

impl Passbook {
    /// The last `days` days (today included) of links, webhooks and fetches.
    pub async fn console_overview(&self, days: u32) -> Result<Overview> {
        let today = self.clock.now().0.div_euclid(DAY_MS);
        let first = today - i64::from(days.max(1)) + 1;
        let since = Timestamp(first * DAY_MS);
        let figures = self.store.console_figures(since).await?;
        Ok(overview(&figures, first, today, since))
    }

    /// Each institution's link success, login errors and fetches over the last `days` days.
    pub async fn institution_health(&self, days: u32) -> Result<Vec<InstitutionHealth>> {
        let since = self.clock.now().plus_millis(-i64::from(days) * DAY_MS);
        let figures = self.store.console_figures(since).await?;
        Ok(self.institutions_now().await?.into_iter().map(|i| health(i, &figures)).collect())
    }
}

fn overview(figures: &ConsoleFigures, first: i64, today: i64, since: Timestamp) -> Overview {
    let mut by_day: BTreeMap<i64, DayLinks> =
        (first..=today).map(|d| (d, DayLinks { day: Timestamp(d * DAY_MS), ..DayLinks::default() })).collect();
    for (day, step, n) in &figures.links_by_day {
        if let Some(entry) = by_day.get_mut(day) {
            entry.started += n;
            match step.as_str() {
                "linked" => entry.linked += n,
                "failed" => entry.failed += n,
                _ => {}
            }
        }
    }
    let count = |list: &[(String, u64)], step: &str| list.iter().find(|(s, _)| s == step).map_or(0, |(_, n)| *n);
    let funnel = FUNNEL_STEPS
        .iter()
        .map(|&step| FunnelStep {
            step,
            reached: count(&figures.funnel, step),
            stopped: count(&figures.dropped_at, step),
        })
        .filter(|s| s.reached > 0 || s.step == "linked")
        .collect();
    Overview {
        since,
        started: by_day.values().map(|d| d.started).sum(),
        days: by_day.into_values().collect(),
        funnel,
        webhooks: Timings::of(figures.deliveries.clone()),
        fetches: Timings::of(figures.fetches.iter().map(|(_, ms, ok)| (*ms, *ok)).collect()),
        accounts_by_status: figures.accounts_by_status.clone(),
    }
}

/// The link steps in the order a user meets them (the timeline's `intro` before the machine's).
const FUNNEL_STEPS: [&str; 11] = [
    "intro",
    "choose_institution",
    "choose_auth_method",
    "login",
    "challenge",
    "upload_statement",
    "review_statement",
    "consent",
    "awaiting_consent",
    "select_accounts",
    "linked",
];

fn health(institution: Institution, figures: &ConsoleFigures) -> InstitutionHealth {
    let id = institution.id.as_str();
    let links = figures.links_by_institution.iter().filter(|(i, _, _)| i == id);
    let (mut total, mut linked) = (0, 0);
    for (_, step, n) in links {
        total += n;
        if step == "linked" {
            linked += n;
        }
    }
    let mut login_errors: Vec<(String, u64)> =
        figures.login_errors.iter().filter(|(i, _, _)| i == id).map(|(_, note, n)| (note.clone(), *n)).collect();
    login_errors.sort_by_key(|e| std::cmp::Reverse(e.1));
    let fetches =
        Timings::of(figures.fetches.iter().filter(|(i, _, _)| i == id).map(|(_, ms, ok)| (*ms, *ok)).collect());
    let last_failure = figures
        .last_failures
        .iter()
        .filter(|(i, _, _)| i == id)
        .max_by_key(|(_, at, _)| *at)
        .map(|(_, at, code)| (*at, code.clone()));
    InstitutionHealth { institution, links: total, linked, login_errors, fetches, last_failure }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let t = Timings::of((1..=100).map(|n| (n, n % 10 != 0)).collect());
        assert_eq!((t.count, t.ok, t.p50_ms, t.p95_ms), (100, 90, 50, 95));
        assert_eq!(t.success_percent(), Some(90.0));
        assert_eq!(Timings::of(Vec::new()).success_percent(), None);
    }

    #[test]
    fn days_without_links_are_counted_as_zero() {
        let figures = ConsoleFigures {
            links_by_day: vec![(11, "linked".into(), 3), (11, "login".into(), 2), (13, "failed".into(), 1)],
            funnel: vec![("choose_institution".into(), 6), ("login".into(), 5), ("linked".into(), 3)],
            dropped_at: vec![("login".into(), 2)],
            ..ConsoleFigures::default()
        };
        let o = overview(&figures, 10, 13, Timestamp(10 * DAY_MS));
        let started: Vec<u64> = o.days.iter().map(|d| d.started).collect();
        assert_eq!(started, [0, 5, 0, 1]);
        assert_eq!((o.days[1].linked, o.days[3].failed, o.started), (3, 1, 6));
        let steps: Vec<(&str, u64, u64)> = o.funnel.iter().map(|s| (s.step, s.reached, s.stopped)).collect();
        assert_eq!(steps, [("choose_institution", 6, 0), ("login", 5, 2), ("linked", 3, 0)]);
    }
}
