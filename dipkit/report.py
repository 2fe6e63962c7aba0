"""Claims: what each chapter measured against what its paper says, carried by the executed notebook.

A chapter records every paper claim it tests with :meth:`Claims.record`: the value computed in the
notebook, a verdict computed from it (never typed in) and the tolerance within which another run
(another CPU, another seed) must reproduce the value. :meth:`Claims.save` puts the record into the
notebook's own outputs; the notebook never writes a file. ``dipkit run`` and ``dipkit refresh`` read
it back with :func:`from_notebook` and write ``<chapter>.claims.json`` beside the notebook they
produced, so only ``dipkit refresh`` can change the committed records in ``notebooks/``, and a plain
papermill or Jupyter run cannot. The test suite compares a fresh run's record with the committed one
with :func:`compare`. Later chapters read earlier records with :func:`load`; the report (chapter 11) reads
every record with :func:`records_in` and summarises a claim across seeds with :func:`spreads`.
"""

from __future__ import annotations

import json
import math
import os
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path

CLAIMS_DIR_ENV = "DIPKIT_CLAIMS_DIR"
COMMITTED_DIR = Path(__file__).resolve().parents[1] / "notebooks"
METADATA_KEY = "dipkit_claims"  # where the record rides in the output's metadata (nbval and myst-nb ignore it)


@dataclass(frozen=True)
class Claim:
    """One tested statement: the paper's figure (or None), ours, whether the statement held, and how far
    another run's value may move: ``tolerance`` (in the claim's unit) plus ``rtol`` times the value."""

    chapter: str
    name: str
    paper: float | None
    measured: float
    unit: str
    held: bool
    profile: str
    device: str
    note: str = ""
    tolerance: float = 0.0
    rtol: float = 0.0

    def allowed_deviation(self) -> float:
        return self.tolerance + self.rtol * abs(self.measured)


class Claims:
    """The claims one chapter tests, in the order it tests them."""

    def __init__(self, chapter: str, profile: str, device: str) -> None:
        self.chapter, self.profile, self.device = chapter, profile, str(device)
        self.claims: dict[str, Claim] = {}

    def record(
        self, name: str, measured: float, held: bool, *, tolerance: float | None = None, rtol: float | None = None,
        paper: float | None = None, unit: str = "", note: str = "",
    ) -> Claim:
        """Record one claim; ``held`` must be computed from ``measured``, never typed in.

        ``tolerance`` (absolute, in ``unit``) and/or ``rtol`` (relative) say how far a run on another CPU
        or with another seed may land from this value: read them off the claim's measured spread
        (``python -m benchmarks.claims_spread``), and use ``tolerance=0`` for a deterministic value.
        """
        if name in self.claims:
            raise ValueError(f"claim {name!r} is already recorded in {self.chapter}")
        if not isinstance(held, bool):
            raise TypeError(f"held must be a bool computed from the measurement, got {type(held).__name__}")
        if tolerance is None and rtol is None:
            raise ValueError(
                f"claim {name!r} declares no tolerance: pass tolerance= (absolute, in its unit) and/or rtol= "
                "(relative), read off its spread across seeds and CPUs; tolerance=0 for a deterministic value"
            )
        if not math.isfinite(measured):
            raise ValueError(f"claim {name!r} measured {measured}: a claim needs a finite value; a run too short to "
                             "measure it should say so and leave the claim out")
        if (tolerance or 0) < 0 or (rtol or 0) < 0:
            raise ValueError(f"claim {name!r}: tolerances cannot be negative (tolerance={tolerance}, rtol={rtol})")
        claim = Claim(
            self.chapter, name, None if paper is None else float(paper), round(float(measured), 4), unit, held,
            self.profile, self.device, note, float(tolerance or 0), float(rtol or 0),
        )
        self.claims[name] = claim
        return claim

    def show(self) -> None:
        """Print the claims as a table with values rounded to two decimals (stable across runs)."""
        print(format_table(list(self.claims.values())))

    def record_dict(self) -> dict:
        return record_of(self.chapter, list(self.claims.values()))

    def summary(self) -> str:
        held = sum(claim.held for claim in self.claims.values())
        return f"claims record of {self.chapter}: {len(self.claims)} claims, {held} held"

    def save(self) -> None:
        """Put the record into the notebook's outputs: a one-line summary whose output metadata carries the
        record under :data:`METADATA_KEY`, where ``dipkit run``, ``dipkit refresh``, the tests and
        :func:`from_notebook` find it; outside a notebook kernel, only the summary is printed."""
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is None:
            print(self.summary())
        else:
            display({"text/plain": self.summary()}, raw=True, metadata={METADATA_KEY: self.record_dict()})


