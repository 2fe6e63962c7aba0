"""Claims: what each chapter measured against what its paper says, carried by the executed notebook.

A chapter records every paper claim it tests with :meth:`Claims.record`: its kind (:data:`KINDS`: a check,
a direction, a magnitude), the value computed in the notebook, the verdicts computed from it (never typed
in) and the tolerance within which another run (another CPU, another seed) must reproduce the value.
:meth:`Claims.save` puts the record into the
notebook's own outputs; the notebook never writes a file. ``dipkit run`` and ``dipkit refresh`` read
it back with :func:`from_notebook` and write ``<chapter>.claims.json`` beside the notebook they
produced, so only ``dipkit refresh`` can change the committed records in ``notebooks/``, and a plain
papermill or Jupyter run cannot. The test suite compares a fresh run's record with the committed one
with :func:`compare`. Later chapters read earlier records with :func:`load`; the report (chapter 11) reads
every record with :func:`records_in`, and :mod:`dipkit.spread` summarises a claim across seeds.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

CLAIMS_DIR_ENV = "DIPKIT_CLAIMS_DIR"
COMMITTED_DIR = Path(__file__).resolve().parents[1] / "notebooks"
SWEEPS_DIR = COMMITTED_DIR.parent / "benchmarks" / "results" / "sweeps"  # the committed quick sweeps' claims records
METADATA_KEY = "dipkit_claims"  # where the record rides in the output's metadata (nbval and myst-nb ignore it)


KINDS = ("check", "direction", "magnitude")
"""What a claim asserts, each with its own verdict:

* ``check``: a property that must hold exactly or nearly (a reconstruction, an identity, a gradient);
* ``direction``: the paper's qualitative statement (A beats B, the curve peaks then falls), with a margin;
* ``magnitude``: our figure against the paper's, within a band stated per claim, judged only on a run whose
  profile and data can be compared with the paper's; elsewhere "not comparable at this profile".

A direction that comes with the paper's figure for the same quantity also gets a magnitude verdict (the band
around that figure), so "the semi-supervised GAN beats its baseline" and "its error is the paper's 0.93 %" are
two verdicts on one measured value, never one."""

NOT_COMPARABLE = "not comparable at this profile"
FALLBACK = " (fallback data)"
"""Added to the profile of a run that asked for a dataset and read another (:func:`dipkit.data.fall_back`): its
magnitudes are never compared with the paper's, whatever the notebook passed as ``comparable``."""


@dataclass(frozen=True)
class Claim:
    """One tested statement: the paper's figure (or None), ours, the verdict of its kind, and how far another
    run's value may move: ``tolerance`` (in the claim's unit) plus ``rtol`` times the value.

    ``held``: the check's or the direction's verdict; for a magnitude, the same as ``within_band`` (None when the
    run is not comparable with the paper). ``within_band``: |measured - paper| <= ``band`` + ``band_rel`` |paper|,
    None without a band or on a run that is not ``comparable``. ``above`` / ``below``: the threshold a check or a
    direction was judged against (held: measured > above, or measured < below), None where the notebook computed
    ``held`` itself. ``kind`` is "" in records written before kinds."""

    chapter: str
    name: str
    paper: float | None
    measured: float
    unit: str
    held: bool | None
    profile: str
    device: str
    note: str = ""
    tolerance: float = 0.0
    rtol: float = 0.0
    kind: str = ""
    band: float | None = None
    band_rel: float | None = None
    comparable: bool = False
    within_band: bool | None = None
    above: float | None = None
    below: float | None = None

    def allowed_deviation(self) -> float:
        return self.tolerance + self.rtol * abs(self.measured)

    @property
    def allowed_gap(self) -> float | None:
        """How far from the paper's figure a magnitude may land, in the claim's unit (None without a band)."""
        if self.paper is None or (self.band is None and self.band_rel is None):
            return None
        return (self.band or 0.0) + (self.band_rel or 0.0) * abs(self.paper)

    @property
    def threshold(self) -> float | None:
        """The value the verdict turns on (``above`` or ``below``), None where the record does not name one."""
        return self.above if self.above is not None else self.below

    @property
    def tolerance_spans_threshold(self) -> bool:
        """Whether the declared tolerance reaches across the threshold: another run, within tolerance, may then
        give the other verdict, so the verdict is the seed's, not the method's (a seed-dependent claim)."""
        return self.threshold is not None and abs(self.measured - self.threshold) <= self.allowed_deviation() + 1e-9

    @property
    def verdict(self) -> str:
        """The claim's own verdict in words: "held", "not held", or :data:`NOT_COMPARABLE` for a magnitude."""
        if self.held is None:
            return NOT_COMPARABLE
        return "held" if self.held else "not held"

    @property
    def against_paper(self) -> str:
        """The magnitude verdict in words ("within 0.3 dB", "outside 0.3 dB", :data:`NOT_COMPARABLE`), or "-"
        for a claim with no band around a paper figure."""
        gap = self.allowed_gap
        if gap is None:
            return "-"
        if self.within_band is None:
            return NOT_COMPARABLE
        return f"{'within' if self.within_band else 'OUTSIDE'} {gap:.3g}{' ' + self.unit if self.unit else ''}"


