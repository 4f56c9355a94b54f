"""HTTP: routes Kubernetes API paths to the ApiServer, negotiates JSON/YAML/Table, streams watches and logs."""

from __future__ import annotations

import asyncio
import hmac
import logging
import random
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from kubesim import discovery, openapi, protobuf, status, tables
from kubesim.apiserver import (
    APPLY_PATCH,
    JSON_PATCH,
    MERGE_PATCH,
    PATCH_TYPES,
    STRATEGIC_PATCH,
    DeleteOptions,
    ListOptions,
    WriteOptions,
)
from kubesim.resources import ResourceType
from kubesim.selectors import SelectorError, check_fields, object_matches, parse_field_selector, parse_label_selector
from kubesim.status import ApiError
from kubesim.store import TooOld

if TYPE_CHECKING:
    from kubesim.cluster import Cluster

JSON = dict[str, Any]
log = logging.getLogger("kubesim.http")

PUBLIC_PATHS = frozenset({"/version", "/healthz", "/livez", "/readyz"})
# The API server's --max-request-body-bytes default (twice etcd's limit: JSON is larger than what etcd stores).
MAX_BODY_BYTES = 3 * 1024 * 1024
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

try:
    _YamlLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _YamlLoader = yaml.SafeLoader


@dataclass
class Negotiated:
    mode: str  # json, yaml, table, meta, aggregated
    api_version: str = ""


def negotiate(accept: str) -> Negotiated:
    if not accept:
        return Negotiated("json")
    saw_other = False
    for media_range in accept.split(","):
        parts = [p.strip() for p in media_range.split(";")]
        media = parts[0].lower()
        params = {}
        for p in parts[1:]:
            if "=" in p:
                k, v = p.split("=", 1)
                params[k.strip()] = v.strip()
        as_kind = params.get("as")
        if media not in ("application/json", "application/yaml", "*/*", "application/*"):
            saw_other = True
            continue
        if as_kind == "Table" and params.get("g") == "meta.k8s.io" and params.get("v") in ("v1", "v1beta1"):
            return Negotiated("table", f"meta.k8s.io/{params['v']}")
        if as_kind in ("PartialObjectMetadata", "PartialObjectMetadataList") and params.get("g") == "meta.k8s.io":
            return Negotiated("meta", f"meta.k8s.io/{params.get('v', 'v1')}")
        if as_kind == "APIGroupDiscoveryList" and params.get("g") == "apidiscovery.k8s.io" and params.get("v") == "v2":
            return Negotiated("aggregated")
        if as_kind:
            continue
        return Negotiated("yaml" if media == "application/yaml" else "json")
    if saw_other:
        raise status.not_acceptable(accept)
    return Negotiated("json")


def _dumps(data: Any) -> bytes:
    return orjson.dumps(data)


def json_response(data: Any, code: int = 200, media_type: str = "application/json") -> Response:
    return Response(_dumps(data), status_code=code, media_type=media_type)


def warning_header(text: str) -> str:
    """``299 - "text"`` with quotes and backslashes escaped, as the API server writes warnings; the UTF-8 bytes
    go out as they are (Starlette writes header values as latin-1)."""
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'299 - "{quoted}"'.encode().decode("latin-1")


def with_warnings(response: Response, opts: WriteOptions) -> Response:
    for text in dict.fromkeys(opts.warnings):
        response.headers.append("Warning", warning_header(text))
    return response


def error_response(error: ApiError) -> Response:
    response = json_response(error.to_status(), error.code)
    for key, value in error.headers.items():
        response.headers[key] = value
    return response


def _log_response(output: bytes | AsyncIterator[bytes]) -> Response:
    """A pod's log as plain text: all of it, or streamed as the container writes it (``follow``)."""
    if isinstance(output, bytes):
        return Response(output, media_type="text/plain")
    return StreamingResponse(output, media_type="text/plain")


def _bool(value: str | None) -> bool:
    return value is not None and value.lower() in ("true", "1", "yes")