def text_table(rows: list[tuple[str, ...]], rule: bool = True) -> str:
    """Rows of cells as left-aligned columns, the first row a header (``rule``: underlined with dashes)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    if rule:
        lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def format_table(claims: list[Claim]) -> str:
    """A plain-text table: claim, paper, measured, unit, held."""
    def number(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    rows = [("claim", "paper", "measured", "unit", "held")]
    rows += [(c.name, number(c.paper), number(c.measured), c.unit, "yes" if c.held else "NO") for c in claims]
    return text_table(rows)


def record_of(chapter: str, claims: list[Claim]) -> dict:
    """The JSON form of a chapter's claims, as saved in notebooks and ``.claims.json`` files."""
    return {"chapter": chapter, "claims": [asdict(claim) for claim in claims]}


def claims_of(record: dict) -> list[Claim]:
    return [Claim(**claim) for claim in record["claims"]]


def read(path: Path | str) -> list[Claim]:
    """The claims stored in one ``.claims.json`` file."""
    return claims_of(json.loads(Path(path).read_text()))


def write(claims: list[Claim], path: Path | str) -> Path:
    """Write a ``.claims.json`` record (what ``dipkit run`` and ``dipkit refresh`` do with a notebook's record)."""
    chapter = claims[0].chapter if claims else Path(path).name.split(".")[0]
    Path(path).write_text(json.dumps(record_of(chapter, claims), indent=1) + "\n")
    return Path(path)


def from_outputs(outputs: list) -> list[Claim] | None:
    """The claims record among a cell's outputs (nbformat output dicts), or None."""
    for output in outputs:
        record = output.get("metadata", {}).get(METADATA_KEY) if isinstance(output, dict) else None
        if record is not None:
            return claims_of(record)
    return None


def from_notebook(path: Path | str) -> list[Claim]:
    """The claims record an executed notebook carries in its outputs (see :meth:`Claims.save`)."""
    notebook = json.loads(Path(path).read_text())
    for cell in notebook["cells"]:
        claims = from_outputs(cell.get("outputs", []))
        if claims is not None:
            return claims
    raise LookupError(f"{path} carries no claims record: it was not executed to its claims.save() cell")


def compare(committed: list[Claim], measured: list[Claim]) -> list[str]:
    """What changed between the committed record and a new run's: one sentence per change, empty when the
    run reproduces it (the same claims, the same verdicts, each value within the committed claim's tolerance)."""
    before, after = {c.name: c for c in committed}, {c.name: c for c in measured}
    changes = [f"claim {name!r} is no longer recorded" for name in before if name not in after]
    changes += [f"claim {name!r} is new (not in the committed record)" for name in after if name not in before]
    for name in before.keys() & after.keys():
        old, new = before[name], after[name]
        if old.held != new.held:
            changes.append(f"claim {name!r} {'no longer holds' if old.held else 'now holds'}: measured "
                           f"{new.measured:g} {new.unit}, committed {old.measured:g} {old.unit}")
        deviation = abs(new.measured - old.measured)
        if deviation > old.allowed_deviation() + 1e-9:
            changes.append(f"claim {name!r} measured {new.measured:g} {new.unit}, committed {old.measured:g}: off by "
                           f"{deviation:.4g}, more than its tolerance {old.allowed_deviation():.4g}")
        if (old.tolerance, old.rtol) != (new.tolerance, new.rtol):
            changes.append(f"claim {name!r} declares another tolerance: tolerance={new.tolerance:g}, rtol={new.rtol:g} "
                           f"(committed tolerance={old.tolerance:g}, rtol={old.rtol:g}); re-baseline on purpose")
    return sorted(changes)


