"""Claims: what each chapter measured against what its paper says, saved beside the executed notebook.

A chapter records every paper claim it tests with :meth:`Claims.record`, the value computed in the
notebook and a verdict computed from it (never typed in), then :meth:`Claims.save` writes
``<chapter>.claims.json`` into ``$DIPKIT_CLAIMS_DIR`` (set by ``dipkit run`` to ``runs/<profile>/``)
or, by default, the working directory (the notebook's folder for the committed run). Later
chapters read earlier records with :func:`load`, and the reproducibility report aggregates them.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

CLAIMS_DIR_ENV = "DIPKIT_CLAIMS_DIR"
COMMITTED_DIR = Path(__file__).resolve().parents[1] / "notebooks"


@dataclass(frozen=True)
class Claim:
    """One tested statement: the paper's figure (or None), ours, and whether the statement held."""

    chapter: str
    name: str
    paper: float | None
    measured: float
    unit: str
    held: bool
    profile: str
    device: str
    note: str = ""


def claims_dir() -> Path:
    """Where records are written and first looked for: ``$DIPKIT_CLAIMS_DIR`` or the working directory."""
    return Path(os.environ.get(CLAIMS_DIR_ENV) or Path.cwd())


class Claims:
    """The claims one chapter tests, in the order it tests them."""

    def __init__(self, chapter: str, profile: str, device: str) -> None:
        self.chapter, self.profile, self.device = chapter, profile, str(device)
        self.claims: dict[str, Claim] = {}

    def record(
        self, name: str, measured: float, held: bool, *, paper: float | None = None, unit: str = "", note: str = ""
    ) -> Claim:
        """Record one claim; ``held`` must be computed from ``measured``, never typed in."""
        if name in self.claims:
            raise ValueError(f"claim {name!r} is already recorded in {self.chapter}")
        if not isinstance(held, bool):
            raise TypeError(f"held must be a bool computed from the measurement, got {type(held).__name__}")
        claim = Claim(
            self.chapter, name, None if paper is None else float(paper), round(float(measured), 4), unit, held,
            self.profile, self.device, note,
        )
        self.claims[name] = claim
        return claim

    def show(self) -> None:
        """Print the claims as a table with values rounded to two decimals (stable across runs)."""
        print(format_table(list(self.claims.values())))

    def save(self, directory: Path | str | None = None) -> Path:
        """Write ``<chapter>.claims.json`` and return its path."""
        folder = Path(directory) if directory is not None else claims_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.chapter}.claims.json"
        record = {"chapter": self.chapter, "claims": [asdict(claim) for claim in self.claims.values()]}
        path.write_text(json.dumps(record, indent=1) + "\n")
        return path


def format_table(claims: list[Claim]) -> str:
    """A plain-text table: claim, paper, measured, unit, held."""
    def number(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    rows = [("claim", "paper", "measured", "unit", "held")]
    rows += [(c.name, number(c.paper), number(c.measured), c.unit, "yes" if c.held else "NO") for c in claims]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def read(path: Path | str) -> list[Claim]:
    """The claims stored in one ``.claims.json`` file."""
    record = json.loads(Path(path).read_text())
    return [Claim(**claim) for claim in record["claims"]]


def load(chapter: str) -> dict[str, Claim]:
    """An earlier chapter's claims by name, from the current claims folder or else the committed run."""
    for folder in dict.fromkeys([claims_dir(), COMMITTED_DIR]):
        path = folder / f"{chapter}.claims.json"
        if path.is_file():
            return {claim.name: claim for claim in read(path)}
    raise FileNotFoundError(
        f"no claims record for {chapter!r} in {claims_dir()} or {COMMITTED_DIR}; run that chapter first "
        f"(dipkit run notebooks/{chapter}.ipynb)"
    )
