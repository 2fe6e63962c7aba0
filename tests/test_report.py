import json
from dataclasses import replace

import nbformat
import pytest

from dipkit import report, spread


def make_claims(gain: float = 31.234567 - 20.0, rate: float = 1.0):
    claims = report.Claims("99_test", profile="quick", device="cpu")
    claims.record("denoising/gain", gain, gain > 3, kind="direction", tolerance=0.5, unit="dB", note="tv")
    claims.record("sr/rate", rate, rate > 1.47, kind="direction", rtol=0.1, paper=1.47, band_rel=0.2, comparable=False,
                  unit="x")
    return claims


def claims_list(**kwargs) -> list[report.Claim]:
    return list(make_claims(**kwargs).claims.values())


def test_write_and_read_round_trip(tmp_path):
    path = report.write(claims_list(), tmp_path / "99_test.claims.json")
    assert json.loads(path.read_text())["chapter"] == "99_test"
    first, second = report.read(path)
    assert (first.name, first.measured, first.held, first.note, first.tolerance) == (
        "denoising/gain", 11.2346, True, "tv", 0.5
    )
    assert (second.paper, second.held, second.profile, second.device, second.rtol) == (1.47, False, "quick", "cpu", 0.1)


def test_save_puts_the_record_into_the_notebook_outputs_and_writes_no_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    make_claims().save()  # outside a kernel, display prints the text form
    assert capsys.readouterr().out.strip() == ("claims record of 99_test: 2 claims; directions 1/2 held; "
                                               "magnitudes 0/0 within band (1 not comparable at this profile)")
    assert list(tmp_path.iterdir()) == []
    record = make_claims().record_dict()
    cell = nbformat.v4.new_code_cell("claims.save()", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text="table\n"),
        nbformat.v4.new_output("display_data", data={"text/plain": "summary"}, metadata={report.METADATA_KEY: record}),
    ])
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# t"), cell])
    nbformat.write(notebook, tmp_path / "run.ipynb")
    assert report.from_notebook(tmp_path / "run.ipynb") == claims_list()
    notebook.cells.pop()
    nbformat.write(notebook, tmp_path / "unfinished.ipynb")
    with pytest.raises(LookupError, match="carries no claims record"):
        report.from_notebook(tmp_path / "unfinished.ipynb")


def test_record_checks_its_arguments():
    claims = report.Claims("99_test", "quick", "cpu")
    with pytest.raises(TypeError, match="held must be a bool"):
        claims.record("x", 1.0, "yes", kind="check", tolerance=0)
    with pytest.raises(ValueError, match="declares no tolerance"):
        claims.record("x", 1.0, True, kind="check")
    with pytest.raises(ValueError, match="cannot be negative"):
        claims.record("x", 1.0, True, kind="check", tolerance=-1)
    for missing in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="needs a finite value"):
            claims.record("x", missing, False, kind="check", tolerance=0)
    claims.record("x", 1.0, True, kind="check", tolerance=0)
    with pytest.raises(ValueError, match="already recorded"):
        claims.record("x", 2.0, True, kind="check", tolerance=0)


