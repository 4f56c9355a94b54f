"""Listing an image's tags from any OCI distribution (v2) registry.

``GET /v2/<name>/tags/list`` page by page (``Link: <...>; rel="next"``), answering the registry's
challenge: ``Basic`` with the manifest's username and password, ``Bearer`` by fetching a token from the
realm it names (anonymously, or with those credentials). Docker Hub is reached at its API host with
the ``library/`` prefix for official images, as the Docker CLI does. Transient failures (network, 5xx,
429) are retried with exponential backoff and full jitter; a ``Retry-After`` is honoured up to a cap.

Every connection goes through the registry address policy (``oneclick_updater.egress``), redirects
included, which this client follows itself. Whatever fails, the user is shown one sentence
(:data:`REGISTRY_UNREACHABLE`), so a check cannot tell an open port from a closed one or a refused address;
the detail is for the service log. The one exception, refused credentials, is told only when the answer came
from a public address, where it reveals nothing about the platform's own network.

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
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import re2

from oneclick_core.observability.logs import get_logger
from oneclick_core.storable import storable
from oneclick_updater.addresses import AddressPolicy
from oneclick_updater.egress import AddressRefused, HostNotFound, from_public_address, guarded_client

log = get_logger(__name__)

DOCKER_HUB_ALIASES = frozenset(
    {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com", "hub.docker.com"}
)
DOCKER_HUB_API = "https://registry-1.docker.io"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
# A tag list of a hundred thousand tags is a few megabytes; beyond this a "registry" is flooding us.
MAX_ANSWER_BYTES = 32 * 1024 * 1024

REGISTRY_UNREACHABLE = "The registry could not be reached."
CREDENTIALS_REFUSED = "The registry refused the credentials."
CREDENTIALS_REQUIRED = "The registry requires credentials."

_LINK_NEXT = re2.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
_CHALLENGE_PARAM = re2.compile(r'(\w+)\s*=\s*(?:"([^"]*)"|([^\s,]+))')


class RegistryError(Exception):
    """A listing failed. ``str()`` is the detail for the service log (never credentials or tokens); ``shown`` is
    what the user may see."""

    def __init__(
        self, detail: str, *, status: int | None = None, retryable: bool = False, shown: str = REGISTRY_UNREACHABLE
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.retryable = retryable
        self.shown = shown


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
    params = {
        m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
        for m in _CHALLENGE_PARAM.finditer(rest)
    }
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


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, read in full (up to :data:`MAX_ANSWER_BYTES`)."""

    url: httpx.URL
    status: int
    headers: httpx.Headers
    body: bytes
    public: bool  # it came from a public address, not one reached through the operator's exception

    def json(self) -> Any:
        return orjson.loads(self.body)


def _next_page(link: str | None, current: httpx.URL, origin: httpx.URL) -> httpx.URL | None:
    if not link:
        return None
    found = _LINK_NEXT.search(link)
    if found is None:
        return None
    try:
        target = current.join(str(found.group(1)))
    except httpx.InvalidURL:
        raise RegistryError("The registry's next-page link is not a URL.") from None
    if (target.scheme, target.netloc) != (origin.scheme, origin.netloc):
        # Our token or password must not follow a link to another host.
        raise RegistryError("The registry's next-page link points to another host.")
    return target


def _basic(creds: Credentials) -> str:
    return "Basic " + base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()


def _error_detail(answer: Answer) -> str:
    try:
        errors = answer.json().get("errors") or []
        return str(errors[0].get("message") or errors[0].get("code"))[:200] if errors else ""
    except (ValueError, AttributeError, IndexError, TypeError):
        return ""


def _tags_of(answer: Answer, where: str) -> list[str]:
    try:
        body = answer.json()
    except ValueError:
        raise RegistryError(f"{where}: the tag list is not JSON.") from None
    page = body.get("tags") if isinstance(body, dict) else None
    if page is None and isinstance(body, dict):
        return []  # an empty repository: some registries answer "tags": null
    if not isinstance(page, list):
        raise RegistryError(f"{where}: the answer has no tag list.")
    # A tag PostgreSQL cannot store (NUL, a lone surrogate) is no tag a registry could serve: left out rather
    # than failing the listing's INSERT.
    return [tag for tag in page if isinstance(tag, str) and storable(tag)]


