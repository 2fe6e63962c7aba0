"""The paper profile end to end: every chapter with profiles/paper.yaml as it is, on the CPU, with only the
counts that make it long cut by tests/paper_smoke.yaml (the command README gives a researcher, smoke-sized)."""

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from dipkit import chapters, report

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "tests" / "paper_smoke.yaml"


def test_the_smoke_cuts_counts_only():
    """The smoke may shorten a run (steps, iterations, sample counts, image sizes where a CPU step is too slow) but
    never swap what the paper profile runs: no width, depth, dataset, learning rate or loss weight is overridden."""
    allowed = ("_steps", "_iterations", "steps", "_count", "_samples", "_pairs", "_per_class", "diverse_images",
               "image_size", "fit_size", "_crop")
    paper = chapters.profile_overrides("paper")
    for stem, overrides in yaml.safe_load(SMOKE.read_text()).items():
        assert stem in paper, f"{stem} has smoke overrides but no paper profile"
        for name in overrides:
            assert name.endswith(allowed), f"{stem}: the smoke overrides {name!r}, which is not a count"


@pytest.mark.slow
def test_every_chapter_runs_at_the_paper_profile(tmp_path):
    runs = tmp_path / "runs"
    result = subprocess.run(
        [sys.executable, "-m", "dipkit.cli", "run", "--all", "--profile", "paper", "--device", "cpu",
         "--overrides", str(SMOKE), "--output-dir", str(runs)],
        cwd=ROOT, capture_output=True, text=True, timeout=1800,
    )
    print(result.stdout[-3000:])  # the table: wall time per chapter
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    folder = runs / "paper"
    for stem in chapters.available_notebooks():
        executed = nbformat.read(folder / f"{stem}.ipynb", as_version=4)
        errors = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if o.output_type == "error"]
        assert not errors, f"{stem}: {errors[0].ename}: {errors[0].evalue}"
        claims = report.read(folder / f"{stem}.claims.json")
        # one profile per run: "paper", or "paper (fallback data)" where a dataset absent here was replaced
        assert claims and len({c.profile for c in claims}) == 1, stem
        assert claims[0].profile in ("paper", "paper" + report.FALLBACK), stem
        assert json.loads((folder / f"{stem}.run.json").read_text())["error"] == ""
