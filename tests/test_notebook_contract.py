"""The notebook regression check (tests/notebook_contract.py) passes on floating-point noise and fails on
real regressions, each with a message that says what changed.

Small notebooks are committed into a temporary folder with outputs and a claims record, their code is then
changed the way a regression would change it, and nbval runs them through the contract in a subprocess.
"""

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

from dipkit import report

ROOT = Path(__file__).resolve().parents[1]

CLAIMS = """from dipkit import report
claims = report.Claims("{stem}", "quick", "cpu")
claims.record("{name}", gain, bool(gain > 1.0), kind="direction", tolerance=0.5, unit="dB")
claims.save()"""


def committed_notebook(folder: Path, stem: str, *, printed: str, run_prints: str, gain: float, run_gain: float,
                       name: str = "denoising/gain", run_name: str | None = None, exact: bool = False) -> None:
    """A notebook as committed (outputs of a run that printed ``printed`` and measured ``gain``), whose code
    now prints ``run_prints`` and measures ``run_gain`` under the claim name ``run_name``."""
    printing = nbformat.v4.new_code_cell(f"print({run_prints!r})", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text=printed + "\n")])
    if exact:
        printing.metadata["tags"] = ["exact-output"]
    measuring = nbformat.v4.new_code_cell(f"gain = {run_gain}")
    committed = report.Claims(stem, "quick", "cpu")
    committed.record(name, gain, gain > 1.0, kind="direction", tolerance=0.5, unit="dB")
    saving = nbformat.v4.new_code_cell(CLAIMS.format(stem=stem, name=run_name or name), outputs=[
        nbformat.v4.new_output("display_data", data={"text/plain": committed.summary()},
                                metadata={report.METADATA_KEY: committed.record_dict()})])
    for count, cell in enumerate((printing, measuring, saving), 1):
        cell.execution_count = count
    notebook = nbformat.v4.new_notebook(cells=[printing, measuring, saving])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, folder / f"{stem}.ipynb")
    report.write(list(committed.claims.values()), folder / f"{stem}.claims.json")


CASES = {  # stem: (committed notebook, the failure each test must report, or None when it must pass)
    "noise": (dict(printed="PSNR 28.44 dB after 71 steps", run_prints="PSNR 28.51 dB after 72 steps",
                   gain=2.0, run_gain=2.3), None),
    "exact_table": (dict(printed="Set5 mean 28.44 dB", run_prints="Set5 mean 28.45 dB", gain=2.0, run_gain=2.0,
                         exact=True), "Set5 mean 28.44 dB"),
    "words": (dict(printed="the rule fired at 400", run_prints="the rule did not fire", gain=2.0, run_gain=2.0),
              "the rule did not fire"),
    "verdict": (dict(printed="x", run_prints="x", gain=1.2, run_gain=0.9),
                "'denoising/gain' is now 'not held', committed 'held'"),
    "renamed": (dict(printed="x", run_prints="x", gain=2.0, run_gain=2.0, run_name="denoising/gain_db"),
                "claim 'denoising/gain' is no longer recorded"),
    "drift": (dict(printed="x", run_prints="x", gain=2.0, run_gain=2.8), "off by 0.8, more than its tolerance 0.5"),
    "error": (dict(printed="x", run_prints="x", gain=2.0, run_gain="1 / 0"), "ZeroDivisionError"),
}


@pytest.fixture(scope="module")
def contract_run(tmp_path_factory) -> dict[str, list[str]]:
    """Run nbval with the contract on every case at once: test name -> failure messages."""
    folder = tmp_path_factory.mktemp("notebooks")
    for stem, (spec, _) in CASES.items():
        committed_notebook(folder, stem, **spec)
    report_file = folder / "junit.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.notebook_contract", "-p", "no:cacheprovider", "--color=no",
         "--nbval", "--nbval-current-env", "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"),
         "-o", "addopts=", "--rootdir", str(folder), f"--junitxml={report_file}", str(folder)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    results: dict[str, list[str]] = {}
    for case in ET.parse(report_file).getroot().iter("testcase"):
        failures = [node.get("message", "") + (node.text or "") for node in case if node.tag in ("failure", "error")]
        results[f"{case.get('classname')}::{case.get('name')}"] = failures
    return results


def failures_of(results: dict[str, list[str]], stem: str) -> list[str]:
    tests = {name: failures for name, failures in results.items() if stem in name}
    assert tests, f"nbval collected nothing for {stem}: {sorted(results)}"
    return [failure for failures in tests.values() for failure in failures]


def test_noise_in_numbers_passes(contract_run):
    assert failures_of(contract_run, "noise") == []


@pytest.mark.parametrize("stem", [stem for stem, (_, expected) in CASES.items() if expected])
def test_a_regression_fails_and_says_what_changed(contract_run, stem):
    failures = failures_of(contract_run, stem)
    assert any(CASES[stem][1] in failure for failure in failures), failures


def test_every_chapter_carries_the_record_committed_beside_it():
    """The committed .claims.json is what `dipkit refresh` read from the committed notebook's own outputs."""
    chapters = sorted(ROOT.glob("notebooks/[0-9][0-9]_*.ipynb"))
    assert chapters
    for notebook in chapters:
        assert report.read(notebook.with_suffix(".claims.json")) == report.from_notebook(notebook), notebook.name
