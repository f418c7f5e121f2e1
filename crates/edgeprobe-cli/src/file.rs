//! `edgeprobe.toml`: the declared monitors and channels, read with every key's position so any
//! error (the file's own rules here, or the API validator's JSON-pointer errors) is reported
//! as `file:line:column`.
//!
//! The file holds `[[monitor]]` tables, each the API's create body (same member names and
//! units) with `channels` naming channels by their `name`, and `[[channel]]` tables: `name`,
//! `kind`, `url` or `url_env`, `secret_env`, `enabled`. Secrets never appear in the file: a
//! `secret` member is an error; `secret_env` names the environment variable that holds it.
//! Monitors are matched to the server's by `slug` (required here, so it can never drift with
//! the name); channels by `name`.

use serde_json::{Map, Value};
use toml_edit::{Document, Item, TableLike};

/// A problem at a place in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diag {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// A declared monitor: its create body as written (channels by name).
#[derive(Debug, Clone)]
pub struct DeclaredMonitor {
    pub index: usize,
    pub slug: String,
    pub body: Value,
}

/// A declared channel. `url` / `secret` are `None` when their environment variable is not
/// set: an existing channel then keeps what it has; creating one needs them.
#[derive(Debug, Clone)]
pub struct DeclaredChannel {
    pub index: usize,
    pub name: String,
    pub kind: String,
    pub url: Option<String>,
    pub url_env: Option<String>,
    pub secret: Option<String>,
    pub secret_env: Option<String>,
    pub enabled: bool,
}

pub struct Declared {
    pub monitors: Vec<DeclaredMonitor>,
    pub channels: Vec<DeclaredChannel>,
}

/// The parsed file, kept to locate errors.
pub struct Source {
    pub path: String,
    text: String,
    doc: Document<String>,
}

const CHANNEL_KEYS: &[&str] = &["name", "kind", "url", "url_env", "secret_env", "enabled"];

impl Source {
    /// Parses TOML; a syntax error is one [`Diag`].
    pub fn parse(path: &str, text: String) -> Result<Source, Diag> {
        match Document::parse(text.clone()) {
            Ok(doc) => Ok(Source {
                path: path.to_string(),
                text,
                doc,
            }),
            Err(e) => {
                let (line, column) = e.span().map(|s| line_col(&text, s.start)).unwrap_or((1, 1));
                Err(Diag {
                    line,
                    column,
                    message: e.message().to_string(),
                })
            }
        }
    }

    /// `path:line:column: message`.
    pub fn show(&self, d: &Diag) -> String {
        format!("{}:{}:{}: {}", self.path, d.line, d.column, d.message)
    }

    fn at(&self, offset: usize, message: String) -> Diag {
        let (line, column) = line_col(&self.text, offset);
        Diag {
            line,
            column,
            message,
        }
    }

    fn tables(&self, name: &str) -> Vec<&toml_edit::Table> {
        match self.doc.get(name) {
            Some(Item::ArrayOfTables(a)) => a.iter().collect(),
            _ => Vec::new(),
        }
    }

    /// Where `pointer` (an API error's JSON pointer into the body) is in `[[kind]]` number
    /// `index`: the deepest key of the pointer that the file has, else the table's header.
    pub fn locate(&self, kind: &str, index: usize, pointer: &str, message: &str) -> Diag {
        let tables = self.tables(kind);
        let Some(table) = tables.get(index) else {
            return self.at(0, format!("{pointer}: {message}"));
        };
        let mut offset = table.span().map_or(0, |s| s.start);
        let mut here: Option<&dyn TableLike> = Some(*table as &dyn TableLike);
        let mut array: Option<&toml_edit::Array> = None;
        for seg in pointer.split('/').skip(1) {
            let seg = seg.replace("~1", "/").replace("~0", "~");
            if let Some(t) = here {
                let Some(key) = t.key(&seg) else { break };
                if let Some(s) = key.span() {
                    offset = s.start;
                }
                let item = t.get(&seg);
                here = item.and_then(Item::as_table_like);
                array = item.and_then(Item::as_array);
            } else if let Some(a) = array {
                let Some(v) = seg.parse::<usize>().ok().and_then(|i| a.get(i)) else {
                    break;
                };
                if let Some(s) = v.span() {
                    offset = s.start;
                }
                here = v.as_inline_table().map(|t| t as &dyn TableLike);
                array = v.as_array();
            } else {
                break;
            }
        }
        self.at(offset, format!("{pointer}: {message}"))
    }

