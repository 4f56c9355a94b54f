"""What ``docker build`` sends as its context: the repository's files filtered by ``.dockerignore``.

Docker's rules: patterns are matched against the path relative to the context root and against each of its
parent directories; ``*`` and ``?`` stay within one path segment, ``**`` spans any number; the last pattern
that matches decides, and a pattern starting with ``!`` re-includes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _regex(pattern: str) -> re.Pattern[str]:
    out = ""
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            out += "(?:.*/)?"
            index += 3
            continue
        if pattern.startswith("**", index):
            out += ".*"
            index += 2
            continue
        out += {"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char))
        index += 1
    return re.compile(out + r"\Z")


@dataclass(frozen=True)
class Rule:
    regex: re.Pattern[str]
    include: bool


def parse_dockerignore(text: str) -> list[Rule]:
    rules = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        include = line.startswith("!")
        pattern = line.removeprefix("!").strip().strip("/")
        rules.append(Rule(_regex(pattern), include))
    return rules


def _candidates(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def included(rules: list[Rule], path: str) -> bool:
    verdict = True
    for rule in rules:
        if any(rule.regex.match(candidate) for candidate in _candidates(path)):
            verdict = rule.include
    return verdict


@dataclass
class BuildContext:
    root: Path = REPO

    @cached_property
    def rules(self) -> list[Rule]:
        return parse_dockerignore((self.root / ".dockerignore").read_text())

    @cached_property
    def files(self) -> list[str]:
        """Tracked and untracked (not git-ignored) files that the context keeps."""
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=self.root,
            check=True,
            capture_output=True,
        ).stdout.decode()
        return sorted(
            path for path in listed.split("\0") if path and (self.root / path).is_file() and included(self.rules, path)
        )

    def has(self, source: str) -> bool:
        """A COPY source (file or directory) that the context holds."""
        source = source.strip("/").removeprefix("./")
        return any(path == source or path.startswith(source + "/") for path in self.files)

    def copy_to(self, target: Path, sources: list[str]) -> None:
        """Materialize the given COPY sources of the context under ``target``."""
        for source in sources:
            source = source.strip("/")
            for path in self.files:
                if path == source or path.startswith(source + "/"):
                    destination = target / path
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(self.root / path, destination)
