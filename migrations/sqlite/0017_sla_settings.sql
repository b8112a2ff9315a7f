-- SLA settings an admin edited: every saved version. The newest is in force and overrides the
-- configuration file's [sla]; a version without a document returns to the file's settings.
CREATE TABLE sla_settings_versions (
    version    INTEGER PRIMARY KEY,
    document   TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