@pytest.mark.parametrize(("arguments", "error", "message"), [
    (dict(held=True), TypeError, "missing 1 required keyword-only argument: 'kind'"),
    (dict(held=True, kind="reproduction"), ValueError, "kind 'reproduction' is not one of check, direction, magnitude"),
    (dict(held=True, kind="magnitude", paper=1.0, band=0.1, comparable=True), ValueError, "pass no held="),
    (dict(kind="magnitude", band=0.1, comparable=True), ValueError, "needs the paper's figure"),
    (dict(kind="magnitude", paper=1.0, comparable=True), ValueError, "needs the paper's figure"),
    (dict(kind="magnitude", paper=1.0, band=0.1), TypeError, "comparable= must say"),
    (dict(held=True, kind="direction", paper=1.0), ValueError, "give its band too"),
    (dict(held=True, kind="check", paper=1.0, band=0.1, comparable=True), ValueError, "a check has no band"),
    (dict(kind="direction", paper=1.0, band=0.1, comparable=True), ValueError,
     "passes one of held=, above= or below= (the verdict, or the threshold its measured value must pass), not none"),
    (dict(held=True, above=0.5, kind="direction"), ValueError, "passes one of held=.*not held= and above="),
    (dict(above=0.5, below=2.0, kind="check"), ValueError, "not above= and below="),
    (dict(above=0.5, kind="magnitude", paper=1.0, band=0.1, comparable=True), ValueError,
     "pass no held=, above= or below="),
    (dict(above=float("nan"), kind="direction"), ValueError, "its threshold must be finite"),
])
def test_record_asks_each_kind_for_what_its_verdict_needs(arguments, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        report.Claims("99_test", "quick", "cpu").record("x", 1.0, tolerance=0, **arguments)


@pytest.mark.parametrize(("measured", "comparable", "held", "verdict", "against"), [
    (29.7, True, True, "held", "within 0.3 dB"),
    (29.5, True, False, "not held", "OUTSIDE 0.3 dB"),
    (30.3, True, False, "not held", "OUTSIDE 0.3 dB"),
    (29.5, False, None, "not comparable at this profile", "not comparable at this profile"),
])
def test_a_magnitude_is_judged_within_its_band_and_only_where_the_run_is_comparable(
    measured, comparable, held, verdict, against,
):
    claim = report.Claims("02_x", "paper", "cpu").record(
        "set5/mean", measured, kind="magnitude", paper=29.9, band=0.3, comparable=comparable, tolerance=0, unit="dB")
    assert (claim.held, claim.within_band, claim.verdict, claim.against_paper) == (held, held, verdict, against)


def test_a_direction_with_the_papers_figure_gets_two_verdicts():
    """Chapter 05's semi-supervised GAN beats its baseline (direction, held) far from the paper's 0.93 % error
    (magnitude): one value, two verdicts, and "held" never stands for the magnitude."""
    claims = report.Claims("05_x", "paper", "cpu")
    claim = claims.record("ssgan/test_error", 6.13, True, kind="direction", paper=0.93, band_rel=0.5, comparable=True,
                          tolerance=1, unit="%")
    assert (claim.held, claim.within_band, claim.against_paper) == (True, False, "OUTSIDE 0.465 %")
    counts = report.tally([claim])
    assert (counts["direction"].held, counts["magnitude"].not_held, counts["check"].judged) == (1, 1, 0)


def test_tally_counts_each_kind_and_never_counts_a_seed_dependent_claim_as_held():
    claims = report.Claims("04_x", "quick", "cpu")
    claims.record("value", -1.3863, True, kind="check", tolerance=0)
    claims.record("beats", 1.0, True, kind="direction", tolerance=0)
    claims.record("flips", 1.0, True, kind="direction", tolerance=0)
    claims.record("fails", 1.0, False, kind="direction", tolerance=0)
    claims.record("size", 1.0, kind="magnitude", paper=2.0, band=0.5, comparable=False, tolerance=0)
    counts = report.tally(claims.claims.values(), seed_dependent=frozenset({("04_x", "flips")}))
    assert counts["check"] == report.Tally(held=1)
    assert counts["direction"] == report.Tally(held=1, not_held=1, seed_dependent=1)
    assert counts["magnitude"] == report.Tally(not_comparable=1)
    assert report.format_tally(counts) == ("checks 1/1 held; directions 1/3 held (1 seed-dependent); "
                                           "magnitudes 0/0 within band (1 not comparable at this profile)")


@pytest.mark.parametrize(("threshold", "measured", "held"), [
    (dict(above=0.1), 0.25, True), (dict(above=0.1), 0.1, False), (dict(above=0.1), -0.05, False),
    (dict(below=1.0), 0.5, True), (dict(below=1.0), 1.0, False), (dict(below=1.0), 2.4, False),
])
def test_a_threshold_verdict_is_computed_strictly_and_kept_in_the_record(threshold, measured, held, tmp_path):
    claim = report.Claims("09_x", "quick", "cpu").record("gain", measured, kind="direction", tolerance=0.01,
                                                          **threshold)
    assert (claim.held, claim.threshold) == (held, next(iter(threshold.values())))
    path = report.write([claim], tmp_path / "09_x.claims.json")
    assert report.read(path) == [claim]


@pytest.mark.parametrize(("measured", "tolerance", "rtol", "spans"), [
    (2.37, 5.0, 0.0, True),  # chapter 10's Frechet ratio at 2d33b2d: 2.37 +- 5 around a threshold of 1
    (1.2, 0.1, 0.0, False), (1.1, 0.1, 0.0, True), (0.95, 0.1, 0.0, True), (0.85, 0.1, 0.0, False),
    (2.0, 0.0, 0.6, True), (2.0, 0.0, 0.4, False),  # rtol scales with the value: 2 +- 1.2 reaches 1, 2 +- 0.8 not
])
def test_a_tolerance_that_reaches_across_the_threshold_makes_the_verdict_seed_dependent(measured, tolerance, rtol,
                                                                                         spans):
    claims = report.Claims("10_x", "quick", "cpu")
    claim = claims.record("ratio", measured, kind="direction", below=1.0, tolerance=tolerance, rtol=rtol)
    assert claim.tolerance_spans_threshold is spans
    counts = report.tally([claim])["direction"]
    assert (counts.seed_dependent, counts.held + counts.not_held) == ((1, 0) if spans else (0, 1))


def test_a_held_verdict_without_a_threshold_is_never_called_spanning():
    claim = report.Claims("10_x", "quick", "cpu").record("ratio", 1.0, True, kind="direction", tolerance=100)
    assert (claim.threshold, claim.tolerance_spans_threshold) == (None, False)


def test_show_names_the_claims_whose_tolerance_reaches_across_the_threshold(capsys):
    claims = report.Claims("10_x", "quick", "cpu")
    claims.record("frechet_ratio", 2.37, kind="direction", below=1.0, tolerance=5.0)
    claims.record("gain", 0.3, kind="direction", above=0.1, tolerance=0.05)
    claims.show()
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == ("seed-dependent (its declared tolerance reaches across its threshold: another run may give "
                         "the other verdict): frechet_ratio (2.37 ± 5.00, threshold 1.00)")
    assert "seed-dependent" not in "".join(lines[:-1])


def test_show_prints_a_rounded_table(capsys):
    make_claims().show()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["claim", "kind", "paper", "measured", "unit", "verdict", "vs", "paper"]
    assert lines[2].split() == ["denoising/gain", "direction", "-", "11.23", "dB", "held", "-"]
    assert lines[3].split() == ["sr/rate", "direction", "1.47", "1.00", "x", "NOT", "HELD", "not", "comparable", "at",
                                "this", "profile"]


def test_compare_accepts_a_run_within_each_claims_tolerance():
    assert spread.compare(claims_list(), claims_list(gain=11.2346 + 0.49, rate=1.0 * 1.09)) == []


ALLOWED = {"denoising/gain": 0.5, "sr/rate": 0.1}
"""What make_claims' claims may move: gain declares tolerance=0.5 (dB), rate rtol=0.1 of its committed 1.0."""


def moved(name: str, delta: float, committed: list[report.Claim] | None = None) -> list[report.Claim]:
    """The committed claims (make_claims' by default) with one claim's measured value moved by ``delta``, its
    verdict kept."""
    return [replace(c, measured=c.measured + delta) if c.name == name else c for c in committed or claims_list()]


@pytest.mark.parametrize("sign", [1, -1], ids=["up", "down"])
@pytest.mark.parametrize("name", ALLOWED)
def test_compare_holds_each_value_to_its_tolerance_in_both_directions(name, sign):
    """A value that falls beyond its tolerance has changed as much as one that rises (absolute ``tolerance`` and
    relative ``rtol`` alike): a one-sided check (no abs()) would pass every run that got worse downwards."""
    allowed = ALLOWED[name]
    assert spread.compare(claims_list(), moved(name, sign * 0.9 * allowed)) == []
    changes = spread.compare(claims_list(), moved(name, sign * 1.2 * allowed))
    assert len(changes) == 1 and changes[0].startswith(f"claim {name!r} measured"), (
        f"{name} moved by {sign * 1.2 * allowed:+g}, its tolerance {allowed:g}: {changes}")
    assert f"off by {1.2 * allowed:.4g}, more than its tolerance {allowed:.4g}" in changes[0], changes


@pytest.mark.parametrize(
    ("measured", "message"),
    [
        (claims_list(gain=2.0),
         "'denoising/gain' is now 'not held', committed 'held': measured 2 dB, committed 11.2346 dB"),
        (claims_list(gain=11.2346 + 0.6), "'denoising/gain' measured 11.8346 dB, committed 11.2346: off by 0.6, "
                                          "more than its tolerance 0.5"),
        (claims_list(rate=1.2), "'sr/rate' measured 1.2 x, committed 1: off by 0.2, more than its tolerance 0.1"),
        (claims_list(rate=1.5), "'sr/rate' is now 'held'"),
        (claims_list()[:1], "claim 'sr/rate' is no longer recorded"),
    ],
)
def test_compare_names_each_change(measured, message):
    changes = spread.compare(claims_list(), measured)
    assert any(message in change for change in changes), changes


@pytest.mark.parametrize("value", [20.0, -20.0])
def test_compare_scales_rtol_by_the_size_of_the_committed_value(value):
    """rtol=0.1 of a claim committed at 20, or at -20 (a loss, a difference in dB), allows 2 either way: rtol is a
    fraction of |value|, not an absolute allowance (the suite's other rtol claim sits at 1, where both agree)."""
    committed = claims_list(rate=value)
    for delta in (1.8, -1.8, 2.2, -2.2):
        changes = spread.compare(committed, moved("sr/rate", delta, committed))
        if abs(delta) < 2:
            assert changes == [], f"{delta:+g} from {value:g} is within 0.1 * |{value:g}| = 2: {changes}"
        else:
            assert len(changes) == 1 and "more than its tolerance 2" in changes[0], (delta, changes)


def test_compare_reports_a_renamed_claim_and_a_changed_tolerance():
    renamed = [report.Claim(**{**claims_list()[0].__dict__, "name": "denoising/gain_db"}), claims_list()[1]]
    assert spread.compare(claims_list(), renamed) == [
        "claim 'denoising/gain' is no longer recorded",
        "claim 'denoising/gain_db' is new (not in the committed record)"]
    wider = [report.Claim(**{**claims_list()[0].__dict__, "tolerance": 5.0}), claims_list()[1]]
    assert spread.compare(claims_list(), wider) == [
        "claim 'denoising/gain' declares another tolerance: tolerance=5, rtol=0 (committed tolerance=0.5, rtol=0); "
        "re-baseline on purpose"]
    other_kind = [report.Claim(**{**claims_list()[0].__dict__, "kind": "check"}), claims_list()[1]]
    assert spread.compare(claims_list(), other_kind) == [
        "claim 'denoising/gain' declares another kind, band or comparability: check, band=None, band_rel=None, "
        "comparable=False (committed direction, band=None, band_rel=None, comparable=False); re-baseline on purpose"]
    moved = [report.Claim(**{**claims_list()[0].__dict__, "above": 4.0}), claims_list()[1]]
    assert spread.compare(claims_list(), moved) == [
        "claim 'denoising/gain' declares another threshold: above=4.0, below=None (committed above=None, "
        "below=None); re-baseline on purpose"]


def test_a_record_written_before_kinds_reads_with_an_empty_kind(tmp_path):
    record = report.record_of("99_test", claims_list())
    for claim in record["claims"]:
        for field in ("kind", "band", "band_rel", "comparable", "within_band"):
            claim.pop(field)
    (tmp_path / "old.claims.json").write_text(json.dumps(record))
    old = report.read(tmp_path / "old.claims.json")
    assert [(c.kind, c.held, c.against_paper) for c in old] == [("", True, "-"), ("", False, "-")]
    assert report.format_tally(report.tally(old)) == "no claims"  # one verdict, of no known kind: not counted


def test_load_reads_the_run_folder_then_the_committed_records(tmp_path, monkeypatch):
    monkeypatch.setenv(report.CLAIMS_DIR_ENV, str(tmp_path))
    report.write(claims_list(), tmp_path / "99_test.claims.json")
    assert report.load("99_test")["sr/rate"].paper == 1.47
    # not in tmp_path: committed
    assert report.load("00_inverse_problems")["denoising/astronaut/best_psnr"].unit == "dB"
    with pytest.raises(FileNotFoundError, match="run that chapter first"):
        report.load("98_missing")


def test_records_in_reads_the_chapters_records_in_order_and_not_the_template(tmp_path):
    for stem in ("01_b", "00_a", "_template"):
        report.write([replace_chapter(c, stem) for c in claims_list()], tmp_path / f"{stem}.claims.json")
    assert list(report.records_in(tmp_path)) == ["00_a", "01_b"]
    assert report.records_in(tmp_path)["01_b"][0].chapter == "01_b"


def test_records_in_merges_a_chapter_run_in_labelled_parts(tmp_path):
    """runs/paper/set5-<image>/: one chapter run one image at a time; merged, each claim once, as one run's record."""
    shared = claims_list()  # both parts record these (the tables every run of the chapter computes)
    own = {label: report.Claims("02_x", "paper", "cpu") for label in ("set5-bird", "set5-head")}
    for label, claims in own.items():
        claims.record(f"rerun/{label}", 1.0, True, kind="direction", tolerance=0)
        (tmp_path / label).mkdir()
        report.write([replace_chapter(c, "02_x") for c in shared] + list(claims.claims.values()),
                     tmp_path / label / "02_x.claims.json")
    assert report.records_in(tmp_path) == {}  # parts are read only when asked for
    merged = report.records_in(tmp_path, labelled=True)["02_x"]
    assert [c.name for c in merged] == ["denoising/gain", "sr/rate", "rerun/set5-bird", "rerun/set5-head"]


def replace_chapter(claim: report.Claim, chapter: str) -> report.Claim:
    return replace(claim, chapter=chapter)


def test_spreads_summarise_each_claim_across_runs():
    runs = [claims_list(gain=gain, rate=rate) for gain, rate in ((4.0, 1.5), (6.0, 1.4), (5.0, 1.6))]
    gain, rate = spread.spreads(runs)
    assert (gain.name, gain.values, gain.mean, gain.std) == ("denoising/gain", (4, 6, 5), 5, 1)
    assert not gain.verdict_changes
    assert rate.held == (True, False, True) and rate.verdict_changes and rate.paper == 1.47
    single = spread.spreads(runs[:1])[0]
    assert single.std == 0 and not single.verdict_changes
    table = spread.format_spreads([gain, rate]).splitlines()
    assert table[0].split() == ["claim", "paper", "mean", "+-", "std", "unit", "runs", "held"]
    assert table[2].split() == ["denoising/gain", "-", "5.00", "+-", "1.00", "dB", "3", "3/3"]
    assert table[3].split() == ["sr/rate", "1.47", "1.50", "+-", "0.10", "x", "3", "2/3", "seed-dependent"]



def test_figure_from_notebook_finds_a_committed_runs_figure(tmp_path):
    import base64

    png = b"\x89PNG\r\n\x1a\nfake"
    figure = nbformat.v4.new_output("display_data", data={"image/png": base64.b64encode(png).decode(),
                                                          "text/plain": "<Figure>"})
    cells = [nbformat.v4.new_code_cell("x = 1", outputs=[]),
             nbformat.v4.new_code_cell("figure = plot.compare(inpainted)", outputs=[figure])]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), tmp_path / "run.ipynb")
    assert report.figure_from_notebook(tmp_path / "run.ipynb", "plot.compare(") == png
    with pytest.raises(LookupError, match="shows no PNG figure"):
        report.figure_from_notebook(tmp_path / "run.ipynb", "x = 1")
    with pytest.raises(LookupError, match="no code cell contains 'plot.curves'"):
        report.figure_from_notebook(tmp_path / "run.ipynb", "plot.curves")


