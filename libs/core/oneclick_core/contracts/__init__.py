"""Every message that crosses a process boundary: event envelope, event payloads, RPC methods.

No service defines a payload another service parses; they all live here, and ``docs/events.md`` is
generated from these models (``oneclick catalog``).
"""
