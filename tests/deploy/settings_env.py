"""The environment variables each service reads, derived from its pydantic-settings classes (never a hand list).

A service reads its ``ServiceSpec.settings`` class plus every other ``BaseSettings`` subclass defined in its
package (the edge's ``LiveSettings``, ``ONECLICK_LIVE_*``). A field's variable is its validation alias choices
when it has some, else ``env_prefix + name``; names are case-insensitive, as pydantic-settings reads them.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from functools import cache
from types import ModuleType
from typing import Any

from pydantic import AliasChoices, AliasPath
from pydantic_settings import BaseSettings

from oneclick_cli.discovery import load_service, service_names


def variables_of(settings: type[BaseSettings]) -> dict[str, str]:
    """Upper-cased variable name → field name."""
    prefix = str(settings.model_config.get("env_prefix") or "")
    names: dict[str, str] = {}
    for field_name, field in settings.model_fields.items():
        alias: Any = field.validation_alias
        if isinstance(alias, AliasChoices):
            choices = [choice for choice in alias.choices if isinstance(choice, str)]
        elif isinstance(alias, str):
            choices = [alias]
        elif isinstance(alias, AliasPath):
            raise AssertionError(f"{settings.__name__}.{field_name}: an AliasPath names no variable")
        else:
            choices = [prefix + (field.alias or field_name)]
        for choice in choices:
            names[choice.upper()] = field_name
    return names


def _package_modules(package: ModuleType) -> list[ModuleType]:
    modules = [package]
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        modules.append(importlib.import_module(info.name))
    return modules


@cache
def settings_classes(service: str) -> tuple[type[BaseSettings], ...]:
    spec = load_service(service)
    package = importlib.import_module(spec.setup.__module__.split(".")[0])
    found: list[type[BaseSettings]] = [spec.settings]
    for module in _package_modules(package):
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseSettings) and value.__module__ == module.__name__ and value not in found:
                found.append(value)
    return tuple(found)


@cache
def service_variables(service: str) -> dict[str, str]:
    """Every variable ``service`` reads → the field that reads it."""
    names: dict[str, str] = {}
    for settings in settings_classes(service):
        names.update(variables_of(settings))
    return names


def all_services() -> list[str]:
    return service_names()


def unknown_variables(service: str, names: set[str]) -> set[str]:
    known = service_variables(service)
    return {name for name in names if name.upper() not in known}