def test_seed_dependent_names_the_claims_whose_verdict_changes_between_a_sweeps_seeds(tmp_path, monkeypatch, capsys):
    for seed, (gain, rate) in enumerate([(4.0, 1.5), (6.0, 1.4), (5.0, 1.6)]):
        (tmp_path / "s1" / "99_test").mkdir(parents=True, exist_ok=True)
        report.write(claims_list(gain=gain, rate=rate), tmp_path / "s1" / "99_test" / f"seed-{seed}.claims.json")
    (tmp_path / "s1" / "99_test" / "lr-0.1").mkdir()  # another override set: not mixed with the seeds above
    report.write(claims_list(gain=1.0), tmp_path / "s1" / "99_test" / "lr-0.1" / "seed-0.claims.json")
    assert report.seed_dependent("99_test", tmp_path) == {"sr/rate"}
    assert report.seed_dependent("98_unswept", tmp_path) == set()
    monkeypatch.setattr(report, "SWEEPS_DIR", tmp_path)
    make_claims().show()
    assert capsys.readouterr().out.splitlines()[-1] == (
        "seed-dependent (its verdict changes between the seeds or instruction sets of the committed sweeps, so it "
        "is not a result yet): sr/rate")


def test_seed_dependent_pools_the_sweeps_so_a_verdict_that_changes_only_between_instruction_sets_is_flagged(
        tmp_path, monkeypatch, capsys):
    for sweep_id, gain in (("seeds", 4.0), ("seeds", 5.0), ("capped-isa", 2.0)):
        folder = tmp_path / sweep_id / "99_test"
        folder.mkdir(parents=True, exist_ok=True)
        report.write(claims_list(gain=gain), folder / f"seed-{len(list(folder.iterdir()))}.claims.json")
    assert report.seed_dependent("99_test", tmp_path / "missing") == set()
    assert report.seed_dependent("99_test", tmp_path) == {"denoising/gain"}  # held in one sweep, not in the other
    monkeypatch.setattr(report, "SWEEPS_DIR", tmp_path)
    quick = make_claims()
    assert report.flagged(quick.claims.values()) == {("99_test", "denoising/gain")}
    quick.save()  # the summary never counts it as held
    assert "directions 0/2 held (1 seed-dependent)" in capsys.readouterr().out
    evidence = report.Claims("99_test", profile="long", device="cpu")  # judged against runs/long/sweeps, not these
    evidence.record("denoising/gain", 4.0, True, kind="direction", tolerance=0.5)
    assert report.flagged(evidence.claims.values()) == frozenset()
    assert report.sweeps_of("long") == report.COMMITTED_DIR.parent / "runs" / "long" / "sweeps"


