"""The package's shape: every module documented where a newcomer looks, the nets families exported alike,
DIPKIT_DATA read in one place, and no speed layer in the code a reader learns from."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import dipkit
import dipkit.nets

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(m.name.split(".")[-1] for m in pkgutil.iter_modules(dipkit.__path__))
FAMILIES = sorted(m.name for m in pkgutil.iter_modules(dipkit.nets.__path__))


def test_every_module_is_listed_in_the_package_docstring_and_the_readme_layout() -> None:
    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout") :]
    for name in MODULES:
        assert f"``{name}``" in dipkit.__doc__, f"dipkit/__init__.py's docstring does not mention {name}"
        assert re.search(rf"^\s+{name}(\.py|/)\s", layout, re.MULTILINE), f"README's layout does not list {name}"
    assert FAMILIES == ["crn", "dip", "gan", "lapgan", "pix2pix", "srgan", "t2i", "vae"]  # one module per paper family


@pytest.mark.parametrize("family", FAMILIES)
def test_each_nets_family_exports_its_public_names(family: str) -> None:
    module = importlib.import_module(f"dipkit.nets.{family}")
    assert module.__all__, f"dipkit.nets.{family} has an empty __all__"
    for name in module.__all__:
        assert hasattr(module, name), f"dipkit.nets.{family}.__all__ names {name}, which it does not define"
    public = {n for n, v in vars(module).items() if callable(v) and getattr(v, "__module__", "") == module.__name__
              and not n.startswith("_")}
    assert public <= set(module.__all__), f"dipkit.nets.{family} defines {public - set(module.__all__)} outside __all__"
    assert f"``{family}``" in dipkit.nets.__doc__


def test_only_dipkit_data_reads_dipkit_data_and_no_module_tunes_the_allocator() -> None:
    for path in sorted((ROOT / "dipkit").rglob("*.py")):
        text = path.read_text()
        if path.name != "data.py":
            assert "DIPKIT_DATA" not in text, f"{path} reads DIPKIT_DATA itself"
        assert "ctypes" not in text and "mallopt" not in text, f"{path} tunes the allocator"
