-- Agents whose skill list an admin set (`PUT /api/v1/agents/{login}/routing` or the admin agent
-- page): the list is the admin's from then on, and `agent_skills` master-data imports leave that
-- agent's skills alone (their rows count as unchanged).
CREATE TABLE agent_skills_set_by_admin (
    agent_id TEXT PRIMARY KEY REFERENCES agents (agent_id),
    set_at   TIMESTAMPTZ NOT NULL
);
