"""A real OCI registry for tests: Debian's ``docker-registry`` (Go distribution v2) on a free port.

Three ways to run it: anonymous, htpasswd basic auth, and bearer tokens from :class:`TokenServer`, a
small token service (real HTTP) whose signing certificate the registry trusts. Images are pushed through
the registry's HTTP API (a config blob, a layer blob, then one manifest per tag); no docker engine is
involved. The registry's access log tells how many tag listings it served.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import io
import json
import re
import secrets
import shutil
import subprocess
import tarfile
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import bcrypt
import httpx
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from oneclick_cli.processes import free_port

REGISTRY_BINARY = shutil.which("docker-registry")
requires_registry = pytest.mark.skipif(
    REGISTRY_BINARY is None,
    reason="docker-registry is not installed (apt-get install -y docker-registry; .ci/run does it)",
)

MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
SERVICE = "oneclick-test-registry"
ISSUER = "oneclick-test-token-issuer"
_LISTING = re.compile(r'"GET /v2/(?P<name>.+?)/tags/list[^"]*" (?P<status>\d{3}) ')

Auth = Literal["none", "htpasswd", "token"]


class TokenServer:
    """Issues registry bearer tokens (ES256, certificate in ``x5c``) to users with the right password, and
    with ``anonymous_pull`` pull-only tokens to anyone (as Docker Hub and GHCR do for public images).
    ``token_field`` names the answer's field: ``token``, or OAuth2's ``access_token`` some servers use."""

    def __init__(
        self, workdir: Path, users: Mapping[str, str], *, anonymous_pull: bool = False, token_field: str = "token"
    ) -> None:
        self.users = dict(users)
        self.anonymous_pull = anonymous_pull
        self.token_field = token_field
        self.port = free_port()
        self.realm = f"http://127.0.0.1:{self.port}/token"
        self.requests = 0
        self.anonymous_tokens = 0
        self._key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
        now = datetime.now(UTC)
        self._certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.bundle = workdir / "token-ca.pem"
        self.bundle.write_bytes(self._certificate.public_bytes(serialization.Encoding.PEM))
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> TokenServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def issue(self, scope: str, *, pull_only: bool = False) -> str:
        now = int(time.time())
        access = []
        if scope:
            kind, name, actions = scope.split(":", 2)
            granted = [a for a in actions.split(",") if a == "pull" or not pull_only]
            access.append({"type": kind, "name": name, "actions": granted})
        claims = {
            "iss": ISSUER,
            "sub": "test",
            "aud": SERVICE,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        x5c = [base64.b64encode(self._certificate.public_bytes(serialization.Encoding.DER)).decode()]
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"x5c": x5c})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                header = self.headers.get("Authorization", "")
                user, _, password = (
                    base64.b64decode(header[6:]).decode() if header.startswith("Basic ") else ""
                ).partition(":")
                anonymous = not header and server.anonymous_pull
                if not anonymous and (not user or server.users.get(user) != password):
                    self.send_response(401)
                    self.end_headers()
                    return
                server.anonymous_tokens += anonymous
                query = parse_qs(urlsplit(self.path).query)
                token = server.issue(query.get("scope", [""])[0], pull_only=anonymous)
                body = json.dumps({server.token_field: token}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                return

        return Handler


def _layer() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        data = b"hello from a test image\n"
        info = tarfile.TarInfo("hello.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return gzip.compress(buffer.getvalue(), mtime=0)


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Registry:
    """``docker-registry serve`` with a config written for the chosen auth mode."""

    def __init__(
        self,
        workdir: Path,
        auth: Auth = "none",
        users: Mapping[str, str] | None = None,
        *,
        anonymous_pull: bool = False,
        token_field: str = "token",
    ) -> None:
        assert REGISTRY_BINARY is not None
        self.workdir = workdir
        self.auth = auth
        self.users = dict(users or {})
        self.anonymous_pull = anonymous_pull
        self.token_field = token_field
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        self.log_path = workdir / "registry.log"
        self.tokens: TokenServer | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._pushed_blobs: set[tuple[str, str]] = set()

    def _config(self) -> str:
        lines = [
            "version: 0.1",
            "log:",
            "  level: info",
            "storage:",
            "  filesystem:",
            f"    rootdirectory: {self.workdir / 'data'}",
            "  delete:",
            "    enabled: true",
            "http:",
            f"  addr: {self.host}",
        ]
        if self.auth == "htpasswd":
            htpasswd = self.workdir / "htpasswd"
            htpasswd.write_text(
                "".join(
                    f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()}\n"
                    for user, password in self.users.items()
                )
            )
            lines += ["auth:", "  htpasswd:", "    realm: oneclick-test", f"    path: {htpasswd}"]
        elif self.auth == "token":
            self.tokens = TokenServer(
                self.workdir, self.users, anonymous_pull=self.anonymous_pull, token_field=self.token_field
            ).start()
            lines += [
                "auth:",
                "  token:",
                f"    realm: {self.tokens.realm}",
                f"    service: {SERVICE}",
                f"    issuer: {ISSUER}",
                f"    rootcertbundle: {self.tokens.bundle}",
            ]
        return "\n".join(lines) + "\n"

    def _spawn(self) -> subprocess.Popen[bytes]:
        config = self.workdir / "config.yml"
        config.write_text(self._config())
        with self.log_path.open("ab") as log:
            return subprocess.Popen(
                [str(REGISTRY_BINARY), "serve", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    async def start(self) -> Registry:
        self._process = self._spawn()
        async with httpx.AsyncClient(timeout=2) as client:
            for _ in range(300):
                if self._process.poll() is not None:
                    raise RuntimeError(f"docker-registry exited:\n{self.log()}")
                try:
                    if (await client.get(f"{self.url}/v2/")).status_code in (200, 401):
                        return self
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError(f"docker-registry did not start:\n{self.log()}")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self.tokens is not None:
            self.tokens.stop()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:] if self.log_path.exists() else ""

    def listings(self, repository: str | None = None) -> int:
        """Tag lists the registry served (200 answers to GET /v2/<name>/tags/list), optionally of one repo."""
        return sum(
            1
            for m in _LISTING.finditer(self.log_path.read_text(errors="replace"))
            if m.group("status") == "200" and (repository is None or m.group("name") == repository)
        )

    # -- pushing images through the HTTP API ------------------------------------------------------------

    async def _authorize(self, client: httpx.AsyncClient, repository: str) -> dict[str, str]:
        if self.auth == "none":
            return {}
        user, password = next(iter(self.users.items()))
        basic = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        if self.auth == "htpasswd":
            return {"Authorization": basic}
        assert self.tokens is not None
        answer = await client.get(
            self.tokens.realm,
            params={"service": SERVICE, "scope": f"repository:{repository}:pull,push"},
            headers={"Authorization": basic},
        )
        answer.raise_for_status()
        return {"Authorization": f"Bearer {answer.json()[self.token_field]}"}

    async def _upload(self, client: httpx.AsyncClient, headers: dict[str, str], repository: str, blob: bytes) -> None:
        digest = _digest(blob)
        if (repository, digest) in self._pushed_blobs:
            return
        started = await client.post(f"{self.url}/v2/{repository}/blobs/uploads/", headers=headers)
        assert started.status_code == 202, started.text
        location = httpx.URL(self.url).join(started.headers["location"])
        done = await client.put(
            location.copy_merge_params({"digest": digest}),
            content=blob,
            headers={**headers, "Content-Type": "application/octet-stream"},
        )
        assert done.status_code == 201, done.text
        self._pushed_blobs.add((repository, digest))

    async def push(self, repository: str, *tags: str) -> None:
        """Push a tiny image under each tag."""
        layer = _layer()
        config = json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "rootfs": {"type": "layers", "diff_ids": [_digest(gzip.decompress(layer))]},
            }
        ).encode()
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": MANIFEST_V2,
                "config": {
                    "mediaType": "application/vnd.docker.container.image.v1+json",
                    "size": len(config),
                    "digest": _digest(config),
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                        "size": len(layer),
                        "digest": _digest(layer),
                    }
                ],
            }
        ).encode()
        async with httpx.AsyncClient(timeout=10) as client:
            headers = await self._authorize(client, repository)
            await self._upload(client, headers, repository, layer)
            await self._upload(client, headers, repository, config)
            for tag in tags:
                put = await client.put(
                    f"{self.url}/v2/{repository}/manifests/{tag}",
                    content=manifest,
                    headers={**headers, "Content-Type": MANIFEST_V2},
                )
                assert put.status_code == 201, put.text


_LISTING_PATH = re.compile(r"^/v2/(?P<name>.+)/tags/list$")


class HoldingFront:
    """A plain HTTP front of a registry (real HTTP both ways) that forwards every request, except that the
    tag listings of repositories put on hold wait, unanswered, until released: a check that stays in
    progress for as long as a test needs, with no sleeps. Each request waits at most ``max_hold`` seconds
    (below the updater's registry timeout), so a forgotten release cannot wedge a test."""

    def __init__(self, upstream: Registry, max_hold: float = 8.0) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.max_hold = max_hold
        self.listings: list[str] = []  # repository of every tag listing received, in order
        self._lock = threading.Lock()
        self._holding: set[str] = set()
        self._waiting: dict[str, int] = {}
        self._released = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> HoldingFront:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()

    def hold(self, repository: str) -> None:
        with self._lock:
            self._holding.add(repository)
            self._released.clear()

    def release(self) -> None:
        with self._lock:
            self._holding.clear()
            self._released.set()

    def waiting(self, repository: str) -> int:
        """Tag listings of ``repository`` received and not answered yet."""
        with self._lock:
            return self._waiting.get(repository, 0)

    def _wait_if_held(self, path: str) -> None:
        match = _LISTING_PATH.match(urlsplit(path).path)
        if match is None:
            return
        name = match.group("name")
        with self._lock:
            self.listings.append(name)
            if name not in self._holding:
                return
            self._waiting[name] = self._waiting.get(name, 0) + 1
        try:
            self._released.wait(self.max_hold)
        finally:
            with self._lock:
                self._waiting[name] -= 1

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        front = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                front._wait_if_held(self.path)
                headers = {
                    key: value for key, value in self.headers.items() if key.lower() in ("authorization", "accept")
                }
                try:
                    answer = httpx.get(front.upstream.url + self.path, headers=headers, timeout=10)
                except httpx.HTTPError:
                    self.send_response(502)
                    self.end_headers()
                    return
                body = answer.content
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() in ("content-type", "link", "www-authenticate", "docker-distribution-api-version"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass  # the client went away while its request was held (a killed replica)

            def log_message(self, *_: Any) -> None:
                return

        return Handler
