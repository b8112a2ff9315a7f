-- API tokens: a short prefix of the plaintext (shown in lists so admins can tell tokens apart;
-- the rest is never stored) and when a token was last used.
ALTER TABLE api_tokens ADD COLUMN prefix TEXT;
ALTER TABLE api_tokens ADD COLUMN last_used_at TEXT;
