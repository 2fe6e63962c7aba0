"""dipkit.profiles: the profiles' files, and whether a run used a profile's setting (where a magnitude is judged)."""

import pytest

from dipkit import profiles


@pytest.fixture
def folder(tmp_path, monkeypatch):
    (tmp_path / "paper.yaml").write_text("00_tiny:\n  size: 64\n  rate: 0.03333333333333333\n")
    monkeypatch.setattr(profiles, "FOLDER", tmp_path)
    return tmp_path


def test_names_and_overrides_read_the_profiles_folder(folder):
    assert profiles.names() == ["quick", "paper"]
    assert profiles.overrides("quick") == {}
    assert profiles.overrides("paper") == {"00_tiny": {"size": 64, "rate": 1 / 30}}
    with pytest.raises(ValueError, match="unknown profile 'fast'; accepted: quick, paper"):
        profiles.overrides("fast")


@pytest.mark.parametrize(("values", "expected"), [
    ({"size": 64, "rate": 1 / 30, "seed": 3}, True),  # another seed is still the paper's setting
    ({"size": 64, "rate": 0.01}, False),  # a value cut, as the paper profile's smoke check cuts step counts
    ({"size": 64}, False),  # a value the notebook does not have
])
def test_matches_asks_for_every_value_the_profile_sets(folder, values, expected):
    assert profiles.matches("00_tiny", "paper", values) is expected


def test_a_chapter_the_profile_does_not_name_is_not_at_its_setting(folder):
    assert profiles.matches("01_other", "paper", {"size": 64}) is False


def test_the_paper_profile_names_every_chapter_but_the_report():
    from dipkit import chapters

    assert set(profiles.overrides("paper")) == set(chapters.available_notebooks()) - {"11_reproducibility"}
