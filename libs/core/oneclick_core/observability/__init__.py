"""Logs (structlog, secrets scrubbed), Prometheus metrics and trace context: what every process reports, used by
the bus and the runtime alike."""
