"""A watch as the API server streams it: the request's parameters, its events encoded as JSON lines (or one-row
Tables), bookmarks, and the end after ``timeoutSeconds``. What a watch request reads is a stream of bytes;
``app.py`` makes the HTTP response."""

from __future__ import annotations

import asyncio
import random
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from kubesim import status, tables
from kubesim.apiserver import ApiServer
from kubesim.query import flag as query_flag
from kubesim.query import integer
from kubesim.resources import ResourceType
from kubesim.selectors import (
    FieldSelector,
    LabelSelector,
    SelectorError,
    check_fields,
    parse_field_selector,
    parse_label_selector,
)
from kubesim.store import Store, Watcher

JSON = dict[str, Any]
# Encoded watch events, shared by every watcher of the same resource: (type, resource, resourceVersion, version).
EncodedEvents = OrderedDict[tuple[str, str, str, str], bytes]
ENCODED_KEPT = 4096


@dataclass(frozen=True)
class WatchParams:
    labels: LabelSelector
    fields: FieldSelector
    since: int | None  # None: start with the current state (synthetic ADDED events)
    bookmarks: bool
    send_initial: bool  # end the initial events with a bookmark that says so
    timeout: float

    @staticmethod
    def parse(kind: str, query: Mapping[str, str]) -> WatchParams:
        """The parameters of a watch of ``kind``, refused as the API server refuses them."""
        try:
            labels = parse_label_selector(query.get("labelSelector"))
            fields = parse_field_selector(query.get("fieldSelector"))
            check_fields(kind, fields)
        except SelectorError as exc:
            raise status.bad_request(str(exc)) from None
        rv_text = query.get("resourceVersion") or ""
        try:
            since = None if rv_text in ("", "0") else int(rv_text)
        except ValueError:
            raise status.bad_request(f"invalid resource version: {rv_text!r}") from None
        send_initial = query_flag(query.get("sendInitialEvents"))
        if send_initial and since is not None:
            raise status.invalid(
                "ListOptions",
                "meta.k8s.io",
                "",
                [
                    status.Cause(
                        "FieldValueForbidden",
                        "Forbidden: sendInitialEvents is forbidden for watch unless the resourceVersion is empty or 0",
                        "sendInitialEvents",
                    )
                ],
            )
        timeout = integer(query.get("timeoutSeconds"), "timeoutSeconds")
        if timeout is None:
            # Like --min-request-timeout: open-ended watches end after 30-60 minutes.
            timeout = int(1800 * (1 + random.random()))
        return WatchParams(
            labels=labels,
            fields=fields,
            since=since,
            send_initial=send_initial,
            timeout=timeout,
            bookmarks=query_flag(query.get("allowWatchBookmarks")),
        )


class EventEncoder:
    """Watch events of one resource as the client asked for them: objects in the requested version, or one-row
    Tables (``table_version``)."""

    def __init__(
        self,
        api: ApiServer,
        rt: ResourceType,
        cache: EncodedEvents,
        *,
        table_version: str = "",
        include: str = "Metadata",
    ) -> None:
        self.api = api
        self.rt = rt
        self.cache = cache
        self.table_version = table_version
        self.include = include

    def event(self, event_type: str, obj: JSON) -> bytes:
        if self.table_version:
            table = tables.table(
                self.rt,
                [self.api.as_version(obj, self.rt)],
                {"resourceVersion": obj["metadata"].get("resourceVersion", "")},
                self.include,
                api_version=self.table_version,
            )
            return orjson.dumps({"type": event_type, "object": table}) + b"\n"
        # Every write has its own resourceVersion, so this key names one encoding of one event.
        key = (event_type, self.rt.key, str(obj["metadata"].get("resourceVersion", "")), self.rt.api_version)
        line = self.cache.get(key)
        if line is None:
            line = orjson.dumps({"type": event_type, "object": self.api.as_version(obj, self.rt)}) + b"\n"
            self.cache[key] = line
            if len(self.cache) > ENCODED_KEPT:
                self.cache.popitem(last=False)
        return line

    def bookmark(self, resource_version: int, initial_end: bool = False) -> bytes:
        meta: JSON = {"resourceVersion": str(resource_version)}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        return (
            orjson.dumps(
                {
                    "type": "BOOKMARK",
                    "object": {"kind": self.rt.kind, "apiVersion": self.rt.api_version, "metadata": meta},
                }
            )
            + b"\n"
        )


def expired(message: str) -> bytes:
    """The one line of a watch whose resourceVersion is older than the history kept: an ERROR event (410)."""
    return orjson.dumps({"type": "ERROR", "object": status.gone(message).to_status()}) + b"\n"


async def stream(
    store: Store, watcher: Watcher, encoder: EventEncoder, params: WatchParams, bookmark_interval: float
) -> AsyncIterator[bytes]:
    """The watcher's events as they come (each batch one chunk), bookmarks while idle when asked for, until the
    watcher is closed or the timeout is reached; the watcher is removed however the stream ends."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + params.timeout
    initial_end_pending = params.send_initial and params.bookmarks
    try:
        while True:
            watcher.wake.clear()
            chunk = []
            while watcher.events:
                event_type, obj = watcher.events.popleft()
                chunk.append(encoder.event(event_type, obj))
            if initial_end_pending:
                chunk.append(encoder.bookmark(store.resource_version, initial_end=True))
                initial_end_pending = False
            if chunk:
                yield b"".join(chunk)
            remaining = deadline - loop.time()
            if watcher.closed or remaining <= 0:
                break
            try:
                await asyncio.wait_for(
                    watcher.wake.wait(), timeout=min(remaining, bookmark_interval) if params.bookmarks else remaining
                )
            except TimeoutError:
                if params.bookmarks and not watcher.events and loop.time() < deadline:
                    yield encoder.bookmark(store.resource_version)
    finally:
        store.unwatch(watcher)
