//! Status page tests: structure checks on the fixture monitors
//! (tests/fixtures/status_page/monitors.json) and the pages compared byte for byte with their
//! snapshots beside them (edgeprobe_testkit::snapshots; accept a deliberate change as
//! docs/testing.md says, then look at the pages in a browser).

use serde::Deserialize;

use super::words::Detail;
use super::*;
use crate::markup::escaped;
use edgeprobe_core::time::MINUTE;
use edgeprobe_testkit::assert_fixture_snapshot;

#[derive(Deserialize)]
struct Fixture {
    now: UnixMillis,
    site_title: String,
    monitors: Vec<PageMonitor>,
}

fn fixture() -> Fixture {
    let path = concat!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
        "/tests/fixtures/status_page/monitors.json"
    );
    let text = std::fs::read_to_string(path).expect("fixture file");
    serde_json::from_str(&text).expect("fixture parses")
}

fn monitor(slug: &str) -> (PageMonitor, UnixMillis, String) {
    let f = fixture();
    let m = f
        .monitors
        .into_iter()
        .find(|m| m.slug == slug)
        .expect("fixture monitor");
    (m, f.now, f.site_title)
}

#[test]
fn pages_match_their_snapshots() {
    let f = fixture();
    let page = |name: &str, html: String| assert_fixture_snapshot!("status_page", name, html, "\n");
    page(
        "index.html",
        render_index(&f.monitors, f.now, &f.site_title),
    );
    for slug in ["shop", "api", "blog"] {
        let (m, now, title) = monitor(slug);
        page(
            &format!("monitor_{slug}.html"),
            render_monitor(&m, now, &title, Detail::Full),
        );
    }
    // What visitors see of the failing monitor: customer words, no checklist, no evidence.
    let (m, now, title) = monitor("shop");
    page(
        "monitor_shop_public.html",
        render_monitor(&m, now, &title, Detail::Summary),
    );
    page("not_found.html", render_not_found(&f.site_title));
    page("index_empty.html", render_index(&[], f.now, &f.site_title));
}

#[test]
fn hostile_names_are_inert() {
    let (mut m, now, _) = monitor("shop");
    m.name = "<script>alert(1)</script>".into();
    m.slug = "x\"><script>".into();
    m.summary = "<img src=x onerror=alert(1)>".into();
    m.checklist = vec!["<b>bold</b>".into()];
    m.regions[0].region = "<i>weur</i>".into();
    m.regions[0].colo = Some("<u>CDG</u>".into());
    m.incidents[0].regions = vec!["<svg/onload=1>".into()];
    let site = "Acme & <Co>";
    for html in [
        render_monitor(&m, now, site, Detail::Full),
        render_index(std::slice::from_ref(&m), now, site),
        render_not_found(site),
    ] {
        for raw in ["<script", "<img", "<b>", "<i>", "<u>", "<svg/", "<Co>"] {
            assert!(!html.contains(raw), "{raw} leaked into:\n{html}");
        }
        assert!(
            html.contains(&escaped(site)),
            "the site title is escaped as text"
        );
    }
    let html = render_index(std::slice::from_ref(&m), now, site);
    assert!(
        html.contains("href=\"/status/x%22%3E%3Cscript%3E\""),
        "{html}"
    );
}

#[test]
fn monitor_page_shows_grid_uptime_incidents_and_checklist() {
    let (m, now, title) = monitor("shop");
    let html = render_monitor(&m, now, &title, Detail::Full);
    for r in &m.regions {
        assert!(
            html.contains(&format!(
                "<th scope=\"row\">{}<span class=\"colo\">{}</span>",
                region_name(&r.region),
                r.region
            )),
            "row for {}",
            r.region
        );
    }
    for needle in [
        "<span class=\"colo\">CDG</span>",
        "<li class=\"ongoing\">",
        "Median <strong>",
        "No answer from this region",
        "<span class=\"sr-title\">Failed: </span>521</span><span class=\"lat\">48 ms</span>",
        "<span class=\"sr-title\">Failed: </span>refused</span>",
        "<dt>24 hours</dt><dd>96.52%</dd>",
        "<dt>7 days</dt><dd>99.48%</dd>",
        "<dt>30 days</dt><dd>99.87%</dd>",
        "<strong>ongoing</strong>, 17 min so far",
        "lasted 12 min",
        "<h2 id=\"now\">The origin server refuses connections</h2>",
        "<h3>What to check</h3>",
        "<svg class=\"chart\" role=\"img\" aria-label=\"Shop (www.example.com): response time by region",
        "Western Europe (weur)",
        "A point is the median of one hour, the current hour so far.",
        "<svg class=\"bars\" role=\"img\" aria-label=\"Daily uptime, last 90 days\"",
        "Degraded · 99.93% uptime, 1 incident</title>",
        "<html lang=\"en\">",
        "<meta name=\"viewport\"",
        "<main id=\"main\">",
    ] {
        assert!(html.contains(needle), "missing {needle:?}");
    }
    assert_eq!(html.matches("<h1>").count(), 1);
    assert_eq!(
        html.matches("<polyline").count(),
        m.chart.len(),
        "one line per region"
    );
    assert_eq!(
        html.matches("<rect class=\"b-").count(),
        90,
        "one bar per day"
    );
}

