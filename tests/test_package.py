"""The package's shape: every module documented where a newcomer looks, the nets families exported alike,
DIPKIT_DATA read in one place, no speed layer in the code a reader learns from, and no notebook helper twice."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
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
    # one module per paper family, and the judges that score their samples
    assert FAMILIES == ["crn", "dip", "gan", "judges", "lapgan", "pix2pix", "srgan", "t2i", "vae"]


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


def test_only_dipkit_datasets_reads_dipkit_data_and_no_module_tunes_the_allocator() -> None:
    reads = re.compile(r"(environ(\.get)?|getenv)\s*[\[(]\s*(DATA_ENV|\"DIPKIT_DATA\"|'DIPKIT_DATA')")
    for path in sorted((ROOT / "dipkit").rglob("*.py")):
        text = path.read_text()
        if path.name != "datasets.py":
            assert not reads.search(text), f"{path} reads DIPKIT_DATA itself"
        assert "ctypes" not in text and "mallopt" not in text, f"{path} tunes the allocator"


def dipkit_imports(path: Path) -> set[str]:
    """The dipkit modules a module imports, at its top or inside a function (``dipkit.nets.*`` as ``nets``)."""
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "dipkit":
            parts = node.module.split(".")
            imported |= {parts[1]} if len(parts) > 1 else {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            imported |= {a.name.split(".")[1] for a in node.names if a.name.startswith("dipkit.")}
    return imported - {path.stem}


def test_the_import_graph_has_no_circle() -> None:
    graph = {path.stem: dipkit_imports(path) & set(MODULES) for path in (ROOT / "dipkit").glob("*.py")}
    graph.pop("__init__", None)
    graph["nets"] = set().union(*(dipkit_imports(path) for path in (ROOT / "dipkit" / "nets").glob("*.py")))
    graph["nets"] = graph["nets"] & set(MODULES) - {"nets"}  # one family importing another is not a circle

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(step == goal or (step not in seen and reaches(step, goal, seen | {step})) for step in graph[start])

    circles = sorted(module for module in graph if reaches(module, module, {module}))
    assert not circles, f"modules on an import circle: {circles} ({ {m: sorted(graph[m]) for m in circles} })"


def notebook_definitions() -> dict[str, list[str]]:
    """Every function and class a notebook's code defines, at any depth: {name: [notebook stems]}."""
    definitions: dict[str, list[str]] = {}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        code = "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                definitions.setdefault(node.name, []).append(path.stem)
    return definitions


def public_dipkit_names() -> dict[str, str]:
    """{name: module} for every public function and class defined in a dipkit module."""
    names = {}
    for package in (dipkit, dipkit.nets):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for name, value in vars(module).items():
                if (not name.startswith("_") and (inspect.isfunction(value) or inspect.isclass(value))
                        and value.__module__ == module.__name__):
                    names[name] = module.__name__
    return names


def test_no_notebook_function_is_written_twice_or_shadows_dipkit() -> None:
    """A helper two chapters need lives once in dipkit, and a notebook's own function never takes the name of
    one of dipkit's (a reader would take one for the other)."""
    definitions, public = notebook_definitions(), public_dipkit_names()
    twice = {name: stems for name, stems in definitions.items() if len(set(stems)) > 1}
    assert not twice, f"defined in more than one notebook (move it into dipkit): {twice}"
    shadowing = {name: (stems, public[name]) for name, stems in definitions.items() if name in public}
    assert not shadowing, f"notebook definitions named like a public dipkit function: {shadowing}"