def _int(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise status.bad_request(f"invalid value for {name}: {value!r}") from None


@dataclass
class Target:
    rt: ResourceType
    namespace: str | None
    name: str | None
    subresource: str


class Api:
    def __init__(self, cluster: Cluster, token: str | None = None) -> None:
        self.cluster = cluster
        self.token = token
        self.server_address = "127.0.0.1:0"
        # Encoded watch events, shared by every watcher of the same resource: (type, resource, rv, version).
        self._encoded: OrderedDict[tuple[str, str, str, str], bytes] = OrderedDict()

    # --- entry point ----------------------------------------------------------------------------------------

    async def handle(self, request: Request) -> Response:
        path = request.url.path.rstrip("/") or "/"
        try:
            if self.token is not None and path not in PUBLIC_PATHS:
                self._authenticate(request)
            return await self._route(request, path)
        except ApiError as exc:
            return error_response(exc)
        except Exception as exc:
            log.exception("internal error serving %s %s", request.method, path)
            return error_response(ApiError(500, "InternalError", f"Internal error occurred: {exc}"))

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(credentials.strip().encode(),
                                                                  str(self.token).encode()):
            raise status.unauthorized()

    async def _route(self, request: Request, path: str) -> Response:
        registry = self.cluster.registry
        if path in ("/healthz", "/livez", "/readyz"):
            return PlainTextResponse("ok")
        if path == "/version":
            return json_response(discovery.version())
        if path == "/kubesim/stats":
            if request.method == "DELETE" or _bool(request.query_params.get("reset")):
                self.cluster.stats.reset()
            return json_response(self.cluster.stats.render(self.cluster.store))
        if path == "/openapi/v3":
            return json_response(openapi.index(self.cluster.registry))
        if path.startswith("/openapi/v3/"):
            prefix = path[len("/openapi/v3/"):].split("/")
            group, version = ("", prefix[1]) if prefix[0] == "api" and len(prefix) == 2 else \
                (prefix[1], prefix[2]) if prefix[0] == "apis" and len(prefix) == 3 else ("", "")
            doc = openapi.document(self.cluster.registry, group, version) if version else None
            if doc is None:
                raise status.page_not_found()
            return json_response(doc)
        if path.startswith("/openapi/"):
            raise status.page_not_found()
        accept = request.headers.get("accept", "")
        if path == "/api":
            if negotiate(accept).mode == "aggregated":
                return json_response(discovery.aggregated(registry, legacy=True),
                                     media_type=discovery.AGGREGATED_MEDIA)
            return json_response(discovery.api_versions(self.server_address))
        if path == "/apis":
            if negotiate(accept).mode == "aggregated":
                return json_response(discovery.aggregated(registry, legacy=False),
                                     media_type=discovery.AGGREGATED_MEDIA)
            return json_response(discovery.api_groups(registry))
        parts = path.strip("/").split("/")
        if parts[0] == "api" and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[0] == "apis" and len(parts) >= 2:
            if len(parts) == 2:
                group_doc = discovery.api_group(registry, parts[1])
                if group_doc is None:
                    raise status.page_not_found()
                return json_response(group_doc)
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise status.page_not_found()
        if not rest:
            doc = discovery.resource_list(registry, group, version)
            if doc is None:
                raise status.page_not_found()
            return json_response(doc)
        target = self._target(group, version, rest)
        return await self._serve(request, target)

    def _target(self, group: str, version: str, rest: list[str]) -> Target:
        registry = self.cluster.registry
        if rest[0] == "namespaces" and len(rest) >= 3:
            candidate = registry.get(group, version, rest[2])
            if candidate is not None and candidate.namespaced and len(rest) <= 5:
                return Target(candidate, rest[1], rest[3] if len(rest) > 3 else None,
                              rest[4] if len(rest) > 4 else "")
        rt = registry.get(group, version, rest[0])
        if rt is None or len(rest) > 3:
            raise status.page_not_found()
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else ""
        if rt.namespaced and name is not None:
            raise status.page_not_found()
        return Target(rt, None, name, sub)

    # --- bodies ---------------------------------------------------------------------------------------------

    async def _body(self, request: Request) -> Any:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise status.request_entity_too_large(MAX_BODY_BYTES)
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise status.request_entity_too_large(MAX_BODY_BYTES)
            chunks.append(chunk)
        raw = b"".join(chunks)
        if not raw:
            return None
        content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
        try:
            if content_type in ("application/yaml", APPLY_PATCH, "application/x-yaml", "text/yaml"):
                return yaml.load(raw, Loader=_YamlLoader)
            if content_type == "application/vnd.kubernetes.protobuf":
                return protobuf.decode(raw)
            return orjson.loads(raw)
        except (orjson.JSONDecodeError, yaml.YAMLError, protobuf.ProtobufError) as exc:
            raise status.bad_request(f"the body of the request could not be decoded: {exc}") from None

    @staticmethod
    def _write_options(request: Request) -> WriteOptions:
        query = request.query_params
        dry_run = query.getlist("dryRun")
        for value in dry_run:
            if value != "All":
                raise status.bad_request(f"unsupported dryRun value {value!r}; only All is supported")
        return WriteOptions(dry_run=bool(dry_run), field_manager=query.get("fieldManager", ""),
                            force=_bool(query.get("force")), user_agent=request.headers.get("user-agent", ""))

    # --- serving a resource request ------------------------------------------------------------------------

    async def _serve(self, request: Request, target: Target) -> Response:
        method = request.method
        rt, sub = target.rt, target.subresource
        stats_name = rt.qualified + (f"/{sub}" if sub else "")
        if sub and rt.subresource(sub) is None:
            raise status.page_not_found()
        if target.name is None:
            return await self._collection(request, target, stats_name)
        name = target.name
        namespace = target.namespace or ""
        api = self.cluster.api
        if method in ("GET", "HEAD"):
            if sub == "log":
                self.cluster.stats.count("get", stats_name)
                return _log_response(self.cluster.logs.read(namespace, name, request.query_params))
            self.cluster.stats.count("get", stats_name)
            if sub == "scale":
                return json_response(api.get_scale(rt, namespace, name))
            obj = api.get(rt, namespace, name)
            return self._render_one(request, rt, obj)
        if method == "PUT":
            self.cluster.stats.count("update", stats_name)
            body = await self._body(request)
            opts = self._write_options(request)
            if sub == "scale":
                return json_response(api.update_scale(rt, namespace, name, body, opts))
            if sub == "finalize":
                return json_response(api.finalize_namespace(name, body, opts))
            if sub not in ("", "status"):
                raise status.method_not_allowed()
            return with_warnings(json_response(api.update(rt, namespace, name, body, opts, sub)), opts)
        if method == "PATCH":
            self.cluster.stats.count("patch", stats_name)
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type not in PATCH_TYPES:
                allowed = [JSON_PATCH, MERGE_PATCH, APPLY_PATCH] if rt.custom else list(PATCH_TYPES)
                raise status.unsupported_media_type(content_type, allowed)
            if content_type == STRATEGIC_PATCH and rt.custom:
                raise status.unsupported_media_type(content_type, [JSON_PATCH, MERGE_PATCH, APPLY_PATCH])
            body = await self._body(request)
            opts = self._write_options(request)
            if sub == "scale":
                return json_response(api.update_scale(rt, namespace, name, body, opts, patch_type=content_type))
            if sub not in ("", "status"):
                raise status.method_not_allowed()
            return with_warnings(json_response(api.patch(rt, namespace, name, content_type, body, opts, sub)), opts)
        if method == "DELETE":
            if sub:
                raise status.method_not_allowed()
            self.cluster.stats.count("delete", stats_name)
            body = await self._body(request)
            result, code = api.delete(rt, namespace, name, self._delete_options(request, body),
                                      self._write_options(request))
            return json_response(result, code)
        if method == "POST":
            self.cluster.stats.count("create", stats_name)
            body = await self._body(request)
            opts = self._write_options(request)
            if rt.key == "/pods" and sub == "eviction":
                grace = ((body or {}).get("deleteOptions") or {}).get("gracePeriodSeconds")
                api.delete(rt, namespace, name, DeleteOptions(grace_period=grace), opts)
                return json_response(status.success(), 201)
            if rt.key == "/pods" and sub == "binding":
                node = ((body or {}).get("target") or {}).get("name")
                if not node:
                    raise status.bad_request("binding target name is required")
                return json_response(api.bind(namespace, name, str(node), opts), 201)
            raise status.method_not_allowed()
        raise status.method_not_allowed()

    @staticmethod
    def _delete_options(request: Request, body: Any) -> DeleteOptions:
        query = request.query_params
        body = body if isinstance(body, dict) else {}
        preconditions = body.get("preconditions") or {}
        grace = body.get("gracePeriodSeconds")
        if grace is None:
            grace = _int(query.get("gracePeriodSeconds"), "gracePeriodSeconds")
        orphan = body.get("orphanDependents")
        if orphan is None and query.get("orphanDependents") is not None:
            orphan = _bool(query.get("orphanDependents"))
        return DeleteOptions(propagation=body.get("propagationPolicy") or query.get("propagationPolicy"),
                             orphan_dependents=orphan, grace_period=grace,
                             uid=preconditions.get("uid"), resource_version=preconditions.get("resourceVersion"))

    async def _collection(self, request: Request, target: Target, stats_name: str) -> Response:
        rt, namespace = target.rt, target.namespace
        api = self.cluster.api
        method = request.method
        query = request.query_params
        if target.subresource:
            raise status.page_not_found()
        if method in ("GET", "HEAD"):
            if _bool(query.get("watch")):
                self.cluster.stats.count("watch", stats_name)
                if "watch" not in rt.verbs:
                    raise status.method_not_allowed()
                return self._watch(request, rt, namespace)
            self.cluster.stats.count("list", stats_name)
            if "list" not in rt.verbs:
                raise status.method_not_allowed()
            options = ListOptions(label_selector=query.get("labelSelector"),
                                  field_selector=query.get("fieldSelector"),
                                  limit=_int(query.get("limit"), "limit") or 0,
                                  continue_token=query.get("continue"))
            listed = api.list(rt, namespace, options)
            return self._render_list(request, rt, listed)
        if method == "POST":
            self.cluster.stats.count("create", stats_name)
            if rt.namespaced and namespace is None:
                raise status.method_not_allowed()
            body = await self._body(request)
            opts = self._write_options(request)
            created = api.create(rt, namespace or "", body, opts)
            return with_warnings(json_response(created, 201), opts)
        if method == "DELETE":
            self.cluster.stats.count("deletecollection", stats_name)
            body = await self._body(request)
            options = ListOptions(label_selector=query.get("labelSelector"),
                                  field_selector=query.get("fieldSelector"))
            return json_response(api.delete_collection(rt, namespace, options, self._delete_options(request, body),
                                                       self._write_options(request)))
        raise status.method_not_allowed()

    # --- rendering ------------------------------------------------------------------------------------------

    def _render_one(self, request: Request, rt: ResourceType, obj: JSON) -> Response:
        negotiated = negotiate(request.headers.get("accept", ""))
        if negotiated.mode == "table":
            include = request.query_params.get("includeObject", "Metadata")
            meta = {"resourceVersion": obj["metadata"].get("resourceVersion", "")}
            return json_response(tables.table(rt, [obj], meta, include, api_version=negotiated.api_version))
        if negotiated.mode == "meta":
            return json_response({"kind": "PartialObjectMetadata", "apiVersion": negotiated.api_version,
                                  "metadata": obj.get("metadata") or {}})
        if negotiated.mode == "yaml":
            return Response(yaml.safe_dump(obj, sort_keys=False), media_type="application/yaml")
        return json_response(obj)

    def _render_list(self, request: Request, rt: ResourceType, listed: JSON) -> Response:
        negotiated = negotiate(request.headers.get("accept", ""))
        if negotiated.mode == "table":
            include = request.query_params.get("includeObject", "Metadata")
            items = [{**item, "kind": rt.kind, "apiVersion": rt.api_version} for item in listed["items"]]
            return json_response(tables.table(rt, items, listed["metadata"], include,
                                              api_version=negotiated.api_version))
        if negotiated.mode == "meta":
            return json_response({
                "kind": "PartialObjectMetadataList", "apiVersion": negotiated.api_version,
                "metadata": listed["metadata"],
                "items": [{"kind": "PartialObjectMetadata", "apiVersion": negotiated.api_version,
                           "metadata": item.get("metadata") or {}} for item in listed["items"]]})
        if negotiated.mode == "yaml":
            return Response(yaml.safe_dump(listed, sort_keys=False), media_type="application/yaml")
        return json_response(listed)

    # --- watch ----------------------------------------------------------------------------------------------

    def _watch(self, request: Request, rt: ResourceType, namespace: str | None) -> Response:
        query = request.query_params
        negotiated = negotiate(request.headers.get("accept", ""))
        try:
            labels = parse_label_selector(query.get("labelSelector"))
            fields = parse_field_selector(query.get("fieldSelector"))
            check_fields(rt.kind, fields)
        except SelectorError as exc:
            raise status.bad_request(str(exc)) from None
        rv_text = query.get("resourceVersion") or ""
        since: int | None
        if rv_text in ("", "0"):
            since = None
        else:
            try:
                since = int(rv_text)
            except ValueError:
                raise status.bad_request(f"invalid resource version: {rv_text!r}") from None
        bookmarks = _bool(query.get("allowWatchBookmarks"))
        send_initial = _bool(query.get("sendInitialEvents"))
        if send_initial and since is not None:
            raise status.invalid("ListOptions", "meta.k8s.io", "", [status.Cause(
                "FieldValueForbidden", "Forbidden: sendInitialEvents is forbidden for watch unless the "
                "resourceVersion is empty or 0", "sendInitialEvents")])
        timeout = _int(query.get("timeoutSeconds"), "timeoutSeconds")
        if timeout is None:
            # Like --min-request-timeout: open-ended watches end after 30-60 minutes.
            timeout = int(1800 * (1 + random.random()))
        kind = rt.kind
        label = rt.qualified

        def predicate(obj: JSON) -> bool:
            return object_matches(kind, obj, labels, fields)

        store = self.cluster.store
        try:
            watcher = store.watch(rt.key, namespace, predicate, since=since, label=label)
        except TooOld as exc:
            error = status.gone(str(exc)).to_status()
            line = _dumps({"type": "ERROR", "object": error}) + b"\n"
            return Response(line, media_type="application/json")
        self.cluster.stats.watches_opened[label] += 1
        bookmark_interval = self.cluster.timings.bookmark_interval
        table_mode = negotiated.mode == "table"
        include = query.get("includeObject", "Metadata")
        initial_end_pending = send_initial and bookmarks

        def encode(event_type: str, obj: JSON) -> bytes:
            if table_mode and event_type != "BOOKMARK":
                obj = tables.table(rt, [self.cluster.api.as_version(obj, rt)],
                                   {"resourceVersion": obj["metadata"].get("resourceVersion", "")}, include,
                                   api_version=negotiated.api_version)
                return _dumps({"type": event_type, "object": obj}) + b"\n"
            if event_type == "BOOKMARK":
                return _dumps({"type": event_type, "object": obj}) + b"\n"
            # Every write has its own resourceVersion, so this key names one encoding of one event.
            key = (event_type, rt.key, str(obj["metadata"].get("resourceVersion", "")), rt.api_version)
            line = self._encoded.get(key)
            if line is None:
                line = _dumps({"type": event_type, "object": self.cluster.api.as_version(obj, rt)}) + b"\n"
                self._encoded[key] = line
                if len(self._encoded) > 4096:
                    self._encoded.popitem(last=False)
            return line

        def bookmark(initial_end: bool = False) -> bytes:
            meta: JSON = {"resourceVersion": str(store.resource_version)}
            if initial_end:
                meta["annotations"] = {"k8s.io/initial-events-end": "true"}
            return encode("BOOKMARK", {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": meta})

        async def stream() -> AsyncIterator[bytes]:
            nonlocal initial_end_pending
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            try:
                while True:
                    watcher.wake.clear()
                    chunk = []
                    while watcher.events:
                        event_type, obj = watcher.events.popleft()
                        chunk.append(encode(event_type, obj))
                    if initial_end_pending:
                        chunk.append(bookmark(initial_end=True))
                        initial_end_pending = False
                    if chunk:
                        yield b"".join(chunk)
                    if watcher.closed:
                        break
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        break
                    wait = min(remaining, bookmark_interval) if bookmarks else remaining
                    try:
                        await asyncio.wait_for(watcher.wake.wait(), timeout=wait)
                    except TimeoutError:
                        if bookmarks and not watcher.events and loop.time() < deadline:
                            yield bookmark()
            finally:
                store.unwatch(watcher)

        return StreamingResponse(stream(), media_type="application/json",
                                 headers={"Cache-Control": "no-cache, private"})


def create_app(cluster: Cluster, token: str | None = None) -> tuple[Starlette, Api]:
    api = Api(cluster, token)
    app = Starlette(routes=[Route("/{path:path}", api.handle, methods=METHODS)])
    return app, api
