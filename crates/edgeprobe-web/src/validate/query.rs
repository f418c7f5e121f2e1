//! Query strings of the list endpoints, and the opaque pagination cursor.
//!
//! Errors point at `/query/<parameter>` (the body-pointer convention applied to the query
//! string), so one problem document format serves both. Unknown and repeated parameters are
//! errors, like unknown body fields; an empty `cursor=` means the first page. The cursor is base64url (no padding) of
//! `<sort key>:<id>`; clients must treat it as opaque.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::limits::{PAGE_LIMIT_DEFAULT, PAGE_LIMIT_RANGE};
use super::Errors;
use crate::problem::{pointer_push, FieldError};
use edgeprobe_core::time::{parse_rfc3339, UnixMillis};

/// Where a list page resumes: after the row with this (sort key, id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The list's sort key, e.g. `created_at` or a round's timestamp (Unix ms).
    pub sort_key: i64,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageQuery {
    pub limit: u32,
    pub cursor: Option<Cursor>,
}

/// The path filter is the path of the stored rows (one enum, one set of strings).
pub use edgeprobe_core::diagnosis::PathKind as ProbePath;
/// The granularity filter is the granularity of the stored rollups.
pub use edgeprobe_core::rollup::Granularity;

/// `GET /api/v1/monitors/{id}/results`: rounds in `[from, to)`, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultsQuery {
    pub from: Option<UnixMillis>,
    pub to: Option<UnixMillis>,
    pub region: Option<String>,
    pub path: Option<ProbePath>,
    pub page: PageQuery,
}

/// `GET /api/v1/monitors/{id}/rollups` (granularity defaults to `hour`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupQuery {
    pub granularity: Granularity,
    pub from: Option<UnixMillis>,
    pub to: Option<UnixMillis>,
    pub region: Option<String>,
    pub path: Option<ProbePath>,
}

pub fn encode_cursor(c: &Cursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}", c.sort_key, c.id))
}

/// `None` for anything [`encode_cursor`] could not have produced.
pub fn decode_cursor(s: &str) -> Option<Cursor> {
    let bytes = URL_SAFE_NO_PAD.decode(s).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (key, id) = text.split_once(':')?;
    if id.is_empty() || key.starts_with('+') {
        return None;
    }
    Some(Cursor {
        sort_key: key.parse().ok()?,
        id: id.to_string(),
    })
}

/// The parameters of one query string, each seen at most once and all known.
struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    fn parse(query: &str, known: &[&str], e: &mut Errors) -> Params {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            let ptr = pointer_push("/query", &k);
            if !known.contains(&k.as_ref()) {
                e.push(ptr, "is not a known parameter");
            } else if pairs.iter().any(|(seen, _)| *seen == k) {
                e.push(ptr, "is given more than once");
            } else {
                pairs.push((k.into_owned(), v.into_owned()));
            }
        }
        Params { pairs }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn page(&self, e: &mut Errors) -> PageQuery {
        let (lo, hi) = PAGE_LIMIT_RANGE;
        let limit = match self.get("limit") {
            None => PAGE_LIMIT_DEFAULT,
            Some(s) => match s.parse::<u64>() {
                Ok(n) if (lo..=hi).contains(&n) => n as u32,
                _ => {
                    e.push(
                        "/query/limit",
                        format!("must be an integer from {lo} to {hi}"),
                    );
                    PAGE_LIMIT_DEFAULT
                }
            },
        };
        // An empty `cursor=` is the first page, like no cursor: clients that template
        // `cursor={next_cursor or ""}` get what they mean (documented on the parameter).
        let cursor = self.get("cursor").filter(|s| !s.is_empty()).and_then(|s| {
            let c = decode_cursor(s);
            if c.is_none() {
                e.push("/query/cursor", "is not a cursor this API returned");
            }
            c
        });
        PageQuery { limit, cursor }
    }

    fn time(&self, name: &str, e: &mut Errors) -> Option<UnixMillis> {
        let s = self.get(name)?;
        let t = parse_rfc3339(s);
        if t.is_none() {
            e.push(
                pointer_push("/query", name),
                "must be an RFC 3339 date-time, e.g. 2026-11-21T00:00:00Z",
            );
        }
        t
    }

    /// `from` and `to`, with `from < to` when both are given.
    fn range(&self, e: &mut Errors) -> (Option<UnixMillis>, Option<UnixMillis>) {
        let (from, to) = (self.time("from", e), self.time("to", e));
        if let (Some(f), Some(t)) = (from, to) {
            if f >= t {
                e.push("/query/to", "must be after from");
            }
        }
        (from, to)
    }

    /// Region names are checked for shape only; an unknown region simply matches nothing.
    fn region(&self, e: &mut Errors) -> Option<String> {
        let r = self.get("region")?;
        let ok = (1..=16).contains(&r.len())
            && r.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            e.push("/query/region", "must be a region name such as weur");
        }
        ok.then(|| r.to_string())
    }

    fn path(&self, e: &mut Errors) -> Option<ProbePath> {
        let given = self.get("path")?;
        let path = [ProbePath::Edge, ProbePath::Origin]
            .into_iter()
            .find(|p| p.as_str() == given);
        if path.is_none() {
            e.push("/query/path", "must be edge or origin");
        }
        path
    }
}