class Claims:
    """The claims one chapter tests, in the order it tests them."""

    def __init__(self, chapter: str, profile: str, device: str) -> None:
        from dipkit import data  # here, not at the top: the command line imports this module without the readers

        self.chapter, self.device, self._profile = chapter, str(device), profile
        self._fallbacks = data.FALLBACKS
        self._fallbacks_before = len(data.FALLBACKS)  # replaced before this run began: not this run's
        self._claims: dict[str, Claim] = {}

    @property
    def fell_back(self) -> bool:
        """Whether a dataset this run asked for was replaced since it began (:func:`dipkit.data.fall_back`)."""
        return len(self._fallbacks) > self._fallbacks_before

    @property
    def profile(self) -> str:
        """The run's profile, "<profile> (fallback data)" once a dataset was replaced (:data:`FALLBACK`)."""
        return self._profile + FALLBACK if self.fell_back else self._profile

    @property
    def claims(self) -> dict[str, Claim]:
        """The claims by name, each under the run's profile now: on fallback data, no magnitude is comparable,
        including those recorded before the data fell back."""
        if not self.fell_back:
            return dict(self._claims)
        return {name: replace(claim, profile=self.profile, comparable=False, within_band=None,
                              held=None if claim.kind == "magnitude" else claim.held)
                for name, claim in self._claims.items()}

    def record(
        self, name: str, measured: float, held: bool | None = None, *, kind: str, tolerance: float | None = None,
        rtol: float | None = None, paper: float | None = None, band: float | None = None,
        band_rel: float | None = None, comparable: bool | None = None, unit: str = "", note: str = "",
        above: float | None = None, below: float | None = None,
    ) -> Claim:
        """Record one claim of a :data:`KINDS` kind; ``held`` must be computed from ``measured``, never typed in.

        A check or a direction passes one of ``held``, ``above`` (held when ``measured`` > ``above``) or ``below``
        (held when ``measured`` < ``below``). With a threshold the record keeps it, so a tolerance that reaches
        across it is seen (:attr:`Claim.tolerance_spans_threshold`) and the verdict is shown as seed-dependent;
        ``held`` is for a verdict that is not one value against one threshold.

        A magnitude passes no ``held``: it gives ``paper``, a ``band``
        (absolute, in ``unit``) and/or ``band_rel`` (relative to the paper's figure), and ``comparable``, whether
        this run's profile and data can be compared with the paper's; its verdict is computed here. A direction
        that gives the paper's figure gives its band and ``comparable`` too, for its magnitude verdict.

        ``tolerance`` (absolute, in ``unit``) and/or ``rtol`` (relative) say how far a run on another CPU
        or with another seed may land from this value: read them off the claim's measured spread
        (``python -m benchmarks.claims_spread``), and use ``tolerance=0`` for a deterministic value.
        """
        if name in self._claims:
            raise ValueError(f"claim {name!r} is already recorded in {self.chapter}")
        if kind not in KINDS:
            raise ValueError(f"claim {name!r}: kind {kind!r} is not one of {', '.join(KINDS)}")
        if tolerance is None and rtol is None:
            raise ValueError(
                f"claim {name!r} declares no tolerance: pass tolerance= (absolute, in its unit) and/or rtol= "
                "(relative), read off its spread across seeds and CPUs; tolerance=0 for a deterministic value"
            )
        if not math.isfinite(measured):
            raise ValueError(f"claim {name!r} measured {measured}: a claim needs a finite value; a run too short to "
                             "measure it should say so and leave the claim out")
        if any((value or 0) < 0 for value in (tolerance, rtol, band, band_rel)):
            raise ValueError(f"claim {name!r}: tolerances and bands cannot be negative (tolerance={tolerance}, "
                             f"rtol={rtol}, band={band}, band_rel={band_rel})")
        has_band = band is not None or band_rel is not None
        thresholds = [value for value in (above, below) if value is not None]
        if kind != "magnitude" and len(thresholds) + (held is not None) != 1:
            raise ValueError(f"{kind} claim {name!r} passes one of held=, above= or below= (the verdict, or the "
                             "threshold its measured value must pass), not "
                             + (" and ".join(f"{k}=" for k, v in [("held", held), ("above", above),
                                                                 ("below", below)] if v is not None) or "none"))
        if thresholds and not math.isfinite(thresholds[0]):
            raise ValueError(f"claim {name!r}: its threshold must be finite, got {thresholds[0]}")
        if kind == "magnitude":
            if held is not None or thresholds:
                raise ValueError(f"magnitude claim {name!r}: pass no held=, above= or below=, its verdict is "
                                 "computed from the band")
            if paper is None or not has_band:
                raise ValueError(f"magnitude claim {name!r} needs the paper's figure (paper=) and a band (band= "
                                 "absolute and/or band_rel= relative), fixed before the value is read")
        elif held is not None and not isinstance(held, bool):
            raise TypeError(f"{kind} claim {name!r}: held must be a bool computed from the measurement, got "
                            f"{type(held).__name__}")
        if kind == "direction" and paper is not None and not has_band:
            raise ValueError(f"direction claim {name!r} gives the paper's figure: give its band too (band= and/or "
                             "band_rel=), so its magnitude is judged apart from its direction")
        if kind == "check" and has_band:
            raise ValueError(f"check claim {name!r}: a check has no band; its held= says whether the property holds")
        if has_band and not isinstance(comparable, bool):
            raise TypeError(f"claim {name!r}: with a band, comparable= must say (a bool) whether this run's profile "
                            "and data can be compared with the paper's")
        measured = round(float(measured), 4)
        if above is not None:
            held = bool(measured > above)
        elif below is not None:
            held = bool(measured < below)
        comparable = comparable and not self.fell_back
        within = None
        if has_band and comparable:
            within = bool(abs(measured - paper) <= (band or 0.0) + (band_rel or 0.0) * abs(paper))
        claim = Claim(
            self.chapter, name, None if paper is None else float(paper), measured, unit,
            within if kind == "magnitude" else held, self.profile, self.device, note, float(tolerance or 0),
            float(rtol or 0), kind, None if band is None else float(band),
            None if band_rel is None else float(band_rel), bool(comparable), within,
            None if above is None else float(above), None if below is None else float(below),
        )
        self._claims[name] = claim
        return claim

    def show(self) -> None:
        """Print the claims as a table with values rounded to two decimals (stable across runs), then the claims
        whose verdict changed between the committed sweeps' runs at this profile (:func:`seed_dependent`), then
        those whose declared tolerance reaches across their threshold."""
        print(format_table(list(self.claims.values())))
        dependent = seed_dependent(self.chapter, sweeps_of(self.profile))
        flagged = [name for name in self.claims if name in dependent]
        if flagged:
            print("seed-dependent (its verdict changes between the seeds or instruction sets of the committed sweeps, "
                  "so it is not a result yet): " + ", ".join(flagged))
        spanning = [f"{c.name} ({c.measured:.2f} ± {c.allowed_deviation():.2f}, threshold {c.threshold:.2f})"
                    for c in self.claims.values() if c.tolerance_spans_threshold]
        if spanning:
            print("seed-dependent (its declared tolerance reaches across its threshold: another run may give the "
                  "other verdict): " + ", ".join(spanning))

    def record_dict(self) -> dict:
        return record_of(self.chapter, list(self.claims.values()))

    def summary(self) -> str:
        counts = format_tally(tally(self.claims.values(), flagged(self.claims.values())))
        return f"claims record of {self.chapter}: {len(self.claims)} claims; {counts}"

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


