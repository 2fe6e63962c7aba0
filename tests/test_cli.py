"""`dipkit run`: validation of every input before anything runs, and real papermill runs."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import dipkit.profiles
from dipkit import chapters, cli, report

ROOT = Path(__file__).resolve().parents[1]

PARAMETERS = (
    'profile = "quick"\ndevice = "cpu"\nsize = 8\nrate = 0.5\nstd = 1 / 30\nname = "x"\nflag = True\nwidths = [4, 8]'
)
BODY = """from dipkit import report
claims = report.Claims("00_tiny", profile, device)
claims.record("size is even", size, size % 2 == 0, kind="check", tolerance=0, unit="px")
claims.record("rate below one", rate, rate < 1, kind="direction", rtol=0.1)
claims.save()
print(profile, device, size, rate, round(std, 4), name, flag, widths)"""


@pytest.fixture
def book(tmp_path, monkeypatch):
    """A tiny book: notebooks/00_tiny.ipynb and 01_other.ipynb, profiles/paper.yaml."""
    notebooks, profiles = tmp_path / "notebooks", tmp_path / "profiles"
    notebooks.mkdir()
    profiles.mkdir()
    for stem, body in (("00_tiny", BODY), ("01_other", "print(size)")):
        parameters = nbformat.v4.new_code_cell(PARAMETERS if stem == "00_tiny" else "size = 3")
        parameters.metadata["tags"] = ["parameters"]
        notebook = nbformat.v4.new_notebook(cells=[parameters, nbformat.v4.new_code_cell(body)])
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(notebook, notebooks / f"{stem}.ipynb")
    (profiles / "paper.yaml").write_text("00_tiny:\n  size: 64\n  rate: 0.01\n")
    monkeypatch.setattr(chapters, "NOTEBOOKS", notebooks)
    monkeypatch.setattr(dipkit.profiles, "FOLDER", profiles)
    return tmp_path


def fingerprint(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "nope"], "unknown notebook 'nope'; accepted: 00_tiny, 01_other"),
        (["run", "00", "--profile", "fast"], "unknown profile 'fast'; accepted: quick, paper"),
        (["run", "00", "--device", "tpu"], "unknown device 'tpu'; accepted: auto, cpu, cuda"),
        (["run", "00", "-p", "colour=3"], "unknown parameter 'colour'; accepted: device, flag, name"),
        (["run", "00", "-p", "size=big"], "parameter 'size' of 00_tiny must be int (default 8), got str 'big'"),
        (["run", "00", "-p", "flag=1"], "parameter 'flag' of 00_tiny must be bool"),
        (["run", "00", "-p", "rate=fast"], "parameter 'rate' of 00_tiny must be float"),
        (["run", "00", "-p", "size"], "expected name=value"),
        (["run"], "name notebooks to run, or pass --all"),
        (["run", "00", "--all"], "name notebooks to run, or pass --all"),
    ],
)
def test_bad_input_is_one_clear_line(book, capsys, argv, message):
    assert cli.main(argv + ["--output-dir", str(book / "runs")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("dipkit: error: ")
    assert message in err
    assert not (book / "runs").exists()


def test_cuda_without_a_gpu_is_refused(book, capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert cli.main(["run", "00", "--device", "cuda", "--output-dir", str(book / "runs")]) == 2
    assert "no CUDA GPU is available; use 'auto' or 'cpu'" in capsys.readouterr().err


def test_profile_with_a_bad_override_is_refused(book, capsys):
    (book / "profiles" / "paper.yaml").write_text("00_tiny:\n  size: 1.5\n")
    assert cli.main(["run", "00", "--profile", "paper", "--output-dir", str(book / "runs")]) == 2
    assert "(profiles/paper.yaml)" in capsys.readouterr().err


def test_plan_merges_profile_then_command_line(book):
    jobs = chapters.plan(["00_tiny", "notebooks/01_other.ipynb"], False, "paper", "cpu", ["size=16", "widths=[1, 2]"])
    (tiny, tiny_parameters), (other, other_parameters) = jobs
    assert tiny.name == "00_tiny.ipynb" and other.name == "01_other.ipynb"
    assert tiny_parameters == {"size": 16, "rate": 0.01, "widths": [1, 2], "profile": "paper", "device": "cpu"}
    assert other_parameters == {"size": 16}
    assert chapters.plan([], True, "quick", "cpu", ["rate=1"])[0][1] == {"rate": 1, "profile": "quick", "device": "cpu"}


def test_run_executes_into_runs_and_keeps_earlier_runs(book, capsys):
    before = fingerprint(book / "notebooks")
    runs = book / "runs"
    assert cli.main(["run", "00", "--profile", "paper", "-p", "size=7", "--output-dir", str(runs)]) == 0
    out = capsys.readouterr().out
    output = runs / "paper" / "00_tiny.ipynb"
    executed = nbformat.read(output, as_version=4)
    assert "paper cpu 7 0.01 0.0333 x True [4, 8]" in executed.cells[-1].outputs[-1]["text"]
    claims = json.loads((runs / "paper" / "00_tiny.claims.json").read_text())["claims"]
    assert [(c["name"], c["held"], c["profile"]) for c in claims] == [
        ("size is even", False, "paper"), ("rate below one", True, "paper")]
    row = next(line for line in out.splitlines() if line.startswith("00_tiny"))
    assert row.split()[3:7] == ["cpu", "0/1", "1/1", "0/0"]  # device; checks, directions, magnitudes held
    assert fingerprint(book / "notebooks") == before

    assert cli.main(["run", "00", "--profile", "paper", "--output-dir", str(runs)]) == 0
    kept = sorted(p.name for p in (runs / "paper" / "previous").iterdir())
    assert len(kept) == 3 and kept[0].startswith("00_tiny.") and kept[0].endswith(".claims.json")
    assert kept[2].endswith(".run.json")
    assert fingerprint(book / "notebooks") == before


def test_overrides_file_sits_between_the_profile_and_the_command_line(book, capsys):
    smoke = book / "smoke.yaml"
    smoke.write_text("00_tiny:\n  size: 2\n  name: y\n01_other:\n  size: 5\n")
    (tiny, tiny_parameters), (_, other_parameters) = chapters.plan([], True, "paper", "cpu", ["name=z"], smoke)
    assert tiny_parameters == {"size": 2, "rate": 0.01, "name": "z", "profile": "paper", "device": "cpu"}
    assert other_parameters == {"size": 5}
    for text, message in (("99_nope:\n  size: 1\n", "names unknown notebooks ['99_nope']"),
                          ("00_tiny:\n  size: big\n", "parameter 'size' of 00_tiny must be int"),
                          ("00_tiny: 3\n", "expected 'notebook_stem: {name: value, ...}'")):
        smoke.write_text(text)
        assert cli.main(["run", "00", "--overrides", str(smoke), "--output-dir", str(book / "runs")]) == 2
        assert message in capsys.readouterr().err
    assert cli.main(["run", "00", "--overrides", str(book / "missing.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert not (book / "runs").exists()


def test_label_puts_the_run_in_its_own_folder_with_its_run_record(book, capsys):
    runs = book / "runs"
    argv = ["run", "00", "--profile", "paper", "--label", "set5-baby", "-p", "size=6", "--output-dir", str(runs)]
    assert cli.main(argv) == 0
    folder = runs / "paper" / "set5-baby"
    assert sorted(p.name for p in folder.iterdir()) == ["00_tiny.claims.json", "00_tiny.ipynb", "00_tiny.run.json"]
    record = json.loads((folder / "00_tiny.run.json").read_text())
    assert record["command"] == "dipkit " + " ".join(argv)
    assert record["parameters"] == {"size": 6, "rate": 0.01, "profile": "paper", "device": "cpu"}
    assert record["error"] == "" and record["wall_seconds"] > 0 and f"{os.cpu_count()} cores" in record["machine"]
    assert record["commit"] == "unknown" or len(record["commit"].split("+")[0]) == 40
    assert "capped" not in chapters.machine({}) and chapters.machine({"MKL_CBWR": "AVX2", "MKL_X": "1"}).endswith(
        "; instruction set capped: MKL_CBWR=AVX2")
    assert cli.main(["run", "00", "--label", "../up", "--output-dir", str(runs)]) == 2
    assert "bad --label '../up'" in capsys.readouterr().err


def test_failing_notebook_is_reported_and_exits_non_zero(book, capsys):
    assert cli.main(["run", "01", "-p", "size=0", "--output-dir", str(book / "runs")]) == 0
    broken = nbformat.read(book / "notebooks" / "01_other.ipynb", as_version=4)
    broken.cells[1].source = "1 / size"
    nbformat.write(broken, book / "notebooks" / "01_other.ipynb")
    assert cli.main(["run", "01", "-p", "size=0", "--output-dir", str(book / "runs")]) == 1
    assert "ERROR ZeroDivisionError" in capsys.readouterr().out


def test_list_shows_parameters_and_profiles(book, capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    block = out.split("\n\n")[0].splitlines()
    assert block[0] == "00_tiny: (untitled)" and block[1] == "  not yet executed"
    assert "size=8 (paper 64), rate=0.5 (paper 0.01), std=0.0333" in " ".join(block[2:])
    assert "profile=" not in out and max(len(line) for line in out.splitlines()) <= 100
    assert out.strip().endswith("profiles: quick, paper")


@pytest.mark.slow
def test_chapter_00_runs_with_an_override_and_leaves_notebooks_untouched(tmp_path):
    """The real command line on the real chapter 00, as a user types it."""
    before = fingerprint(ROOT / "notebooks")
    runs = tmp_path / "runs"
    result = subprocess.run(
        [sys.executable, "-m", "dipkit.cli", "run", "notebooks/00_inverse_problems.ipynb", "--device", "cpu",
         "-p", "seed=1", "--output-dir", str(runs)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (runs / "quick" / "00_inverse_problems.ipynb").is_file()
    claims = json.loads((runs / "quick" / "00_inverse_problems.claims.json").read_text())["claims"]
    assert claims and {c["profile"] for c in claims} == {"quick"} and {c["device"] for c in claims} == {"cpu"}
    executed = nbformat.read(runs / "quick" / "00_inverse_problems.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert "seed = 1" in injected[0].source
    assert "00_inverse_problems" in result.stdout and "directions held" in result.stdout
    assert "without encryption" not in result.stderr  # the kernel talks over IPC sockets
    assert fingerprint(ROOT / "notebooks") == before


@pytest.mark.slow
def test_a_plain_papermill_run_leaves_the_committed_records_alone(tmp_path):
    """papermill's usual form, run in notebooks/: the claims travel in the output notebook, no file is written."""
    before = fingerprint(ROOT / "notebooks")
    output = tmp_path / "out.ipynb"
    result = subprocess.run(
        [sys.executable, "-m", "papermill", "notebooks/00_inverse_problems.ipynb", str(output), "-p", "sigma", "50",
         "--cwd", "notebooks", "--no-progress-bar"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert fingerprint(ROOT / "notebooks") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.ipynb"]
    claims = report.from_notebook(output)
    committed = report.read(ROOT / "notebooks" / "00_inverse_problems.claims.json")
    assert [c.name for c in claims] == [c.name for c in committed]
    assert claims[0].measured != committed[0].measured  # sigma 50: another denoising result


def test_refresh_re_executes_the_committed_notebook_in_place(book, capsys, monkeypatch):
    for name in ("TQDM_DISABLE", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "PYTHONHASHSEED"):
        monkeypatch.setenv(name, os.environ.get(name, ""))  # refresh sets them; restore after the test
    assert cli.main(["refresh", "00_tiny"]) == 0
    executed = nbformat.read(book / "notebooks" / "00_tiny.ipynb", as_version=4)
    assert executed.cells[-1].outputs[-1]["text"].startswith("quick cpu 8 0.5")
    assert not [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert report.read(book / "notebooks" / "00_tiny.claims.json") == report.from_notebook(
        book / "notebooks" / "00_tiny.ipynb"
    )
    assert not (book / "runs").exists()


def test_a_failed_refresh_keeps_the_committed_notebook(book, capsys, monkeypatch):
    for name in ("TQDM_DISABLE", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "PYTHONHASHSEED"):
        monkeypatch.setenv(name, os.environ.get(name, ""))
    broken = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('raise ValueError("no data")')])
    broken.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(broken, book / "notebooks" / "02_broken.ipynb")
    before = fingerprint(book / "notebooks")
    assert cli.main(["refresh", "02_broken"]) == 1
    assert fingerprint(book / "notebooks") == before
    out = capsys.readouterr().out
    assert "ValueError: no data (the committed notebook is unchanged" in out
    failed = nbformat.read(book / "runs" / "refresh-failed" / "02_broken.ipynb", as_version=4)
    assert [o["ename"] for c in failed.cells if c.cell_type == "code" for o in c.outputs] == ["ValueError"]
    assert cli.main(["refresh", "02_broken"]) == 1  # a second failure keeps the first one aside
    assert len(list((book / "runs" / "refresh-failed" / "previous").glob("02_broken.*.ipynb"))) == 1
    assert not [p for p in book.iterdir() if p.name.startswith(".refresh-")]


def test_every_profile_fits_the_committed_notebooks():
    """profiles/*.yaml may only name real notebooks and parameters, with the defaults' types."""
    for profile in dipkit.profiles.names():
        jobs = chapters.plan([], True, profile, "cpu", [])
        assert [path.stem for path, _ in jobs] == list(chapters.available_notebooks())
        assert all(parameters["profile"] == profile for _, parameters in jobs)


def test_papermill_sees_every_parameter_of_every_chapter():
    """papermill's parser silently drops a line it cannot read (e.g. a comment holding '='): catch that."""
    import ast

    for stem, path in chapters.available_notebooks().items():
        notebook = nbformat.read(path, as_version=4)
        cell = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
        assigned = [t.id for node in ast.parse(cell.source).body if isinstance(node, ast.Assign) for t in node.targets]
        assert list(chapters.notebook_parameters(path)) == assigned, stem
        assert {"profile", "device", "seed"} <= set(assigned), stem


def test_run_all_runs_chapters_side_by_side_after_the_records_they_read(book, capsys):
    """02_reader reads 00_tiny's record of the same run (none is committed): it can only start once 00 is done."""
    parameters = nbformat.v4.new_code_cell('profile = "quick"\ndevice = "cpu"')
    parameters.metadata["tags"] = ["parameters"]
    reader = nbformat.v4.new_code_cell(
        'import sys, time\nfrom dipkit import report\nfor step in range(3):\n    print(f"\\rbar {step}/3", end="", '
        'file=sys.stderr)\nprint(file=sys.stderr)\nprint("read", report.load("00_tiny")["size is even"].measured)')
    notebook = nbformat.v4.new_notebook(cells=[parameters, reader])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, book / "notebooks" / "02_reader.ipynb")
    sources = list(chapters.available_notebooks().values())
    assert [chapters.prerequisites(path, sources[:i]) for i, path in enumerate(sources)] == [set(), set(), {sources[0]}]

    runs = book / "runs"
    assert cli.main(["run", "--all", "--jobs", "3", "-p", "size=4", "--output-dir", str(runs)]) == 0
    out = capsys.readouterr().out
    assert out.index("done 00_tiny") < out.index("02_reader  (")  # started only after the record it reads
    rows = [line.split()[0] for line in out.splitlines() if line.split() and line.split()[0][:2].isdigit()]
    assert rows == ["00_tiny", "01_other", "02_reader"]  # the summary keeps the book's order
    executed = nbformat.read(runs / "quick" / "02_reader.ipynb", as_version=4)
    streams = sorted((o["name"], o["text"]) for o in executed.cells[-1].outputs)
    assert streams == [("stderr", "bar 2/3\n"), ("stdout", "read 4.0\n")]  # the bar's last state, once
    assert cli.main(["run", "--all", "--jobs", "0", "--output-dir", str(runs)]) == 2
    assert "--jobs must be at least 1" in capsys.readouterr().err
