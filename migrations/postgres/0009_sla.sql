-- SLA clocks: when an item becomes at risk (boosted in its queue and flagged) beside its due time.
ALTER TABLE items ADD COLUMN sla_at_risk_at TIMESTAMPTZ;
