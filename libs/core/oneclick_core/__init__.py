"""The shared core of One-Click's services, in layers that only import downwards.

- Pure helpers at the top level, no I/O: ids, timestamps, errors, settings, ``storable`` text, ``semver``,
  auto-update rules, Kubernetes ``kinds``, the ``tenancy`` policy, JWT ``tokens``; ``contracts/`` (every event and
  RPC as pydantic models) and ``search/`` (PocketBase's filter language compiled to SQL).
- ``observability/``: logs, metrics, trace context.
- ``bus/``: NATS — RPC, events on JetStream, consumers, leases.
- ``runtime/``: running a service — the process, its admin server, its database, migrations, outbox and inbox.
"""
