"""One-Click's test harness: real NATS, real PostgreSQL and service processes, never in-process fakes.

Loaded as a pytest plugin by the repository's root ``conftest.py``.
"""
