//! The page shell every status page shares: document head, inline stylesheet, header, footer,
//! and the not-found page. Owns the look; the content is built by `index` and `monitor`.

use super::format::escape_html;
use edgeprobe_core::status::Health;

/// Inline stylesheet: system fonts, light and dark schemes, one column on phones. Colours meet
/// WCAG AA contrast on their backgrounds, and every state also carries an icon and a word.
const CSS: &str = r#"
:root{color-scheme:light dark;--bg:#f6f8fa;--card:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;
--up:#1a7f37;--up-bg:#dafbe1;--degraded:#9a6700;--degraded-bg:#fff8c5;--down:#cf222e;--down-bg:#ffebe9;
--unknown:#59636e;--unknown-bg:#eff2f5;--link:#0969da;--spark:#0969da}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#151b23;--fg:#f0f6fc;--muted:#9198a1;--line:#3d444d;
--up:#3fb950;--up-bg:#12261e;--degraded:#d29922;--degraded-bg:#272115;--down:#f85149;--down-bg:#2d1618;
--unknown:#9198a1;--unknown-bg:#212830;--link:#4493f8;--spark:#4493f8}.icon{color:#0d1117}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
a{color:var(--link)}
.wrap{max-width:960px;margin:0 auto;padding:0 20px}
header.site{border-bottom:1px solid var(--line);background:var(--card)}
header.site .wrap{display:flex;align-items:center;justify-content:space-between;gap:12px;min-height:56px}
header.site a.home{color:var(--fg);text-decoration:none;font-weight:600;font-size:1.1rem}
header.site nav a{font-size:.95rem}
main{padding:24px 0 40px}
h1{font-size:1.6rem;line-height:1.25;margin:0 0 8px}
h2{font-size:1.15rem;margin:0 0 12px}
h3{font-size:1rem;margin:0 0 4px}
p{margin:0 0 12px}
.muted{color:var(--muted)}
.small{font-size:.875rem}
.banner{display:flex;align-items:center;gap:12px;padding:16px 20px;border-radius:10px;border:1px solid var(--line);margin-bottom:24px;font-size:1.15rem;font-weight:600}
.banner .icon{width:32px;height:32px;font-size:1.05rem}
.h-up{--c:var(--up);--cb:var(--up-bg)}.h-degraded{--c:var(--degraded);--cb:var(--degraded-bg)}
.h-down{--c:var(--down);--cb:var(--down-bg)}.h-unknown{--c:var(--unknown);--cb:var(--unknown-bg)}
.banner{background:var(--cb);border-color:var(--c)}
.icon{display:inline-flex;align-items:center;justify-content:center;width:20px;height:20px;border-radius:50%;background:var(--c);color:#fff;font-size:.75rem;font-weight:700;flex:none;line-height:1}
.pill{display:inline-flex;align-items:center;gap:6px;padding:2px 10px 2px 4px;border-radius:999px;background:var(--cb);color:var(--fg);font-size:.875rem;font-weight:600;white-space:nowrap}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 20px;margin-bottom:16px}
.cards{list-style:none;margin:0;padding:0;display:grid;gap:16px}
.cards .card{margin:0}
.card-head{display:flex;align-items:center;justify-content:space-between;gap:12px;flex-wrap:wrap;margin-bottom:6px}
.card-head h3{margin:0;font-size:1.05rem}
.card-head h3 a{text-decoration:none}.card-head h3 a:hover{text-decoration:underline}
.sr-title{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.card-foot{display:flex;align-items:center;justify-content:space-between;gap:16px;flex-wrap:wrap;margin-top:8px}
.card-foot svg.spark-mini{display:block;width:200px;max-width:100%;height:32px;color:var(--spark)}
.title-row{display:flex;align-items:center;gap:12px;flex-wrap:wrap;margin-bottom:4px}
.title-row h1{margin:0}
section{margin-top:16px}
ol.checklist{margin:0;padding-left:1.4em}ol.checklist li{margin:2px 0}
.table-scroll{overflow-x:auto}
table.grid{width:100%;border-collapse:collapse;font-size:.95rem}
table.grid caption{text-align:left;color:var(--muted);font-size:.875rem;padding-bottom:8px}
table.grid th,table.grid td{text-align:left;padding:10px 8px;border-top:1px solid var(--line);vertical-align:middle}
table.grid thead th{border-top:0;color:var(--muted);font-weight:600;font-size:.875rem}
.cell{display:inline-flex;align-items:center;gap:8px;flex-wrap:wrap}
.cell .lat{color:var(--muted);font-size:.875rem;font-variant-numeric:tabular-nums}
.colo{display:block;color:var(--muted);font-size:.8rem;font-weight:400}
.stats{display:grid;grid-template-columns:repeat(3,1fr);gap:12px;margin:0}
.stat{border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.stat dt{color:var(--muted);font-size:.875rem}
.stat dd{margin:0;font-size:1.35rem;font-weight:600;font-variant-numeric:tabular-nums}
svg.spark{display:block;width:100%;height:72px;color:var(--spark)}
.spark-stats{margin:0 0 8px;font-variant-numeric:tabular-nums}
.spark-legend{display:flex;justify-content:space-between;color:var(--muted);font-size:.8rem;margin-top:4px}
ul.incidents{list-style:none;margin:0;padding:0}
ul.incidents li{border-top:1px solid var(--line);padding:12px 0}
ul.incidents li:first-child{border-top:0;padding-top:0}
ul.incidents li.ongoing{border-left:4px solid var(--down);padding-left:12px}
.meta{color:var(--muted);font-size:.875rem}
footer{border-top:1px solid var(--line);padding:16px 0 32px;color:var(--muted);font-size:.875rem}
@media (max-width:600px){.wrap{padding:0 14px}h1{font-size:1.35rem}.stat{padding:8px 10px}.stat dd{font-size:1.1rem}
table.grid th,table.grid td{padding:8px 4px}.card{padding:14px}.card-foot svg.spark-mini{width:100%}}
"#;

/// The whole document around `body_html` (already escaped/marked-up by the caller).
pub(crate) fn page(site_title: &str, page_title: &str, body_html: &str) -> String {
    let site = escape_html(site_title);
    let title = if page_title.is_empty() {
        site.clone()
    } else {
        format!("{} · {site}", escape_html(page_title))
    };
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta http-equiv=\"refresh\" content=\"60\">\n<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n\
<header class=\"site\"><div class=\"wrap\"><a class=\"home\" href=\"/status\">{site}</a>\
<nav aria-label=\"Site\"><a href=\"/status\">All monitors</a></nav></div></header>\n\
<main id=\"main\"><div class=\"wrap\">\n{body_html}</div></main>\n\
<footer><div class=\"wrap\">Checked from several regions, through the CDN and directly at the origin. \
This page refreshes every 60 seconds. Powered by edgeprobe.</div></footer>\n</body>\n</html>\n"
    )
}

/// The health icon (hidden from screen readers: the word next to it says the same).
pub(crate) fn icon(health: Health) -> &'static str {
    match health {
        Health::Up => r#"<span class="icon" aria-hidden="true">✓</span>"#,
        Health::Degraded => r#"<span class="icon" aria-hidden="true">!</span>"#,
        Health::Down => r#"<span class="icon" aria-hidden="true">✕</span>"#,
        Health::Unknown => r#"<span class="icon" aria-hidden="true">?</span>"#,
    }
}

pub(crate) fn health_word(health: Health) -> &'static str {
    match health {
        Health::Up => "Operational",
        Health::Degraded => "Degraded",
        Health::Down => "Down",
        Health::Unknown => "Unknown",
    }
}

/// A coloured pill with icon and word.
pub(crate) fn pill(health: Health) -> String {
    format!(
        r#"<span class="pill h-{}">{}{}</span>"#,
        health.as_str(),
        icon(health),
        health_word(health)
    )
}

/// `/status/{slug}` for a slug the platform may not have checked: unsafe characters are
/// percent-encoded so the link stays a link to our page.
pub(crate) fn monitor_href(slug: &str) -> String {
    let mut href = String::from("/status/");
    for b in slug.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            href.push(char::from(b));
        } else {
            href.push_str(&format!("%{b:02X}"));
        }
    }
    href
}

/// The page for an unknown or non-public slug (served with status 404).
pub fn render_not_found(site_title: &str) -> String {
    page(
        site_title,
        "Not found",
        "<h1>Monitor not found</h1>\n<p>There is no public monitor at this address. It may have been renamed, \
made private or removed.</p>\n<p><a href=\"/status\">See all monitors</a></p>\n",
    )
}
