-- edgeprobe schema, version 2: optimistic concurrency for configuration.
-- Every write of a monitor or channel increments `version` and is conditional on the version
-- its writer read (`UPDATE … WHERE id = ? AND version = ?`), so two concurrent PATCHes can
-- never lose each other's fields; the API serves the version as the resource's strong ETag.
ALTER TABLE monitors ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE channels ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
UPDATE meta SET value = '2' WHERE key = 'schema_version';
