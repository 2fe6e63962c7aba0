"""The book's chapters as jobs: the catalogue of notebooks and profiles, parameter checking, planning and
executing a run. ``dipkit run``/``refresh`` (:mod:`dipkit.cli`) and ``dipkit sweep`` (:mod:`dipkit.sweep`) both
build on it, so a parameter is checked, and a notebook executed, the same way by each.
"""

from __future__ import annotations

import ast
import json
import multiprocessing
import os
import platform
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dipkit import profiles, report
from dipkit.repro import resolve_device

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


class UsageError(Exception):
    """Bad input from the command line: printed as one line, exit status 2."""


@dataclass
class Outcome:
    notebook: str
    seconds: float
    device: str
    verdicts: dict[str, report.Tally]
    output: Path
    error: str = ""


def available_notebooks() -> dict[str, Path]:
    """The book's chapters by stem, in reading order: ``notebooks/NN_name.ipynb``. A notebook whose name starts
    with ``_`` (``_template.ipynb``, the chapter template) is not a chapter: ``list`` and ``run --all`` skip it,
    and ``run`` refuses it by name (:func:`find_notebook`). It is still a committed, validated baseline, which
    ``refresh`` re-executes (:func:`committed_notebooks`)."""
    return {path.stem: path for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))}


def committed_notebooks() -> dict[str, Path]:
    """Every committed executed notebook nbval validates: the chapters and the template."""
    return {**available_notebooks(), **{path.stem: path for path in sorted(NOTEBOOKS.glob("_*.ipynb"))}}


def find_notebook(name: str, template: bool = False) -> Path:
    """Accept a path, a stem (``00_inverse_problems``) or a chapter number (``00``); ``template``: also ``_*``."""
    notebooks = committed_notebooks() if template else available_notebooks()
    stem = Path(name).name.removesuffix(".ipynb")
    if stem.startswith("_") and not template:
        raise UsageError(
            f"{stem}.ipynb is not a chapter (names starting with '_' are not); to write one, copy "
            "notebooks/_template.ipynb to notebooks/NN_method.ipynb (CONTRIBUTING.md, \"Adding a chapter\")"
        )
    matches = [path for key, path in notebooks.items() if key == stem or key.split("_", 1)[0] == stem]
    if len(matches) != 1:
        raise UsageError(f"unknown notebook {name!r}; accepted: {', '.join(notebooks) or '(none found)'}")
    return matches[0]


def notebook_parameters(path: Path) -> dict[str, Any]:
    """Names and default values of a notebook's ``parameters`` cell."""
    import papermill

    defaults = {}
    for name, info in papermill.inspect_notebook(str(path)).items():
        try:
            defaults[name] = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError):  # an expression such as 1/30
            defaults[name] = eval(info["default"], {"__builtins__": {}})  # noqa: S307 (our own notebook's source)
    return defaults


def profile_overrides(profile: str) -> dict[str, dict[str, Any]]:
    """Per-notebook overrides of a profile (empty for ``quick``); an unknown profile is a usage error."""
    try:
        return profiles.overrides(profile)
    except ValueError as error:
        raise UsageError(str(error)) from None


def parse_assignments(assignments: list[str]) -> dict[str, Any]:
    """``name=value`` pairs, the value read as YAML (``64`` is an int, ``0.01`` a float, ``[1, 2]`` a list)."""
    parsed = {}
    for assignment in assignments:
        name, sep, value = assignment.partition("=")
        if not sep or not name.isidentifier():
            raise UsageError(f"bad parameter {assignment!r}; expected name=value, e.g. -p image_size=64")
        parsed[name] = yaml.safe_load(value)
    return parsed