def auth_failure(detail: str, answer: Answer, creds: Credentials | None) -> RegistryError:
    """A 401/403 from a registry or its token service. Users learn that credentials were refused only from a
    public address: there it tells nothing anybody on the internet could not find out, while at an address the
    operator's exception opened (an in-house network) it would tell which ports speak HTTP."""
    shown = REGISTRY_UNREACHABLE
    if answer.public:
        shown = CREDENTIALS_REFUSED if creds else CREDENTIALS_REQUIRED
    return RegistryError(detail, status=answer.status, shown=shown)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


Observer = Callable[[str, str], None]  # (registry host, outcome) of every HTTP request, for metrics


class RegistryClient:
    """Tag listings through policy-checked connections; owns its HTTP client (``aclose()`` it)."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        timeout: float = 10.0,
        user_agent: str = "one-click-updater",
        page_size: int = 1000,
        retry: RetryPolicy | None = None,
        observe: Observer | None = None,
    ) -> None:
        self._http = guarded_client(policy, timeout=timeout, user_agent=user_agent)
        self._timeout = timeout
        self._page_size = page_size
        self._retry = retry or RetryPolicy()
        self._observe = observe

    async def aclose(self) -> None:
        await self._http.aclose()

    async def list_tags(self, repository: Repository, credentials: Credentials | None = None) -> Listing:
        creds = credentials if credentials is not None and credentials.usable else None
        where = f"{repository.host}/{repository.name}"
        try:
            first = httpx.URL(f"{repository.base_url}/v2/{repository.name}/tags/list?n={self._page_size}")
        except httpx.InvalidURL:
            raise RegistryError(f"{where} is not a valid registry address.") from None
        url: httpx.URL | None = first
        authorization: str | None = None
        tags: list[str] = []
        requests = 0
        while url is not None:
            answer = await self._get(url, authorization)
            requests += 1
            if answer.status == 401 and authorization is None:
                authorization, token_requests = await self._authorize(answer, repository, creds)
                requests += token_requests
                if authorization is not None:
                    answer = await self._get(url, authorization)
                    requests += 1
            self._raise_for(answer, repository, creds)
            tags.extend(_tags_of(answer, where))
            url = _next_page(answer.headers.get("link"), answer.url, first)
        return Listing(tags=tags, requests=requests)

    def _raise_for(self, answer: Answer, repository: Repository, creds: Credentials | None) -> None:
        status = answer.status
        if status == 200:
            return
        where = f"{repository.host}/{repository.name}"
        if status in (401, 403):
            hint = "the credentials were refused" if creds else "the registry requires credentials"
            raise auth_failure(f"Not allowed to list the tags of {where}: {hint}.", answer, creds)
        if status == 404:
            raise RegistryError(f"{where} does not exist in the registry.", status=status)
        detail = _error_detail(answer)
        raise RegistryError(
            f"{repository.host} answered {status} listing the tags of {where}{': ' + detail if detail else ''}.",
            status=status,
        )

    async def _authorize(
        self, answer: Answer, repository: Repository, creds: Credentials | None
    ) -> tuple[str | None, int]:
        """The Authorization header that answers the registry's challenge, and the requests it took."""
        scheme, params = _challenge(answer.headers.get("www-authenticate", ""))
        if scheme == "basic":
            if creds is None:
                return None, 0
            return _basic(creds), 0
        if scheme != "bearer" or not params.get("realm"):
            raise RegistryError(
                f"{repository.host} asked for an unsupported authentication ({scheme or 'none'}).", status=401
            )
        try:
            realm = answer.url.join(params["realm"])
        except httpx.InvalidURL:
            raise RegistryError(f"{repository.host} named a token service that is not a URL.") from None
        if realm.scheme not in ("http", "https"):
            raise RegistryError(f"{repository.host} named a token service that is not HTTP.")
        query = {"scope": params.get("scope") or f"repository:{repository.name}:pull"}
        if params.get("service"):
            query["service"] = params["service"]
        token_answer = await self._get(realm.copy_merge_params(query), _basic(creds) if creds else None)
        if token_answer.status in (401, 403):
            hint = "refused the credentials" if creds else "requires credentials"
            raise auth_failure(f"The token service of {repository.host} {hint}.", token_answer, creds)
        if token_answer.status != 200:
            raise RegistryError(
                f"The token service of {repository.host} answered {token_answer.status}.", status=token_answer.status
            )
        try:
            body = token_answer.json()
            token = body.get("token") or body.get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            raise RegistryError(f"The token service of {repository.host} sent no token.")
        return f"Bearer {token}", 1

    async def _get(self, url: httpx.URL, authorization: str | None) -> Answer:
        headers = {"Accept": "application/json"}
        if authorization:
            headers["Authorization"] = authorization
        host = url.netloc.decode()
        policy = self._retry
        for attempt in range(1, policy.attempts + 1):
            delay: float | None = None
            try:
                answer = await self._follow(url, headers)
            except (AddressRefused, HostNotFound) as exc:
                # Not retried: the next try would get the same answer, and a refusal must cost no more time
                # than a name that does not resolve.
                raise RegistryError(f"{type(exc).__name__}: {exc}") from None
            except (httpx.HTTPError, httpx.InvalidURL, TimeoutError) as exc:
                if attempt == policy.attempts:
                    raise RegistryError(
                        f"{host} could not be reached: {type(exc).__name__}: {exc}", retryable=True
                    ) from None
            else:
                if answer.status not in RETRIED_STATUSES or attempt == policy.attempts:
                    return answer
                delay = _retry_after(answer.headers.get("retry-after"))
                if delay is not None and delay > policy.max_retry_after:
                    raise RegistryError(
                        f"{host} asked to retry after {delay:.0f}s.", status=answer.status, retryable=True
                    )
            if delay is None:
                delay = random.uniform(0, policy.backoff * 2 ** (attempt - 1))
            log.info("registry.retry", host=host, attempt=attempt, retry_in=round(delay, 2))
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _follow(self, url: httpx.URL, headers: dict[str, str]) -> Answer:
        """GET ``url``, following redirects one request at a time (each one a new, policy-checked connection)."""
        for _ in range(MAX_REDIRECTS + 1):
            answer = await self._fetch(url, headers)
            location = answer.headers.get("location")
            if answer.status not in REDIRECT_STATUSES or not location:
                return answer
            try:
                target = url.join(location)
            except httpx.InvalidURL:
                raise RegistryError(f"{url.host} redirected to something that is not a URL.") from None
            if target.scheme not in ("http", "https"):
                raise RegistryError(f"{url.host} redirected to a URL that is not HTTP.")
            if _origin(target) != _origin(url):
                # As browsers and httpx do: credentials are for the origin they were given to.
                headers = {key: value for key, value in headers.items() if key != "Authorization"}
            url = target
        raise RegistryError(f"{url.host} redirected more than {MAX_REDIRECTS} times.")

    async def _fetch(self, url: httpx.URL, headers: dict[str, str]) -> Answer:
        host = url.netloc.decode()
        try:
            # The whole exchange, not each read, is bounded: a server dripping a byte at a time cannot hold a
            # check for longer than the timeout.
            async with asyncio.timeout(self._timeout), self._http.stream("GET", url, headers=headers) as response:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_ANSWER_BYTES:
                        raise RegistryError(f"{host} sent more than {MAX_ANSWER_BYTES} bytes.")
        except (AddressRefused, HostNotFound):
            self._count(host, "refused")
            raise
        except (httpx.HTTPError, TimeoutError):
            self._count(host, "error")
            raise
        self._count(host, str(response.status_code))
        return Answer(
            url=url,
            status=response.status_code,
            headers=response.headers,
            body=bytes(body),
            public=from_public_address(response),
        )

    def _count(self, host: str, outcome: str) -> None:
        if self._observe is not None:
            self._observe(host, outcome)