/// `limit` (1..=100, default 50) and `cursor`.
pub fn parse_page_query(query: &str) -> Result<PageQuery, Vec<FieldError>> {
    let mut e = Errors::default();
    let p = Params::parse(query, &["limit", "cursor"], &mut e);
    let page = p.page(&mut e);
    e.finish(page)
}

/// `from`, `to` (RFC 3339), `region`, `path` (edge|origin), `cursor`, `limit`.
pub fn parse_results_query(query: &str) -> Result<ResultsQuery, Vec<FieldError>> {
    let mut e = Errors::default();
    let p = Params::parse(
        query,
        &["from", "to", "region", "path", "cursor", "limit"],
        &mut e,
    );
    let (from, to) = p.range(&mut e);
    let q = ResultsQuery {
        from,
        to,
        region: p.region(&mut e),
        path: p.path(&mut e),
        page: p.page(&mut e),
    };
    e.finish(q)
}

/// `GET /api/v1/monitors`: a page, optionally only the monitor with this slug (at most one:
/// slugs are unique, so this is the lookup by slug) and/or only monitors with this tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorListQuery {
    pub slug: Option<String>,
    pub tag: Option<String>,
    pub page: PageQuery,
}

/// `slug`, `tag`, `cursor`, `limit`. Values are matched exactly; an empty one is an error
/// (no monitor has an empty slug or tag, so it is surely a templating mistake).
pub fn parse_monitor_list_query(query: &str) -> Result<MonitorListQuery, Vec<FieldError>> {
    let mut e = Errors::default();
    let p = Params::parse(query, &["slug", "tag", "cursor", "limit"], &mut e);
    let mut exact = |name: &str| {
        let v = p.get(name)?;
        if v.is_empty() {
            e.push(pointer_push("/query", name), "must not be empty");
            return None;
        }
        Some(v.to_string())
    };
    let (slug, tag) = (exact("slug"), exact("tag"));
    let q = MonitorListQuery {
        slug,
        tag,
        page: p.page(&mut e),
    };
    e.finish(q)
}

/// The default grace period of a webhook secret rotation: one day.
pub const ROTATION_GRACE_DEFAULT_SECONDS: u32 = 86_400;
/// The longest grace period: one week.
pub const ROTATION_GRACE_MAX_SECONDS: u32 = 604_800;

/// `POST /api/v1/channels/{id}/rotate-secret?grace_seconds=`: how long the replaced secret
/// keeps signing (0 ends it at once), in milliseconds.
pub fn parse_rotation_query(query: &str) -> Result<UnixMillis, Vec<FieldError>> {
    let mut e = Errors::default();
    let p = Params::parse(query, &["grace_seconds"], &mut e);
    let secs = match p.get("grace_seconds") {
        None => ROTATION_GRACE_DEFAULT_SECONDS,
        Some(s) => match s.parse::<u32>() {
            Ok(n) if n <= ROTATION_GRACE_MAX_SECONDS => n,
            _ => {
                e.push(
                    "/query/grace_seconds",
                    format!("must be an integer from 0 to {ROTATION_GRACE_MAX_SECONDS}"),
                );
                0
            }
        },
    };
    e.finish(i64::from(secs) * 1_000)
}

