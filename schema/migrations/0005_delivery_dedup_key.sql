-- edgeprobe schema, version 5: each outbox row names the dedup key of its alert (the incident
-- id, or the flapping episode's key), so routing can ask "which channels were queued this
-- incident's Down?" through an index (core::alerting::route: a Resolved goes only where its
-- announcement went). Rows written before this migration have NULL here; the query falls back
-- to the key inside their alert JSON for those.
ALTER TABLE deliveries ADD COLUMN dedup_key TEXT;
CREATE INDEX deliveries_dedup_key ON deliveries (dedup_key, channel_id);
UPDATE meta SET value = '5' WHERE key = 'schema_version';
