//! Certificate expiry warnings, scripted over time through `record::conclude` (the same step
//! the coordinator runs): once per certificate (fingerprint) and path, again for a renewed
//! certificate that is again expiring, resolved when a renewed one is presented, edge and
//! origin apart, and certificate facts written only when they change.

use edgeprobe_core::alerting::{Alert, AlertKind, Effect};
use edgeprobe_core::diagnosis::PathKind;
use edgeprobe_core::monitor::Monitor;
use edgeprobe_core::observation::{
    CertificateInfo, LeafCertificate, OwnTls, OwnTlsOutcome, RegionReport, TlsStep,
};
use edgeprobe_core::record::{conclude, Conclusion, Memory, RoundFacts};
use edgeprobe_core::round::RoundKind;
use edgeprobe_core::time::{UnixMillis, DAY, HOUR, MINUTE};
use edgeprobe_testkit::builders::{edge, links, monitor, origin_ok, probed, with_maintenance, T0};

fn leaf(sha: &str, not_after: UnixMillis) -> LeafCertificate {
    LeafCertificate {
        subject: "CN=shop.example.com".into(),
        issuer: "CN=R11".into(),
        sans: vec!["shop.example.com".into()],
        not_before: not_after - 90 * DAY,
        not_after,
        days_left: 0,
        serial: "01".into(),
        sha256: sha.into(),
    }
}

fn own(leaf: LeafCertificate) -> OwnTls {
    OwnTls {
        ms: 3,
        outcome: OwnTlsOutcome::Ok,
        version: Some("TLSv1_3".into()),
        cipher_suite: Some("TLS13_AES_128_GCM_SHA256".into()),
        presented: 2,
        leaf: Some(leaf),
    }
}

/// One region's healthy probe; `origin_cert` / `edge_cert`: the own client's handshakes.
fn region(
    name: &str,
    origin_cert: Option<LeafCertificate>,
    edge_cert: Option<LeafCertificate>,
) -> RegionReport {
    let mut e = edge(200, &[], "", 40);
    if let Some(l) = edge_cert {
        e.certificate = CertificateInfo::Known {
            not_after: l.not_after,
            subject: Some(l.subject.clone()),
            issuer: Some(l.issuer.clone()),
        };
        e.own_tls = Some(own(l));
    }
    let mut o = origin_ok(200, 30);
    if let Some(l) = origin_cert {
        o.tls = TlsStep::Ok {
            ms: 5,
            certificate: CertificateInfo::Known {
                not_after: l.not_after,
                subject: Some(l.subject.clone()),
                issuer: Some(l.issuer.clone()),
            },
        };
        o.own_tls = Some(own(l));
    }
    probed(name, e, Some(o))
}

struct Script {
    m: Monitor,
    memory: Memory,
    n: u32,
}

impl Script {
    fn new(m: Monitor) -> Script {
        Script {
            m,
            memory: Memory::default(),
            n: 0,
        }
    }

    fn round(&mut self, at: UnixMillis, reports: Vec<RegionReport>) -> Conclusion {
        self.n += 1;
        let id = format!("rnd_{}", self.n);
        let links = links();
        let facts = RoundFacts {
            monitor: &self.m,
            kind: RoundKind::Scheduled,
            scheduled_for: at,
            started_at: at,
            reports: &reports,
            round_id: &id,
            links: &links,
            now: at,
        };
        let (next, c) = conclude(&facts, &self.memory, || format!("inc_{}", self.n));
        self.memory = next;
        c
    }
}

fn cert_alerts(c: &Conclusion) -> Vec<&Alert> {
    c.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send(a)
                if matches!(a.kind, AlertKind::CertExpiring | AlertKind::CertRenewed) =>
            {
                Some(a)
            }
            _ => None,
        })
        .collect()
}

fn single_region(mut m: Monitor) -> Monitor {
    m.regions = vec!["weur".into()];
    m.confirmation.regions_to_agree = 1;
    m
}

#[test]
fn an_expiring_certificate_warns_once_not_every_round() {
    let mut s = Script::new(single_region(monitor()));
    let not_after = T0 + 10 * DAY + HOUR;
    let cert = leaf("AA:01", not_after);
    let first = s.round(T0, vec![region("weur", Some(cert.clone()), None)]);
    let alerts = cert_alerts(&first);
    assert_eq!(alerts.len(), 1, "{:?}", first.effects);
    let a = alerts[0];
    assert_eq!(a.kind, AlertKind::CertExpiring);
    let c = a.certificate.as_ref().expect("certificate facts");
    assert_eq!(c.path, PathKind::Origin);
    assert_eq!(c.days_left, 10);
    assert_eq!(c.not_after, not_after);
    assert_eq!(c.sha256, "AA:01");
    assert_eq!(c.regions, vec!["weur".to_string()]);
    assert!(a.summary.contains("expires in 10 days"), "{}", a.summary);
    assert!(a.summary.contains("origin certificate"), "{}", a.summary);
    assert!(
        a.checklist.iter().any(|i| i.starts_with("Renew")),
        "renewal checklist: {:?}",
        a.checklist
    );
    assert!(first.alert_state.is_some(), "the warning is stored");

    // Every minute for a day, the own client re-reading the same certificate every 6 hours:
    // no second warning, and the stored certificate facts do not change (a state row written
    // for another reason carries them unchanged).
    let certs = s.memory.alert.certs.clone();
    for i in 1..=24 * 60 {
        let at = T0 + i * MINUTE;
        let read = i % 360 == 0;
        let c = s.round(at, vec![region("weur", read.then(|| cert.clone()), None)]);
        assert!(cert_alerts(&c).is_empty(), "round {i}: {:?}", c.effects);
        if let Some(state) = &c.alert_state {
            assert_eq!(state.certs, certs, "round {i}: certificate seen again");
        }
    }
}

