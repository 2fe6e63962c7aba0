"""The committed evidence runs (runs/long/sweeps/): each still what its notebook and its profile say, and every
chapter the evidence profile names has its two seeds."""

import pytest

from dipkit import profiles, sweep

FOLDERS = sorted(path for path in sweep.EVIDENCE.glob("*") if (path / sweep.MANIFEST).is_file())


@pytest.mark.parametrize("folder", FOLDERS, ids=[folder.name for folder in FOLDERS])
def test_every_committed_evidence_run_is_its_notebooks_and_its_profiles(folder):
    assert sweep.read_manifest(folder)["profile"] == "long"
    assert sweep.stale_records(folder) == []


@pytest.mark.parametrize("chapter", sorted(profiles.overrides("long")))
def test_every_chapter_of_the_evidence_profile_has_two_seeds_committed(chapter):
    runs = sweep.evidence(chapter)
    assert len(runs) >= 2, (f"{chapter}: {len(runs)} committed evidence runs; dipkit sweep {chapter[:2]} --profile "
                            "long --seeds 0-1 --id <id>, then commit runs/long/sweeps/<id>/")