#[test]
fn healthy_monitor_hides_the_checklist() {
    let (mut m, now, title) = monitor("api");
    m.checklist = vec!["should not show".into()];
    let html = render_monitor(&m, now, &title, Detail::Full);
    assert!(!html.contains("should not show"));
    assert!(html.contains(
        "<span class=\"sr-title\">OK: </span>200</span><span class=\"lat\">87 ms</span>"
    ));
    assert!(html.contains("<dd>100%</dd>"));
}

#[test]
fn never_probed_constructor_matches_the_fixture() {
    let (blog, _, _) = monitor("blog");
    // The fixture's blog also has a maintenance window (the documents add those).
    let blog = PageMonitor {
        maintenance: Vec::new(),
        ..blog
    };
    assert_eq!(PageMonitor::never_probed("blog", "Blog"), blog);
}

#[test]
fn never_probed_monitor_has_empty_states() {
    let (m, now, title) = monitor("blog");
    let html = render_monitor(&m, now, &title, Detail::Full);
    for needle in [
        "Waiting for the first check",
        "No region has reported yet.",
        "<dd>no data</dd>",
        "No response times yet.",
        "No incidents recorded.",
    ] {
        assert!(html.contains(needle), "missing {needle:?}");
    }
    assert!(!html.contains("<table"));
}

#[test]
fn index_banner_reflects_the_worst_state() {
    let f = fixture();
    let with = |healths: &[Health]| -> Vec<PageMonitor> {
        healths
            .iter()
            .map(|h| PageMonitor {
                health: *h,
                ..f.monitors[0].clone()
            })
            .collect()
    };
    let cases = [
        (vec![], Overall::Unknown),
        (with(&[Health::Unknown]), Overall::Unknown),
        (with(&[Health::Up, Health::Unknown]), Overall::Operational),
        (with(&[Health::Up, Health::Degraded]), Overall::Degraded),
        (
            with(&[Health::Up, Health::Down, Health::Degraded]),
            Overall::PartialOutage,
        ),
        (with(&[Health::Down, Health::Unknown]), Overall::MajorOutage),
        (with(&[Health::Up, Health::Down]), Overall::MajorOutage),
        (
            with(&[[Health::Down; 14].as_slice(), &[Health::Up; 3]].concat()),
            Overall::MajorOutage,
        ),
        (
            with(&[[Health::Down; 8].as_slice(), &[Health::Up; 9]].concat()),
            Overall::PartialOutage,
        ),
    ];
    for (monitors, expected) in cases {
        assert_eq!(
            overall(&monitors, 0),
            expected,
            "{:?}",
            monitors.iter().map(|m| m.health).collect::<Vec<_>>()
        );
    }
    let html = render_index(&f.monitors, f.now, &f.site_title);
    assert!(html.contains("<span>Partial outage</span>"));
    for m in &f.monitors {
        assert!(
            html.contains(&format!(
                "<a href=\"/status/{}\">{}</a>",
                m.slug,
                escaped(&m.name)
            )),
            "{}",
            m.slug
        );
    }
    assert!(
        html.contains("Not checked yet."),
        "the never-probed card says so"
    );
    assert!(html.contains("checked 1 min ago") || html.contains("checked just now"));
    assert!(render_index(&[], f.now, &f.site_title).contains("No public monitors yet"));
}

#[test]
fn incident_durations_use_now_for_ongoing_ones() {
    let (mut m, now, title) = monitor("shop");
    m.incidents = vec![PageIncident {
        started_at: now - 2 * 60 * MINUTE - 5 * MINUTE,
        ended_at: None,
        verdict: Verdict::OriginTimeout,
        summary: "slow".into(),
        regions: vec![],
        id: String::new(),
        updates: Vec::new(),
        manual: None,
    }];
    let html = render_monitor(&m, now, &title, Detail::Full);
    assert!(html.contains("<strong>ongoing</strong>, 2 h 5 min so far"));
    assert!(html.contains("The origin is too slow to answer"));
}

