"""What runs a service: the process (``service``), its admin HTTP server (``admin``, ``serving``), its PostgreSQL pool
and migrations (``database``, ``migrations``, ``sql/``), and the transactional outbox and inbox of its events.

The layer above the pure helpers at ``oneclick_core``'s top level (ids, timestamps, errors, settings, contracts,
search, …) and beside ``bus`` (NATS); libraries that stay pure never import from here.
"""