@pytest.fixture
def fallbacks(monkeypatch):
    """A fresh log of the datasets this process replaced (dipkit.data.fall_back writes it)."""
    from dipkit import data

    monkeypatch.setattr(data, "FALLBACKS", [])
    return data


def test_a_run_whose_data_fell_back_is_recorded_as_such_and_compares_no_magnitude(fallbacks, capsys):
    claims = report.Claims("03_x", "paper", "cpu")
    early = claims.record("early/size", 2.1, kind="magnitude", paper=2.0, band=0.5, comparable=True, tolerance=0)
    assert (claims.profile, early.within_band) == ("paper", True)  # before: a paper-scale magnitude
    fallbacks.fall_back("mnist", fallbacks.DataUnavailableError("'mnist' is not at /x/MNIST"), "scikit-learn's digits")
    assert capsys.readouterr().out == "'mnist' is not at /x/MNIST; using scikit-learn's digits\n"
    late = claims.record("late/size", 2.1, kind="magnitude", paper=2.0, band=0.5, comparable=True, tolerance=0)
    beats = claims.record("late/beats", 2.1, True, kind="direction", paper=2.0, band=0.5, comparable=True, tolerance=0)
    assert claims.profile == "paper (fallback data)"
    assert (late.held, late.within_band, late.verdict, beats.held, beats.against_paper) == (
        None, None, report.NOT_COMPARABLE, True, report.NOT_COMPARABLE)
    saved = report.claims_of(claims.record_dict())
    assert {c.profile for c in saved} == {"paper (fallback data)"}
    assert [(c.name, c.comparable, c.within_band) for c in saved][0] == ("early/size", False, None)  # restamped
    counts = report.tally(saved)
    assert counts["magnitude"] == report.Tally(not_comparable=3) and counts["direction"] == report.Tally(held=1)


