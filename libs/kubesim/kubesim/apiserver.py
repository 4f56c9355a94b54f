"""What the API server does for each verb, independent of HTTP: admission, optimistic concurrency, finalizers,
graceful deletion, propagation policies, patches and server-side apply, list pagination.

Everything here is synchronous and runs on the event loop thread, so a read-modify-write inside one call is
atomic; controllers call these methods directly (not over HTTP) and get the same semantics as clients.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from kubesim import clock, conversions, patching, status, validation
from kubesim.admission import Admission, check_size
from kubesim.allocations import ServiceAddresses
from kubesim.names import NameSource
from kubesim.resources import Registry, ResourceType
from kubesim.selectors import (
    SelectorError,
    check_fields,
    object_matches,
    parse_field_selector,
    parse_label_selector,
    to_string,
)
from kubesim.status import ApiError, Cause
from kubesim.store import Store
from kubesim.strategies.base import Strategy
from kubesim.strategies.registry import strategy_for

JSON = dict[str, Any]

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH)


@dataclass
class WriteOptions:
    dry_run: bool = False
    field_manager: str = ""
    force: bool = False
    user_agent: str = ""
    # Filled by admission (PodSecurity's "would violate" warnings); the HTTP layer sends them as Warning headers.
    warnings: list[str] = field(default_factory=list)

    def manager(self) -> str:
        if self.field_manager:
            return self.field_manager
        # The API server names unnamed managers after the client's user agent, up to the first "/".
        return (self.user_agent or "unknown").split("/", 1)[0][:128] or "unknown"


@dataclass
class DeleteOptions:
    propagation: str | None = None
    orphan_dependents: bool | None = None
    grace_period: int | None = None
    uid: str | None = None
    resource_version: str | None = None


@dataclass
class ListOptions:
    label_selector: str | None = None
    field_selector: str | None = None
    limit: int = 0
    continue_token: str | None = None


Path = list[str]
VirtualLister = Callable[[ResourceType, str | None], list[JSON]]


class ApiServer:
    def __init__(self, store: Store, registry: Registry, names: NameSource) -> None:
        self.store = store
        self.registry = registry
        self.names = names
        self._strategies: dict[str, Strategy] = {}
        self.addresses = ServiceAddresses(names)
        self.virtual: dict[str, VirtualLister] = {}
        self.admission = Admission(store)

    # --- lookups --------------------------------------------------------------------------------------------

    def rt(self, group: str, plural: str) -> ResourceType:
        found = self.registry.storage_type(group, plural)
        if found is None:
            raise KeyError(f"{plural}.{group}")
        return found

    def strategy(self, rt: ResourceType) -> Strategy:
        cached = self._strategies.get(rt.key if not rt.custom else "custom")
        if cached is None:
            cached = strategy_for(rt)
            self._strategies[rt.key if not rt.custom else "custom"] = cached
        return cached

    # Admission protocol

    def lookup(self, resource: str, namespace: str, name: str) -> JSON | None:
        return self.store.get(resource, namespace, name)

    def list_objects(self, resource: str, namespace: str | None = None) -> list[JSON]:
        return self.store.list(resource, namespace)

    def new_uid(self) -> str:
        return self.names.uid()

    def allocate_cluster_ip(self) -> str:
        return self.addresses.cluster_ip()

    def allocate_node_port(self) -> int:
        return self.addresses.node_port()

    def release_service(self, service: JSON) -> None:
        self.addresses.release(service)

    def rebuild_allocations(self) -> None:
        self.addresses.rebuild(self.store.list("/services"))

    # --- conversions between the stored version and the requested one ---------------------------------------

    @staticmethod
    def as_version(obj: JSON, rt: ResourceType) -> JSON:
        return conversions.convert(obj, rt.key, rt.api_version)

    # --- reads ----------------------------------------------------------------------------------------------

    def get(self, rt: ResourceType, namespace: str, name: str) -> JSON:
        if rt.virtual:
            for item in self.virtual[rt.key](rt, namespace if rt.namespaced else None):
                if item["metadata"]["name"] == name:
                    return item
            raise status.not_found(rt.plural, rt.group, name)
        obj = self.store.get(rt.key, namespace if rt.namespaced else "", name)
        if obj is None:
            raise status.not_found(rt.plural, rt.group, name)
        return self.as_version(obj, rt)

    def list(self, rt: ResourceType, namespace: str | None, options: ListOptions) -> JSON:
        try:
            labels = parse_label_selector(options.label_selector)
            fields = parse_field_selector(options.field_selector)
            check_fields(rt.kind, fields)
        except SelectorError as exc:
            raise status.bad_request(str(exc)) from None
        list_rv = self.store.resource_version
        start_after = ""
        if options.continue_token:
            list_rv, start_after = self._decode_continue(rt, options.continue_token)
        if rt.virtual:
            candidates = self.virtual[rt.key](rt, namespace)
        else:
            name = fields.single_value("metadata.name")
            ns_pin = fields.single_value("metadata.namespace")
            if namespace is None and ns_pin is not None and rt.namespaced:
                namespace = ns_pin
            if name is not None:
                found = self.store.get(rt.key, namespace or "", name) if (namespace or not rt.namespaced) else None
                candidates = (
                    [found]
                    if found is not None
                    else (
                        [o for o in self.store.list(rt.key) if o["metadata"]["name"] == name]
                        if namespace is None and rt.namespaced
                        else []
                    )
                )
            else:
                candidates = self.store.list(rt.key, namespace if rt.namespaced else None)
        items = [o for o in candidates if object_matches(rt.kind, o, labels, fields)]
        if start_after:
            items = [o for o in items if _item_key(o) > start_after]
        meta: JSON = {"resourceVersion": str(list_rv)}
        if options.limit and options.limit > 0 and len(items) > options.limit:
            remaining = len(items) - options.limit
            items = items[: options.limit]
            meta["continue"] = self._encode_continue(list_rv, _item_key(items[-1]))
            meta["remainingItemCount"] = remaining
        strip = not rt.custom and not rt.virtual
        rendered = [_without_type(self.as_version(o, rt)) if strip else self.as_version(o, rt) for o in items]
        return {"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": meta, "items": rendered}

    @staticmethod
    def _encode_continue(rv: int, start: str) -> str:
        token = orjson.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start + "\u0000"})
        return base64.urlsafe_b64encode(token).decode().rstrip("=")

    def _decode_continue(self, rt: ResourceType, token: str) -> tuple[int, str]:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            data = orjson.loads(raw)
            rv, start = int(data["rv"]), str(data["start"]).rstrip("\u0000")
        except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
            raise status.bad_request(
                "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
            ) from None
        if rv < self.store.history_floor(rt.key):
            raise status.gone(
                "The provided continue parameter is too old to display a consistent list result. "
                "You can start a new list without the continue parameter, or use the continue token "
                "in this response to retrieve the remainder of the results. Continuing with the "
                "provided token results in an inconsistent list - objects that were created, "
                "modified, or deleted between the time the first chunk was returned and now may show "
                "up in the list."
            )
        return rv, start

    # --- create ---------------------------------------------------------------------------------------------

    def _decode(self, rt: ResourceType, body: Any) -> JSON:
        if not isinstance(body, dict):
            raise status.bad_request("the body of the request must be a JSON or YAML object")
        # Decoding into typed objects turns nulls into zero values, which serialize as absent: drop them.
        obj: JSON = _without_nulls(body)
        api_version = obj.get("apiVersion")
        kind = obj.get("kind")
        if api_version and api_version != rt.api_version:
            other = self.registry.by_kind(str(api_version), str(kind or rt.kind))
            if other is None or other.key != rt.key:
                raise status.bad_request(
                    f"the API version in the data ({api_version}) does not match the expected "
                    f"API version ({rt.api_version})"
                )
        if kind and kind != rt.kind:
            raise status.bad_request(f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})")
        obj["apiVersion"] = api_version or rt.api_version
        obj["kind"] = rt.kind
        meta = obj.get("metadata")
        if meta is None:
            obj["metadata"] = {}
        elif not isinstance(meta, dict):
            raise status.bad_request("metadata must be an object")
        # Everything below works on the stored version; answers are converted back to the requested one.
        storage = self.registry.storage_type(rt.group, rt.plural) or rt
        return conversions.convert(obj, rt.key, storage.api_version)

    def _storage(self, rt: ResourceType, obj: JSON) -> JSON:
        storage = self.registry.storage_type(rt.group, rt.plural) or rt
        obj["apiVersion"] = storage.api_version
        return obj

    def _check_namespace(self, rt: ResourceType, namespace: str, name: str) -> None:
        ns = self.store.get("/namespaces", "", namespace)
        if ns is None:
            raise status.not_found("namespaces", "", namespace)
        if (ns.get("metadata") or {}).get("deletionTimestamp"):
            raise status.forbidden(
                rt.plural,
                rt.group,
                name,
                f"unable to create new content in namespace {namespace} because it is being terminated",
            )

    def create(
        self, rt: ResourceType, namespace: str, body: Any, opts: WriteOptions, *, prepared: bool = False
    ) -> JSON:
        """Create an object (``prepared``: server-side apply has built it, managed fields included)."""
        if rt.virtual or "create" not in rt.verbs:
            raise status.method_not_allowed()
        obj = self._decode(rt, body)
        namespace, name = self._placement(rt, namespace, obj["metadata"])
        strategy = self.strategy(rt)
        ts = clock.now()
        self._new_metadata(rt, obj["metadata"], ts, prepared)
        strategy.default(obj, self)
        self.admission.mutate(rt, obj, None)
        if rt.has_status():
            initial = strategy.initial_status(obj)
            if rt.custom:
                obj.pop("status", None)
            elif initial is not None:
                obj["status"] = initial
        strategy.prepare_create(obj, self)
        causes = validation.metadata(
            obj["metadata"], name_rule=strategy.name_rule, namespaced=rt.namespaced
        ) + strategy.validate(obj, None, self)
        if causes:
            raise status.invalid(rt.kind, rt.group, name, causes)
        self.admission.validate(rt, obj, None, opts.warnings)
        if self.store.get(rt.key, namespace if rt.namespaced else "", name) is not None:
            raise status.already_exists(rt.plural, rt.group, name)
        if not prepared:
            patching.record_update(None, obj, opts.manager(), rt.api_version, clock.rfc3339(ts))
        check_size(obj)
        if opts.dry_run:
            return obj
        stored = self.store.put(rt.key, self._storage(rt, obj))
        return self.as_version(stored, rt)

    def _placement(self, rt: ResourceType, namespace: str, meta: JSON) -> tuple[str, str]:
        """(namespace, name) of an object to create: the namespace from the URL or the body (which must agree and
        be active), the name given or generated."""
        if rt.namespaced:
            body_ns = meta.get("namespace")
            if body_ns and namespace and body_ns != namespace:
                raise status.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            namespace = str(body_ns or namespace or "")
            if not namespace:
                raise status.bad_request("the server could not find the requested resource (namespace required)")
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if not meta.get("name"):
            if not meta.get("generateName"):
                raise status.invalid(
                    rt.kind, rt.group, "", [validation.required("metadata.name", "name or generateName is required")]
                )
            meta["name"] = str(meta["generateName"])[:58] + self.names.suffix()
        name = str(meta["name"])
        if rt.namespaced:
            self._check_namespace(rt, namespace, name)
        if meta.get("resourceVersion"):
            raise status.bad_request("resourceVersion should not be set on objects to be created")
        return namespace, name

    def _new_metadata(self, rt: ResourceType, meta: JSON, ts: float, prepared: bool) -> None:
        """What the server sets on a new object's metadata, and what a client may not."""
        meta["uid"] = self.names.uid()
        meta["creationTimestamp"] = clock.rfc3339(ts)
        for key in ("deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            meta.pop(key, None)
        if rt.has_generation or rt.custom:
            meta["generation"] = 1
        else:
            meta.pop("generation", None)
        if not prepared:
            meta.pop("managedFields", None)

    # --- update / patch / apply -----------------------------------------------------------------------------

    def _existing(self, rt: ResourceType, namespace: str, name: str) -> JSON:
        if rt.virtual:
            raise status.method_not_allowed()
        obj = self.store.get(rt.key, namespace if rt.namespaced else "", name)
        if obj is None:
            raise status.not_found(rt.plural, rt.group, name)
        return obj

    def update(
        self, rt: ResourceType, namespace: str, name: str, body: Any, opts: WriteOptions, subresource: str = ""
    ) -> JSON:
        if "update" not in rt.verbs:
            raise status.method_not_allowed()
        old = self._existing(rt, namespace, name)
        incoming = self._decode(rt, body)
        meta = incoming["metadata"]
        if meta.get("name") and meta["name"] != name:
            raise status.bad_request(
                f"the name of the object ({meta['name']}) does not match the name on the URL ({name})"
            )
        if rt.namespaced and meta.get("namespace") and meta["namespace"] != namespace:
            raise status.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        rv = meta.get("resourceVersion")
        if rv:
            if str(rv) != old["metadata"]["resourceVersion"]:
                raise status.stale_update(rt.plural, rt.group, name)
        elif rt.custom:
            raise status.invalid(
                rt.kind,
                rt.group,
                name,
                [
                    Cause(
                        "FieldValueInvalid",
                        "Invalid value: 0x0: must be specified for an update",
                        "metadata.resourceVersion",
                    )
                ],
            )
        new = self._combine(rt, old, incoming, subresource)
        return self._commit(rt, old, new, opts, subresource)

    def patch(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        patch_type: str,
        patch: Any,
        opts: WriteOptions,
        subresource: str = "",
    ) -> JSON:
        if "patch" not in rt.verbs:
            raise status.method_not_allowed()
        if patch_type == APPLY_PATCH:
            return self.apply(rt, namespace, name, patch, opts, subresource)
        old = self._existing(rt, namespace, name)
        base = self.as_version(copy.deepcopy(old), rt)
        try:
            if patch_type == JSON_PATCH:
                patched = patching.json_patch(base, patch)
            elif patch_type == MERGE_PATCH:
                patched = patching.json_merge_patch(base, patch)
            elif patch_type == STRATEGIC_PATCH:
                if rt.custom:
                    raise status.unsupported_media_type(patch_type, [JSON_PATCH, MERGE_PATCH, APPLY_PATCH])
                patched = patching.strategic_merge_patch(base, patch)
            else:
                raise status.unsupported_media_type(patch_type, list(PATCH_TYPES))
        except patching.PatchError as exc:
            if exc.malformed:
                raise status.bad_request(str(exc)) from None
            raise ApiError(
                422, "Invalid", f"the server rejected our request due to an error in our request: {exc}"
            ) from None
        if not isinstance(patched, dict):
            raise status.bad_request("the patch produced something that is not an object")
        patched_meta = patched.get("metadata") or {}
        if str(patched_meta.get("resourceVersion") or "") not in ("", old["metadata"]["resourceVersion"]):
            raise status.stale_update(rt.plural, rt.group, name)
        if patched_meta.get("name") not in (None, name):
            raise status.bad_request(
                f"the name of the object ({patched_meta.get('name')}) does not match the name on the URL ({name})"
            )
        incoming = self._decode(rt, patched)
        new = self._combine(rt, old, incoming, subresource)
        return self._commit(rt, old, new, opts, subresource)

    def apply(
        self, rt: ResourceType, namespace: str, name: str, config: Any, opts: WriteOptions, subresource: str = ""
    ) -> JSON:
        if not opts.field_manager:
            raise status.bad_request("PATCH request with apply content type requires fieldManager")
        if not isinstance(config, dict):
            raise status.bad_request("apply patch must be a YAML or JSON object")
        if not config.get("apiVersion") or not config.get("kind"):
            raise status.bad_request("apiVersion and kind must be set in an applied configuration")
        config_meta = config.get("metadata") or {}
        if config_meta.get("name") not in (None, name):
            raise status.bad_request(
                f"the name of the object ({config_meta.get('name')}) does not match the name on the URL ({name})"
            )
        config = self._decode(rt, config)
        config["metadata"]["name"] = name
        if rt.namespaced:
            config["metadata"]["namespace"] = namespace
        ts = clock.rfc3339(clock.now())
        old = self.store.get(rt.key, namespace if rt.namespaced else "", name)
        try:
            if old is None:
                if subresource:
                    raise status.not_found(rt.plural, rt.group, name)
                created = patching.server_side_apply(
                    None, config, opts.manager(), rt.api_version, ts, opts.force, structured_lists=not rt.custom
                )
                return self.create(rt, namespace, created, opts, prepared=True)
            rv = config_meta.get("resourceVersion")
            if rv and str(rv) != old["metadata"]["resourceVersion"]:
                raise status.stale_update(rt.plural, rt.group, name)
            merged = patching.server_side_apply(
                old, config, opts.manager(), rt.api_version, ts, opts.force, subresource, structured_lists=not rt.custom
            )
        except patching.ApplyConflict as exc:
            raise ApiError(
                409,
                "Conflict",
                exc.message(),
                {"name": name, "group": rt.group, "kind": rt.plural},
                causes=[
                    Cause(
                        "FieldManagerConflict",
                        f'conflict with "{c.manager}" using {c.api_version}',
                        patching.render_path(c.path),
                    )
                    for c in exc.conflicts
                ],
            ) from None
        merged_meta = merged.get("metadata") or {}
        managed = merged_meta.get("managedFields")
        new = self._combine(rt, old, merged, subresource)
        if managed is not None:
            new["metadata"]["managedFields"] = managed
        return self._commit(rt, old, new, opts, subresource, record=False)

    def _combine(self, rt: ResourceType, old: JSON, incoming: JSON, subresource: str) -> JSON:
        """The object an update/patch would store, before defaulting and validation."""
        if subresource == "status":
            new = copy.deepcopy(old)
            if "status" in incoming:
                new["status"] = incoming["status"]
            else:
                new.pop("status", None)
            return new
        new = incoming
        if rt.has_status():
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            else:
                new.pop("status", None)
        meta = new.setdefault("metadata", {})
        old_meta = old["metadata"]
        for key in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "namespace",
            "name",
            "managedFields",
        ):
            if key in old_meta:
                meta[key] = copy.deepcopy(old_meta[key])
            else:
                meta.pop(key, None)
        if "generateName" not in old_meta:
            meta.pop("generateName", None)
        if old_meta.get("deletionTimestamp"):
            added = [f for f in meta.get("finalizers") or [] if f not in (old_meta.get("finalizers") or [])]
            if added:
                quoted = " ".join(f'"{f}"' for f in added)
                raise status.invalid(
                    rt.kind,
                    rt.group,
                    str(old_meta.get("name")),
                    [
                        validation.forbidden(
                            "metadata.finalizers",
                            f"no new finalizers can be added if the object is being deleted, found new finalizers "
                            f"[]string{{{quoted}}}",
                        )
                    ],
                )
        return new

    def _commit(
        self,
        rt: ResourceType,
        old: JSON,
        new: JSON,
        opts: WriteOptions,
        subresource: str = "",
        *,
        record: bool = True,
        validate: bool = True,
    ) -> JSON:
        strategy = self.strategy(rt)
        name = old["metadata"]["name"]
        if not subresource:
            strategy.default(new, self)
            strategy.prepare_update(new, old, self)
        if validate and subresource != "status":
            causes = validation.metadata(
                new["metadata"], name_rule=strategy.name_rule, namespaced=rt.namespaced
            ) + strategy.validate(new, old, self)
            if causes:
                raise status.invalid(rt.kind, rt.group, name, causes)
        if validate and not subresource:
            self.admission.validate(rt, new, old, opts.warnings)
        if (rt.has_generation or rt.custom) and _spec_changed(rt, old, new):
            new["metadata"]["generation"] = int(old["metadata"].get("generation") or 1) + 1
        if record:
            patching.record_update(old, new, opts.manager(), rt.api_version, clock.rfc3339(clock.now()), subresource)
        new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
        if _same(old, new):
            return self.as_version(old, rt)
        check_size(new)
        if opts.dry_run:
            return new
        if self._deletion_complete(rt, new):
            return self._remove(rt, new)
        return self.as_version(self.store.put(rt.key, self._storage(rt, new)), rt)

    def write(self, rt: ResourceType, new: JSON, manager: str, subresource: str = "") -> JSON:
        """A controller's write of an object it read from the store: no validation, no concurrency check."""
        meta = new.get("metadata") or {}
        old = self.store.get(rt.key, str(meta.get("namespace") or ""), str(meta.get("name")))
        if old is None:
            raise status.not_found(rt.plural, rt.group, str(meta.get("name")))
        incoming = copy.deepcopy(new)
        if subresource == "status":
            combined = copy.deepcopy(old)
            combined["status"] = incoming.get("status")
        else:
            combined = incoming
            for key in ("uid", "creationTimestamp", "generation", "managedFields"):
                if key in old["metadata"]:
                    combined["metadata"][key] = old["metadata"][key]
        return self._commit(rt, old, combined, WriteOptions(field_manager=manager), subresource, validate=False)

    # --- delete ---------------------------------------------------------------------------------------------

    def _deletion_complete(self, rt: ResourceType, obj: JSON) -> bool:
        meta = obj.get("metadata") or {}
        if not meta.get("deletionTimestamp") or meta.get("finalizers"):
            return False
        if rt.key == "/namespaces" and (obj.get("spec") or {}).get("finalizers"):
            return False
        return not (rt.key == "/pods" and int(meta.get("deletionGracePeriodSeconds") or 0) > 0)

    def _remove(self, rt: ResourceType, obj: JSON) -> JSON:
        meta = obj["metadata"]
        final = self.store.remove(rt.key, str(meta.get("namespace") or ""), str(meta["name"]))
        if final is None:
            raise status.not_found(rt.plural, rt.group, str(meta["name"]))
        self.strategy(rt).on_removed(final, self)
        return self.as_version(final, rt)

    def delete(
        self, rt: ResourceType, namespace: str, name: str, options: DeleteOptions, opts: WriteOptions
    ) -> tuple[JSON, int]:
        """Delete an object, or start its deletion (finalizers, a pod's grace period, propagation by the garbage
        collector); (what the API server answers, status code)."""
        if "delete" not in rt.verbs:
            raise status.method_not_allowed()
        old = self._existing(rt, namespace, name)
        _check_preconditions(rt, name, old["metadata"], options)
        policy = _propagation(rt, options)
        obj = copy.deepcopy(old)
        meta = obj["metadata"]
        grace = self._grace_period(rt, obj, options)
        if meta.get("deletionTimestamp"):
            return self._delete_again(rt, obj, old, grace, policy, opts)
        finalizers = list(meta.get("finalizers") or [])
        if policy == "Orphan" and "orphan" not in finalizers:
            finalizers.append("orphan")
        elif policy == "Foreground" and "foregroundDeletion" not in finalizers:
            finalizers.append("foregroundDeletion")
        namespace_pending = rt.key == "/namespaces" and bool((obj.get("spec") or {}).get("finalizers"))
        if finalizers or (grace is not None and grace > 0) or namespace_pending:
            meta["deletionTimestamp"] = clock.rfc3339(clock.now() + (grace or 0))
            meta["deletionGracePeriodSeconds"] = grace or 0
            if finalizers:
                meta["finalizers"] = finalizers
            if rt.has_generation or rt.custom:
                meta["generation"] = int(meta.get("generation") or 1) + 1
            if rt.key == "/namespaces":
                obj["status"] = {**(obj.get("status") or {}), "phase": "Terminating"}
            if opts.dry_run:
                return obj, 200
            stored = self.store.put(rt.key, obj)
            code = 202 if policy == "Foreground" or options.orphan_dependents is False else 200
            return self.as_version(stored, rt), code
        if opts.dry_run:
            return obj, 200
        final = self._remove(rt, obj)
        if rt.return_deleted_object:
            return final, 200
        return status.success(name, rt.group, rt.plural, str(old["metadata"].get("uid") or "")), 200

    def _delete_again(
        self, rt: ResourceType, obj: JSON, old: JSON, grace: int | None, policy: str, opts: WriteOptions
    ) -> tuple[JSON, int]:
        """Deleting what is being deleted: only a shorter grace period for a pod changes anything."""
        meta = obj["metadata"]
        if rt.key != "/pods" or grace is None or grace >= int(meta.get("deletionGracePeriodSeconds") or 0):
            return self.as_version(old, rt), 202 if policy == "Foreground" else 200
        meta["deletionGracePeriodSeconds"] = grace
        meta["deletionTimestamp"] = clock.rfc3339(clock.now() + grace)
        if opts.dry_run:
            return obj, 200
        if self._deletion_complete(rt, obj):
            return self._remove(rt, obj), 200
        return self.as_version(self.store.put(rt.key, obj), rt), 200

    def _grace_period(self, rt: ResourceType, obj: JSON, options: DeleteOptions) -> int | None:
        if rt.key != "/pods":
            return None
        spec = obj.get("spec") or {}
        phase = (obj.get("status") or {}).get("phase")
        if not spec.get("nodeName") or phase in ("Succeeded", "Failed"):
            # Nothing runs it: gone at once, like the API server does for unscheduled or finished pods.
            return 0
        if options.grace_period is not None:
            return max(0, options.grace_period)
        return (
            int(spec.get("terminationGracePeriodSeconds") or 30)
            if spec.get("terminationGracePeriodSeconds") is not None
            else 30
        )

    def finish_pod_termination(self, namespace: str, name: str) -> None:
        """The kubelet has stopped the pod's containers: the graceful deletion completes."""
        rt = self.rt("", "pods")
        obj = self.store.get(rt.key, namespace, name)
        if obj is None or not obj["metadata"].get("deletionTimestamp"):
            return
        new = copy.deepcopy(obj)
        new["metadata"]["deletionGracePeriodSeconds"] = 0
        if self._deletion_complete(rt, new):
            self._remove(rt, new)
        else:
            self.store.put(rt.key, new)

    def delete_collection(
        self,
        rt: ResourceType,
        namespace: str | None,
        list_options: ListOptions,
        options: DeleteOptions,
        opts: WriteOptions,
    ) -> JSON:
        if "deletecollection" not in rt.verbs:
            raise status.method_not_allowed()
        listed = self.list(rt, namespace, ListOptions(list_options.label_selector, list_options.field_selector))
        deleted = []
        for item in listed["items"]:
            meta = item["metadata"]
            try:
                result, _ = self.delete(rt, str(meta.get("namespace") or ""), str(meta["name"]), options, opts)
            except ApiError as exc:
                if exc.code == 404:
                    continue
                raise
            if result.get("kind") != "Status":
                deleted.append(_without_type(result) if not rt.custom else result)
        return {
            "kind": rt.list_kind,
            "apiVersion": rt.api_version,
            "metadata": {"resourceVersion": str(self.store.resource_version)},
            "items": deleted,
        }

    # --- subresources ---------------------------------------------------------------------------------------

    def get_scale(self, rt: ResourceType, namespace: str, name: str) -> JSON:
        obj = self._existing(rt, namespace, name)
        return self._scale_of(rt, obj)

    def _scale_paths(self, rt: ResourceType) -> tuple[Path, Path, Path | None]:
        if rt.scale_paths is not None:

            def split(p: str) -> Path:
                return [x for x in p.strip(".").split(".") if x]

            selector = split(rt.scale_paths.label_selector) if rt.scale_paths.label_selector else None
            return split(rt.scale_paths.spec_replicas), split(rt.scale_paths.status_replicas), selector
        return ["spec", "replicas"], ["status", "replicas"], None

    def _scale_of(self, rt: ResourceType, obj: JSON) -> JSON:
        spec_path, status_path, selector_path = self._scale_paths(rt)
        meta = obj["metadata"]
        scale_status: JSON = {"replicas": int(_dig(obj, status_path) or 0)}
        if selector_path is not None:
            selector = _dig(obj, selector_path)
            if selector:
                scale_status["selector"] = selector
        else:
            selector_obj = (obj.get("spec") or {}).get("selector")
            if selector_obj:
                scale_status["selector"] = to_string(selector_obj)
        scale_meta = {
            k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta
        }
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": scale_meta,
            "spec": {"replicas": int(_dig(obj, spec_path) or 0)},
            "status": scale_status,
        }

    def update_scale(
        self, rt: ResourceType, namespace: str, name: str, scale: Any, opts: WriteOptions, patch_type: str | None = None
    ) -> JSON:
        old = self._existing(rt, namespace, name)
        current = self._scale_of(rt, old)
        if patch_type is not None:
            try:
                if patch_type == JSON_PATCH:
                    scale = patching.json_patch(current, scale)
                elif patch_type in (MERGE_PATCH, STRATEGIC_PATCH):
                    scale = patching.json_merge_patch(current, scale)
                elif patch_type == APPLY_PATCH:
                    scale = patching.json_merge_patch(current, {"spec": (scale or {}).get("spec") or {}})
                else:
                    raise status.unsupported_media_type(patch_type, list(PATCH_TYPES))
            except patching.PatchError as exc:
                raise status.bad_request(str(exc)) from None
        if not isinstance(scale, dict):
            raise status.bad_request("the body of the request must be a Scale object")
        rv = (scale.get("metadata") or {}).get("resourceVersion")
        if rv and str(rv) != old["metadata"]["resourceVersion"]:
            raise status.stale_update(rt.plural, rt.group, name)
        replicas = (scale.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or replicas < 0:
            raise status.invalid(
                "Scale",
                "autoscaling",
                name,
                [validation.invalid_value("spec.replicas", replicas, "must be greater than or equal to 0")],
            )
        new = copy.deepcopy(old)
        spec_path, _, _ = self._scale_paths(rt)
        _set(new, spec_path, replicas)
        stored = self._commit(rt, old, new, opts, "scale", validate=False)
        return self._scale_of(rt, stored)

    def finalize_namespace(self, name: str, body: Any, opts: WriteOptions) -> JSON:
        rt = self.rt("", "namespaces")
        old = self._existing(rt, "", name)
        if not isinstance(body, dict):
            raise status.bad_request("the body of the request must be a Namespace")
        new = copy.deepcopy(old)
        new.setdefault("spec", {})["finalizers"] = list((body.get("spec") or {}).get("finalizers") or [])
        return self._commit(rt, old, new, opts, "finalize", validate=False)

    def bind(self, namespace: str, name: str, node: str, opts: WriteOptions) -> JSON:
        rt = self.rt("", "pods")
        old = self._existing(rt, namespace, name)
        if (old.get("spec") or {}).get("nodeName"):
            raise status.conflict(
                "pods", "", name, f'pod {name} is already assigned to node "{old["spec"]["nodeName"]}"'
            )
        new = copy.deepcopy(old)
        new["spec"]["nodeName"] = node
        self._commit(rt, old, new, opts, "binding", validate=False)
        return status.success()


def _check_preconditions(rt: ResourceType, name: str, meta: JSON, options: DeleteOptions) -> None:
    if options.uid and options.uid != meta.get("uid"):
        raise status.conflict(
            rt.plural,
            rt.group,
            name,
            f"Precondition failed: UID in precondition: {options.uid}, UID in object meta: {meta.get('uid')}",
        )
    if options.resource_version and options.resource_version != meta.get("resourceVersion"):
        raise status.conflict(
            rt.plural,
            rt.group,
            name,
            f"Precondition failed: ResourceVersion in precondition: {options.resource_version}, "
            f"ResourceVersion in object meta: {meta.get('resourceVersion')}",
        )


def _propagation(rt: ResourceType, options: DeleteOptions) -> str:
    """The propagation policy: asked for, implied by ``orphanDependents``, or the resource's default."""
    policy = options.propagation
    if policy is None and options.orphan_dependents is not None:
        policy = "Orphan" if options.orphan_dependents else "Foreground"
    if policy is None:
        policy = rt.default_propagation
    if policy not in ("Orphan", "Foreground", "Background"):
        raise status.invalid(
            "DeleteOptions",
            "",
            "",
            [validation.not_supported("propagationPolicy", policy, ["Background", "Foreground", "Orphan"])],
        )
    return policy


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _without_type(obj: JSON) -> JSON:
    return {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}


def _item_key(obj: JSON) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace') or ''}/{meta.get('name')}"


def _spec_changed(rt: ResourceType, old: JSON, new: JSON) -> bool:
    ignored = {"metadata", "status"} if (rt.has_status() or not rt.custom) else {"metadata"}
    keys = (set(old) | set(new)) - ignored
    return any(old.get(k) != new.get(k) for k in keys)


def _managed_without_time(meta: JSON) -> list[JSON]:
    return [{k: v for k, v in entry.items() if k != "time"} for entry in meta.get("managedFields") or []]


def _same(old: JSON, new: JSON) -> bool:
    """Whether a write would change nothing (then the API server does not write, and the resourceVersion stays)."""
    if old.keys() != new.keys():
        return False
    for key in old:
        if key == "metadata":
            a = {k: v for k, v in old["metadata"].items() if k not in ("managedFields", "resourceVersion")}
            b = {k: v for k, v in new["metadata"].items() if k not in ("managedFields", "resourceVersion")}
            if a != b or _managed_without_time(old["metadata"]) != _managed_without_time(new["metadata"]):
                return False
        elif old[key] != new[key]:
            return False
    return True


def _dig(obj: Any, path: list[str]) -> Any:
    for part in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def _set(obj: JSON, path: list[str], value: Any) -> None:
    for part in path[:-1]:
        obj = obj.setdefault(part, {})
    obj[path[-1]] = value
