//! The incident feeds: `/status/feed.atom` (every public monitor) and
//! `/status/{slug}/feed.atom` (one), Atom 1.0 (RFC 4287), rendered from the same documents the
//! pages read. One entry per incident, in customer words (the feed is public); its `updated` is
//! when it ended, or began while ongoing, so a feed reader shows the resolution as an update.
//! Pure: the caller gives the documents, the public base URL and nothing else (the feed's own
//! `updated` is its newest entry's, so an unchanged feed is byte-identical).

use askama::Template;

use super::format::format_duration;
use super::words::customer_words;
use std::collections::BTreeSet;

use super::{PageIncident, PageMonitor};
use edgeprobe_core::time::format_rfc3339;

#[derive(Template)]
#[template(path = "status_page/feed.atom", escape = "html")]
struct Feed<'a> {
    id: &'a str,
    title: &'a str,
    site_title: &'a str,
    self_href: &'a str,
    page_href: &'a str,
    updated: String,
    entries: Vec<Entry>,
}

struct Entry {
    id: String,
    title: String,
    href: String,
    published: String,
    updated: String,
    summary: String,
}

/// The feed of `monitors`' incidents, newest first. `base_url` has no trailing slash; `slug`:
/// the monitor's own feed, `None`: every monitor's.
pub fn render_feed(
    monitors: &[PageMonitor],
    base_url: &str,
    site_title: &str,
    slug: Option<&str>,
) -> String {
    render_feed_with(monitors, &[], base_url, site_title, slug)
}