    /// The declared monitors and channels, or every problem the file itself has (unknown
    /// members, a secret written in the file, duplicate keys, unknown channel names).
    pub fn declared(&self) -> Result<Declared, Vec<Diag>> {
        let mut diags = Vec::new();
        for (key, _) in self.doc.iter() {
            if key != "monitor" && key != "channel" {
                let off = self
                    .doc
                    .key(key)
                    .and_then(|k| k.span())
                    .map_or(0, |s| s.start);
                diags.push(self.at(
                    off,
                    format!("`{key}` is not known here: the file holds [[monitor]] and [[channel]] tables"),
                ));
            }
        }
        let mut channels: Vec<DeclaredChannel> = Vec::new();
        for (index, t) in self.tables("channel").into_iter().enumerate() {
            let body = table_json(t);
            let here = |ptr: &str, msg: &str| self.locate("channel", index, ptr, msg);
            for (k, _) in t.iter() {
                if k == "secret" {
                    diags.push(here("/secret", "secrets never go in the file: set secret_env to the name of an environment variable that holds it"));
                } else if !CHANNEL_KEYS.contains(&k) {
                    diags.push(here(&format!("/{k}"), "is not a known member"));
                }
            }
            let s = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
            let Some(name) = s("name") else {
                diags.push(here("", "a channel needs a name (its key)"));
                continue;
            };
            if channels.iter().any(|c| c.name == name) {
                diags.push(here("/name", "another [[channel]] has this name"));
            }
            let env = |k: Option<String>| k.and_then(|v| std::env::var(v).ok());
            let (url_env, secret_env) = (s("url_env"), s("secret_env"));
            channels.push(DeclaredChannel {
                index,
                name,
                kind: s("kind").unwrap_or_default(),
                url: s("url").or_else(|| env(url_env.clone())),
                url_env,
                secret: env(secret_env.clone()),
                secret_env,
                enabled: body.get("enabled").and_then(Value::as_bool).unwrap_or(true),
            });
        }
        let mut monitors: Vec<DeclaredMonitor> = Vec::new();
        for (index, t) in self.tables("monitor").into_iter().enumerate() {
            let body = table_json(t);
            let here = |ptr: &str, msg: &str| self.locate("monitor", index, ptr, msg);
            let Some(slug) = body.get("slug").and_then(Value::as_str).map(str::to_string) else {
                diags.push(here(
                    "",
                    "a monitor needs a slug: it is the key apply matches monitors by",
                ));
                continue;
            };
            if monitors.iter().any(|m| m.slug == slug) {
                diags.push(here("/slug", "another [[monitor]] has this slug"));
            }
            for (i, c) in body["channels"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                if !channels
                    .iter()
                    .any(|ch| Some(ch.name.as_str()) == c.as_str())
                {
                    diags.push(here(
                        &format!("/channels/{i}"),
                        "no [[channel]] in this file has this name",
                    ));
                }
            }
            monitors.push(DeclaredMonitor { index, slug, body });
        }
        if diags.is_empty() {
            Ok(Declared { monitors, channels })
        } else {
            Err(diags)
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// A TOML table as the JSON the API reads.
pub fn table_json(t: &dyn TableLike) -> Value {
    let mut m = Map::new();
    for (k, item) in t.iter() {
        if let Some(v) = item_json(item) {
            m.insert(k.to_string(), v);
        }
    }
    Value::Object(m)
}

fn item_json(item: &Item) -> Option<Value> {
    match item {
        Item::None => None,
        Item::Value(v) => Some(value_json(v)),
        Item::Table(t) => Some(table_json(t)),
        Item::ArrayOfTables(a) => Some(Value::Array(a.iter().map(|t| table_json(t)).collect())),
    }
}

fn value_json(v: &toml_edit::Value) -> Value {
    use toml_edit::Value as T;
    match v {
        T::String(s) => Value::String(s.value().clone()),
        T::Integer(i) => Value::from(*i.value()),
        T::Float(f) => serde_json::Number::from_f64(*f.value()).map_or(Value::Null, Value::Number),
        T::Boolean(b) => Value::Bool(*b.value()),
        T::Datetime(d) => Value::String(d.value().to_string()),
        T::Array(a) => Value::Array(a.iter().map(value_json).collect()),
        T::InlineTable(t) => table_json(t),
    }
}

/// A JSON value as TOML (for `export` and `import`); `None` for null (TOML has no null: the
/// member is left out, which the API reads the same way).
pub fn json_toml(v: &Value) -> Option<toml_edit::Value> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into(),
            None => n.as_f64().unwrap_or(0.0).into(),
        },
        Value::String(s) => s.as_str().into(),
        Value::Array(a) => {
            let mut arr = toml_edit::Array::new();
            for x in a.iter().filter_map(json_toml) {
                arr.push(x);
            }
            arr.into()
        }
        Value::Object(o) => {
            let mut t = toml_edit::InlineTable::new();
            for (k, x) in o {
                if let Some(x) = json_toml(x) {
                    t.insert(k, x);
                }
            }
            t.into()
        }
    })
}

