"""deploy/Dockerfile read as its stages and instructions (no Docker engine is needed to check it)."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from dockerfile_parse import DockerfileParser

from .build_context import REPO

DOCKERFILE = REPO / "deploy" / "Dockerfile"


@dataclass(frozen=True)
class Instruction:
    name: str
    value: str

    def flags_and_args(self) -> tuple[dict[str, str], list[str]]:
        """``--from=x a b`` → ({"from": "x"}, ["a", "b"]); exec-form JSON arrays are decoded."""
        value = self.value.strip()
        flags: dict[str, str] = {}
        words = shlex.split(value) if not value.startswith("[") else []
        while words and words[0].startswith("--"):
            key, _, flag_value = words.pop(0)[2:].partition("=")
            flags[key] = flag_value
        if value.startswith("["):
            return flags, list(json.loads(value))
        return flags, words


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, name: str) -> list[Instruction]:
        return [i for i in self.instructions if i.name == name]

    def one(self, name: str) -> Instruction:
        found = self.all(name)
        assert len(found) == 1, f"stage {self.name}: expected one {name}, found {len(found)}"
        return found[0]

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for word in shlex.split(instruction.value):
                key, _, value = word.partition("=")
                values[key] = value
        return values

    def run_commands(self) -> list[str]:
        return [" ".join(i.flags_and_args()[1]) for i in self.all("RUN")]


@dataclass
class Dockerfile:
    args: dict[str, str]
    stages: list[Stage]

    def stage(self, name: str) -> Stage:
        return next(stage for stage in self.stages if stage.name == name)

    def resolve(self, text: str) -> str:
        return re.sub(r"\$\{(\w+)\}", lambda m: self.args.get(m.group(1), m.group(0)), text)


def load(path: Path = DOCKERFILE) -> Dockerfile:
    parser = DockerfileParser(path=str(path))
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for item in parser.structure:
        name, value = item["instruction"], " ".join(item["value"].split())
        if name == "COMMENT":
            continue
        if name == "FROM":
            base, _, alias = value.partition(" AS ")
            stages.append(Stage(alias.strip() or str(len(stages)), base.strip()))
        elif not stages and name == "ARG":
            key, _, default = value.partition("=")
            args[key] = default
        else:
            stages[-1].instructions.append(Instruction(name, value))
    return Dockerfile(args, stages)