/// `granularity` (hour|day, default hour), `from`, `to`, `region`, `path`.
pub fn parse_rollup_query(query: &str) -> Result<RollupQuery, Vec<FieldError>> {
    let mut e = Errors::default();
    let p = Params::parse(
        query,
        &["granularity", "from", "to", "region", "path"],
        &mut e,
    );
    let granularity = match p.get("granularity") {
        None => Granularity::Hour,
        Some(given) => [Granularity::Hour, Granularity::Day]
            .into_iter()
            .find(|g| g.as_str() == given)
            .unwrap_or_else(|| {
                e.push("/query/granularity", "must be hour or day");
                Granularity::Hour
            }),
    };
    let (from, to) = p.range(&mut e);
    let q = RollupQuery {
        granularity,
        from,
        to,
        region: p.region(&mut e),
        path: p.path(&mut e),
    };
    e.finish(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitor_list_filters_and_rotation_grace() {
        let q = parse_monitor_list_query("slug=shop-eu&tag=prod&limit=5").unwrap();
        assert_eq!(q.slug.as_deref(), Some("shop-eu"));
        assert_eq!(q.tag.as_deref(), Some("prod"));
        assert_eq!(q.page.limit, 5);
        assert_eq!(
            pointers(parse_monitor_list_query("slug=&tag=&x=1")),
            ["/query/x", "/query/slug", "/query/tag"]
        );
        assert_eq!(parse_rotation_query(""), Ok(86_400_000));
        assert_eq!(parse_rotation_query("grace_seconds=0"), Ok(0));
        assert_eq!(
            pointers(parse_rotation_query("grace_seconds=604801")),
            ["/query/grace_seconds"]
        );
    }

    fn pointers(r: Result<impl std::fmt::Debug, Vec<FieldError>>) -> Vec<String> {
        r.expect_err("expected errors")
            .into_iter()
            .map(|e| e.pointer)
            .collect()
    }

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        for c in [
            Cursor {
                sort_key: 1_795_305_103_123,
                id: "mon_a:b".into(),
            },
            Cursor {
                sort_key: -5,
                id: "x".into(),
            },
        ] {
            let s = encode_cursor(&c);
            assert!(
                s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{s}"
            );
            assert_eq!(decode_cursor(&s), Some(c));
        }
        for bad in ["", "!!!", "bm9jb2xvbg", "MTIzOg", "YWJjOmlk"] {
            assert_eq!(decode_cursor(bad), None, "{bad}");
        }
    }

    #[test]
    fn page_defaults_and_bounds() {
        assert_eq!(
            parse_page_query(""),
            Ok(PageQuery {
                limit: 50,
                cursor: None
            })
        );
        assert_eq!(parse_page_query("?limit=100").map(|p| p.limit), Ok(100));
        assert_eq!(
            parse_page_query("cursor=&limit=2"),
            Ok(PageQuery {
                limit: 2,
                cursor: None
            }),
            "an empty cursor is the first page"
        );
        let c = Cursor {
            sort_key: 7,
            id: "ch_1".into(),
        };
        assert_eq!(
            parse_page_query(&format!("limit=1&cursor={}", encode_cursor(&c))),
            Ok(PageQuery {
                limit: 1,
                cursor: Some(c)
            })
        );
        let bad: [(&str, &[&str]); 6] = [
            ("limit=0", &["/query/limit"]),
            ("limit=101", &["/query/limit"]),
            ("limit=ten", &["/query/limit"]),
            ("cursor=%%%", &["/query/cursor"]),
            ("limit=5&limit=6", &["/query/limit"]),
            (
                "limit=0&sort=asc&cursor=zz",
                &["/query/sort", "/query/limit", "/query/cursor"],
            ),
        ];
        for (q, expected) in bad {
            assert_eq!(pointers(parse_page_query(q)), expected, "{q}");
        }
    }

    #[test]
    fn results_query_reads_every_parameter() {
        let q = parse_results_query(
            "from=2026-11-21T00:00:00Z&to=2026-11-22T00:00:00Z&region=weur&path=origin&limit=10",
        )
        .unwrap();
        assert_eq!(q.from, parse_rfc3339("2026-11-21T00:00:00Z"));
        assert_eq!(q.to, parse_rfc3339("2026-11-22T00:00:00Z"));
        assert_eq!(q.region.as_deref(), Some("weur"));
        assert_eq!(q.path, Some(ProbePath::Origin));
        assert_eq!(q.page.limit, 10);
        let bad: [(&str, &[&str]); 4] = [
            ("from=yesterday", &["/query/from"]),
            (
                "from=2026-11-22T00:00:00Z&to=2026-11-21T00:00:00Z",
                &["/query/to"],
            ),
            (
                "path=cdn&region=West%20EU",
                &["/query/region", "/query/path"],
            ),
            ("granularity=day", &["/query/granularity"]),
        ];
        for (q, expected) in bad {
            assert_eq!(pointers(parse_results_query(q)), expected, "{q}");
        }
    }

    #[test]
    fn rollup_query_defaults_to_hourly() {
        assert_eq!(
            parse_rollup_query("").map(|q| q.granularity),
            Ok(Granularity::Hour)
        );
        assert_eq!(
            parse_rollup_query("granularity=day&path=edge").map(|q| (q.granularity, q.path)),
            Ok((Granularity::Day, Some(ProbePath::Edge)))
        );
        assert_eq!(
            pointers(parse_rollup_query("granularity=week&limit=3")),
            ["/query/limit", "/query/granularity"]
        );
    }
}