#[test]
fn views_from_the_current_status_document() {
    use crate::badge::BadgeInput;
    use edgeprobe_core::diagnosis::Diagnosis;
    use edgeprobe_core::status::CurrentStatus;
    use edgeprobe_testkit::builders::{self, Round};

    let (shop, now, _) = monitor("shop");
    let status = CurrentStatus {
        monitor_id: "mon_1".into(),
        slug: shop.slug.clone(),
        name: shop.name.clone(),
        public: true,
        health: Health::Down,
        diagnosis: Diagnosis {
            unanswered_regions: vec!["oc".into()],
            ..builders::diagnosis(Round::Fail(
                Verdict::OriginRefused,
                &["apac", "enam", "weur"],
            ))
        },
        regions: shop.regions.clone(),
        round_id: "r1".into(),
        updated_at: now - 40_000,
    };
    let page = PageMonitor::from_status(&status);
    // The words are the diagnosis's, rendered now from its data.
    assert!(
        page.summary
            .starts_with("The origin server refuses connections"),
        "{}",
        page.summary
    );
    assert_eq!(page.checklist, status.diagnosis.checklist());
    assert_eq!(
        page,
        PageMonitor {
            summary: status.diagnosis.summary(),
            checklist: status.diagnosis.checklist(),
            uptime_24h: None,
            uptime_7d: None,
            uptime_30d: None,
            latency_series: vec![],
            incidents: vec![],
            days: vec![],
            chart: vec![],
            maintenance: vec![],
            ..shop
        }
    );

    let badge = BadgeInput::from_status(&status, false);
    assert_eq!(badge.short_verdict.as_deref(), Some("origin refused"));
    assert_eq!(
        badge.regions,
        vec![
            ("weur".to_string(), Health::Down),
            ("enam".to_string(), Health::Down),
            ("apac".to_string(), Health::Down),
            ("oc".to_string(), Health::Unknown),
        ]
    );
    let healthy = CurrentStatus {
        diagnosis: Diagnosis {
            verdict: Verdict::Healthy,
            ..status.diagnosis.clone()
        },
        ..status.clone()
    };
    assert_eq!(BadgeInput::from_status(&healthy, false).short_verdict, None);
}

/// Issue 15: an active window shows a banner with its reason and the overall state says
/// "Under maintenance"; an upcoming window is announced; a monitor down elsewhere still wins.
#[test]
fn maintenance_is_announced_and_named_in_the_banner() {
    use crate::status_page::PageMaintenance;
    let (api, now, title) = monitor("api");
    let active = PageMaintenance {
        starts_at: now - 60_000,
        ends_at: now + 3_600_000,
        reason: Some("Database upgrade".into()),
    };
    let upcoming = PageMaintenance {
        starts_at: now + 86_400_000,
        ends_at: now + 90_000_000,
        reason: Some("Network switch replacement".into()),
    };
    let m = PageMonitor {
        maintenance: vec![active, upcoming],
        ..api
    };
    assert_eq!(overall(std::slice::from_ref(&m), now), Overall::Maintenance);
    let html = render_index(std::slice::from_ref(&m), now, &title);
    for needle in [
        "<span>Under maintenance</span>",
        "<strong>Under maintenance: ",
        "<p>Database upgrade</p>",
        "<strong>Scheduled maintenance: ",
        "<p>Network switch replacement</p>",
    ] {
        assert!(html.contains(needle), "missing {needle:?}");
    }
    assert!(!html.contains("All systems operational"));
    let page = render_monitor(&m, now, &title, Detail::Full);
    assert!(page.contains("<p>Database upgrade</p>"));
    assert!(
        page.contains(">Maintenance</span>"),
        "the pill says maintenance"
    );

    let (shop, _, _) = monitor("shop");
    assert_eq!(overall(&[m, shop], now), Overall::MajorOutage);
}

/// Issue 15: visitors get customer words; the checklist, the operator's vocabulary and the raw
/// evidence only in the full (operator) view.
#[test]
fn the_public_view_speaks_to_visitors() {
    let (m, now, title) = monitor("shop");
    let public = render_monitor(&m, now, &title, Detail::Summary);
    assert!(public.contains("<h2 id=\"now\">Service disruption</h2>"));
    assert!(public.contains("Our web servers are not responding; we are investigating."));
    for hidden in [
        "What to check",
        &m.checklist[0],
        &m.summary,
        ">521<",
        "Operator view",
    ] {
        assert!(!public.contains(hidden), "public page shows {hidden:?}");
    }
    let full = render_monitor(&m, now, &title, Detail::Full);
    for shown in ["What to check", m.checklist[0].as_str(), "Operator view"] {
        assert!(
            full.contains(&escaped(shown)),
            "operator page lacks {shown:?}"
        );
    }
    let index = render_index(std::slice::from_ref(&m), now, &title);
    assert!(index.contains("Our web servers are not responding; we are investigating."));
}