/// The feed with operator communication: besides one entry per incident, one entry per
/// operator update (its state and message, as written for visitors), and the site-wide manual
/// incidents (`site`, only in the site feed). A manual incident naming several monitors is one
/// entry (and one per update) in the site feed, whose id does not depend on the monitor.
pub fn render_feed_with(
    monitors: &[PageMonitor],
    site: &[PageIncident],
    base_url: &str,
    site_title: &str,
    slug: Option<&str>,
) -> String {
    let page_href = match slug {
        Some(s) => format!("{base_url}{}", super::layout::monitor_href(s)),
        None => format!("{base_url}/status"),
    };
    let self_href = format!("{page_href}/feed.atom");
    let mut entries: Vec<(i64, Entry)> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let index_href = format!("{base_url}/status");
    let scoped = site.iter().map(|i| (None, i)).chain(
        monitors
            .iter()
            .flat_map(|m| m.incidents.iter().map(move |i| (Some(m), i))),
    );
    for (m, i) in scoped {
        if i.manual.is_some() && !seen.insert(i.id.clone()) {
            continue;
        }
        let href = match m {
            Some(m) => format!("{base_url}{}", super::layout::monitor_href(&m.slug)),
            None => index_href.clone(),
        };
        let (id, title, summary) = match (&i.manual, m) {
            (Some(man), _) => (
                format!("{index_href}#incident-{}", i.id),
                format!(
                    "{}: {}",
                    man.title,
                    i.updates
                        .first()
                        .map_or("investigating", |u| u.state.as_str())
                ),
                i.updates
                    .first()
                    .map_or_else(|| man.title.clone(), |u| u.message.clone()),
            ),
            (None, m) => {
                let name = m.map_or("", |m| m.name.as_str());
                let state = match i.ended_at {
                    Some(end) => format!("Resolved after {}.", format_duration(end - i.started_at)),
                    None => "Ongoing.".to_string(),
                };
                (
                    format!("{href}#incident-{}", i.started_at),
                    format!(
                        "{name}: {}",
                        if i.ended_at.is_some() {
                            "resolved"
                        } else {
                            "service disruption"
                        }
                    ),
                    format!("{} {state}", customer_words(i.verdict)),
                )
            }
        };
        // A manual incident's entry is its first update; an automatic one's is updated when
        // it ends.
        let updated = match (&i.manual, i.updates.first()) {
            (Some(_), Some(first)) => first.at,
            (Some(_), None) => i.started_at,
            (None, _) => i.ended_at.unwrap_or(i.started_at),
        };
        entries.push((
            updated,
            Entry {
                id,
                title,
                href: href.clone(),
                published: format_rfc3339(i.started_at.min(updated)),
                updated: format_rfc3339(updated),
                summary,
            },
        ));
        // The first update of a manual incident is the incident's own entry.
        let skip = usize::from(i.manual.is_some());
        let subject = match (&i.manual, m) {
            (Some(man), _) => man.title.clone(),
            (None, Some(m)) => m.name.clone(),
            (None, None) => String::new(),
        };
        for u in i.updates.iter().skip(skip) {
            entries.push((
                u.at,
                Entry {
                    id: format!("{index_href}#update-{}", u.id),
                    title: format!("{subject}: {}", u.state.as_str()),
                    href: href.clone(),
                    published: format_rfc3339(u.at),
                    updated: format_rfc3339(u.at),
                    summary: u.message.clone(),
                },
            ));
        }
    }
    entries.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
    let updated = format_rfc3339(entries.first().map_or(0, |e| e.0));
    let title = match (slug, monitors.first()) {
        (Some(_), Some(m)) => format!("{}: incidents · {site_title}", m.name),
        _ => format!("Incidents · {site_title}"),
    };
    crate::markup::render(&Feed {
        id: &self_href,
        title: &title,
        site_title,
        self_href: &self_href,
        page_href: &page_href,
        updated,
        entries: entries.into_iter().map(|(_, e)| e).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status_page::PageIncident;
    use edgeprobe_core::diagnosis::Verdict;

    fn monitor(slug: &str, name: &str, incidents: Vec<PageIncident>) -> PageMonitor {
        PageMonitor {
            incidents,
            ..PageMonitor::never_probed(slug, name)
        }
    }

    fn incident(started_at: i64, ended_at: Option<i64>) -> PageIncident {
        PageIncident {
            started_at,
            ended_at,
            verdict: Verdict::OriginRefused,
            summary: "The origin refuses TCP connections (iptables?)".into(),
            regions: vec!["weur".into()],
            id: String::new(),
            updates: Vec::new(),
            manual: None,
        }
    }

    const T: i64 = 1_795_305_103_000;

    /// Issue 15: the feed is Atom 1.0 as a feed reader parses it, newest update first, in
    /// customer words (no operator detail), with escaped names.
    #[test]
    fn the_incident_feed_is_atom_a_reader_parses() {
        let monitors = [
            monitor("shop", "Shop & <Co>", vec![incident(T - 600_000, None)]),
            monitor(
                "api",
                "API",
                vec![incident(T - 7_200_000, Some(T - 6_000_000))],
            ),
        ];
        let xml = render_feed(&monitors, "https://status.example.com", "Example", None);
        let feed = feed_rs::parser::parse(xml.as_bytes()).expect("parses");
        assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
        assert_eq!(feed.id, "https://status.example.com/status/feed.atom");
        assert_eq!(feed.entries.len(), 2);
        let first = &feed.entries[0];
        assert_eq!(
            first.title.as_ref().map(|t| t.content.as_str()),
            Some("Shop & <Co>: service disruption")
        );
        assert_eq!(
            first.links[0].href,
            "https://status.example.com/status/shop"
        );
        let summary = first
            .summary
            .as_ref()
            .map(|s| s.content.clone())
            .unwrap_or_default();
        assert!(summary.contains("we are investigating"), "{summary}");
        assert!(
            !xml.contains("iptables"),
            "operator detail stays out of the public feed"
        );
        let second = feed.entries[1].summary.as_ref().map(|s| s.content.clone());
        assert!(second.is_some_and(|s| s.contains("Resolved after 20 min")));
        assert!(roxmltree::Document::parse(&xml).is_ok());

        let one = render_feed(
            &monitors[1..],
            "https://status.example.com",
            "Example",
            Some("api"),
        );
        let feed = feed_rs::parser::parse(one.as_bytes()).expect("parses");
        assert_eq!(feed.id, "https://status.example.com/status/api/feed.atom");
        assert_eq!(feed.entries.len(), 1);
        // An empty feed is still valid Atom.
        let empty = render_feed(&[], "https://status.example.com", "Example", None);
        assert!(feed_rs::parser::parse(empty.as_bytes()).is_ok());
    }
}
