-- The board's backlog history: how many items waited for an agent per channel at each sample
-- slot (every serving node samples every few minutes). The key makes a second sample of the
-- same slot, by a restart or another node, change nothing.
CREATE TABLE backlog_samples (
    sampled_at TIMESTAMPTZ NOT NULL,
    channel    TEXT NOT NULL,
    waiting    BIGINT NOT NULL,
    PRIMARY KEY (sampled_at, channel)
);

-- The per-agent chart reads the assignments that began or ended in the last day.
CREATE INDEX assignments_created ON assignments (created_at);
CREATE INDEX assignments_ended ON assignments (ended_at) WHERE ended_at IS NOT NULL;