def _same_type(value: Any, default: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    return isinstance(value, type(default))


def check_parameters(notebook: str, given: dict[str, Any], defaults: dict[str, Any], source: str) -> None:
    """Every override must name a parameter of the notebook and keep its type."""
    for name, value in given.items():
        if name not in defaults:
            raise UsageError(
                f"unknown parameter {name!r} for {notebook} ({source}); accepted: {', '.join(defaults)}"
            )
        if not _same_type(value, defaults[name]):
            raise UsageError(
                f"parameter {name!r} of {notebook} must be {type(defaults[name]).__name__} "
                f"(default {defaults[name]!r}), got {type(value).__name__} {value!r} ({source})"
            )


def read_overrides(path: Path) -> dict[str, dict[str, Any]]:
    """A file of per-notebook overrides in a profile's format (``stem: {name: value}``), applied over the profile."""
    if not path.is_file():
        raise UsageError(f"--overrides {path}: no such file")
    overrides = yaml.safe_load(path.read_text()) or {}
    if not isinstance(overrides, dict) or not all(isinstance(v, dict) for v in overrides.values()):
        raise UsageError(f"--overrides {path}: expected 'notebook_stem: {{name: value, ...}}' entries, as in profiles/")
    return overrides


def plan(
    names: list[str], run_all: bool, profile: str, device: str, assignments: list[str],
    overrides_file: Path | None = None,
) -> list[tuple[Path, dict]]:
    """Validate everything before running anything: notebooks, profile, device and parameters.

    A parameter's value comes from, last one winning: the notebook's default, the profile, ``overrides_file``
    (per notebook, e.g. the paper profile's smoke check, ``tests/paper_smoke.yaml``), then ``-p``."""
    if run_all == bool(names):
        raise UsageError("name notebooks to run, or pass --all (not both)")
    notebooks = list(available_notebooks().values()) if run_all else [find_notebook(name) for name in names]
    if not notebooks:
        raise UsageError(f"no notebooks found in {NOTEBOOKS}")
    overrides = profile_overrides(profile)
    try:
        resolved = str(resolve_device(device))
    except ValueError as error:
        raise UsageError(str(error)) from error
    unknown = set(overrides) - set(available_notebooks())
    if unknown:
        raise UsageError(f"profiles/{profile}.yaml names unknown notebooks {sorted(unknown)}")
    extra = read_overrides(overrides_file) if overrides_file else {}
    if set(extra) - set(available_notebooks()):
        raise UsageError(f"{overrides_file} names unknown notebooks {sorted(set(extra) - set(available_notebooks()))}")
    command_line = parse_assignments(assignments)
    defaults = {path: notebook_parameters(path) for path in notebooks}
    everywhere = set().union(*defaults.values())
    for name in command_line:
        if name not in everywhere:
            raise UsageError(f"unknown parameter {name!r}; accepted: {', '.join(sorted(everywhere))}")
    jobs = []
    for path in notebooks:
        from_profile = overrides.get(path.stem) or {}
        check_parameters(path.stem, from_profile, defaults[path], f"profiles/{profile}.yaml")
        from_file = extra.get(path.stem) or {}
        check_parameters(path.stem, from_file, defaults[path], str(overrides_file))
        given = {name: value for name, value in command_line.items() if name in defaults[path]}
        check_parameters(path.stem, given, defaults[path], "-p")
        parameters = {**from_profile, **from_file, **given}
        for name, value in (("profile", profile), ("device", resolved)):
            if name in defaults[path]:
                parameters[name] = value
        jobs.append((path, parameters))
    return jobs


def keep_previous(path: Path) -> None:
    """Move an earlier output to ``previous/<stem>.<timestamp><suffix>`` instead of overwriting it."""
    if path.exists():
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(path.stat().st_mtime))
        archive = path.parent / "previous"
        archive.mkdir(exist_ok=True)
        target = archive / f"{path.name.split('.')[0]}.{stamp}{''.join(path.suffixes)}"
        counter = 1
        while target.exists():
            target = archive / f"{path.name.split('.')[0]}.{stamp}-{counter}{''.join(path.suffixes)}"
            counter += 1
        shutil.move(path, target)


def execute(
    source: Path, output: Path, parameters: dict, claims_dir: Path, cwd: Path | None = None, progress: bool = True
) -> tuple[float, str]:
    """Run one notebook with papermill (in ``cwd``, default the output's folder) and write the claims record it
    carries to ``claims_dir/<stem>.claims.json``; returns the wall time and an error message ('' when it ran).
    ``progress``: papermill's live bar of cells on the terminal (off when several chapters run side by side).

    The kernel sees ``$DIPKIT_CLAIMS_DIR = claims_dir``, so a chapter reads earlier chapters' records from the
    same run (:func:`dipkit.report.load`). It talks to papermill over IPC sockets, not unencrypted TCP.
    """
    import papermill
    from traitlets.config import Config

    previous = os.environ.get(report.CLAIMS_DIR_ENV)
    os.environ[report.CLAIMS_DIR_ENV] = str(claims_dir)
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="dipkit-kernel-") as sockets:  # IPC socket files, not in cwd
            papermill.execute_notebook(
                str(source), str(output), parameters=parameters, cwd=str(cwd or output.parent),
                kernel_name="python3", progress_bar=progress, report_mode=False,
                config=Config({"KernelManager": {"transport": "ipc", "ip": str(Path(sockets) / "kernel")}}),
            )
        error = ""
    except papermill.PapermillExecutionError as failure:
        error = f"{failure.ename}: {failure.evalue}"
    finally:
        if previous is None:
            os.environ.pop(report.CLAIMS_DIR_ENV)
        else:
            os.environ[report.CLAIMS_DIR_ENV] = previous
    seconds = time.perf_counter() - started
    if output.exists():
        keep_final_progress(output)
    try:
        report.write(report.from_notebook(output), claims_dir / f"{source.stem}.claims.json")
    except (LookupError, FileNotFoundError):  # it failed before its claims.save(), or records no claims
        pass
    return seconds, error


