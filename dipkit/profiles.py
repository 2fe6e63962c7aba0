"""The profiles: named sets of per-notebook parameter values over each notebook's defaults, which are the quick
profile. ``profiles/<name>.yaml`` maps a notebook's stem to the values it changes (``paper``: the papers' sizes,
widths and schedules; ``long``: the evidence profile, sized so a paper's headline comparison can show on one CPU
core in about an hour)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

FOLDER = Path(__file__).resolve().parents[1] / "profiles"


def names() -> list[str]:
    """``quick`` (each notebook's defaults) plus one profile per ``profiles/<name>.yaml``."""
    return ["quick"] + sorted(path.stem for path in FOLDER.glob("*.yaml"))


def overrides(profile: str) -> dict[str, dict[str, Any]]:
    """Per-notebook values of a profile (empty for ``quick``)."""
    if profile not in names():
        raise ValueError(f"unknown profile {profile!r}; accepted: {', '.join(names())}")
    if profile == "quick":
        return {}
    return yaml.safe_load((FOLDER / f"{profile}.yaml").read_text()) or {}


def matches(chapter: str, profile: str, values: Mapping[str, Any]) -> bool:
    """Whether a run's parameter ``values`` (a notebook's: ``globals()``) are all those ``profile`` sets for
    ``chapter``: a run of the paper profile with its step counts cut, or a quick run, is not at the paper's
    setting, so its magnitudes are not compared with the paper's figures."""
    wanted = overrides(profile).get(chapter)
    if not wanted:
        return False
    return all(name in values and values[name] == value for name, value in wanted.items())


__all__ = ["FOLDER", "matches", "names", "overrides"]
