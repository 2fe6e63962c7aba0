"""One claim across several runs of its chapter (seeds, instruction sets): its mean, its spread and whether
its verdict depends on the run: how chapter 11 summarises the committed sweeps and the evidence runs."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from dipkit.report import Claim, text_table


@dataclass(frozen=True)
class Spread:
    """One claim across several runs of its chapter (seeds, CPUs): the values, the verdicts, and what they say
    about the claim: its mean and standard deviation, and whether its verdict depends on the run."""

    chapter: str
    name: str
    paper: float | None
    unit: str
    values: tuple[float, ...]
    held: tuple[bool | None, ...]
    kind: str = ""

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values)

    @property
    def std(self) -> float:
        """The sample standard deviation (0 for one run)."""
        return statistics.stdev(self.values) if len(self.values) > 1 else 0.0

    @property
    def verdict_changes(self) -> bool:
        """Whether the claim's verdict differs between the runs: a *seed-dependent* claim, never counted as held."""
        return len(set(self.held)) > 1


def spreads(runs: list[list[Claim]]) -> list[Spread]:
    """Each claim across the runs of one chapter, in the order the runs record them; a claim missing from some
    runs (another version of the chapter) is summarised over the runs that hold it."""
    by_name: dict[str, list[Claim]] = {}
    for claims in runs:
        for claim in claims:
            by_name.setdefault(claim.name, []).append(claim)
    return [
        Spread(found[0].chapter, name, found[0].paper, found[0].unit, tuple(c.measured for c in found),
               tuple(c.held for c in found), found[-1].kind)
        for name, found in by_name.items()
    ]


def format_spreads(rows: list[Spread]) -> str:
    """A plain-text table: claim, paper, mean +- std over the runs, unit, runs, fraction held."""
    table = [("claim", "paper", "mean +- std", "unit", "runs", "held")]
    table += [(s.name, "-" if s.paper is None else f"{s.paper:.2f}", f"{s.mean:.2f} +- {s.std:.2f}", s.unit,
               str(len(s.values)), f"{sum(bool(held) for held in s.held)}/{len(s.held)}"
               + (" seed-dependent" if s.verdict_changes else "")) for s in rows]
    return text_table(table)