/// Issue 13: the certificates (with days left) are part of the operator view only.
#[test]
fn certificates_with_days_left_show_in_the_operator_view_only() {
    use edgeprobe_core::alerting::certs::SeenCertificate;
    use edgeprobe_core::diagnosis::PathKind;
    use edgeprobe_core::time::DAY;
    let (mut m, now, title) = monitor("shop");
    m.certificates = vec![
        SeenCertificate {
            path: PathKind::Edge,
            region: "weur".into(),
            subject: "CN=shop.example.com".into(),
            issuer: "CN=E6".into(),
            not_after: now + 5 * DAY + 60_000,
            sha256: "ED:01".into(),
            seen_at: now - DAY,
        },
        SeenCertificate {
            path: PathKind::Origin,
            region: "weur".into(),
            subject: "CN=origin.example.com".into(),
            issuer: "CN=R11".into(),
            not_after: now + 40 * DAY + 60_000,
            sha256: "0A:02".into(),
            seen_at: now - DAY,
        },
    ];
    let full = render_monitor(&m, now, &title, Detail::Full);
    assert!(
        full.contains("<h2 id=\"certificates\">Certificates</h2>"),
        "{full}"
    );
    assert!(full.contains("<td class=\"days-left\">5</td>"), "{full}");
    assert!(full.contains("<td class=\"days-left\">40</td>"), "{full}");
    assert!(full.contains("ED:01") && full.contains("0A:02"));
    assert!(full.contains("<td>edge</td>") && full.contains("<td>origin</td>"));
    let public = render_monitor(&m, now, &title, Detail::Summary);
    for hidden in ["Certificates", "ED:01", "days-left"] {
        assert!(!public.contains(hidden), "public page shows {hidden:?}");
    }
    // A front on the CDN's own network: "managed by the CDN", operator view only.
    m.certificates.retain(|c| c.path == PathKind::Origin);
    m.edge_managed = vec![edgeprobe_core::alerting::certs::ManagedEdge {
        region: "weur".into(),
        cdn: "Cloudflare".into(),
    }];
    let full = render_monitor(&m, now, &title, Detail::Full);
    assert!(
        full.contains("Edge certificate: managed by the CDN (Cloudflare), seen from weur."),
        "{full}"
    );
    let public = render_monitor(&m, now, &title, Detail::Summary);
    assert!(!public.contains("managed by the CDN"));
}

/// Regressions found looking at the live screenshots (issue 15): a card whose monitor has one
/// latency point drew a stray dot under it; a chart of a single hour was labelled with the same
/// time twice; incident regions showed as codes to visitors.
#[test]
fn one_hour_of_data_draws_no_stray_dot_and_says_so() {
    use edgeprobe_core::time::{DAY, HOUR};
    let now = 20_000 * DAY + 5 * HOUR;
    let mut m = PageMonitor::never_probed("shop", "Shop");
    m.health = Health::Up;
    m.updated_at = Some(now - 60_000);
    m.latency_series = vec![(now - HOUR, None), (now, Some(14))];
    m.chart = vec![crate::status_page::RegionSeries {
        region: "weur".into(),
        points: vec![(now - 60_000, 14)],
    }];
    m.incidents = vec![PageIncident {
        started_at: now - HOUR,
        ended_at: Some(now - 30 * 60_000),
        verdict: Verdict::OriginRefused,
        summary: "refused".into(),
        regions: vec!["weur".into(), "enam".into()],
        id: String::new(),
        updates: Vec::new(),
        manual: None,
    }];
    let index = render_index(std::slice::from_ref(&m), now, "Status");
    assert!(
        !index.contains("<svg class=\"spark-mini\""),
        "no sparkline for one point"
    );
    m.latency_series.push((now + 1, Some(15)));
    let index = render_index(std::slice::from_ref(&m), now, "Status");
    assert!(
        index.contains("<svg class=\"spark-mini\""),
        "two points draw a line"
    );
    let page = render_monitor(&m, now, "Status", Detail::Summary);
    assert!(page.contains("one hour of data so far"), "{page}");
    assert!(page.contains("regions: Western Europe, Eastern North America"));
}
