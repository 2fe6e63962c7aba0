import json

import pytest

from dipkit import report


def make_claims():
    claims = report.Claims("99_test", profile="quick", device="cpu")
    gain = 31.234567 - 20.0
    claims.record("denoising/gain", gain, gain > 3, paper=None, unit="dB", note="tv")
    claims.record("sr/gain", 1.0, 1.0 > 1.47, paper=1.47, unit="dB")
    return claims


def test_record_save_and_read_round_trip(tmp_path):
    path = make_claims().save(tmp_path)
    assert path == tmp_path / "99_test.claims.json"
    stored = json.loads(path.read_text())
    assert stored["chapter"] == "99_test"
    first, second = report.read(path)
    assert (first.name, first.measured, first.held, first.note) == ("denoising/gain", 11.2346, True, "tv")
    assert (second.paper, second.held, second.profile, second.device) == (1.47, False, "quick", "cpu")


def test_save_defaults_to_the_claims_dir_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(report.CLAIMS_DIR_ENV, str(tmp_path / "runs"))
    assert make_claims().save() == tmp_path / "runs" / "99_test.claims.json"


def test_held_must_be_computed_not_typed():
    claims = report.Claims("99_test", "quick", "cpu")
    with pytest.raises(TypeError, match="held must be a bool"):
        claims.record("x", 1.0, "yes")
    claims.record("x", 1.0, True)
    with pytest.raises(ValueError, match="already recorded"):
        claims.record("x", 2.0, True)


def test_show_prints_a_rounded_table(capsys):
    make_claims().show()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["claim", "paper", "measured", "unit", "held"]
    assert lines[2].split() == ["denoising/gain", "-", "11.23", "dB", "yes"]
    assert lines[3].split() == ["sr/gain", "1.47", "1.00", "dB", "NO"]


def test_load_prefers_the_current_claims_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(report.CLAIMS_DIR_ENV, str(tmp_path))
    make_claims().save(tmp_path)
    assert report.load("99_test")["sr/gain"].paper == 1.47
    with pytest.raises(FileNotFoundError, match="run that chapter first"):
        report.load("98_missing")
