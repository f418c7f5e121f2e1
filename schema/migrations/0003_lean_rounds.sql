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
