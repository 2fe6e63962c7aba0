import json
from dataclasses import replace

import nbformat
import pytest

from dipkit import report


def make_claims(gain: float = 31.234567 - 20.0, rate: float = 1.0):
    claims = report.Claims("99_test", profile="quick", device="cpu")
    claims.record("denoising/gain", gain, gain > 3, tolerance=0.5, paper=None, unit="dB", note="tv")
    claims.record("sr/rate", rate, rate > 1.47, rtol=0.1, paper=1.47, unit="x")
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
    assert capsys.readouterr().out.strip() == "claims record of 99_test: 2 claims, 1 held"
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
        claims.record("x", 1.0, "yes", tolerance=0)
    with pytest.raises(ValueError, match="declares no tolerance"):
        claims.record("x", 1.0, True)
    with pytest.raises(ValueError, match="cannot be negative"):
        claims.record("x", 1.0, True, tolerance=-1)
    for missing in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="needs a finite value"):
            claims.record("x", missing, False, tolerance=0)
    claims.record("x", 1.0, True, tolerance=0)
    with pytest.raises(ValueError, match="already recorded"):
        claims.record("x", 2.0, True, tolerance=0)


def test_show_prints_a_rounded_table(capsys):
    make_claims().show()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["claim", "paper", "measured", "unit", "held"]
    assert lines[2].split() == ["denoising/gain", "-", "11.23", "dB", "yes"]
    assert lines[3].split() == ["sr/rate", "1.47", "1.00", "x", "NO"]


def test_compare_accepts_a_run_within_each_claims_tolerance():
    assert report.compare(claims_list(), claims_list(gain=11.2346 + 0.49, rate=1.0 * 1.09)) == []


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
    assert report.compare(claims_list(), moved(name, sign * 0.9 * allowed)) == []
    changes = report.compare(claims_list(), moved(name, sign * 1.2 * allowed))
    assert len(changes) == 1 and changes[0].startswith(f"claim {name!r} measured"), (
        f"{name} moved by {sign * 1.2 * allowed:+g}, its tolerance {allowed:g}: {changes}")
    assert f"off by {1.2 * allowed:.4g}, more than its tolerance {allowed:.4g}" in changes[0], changes


@pytest.mark.parametrize(
    ("measured", "message"),
    [
        (claims_list(gain=2.0), "'denoising/gain' no longer holds: measured 2 dB, committed 11.2346 dB"),
        (claims_list(gain=11.2346 + 0.6), "'denoising/gain' measured 11.8346 dB, committed 11.2346: off by 0.6, "
                                          "more than its tolerance 0.5"),
        (claims_list(rate=1.2), "'sr/rate' measured 1.2 x, committed 1: off by 0.2, more than its tolerance 0.1"),
        (claims_list(rate=1.5), "'sr/rate' now holds"),
        (claims_list()[:1], "claim 'sr/rate' is no longer recorded"),
    ],
)
def test_compare_names_each_change(measured, message):
    changes = report.compare(claims_list(), measured)
    assert any(message in change for change in changes), changes


@pytest.mark.parametrize("value", [20.0, -20.0])
def test_compare_scales_rtol_by_the_size_of_the_committed_value(value):
    """rtol=0.1 of a claim committed at 20, or at -20 (a loss, a difference in dB), allows 2 either way: rtol is a
    fraction of |value|, not an absolute allowance (the suite's other rtol claim sits at 1, where both agree)."""
    committed = claims_list(rate=value)
    for delta in (1.8, -1.8, 2.2, -2.2):
        changes = report.compare(committed, moved("sr/rate", delta, committed))
        if abs(delta) < 2:
            assert changes == [], f"{delta:+g} from {value:g} is within 0.1 * |{value:g}| = 2: {changes}"
        else:
            assert len(changes) == 1 and "more than its tolerance 2" in changes[0], (delta, changes)


def test_compare_reports_a_renamed_claim_and_a_changed_tolerance():
    renamed = [report.Claim(**{**claims_list()[0].__dict__, "name": "denoising/gain_db"}), claims_list()[1]]
    assert report.compare(claims_list(), renamed) == [
        "claim 'denoising/gain' is no longer recorded",
        "claim 'denoising/gain_db' is new (not in the committed record)"]
    wider = [report.Claim(**{**claims_list()[0].__dict__, "tolerance": 5.0}), claims_list()[1]]
    assert report.compare(claims_list(), wider) == [
        "claim 'denoising/gain' declares another tolerance: tolerance=5, rtol=0 (committed tolerance=0.5, rtol=0); "
        "re-baseline on purpose"]


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
        claims.record(f"rerun/{label}", 1.0, True, tolerance=0)
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
    gain, rate = report.spreads(runs)
    assert (gain.name, gain.values, gain.mean, gain.std, gain.held_fraction) == ("denoising/gain", (4, 6, 5), 5, 1, 1)
    assert not gain.verdict_changes
    assert rate.held == (True, False, True) and rate.verdict_changes and rate.paper == 1.47
    single = report.spreads(runs[:1])[0]
    assert single.std == 0 and not single.verdict_changes
    table = report.format_spreads([gain, rate]).splitlines()
    assert table[0].split() == ["claim", "paper", "mean", "+-", "std", "unit", "runs", "held"]
    assert table[2].split() == ["denoising/gain", "-", "5.00", "+-", "1.00", "dB", "3", "3/3"]
    assert table[3].split() == ["sr/rate", "1.47", "1.50", "+-", "0.10", "x", "3", "2/3"]

