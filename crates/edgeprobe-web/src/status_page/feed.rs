//! The incident feeds: `/status/feed.atom` (every public monitor) and
//! `/status/{slug}/feed.atom` (one), Atom 1.0 (RFC 4287), rendered from the same documents the
//! pages read. One entry per incident, in customer words (the feed is public); its `updated` is
//! when it ended, or began while ongoing, so a feed reader shows the resolution as an update.
//! Pure: the caller gives the documents, the public base URL and nothing else (the feed's own
//! `updated` is its newest entry's, so an unchanged feed is byte-identical).

use askama::Template;

use super::format::format_duration;
use super::words::customer_words;
use super::PageMonitor;
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
    let page_href = match slug {
        Some(s) => format!("{base_url}{}", super::layout::monitor_href(s)),
        None => format!("{base_url}/status"),
    };
    let self_href = format!("{page_href}/feed.atom");
    let mut entries: Vec<(i64, Entry)> = monitors
        .iter()
        .flat_map(|m| {
            let page_href = format!("{base_url}{}", super::layout::monitor_href(&m.slug));
            m.incidents.iter().map(move |i| {
                let updated = i.ended_at.unwrap_or(i.started_at);
                let state = match i.ended_at {
                    Some(end) => format!("Resolved after {}.", format_duration(end - i.started_at)),
                    None => "Ongoing.".to_string(),
                };
                let entry = Entry {
                    id: format!("{page_href}#incident-{}", i.started_at),
                    title: format!(
                        "{}: {}",
                        m.name,
                        if i.ended_at.is_some() {
                            "resolved"
                        } else {
                            "service disruption"
                        }
                    ),
                    href: page_href.clone(),
                    published: format_rfc3339(i.started_at),
                    updated: format_rfc3339(updated),
                    summary: format!("{} {state}", customer_words(i.verdict)),
                };
                (updated, entry)
            })
        })
        .collect();
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
