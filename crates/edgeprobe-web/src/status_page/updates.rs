//! Incident communication on the pages: operator updates under an incident (newest first),
//! the index's "Active incidents" (every ongoing incident with its latest update), and how an
//! open manual incident's impact weighs on the overall banner.
//!
//! Visitors vs operators: an update's message is written by an operator *for visitors*, so it
//! is shown as written on every page where its incident is (public monitors' pages, the index
//! for site-wide incidents, the feeds). What stays operator-only is the checks' own detail (the
//! diagnosis summary, checklist, evidence): an automatic incident without updates reads in
//! customer words on public pages, exactly as before.

use super::format::{time, Time};
use super::index::Overall;
use super::layout::monitor_href;
use super::words::{customer_title, customer_words};
use super::{PageIncident, PageMonitor};
use edgeprobe_core::communication::{Impact, UpdateState};
use edgeprobe_core::status::Health;

/// One update as a page shows it.
pub(crate) struct UpdateView<'a> {
    pub state: &'static str,
    /// CSS class of the state's colour.
    pub class: &'static str,
    pub at: Time,
    pub message: &'a str,
}

fn state_class(s: UpdateState) -> &'static str {
    match s {
        UpdateState::Investigating => "down",
        UpdateState::Identified => "degraded",
        UpdateState::Monitoring => "maintenance",
        UpdateState::Resolved => "up",
    }
}

/// An incident's updates, newest first.
pub(crate) fn update_views(i: &PageIncident) -> Vec<UpdateView<'_>> {
    i.updates
        .iter()
        .rev()
        .map(|u| UpdateView {
            state: u.state.title(),
            class: state_class(u.state),
            at: time(u.at),
            message: &u.message,
        })
        .collect()
}

/// An ongoing incident on the index.
pub(crate) struct ActiveIncident<'a> {
    pub title: String,
    /// What it concerns ("All services", or the monitors' names).
    pub scope: String,
    /// The monitor page with the incident's timeline; `None` for a site-wide incident (its
    /// updates are all on the index).
    pub href: Option<String>,
    pub class: &'static str,
    pub started: Time,
    /// Customer words when no operator has posted an update yet.
    pub words: &'static str,
    /// Newest first: the latest shown, the others folded.
    pub updates: Vec<UpdateView<'a>>,
}

fn impact_class(i: Impact) -> &'static str {
    match i {
        Impact::Minor => "degraded",
        Impact::Major | Impact::Critical => "down",
    }
}

/// Every ongoing incident: site-wide ones first, then each public monitor's (a manual incident
/// naming several monitors once), newest first within each group.
pub(crate) fn active_incidents<'a>(
    site: &'a [PageIncident],
    monitors: &'a [PageMonitor],
) -> Vec<ActiveIncident<'a>> {
    let mut out: Vec<ActiveIncident<'a>> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for i in site.iter().filter(|i| i.ongoing()) {
        out.push(active(i, None));
    }
    for m in monitors {
        for i in m.incidents.iter().filter(|i| i.ongoing()) {
            if i.manual.is_some() && !i.id.is_empty() {
                if seen.contains(&i.id.as_str()) {
                    continue;
                }
                seen.push(&i.id);
            }
            out.push(active(i, Some(m)));
        }
    }
    out
}

fn active<'a>(i: &'a PageIncident, m: Option<&'a PageMonitor>) -> ActiveIncident<'a> {
    let (title, scope, class) = match (&i.manual, m) {
        (Some(man), _) => (
            man.title.clone(),
            if man.monitors.is_empty() {
                "All services".to_string()
            } else {
                man.monitors.join(", ")
            },
            impact_class(man.impact),
        ),
        (None, Some(m)) => {
            // The monitor's name, and its state in customer words (a regional problem is
            // degraded, not a disruption).
            let health = match m.health {
                Health::Degraded => Health::Degraded,
                _ => Health::Down,
            };
            (
                m.name.clone(),
                customer_title(health).to_string(),
                super::layout::look(health).class,
            )
        }
        (None, None) => ("Service disruption".to_string(), String::new(), "down"),
    };
    ActiveIncident {
        title,
        scope,
        href: m.map(|m| format!("{}#incidents", monitor_href(&m.slug))),
        class,
        started: time(i.started_at),
        words: if i.manual.is_some() {
            ""
        } else {
            customer_words(i.verdict)
        },
        updates: update_views(i),
    }
}

