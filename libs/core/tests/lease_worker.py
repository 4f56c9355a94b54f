"""A contender for a leader lease as its own process: prints ``leading NAME`` while it leads.

Usage: python lease_worker.py NATS_URL LEASE NAME TTL
"""

from __future__ import annotations

import asyncio
import signal
import sys

import nats

from oneclick_core.bus.leases import LeaderElector, Lease, locks_bucket


async def main(nats_url: str, lease_name: str, name: str, ttl: float) -> None:
    nc = await nats.connect(nats_url)
    kv = await locks_bucket(nc.jetstream())

    async def lead() -> None:
        print(f"leading {name}", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            print(f"stepped-down {name}", flush=True)

    elector = LeaderElector(Lease(kv, lease_name, name, ttl=ttl), lead)
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(elector.stop()))
    print("ready", flush=True)
    await elector.run()
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])))
