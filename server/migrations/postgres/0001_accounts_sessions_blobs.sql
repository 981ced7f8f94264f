-- Accounts, sessions (stored as hashes of their tokens) and per-account
-- opaque blobs. Times are milliseconds since the Unix epoch.
CREATE TABLE accounts (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT      NOT NULL UNIQUE,
    password_hash TEXT      NOT NULL,
    created_ms    BIGINT    NOT NULL
);

CREATE TABLE sessions (
    token_hash   BYTEA  PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_ms   BIGINT NOT NULL,
    last_seen_ms BIGINT NOT NULL
);
CREATE INDEX sessions_by_account ON sessions (account_id);

CREATE TABLE blobs (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name       TEXT   NOT NULL,
    tag        TEXT   NOT NULL,
    data       BYTEA  NOT NULL,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (account_id, name)
);
