"""The NATS bus: connection, JetStream streams, event publishing and consuming, RPC, leases."""
