"""Running kubesim for tests in other packages: a real subprocess on a free port, reached over real HTTP.

with KubesimProcess(timings="fast") as kubesim:
    os.environ["KUBECONFIG"] = str(kubesim.kubeconfig)
    ...                      # kubernetes-asyncio, kubectl, the platform's services
    kubesim.stats()          # /kubesim/stats as a dict
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml


class KubesimError(RuntimeError):
    pass


class KubesimProcess:
    """``python -m kubesim.cli serve`` in its own process group, with a kubeconfig in a temporary directory."""

    def __init__(
        self,
        timings: str = "fast",
        *,
        tls: bool = False,
        token: str | None = None,
        state_file: Path | None = None,
        watch_history: int | None = None,
        seed: int | None = None,
        workdir: Path | None = None,
        extra_args: list[str] | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        self.timings = timings
        self.tls = tls
        self.token = token
        self.state_file = state_file
        self.watch_history = watch_history
        self.seed = seed
        self.extra_args = list(extra_args or [])
        self.startup_timeout = startup_timeout
        self._own_dir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="kubesim-"))
        self.kubeconfig = self.workdir / "kubeconfig"
        self.log_file = self.workdir / "kubesim.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.ca_file: Path | None = None

    def command(self) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "kubesim.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--kubeconfig",
            str(self.kubeconfig),
            "--timings",
            self.timings,
        ]
        if self.state_file is not None:
            command += ["--state-file", str(self.state_file)]
        if self.tls:
            command.append("--tls")
        if self.token is not None:
            command += ["--token", self.token]
        if self.watch_history is not None:
            command += ["--watch-history", str(self.watch_history)]
        if self.seed is not None:
            command += ["--seed", str(self.seed)]
        return command + self.extra_args

    def start(self) -> KubesimProcess:
        if self.process is not None:
            raise KubesimError("already started")
        self.kubeconfig.unlink(missing_ok=True)
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + self.startup_timeout
        while not self.kubeconfig.exists():
            if self.process.poll() is not None:
                raise KubesimError(f"kubesim exited with code {self.process.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                self.stop()
                raise KubesimError(f"kubesim did not start within {self.startup_timeout:g}s:\n{self.log()}")
            time.sleep(0.02)
        config = yaml.safe_load(self.kubeconfig.read_text())
        cluster = config["clusters"][0]["cluster"]
        self.url = str(cluster["server"])
        if "certificate-authority-data" in cluster:
            import base64

            self.ca_file = self.workdir / "ca.crt"
            self.ca_file.write_bytes(base64.b64decode(cluster["certificate-authority-data"]))
        return self

    def log(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-20000:]
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM (kubesim writes its snapshot), then SIGKILL if it does not exit in time."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.process = None
        return process.returncode

    def kill(self) -> None:
        """SIGKILL: no snapshot at exit (the periodic one may exist)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> KubesimProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cleanup()

    # --- talking to it without a Kubernetes client ----------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", content_type)
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        context = ssl.create_default_context(cafile=str(self.ca_file)) if self.ca_file else None
        try:
            with urllib.request.urlopen(request, context=context, timeout=30) as response:
                raw = response.read()
                code = response.status
        except urllib.error.HTTPError as exc:
            raw, code = exc.read(), exc.code
        try:
            return code, json.loads(raw) if raw else None
        except ValueError:
            return code, raw.decode(errors="replace")

    def stats(self, reset: bool = False) -> dict[str, Any]:
        code, data = self.request("GET", "/kubesim/stats" + ("?reset=true" if reset else ""))
        if code != 200 or not isinstance(data, dict):
            raise KubesimError(f"/kubesim/stats answered {code}: {data}")
        return data

    def environment(self) -> dict[str, str]:
        return {**os.environ, "KUBECONFIG": str(self.kubeconfig)}


class Kubectl:
    """The kubectl binary against a kubeconfig, with a home and cache of its own (tests never touch ~/.kube)."""

    def __init__(self, kubeconfig: Path, cache_dir: Path) -> None:
        self.kubeconfig = kubeconfig
        self.cache_dir = cache_dir
        self.binary = shutil.which("kubectl") or "kubectl"

    def env(self) -> dict[str, str]:
        return {**os.environ, "KUBECONFIG": str(self.kubeconfig), "HOME": str(self.cache_dir)}

    def args(self, *args: str) -> list[str]:
        return [self.binary, "--cache-dir", str(self.cache_dir / "cache"), *args]

    def run(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            self.args(*args), input=input, capture_output=True, text=True, env=self.env(), timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.args(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env()
        )
