-- edgeprobe schema, version 1.
-- Every table that holds configuration stores the checked domain type as JSON (`config`)
-- plus the columns queries filter on; history tables are append-only and pruned by age.

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('schema_version', '1');

CREATE TABLE monitors (
  id         TEXT PRIMARY KEY,
  slug       TEXT NOT NULL UNIQUE,
  public     INTEGER NOT NULL DEFAULT 0,
  config     TEXT NOT NULL,             -- core::monitor::Monitor as JSON
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX monitors_public ON monitors (public, slug);

CREATE TABLE channels (
  id         TEXT PRIMARY KEY,
  config     TEXT NOT NULL,             -- core::monitor::Channel as JSON (holds secrets; never returned)
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- One row per round per monitor (scheduled, recheck, manual, or missed).
CREATE TABLE rounds (
  id            TEXT PRIMARY KEY,
  monitor_id    TEXT NOT NULL,
  kind          TEXT NOT NULL,          -- scheduled | recheck | manual | missed
  scheduled_for INTEGER NOT NULL,
  started_at    INTEGER NOT NULL,
  finished_at   INTEGER NOT NULL,
  verdict       TEXT,                   -- NULL for missed rounds
  severity      TEXT,
  diagnosis     TEXT                    -- core::diagnosis::Diagnosis as JSON
);
CREATE INDEX rounds_monitor_time ON rounds (monitor_id, started_at DESC);

-- One row per round x region x path.
CREATE TABLE observations (
  round_id   TEXT NOT NULL,
  monitor_id TEXT NOT NULL,
  region     TEXT NOT NULL,
  path       TEXT NOT NULL,             -- edge | origin | none (region did not answer)
  at         INTEGER NOT NULL,
  ok         INTEGER,                   -- NULL when not observed
  latency_ms INTEGER,
  colo       TEXT,
  data       TEXT NOT NULL,             -- the path's observation (or the unanswered reason) as JSON
  PRIMARY KEY (round_id, region, path)
);
CREATE INDEX observations_monitor_time ON observations (monitor_id, at);
CREATE INDEX observations_monitor_region_time ON observations (monitor_id, region, path, at);
CREATE INDEX observations_time ON observations (at);

CREATE TABLE rollups (
  monitor_id   TEXT NOT NULL,
  region       TEXT NOT NULL,
  path         TEXT NOT NULL,
  granularity  TEXT NOT NULL,           -- hour | day
  bucket_start INTEGER NOT NULL,
  checks       INTEGER NOT NULL,
  failures     INTEGER NOT NULL,
  data         TEXT NOT NULL,           -- core::rollup::Rollup as JSON (latency histogram)
  PRIMARY KEY (monitor_id, granularity, bucket_start, region, path)
);
CREATE INDEX rollups_time ON rollups (granularity, bucket_start);

-- The alert state machine's state per monitor.
CREATE TABLE alert_state (
  monitor_id TEXT PRIMARY KEY,
  state      TEXT NOT NULL,             -- core::alerting state as JSON
  updated_at INTEGER NOT NULL
);

CREATE TABLE incidents (
  id         TEXT PRIMARY KEY,
  monitor_id TEXT NOT NULL,
  opened_at  INTEGER NOT NULL,
  closed_at  INTEGER,
  verdict    TEXT NOT NULL,
  data       TEXT NOT NULL              -- the incident with its timeline as JSON
);
CREATE INDEX incidents_monitor ON incidents (monitor_id, opened_at DESC);

-- The outbox: one row per alert x channel, written in the same batch as the state change.
CREATE TABLE deliveries (
  id              TEXT PRIMARY KEY,
  alert_id        TEXT NOT NULL,        -- webhook-id: the same on every retry
  channel_id      TEXT NOT NULL,
  monitor_id      TEXT NOT NULL,
  kind            TEXT NOT NULL,
  alert           TEXT NOT NULL,        -- core::alerting Alert as JSON
  status          TEXT NOT NULL,        -- pending | delivered | dead
  attempts        INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT,
  delivered_at    INTEGER
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_channel ON deliveries (channel_id, created_at DESC);

CREATE TABLE delivery_attempts (
  delivery_id TEXT NOT NULL,
  attempt     INTEGER NOT NULL,
  at          INTEGER NOT NULL,
  status_code INTEGER,
  error       TEXT,
  duration_ms INTEGER NOT NULL,
  PRIMARY KEY (delivery_id, attempt)
);
