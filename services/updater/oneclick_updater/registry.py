"""Listing an image's tags from any OCI distribution (v2) registry.

``GET /v2/<name>/tags/list`` page by page (``Link: <...>; rel="next"``), answering the registry's
challenge: ``Basic`` with the manifest's username and password, ``Bearer`` by fetching a token from the
realm it names (anonymously, or with those credentials). Docker Hub is reached at its API host with
the ``library/`` prefix for official images, as the Docker CLI does. Transient failures (network, 5xx,
429) are retried with exponential backoff and full jitter; a ``Retry-After`` is honoured up to a cap.

Credentials go only into request headers; neither they nor tokens appear in errors or logs.
"""

from __future__ import annotations

import asyncio
import base64
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx
import re2

from oneclick_core.logs import get_logger

log = get_logger(__name__)

DOCKER_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com",
                                "hub.docker.com"})
DOCKER_HUB_API = "https://registry-1.docker.io"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
_LINK_NEXT = re2.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
_CHALLENGE_PARAM = re2.compile(r'(\w+)\s*=\s*(?:"([^"]*)"|([^\s,]+))')


class RegistryError(Exception):
    """A listing failed; the message is safe to store and show (no credentials)."""

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)

    @property
    def usable(self) -> bool:
        # One-Click sent credentials only when both were set.
        return bool(self.username and self.password)


@dataclass(frozen=True)
class Repository:
    """Where an image's tags live: ``base_url`` of the registry API and the repository ``name`` there."""

    registry: str
    base_url: str
    name: str

    @classmethod
    def of(cls, registry: str, repository: str, insecure: frozenset[str] = frozenset()) -> Repository:
        host = registry.strip().lower()
        if host in DOCKER_HUB_ALIASES:
            return cls(registry, DOCKER_HUB_API, repository if "/" in repository else f"library/{repository}")
        hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        scheme = "http" if hostname in LOOPBACK_HOSTS or host in insecure or hostname in insecure else "https"
        return cls(registry, f"{scheme}://{host}", repository)

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc


@dataclass(frozen=True)
class Listing:
    tags: list[str]
    requests: int


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    backoff: float = 0.5
    max_retry_after: float = 30.0


def _challenge(header: str) -> tuple[str, dict[str, str]]:
    scheme, _, rest = header.strip().partition(" ")
    params = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
              for m in _CHALLENGE_PARAM.finditer(rest)}
    return scheme.lower(), params


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(moment.timestamp() - time.time(), 0.0)


def _next_page(link: str | None, current: str) -> str | None:
    if not link:
        return None
    found = _LINK_NEXT.search(link)
    if found is None:
        return None
    target: str = urljoin(current, str(found.group(1)))
    here, there = urlsplit(current), urlsplit(target)
    if (here.scheme, here.netloc) != (there.scheme, there.netloc):
        # Our token or password must not follow a link to another host.
        raise RegistryError("The registry's next-page link points to another host.")
    return target


def _basic(creds: Credentials) -> str:
    return "Basic " + base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()


def _error_detail(response: httpx.Response) -> str:
    try:
        errors = response.json().get("errors") or []
        return str(errors[0].get("message") or errors[0].get("code")) if errors else ""
    except (ValueError, AttributeError, IndexError):
        return ""


Observer = Callable[[str, str], None]  # (registry host, outcome) of every HTTP request, for metrics


