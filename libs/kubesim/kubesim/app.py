"""HTTP: routes Kubernetes API paths to the ApiServer, negotiates JSON/YAML/Table, streams watches and logs."""

from __future__ import annotations

import hmac
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from kubesim import discovery, openapi, protobuf, status, tables, watching
from kubesim.apiserver import (
    APPLY_PATCH,
    JSON_PATCH,
    MERGE_PATCH,
    PATCH_TYPES,
    STRATEGIC_PATCH,
    ApiServer,
    DeleteOptions,
    ListOptions,
    WriteOptions,
)
from kubesim.query import flag, integer
from kubesim.resources import ResourceType
from kubesim.selectors import object_matches
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
        self._encoded: watching.EncodedEvents = OrderedDict()

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
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            credentials.strip().encode(), str(self.token).encode()
        ):
            raise status.unauthorized()

    async def _route(self, request: Request, path: str) -> Response:
        fixed = self._fixed(request, path)
        if fixed is not None:
            return fixed
        registry = self.cluster.registry
        parts = path.strip("/").split("/")
        if parts[0] == "api" and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[0] == "apis" and len(parts) >= 2:
            if len(parts) == 2:
                return _found(discovery.api_group(registry, parts[1]))
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise status.page_not_found()
        if not rest:
            return _found(discovery.resource_list(registry, group, version))
        return await self._serve(request, self._target(group, version, rest))

    def _fixed(self, request: Request, path: str) -> Response | None:
        """The paths outside the resource tree: health, version, stats, OpenAPI and the discovery roots."""
        registry = self.cluster.registry
        if path in ("/healthz", "/livez", "/readyz"):
            return PlainTextResponse("ok")
        if path == "/version":
            return json_response(discovery.version())
        if path == "/kubesim/stats":
            if request.method == "DELETE" or flag(request.query_params.get("reset")):
                self.cluster.stats.reset()
            return json_response(self.cluster.stats.render(self.cluster.store))
        if path == "/openapi/v3":
            return json_response(openapi.index(registry))
        if path.startswith("/openapi/v3/"):
            prefix = path[len("/openapi/v3/") :].split("/")
            group, version = (
                ("", prefix[1])
                if prefix[0] == "api" and len(prefix) == 2
                else (prefix[1], prefix[2])
                if prefix[0] == "apis" and len(prefix) == 3
                else ("", "")
            )
            return _found(openapi.document(registry, group, version) if version else None)
        if path.startswith("/openapi/"):
            raise status.page_not_found()
        if path in ("/api", "/apis"):
            legacy = path == "/api"
            if negotiate(request.headers.get("accept", "")).mode == "aggregated":
                return json_response(
                    discovery.aggregated(registry, legacy=legacy), media_type=discovery.AGGREGATED_MEDIA
                )
            return json_response(
                discovery.api_versions(self.server_address) if legacy else discovery.api_groups(registry)
            )
        return None

    def _target(self, group: str, version: str, rest: list[str]) -> Target:
        registry = self.cluster.registry
        if rest[0] == "namespaces" and len(rest) >= 3:
            candidate = registry.get(group, version, rest[2])
            if candidate is not None and candidate.namespaced and len(rest) <= 5:
                return Target(candidate, rest[1], rest[3] if len(rest) > 3 else None, rest[4] if len(rest) > 4 else "")
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
        return WriteOptions(
            dry_run=bool(dry_run),
            field_manager=query.get("fieldManager", ""),
            force=flag(query.get("force")),
            user_agent=request.headers.get("user-agent", ""),
        )

    # --- serving a resource request ------------------------------------------------------------------------

    async def _serve(self, request: Request, target: Target) -> Response:
        rt, sub = target.rt, target.subresource
        if sub and rt.subresource(sub) is None:
            raise status.page_not_found()
        stats_name = rt.qualified + (f"/{sub}" if sub else "")
        if target.name is None:
            return await self._collection(request, target, stats_name)
        method = "GET" if request.method == "HEAD" else request.method
        verbs: dict[str, tuple[str, Callable[[Request, Target], Awaitable[Response]]]] = {
            "GET": ("get", self._get),
            "PUT": ("update", self._put),
            "PATCH": ("patch", self._patch),
            "DELETE": ("delete", self._delete),
            "POST": ("create", self._post),
        }
        if method not in verbs:
            raise status.method_not_allowed()
        verb, serve = verbs[method]
        if method == "DELETE" and sub:
            raise status.method_not_allowed()
        self.cluster.stats.count(verb, stats_name)
        return await serve(request, target)

    async def _get(self, request: Request, target: Target) -> Response:
        api, rt, namespace, name = self.cluster.api, target.rt, target.namespace or "", str(target.name)
        if target.subresource == "log":
            return _log_response(self.cluster.logs.read(namespace, name, request.query_params))
        if target.subresource == "scale":
            return json_response(api.get_scale(rt, namespace, name))
        return self._render_one(request, rt, api.get(rt, namespace, name))

    async def _put(self, request: Request, target: Target) -> Response:
        api, rt, namespace, name, sub = self._parts(target)
        body = await self._body(request)
        opts = self._write_options(request)
        if sub == "scale":
            return json_response(api.update_scale(rt, namespace, name, body, opts))
        if sub == "finalize":
            return json_response(api.finalize_namespace(name, body, opts))
        if sub not in ("", "status"):
            raise status.method_not_allowed()
        return with_warnings(json_response(api.update(rt, namespace, name, body, opts, sub)), opts)

    async def _patch(self, request: Request, target: Target) -> Response:
        api, rt, namespace, name, sub = self._parts(target)
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

    async def _delete(self, request: Request, target: Target) -> Response:
        api, rt, namespace, name, _ = self._parts(target)
        body = await self._body(request)
        result, code = api.delete(
            rt, namespace, name, self._delete_options(request, body), self._write_options(request)
        )
        return json_response(result, code)

    async def _post(self, request: Request, target: Target) -> Response:
        """The pod subresources that take a POST: eviction and binding."""
        api, rt, namespace, name, sub = self._parts(target)
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

    def _parts(self, target: Target) -> tuple[ApiServer, ResourceType, str, str, str]:
        return self.cluster.api, target.rt, target.namespace or "", str(target.name), target.subresource

    @staticmethod
    def _delete_options(request: Request, body: Any) -> DeleteOptions:
        query = request.query_params
        body = body if isinstance(body, dict) else {}
        preconditions = body.get("preconditions") or {}
        grace = body.get("gracePeriodSeconds")
        if grace is None:
            grace = integer(query.get("gracePeriodSeconds"), "gracePeriodSeconds")
        orphan = body.get("orphanDependents")
        if orphan is None and query.get("orphanDependents") is not None:
            orphan = flag(query.get("orphanDependents"))
        return DeleteOptions(
            propagation=body.get("propagationPolicy") or query.get("propagationPolicy"),
            orphan_dependents=orphan,
            grace_period=grace,
            uid=preconditions.get("uid"),
            resource_version=preconditions.get("resourceVersion"),
        )

    async def _collection(self, request: Request, target: Target, stats_name: str) -> Response:
        rt, namespace = target.rt, target.namespace
        api = self.cluster.api
        method = request.method
        query = request.query_params
        if target.subresource:
            raise status.page_not_found()
        if method in ("GET", "HEAD"):
            if flag(query.get("watch")):
                self.cluster.stats.count("watch", stats_name)
                if "watch" not in rt.verbs:
                    raise status.method_not_allowed()
                return self._watch(request, rt, namespace)
            self.cluster.stats.count("list", stats_name)
            if "list" not in rt.verbs:
                raise status.method_not_allowed()
            options = ListOptions(
                label_selector=query.get("labelSelector"),
                field_selector=query.get("fieldSelector"),
                limit=integer(query.get("limit"), "limit") or 0,
                continue_token=query.get("continue"),
            )
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
            options = ListOptions(label_selector=query.get("labelSelector"), field_selector=query.get("fieldSelector"))
            return json_response(
                api.delete_collection(
                    rt, namespace, options, self._delete_options(request, body), self._write_options(request)
                )
            )
        raise status.method_not_allowed()

    # --- rendering ------------------------------------------------------------------------------------------

    def _render_one(self, request: Request, rt: ResourceType, obj: JSON) -> Response:
        negotiated = negotiate(request.headers.get("accept", ""))
        if negotiated.mode == "table":
            include = request.query_params.get("includeObject", "Metadata")
            meta = {"resourceVersion": obj["metadata"].get("resourceVersion", "")}
            return json_response(tables.table(rt, [obj], meta, include, api_version=negotiated.api_version))
        if negotiated.mode == "meta":
            return json_response(
                {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": negotiated.api_version,
                    "metadata": obj.get("metadata") or {},
                }
            )
        if negotiated.mode == "yaml":
            return Response(yaml.safe_dump(obj, sort_keys=False), media_type="application/yaml")
        return json_response(obj)

    def _render_list(self, request: Request, rt: ResourceType, listed: JSON) -> Response:
        negotiated = negotiate(request.headers.get("accept", ""))
        if negotiated.mode == "table":
            include = request.query_params.get("includeObject", "Metadata")
            items = [{**item, "kind": rt.kind, "apiVersion": rt.api_version} for item in listed["items"]]
            return json_response(
                tables.table(rt, items, listed["metadata"], include, api_version=negotiated.api_version)
            )
        if negotiated.mode == "meta":
            return json_response(
                {
                    "kind": "PartialObjectMetadataList",
                    "apiVersion": negotiated.api_version,
                    "metadata": listed["metadata"],
                    "items": [
                        {
                            "kind": "PartialObjectMetadata",
                            "apiVersion": negotiated.api_version,
                            "metadata": item.get("metadata") or {},
                        }
                        for item in listed["items"]
                    ],
                }
            )
        if negotiated.mode == "yaml":
            return Response(yaml.safe_dump(listed, sort_keys=False), media_type="application/yaml")
        return json_response(listed)

    # --- watch ----------------------------------------------------------------------------------------------

    def _watch(self, request: Request, rt: ResourceType, namespace: str | None) -> Response:
        params = watching.WatchParams.parse(rt.kind, request.query_params)
        kind = rt.kind

        def predicate(obj: JSON) -> bool:
            return object_matches(kind, obj, params.labels, params.fields)

        store = self.cluster.store
        try:
            watcher = store.watch(rt.key, namespace, predicate, since=params.since, label=rt.qualified)
        except TooOld as exc:
            return Response(watching.expired(str(exc)), media_type="application/json")
        self.cluster.stats.watches_opened[rt.qualified] += 1
        negotiated = negotiate(request.headers.get("accept", ""))
        encoder = watching.EventEncoder(
            self.cluster.api,
            rt,
            self._encoded,
            table_version=negotiated.api_version if negotiated.mode == "table" else "",
            include=request.query_params.get("includeObject", "Metadata"),
        )
        return StreamingResponse(
            watching.stream(store, watcher, encoder, params, self.cluster.timings.bookmark_interval),
            media_type="application/json",
            headers={"Cache-Control": "no-cache, private"},
        )


def _found(document: JSON | None) -> Response:
    """A discovery or OpenAPI document, or 404 when there is none for the path."""
    if document is None:
        raise status.page_not_found()
    return json_response(document)


def create_app(cluster: Cluster, token: str | None = None) -> tuple[Starlette, Api]:
    api = Api(cluster, token)
    app = Starlette(routes=[Route("/{path:path}", api.handle, methods=METHODS)])
    return app, api