/// The overall state open manual incidents call for (the checks cannot see what they are
/// about): minor → degraded, major → partial outage, critical → major outage. `None`: no open
/// manual incident.
pub(crate) fn manual_overall(site: &[PageIncident], monitors: &[PageMonitor]) -> Option<Overall> {
    site.iter()
        .chain(monitors.iter().flat_map(|m| m.incidents.iter()))
        .filter(|i| i.ongoing())
        .filter_map(|i| i.manual.as_ref().map(|m| m.impact))
        .max()
        .map(|impact| match impact {
            Impact::Minor => Overall::Degraded,
            Impact::Major => Overall::PartialOutage,
            Impact::Critical => Overall::MajorOutage,
        })
}

/// The worse of the checks' overall state and the manual incidents' (outages and degradation
/// are worse than maintenance, operational or waiting).
pub(crate) fn worse(checks: Overall, manual: Option<Overall>) -> Overall {
    fn rank(o: Overall) -> u8 {
        match o {
            Overall::MajorOutage => 0,
            Overall::PartialOutage => 1,
            Overall::Degraded => 2,
            Overall::Maintenance | Overall::Operational | Overall::Unknown => 3,
        }
    }
    match manual {
        Some(m) if rank(m) < rank(checks) => m,
        _ => checks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status_page::document::{build_documents, Facts, MonitorFacts};
    use crate::status_page::{
        overall, render_feed_with, render_index_with, render_monitor, Detail, PageUpdate,
    };
    use edgeprobe_core::communication::{IncidentUpdate, ManualIncident};
    use edgeprobe_core::diagnosis::Verdict;
    use edgeprobe_core::time::{DAY, HOUR, MINUTE};

    const NOW: i64 = 20_000 * DAY + 5 * HOUR;

    fn monitor(id: &str, slug: &str, public: bool) -> MonitorFacts {
        let mut m = edgeprobe_testkit::builders::monitor();
        m.id = id.into();
        m.slug = slug.into();
        m.name = format!("Name {slug}");
        m.public = public;
        MonitorFacts {
            monitor: m,
            status: None,
            incidents: Vec::new(),
            certificates: Default::default(),
        }
    }

    fn manual(id: &str, monitors: &[&str], impact: Impact, closed: Option<i64>) -> ManualIncident {
        ManualIncident {
            id: id.into(),
            title: format!("Title {id}"),
            monitor_ids: monitors.iter().map(|m| m.to_string()).collect(),
            impact,
            state: UpdateState::Investigating,
            opened_at: NOW - HOUR,
            closed_at: closed,
        }
    }

    fn update(
        id: &str,
        incident: &str,
        at: i64,
        state: UpdateState,
        message: &str,
    ) -> IncidentUpdate {
        IncidentUpdate {
            id: id.into(),
            incident_id: incident.into(),
            at,
            state,
            message: message.into(),
        }
    }

    fn automatic(id: &str) -> PageIncident {
        PageIncident {
            started_at: NOW - 30 * MINUTE,
            ended_at: None,
            verdict: Verdict::OriginRefused,
            summary: "The origin refuses TCP connections (check iptables)".into(),
            regions: vec!["weur".into()],
            id: id.into(),
            updates: Vec::new(),
            manual: None,
        }
    }

    /// Where a manual incident shows: site-wide on the index, on each public monitor it names,
    /// nowhere when it names only private monitors; each incident with its updates.
    #[test]
    fn manual_incidents_go_where_their_monitors_are_public() {
        let mut shop = monitor("mon_shop", "shop", true);
        shop.incidents = vec![automatic("inc_auto")];
        let facts = Facts {
            monitors: vec![shop, monitor("mon_api", "api", true)],
            manual: vec![
                manual("inc_site", &[], Impact::Minor, None),
                manual(
                    "inc_both",
                    &["mon_shop", "mon_api", "mon_secret"],
                    Impact::Major,
                    None,
                ),
                manual("inc_secret", &["mon_secret"], Impact::Critical, None),
            ],
            updates: vec![
                update(
                    "upd_1",
                    "inc_auto",
                    NOW - 20 * MINUTE,
                    UpdateState::Identified,
                    "Found it.",
                ),
                update(
                    "upd_2",
                    "inc_site",
                    NOW - 50 * MINUTE,
                    UpdateState::Investigating,
                    "Emails late.",
                ),
                update(
                    "upd_3",
                    "inc_both",
                    NOW - 40 * MINUTE,
                    UpdateState::Investigating,
                    "Checkout errors.",
                ),
                update(
                    "upd_4",
                    "inc_both",
                    NOW - 10 * MINUTE,
                    UpdateState::Monitoring,
                    "Fix deployed.",
                ),
            ],
            ..Facts::default()
        };
        let docs = build_documents(&facts, NOW);
        let ids = |v: &[PageIncident]| v.iter().map(|i| i.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&docs.index.incidents), ["inc_site"]);
        let shop = &docs.monitors[0].1.page;
        let api = &docs.monitors[1].1.page;
        assert_eq!(ids(&shop.incidents), ["inc_auto", "inc_both"]);
        assert_eq!(ids(&api.incidents), ["inc_both"]);
        let both = &api.incidents[0];
        assert_eq!(
            both.manual.as_ref().map(|m| m.monitors.clone()),
            Some(vec!["Name shop".to_string(), "Name api".to_string()]),
            "private monitors are not named"
        );
        assert_eq!(
            both.updates
                .iter()
                .map(|u| u.id.as_str())
                .collect::<Vec<_>>(),
            ["upd_3", "upd_4"],
            "oldest first"
        );
        assert_eq!(shop.incidents[0].updates.len(), 1);
        let all = format!("{docs:?}");
        assert!(
            !all.contains("inc_secret"),
            "an incident of private monitors only"
        );
    }

    /// The index lists every ongoing incident once with its latest update (earlier ones folded),
    /// and open manual incidents set the banner by impact.
    #[test]
    fn the_index_shows_active_incidents_with_their_latest_update() {
        let mut site = manual_page("inc_site", Impact::Minor);
        site.updates = vec![
            page_update(
                "upd_1",
                NOW - 50 * MINUTE,
                UpdateState::Investigating,
                "Emails are late.",
            ),
            page_update(
                "upd_2",
                NOW - 5 * MINUTE,
                UpdateState::Identified,
                "A mail relay is slow.",
            ),
        ];
        let mut shop = crate::status_page::PageMonitor::never_probed("shop", "Shop");
        shop.health = edgeprobe_core::status::Health::Up;
        shop.updated_at = Some(NOW - MINUTE);
        let html = render_index_with(std::slice::from_ref(&shop), &[site.clone()], NOW, "Status");
        assert!(
            html.contains("<h2 id=\"active\">Active incidents</h2>"),
            "{html}"
        );
        let latest = html.find("A mail relay is slow.").expect("latest update");
        let earlier = html
            .find("Emails are late.")
            .expect("earlier update, folded");
        assert!(latest < earlier, "newest first");
        assert!(html.contains("<summary>Earlier updates (1)</summary>"));
        assert!(html.contains("All services"));
        assert!(
            html.contains("Degraded performance"),
            "minor impact → degraded banner"
        );
        assert_eq!(
            overall(std::slice::from_ref(&shop), NOW),
            Overall::Operational
        );

        let mut critical = site.clone();
        if let Some(m) = critical.manual.as_mut() {
            m.impact = Impact::Critical;
        }
        let html = render_index_with(std::slice::from_ref(&shop), &[critical], NOW, "Status");
        assert!(html.contains("Major outage"));

        let mut resolved = site;
        resolved.ended_at = Some(NOW - MINUTE);
        let html = render_index_with(std::slice::from_ref(&shop), &[resolved], NOW, "Status");
        assert!(
            !html.contains("Active incidents"),
            "a resolved incident is not active"
        );
        assert!(html.contains("All systems operational"));
    }

    /// On a public monitor page, an automatic incident keeps customer words (no diagnosis) and
    /// shows the operator's updates as written, newest first.
    #[test]
    fn the_monitor_page_shows_the_update_timeline_in_visitor_words() {
        let mut m = crate::status_page::PageMonitor::never_probed("shop", "Shop");
        let mut inc = automatic("inc_auto");
        inc.updates = vec![
            page_update(
                "upd_1",
                NOW - 20 * MINUTE,
                UpdateState::Investigating,
                "We see errors.",
            ),
            page_update(
                "upd_2",
                NOW - 5 * MINUTE,
                UpdateState::Monitoring,
                "Fix <deployed> & watching.",
            ),
        ];
        m.incidents = vec![inc];
        let public = render_monitor(&m, NOW, "Status", Detail::Summary);
        assert!(!public.contains("iptables"), "no operator detail");
        assert!(public.contains("Our web servers are not responding"));
        assert!(
            public.contains("Fix &#60;deployed&#62; &#38; watching."),
            "escaped"
        );
        let newest = public.find("Monitoring").expect("state");
        let oldest = public.find("We see errors.").expect("first update");
        assert!(newest < oldest);
        assert!(public.contains("id=\"incident-inc_auto\""));
        let operator = render_monitor(&m, NOW, "Status", Detail::Full);
        assert!(operator.contains("iptables") && operator.contains("We see errors."));
    }

    /// Each update is its own Atom entry; the site feed has site-wide incidents, a monitor's
    /// feed only its own; a manual incident naming two monitors is one entry in the site feed.
    #[test]
    fn updates_are_feed_entries() {
        let mut both = manual_page("inc_both", Impact::Major);
        both.updates = vec![
            page_update(
                "upd_1",
                NOW - 40 * MINUTE,
                UpdateState::Investigating,
                "Checkout errors.",
            ),
            page_update(
                "upd_2",
                NOW - 10 * MINUTE,
                UpdateState::Resolved,
                "All good again.",
            ),
        ];
        both.ended_at = Some(NOW - 10 * MINUTE);
        let mut site = manual_page("inc_site", Impact::Minor);
        site.updates = vec![page_update(
            "upd_3",
            NOW - 5 * MINUTE,
            UpdateState::Investigating,
            "Emails late.",
        )];
        let mut shop = crate::status_page::PageMonitor::never_probed("shop", "Shop");
        let mut api = crate::status_page::PageMonitor::never_probed("api", "API");
        shop.incidents = vec![both.clone()];
        api.incidents = vec![both];
        let xml = render_feed_with(
            &[shop.clone(), api],
            &[site],
            "https://s.example",
            "S",
            None,
        );
        let feed = feed_rs::parser::parse(xml.as_bytes()).expect("valid Atom");
        let titles: Vec<String> = feed
            .entries
            .iter()
            .filter_map(|e| e.title.as_ref().map(|t| t.content.clone()))
            .collect();
        assert_eq!(
            titles,
            [
                "Title inc_site: investigating",
                "Title inc_both: resolved",
                "Title inc_both: investigating"
            ],
            "newest first, the two-monitor incident once"
        );
        let resolved = &feed.entries[1];
        assert_eq!(
            resolved.summary.as_ref().map(|s| s.content.as_str()),
            Some("All good again.")
        );
        let one = render_feed_with(
            std::slice::from_ref(&shop),
            &[],
            "https://s.example",
            "S",
            Some("shop"),
        );
        let feed = feed_rs::parser::parse(one.as_bytes()).expect("valid Atom");
        assert_eq!(
            feed.entries.len(),
            2,
            "no site-wide incident in a monitor's feed"
        );
    }

    fn manual_page(id: &str, impact: Impact) -> PageIncident {
        PageIncident {
            started_at: NOW - HOUR,
            ended_at: None,
            verdict: Verdict::Inconclusive,
            summary: format!("Title {id}"),
            regions: Vec::new(),
            id: id.into(),
            updates: Vec::new(),
            manual: Some(crate::status_page::PageManual {
                title: format!("Title {id}"),
                impact,
                monitors: Vec::new(),
            }),
        }
    }

    fn page_update(id: &str, at: i64, state: UpdateState, message: &str) -> PageUpdate {
        PageUpdate {
            id: id.into(),
            at,
            state,
            message: message.into(),
        }
    }
}
