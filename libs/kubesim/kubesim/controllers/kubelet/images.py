"""Images behave by name (documented in docs/kubesim.md), and are reported the way containerd names them (pure).

- ``fail-pull``, ``does-not-exist``, ``doesnotexist``, ``nonexistent`` anywhere in the image: the pull fails
  (ErrImagePull, then ImagePullBackOff).
- a ``crash`` or ``crashloop`` word in the image (words split at ``/ : . _ - @``): the container exits with code 1
  shortly after starting (CrashLoopBackOff with a growing restartCount under restartPolicy Always).
- an ``oom`` word: like crash, but OOMKilled with exit code 137.
"""

from __future__ import annotations

import re

from kubesim.names import stable_digest

FAIL_PULL_MARKERS = ("fail-pull", "does-not-exist", "doesnotexist", "nonexistent")
CRASH_WORDS = ("crash", "crashloop", "crashing")
OOM_WORDS = ("oom", "oomkilled")


def image_behaviour(image: str) -> str:
    """``pull-fail``, ``crash``, ``oom`` or ``ok`` for an image reference."""
    lowered = image.lower()
    if any(marker in lowered for marker in FAIL_PULL_MARKERS):
        return "pull-fail"
    words = set(re.split(r"[/:._\-@]+", lowered))
    if words & set(OOM_WORDS):
        return "oom"
    if words & set(CRASH_WORDS):
        return "crash"
    return "ok"


def normalize_image(image: str) -> str:
    """What the runtime reports: ``nginx:1.25`` -> ``docker.io/library/nginx:1.25``."""
    name = image
    if "@" not in name and ":" not in name.rsplit("/", 1)[-1]:
        name += ":latest"
    first = name.split("/", 1)[0]
    if "/" not in name or ("." not in first and ":" not in first and first != "localhost"):
        name = "docker.io/" + (name if "/" in name else "library/" + name)
    return name


def image_id(image: str) -> str:
    """The ``imageID`` of a pulled image: its repository and a digest stable for the reference."""
    repo = normalize_image(image).split("@", 1)[0]
    last = repo.rsplit("/", 1)
    repo = repo if ":" not in last[-1] else repo.rsplit(":", 1)[0]
    return f"{repo}@sha256:{stable_digest('image', image)}"