#[test]
fn a_renewed_certificate_resolves_the_warning_and_a_renewed_expiring_one_warns_again() {
    let mut s = Script::new(single_region(monitor()));
    let old = leaf("AA:01", T0 + 5 * DAY);
    let c = s.round(T0, vec![region("weur", Some(old.clone()), None)]);
    assert_eq!(cert_alerts(&c)[0].kind, AlertKind::CertExpiring);

    // Renewed for 90 days: the warning ends, once.
    let fresh = leaf("BB:02", T0 + 95 * DAY);
    let c = s.round(T0 + HOUR, vec![region("weur", Some(fresh.clone()), None)]);
    let alerts = cert_alerts(&c);
    assert_eq!(alerts.len(), 1, "{:?}", c.effects);
    assert_eq!(alerts[0].kind, AlertKind::CertRenewed);
    assert!(alerts[0].summary.contains("BB:02"), "{}", alerts[0].summary);
    let c = s.round(T0 + 2 * HOUR, vec![region("weur", Some(fresh), None)]);
    assert!(cert_alerts(&c).is_empty());

    // 85 days later the new certificate is inside the 14-day window: it warns, once.
    let later = T0 + 85 * DAY;
    let c = s.round(later, vec![region("weur", None, None)]);
    let alerts = cert_alerts(&c);
    assert_eq!(
        alerts.len(),
        1,
        "the stored certificate comes into the window"
    );
    assert_eq!(alerts[0].certificate.as_ref().unwrap().sha256, "BB:02");
    assert_eq!(alerts[0].certificate.as_ref().unwrap().days_left, 10);
    let c = s.round(later + HOUR, vec![region("weur", None, None)]);
    assert!(cert_alerts(&c).is_empty());

    // Replaced by yet another certificate that is itself expiring: one new warning naming the
    // one it replaces, no "renewed".
    let short = leaf("CC:03", later + 3 * DAY);
    let c = s.round(later + 2 * HOUR, vec![region("weur", Some(short), None)]);
    let alerts = cert_alerts(&c);
    assert_eq!(alerts.len(), 1, "{:?}", c.effects);
    assert_eq!(alerts[0].kind, AlertKind::CertExpiring);
    assert_eq!(alerts[0].certificate.as_ref().unwrap().sha256, "CC:03");
    assert!(alerts[0].summary.contains("BB:02"), "{}", alerts[0].summary);
}

#[test]
fn edge_and_origin_certificates_are_warned_apart() {
    let mut s = Script::new(single_region(monitor()));
    let origin = leaf("0A:0A", T0 + 5 * DAY);
    let front = leaf("ED:ED", T0 + 3 * DAY);
    let c = s.round(T0, vec![region("weur", Some(origin), Some(front))]);
    let mut got: Vec<(PathKind, String, i64)> = cert_alerts(&c)
        .iter()
        .map(|a| {
            let c = a.certificate.as_ref().unwrap();
            (c.path, c.sha256.clone(), c.days_left)
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (PathKind::Edge, "ED:ED".into(), 3),
            (PathKind::Origin, "0A:0A".into(), 5)
        ]
    );
    let dedup: Vec<String> = cert_alerts(&c)
        .iter()
        .map(|a| a.dedup_key.clone())
        .collect();
    assert_ne!(dedup[0], dedup[1]);
    // The diagnosis names both paths too.
    let paths: Vec<PathKind> = c
        .diagnosis
        .evidence
        .iter()
        .filter(|e| e.step == "certificate")
        .map(|e| e.path)
        .collect();
    assert!(paths.contains(&PathKind::Edge) && paths.contains(&PathKind::Origin));
}

