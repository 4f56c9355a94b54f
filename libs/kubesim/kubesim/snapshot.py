"""The state file: every object plus the resourceVersion counter, written atomically."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import orjson

JSON = dict[str, Any]
FORMAT_VERSION = 1
log = logging.getLogger("kubesim.snapshot")


def write(path: Path, state: JSON) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = orjson.dumps({"kubesimSnapshot": FORMAT_VERSION, **state})
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def read(path: Path) -> JSON | None:
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        log.warning("ignoring unreadable snapshot %s: %s", path, exc)
        return None
    if not isinstance(data, dict) or data.get("kubesimSnapshot") != FORMAT_VERSION:
        log.warning("ignoring snapshot %s of an unknown format", path)
        return None
    return data
