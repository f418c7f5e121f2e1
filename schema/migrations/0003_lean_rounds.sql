-- edgeprobe schema, version 3: lean storage (docs/capacity.md).
-- One row per monitor and hour, updated in place by every round (per region and path: checks,
-- failures, a latency histogram: core::record::HourStats as JSON). A WITHOUT ROWID table keyed
-- by its primary key has no second index, so a round's update writes exactly one row. The
-- cron rolls finished hours into `rollups` and deletes the rows it no longer needs; the
-- current hour is read from here, so uptime and latency show from the first check.
-- Full rows in `rounds`/`observations` are now written only for notable rounds
-- (core::record: not healthy, changed, manual, re-check, missed, or a 30-minute heartbeat).
CREATE TABLE hour_stats (
  monitor_id TEXT NOT NULL,
  hour       INTEGER NOT NULL,
  seq        INTEGER NOT NULL,
  data       TEXT NOT NULL,
  PRIMARY KEY (monitor_id, hour)
) WITHOUT ROWID;
UPDATE meta SET value = '3' WHERE key = 'schema_version';

-- A stored round is one row: its observations (one per region and path) as one JSON array
-- column, keyed by (monitor_id, started_at, id) in a WITHOUT ROWID table, which is also the
-- order every read uses. Inserting (and, past retention, deleting) a round writes one row,
-- where `rounds` + `observations` with their four indexes wrote 3 + 5 per path.
CREATE TABLE round_log (
  monitor_id    TEXT NOT NULL,
  started_at    INTEGER NOT NULL,
  id            TEXT NOT NULL,
  kind          TEXT NOT NULL,          -- scheduled | recheck | manual | missed
  scheduled_for INTEGER NOT NULL,
  finished_at   INTEGER NOT NULL,
  verdict       TEXT,                   -- NULL for missed rounds
  severity      TEXT,
  diagnosis     TEXT,                   -- core::diagnosis::Diagnosis as JSON
  observations  TEXT NOT NULL DEFAULT '[]', -- [{region, path, at, ok, latency_ms, colo, data}]
  PRIMARY KEY (monitor_id, started_at, id)
) WITHOUT ROWID;
INSERT INTO round_log (monitor_id, started_at, id, kind, scheduled_for, finished_at, verdict, severity, diagnosis, observations)
SELECT r.monitor_id, r.started_at, r.id, r.kind, r.scheduled_for, r.finished_at, r.verdict, r.severity, r.diagnosis,
  COALESCE((SELECT json_group_array(json_object('region', o.region, 'path', o.path, 'at', o.at,
      'ok', CASE WHEN o.ok IS NULL THEN NULL WHEN o.ok != 0 THEN json('true') ELSE json('false') END,
      'latency_ms', o.latency_ms, 'colo', o.colo, 'data', json(o.data)))
    FROM observations o WHERE o.round_id = r.id), '[]')
FROM rounds r;
DROP TABLE observations;
DROP TABLE rounds;
