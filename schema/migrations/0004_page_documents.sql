-- edgeprobe schema, version 4: precomputed public documents (issue 12 item 5).
-- The cron builds the status pages' and badges' documents and writes each to KV only when its
-- content changed; this table remembers what was written (content hash, when, how often), so
-- deciding what changed costs one query, not one KV read per document.
CREATE TABLE page_documents (
  key TEXT PRIMARY KEY,
  hash TEXT NOT NULL,
  written_at INTEGER NOT NULL,
  writes INTEGER NOT NULL DEFAULT 0
);
UPDATE meta SET value = '4' WHERE key = 'schema_version';