/// A `[[kind]]` table from a JSON object (members in the order given; nulls left out).
pub fn json_table(o: &Map<String, Value>) -> toml_edit::Table {
    let mut t = toml_edit::Table::new();
    for (k, v) in o {
        if let Some(x) = json_toml(v) {
            t.insert(k, toml_edit::value(x));
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"[[channel]]
name = "ops"
kind = "webhook"
url = "https://hooks.example.com/x"
secret = "whsec_nope"

[[monitor]]
slug = "shop"
name = "Shop"
url = "https://shop.example.com/"
origin = { host = "o.example.com", port = 8443 }
channels = ["ops", "pager"]
expect = { statuses = [200, "300-399"] }
"#;

    #[test]
    fn file_errors_and_api_pointers_point_at_lines() {
        let src = Source::parse("edgeprobe.toml", FILE.to_string()).unwrap();
        let errs = src.declared().err().unwrap();
        let shown: Vec<String> = errs.iter().map(|d| src.show(d)).collect();
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(
            shown[0].starts_with("edgeprobe.toml:5:1: /secret: secrets never go"),
            "{shown:?}"
        );
        assert!(
            shown[1].starts_with("edgeprobe.toml:12:20: /channels/1: no [[channel]]"),
            "{shown:?}"
        );
        let d = src.locate("monitor", 0, "/origin/port", "refused");
        assert_eq!((d.line, d.column), (11, 36));
        let d = src.locate("monitor", 0, "/expect/statuses/1", "bad");
        assert_eq!((d.line, d.column), (13, 29));
        // A member the file does not have: its table's header.
        let d = src.locate("monitor", 0, "/interval_seconds", "too small");
        assert_eq!(d.line, 7);
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let e = Source::parse("f.toml", "[[monitor]]\nslug = \n".into())
            .err()
            .unwrap();
        assert_eq!(e.line, 2);
    }

    #[test]
    fn json_and_toml_round_trip() {
        let v = serde_json::json!({"name": "S", "n": 3, "ok": true, "list": [1, "a"], "o": {"k": "v", "z": null}, "gone": null});
        let t = json_table(v.as_object().unwrap());
        assert_eq!(
            table_json(&t),
            serde_json::json!({"name": "S", "n": 3, "ok": true, "list": [1, "a"], "o": {"k": "v"}})
        );
    }
}
