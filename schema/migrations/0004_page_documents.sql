-- edgeprobe schema, version 4: precomputed public documents (issue 12 item 5).
-- The cron builds the status pages' and badges' documents and writes each here only when its
-- content changed (content hash, when, how often, and the document itself), so deciding what
-- changed costs one query and a public page or badge reads one row.
CREATE TABLE page_documents (
  key TEXT PRIMARY KEY,
  hash TEXT NOT NULL,
  written_at INTEGER NOT NULL,
  writes INTEGER NOT NULL DEFAULT 0,
  text TEXT                      -- the document (JSON); public routes read it with one query
);
UPDATE meta SET value = '4' WHERE key = 'schema_version';
