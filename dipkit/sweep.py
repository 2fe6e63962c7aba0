"""``dipkit sweep``: notebooks x seeds x override sets, one papermill job each, run as Ray tasks.

    dipkit sweep 00 03 --seeds 0-2                        # an embedded Ray on this machine, one job per core
    dipkit sweep 04 --seeds 0-4 --vary lr_g=[0.0002,0.001] -p dcgan_steps=500
    dipkit sweep --all --profile paper --seeds 0-2 --address auto --gpus-per-job 1   # a running Ray cluster

Each job writes ``runs/<profile>/sweeps/<id>/<stem>/seed-<k>.ipynb`` and ``seed-<k>.claims.json`` (under a
``<name>-<value>`` folder per override set when ``--vary`` makes several), never into ``notebooks/``. The
executed notebook travels back to the driver as the task's result, so a cluster needs no shared disk: every
node needs only the repository's environment (``make setup``) and its datasets (``dipkit.data``). ``sweep.json``
in the sweep's folder records each job's parameters, status and error, which is what ``--resume`` reads to
run only the jobs that are missing or failed. Chapter 11 reads the claims records of sweeps.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import shutil
import socket
import tempfile
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dipkit import chapters, report
from dipkit.chapters import UsageError
from dipkit.repro import DEVICES

MANIFEST = "sweep.json"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Job:
    """One papermill run: a notebook, its parameters (seed included), and where its outputs go."""

    source: Path
    seed: int
    parameters: dict
    key: str  # "<stem>/seed-<k>" or "<stem>/<override set>/seed-<k>": its outputs' path in the sweep's folder
    env: dict = field(default_factory=dict)  # extra environment for its kernel (claims_spread's instruction sets)


def seed_range(text: str) -> list[int]:
    """``0-4`` or ``0,2,5``: the seeds, each a non-negative integer, none twice."""
    first, dash, last = text.partition("-")
    try:
        seeds = list(range(int(first), int(last) + 1)) if dash else [int(part) for part in text.split(",")]
    except ValueError:
        seeds = []
    if not seeds or min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise UsageError(f"bad seed range {text!r}; expected FIRST-LAST (0-4, non-empty) or a list (0,2,5)")
    return seeds


def override_sets(vary: list[str]) -> list[dict[str, Any]]:
    """``--vary name=[a, b]`` (repeatable): every combination of the listed values, one override set each."""
    axes = chapters.parse_assignments(vary)
    for name, values in axes.items():
        if not isinstance(values, list) or not values:
            raise UsageError(f"--vary {name}= needs a non-empty YAML list, e.g. --vary {name}=[1, 2]")
    return [dict(zip(axes, combination)) for combination in itertools.product(*axes.values())]


def label(overrides: dict[str, Any]) -> str:
    """A folder name for an override set: ``lr-0.001_steps-500``."""
    return "_".join(f"{name}-{re.sub(r'[^0-9A-Za-z.+-]', '', str(value))}" for name, value in overrides.items())


def plan(
    names: list[str], run_all: bool, seeds: list[int], profile: str, device: str, assignments: list[str],
    vary: list[str] = (),
) -> list[Job]:
    """Every job of the sweep, validated by ``dipkit run``'s own checks before anything starts.

    ``device`` is the workers' (``cpu``, or ``cuda`` with ``--gpus-per-job``), not this machine's, so it is
    set after ``dipkit run``'s planning, which checks devices on the machine it runs on.
    """
    if device not in DEVICES:
        raise UsageError(f"unknown device {device!r}; accepted: {', '.join(DEVICES)}")
    if "seed" in chapters.parse_assignments(assignments):
        raise UsageError("the seeds of a sweep are set with --seeds, not -p seed=...")
    sets = override_sets(list(vary))
    jobs = []
    for overrides in sets:
        given = assignments + [f"{name}={json.dumps(value)}" for name, value in overrides.items()]
        for source, parameters in chapters.plan(names, run_all, profile, "cpu", given):
            defaults = chapters.notebook_parameters(source)
            if "seed" not in defaults:
                raise UsageError(f"{source.stem} has no seed parameter, so it cannot be swept over seeds")
            missing = set(overrides) - set(defaults)
            if missing:
                raise UsageError(f"--vary {', '.join(sorted(missing))}: not a parameter of {source.stem}")
            if "device" in defaults:
                parameters["device"] = device
            folder = f"{source.stem}/{label(overrides)}" if len(sets) > 1 else source.stem
            jobs += [Job(source, seed, {**parameters, "seed": seed}, f"{folder}/seed-{seed}") for seed in seeds]
    return jobs


def connect(address: str | None, jobs: int, gpus_per_job: float) -> None:
    """Start an embedded Ray with ``jobs`` CPUs, or join the cluster at ``address``; clear errors otherwise."""
    import ray

    quiet = {"include_dashboard": False, "log_to_driver": False, "logging_level": "ERROR"}
    if address is None:
        ray.init(num_cpus=jobs, **quiet)
    elif address.startswith("ray://"):
        raise UsageError(f"--address {address}: Ray Client (ray://) needs the ray[client] extra, which the book does "
                         "not install; run dipkit sweep on a node of the cluster with --address auto instead")
    else:
        if address != "auto":
            host, _, port = address.rpartition(":")
            try:
                socket.create_connection((host or "127.0.0.1", int(port)), timeout=5).close()
            except (OSError, ValueError) as error:
                tried = f"a TCP connection to {host or '127.0.0.1'}:{port} ({error})"
                raise UsageError(f"cannot reach a Ray cluster at --address {address}: tried {tried}; "
                                 "start one with `ray start --head`") from error
        try:
            ray.init(address=address, **quiet)
        except (ConnectionError, RuntimeError, ValueError) as error:
            tried = ("$RAY_ADDRESS, then a Ray started on this machine by `ray start`"
                     if address == "auto" else address)
            raise UsageError(f"cannot reach a Ray cluster at --address {address}: tried {tried} ({error}); "
                             "start one with `ray start --head`") from error
    try:
        check_gpus(gpus_per_job, "this machine" if address is None else f"the cluster at {address}")
    except UsageError:
        ray.shutdown()
        raise


@contextmanager
def ray_session(address: str | None, jobs: int, gpus_per_job: float) -> Iterator[None]:
    """Ray for the length of one sweep: :func:`connect`, then shut down (an embedded Ray stops with it)."""
    import ray

    connect(address, jobs, gpus_per_job)
    try:
        yield
    finally:
        ray.shutdown()


def check_gpus(gpus_per_job: float, where: str) -> None:
    """A job asking for more GPUs than the whole cluster has would wait for ever: refuse it."""
    import ray

    gpus = ray.cluster_resources().get("GPU", 0)
    if gpus_per_job > gpus:
        raise UsageError(f"--gpus-per-job {gpus_per_job:g}, but {where} has {gpus:g} GPUs")


def last_lines(text: str, count: int = 6) -> str:
    """The end of an error: its last ``count`` non-empty lines, without terminal colours."""
    lines = [line.rstrip() for line in ANSI.sub("", text).splitlines() if line.strip()]
    return "\n".join(lines[-count:])


def traceback_of(notebook: Path) -> str:
    """The traceback of the cell that failed in an executed notebook ('' when none did)."""
    for cell in json.loads(notebook.read_text())["cells"]:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return "\n".join(output.get("traceback", [])) or f"{output['ename']}: {output['evalue']}"
    return ""


def execute_job(source_text: str, name: str, parameters: dict, env: dict) -> dict:
    """The Ray task: run one notebook (given as text, so no shared disk is needed) in a scratch folder and return
    the executed notebook, its claims record, the wall time and the error ('' when it ran to the end)."""
    kept = dict(os.environ)
    # the kernel inherits this process's environment, and Ray reuses the process: set it, then restore it
    os.environ.update({**chapters.BASELINE_ENV, **env})
    try:
        return _execute_in_scratch(source_text, name, parameters)
    finally:
        os.environ.clear()
        os.environ.update(kept)


def _execute_in_scratch(source_text: str, name: str, parameters: dict) -> dict:
    with tempfile.TemporaryDirectory(prefix="dipkit-sweep-") as scratch:
        source, output = Path(scratch) / f"{name}.ipynb", Path(scratch) / "out" / f"{name}.ipynb"
        output.parent.mkdir()
        source.write_text(source_text)
        try:
            seconds, error = chapters.execute(source, output, parameters, output.parent)
        except Exception:  # the kernel did not start, papermill failed: still a result, reported with the others
            seconds, error = 0.0, traceback.format_exc()
        if error and output.exists():
            error = traceback_of(output) or error
        claims_file = output.parent / f"{name}.claims.json"
        return {
            "notebook": output.read_text() if output.exists() else None,
            "claims": json.loads(claims_file.read_text()) if claims_file.exists() else None,
            "seconds": round(seconds, 1), "error": last_lines(error) if error else "",
        }


def sweep_folder(runs: Path, profile: str, sweep_id: str | None, resume: bool) -> Path:
    """``runs/<profile>/sweeps/<id>``: a new id (a timestamp by default), or with ``--resume`` an existing one
    (the newest when no id is given)."""
    sweeps = runs / profile / "sweeps"
    if resume and sweep_id is None:
        existing = sorted((p for p in sweeps.glob("*") if (p / MANIFEST).exists()), key=lambda p: p.stat().st_mtime)
        if not existing:
            raise UsageError(f"--resume: no sweep to resume in {sweeps}")
        return existing[-1]
    folder = sweeps / (sweep_id or time.strftime("%Y%m%d-%H%M%S"))
    if resume and not (folder / MANIFEST).exists():
        raise UsageError(f"--resume: no sweep {folder.name!r} in {sweeps}")
    if not resume and folder.exists():
        raise UsageError(f"sweep {folder.name!r} exists in {sweeps}; pass --resume to finish it, or another --id")
    return folder


def read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    return json.loads(path.read_text()) if path.exists() else {"jobs": {}}


def write_manifest(manifest: dict, folder: Path) -> None:
    """Replace ``sweep.json`` at once, so that a reader (chapter 11, ``--resume``) never sees half of it."""
    scratch = folder / f".{MANIFEST}.tmp"
    scratch.write_text(json.dumps(manifest, indent=1) + "\n")
    os.replace(scratch, folder / MANIFEST)


def to_do(jobs: list[Job], manifest: dict, folder: Path) -> list[Job]:
    """The jobs not yet in the sweep: missing, failed, or run with other parameters."""
    def done(job: Job) -> bool:
        entry = manifest["jobs"].get(job.key, {})
        return (entry.get("status") == "ok" and entry.get("parameters") == job.parameters
                and (folder / f"{job.key}.ipynb").exists())
    return [job for job in jobs if not done(job)]


def run(jobs: list[Job], folder: Path, profile: str, gpus_per_job: float = 0, command: str = "") -> dict:
    """Run the jobs as Ray tasks (``connect`` first), write each one's outputs as it finishes, and return the
    manifest; a failed job is recorded with its error and does not stop the others. Each job's entry records
    the commit and the machine it ran on (with the instruction-set caps of its kernel's environment), the
    manifest every ``command`` that ran jobs into the folder."""
    import ray
    from tqdm import tqdm

    folder.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(folder)
    manifest.update(profile=profile, started=manifest.get("started") or time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                        time.gmtime()))
    if command:
        manifest["commands"] = [*manifest.get("commands", []), command]
    commit = chapters.commit()
    task = ray.remote(num_cpus=1, num_gpus=gpus_per_job, max_retries=0)(execute_job)
    pending = {task.remote(job.source.read_text(), job.source.stem, job.parameters, job.env): job for job in jobs}
    started = time.perf_counter()
    with tqdm(total=len(jobs), unit="job", desc=f"sweep {folder.name}") as bar:
        while pending:
            finished, _ = ray.wait(list(pending), num_returns=1)
            job = pending.pop(finished[0])
            try:
                result = ray.get(finished[0])
            except ray.exceptions.RayError as error:  # the worker died (out of memory, killed)
                result = {"notebook": None, "claims": None, "seconds": 0.0, "error": last_lines(str(error))}
            save(job, {**result, "commit": commit, "machine": chapters.machine({**os.environ, **job.env})}, folder,
                 manifest)
            if result["error"]:
                bar.write(f"FAILED {job.source.stem} seed {job.seed}: {result['error'].splitlines()[-1]}")
            bar.update(1)
    manifest["wall_seconds"] = round(manifest.get("wall_seconds", 0) + time.perf_counter() - started, 1)
    write_manifest(manifest, folder)
    return manifest


def save(job: Job, result: dict, folder: Path, manifest: dict) -> None:
    """Write one job's notebook and claims record and its line of ``sweep.json`` (rewritten after every job)."""
    notebook, claims_file = folder / f"{job.key}.ipynb", folder / f"{job.key}.claims.json"
    notebook.parent.mkdir(parents=True, exist_ok=True)
    claims_file.unlink(missing_ok=True)
    if result["notebook"] is not None:
        notebook.write_text(result["notebook"])
    if result["claims"] is not None and not result["error"]:
        claims_file.write_text(json.dumps(result["claims"], indent=1) + "\n")
    manifest["jobs"][job.key] = {
        "notebook": job.source.stem, "seed": job.seed, "parameters": job.parameters,
        "status": "failed" if result["error"] else "ok", "seconds": result["seconds"], "error": result["error"],
        "commit": result.get("commit", ""), "machine": result.get("machine", ""),
    }
    write_manifest(manifest, folder)


def keep_records(folder: Path, destination: Path) -> Path:
    """Copy a sweep's claims records and ``sweep.json`` (not its notebooks) to ``destination/<id>``: how a sweep
    is committed for chapter 11 (``benchmarks/results/sweeps/``), since ``runs/`` is not."""
    target = destination / folder.name
    for path in [folder / MANIFEST, *folder.rglob("*.claims.json")]:
        (target / path.relative_to(folder)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / path.relative_to(folder))
    return target


def records(folder: Path) -> dict[str, dict[str, list[report.Claim]]]:
    """A sweep's claims records (in ``runs/`` or kept with ``--keep-records``): by chapter, then by job, in seed
    order, only the jobs that ran to the end. Chapter 11 reads them."""
    found: dict[str, dict[str, list[report.Claim]]] = {}
    by_seed = lambda item: (item[1]["notebook"], item[1]["seed"], item[0])  # noqa: E731
    jobs = sorted(read_manifest(folder)["jobs"].items(), key=by_seed)
    for key, entry in jobs:
        path = folder / f"{key}.claims.json"
        if entry["status"] == "ok" and path.exists():
            found.setdefault(entry["notebook"], {})[key] = report.read(path)
    return found


EVIDENCE = chapters.ROOT / "runs" / "long" / "sweeps"
"""Where the evidence profile's sweeps are committed, with their executed notebooks: one folder per sweep."""


def evidence(chapter: str, folder: Path = EVIDENCE) -> dict[int, tuple[Path, list[report.Claim]]]:
    """The committed evidence runs of one chapter, by seed: each run's executed notebook and its claims, from
    every sweep under ``folder`` (a later sweep's run of a seed replaces an earlier one's)."""
    runs = {}
    for sweep_folder_ in sorted(path for path in folder.glob("*") if (path / MANIFEST).is_file()):
        jobs = read_manifest(sweep_folder_)["jobs"]
        for key, found in records(sweep_folder_).get(chapter, {}).items():
            runs[jobs[key]["seed"]] = (sweep_folder_ / f"{key}.ipynb", found)
    return dict(sorted(runs.items()))


def stale_records(folder: Path) -> list[str]:
    """What no longer holds of a committed sweep (an evidence run, ``runs/<profile>/sweeps/<id>``), one sentence
    each; empty when every job that ran is still current: its claims record is the one its executed notebook
    carries, the notebook ran with the parameters the manifest says, and those are what the profile gives that
    chapter and seed today. A profile changed after its runs were made thus fails loudly, instead of its old
    records being shown as the profile's."""
    import nbformat

    manifest, problems = read_manifest(folder), []
    for key, entry in manifest["jobs"].items():
        if entry["status"] != "ok":
            continue
        notebook, claims_file = folder / f"{key}.ipynb", folder / f"{key}.claims.json"
        if not notebook.is_file() or not claims_file.is_file():
            problems.append(f"{key}: its executed notebook or its claims record is missing")
            continue
        if report.from_notebook(notebook) != report.read(claims_file):
            problems.append(f"{key}: {claims_file.name} is not the record its notebook carries")
        injected = nbformat.read(notebook, as_version=4).metadata.get("papermill", {}).get("parameters", {})
        if injected != entry["parameters"]:
            problems.append(f"{key}: the notebook ran with {injected}, the manifest says {entry['parameters']}")
        try:
            (job,) = plan([entry["notebook"]], False, [entry["seed"]], manifest["profile"],
                          entry["parameters"].get("device", "cpu"), [])
        except UsageError as error:
            problems.append(f"{key}: its chapter no longer plans at profile {manifest['profile']}: {error}")
            continue
        for name in sorted(job.parameters.keys() | entry["parameters"].keys()):
            was, now = entry["parameters"].get(name, "(not set)"), job.parameters.get(name, "(not set)")
            if was != now:
                problems.append(f"{key}: {name} was {was!r} in the run, the {manifest['profile']} profile now "
                                f"gives {now!r}: re-run it (dipkit sweep --resume) or restore the profile")
    return problems


def print_summary(manifest: dict, folder: Path) -> None:
    """One row per notebook (jobs that ran, failed, claims held), then each failure with its error's last lines."""
    rows: dict[str, list[int]] = {}
    for key, entry in manifest["jobs"].items():
        row = rows.setdefault(entry["notebook"], [0, 0, 0, 0])
        row[0 if entry["status"] == "ok" else 1] += 1
        claims_file = folder / f"{key}.claims.json"
        claims = report.read(claims_file) if claims_file.exists() else []
        row[2] += sum(bool(claim.held) for claim in claims)
        row[3] += len(claims)
    for stem, (ok, failed, held, recorded) in sorted(rows.items()):
        print(f"{stem}: {ok} jobs ran, {failed} failed; claims held {held} of {recorded}")
    for key, entry in manifest["jobs"].items():
        if entry["status"] != "ok":
            error = entry["error"].replace("\n", "\n  ")
            print(f"FAILED {entry['notebook']} seed {entry['seed']} ({key}):\n  {error}")
    print(f"sweep {folder} in {manifest['wall_seconds']:.0f} s (wall time of its runs)")


def main(args: Any, command: list[str] = ()) -> int:
    """``dipkit sweep``: validate everything, connect to Ray, run what is to do, summarise. ``command``: the
    arguments it was given, recorded in the sweep's manifest."""
    seeds = seed_range(args.seeds)
    if args.jobs < 1 or args.gpus_per_job < 0:
        raise UsageError("--jobs must be at least 1 and --gpus-per-job at least 0")
    device = args.device or ("cuda" if args.gpus_per_job else "cpu")
    jobs = plan(args.notebooks, args.all, seeds, args.profile, device, args.parameter, args.vary)
    folder = sweep_folder(args.output_dir, args.profile, args.id, args.resume)
    manifest = read_manifest(folder)
    todo = to_do(jobs, manifest, folder)
    print(f"sweep {folder}: {len(todo)} of {len(jobs)} jobs to run", flush=True)
    if todo:
        with ray_session(args.address, args.jobs, args.gpus_per_job):
            manifest = run(todo, folder, args.profile, args.gpus_per_job, shlex.join(["dipkit", *command]))
    print_summary(manifest, folder)
    if args.keep_records:
        print(f"claims records and {MANIFEST} copied to {keep_records(folder, args.keep_records)}")
    return 1 if any(entry["status"] != "ok" for entry in manifest["jobs"].values()) else 0
