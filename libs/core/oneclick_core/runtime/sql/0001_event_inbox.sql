-- Events a consumer has handled, so a redelivered event is recognised and skipped (idempotent handlers).
CREATE TABLE event_inbox (
    consumer     text        NOT NULL,
    event_id     text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
CREATE INDEX event_inbox_processed_at ON event_inbox (processed_at);
