"""The notebook regression contract (CONTRIBUTING.md, "What CI checks"), as a pytest plugin on top of nbval.

nbval re-executes each committed notebook and compares it with its committed outputs:

- every cell must run without error and produce the same outputs: the same output types, the same text
  with every number replaced by ``<N>`` and runs of spaces collapsed (floating-point rounding differs
  between CPUs and training amplifies it, so numbers are not compared as text);
- cells tagged ``exact-output`` (tables recomputed from released images, closed-form checks, data
  statistics) are compared exactly, numbers included, after ``tests/nbval_sanitize.cfg``;
- after the last cell, the claims record the run produced must match the committed record
  ``notebooks/<stem>.claims.json``: the same claims, the same verdicts, and each value within the
  tolerance that claim declares (:func:`dipkit.spread.compare`).

Loaded by the root ``conftest.py``; ``python -m pytest -p tests.notebook_contract --nbval ...`` loads it
for notebooks elsewhere (tests/test_notebook_contract.py does, on small notebooks made to fail).
"""

import re
from pathlib import Path

import pytest
from nbval.plugin import IPyNbCell, IPyNbFile

from dipkit import report, spread

EXACT_TAG = "exact-output"
NUMBER = re.compile(r"[-+]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
SPACES = re.compile(r"[ \t]+")

_nbval_sanitize = IPyNbCell.sanitize


def sanitize(cell: IPyNbCell, text):
    """nbval's sanitizing (tests/nbval_sanitize.cfg), then numbers and spacing unless the cell is exact."""
    text = _nbval_sanitize(cell, text)
    if isinstance(text, str) and EXACT_TAG not in cell.cell.metadata.get("tags", []):
        text = SPACES.sub(" ", NUMBER.sub("<N>", text))
    return text


IPyNbCell.sanitize = sanitize


class ClaimsCheck(pytest.Item):
    """The claims record of this nbval run against the committed one (runs after the notebook's last cell)."""

    def __init__(self, *, cells: list[IPyNbCell], **kwargs) -> None:
        super().__init__(**kwargs)
        self.cells = cells

    def runtest(self) -> None:
        stem = Path(self.path).stem
        records = (report.from_outputs(cell.test_outputs or []) for cell in self.cells)
        measured = next((claims for claims in records if claims is not None), None)
        if measured is None:
            raise ClaimsChanged(f"{stem}: this run produced no claims record (did its claims.save() cell run?)")
        committed = report.read(Path(self.path).with_suffix(".claims.json"))
        changes = spread.compare(committed, measured)
        if changes:
            raise ClaimsChanged(f"{stem}: the claims differ from the committed record:\n  " + "\n  ".join(changes))

    def repr_failure(self, excinfo):
        return str(excinfo.value) if isinstance(excinfo.value, ClaimsChanged) else super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"{Path(self.path).name}::claims"


class ClaimsChanged(AssertionError):
    pass


def pytest_collection_modifyitems(session, config, items):
    """Append a :class:`ClaimsCheck` after each notebook's cells (the record itself rides in output metadata,
    which nbval does not compare)."""
    notebooks: dict[IPyNbFile, list[IPyNbCell]] = {}
    for item in items:
        if isinstance(item, IPyNbCell):
            notebooks.setdefault(item.parent, []).append(item)
    for notebook, cells in notebooks.items():
        if Path(notebook.path).with_suffix(".claims.json").exists():
            items.insert(items.index(cells[-1]) + 1, ClaimsCheck.from_parent(notebook, name="claims", cells=cells))