#[test]
fn one_certificate_seen_by_several_regions_warns_once_and_lists_them() {
    let mut m = monitor();
    m.regions = vec!["enam".into(), "weur".into()];
    let mut s = Script::new(m);
    let cert = leaf("AA:01", T0 + 7 * DAY);
    // Regions read it in different rounds (each on its own schedule offset).
    let c = s.round(
        T0,
        vec![
            region("enam", Some(cert.clone()), None),
            region("weur", None, None),
        ],
    );
    assert_eq!(cert_alerts(&c).len(), 1);
    let c = s.round(
        T0 + HOUR,
        vec![
            region("enam", None, None),
            region("weur", Some(cert.clone()), None),
        ],
    );
    assert!(cert_alerts(&c).is_empty(), "{:?}", c.effects);
    // Only one region sees the renewed certificate: the other still presents the old one,
    // so the warning stands.
    let fresh = leaf("BB:02", T0 + 97 * DAY);
    let c = s.round(
        T0 + 2 * HOUR,
        vec![
            region("enam", Some(fresh.clone()), None),
            region("weur", None, None),
        ],
    );
    assert!(cert_alerts(&c).is_empty(), "{:?}", c.effects);
    let c = s.round(
        T0 + 3 * HOUR,
        vec![
            region("enam", None, None),
            region("weur", Some(fresh), None),
        ],
    );
    let alerts = cert_alerts(&c);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].kind, AlertKind::CertRenewed);
}

#[test]
fn maintenance_holds_the_warning_until_the_window_ends() {
    let m = with_maintenance(single_region(monitor()), 0, 3600);
    let mut s = Script::new(m);
    let cert = leaf("AA:01", T0 + 5 * DAY);
    let c = s.round(T0 + 60_000, vec![region("weur", Some(cert), None)]);
    assert!(cert_alerts(&c).is_empty(), "muted in maintenance");
    let c = s.round(T0 + 3_700_000, vec![region("weur", None, None)]);
    assert_eq!(cert_alerts(&c).len(), 1, "sent after the window");
}

#[test]
fn an_already_expired_certificate_is_left_to_the_tls_incident() {
    let mut s = Script::new(single_region(monitor()));
    let c = s.round(
        T0,
        vec![region("weur", Some(leaf("AA:01", T0 - DAY)), None)],
    );
    assert!(cert_alerts(&c).is_empty(), "{:?}", c.effects);
}

#[test]
fn the_state_without_certificates_keeps_its_stored_shape() {
    let state = edgeprobe_core::alerting::AlertState::default();
    let json = serde_json::to_string(&state).unwrap();
    assert!(!json.contains("certs"), "{json}");
    let back: edgeprobe_core::alerting::AlertState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, state);
}

#[test]
fn a_front_on_the_cdns_network_is_remembered_as_managed_by_the_cdn_without_alerts() {
    let mut s = Script::new(single_region(monitor()));
    let mut e = edge(
        200,
        &[("server", "cloudflare"), ("cf-ray", "8f-CDG")],
        "",
        40,
    );
    e.certificate = CertificateInfo::ManagedByCdn {
        cdn: "Cloudflare".into(),
    };
    let c = s.round(
        T0,
        vec![probed("weur", e.clone(), Some(origin_ok(200, 30)))],
    );
    assert!(cert_alerts(&c).is_empty());
    let certs = &c.alert_state.as_ref().expect("stored once").certs;
    assert_eq!(certs.managed.len(), 1);
    assert_eq!(certs.managed[0].region, "weur");
    assert_eq!(certs.managed[0].cdn, "Cloudflare");
    // Seen the same way again: nothing to write.
    let c = s.round(
        T0 + MINUTE,
        vec![probed("weur", e, Some(origin_ok(200, 30)))],
    );
    assert!(c.alert_state.is_none(), "unchanged");
    // The front moved off the CDN and a handshake reached it: no longer managed.
    let c = s.round(
        T0 + 2 * MINUTE,
        vec![region("weur", None, Some(leaf("ED:01", T0 + 60 * DAY)))],
    );
    let certs = &c.alert_state.as_ref().expect("changed").certs;
    assert!(certs.managed.is_empty());
    assert_eq!(certs.seen.len(), 1);
}

#[test]
fn the_certificate_reaches_the_webhook_body_and_the_chat_headline() {
    use edgeprobe_core::alerting::payload::{
        headline_facts, slack::slack_body, webhook::webhook_body,
    };
    let mut s = Script::new(single_region(monitor()));
    let c = s.round(
        T0,
        vec![region(
            "weur",
            None,
            Some(leaf("ED:ED", T0 + 4 * DAY + HOUR)),
        )],
    );
    let alert = cert_alerts(&c)[0].clone();
    let body: serde_json::Value = serde_json::from_str(&webhook_body(&alert)).unwrap();
    assert_eq!(body["type"], "monitor.cert_expiring");
    let cert = &body["data"]["certificate"];
    assert_eq!(cert["path"], "edge");
    assert_eq!(cert["days_left"], 4);
    assert_eq!(cert["sha256"], "ED:ED");
    assert_eq!(
        cert["not_after"],
        edgeprobe_core::time::format_rfc3339(T0 + 4 * DAY + HOUR)
    );
    assert!(headline_facts(&alert).starts_with("edge certificate · 4 days left · notAfter "));
    let slack = slack_body(&alert, Some("@here"));
    assert!(slack.contains("CERTIFICATE EXPIRING"), "{slack}");
    assert!(
        !slack.contains("<!here>"),
        "a certificate warning does not ping: {slack}"
    );
}
