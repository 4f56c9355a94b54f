"""structlog setup: console lines in dev, JSON lines otherwise; request and trace ids from contextvars.

Secrets never reach a log line: values under sensitive keys are replaced before rendering, whichever
library emitted the record (ours, uvicorn, nats), and so is anything in a line's message text that looks like
a token or a webhook secret — libraries write them into messages too (at debug level the WebSocket handshake logs its
request line and every header: ``< cookie: pb_auth=…``, ``< GET /ws/k8s/logs?token=…``).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any, Literal

import orjson
import structlog
from structlog.types import EventDict, Processor, WrappedLogger

SENSITIVE_KEYS = frozenset(
    {
        "password",
        "passwordconfirm",
        "oldpassword",
        "token",
        "authorization",
        "secret",
        "secrets",
        "client_secret",
        "clientsecret",
        "cookie",
        "set-cookie",
        "database_url",
        "private_key",
        "value",
    }
)
REDACTED = "[redacted]"
# A JWT (three base64url parts, the first two JSON objects: "eyJ…"), a webhook secret, and the value of a
# credential-carrying header written as text.
_SECRET_TEXT = re.compile(
    r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"
    r"|ocwh_[A-Za-z0-9_-]+"
    r"|(?<=cookie: ).+|(?<=authorization: ).+",
    re.IGNORECASE,
)


def scrub(text: str) -> str:
    """``text`` with every token, webhook secret and cookie or authorization header value replaced."""
    return _SECRET_TEXT.sub(REDACTED, text)


def redact(value: Any) -> Any:
    """A copy of ``value`` with every sensitive key's value replaced, at any depth."""
    if isinstance(value, Mapping):
        return {k: (REDACTED if str(k).lower() in SENSITIVE_KEYS else redact(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def _redact_processor(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    for key in list(event_dict):
        if key.lower() in SENSITIVE_KEYS:
            event_dict[key] = REDACTED
        elif isinstance(event_dict[key], Mapping | list | tuple):
            event_dict[key] = redact(event_dict[key])
    # The message text is where other libraries put what they log; our own fields are named, and redacted by
    # name above (a field deliberately logged, such as the dev-mode reset link, stays as it is).
    if isinstance(event_dict.get("event"), str):
        event_dict["event"] = scrub(event_dict["event"])
    return event_dict


def _orjson_dumps(value: Any, **_: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def configure_logging(service: str, fmt: Literal["console", "json"], level: str = "info") -> None:
    """Configure structlog and the standard library root logger for one service process."""
    numeric_level = logging.getLevelName(level.upper())
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact_processor,
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: Processor
    if fmt == "json":
        shared.append(structlog.processors.format_exc_info)
        renderer = structlog.processors.JSONRenderer(serializer=_orjson_dumps)
    else:
        renderer = structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )

    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric_level)
    # uvicorn installs its own handlers; route them through ours so every line has one format.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger


@contextmanager
def bound_context(**values: Any) -> Iterator[None]:
    """Bind request/trace ids for the duration of one request or message, then restore."""
    tokens = structlog.contextvars.bind_contextvars(**{k: v for k, v in values.items() if v is not None})
    try:
        yield
    finally:
        structlog.contextvars.reset_contextvars(**tokens)


def context_snapshot() -> MutableMapping[str, Any]:
    return structlog.contextvars.get_contextvars()