def load(chapter: str) -> dict[str, Claim]:
    """An earlier chapter's claims by name: from ``$DIPKIT_CLAIMS_DIR`` when set (``dipkit run`` sets it to the
    run's folder, so a chapter reads the records of the same run), else the committed record."""
    folders = [Path(os.environ[CLAIMS_DIR_ENV])] if os.environ.get(CLAIMS_DIR_ENV) else []
    for folder in [*folders, COMMITTED_DIR]:
        path = folder / f"{chapter}.claims.json"
        if path.is_file():
            return {claim.name: claim for claim in read(path)}
    raise FileNotFoundError(
        f"no claims record for {chapter!r} in {' or '.join(map(str, [*folders, COMMITTED_DIR]))}; run that chapter "
        f"first (dipkit run notebooks/{chapter}.ipynb)"
    )


# --------------------------------------------------------------------------- the report (chapter 11)


def records_in(folder: Path | str, labelled: bool = False) -> dict[str, list[Claim]]:
    """Every chapter's claims record in a folder (``NN_name.claims.json``; the template's is not a chapter's),
    by chapter, in reading order.

    ``labelled``: also the records of the labelled runs in its sub-folders (``dipkit run --label``, e.g.
    ``runs/paper/set5-baby/``: one chapter run in parts, one image at a time on a CPU). A chapter's parts are
    merged into one record as one run would have written it: each claim once, from the first record that has it
    (the folder's own, then the sub-folders by name)."""
    paths = sorted(Path(folder).glob("[0-9][0-9]_*.claims.json"))
    if labelled:
        paths += sorted(Path(folder).glob("*/[0-9][0-9]_*.claims.json"))
    records: dict[str, dict[str, Claim]] = {}
    for path in paths:
        merged = records.setdefault(path.name.removesuffix(".claims.json"), {})
        for claim in read(path):
            merged.setdefault(claim.name, claim)
    return {chapter: list(claims.values()) for chapter, claims in sorted(records.items())}


@dataclass(frozen=True)
class Spread:
    """One claim across several runs of its chapter (seeds, CPUs): the values, the verdicts, and what they say
    about the claim: its mean and standard deviation, and whether its verdict depends on the run."""

    chapter: str
    name: str
    paper: float | None
    unit: str
    values: tuple[float, ...]
    held: tuple[bool, ...]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values)

    @property
    def std(self) -> float:
        """The sample standard deviation (0 for one run)."""
        return statistics.stdev(self.values) if len(self.values) > 1 else 0.0

    @property
    def held_fraction(self) -> float:
        return sum(self.held) / len(self.held)

    @property
    def verdict_changes(self) -> bool:
        return 0 < sum(self.held) < len(self.held)


def spreads(runs: list[list[Claim]]) -> list[Spread]:
    """Each claim across the runs of one chapter, in the order the runs record them; a claim missing from some
    runs (another version of the chapter) is summarised over the runs that hold it."""
    by_name: dict[str, list[Claim]] = {}
    for claims in runs:
        for claim in claims:
            by_name.setdefault(claim.name, []).append(claim)
    return [
        Spread(found[0].chapter, name, found[0].paper, found[0].unit, tuple(c.measured for c in found),
               tuple(c.held for c in found))
        for name, found in by_name.items()
    ]


def format_spreads(rows: list[Spread]) -> str:
    """A plain-text table: claim, paper, mean +- std over the runs, unit, runs, fraction held."""
    table = [("claim", "paper", "mean +- std", "unit", "runs", "held")]
    table += [(s.name, "-" if s.paper is None else f"{s.paper:.2f}", f"{s.mean:.2f} +- {s.std:.2f}", s.unit,
               str(len(s.values)), f"{sum(s.held)}/{len(s.held)}") for s in rows]
    return text_table(table)
