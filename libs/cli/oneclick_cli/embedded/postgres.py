"""PostgreSQL from the ``pgserver`` wheel's binaries, on a free loopback port, data kept on disk.

We run the ``postgres`` binary ourselves rather than through pgserver's Python wrapper: it listens on a
Unix socket only and manages servers across processes with lock files, while the platform wants a TCP
URL it can hand to every service and a server whose life is tied to the dev runner or test session.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import signal
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from oneclick_cli.processes import die_with_parent, free_port, stop_process, wait_for_port

DATABASE = "oneclick"
SUPERUSER = "postgres"
# PostgreSQL refuses to run as root; when we are root, the server runs as this unprivileged user.
UNPRIVILEGED_USER = "nobody"


def postgres_bin_dir() -> Path:
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the pgserver wheel is not installed; run `make install`")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.data_dir = data_dir.resolve()
        self.host = host
        self.port = port
        self._bin = postgres_bin_dir()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{DATABASE}"

    def _as_server_user(self) -> dict[str, Any]:
        if os.geteuid() != 0:
            return {}
        entry = pwd.getpwnam(UNPRIVILEGED_USER)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def _check_traversable(self) -> None:
        if os.geteuid() != 0:
            return
        # The server user must be able to reach the data directory through every parent.
        for parent in reversed(self.data_dir.parents):
            if not os.stat(parent).st_mode & 0o001:
                raise PermissionError(
                    f"{parent} is not searchable by others, so PostgreSQL (running as {UNPRIVILEGED_USER}) "
                    f"cannot reach {self.data_dir}; use a data directory outside it or set ONECLICK_DATABASE_URL"
                )

    def _initdb(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        identity = self._as_server_user()
        if identity:
            os.chown(self.data_dir, identity["user"], identity["group"])
        self.data_dir.chmod(0o700)
        subprocess.run(
            [
                str(self._bin / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-instructions",
            ],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            **identity,
        )

    def _stop_leftover(self) -> None:
        """A server from a run that was killed may still hold the data directory: shut it down."""
        pid_file = self.data_dir / "postmaster.pid"
        with contextlib.suppress(FileNotFoundError, ValueError, IndexError):
            pid = int(pid_file.read_text().splitlines()[0])
            try:
                os.kill(pid, signal.SIGINT)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    return
                time.sleep(0.1)

    def start(self, timeout: float = 30.0) -> str:
        self._check_traversable()
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        else:
            self._stop_leftover()
        if not self.port:
            self.port = free_port(self.host)
        log_file = (self.data_dir.parent / f"{self.data_dir.name}.log").open("ab")
        try:
            self._process = subprocess.Popen(
                [
                    str(self._bin / "postgres"),
                    "-D",
                    str(self.data_dir),
                    "-h",
                    self.host,
                    "-p",
                    str(self.port),
                    "-c",
                    "unix_socket_directories=",
                    "-c",
                    "max_connections=200",
                ],
                # Own process group: a Ctrl-C in the terminal reaches only the runner, which stops
                # PostgreSQL last, after the services that use it.
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
                # SIGINT is PostgreSQL's fast shutdown: clients are disconnected and data is flushed.
                preexec_fn=die_with_parent(signal.SIGINT),
                process_group=0,
                **self._as_server_user(),
            )
        finally:
            log_file.close()
        try:
            wait_for_port(self.host, self.port, timeout, self._process)
            self._wait_accepting(timeout)
            self._ensure_database()
        except Exception:
            self.stop()
            raise
        return self.url

    def _psql(self, database: str, sql: str) -> str:
        result = subprocess.run(
            [
                str(self._bin / "psql"),
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                SUPERUSER,
                "-d",
                database,
                "-tAc",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        return result.stdout.strip()

    def _wait_accepting(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            probe = subprocess.run(
                [str(self._bin / "pg_isready"), "-h", self.host, "-p", str(self.port), "-U", SUPERUSER],
                capture_output=True,
                stdin=subprocess.DEVNULL,
            )
            if probe.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"PostgreSQL on port {self.port} not ready after {timeout:g}s")
            time.sleep(0.1)

    def _ensure_database(self) -> None:
        if self._psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'") != "1":
            self._psql("postgres", f'CREATE DATABASE "{DATABASE}"')

    def stop(self, timeout: float = 20.0) -> None:
        if self._process is not None:
            stop_process(self._process, signal.SIGINT, timeout)
            self._process = None

    def kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
