//! The one way this crate writes markup: askama templates under `templates/` (the status
//! pages in `templates/status_page/`, the badge in `templates/badge/`), rendered with
//! [`render`].
//!
//! askama escapes every `{{ value }}` for HTML, SVG and XML templates by default (`&`, `<`, `>`,
//! `"` and `'` become numeric character references, valid in HTML text, quoted attribute
//! values and XML alike), so there is no hand-written escaper and no string-built markup in
//! this crate. Templates must not opt out of escaping (`|safe`, `escape = "none"`): values that
//! are themselves markup are drawn by template macros, not passed in as strings. A test below
//! holds every template file to that.

use askama::Template;

/// Renders a template to a string.
///
/// Writing into a `String` fails only when a value's `Display` does; the templates here show
/// text and numbers only, so a failure is a bug in this crate. It renders as an empty document
/// (and fails the tests through the debug assertion) rather than panicking in the Worker.
pub(crate) fn render(template: &impl Template) -> String {
    match template.render() {
        Ok(text) => text,
        Err(e) => {
            debug_assert!(false, "template failed to render: {e}");
            String::new()
        }
    }
}

/// `text` as the templates escape it (tests compare rendered pages with this).
#[cfg(test)]
pub(crate) fn escaped(text: &str) -> String {
    askama::filters::escape(text, askama::filters::Html)
        .map_or_else(|e| match e {}, |safe| safe.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_markup_character() {
        let cases = [
            (
                "<script>alert('x')</script>",
                "&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;",
            ),
            (r#"" onmouseover="x"#, "&#34; onmouseover=&#34;x"),
            (
                r#"<a href="x">&'</a>"#,
                "&#60;a href=&#34;x&#34;&#62;&#38;&#39;&#60;/a&#62;",
            ),
            ("a & b", "a &#38; b"),
            (
                "plain ✓ \u{202e}rtl\u{202c} שלום",
                "plain ✓ \u{202e}rtl\u{202c} שלום",
            ),
        ];
        for (raw, expected) in cases {
            assert_eq!(escaped(raw), expected, "{raw}");
        }
    }

    /// Every template file, by path relative to templates/.
    fn template_files() -> Vec<(String, String)> {
        fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
            let mut entries: Vec<_> = std::fs::read_dir(dir)
                .expect("templates dir")
                .flatten()
                .collect();
            entries.sort_by_key(|e| e.path());
            for entry in entries {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    let text = std::fs::read_to_string(&path).expect("template file");
                    out.push((path.display().to_string(), text));
                }
            }
        }
        let mut files = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates"),
            &mut files,
        );
        files
    }

    #[test]
    fn templates_never_opt_out_of_escaping() {
        let files = template_files();
        assert!(files.len() >= 2, "found the templates: {files:?}");
        for (path, text) in files {
            let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            for opt_out in [
                "|safe",
                "|escape(\"none\")",
                "|e(\"none\")",
                "escape=\"none\"",
            ] {
                assert!(
                    !squeezed.contains(opt_out),
                    "{path} opts out of escaping with {opt_out}"
                );
            }
        }
    }

    /// Every text a monitor's owner controls, in every place the index, the monitor page and
    /// the badge show it, comes out as text: no element, no attribute break-out.
    #[test]
    fn hostile_text_in_every_rendered_field_is_escaped() {
        use crate::badge::{badge_for, render_svg, BadgeInput, BadgeQuery};
        use crate::status_page::{
            render_index, render_monitor, render_not_found, PageIncident, PageMonitor,
        };
        use edgeprobe_core::diagnosis::Verdict;
        use edgeprobe_core::status::{Health, PathSummary, RegionSummary};

        // Short enough that the badge shows label and message whole (it shortens at 64).
        let hostile = |field: &str| format!(r#"<script>"{field}"#);
        let (name, region, colo, label) = (
            hostile("name"),
            hostile("region"),
            hostile("colo"),
            hostile("label"),
        );
        let (summary, check, incident_summary, incident_region, site) = (
            hostile("summary"),
            hostile("checklist"),
            hostile("incident summary"),
            hostile("incident region"),
            hostile("site"),
        );
        let path = PathSummary {
            ok: false,
            status: Some(521),
            latency_ms: Some(48),
            label: label.clone(),
        };
        let now = 1_795_305_103_000;
        let m = PageMonitor {
            slug: "shop".into(),
            name: name.clone(),
            health: Health::Down,
            summary: summary.clone(),
            verdict: Verdict::OriginRefused,
            checklist: vec![check.clone()],
            regions: vec![RegionSummary {
                region: region.clone(),
                colo: Some(colo.clone()),
                edge: Some(path.clone()),
                origin: Some(path),
                answered: true,
            }],
            uptime_24h: Some(99.0),
            uptime_7d: None,
            uptime_30d: None,
            latency_series: vec![(now - 120_000, Some(80)), (now - 60_000, Some(120))],
            incidents: vec![PageIncident {
                started_at: now - 600_000,
                ended_at: None,
                verdict: Verdict::OriginRefused,
                summary: incident_summary.clone(),
                regions: vec![incident_region.clone()],
                id: String::new(),
                updates: Vec::new(),
                manual: None,
            }],
            updated_at: Some(now - 30_000),
            days: Vec::new(),
            chart: vec![crate::status_page::RegionSeries {
                region: region.clone(),
                points: vec![(now - 60_000, 120)],
            }],
            certificates: Vec::new(),
            edge_managed: Vec::new(),
            maintenance: vec![crate::status_page::PageMaintenance {
                starts_at: now - 60_000,
                ends_at: now + 600_000,
                reason: Some(summary.clone()),
            }],
        };

        let index = render_index(std::slice::from_ref(&m), now, &site);
        let page = render_monitor(&m, now, &site, crate::status_page::Detail::Full);
        let not_found = render_not_found(&site);
        let shown: [(&str, &str, &[&String]); 3] = [
            ("index", &index, &[&name, &summary, &site]),
            (
                "monitor page",
                &page,
                &[
                    &name,
                    &summary,
                    &check,
                    &region,
                    &colo,
                    &label,
                    &incident_summary,
                    &incident_region,
                    &site,
                ],
            ),
            ("not-found page", &not_found, &[&site]),
        ];
        for (what, html, texts) in shown {
            assert!(
                !html.contains("<script"),
                "{what} lets markup through:\n{html}"
            );
            for text in texts {
                assert!(
                    !html.contains(text.as_str()),
                    "{what} shows {text:?} raw:\n{html}"
                );
                assert!(
                    html.contains(&escaped(text)),
                    "{what} shows {text:?} escaped:\n{html}"
                );
            }
        }
        // Attributes: the sparkline's accessible label carries the name, quotes escaped.
        assert!(
            index.contains(&format!(r#"aria-label="{} edge latency: "#, escaped(&name))),
            "{index}"
        );

        let query = BadgeQuery {
            region: Some(region.clone()),
            ..BadgeQuery::default()
        };
        let input = BadgeInput {
            health: Health::Down,
            regions: vec![(region.clone(), Health::Down)],
            ..BadgeInput::never_probed(&name, false)
        };
        let svg = render_svg(&badge_for(&query, &input));
        assert!(
            !svg.contains("<script") && !svg.contains(&name) && !svg.contains(&region),
            "{svg}"
        );
        let doc = roxmltree::Document::parse(&svg).expect("the badge is well-formed XML");
        let title = doc
            .descendants()
            .find(|n| n.has_tag_name("title"))
            .and_then(|n| n.text());
        let expected = format!("{name} ({region}): down");
        assert_eq!(
            title,
            Some(expected.as_str()),
            "the text survives escaping unchanged"
        );
        assert_eq!(
            doc.root_element().attribute("aria-label"),
            Some(expected.as_str())
        );
    }
}
