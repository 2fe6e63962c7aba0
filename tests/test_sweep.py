"""`dipkit sweep`: every bad input refused before anything starts, and a real sweep of a tiny notebook on the
embedded Ray (one Ray for the module: starting one costs seconds): records written, a failing job reported
without stopping the others, ``--resume`` running only the missing and failed jobs."""

import contextlib
import json
import os
from pathlib import Path

import nbformat
import pytest

from dipkit import chapters, cli, report, sweep

PARAMETERS = 'profile = "quick"\ndevice = "cpu"\nseed = 0\nsize = 8'
BODY = """from dipkit import report
assert seed != 1, "seed 1 fails on purpose"
claims = report.Claims("00_tiny", profile, device)
claims.record("size/plus_seed/is_even", size + seed, (size + seed) % 2 == 0, kind="check", tolerance=0)
claims.save()"""


@pytest.fixture
def book(tmp_path, monkeypatch):
    """A tiny book: notebooks/00_tiny.ipynb (seed 1 fails), 01_unseeded.ipynb (no seed parameter)."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for stem, source, body in (("00_tiny", PARAMETERS, BODY), ("01_unseeded", "size = 3", "print(size)")):
        parameters = nbformat.v4.new_code_cell(source)
        parameters.metadata["tags"] = ["parameters"]
        notebook = nbformat.v4.new_notebook(cells=[parameters, nbformat.v4.new_code_cell(body)])
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(notebook, notebooks / f"{stem}.ipynb")
    monkeypatch.setattr(chapters, "NOTEBOOKS", notebooks)
    return tmp_path


def ray_running_here() -> bool:
    """Whether a Ray (its GCS server) runs on this machine: ``--address auto`` finds it by its processes."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"gcs_server" in cmdline.read_bytes():
                return True
        except OSError:
            pass
    return False


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope"], "unknown notebook 'nope'; accepted: 00_tiny, 01_unseeded"),
        (["00", "--seeds", "3-1"], "bad seed range '3-1'"),
        (["00", "--seeds", "a"], "bad seed range 'a'"),
        (["00", "--seeds", "0,0"], "bad seed range '0,0'"),
        (["00", "-p", "colour=3"], "unknown parameter 'colour'; accepted: device, profile, seed, size"),
        (["00", "-p", "size=big"], "parameter 'size' of 00_tiny must be int (default 8), got str 'big'"),
        (["00", "-p", "seed=3"], "the seeds of a sweep are set with --seeds"),
        (["00", "--device", "tpu"], "unknown device 'tpu'; accepted: auto, cpu, cuda"),
        (["00", "--vary", "size=4"], "--vary size= needs a non-empty YAML list"),
        (["00", "--vary", "size=[4, x]"], "parameter 'size' of 00_tiny must be int"),
        (["01"], "01_unseeded has no seed parameter"),
        (["00", "--address", "127.0.0.1:1"], "cannot reach a Ray cluster at --address 127.0.0.1:1: tried a TCP "
                                             "connection to 127.0.0.1:1"),
        (["00", "--address", "auto"], "cannot reach a Ray cluster at --address auto: tried $RAY_ADDRESS"),
        (["00", "--address", "ray://head:10001"], "Ray Client (ray://) needs the ray[client] extra"),
        (["00", "--resume"], "--resume: no sweep to resume"),
    ],
)
def test_bad_input_is_one_clear_line_before_anything_runs(book, capsys, monkeypatch, argv, message):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    if "auto" in argv and ray_running_here():
        pytest.skip("a Ray runs on this machine, which --address auto would join")
    assert cli.main(["sweep", *argv, "--output-dir", str(book / "runs")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dipkit: error: ") and message in err, err
    assert not list((book / "runs").rglob("*.ipynb"))


def test_plan_names_one_job_per_notebook_seed_and_override_set(book):
    jobs = sweep.plan(["00"], False, [0, 2], "quick", "cpu", [], ["size=[4, 6]"])
    assert [job.key for job in jobs] == ["00_tiny/size-4/seed-0", "00_tiny/size-4/seed-2",
                                         "00_tiny/size-6/seed-0", "00_tiny/size-6/seed-2"]
    assert jobs[1].parameters == {"size": 4, "profile": "quick", "device": "cpu", "seed": 2}
    on_gpus = sweep.plan(["00"], False, [1], "quick", "cuda", [])
    assert [job.key for job in on_gpus] == ["00_tiny/seed-1"] and on_gpus[0].parameters["device"] == "cuda"


@pytest.fixture(scope="module")
def ray_cluster():
    """One embedded Ray for the tests that run jobs."""
    import ray

    sweep.connect(None, 2, 0)
    yield
    ray.shutdown()


def test_gpus_per_job_beyond_the_machines_gpus_is_refused(ray_cluster):
    import ray

    gpus = int(ray.cluster_resources().get("GPU", 0))  # 0 here; any number on a GPU machine
    with pytest.raises(chapters.UsageError, match=f"--gpus-per-job {gpus + 1}, but this machine has {gpus} GPUs"):
        sweep.check_gpus(gpus + 1, "this machine")


def test_sweep_writes_records_reports_failures_and_resumes(book, ray_cluster, capsys):
    runs = book / "runs"
    folder = sweep.sweep_folder(runs, "quick", "s1", resume=False)
    assert folder == runs / "quick" / "sweeps" / "s1"
    manifest = sweep.run(sweep.plan(["00"], False, [0, 1], "quick", "cpu", []), folder, "quick")
    seed0 = folder / "00_tiny" / "seed-0.ipynb"
    assert [claim.measured for claim in report.read(folder / "00_tiny" / "seed-0.claims.json")] == [8]
    assert report.from_notebook(seed0)[0].held
    failed = manifest["jobs"]["00_tiny/seed-1"]
    assert (failed["status"], failed["seed"]) == ("failed", 1)
    assert "AssertionError: seed 1 fails on purpose" in failed["error"]
    assert not (folder / "00_tiny" / "seed-1.claims.json").exists()  # the failed run's notebook is kept to read
    assert json.loads((folder / sweep.MANIFEST).read_text())["jobs"]["00_tiny/seed-0"]["status"] == "ok"
    sweep.print_summary(manifest, folder)
    out = capsys.readouterr().out
    assert "00_tiny: 1 jobs ran, 1 failed; claims held 1 of 1" in out
    assert "FAILED 00_tiny seed 1 (00_tiny/seed-1):" in out and "seed 1 fails on purpose" in out

    with pytest.raises(chapters.UsageError, match="sweep 's1' exists"):
        sweep.sweep_folder(runs, "quick", "s1", resume=False)
    assert sweep.sweep_folder(runs, "quick", None, resume=True) == folder  # the newest
    os.utime(seed0, (0, 0))
    jobs = sweep.plan(["00"], False, [0, 1, 2], "quick", "cpu", [])
    todo = sweep.to_do(jobs, sweep.read_manifest(folder), folder)
    assert [job.key for job in todo] == ["00_tiny/seed-1", "00_tiny/seed-2"]  # failed, then missing
    manifest = sweep.run(todo, folder, "quick")
    assert seed0.stat().st_mtime == 0  # not run again
    assert {key: entry["status"] for key, entry in manifest["jobs"].items()} == {
        "00_tiny/seed-0": "ok", "00_tiny/seed-1": "failed", "00_tiny/seed-2": "ok"}
    assert report.read(folder / "00_tiny" / "seed-2.claims.json")[0].held is True

    kept = sweep.keep_records(folder, book / "kept")
    assert sorted(str(p.relative_to(kept)) for p in kept.rglob("*.*")) == [
        "00_tiny/seed-0.claims.json", "00_tiny/seed-2.claims.json", "sweep.json"]
    assert not list((book / "notebooks").glob("*.claims.json"))  # nothing written into notebooks/
    found = sweep.records(kept)
    assert {chapter: list(jobs) for chapter, jobs in found.items()} == {"00_tiny": ["00_tiny/seed-0", "00_tiny/seed-2"]}
    assert [claims[0].measured for claims in found["00_tiny"].values()] == [8, 10]


def test_a_job_gives_its_kernel_its_environment_and_leaves_the_worker_as_it_was(book):
    """claims_spread caps the instruction set per job; a Ray worker runs many jobs, so the caps must not stay."""
    cell = nbformat.v4.new_code_cell('import os\nassert os.environ["SWEEP_MARK"] == "capped"')
    notebook = nbformat.v4.new_notebook(cells=[cell])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    result = sweep.execute_job(nbformat.writes(notebook), "00_env", {}, {"SWEEP_MARK": "capped"})
    assert result["error"] == "" and result["notebook"] and result["claims"] is None
    assert "SWEEP_MARK" not in os.environ


def test_the_command_runs_a_sweep_end_to_end(book, ray_cluster, capsys, monkeypatch):
    """``dipkit sweep`` itself, on the module's Ray: the summary, the exit status, --keep-records, --resume."""
    monkeypatch.setattr(sweep, "ray_session", lambda *args: contextlib.nullcontext())
    argv = ["sweep", "00", "--seeds", "0,1", "--id", "cli", "--output-dir", str(book / "runs"),
            "--keep-records", str(book / "kept")]
    assert cli.main(argv) == 1  # seed 1 fails on purpose
    out = capsys.readouterr().out
    assert "2 of 2 jobs to run" in out and "00_tiny: 1 jobs ran, 1 failed; claims held 1 of 1" in out
    assert "FAILED 00_tiny seed 1" in out and f"copied to {book / 'kept' / 'cli'}" in out
    assert (book / "kept" / "cli" / "00_tiny" / "seed-0.claims.json").exists()
    monkeypatch.setattr(sweep, "ray_session", None)  # nothing is left to run on seed 0: Ray is not needed
    assert cli.main(["sweep", "00", "--seeds", "0", "--id", "cli", "--resume", "--output-dir", str(book / "runs")]) == 1
    assert "0 of 1 jobs to run" in capsys.readouterr().out


def test_claims_spread_runs_its_seeds_and_instruction_sets_as_one_sweep(book, ray_cluster, monkeypatch, capsys):
    from benchmarks import claims_spread

    jobs = claims_spread.jobs_for(["00"], [0, 2], ["native", "sse41"])
    assert [job.key for job in jobs] == ["native/00_tiny/seed-0", "native/00_tiny/seed-2", "sse41/00_tiny/seed-0",
                                         "sse41/00_tiny/seed-2"]
    assert jobs[0].env == {} and jobs[2].env == claims_spread.ISA_CAPS["sse41"]
    monkeypatch.setattr(sweep, "ray_session", lambda *args: contextlib.nullcontext())
    record = book / "spread.json"
    argv = ["00", "--seeds", "0", "--isa", "sse41", "--runs", str(book / "spread"), "--json", str(record),
            "--machine", "test"]
    assert claims_spread.main(argv) == 0
    (manifest,) = [sweep.read_manifest(folder) for folder in (book / "spread").iterdir()]
    assert manifest["jobs"]["sse41/00_tiny/seed-0"]["machine"].endswith(
        "; instruction set capped: ATEN_CPU_CAPABILITY=default, ONEDNN_MAX_CPU_ISA=SSE41, MKL_CBWR=COMPATIBLE, "
        "NPY_DISABLE_CPU_FEATURES=X86_V3 X86_V4 AVX512_ICL AVX512_SPR")  # the job's caps, not the driver's
    chapter = json.loads(record.read_text())["chapters"]["00_tiny"]
    assert chapter["runs"] == {"test, sse41, seed 0": {"size/plus_seed/is_even": [8, True]}}
    assert chapter["claims"]["size/plus_seed/is_even"]["spread"] == 0
    (folder,) = (book / "spread").iterdir()  # the same runs, read back from the sweep instead of run again
    assert claims_spread.main(["--from-sweeps", str(folder), "--json", str(book / "read.json")]) == 0
    read = json.loads((book / "read.json").read_text())
    assert read["chapters"]["00_tiny"]["runs"] == {f"{chapters.machine({})}, sse41, seed 0": {
        "size/plus_seed/is_even": [8, True]}}
    assert read["sweeps"][folder.name]["jobs"] == 1 and read["isa"] == {"sse41": claims_spread.ISA_CAPS["sse41"]}
    assert claims_spread.isa_of("AMD EPYC, 2 cores") == "native"
    with pytest.raises(ValueError, match="names caps that are none of"):
        claims_spread.isa_of("AMD EPYC, 2 cores; instruction set capped: MKL_CBWR=AVX512")


def test_a_changed_profile_makes_its_committed_runs_stale(book, ray_cluster, monkeypatch):
    """An evidence run is committed with its notebook: a later change to its profile, or a record that is not its
    notebook's, is reported by name instead of being shown as the profile's result."""
    import dipkit.profiles

    profiles = book / "profiles"
    profiles.mkdir()
    (profiles / "long.yaml").write_text("00_tiny:\n  size: 10\n")
    monkeypatch.setattr(dipkit.profiles, "FOLDER", profiles)
    folder = sweep.sweep_folder(book / "runs", "long", "evidence", resume=False)
    manifest = sweep.run(sweep.plan(["00"], False, [0, 2], "long", "cpu", []), folder, "long", command="dipkit sweep")
    assert manifest["commands"] == ["dipkit sweep"] and manifest["jobs"]["00_tiny/seed-0"]["commit"]
    assert manifest["jobs"]["00_tiny/seed-2"]["machine"] and sweep.stale_records(folder) == []
    runs = sweep.evidence("00_tiny", folder.parent)
    assert {seed: (path.name, [c.measured for c in found]) for seed, (path, found) in runs.items()} == {
        0: ("seed-0.ipynb", [10]), 2: ("seed-2.ipynb", [12])}

    (profiles / "long.yaml").write_text("00_tiny:\n  size: 12\n")
    problems = sorted(sweep.stale_records(folder))
    assert problems == [f"00_tiny/seed-{seed}: size was 10 in the run, the long profile now gives 12: re-run it "
                        "(dipkit sweep --resume) or restore the profile" for seed in (0, 2)]

    (profiles / "long.yaml").write_text("00_tiny:\n  size: 10\n")
    record = folder / "00_tiny" / "seed-2.claims.json"
    record.write_text(record.read_text().replace('"measured": 12', '"measured": 13'))
    assert sweep.stale_records(folder) == ["00_tiny/seed-2: seed-2.claims.json is not the record its notebook carries"]