@dataclass
class Tally:
    """One kind's verdicts over a set of claims (a magnitude counts every claim with a band)."""

    held: int = 0
    not_held: int = 0
    seed_dependent: int = 0
    not_comparable: int = 0

    @property
    def judged(self) -> int:
        return self.held + self.not_held + self.seed_dependent


def tally(claims, seed_dependent: frozenset[tuple[str, str]] = frozenset()) -> dict[str, Tally]:
    """Verdicts by kind. ``seed_dependent``: (chapter, name) of the claims whose verdict changed between the
    seeds of a sweep (:func:`seed_dependent`): counted as such, never as held, and so is a check or direction
    whose tolerance reaches across its threshold (:attr:`Claim.tolerance_spans_threshold`). A magnitude of a run on
    fallback data (profile ending in :data:`FALLBACK`) is not comparable, whatever its record says. A claim
    recorded before kinds existed (``kind`` "") is not counted: its one verdict cannot be told apart."""
    counts = {kind: Tally() for kind in KINDS}
    for claim in claims:
        if not claim.kind:
            continue
        verdicts = [] if claim.kind == "magnitude" else [(claim.kind, claim.held)]
        if claim.allowed_gap is not None:
            comparable = claim.comparable and not claim.profile.endswith(FALLBACK)
            verdicts.append(("magnitude", claim.within_band if comparable else None))
        for kind, verdict in verdicts:
            count = counts[kind]
            if verdict is None:
                count.not_comparable += 1
            elif kind != "magnitude" and ((claim.chapter, claim.name) in seed_dependent
                                          or claim.tolerance_spans_threshold):
                count.seed_dependent += 1
            elif verdict:
                count.held += 1
            else:
                count.not_held += 1
    return counts


