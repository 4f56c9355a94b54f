"""Which RPC methods each service's code calls, read from its source: every ``<client>.call(METHOD, ...)``.

METHOD is resolved in the calling module's namespace: a name (``LIST``), an attribute of an imported contracts
module (``rpc.VIEW``), or ``ping(service)`` (the edge's health check pings every other service). A call whose
method cannot be resolved fails loudly, so a new way of calling is never silently left out.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from oneclick_cli.discovery import load_service
from oneclick_core.contracts import rpc as rpc_contract
from oneclick_core.contracts.catalog import all_rpc_methods
from oneclick_core.contracts.rpc import SERVICES, RpcMethod


class UnresolvedCall(AssertionError):
    pass


def _modules(service: str) -> list[ModuleType]:
    package = importlib.import_module(load_service(service).setup.__module__.split(".")[0])
    found = [package]
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        found.append(importlib.import_module(info.name))
    return found


def _resolve(node: ast.expr, namespace: dict[str, Any]) -> Any:
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, namespace)
        return getattr(owner, node.attr, None) if owner is not None else None
    return None


def _called(node: ast.expr, namespace: dict[str, Any], service: str) -> set[str]:
    if isinstance(node, ast.Call) and _resolve(node.func, namespace) is rpc_contract.ping:
        return {rpc_contract.ping(name).subject for name in SERVICES if name != service}
    method = _resolve(node, namespace)
    if isinstance(method, RpcMethod):
        return {method.subject}
    raise UnresolvedCall(ast.unparse(node))


@cache
def rpc_calls(service: str) -> frozenset[str]:
    """Subjects of the RPC methods ``service`` calls (its own methods excluded)."""
    subjects: set[str] = set()
    for module in _modules(service):
        assert module.__file__ is not None
        tree = ast.parse(Path(module.__file__).read_text())
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "call"
                and node.args
            ):
                continue
            try:
                subjects |= _called(node.args[0], vars(module), service)
            except UnresolvedCall as exc:
                raise UnresolvedCall(f"{module.__name__}:{node.lineno}: cannot tell which RPC `{exc}` is") from None
    own = f"oneclick.rpc.{service}."
    return frozenset(subject for subject in subjects if not subject.startswith(own))


def every_rpc_subject() -> set[str]:
    return {method.subject for method in all_rpc_methods()}
