"""One claim across several runs of its chapter (seeds, instruction sets): its mean, its spread and whether
its verdict depends on the run: how chapter 11 summarises the committed sweeps and the evidence runs. And two
runs against each other (:func:`compare`): what a new run changed in the committed record, the regression
check of the notebook tests."""

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


def compare(committed: list[Claim], measured: list[Claim]) -> list[str]:
    """What changed between the committed record and a new run's: one sentence per change, empty when the
    run reproduces it (the same claims, the same verdicts, each value within the committed claim's tolerance)."""
    before, after = {c.name: c for c in committed}, {c.name: c for c in measured}
    changes = [f"claim {name!r} is no longer recorded" for name in before if name not in after]
    changes += [f"claim {name!r} is new (not in the committed record)" for name in after if name not in before]
    for name in before.keys() & after.keys():
        old, new = before[name], after[name]
        if old.held != new.held:
            changes.append(f"claim {name!r} is now {new.verdict!r}, committed {old.verdict!r}: measured "
                           f"{new.measured:g} {new.unit}, committed {old.measured:g} {old.unit}")
        if old.within_band != new.within_band and old.kind != "magnitude":
            changes.append(f"claim {name!r} against the paper is now {new.against_paper!r}, committed "
                           f"{old.against_paper!r}")
        if (old.kind, old.band, old.band_rel, old.comparable) != (new.kind, new.band, new.band_rel, new.comparable):
            changes.append(f"claim {name!r} declares another kind, band or comparability: {new.kind}, "
                           f"band={new.band}, band_rel={new.band_rel}, comparable={new.comparable} (committed "
                           f"{old.kind}, band={old.band}, band_rel={old.band_rel}, comparable={old.comparable}); "
                           "re-baseline on purpose")
        deviation = abs(new.measured - old.measured)
        if deviation > old.allowed_deviation() + 1e-9:
            changes.append(f"claim {name!r} measured {new.measured:g} {new.unit}, committed {old.measured:g}: off by "
                           f"{deviation:.4g}, more than its tolerance {old.allowed_deviation():.4g}")
        if (old.above, old.below) != (new.above, new.below):
            changes.append(f"claim {name!r} declares another threshold: above={new.above}, below={new.below} "
                           f"(committed above={old.above}, below={old.below}); re-baseline on purpose")
        if (old.tolerance, old.rtol) != (new.tolerance, new.rtol):
            changes.append(f"claim {name!r} declares another tolerance: tolerance={new.tolerance:g}, rtol={new.rtol:g} "
                           f"(committed tolerance={old.tolerance:g}, rtol={old.rtol:g}); re-baseline on purpose")
    return sorted(changes)