def test_a_fallback_before_the_run_began_is_not_this_runs(fallbacks):
    fallbacks.FALLBACKS.append("mnist")  # another notebook's, earlier in this process
    claims = report.Claims("03_x", "paper", "cpu")
    claim = claims.record("size", 2.1, kind="magnitude", paper=2.0, band=0.5, comparable=True, tolerance=0)
    assert (claims.profile, claim.within_band) == ("paper", True)


def test_tally_never_counts_a_fallback_runs_magnitude_whatever_its_record_says():
    """A record edited, or written by another tool, that calls a run on stand-in data comparable: still n/c."""
    claim = report.Claims("03_x", "paper", "cpu").record(
        "size", 2.1, kind="magnitude", paper=2.0, band=0.5, comparable=True, tolerance=0)
    assert report.tally([claim])["magnitude"] == report.Tally(held=1)
    fallback = replace(claim, profile="paper" + report.FALLBACK)
    assert report.tally([fallback])["magnitude"] == report.Tally(not_comparable=1)


def test_labelled_digits_records_its_fallback_in_the_claims(fallbacks, monkeypatch, tmp_path):
    monkeypatch.setenv("DIPKIT_DATA", str(tmp_path))  # no MNIST there
    claims = report.Claims("04_x", "paper", "cpu")
    used, _ = fallbacks.labelled_digits("mnist")
    assert used == "digits" and fallbacks.FALLBACKS == ["mnist"] and claims.profile == "paper (fallback data)"
    assert report.Claims("04_x", "paper", "cpu").profile == "paper"  # the next run starts clean
