-- edgeprobe schema, version 6: incident communication (issue 15). Operators post updates to
-- incidents (automatic or manual) and open manual incidents (core::communication).
-- A manual incident is a row of `incidents` with kind = 'manual': monitor_id is '' (its
-- monitors, none for a site-wide incident, are rows of incident_monitors), verdict 'manual',
-- data the core's ManualIncident as JSON. Automatic rows keep kind = 'automatic'.
ALTER TABLE incidents ADD COLUMN kind TEXT NOT NULL DEFAULT 'automatic';
CREATE TABLE incident_monitors (
  incident_id TEXT NOT NULL,
  monitor_id  TEXT NOT NULL,
  PRIMARY KEY (incident_id, monitor_id)
);
CREATE INDEX incident_monitors_monitor ON incident_monitors (monitor_id);
CREATE INDEX incidents_kind ON incidents (kind, opened_at DESC);
-- One row per operator update, oldest first by `at`.
CREATE TABLE incident_updates (
  id          TEXT PRIMARY KEY,
  incident_id TEXT NOT NULL,
  at          INTEGER NOT NULL,
  state       TEXT NOT NULL,             -- investigating | identified | monitoring | resolved
  message     TEXT NOT NULL
);
CREATE INDEX incident_updates_incident ON incident_updates (incident_id, at);
UPDATE meta SET value = '6' WHERE key = 'schema_version';
