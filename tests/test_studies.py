"""The two studies behind issue 12's choices: they read and rebuild what the chapters do."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from benchmarks import dcgan_search, dip_quick_study
from dipkit import report


def test_dip_quick_study_makes_chapter_01s_observations() -> None:
    clean, operators, observed = dip_quick_study.observations()
    assert clean.shape == (128, 128, 3) and set(observed) == set(dip_quick_study.TASKS)
    again = dip_quick_study.observations()[2]
    for task, y in observed.items():
        assert torch.equal(y, again[task]), f"{task}: the observation is not reproducible"
    assert observed["sr4x"].shape == (1, 3, 32, 32)
    assert (observed["inpainting_drop50"] == 0).float().mean() > 0.4  # half of the pixels dropped


def test_dcgan_search_reads_a_run_folder(tmp_path: Path) -> None:
    claim = report.Claim("04_gan_minimax", "dcgan/frechet_distance", None, 5.5, "", True, "quick", "cpu",
                         note="classifier features vs the test set; Gaussian baseline 6.74, training images 2.22")
    (tmp_path / "quick").mkdir()
    report.write([claim], tmp_path / "quick" / "04_gan_minimax.claims.json")
    notebook = {"cells": [{"outputs": [{"text": "checkpoint chosen on the validation split: iteration 1350 of 1500"}]}]}
    (tmp_path / "quick" / "04_gan_minimax.ipynb").write_text(json.dumps(notebook))
    run = dcgan_search.read_run(tmp_path, seed=3)
    assert run == {"seed": 3, "frechet_distance": 5.5, "baseline": 6.74, "held": True, "chosen_iteration": 1350}
