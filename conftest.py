"""Fixtures every test in the repository can use: real NATS, PostgreSQL and service processes."""

pytest_plugins = ("oneclick_testing.plugin",)
