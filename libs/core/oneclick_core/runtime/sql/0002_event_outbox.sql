-- Events written in the same transaction as the change they describe; the relay publishes them in order.
CREATE TABLE event_outbox (
    seq        bigserial   PRIMARY KEY,
    id         text        NOT NULL UNIQUE,
    subject    text        NOT NULL,
    envelope   bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
