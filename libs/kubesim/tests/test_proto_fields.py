"""The protobuf field table names the sources its generator pins, is complete, and the generator's parser reads
Kubernetes' ``generated.proto`` files. Whether the table is exactly what the pinned sources make needs clones of
kubernetes/api and kubernetes/apimachinery, which no test machine has: a maintainer checks it when bumping the tags
with ``python libs/kubesim/tools/generate_proto_fields.py --check <api clone> <apimachinery clone>``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from kubesim import proto_fields, protobuf

GENERATOR = Path(__file__).resolve().parents[1] / "tools" / "generate_proto_fields.py"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kubesim_generate_proto_fields", GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs: its dataclasses look their module up.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_table_names_its_source_and_the_generator_pins_the_same() -> None:
    generator = _generator()
    assert dict(proto_fields.SOURCE) == {**generator.SOURCE, "generator": "libs/kubesim/tools/generate_proto_fields.py"}


def test_every_message_the_table_refers_to_is_in_it_or_decoded_by_hand() -> None:
    generator = _generator()
    scalars = set(generator.SCALARS.values())
    referred = {kind.removeprefix("map:") for schema in proto_fields.FIELDS.values() for _, kind, _ in schema.values()}
    assert {kind for kind in referred if kind not in scalars} <= set(proto_fields.FIELDS) | protobuf.SPECIAL
    assert set(generator.ROOTS) <= set(proto_fields.FIELDS)


def test_parser_reads_go_to_protobuf_messages() -> None:
    text = """
        syntax = "proto2";
        package k8s.io.api.apps.v1;
        // A comment with a field-like line: optional string nope = 9;
        message Thing {
          optional .k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
          repeated string names = 2;
          map<string, .k8s.io.apimachinery.pkg.api.resource.Quantity> limits = 3;
          optional ThingSpec spec = 4;
          optional int64 count = 5;
        }
    """
    fields = _generator().parse(text)["apps.Thing"]
    assert [(f.number, f.name, f.kind, f.repeated) for f in fields] == [
        (1, "metadata", "meta.ObjectMeta", False),
        (2, "names", "s", True),
        (3, "limits", "map:res.Quantity", False),
        (4, "spec", "apps.ThingSpec", False),
        (5, "count", "i", False),
    ]