def final_text(text: str) -> str:
    """What a terminal shows once ``text`` is printed: of each line, the part after its last carriage return
    (a tqdm bar redraws itself with ``\\r``; only its last state is kept)."""
    lines = [line.rstrip("\r").rsplit("\r", 1)[-1] for line in text.split("\n")]
    return "\n".join(lines)


def keep_final_progress(path: Path) -> None:
    """Rewrite an executed notebook with each cell's consecutive stream outputs merged and every progress bar's
    redraws reduced to its last state: one line per bar, not one per refresh."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        merged: list = []
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream" and merged and merged[-1]["output_type"] == "stream" \
                    and merged[-1]["name"] == out["name"]:
                merged[-1]["text"] = "".join(merged[-1]["text"]) + "".join(out["text"])
            else:
                merged.append(out)
        for out in merged:
            if out["output_type"] == "stream":
                out["text"] = final_text("".join(out["text"]))
        if "outputs" in cell:
            cell["outputs"] = merged
    nbformat.write(notebook, path)


# the environment that makes torch's and NumPy's kernels compute as a CPU with fewer instructions would (TOOLING.md)
ISA_CAP_VARIABLES = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_CBWR", "NPY_DISABLE_CPU_FEATURES")


def machine(env: dict[str, str] | None = None) -> str:
    """The CPU model and core count of this machine, its GPU when CUDA sees one, and the instruction-set caps of
    ``env`` (default: this process's environment), since a capped run computes as another kind of CPU."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]
        model = names[0] if names else model
    described = f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"
    import torch

    if torch.cuda.is_available():
        described += f"; GPU {torch.cuda.get_device_name(0)}"
    env = os.environ if env is None else env
    caps = [f"{name}={env[name]}" for name in ISA_CAP_VARIABLES if env.get(name)]
    return described + (f"; instruction set capped: {', '.join(caps)}" if caps else "")


def commit() -> str:
    """The checkout's commit, with ``+uncommitted`` when tracked files differ from it ('unknown' outside git)."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head.stdout.strip() + ("+uncommitted" if dirty.stdout.strip() else "")


def write_run_record(path: Path, parameters: dict, seconds: float, error: str, command: list[str]) -> None:
    """``<stem>.run.json`` beside a run's notebook: what a committed run needs to be trusted and repeated."""
    record = {"command": shlex.join(["dipkit", *command]), "commit": commit(), "machine": machine(),
              "wall_seconds": round(seconds, 1), "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
              "parameters": parameters, "error": error}
    path.write_text(json.dumps(record, indent=1) + "\n")


def prerequisites(source: Path, earlier: list[Path]) -> set[Path]:
    """The chapters of ``earlier`` whose claims ``source`` reads, so must finish before it starts: those its code
    names by stem (``report.load("00_inverse_problems")``), or all of them when it reads the whole run's folder
    (``report.records_in``, the reproducibility report)."""
    notebook = json.loads(source.read_text())
    code = "\n".join("".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code")
    if "records_in(" in code:
        return set(earlier)
    return {path for path in earlier if re.search(rf"\b{re.escape(path.stem)}\b", code)}


def run(jobs: list[tuple[Path, dict]], profile: str, output_dir: Path, label: str = "",
        command: list[str] | None = None, workers: int = 1) -> list[Outcome]:
    """Execute each job into ``output_dir/<profile>/`` (``<label>/`` below it when given) and collect its claims.

    ``workers`` chapters run side by side, each in its own process (every chapter uses one CPU thread); a chapter
    starts once the chapters whose records it reads (:func:`prerequisites`) have finished. Beside each notebook
    and its claims goes ``<stem>.run.json``: the command, the commit, the machine and the wall time of this run
    (a resumed DIP run's notebook prints the time of all its parts). Outcomes come back in the jobs' order.
    """
    if label and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", label):
        raise UsageError(f"bad --label {label!r}; accepted: letters, digits, '_', '.', '-' (one folder name)")
    if workers < 1:
        raise UsageError(f"--jobs must be at least 1, got {workers}")
    folder = (output_dir / profile / label).resolve()
    if folder == NOTEBOOKS.resolve():
        raise UsageError("runs are never written into notebooks/; choose another --output-dir")
    folder.mkdir(parents=True, exist_ok=True)
    workers = min(workers, len(jobs))
    sources = [source for source, _ in jobs]
    needs = {source: prerequisites(source, sources[:index]) for index, source in enumerate(sources)}
    results: dict[Path, Outcome] = {}

    def start(index: int, source: Path, parameters: dict) -> Path:
        output = folder / source.name
        for path in (output, folder / f"{source.stem}.claims.json", folder / f"{source.stem}.run.json"):
            keep_previous(path)
        shown = ", ".join(f"{k}={v!r}" for k, v in parameters.items())
        print(f"[{index}/{len(jobs)}] {source.stem}  ({shown})", flush=True)
        return output

    def finish(source: Path, parameters: dict, seconds: float, error: str) -> None:
        write_run_record(folder / f"{source.stem}.run.json", parameters, seconds, error, command or [])
        results[source] = outcome(source.stem, seconds, parameters.get("device", "-"),
                                  folder / f"{source.stem}.claims.json", folder / source.name, error)
        if workers > 1:
            print(f"done {source.stem} in {seconds:.0f} s" + (f": ERROR {error}" if error else ""), flush=True)

    if workers == 1:
        for index, (source, parameters) in enumerate(jobs, 1):
            output = start(index, source, parameters)
            finish(source, parameters, *execute(source, output, parameters, folder))
        return [results[source] for source in sources]
    waiting = list(enumerate(jobs, 1))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        running: dict[Future, tuple[Path, dict]] = {}
        while waiting or running:
            ready = [item for item in waiting if needs[item[1][0]] <= set(results)][: workers - len(running)]
            for item in ready:
                waiting.remove(item)
                index, (source, parameters) = item
                output = start(index, source, parameters)
                running[pool.submit(execute, source, output, parameters, folder, None, False)] = (source, parameters)
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                finish(*running.pop(future), *future.result())
    return [results[source] for source in sources]


def outcome(stem: str, seconds: float, device: str, claims_file: Path, output: Path, error: str) -> Outcome:
    """One row of the summary: the verdicts of the claims the run recorded, by kind."""
    claims = report.read(claims_file) if claims_file.exists() else []
    return Outcome(stem, seconds, device, report.tally(claims, report.flagged(claims)), output, error)


# the environment of a committed baseline's kernel (dipkit refresh) and of a sweep's jobs: one thread, no bars
BASELINE_ENV = {"TQDM_DISABLE": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}


def refresh(names: list[str], run_all: bool) -> list[Outcome]:
    """Re-execute committed notebooks at the quick profile on the CPU (the nbval baseline).

    Each runs into a scratch folder beside ``notebooks/`` and replaces the committed notebook and its
    claims only when it ran to the end; a failed run is kept in ``runs/refresh-failed/`` instead.
    """
    if run_all == bool(names):
        raise UsageError("name notebooks to refresh, or pass --all (not both)")
    notebooks = (list(committed_notebooks().values()) if run_all
                 else [find_notebook(name, template=True) for name in names])
    os.environ.update(BASELINE_ENV)
    outcomes = []
    for index, path in enumerate(notebooks, 1):
        print(f"[{index}/{len(notebooks)}] {path.stem}  (committed baseline, quick profile, cpu)", flush=True)
        with tempfile.TemporaryDirectory(prefix=".refresh-", dir=NOTEBOOKS.parent) as scratch:
            output, claims_file = Path(scratch) / path.name, Path(scratch) / f"{path.stem}.claims.json"
            seconds, error = execute(path, output, {}, Path(scratch), cwd=path.parent)
            destination = NOTEBOOKS.parent / "runs" / "refresh-failed" if error else NOTEBOOKS
            destination.mkdir(parents=True, exist_ok=True)
            for produced in (output, claims_file):
                if produced.exists():
                    if error:
                        keep_previous(destination / produced.name)
                    os.replace(produced, destination / produced.name)
            kept, claims_file = destination / path.name, destination / claims_file.name
            if error:
                error += f" (the committed notebook is unchanged; this run is in {kept})"
        outcomes.append(outcome(path.stem, seconds, "cpu", claims_file, kept, error))
    return outcomes
