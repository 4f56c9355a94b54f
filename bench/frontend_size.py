"""Web UI weight: the JS and CSS a first visit transfers, against the budget of 400 KB gzip.

The built app (``frontend/build``, built first when npm is there and it is missing) is served on loopback by
the edge's own frontend handler (the same files, headers and precompressed siblings as ``make run``); headless
Chromium (Debian's) loads each page until the network is idle, and every script and stylesheet it fetched is
counted twice: as transferred (the browser's ``encodedBodySize``; Chromium asks for brotli, so this is the
smaller figure) and as gzip (the build's ``.gz`` sibling of the file: what a gzip-only client or proxy gets),
which is what the budget is about. Pages:

  login        what a new visitor downloads (``/`` redirects there);
  projects     a signed-in first load of the app (a made-up, unexpired token: the UI only checks expiry; the
               API calls it then makes get 503 from this API-less server, which the UI shows as errors);
  whole app    every JS and CSS file of the build: an upper bound no single page reaches.
"""

from __future__ import annotations

import base64
import gzip
import json
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from playwright.sync_api import sync_playwright

from bench.reporting import report, table
from oneclick_cli.processes import free_port
from oneclick_edge.apis import frontend
from oneclick_edge.context import EdgeContext
from oneclick_edge.settings import EdgeSettings

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "frontend" / "build"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BUDGET = 400 * 1024

# Performance entries of the scripts and stylesheets the page fetched (module preloads count as links).
RESOURCES = """() => performance.getEntriesByType("resource")
  .filter((e) => /\\.(js|css)(\\?|$)/.test(e.name))
  .map((e) => ({ url: e.name, transferred: e.encodedBodySize, decoded: e.decodedBodySize }))"""


def _ensure_build() -> None:
    if (BUILD / "index.html").exists():
        return
    if shutil.which("npm") is None:
        raise SystemExit("frontend/build is missing and npm is not installed: run `make frontend` first")
    subprocess.run(["make", "frontend"], cwd=REPO, check=True)


def _gzip_size(path: Path) -> int:
    sibling = path.with_name(path.name + ".gz")
    return sibling.stat().st_size if sibling.exists() else len(gzip.compress(path.read_bytes(), 9))


def _file_of(url: str) -> Path:
    return BUILD / urlsplit(url).path.lstrip("/")


class _Server:
    """The edge's frontend handler alone on a free loopback port, in a thread."""

    def __init__(self) -> None:
        app = FastAPI()
        # The frontend handler needs only the settings; no request here reaches the API.
        app.state.edge = EdgeContext(
            settings=EdgeSettings(frontend_dir=BUILD),
            rpc=None,  # type: ignore[arg-type]
            instance="bench",
            version="bench",
        )
        frontend.install(app)

        @app.api_route("/api/{path:path}", methods=["GET", "POST", "PATCH", "DELETE"])
        async def no_api(path: str) -> JSONResponse:
            # There is no API here: answer as an unavailable one, which the UI shows without signing out.
            return JSONResponse({"status": 503, "message": "Service unavailable.", "data": {}}, status_code=503)

        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the static server did not start")
            time.sleep(0.02)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def _signed_in_state() -> str:
    """localStorage content the PocketBase SDK reads as a valid session (it checks the token's expiry only)."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    token = ".".join(
        [
            part({"alg": "EdDSA", "typ": "JWT"}),
            part(
                {
                    "id": "benchuser000000",
                    "type": "auth",
                    "collectionId": "_pb_users_auth_",
                    "exp": int(time.time()) + 3600,
                }
            ),
            "c2lnbmF0dXJl",
        ]
    )
    record = {
        "id": "benchuser000000",
        "collectionId": "_pb_users_auth_",
        "collectionName": "users",
        "email": "bench@example.com",
        "name": "Bench",
    }
    return json.dumps({"token": token, "record": record})


def _page_figures(base: str, path: str, signed_in: bool) -> dict[str, Any]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(base_url=base)
            if signed_in:
                context.add_init_script(f"localStorage.setItem('pocketbase_auth', {json.dumps(_signed_in_state())})")
            page = context.new_page()
            page.goto(path, wait_until="networkidle")
            entries = page.evaluate(RESOURCES)
            final = urlsplit(page.url).path
        finally:
            browser.close()
    seen: dict[str, dict[str, Any]] = {entry["url"]: entry for entry in entries}
    files = [(_file_of(url), entry) for url, entry in seen.items()]
    return {
        "page": path,
        "landed_on": final,
        "js_files": sum(1 for f, _ in files if f.suffix == ".js"),
        "css_files": sum(1 for f, _ in files if f.suffix == ".css"),
        "transferred_bytes": sum(int(e["transferred"]) for _, e in files),
        "raw_bytes": sum(f.stat().st_size for f, _ in files),
        "gzip_bytes": sum(_gzip_size(f) for f, _ in files),
    }


def _whole_app() -> dict[str, Any]:
    files = [f for f in (BUILD / "_app").rglob("*") if f.suffix in (".js", ".css")]
    return {
        "page": "whole app",
        "landed_on": "-",
        "js_files": sum(1 for f in files if f.suffix == ".js"),
        "css_files": sum(1 for f in files if f.suffix == ".css"),
        "transferred_bytes": None,
        "raw_bytes": sum(f.stat().st_size for f in files),
        "gzip_bytes": sum(_gzip_size(f) for f in files),
    }


def measure() -> dict[str, Any]:
    _ensure_build()
    with _Server() as base:
        pages = [_page_figures(base, "/", signed_in=False), _page_figures(base, "/app/projects", signed_in=True)]
    pages.append(_whole_app())
    for figures in pages:
        figures["within_budget"] = figures["gzip_bytes"] < BUDGET
    return {"budget_bytes": BUDGET, "pages": pages}


def show(figures: dict[str, Any]) -> None:
    def kb(value: int | None) -> str:
        return "-" if value is None else f"{value / 1024:.1f}"

    rows = [
        [
            p["page"],
            p["landed_on"],
            p["js_files"],
            p["css_files"],
            kb(p["raw_bytes"]),
            kb(p["transferred_bytes"]),
            kb(p["gzip_bytes"]),
            f"{p['gzip_bytes'] / figures['budget_bytes'] * 100:.0f} %",
            "yes" if p["within_budget"] else "NO",
        ]
        for p in figures["pages"]
    ]
    print(
        table(
            [
                "first load of",
                "landed on",
                "JS",
                "CSS",
                "raw KB",
                "transferred KB (br)",
                "gzip KB",
                "of 400 KB budget",
                "within",
            ],
            rows,
        )
    )


def main() -> None:
    figures = measure()
    show(figures)
    report("frontend_size", figures)