class RegistryClient:
    def __init__(self, http: httpx.AsyncClient, *, page_size: int = 1000, retry: RetryPolicy | None = None,
                 observe: Observer | None = None) -> None:
        self._http = http
        self._page_size = page_size
        self._retry = retry or RetryPolicy()
        self._observe = observe

    async def list_tags(self, repository: Repository, credentials: Credentials | None = None) -> Listing:
        creds = credentials if credentials is not None and credentials.usable else None
        url: str | None = f"{repository.base_url}/v2/{repository.name}/tags/list?n={self._page_size}"
        authorization: str | None = None
        tags: list[str] = []
        requests = 0
        while url is not None:
            response = await self._get(url, authorization)
            requests += 1
            if response.status_code == 401 and authorization is None:
                authorization, token_requests = await self._authorize(response, repository, creds)
                requests += token_requests
                if authorization is not None:
                    response = await self._get(url, authorization)
                    requests += 1
            self._raise_for(response, repository, creds)
            try:
                page = response.json().get("tags") or []
            except (ValueError, AttributeError):
                raise RegistryError(f"{repository.host} answered the tag list with something that is not JSON."
                                    ) from None
            tags.extend(tag for tag in page if isinstance(tag, str))
            url = _next_page(response.headers.get("link"), str(response.url))
        return Listing(tags=tags, requests=requests)

    def _raise_for(self, response: httpx.Response, repository: Repository, creds: Credentials | None) -> None:
        status = response.status_code
        if status == 200:
            return
        where = f"{repository.host}/{repository.name}"
        if status in (401, 403):
            hint = "the credentials were refused" if creds else "the registry requires credentials"
            raise RegistryError(f"Not allowed to list the tags of {where}: {hint}.", status=status)
        if status == 404:
            raise RegistryError(f"{where} does not exist in the registry.", status=status)
        detail = _error_detail(response)
        raise RegistryError(f"{repository.host} answered {status} listing the tags of {where}"
                            f"{': ' + detail if detail else ''}.", status=status)

    async def _authorize(self, response: httpx.Response, repository: Repository,
                         creds: Credentials | None) -> tuple[str | None, int]:
        """The Authorization header that answers the registry's challenge, and the requests it took."""
        scheme, params = _challenge(response.headers.get("www-authenticate", ""))
        if scheme == "basic":
            if creds is None:
                return None, 0
            return _basic(creds), 0
        if scheme != "bearer" or not params.get("realm"):
            raise RegistryError(f"{repository.host} asked for an unsupported authentication ({scheme or 'none'}).",
                                status=401)
        query = {"scope": params.get("scope") or f"repository:{repository.name}:pull"}
        if params.get("service"):
            query["service"] = params["service"]
        token_response = await self._get(params["realm"], _basic(creds) if creds else None, params=query)
        if token_response.status_code in (401, 403):
            hint = "refused the credentials" if creds else "requires credentials"
            raise RegistryError(f"The token service of {repository.host} {hint}.", status=token_response.status_code)
        if token_response.status_code != 200:
            raise RegistryError(f"The token service of {repository.host} answered {token_response.status_code}.",
                                status=token_response.status_code)
        try:
            body = token_response.json()
            token = body.get("token") or body.get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            raise RegistryError(f"The token service of {repository.host} sent no token.")
        return f"Bearer {token}", 1

    async def _get(self, url: str, authorization: str | None, *,
                   params: dict[str, str] | None = None) -> httpx.Response:
        headers = {"Accept": "application/json"}
        if authorization:
            headers["Authorization"] = authorization
        host = urlsplit(url).netloc
        policy = self._retry
        for attempt in range(1, policy.attempts + 1):
            delay: float | None = None
            try:
                response = await self._http.get(url, headers=headers, params=params)
            except httpx.HTTPError as exc:
                self._count(host, "error")
                if attempt == policy.attempts:
                    raise RegistryError(f"{host} could not be reached: {type(exc).__name__}.", retryable=True
                                        ) from None
            else:
                self._count(host, str(response.status_code))
                if response.status_code not in RETRIED_STATUSES or attempt == policy.attempts:
                    return response
                delay = _retry_after(response.headers.get("retry-after"))
                if delay is not None and delay > policy.max_retry_after:
                    raise RegistryError(f"{host} asked to retry after {delay:.0f}s.",
                                        status=response.status_code, retryable=True)
            if delay is None:
                delay = random.uniform(0, policy.backoff * 2 ** (attempt - 1))
            log.info("registry.retry", host=host, attempt=attempt, retry_in=round(delay, 2))
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    def _count(self, host: str, outcome: str) -> None:
        if self._observe is not None:
            self._observe(host, outcome)
