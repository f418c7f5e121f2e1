//! The API over HTTP: a blocking client (ureq) that sends the bearer token and turns answers
//! into JSON or an [`ApiFailure`] carrying the server's problem+json (its `errors`, each a
//! JSON pointer and a message, are what `apply` maps back to lines of the file).

use std::time::Duration;

use serde_json::Value;

/// Where the API is and how to authenticate (from flags or EDGEPROBE_URL / EDGEPROBE_TOKEN).
pub struct Client {
    base: String,
    token: String,
    agent: ureq::Agent,
}

/// Why a request did not give the answer wanted.
#[derive(Debug)]
pub enum ApiFailure {
    /// The server answered with an error status; `problem` is its problem+json if any.
    Status { status: u16, problem: Value },
    /// No answer (connection refused, timeout, unreadable body).
    Transport(String),
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiFailure::Status { status, problem } => {
                let title = problem["title"].as_str().unwrap_or("error");
                write!(f, "HTTP {status}: {title}")?;
                if let Some(d) = problem["detail"].as_str() {
                    write!(f, ": {d}")?;
                }
                for e in problem["errors"].as_array().into_iter().flatten() {
                    write!(
                        f,
                        "\n  {}: {}",
                        e["pointer"].as_str().unwrap_or(""),
                        e["detail"].as_str().unwrap_or("")
                    )?;
                }
                Ok(())
            }
            ApiFailure::Transport(e) => write!(f, "no answer from the API: {e}"),
        }
    }
}

impl Client {
    pub fn new(base: &str, token: &str) -> Client {
        Client {
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
            // Dry runs and check-now wait for a whole round (probe timeouts are at most 30 s).
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(120))
                .build(),
        }
    }

    fn send(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, ApiFailure> {
        let req = self
            .agent
            .request(method, &format!("{}{path}", self.base))
            .set("authorization", &format!("Bearer {}", self.token));
        let answer = match body {
            Some(b) => req.send_json(b.clone()),
            None if method == "POST" => req.send_bytes(&[]),
            None => req.call(),
        };
        match answer {
            Ok(resp) if resp.status() == 204 => Ok(Value::Null),
            Ok(resp) => {
                let status = resp.status();
                let text = resp
                    .into_string()
                    .map_err(|e| ApiFailure::Transport(e.to_string()))?;
                serde_json::from_str(&text).map_err(|e| {
                    let start: String = text.chars().take(200).collect();
                    ApiFailure::Transport(format!(
                        "HTTP {status} with a body that is not JSON ({e}): {start}"
                    ))
                })
            }
            Err(ureq::Error::Status(status, resp)) => Err(ApiFailure::Status {
                status,
                problem: resp.into_json::<Value>().unwrap_or(Value::Null),
            }),
            Err(e) => Err(ApiFailure::Transport(e.to_string())),
        }
    }

    pub fn get(&self, path: &str) -> Result<Value, ApiFailure> {
        self.send("GET", path, None)
    }

    pub fn post(&self, path: &str, body: Option<&Value>) -> Result<Value, ApiFailure> {
        self.send("POST", path, body)
    }

    pub fn patch(&self, path: &str, body: &Value) -> Result<Value, ApiFailure> {
        self.send("PATCH", path, Some(body))
    }

    pub fn delete(&self, path: &str) -> Result<Value, ApiFailure> {
        self.send("DELETE", path, None)
    }

    /// Every item of a paged list (bounded: at most 1,000 pages of 100).
    pub fn list_all(&self, path: &str) -> Result<Vec<Value>, ApiFailure> {
        let mut items = Vec::new();
        let mut cursor = String::new();
        for _ in 0..1_000 {
            let sep = if path.contains('?') { '&' } else { '?' };
            let page = self.get(&format!("{path}{sep}limit=100&cursor={cursor}"))?;
            items.extend(page["items"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = c.to_string(),
                None => break,
            }
        }
        Ok(items)
    }
}
