//! The overview's figures and each institution's health, worked out from the store's raw
//! figures: counts per day, the funnel, success rates and percentiles.
use std::collections::BTreeMap;

use super::Console;
use crate::model::{HealthFigures, Institution, OverviewFigures, Sample, TIMELINE_STEPS, timeline_bit};
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
    /// Nearest-rank percentiles over counted samples.
    fn of<'a>(samples: impl Iterator<Item = &'a Sample>) -> Self {
        let mut samples: Vec<Sample> = samples.copied().collect();
        samples.sort_unstable();
        let count: u64 = samples.iter().map(|s| s.count).sum();
        let ok = samples.iter().filter(|s| s.ok).map(|s| s.count).sum();
        let at = |q: f64| {
            let rank = crate::numbers::count(crate::numbers::round((count as f64 * q).ceil())).max(1);
            let mut seen = 0;
            samples.iter().find(|s| {
                seen += s.count;
                seen >= rank
            })
        };
        let ms = |q| at(q).map_or(0, |s| s.ms);
        Self { count, ok, p50_ms: ms(0.5), p95_ms: ms(0.95) }
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

impl Console<'_> {
    /// The last `days` days (today included) of links, webhooks and fetches.
    pub async fn overview(&self, days: u32) -> Result<Overview> {
        let today = self.passbook.now().0.div_euclid(DAY_MS);
        let first = today - i64::from(days.max(1)) + 1;
        let since = Timestamp(first * DAY_MS);
        let figures = self.store.overview_figures(since).await?;
        Ok(overview(&figures, first, today, since))
    }

    /// Each institution's link success, login errors and fetches over the last `days` days.
    pub async fn institution_health(&self, days: u32) -> Result<Vec<InstitutionHealth>> {
        let since = self.passbook.now().plus_millis(-i64::from(days) * DAY_MS);
        let figures = self.store.health_figures(since).await?;
        Ok(self.institutions_now().await?.into_iter().map(|i| health(i, &figures)).collect())
    }
}

fn overview(figures: &OverviewFigures, first: i64, today: i64, since: Timestamp) -> Overview {
    let mut by_day: BTreeMap<i64, DayLinks> =
        (first..=today).map(|d| (d, DayLinks { day: Timestamp(d * DAY_MS), ..DayLinks::default() })).collect();
    let mut reached = [0u64; TIMELINE_STEPS.len()];
    let mut stopped = [0u64; TIMELINE_STEPS.len()];
    for group in &figures.links {
        let Some(day) = by_day.get_mut(&group.day) else { continue };
        day.started += group.count;
        match group.step.as_str() {
            "linked" => day.linked += group.count,
            "failed" => day.failed += group.count,
            _ => {}
        }
        for (i, step) in TIMELINE_STEPS.iter().enumerate() {
            if group.reached & timeline_bit(step) != 0 {
                reached[i] += group.count;
            }
            if group.step != "linked" && group.last_step.as_deref() == Some(step) {
                stopped[i] += group.count;
            }
        }
    }
    let funnel = TIMELINE_STEPS
        .iter()
        .enumerate()
        .filter(|(_, step)| **step != "failed")
        .map(|(i, &step)| FunnelStep { step, reached: reached[i], stopped: stopped[i] })
        .filter(|s| s.reached > 0 || s.step == "linked")
        .collect();
    Overview {
        since,
        started: by_day.values().map(|d| d.started).sum(),
        days: by_day.into_values().collect(),
        funnel,
        webhooks: Timings::of(figures.deliveries.iter()),
        fetches: Timings::of(figures.fetches.iter().map(|(_, s)| s)),
        accounts_by_status: figures.accounts_by_status.clone(),
    }
}

fn health(institution: Institution, figures: &HealthFigures) -> InstitutionHealth {
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
    let fetches = Timings::of(figures.fetches.iter().filter(|(i, _)| i == id).map(|(_, s)| s));
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
    use crate::model::LinkGroup;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let samples: Vec<Sample> = (1..=100).map(|n| Sample { ms: n, ok: n % 10 != 0, count: 1 }).collect();
        let t = Timings::of(samples.iter());
        assert_eq!((t.count, t.ok, t.p50_ms, t.p95_ms), (100, 90, 50, 95));
        assert_eq!(t.success_percent(), Some(90.0));
        assert_eq!(Timings::of([].iter()).success_percent(), None);
        // Counted samples read as the same samples one by one.
        let counted = [Sample { ms: 10, ok: true, count: 94 }, Sample { ms: 900, ok: false, count: 6 }];
        let t = Timings::of(counted.iter());
        assert_eq!((t.count, t.ok, t.p50_ms, t.p95_ms), (100, 94, 10, 900));
    }

    #[test]
    fn days_without_links_are_counted_as_zero_and_the_funnel_follows_the_steps_reached() {
        let group = |day, step: &str, steps: &[&str], last: Option<&str>, count| LinkGroup {
            day,
            step: step.into(),
            reached: steps.iter().map(|s| timeline_bit(s)).sum(),
            last_step: last.map(str::to_string),
            count,
        };
        let figures = OverviewFigures {
            links: vec![
                group(11, "linked", &["intro", "choose_institution", "login", "linked"], Some("linked"), 3),
                group(11, "login", &["intro", "choose_institution", "login"], Some("login"), 2),
                group(13, "failed", &["intro", "choose_institution", "failed"], Some("choose_institution"), 1),
                group(2, "linked", &["intro"], None, 9),
            ],
            ..OverviewFigures::default()
        };
        let o = overview(&figures, 10, 13, Timestamp(10 * DAY_MS));
        let started: Vec<u64> = o.days.iter().map(|d| d.started).collect();
        assert_eq!(started, [0, 5, 0, 1], "day 2 is before the period");
        assert_eq!((o.days[1].linked, o.days[3].failed, o.started), (3, 1, 6));
        let steps: Vec<(&str, u64, u64)> = o.funnel.iter().map(|s| (s.step, s.reached, s.stopped)).collect();
        assert_eq!(steps, [("intro", 6, 0), ("choose_institution", 6, 1), ("login", 5, 2), ("linked", 3, 0)]);
    }
}