def format_tally(counts: dict[str, Tally]) -> str:
    """"checks 3/3 held; directions 5/8 held (1 seed-dependent); magnitudes 1/2 within band (4 not comparable)"."""
    parts = []
    for kind, count in counts.items():
        if not count.judged and not count.not_comparable:
            continue
        verb = "within band" if kind == "magnitude" else "held"
        extra = [f"{count.seed_dependent} seed-dependent"] if count.seed_dependent else []
        extra += [f"{count.not_comparable} not comparable at this profile"] if count.not_comparable else []
        parts.append(f"{kind}s {count.held}/{count.judged} {verb}" + (f" ({', '.join(extra)})" if extra else ""))
    return "; ".join(parts) or "no claims"


def text_table(rows: list[tuple[str, ...]], rule: bool = True) -> str:
    """Rows of cells as left-aligned columns, the first row a header (``rule``: underlined with dashes)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    if rule:
        lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def format_table(claims: list[Claim]) -> str:
    """A plain-text table: claim, kind, paper, measured, unit, its verdict, and the magnitude against the paper."""
    def number(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    rows = [("claim", "kind", "paper", "measured", "unit", "verdict", "vs paper")]
    rows += [(c.name, c.kind, number(c.paper), number(c.measured), c.unit,
              "NOT HELD" if c.held is False else c.verdict, c.against_paper) for c in claims]
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


def figure_from_notebook(path: Path | str, source_text: str) -> bytes:
    """The first PNG figure among the outputs of the first code cell whose source contains ``source_text``, in an
    executed notebook: how a chapter shows the key figure of a committed run (an evidence or paper run) beside
    its own, without running it again."""
    import base64

    notebook = json.loads(Path(path).read_text())
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code" and source_text in "".join(cell["source"]):
            for output in cell.get("outputs", []):
                if "image/png" in output.get("data", {}):
                    return base64.b64decode(output["data"]["image/png"])
            raise LookupError(f"{path}: the cell with {source_text!r} shows no PNG figure")
    raise LookupError(f"{path}: no code cell contains {source_text!r}")


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


def sweeps_of(profile: str) -> Path:
    """Where a profile's committed sweeps are: :data:`SWEEPS_DIR` for the quick profile (its seed and
    instruction-set sweeps), ``runs/<profile>/sweeps`` for the others (the evidence runs)."""
    return SWEEPS_DIR if profile == "quick" else COMMITTED_DIR.parent / "runs" / profile / "sweeps"


def seed_dependent(chapter: str, folder: Path = SWEEPS_DIR) -> set[str]:
    """The claims of a chapter whose verdict differs between any two runs of the committed sweeps in ``folder``,
    pooled (each sweep's ``<chapter>/seed-<k>.claims.json``: the seeds, and the instruction sets of sweeps run
    with a capped one; override sets, in sub-folders, are not mixed in): not results yet."""
    verdicts: dict[str, set[bool | None]] = {}
    for sweep_folder in sorted(folder.glob("*")):
        for path in sorted((sweep_folder / chapter).glob("seed-*.claims.json")):
            for claim in read(path):
                verdicts.setdefault(claim.name, set()).add(claim.held)
    return {name for name, seen in verdicts.items() if len(seen) > 1}


def flagged(claims) -> frozenset[tuple[str, str]]:
    """(chapter, name) of the claims that are seed-dependent at their own run's profile, as :func:`tally` takes
    them: a quick run's against the committed quick sweeps, an evidence run's against its profile's sweeps."""
    claims = list(claims)
    dependent = {(c.chapter, c.profile): set() for c in claims}
    for chapter, profile in dependent:
        dependent[(chapter, profile)] = seed_dependent(chapter, sweeps_of(profile))
    return frozenset((c.chapter, c.name) for c in claims if c.name in dependent[(c.chapter, c.profile)])
