"""``dipkit``: run the book's notebooks with a profile, a device and parameter overrides.

    dipkit run notebooks/00_inverse_problems.ipynb --profile quick
    dipkit run --all --profile paper --device cuda
    dipkit run 01 -p image_size=64 -p seed=1
    dipkit list
    dipkit refresh --all          # re-execute the committed notebooks (the nbval baseline)
    dipkit sweep 00 03 --seeds 0-2   # notebooks x seeds on Ray (dipkit/sweep.py)
    dipkit data list                 # the datasets, who uses them, and what is here (dipkit/download.py)
    dipkit data fetch mnist cifar-10 # checked downloads of the registry (dipkit/datasets.py)
    dipkit lab 01                    # JupyterLab on a copy of the chapter in runs/lab/ (dipkit/lab.py)

``run`` executes with papermill into ``runs/<profile>/`` (never into ``notebooks/``; an earlier run
there is moved to ``runs/<profile>/previous/``, not overwritten), several chapters side by side (``--jobs``),
and prints one row per notebook: wall time, device and how many of its claims held. This module is the command
line only: what runs a chapter is :mod:`dipkit.chapters`, shared with ``sweep``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from pathlib import Path

from dipkit import lab, profiles, report, sweep
from dipkit.chapters import (
    ROOT,
    Outcome,
    UsageError,
    available_notebooks,
    notebook_parameters,
    plan,
    profile_overrides,
    refresh,
    run,
)
from dipkit.repro import DEVICES


def print_table(outcomes: list[Outcome]) -> None:
    rows = [("notebook", "wall time", "device", "checks held", "directions held", "magnitudes within band", "output")]
    for o in outcomes:
        status = o.error and f"ERROR {o.error}"
        counts = [f"{c.held}/{c.judged}" + (f" ({c.not_comparable} n/c)" if c.not_comparable else "")
                  for c in o.verdicts.values()]
        rows.append((o.notebook, f"{o.seconds:.1f} s", o.device, *counts, status or str(o.output)))
    print(report.text_table(rows, rule=False))


def describe(path: Path, paper: dict, width: int = 100) -> str:
    """One chapter as a block: its title, its quick run's wall time, then its parameters, each with the paper
    profile's value where that differs, wrapped to ``width`` columns."""
    notebook = json.loads(path.read_text())
    heading = next((line for cell in notebook["cells"] if cell["cell_type"] == "markdown"
                    for line in "".join(cell["source"]).splitlines() if line.startswith("# ")), "# (untitled)")
    seconds = notebook["metadata"].get("papermill", {}).get("duration")
    runtime = f"quick run {seconds / 60:.1f} min on one CPU thread" if seconds else "not yet executed"
    shown = [f"{name}={value!r}" + (f" (paper {paper[name]!r})" if name in paper and paper[name] != value else "")
             for name, value in notebook_parameters(path).items() if name not in ("profile", "device")]
    parameters = textwrap.fill(", ".join(shown), width, initial_indent="    ", subsequent_indent="    ")
    return f"{path.stem}: {heading[2:].strip()}\n  {runtime}\n{parameters}"


def list_notebooks() -> None:
    """``dipkit list``: every chapter as a block readable at 100 columns, then the profiles."""
    paper = profile_overrides("paper") if "paper" in profiles.names() else {}
    for stem, path in available_notebooks().items():
        print(describe(path, paper.get(stem) or {}) + "\n")
    print(f"profiles: {', '.join(profiles.names())}")


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(prog="dipkit", description=__doc__.split("\n")[0])
    commands = main_parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="execute notebooks into runs/<profile>/")
    run_parser.add_argument("notebooks", nargs="*", help="paths, stems or chapter numbers")
    run_parser.add_argument("--all", action="store_true", help="every chapter, in order")
    run_parser.add_argument("--profile", default="quick", help="quick (default) or a profiles/<name>.yaml")
    run_parser.add_argument("--device", default="auto", help=f"one of {', '.join(DEVICES)} (default auto)")
    run_parser.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE")
    run_parser.add_argument("--overrides", type=Path, metavar="FILE",
                            help="per-notebook overrides over the profile, in its format (e.g. tests/paper_smoke.yaml)")
    run_parser.add_argument("--output-dir", type=Path, default=ROOT / "runs", help="default: runs/")
    run_parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                            help="chapters side by side, one per core (default: this machine's cores)")
    run_parser.add_argument("--label", default="", help="a sub-folder of runs/<profile>/ for this run (e.g. set5-baby)")
    refresh_parser = commands.add_parser("refresh", help="re-execute the committed notebooks in place")
    refresh_parser.add_argument("notebooks", nargs="*")
    refresh_parser.add_argument("--all", action="store_true")
    commands.add_parser("list", help="the chapters, their parameters (with the paper profile's) and the profiles")
    add_sweep_parser(commands)
    add_data_parser(commands)
    lab_parser = commands.add_parser("lab", help="JupyterLab on copies of the chapters in runs/lab/ (never notebooks/)")
    lab_parser.add_argument("notebooks", nargs="*", help="paths, stems or chapter numbers (default: every chapter)")
    lab_parser.add_argument("--folder", type=Path, default=lab.LAB, help="default: runs/lab/")
    lab_parser.add_argument("--port", type=int, default=8888, help="on 127.0.0.1 (default 8888)")
    lab_parser.add_argument("--no-browser", action="store_true", help="print the address instead of opening it")
    return main_parser


def add_data_parser(commands: argparse._SubParsersAction) -> None:
    data = commands.add_parser("data", help="the papers' datasets: list, fetch (checked downloads), verify")
    actions = data.add_subparsers(dest="data_command", required=True)
    actions.add_parser("list", help="every dataset: what it is, who uses it, licence, size, whether it is here")
    fetch = actions.add_parser("fetch", help="download into the data folder from the official source, checksummed")
    fetch.add_argument("names", nargs="+", metavar="NAME")
    verify = actions.add_parser("verify", help="re-check what is in the data folder against the checksums")
    verify.add_argument("names", nargs="*", metavar="NAME", help="default: every dataset")


def add_sweep_parser(commands: argparse._SubParsersAction) -> None:
    sweep = commands.add_parser("sweep", help="notebooks x seeds x overrides on Ray -> runs/<profile>/sweeps/")
    sweep.add_argument("notebooks", nargs="*", help="paths, stems or chapter numbers")
    sweep.add_argument("--all", action="store_true", help="every chapter")
    sweep.add_argument("--seeds", default="0-2", help="a range 0-4 or a list 0,2,5 (default 0-2)")
    sweep.add_argument("--profile", default="quick", help="quick (default) or a profiles/<name>.yaml")
    sweep.add_argument("--device", help="the workers' device (default cpu, cuda with --gpus-per-job)")
    sweep.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE", help="every job")
    sweep.add_argument("--vary", action="append", default=[], metavar="NAME=[A,B]", help="one override set per value")
    sweep.add_argument("--address", help="join a running Ray cluster (auto, or host:port); default: an embedded Ray")
    sweep.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="jobs at once (default: cores)")
    sweep.add_argument("--gpus-per-job", type=float, default=0, help="GPUs each job asks Ray for (default 0)")
    sweep.add_argument("--id", help="the sweep's name (default: a timestamp)")
    sweep.add_argument("--resume", action="store_true", help="run only the missing or failed jobs of the sweep --id "
                                                             "(default: the newest)")
    sweep.add_argument("--output-dir", type=Path, default=ROOT / "runs", help="default: runs/")
    sweep.add_argument("--keep-records", type=Path, metavar="DIR", help="also copy the claims records to DIR/<id>/")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = list(sys.argv[1:] if argv is None else argv)  # for the records of runs and sweeps
    try:
        if args.command == "list":
            list_notebooks()
            return 0
        if args.command == "sweep":
            return sweep.main(args, command)
        if args.command == "lab":
            return lab.main(args.notebooks, args.folder, args.port, browser=not args.no_browser)
        if args.command == "data":
            from dipkit import download  # imports the readers (scikit-image, pooch): only for this command

            return download.main(args.data_command, getattr(args, "names", []))
        if args.command == "refresh":
            outcomes = refresh(args.notebooks, args.all)
        else:
            jobs = plan(args.notebooks, args.all, args.profile, args.device, args.parameter, args.overrides)
            outcomes = run(jobs, args.profile, args.output_dir, args.label, command, args.jobs)
    except (UsageError, ValueError) as error:  # ValueError: an unknown dataset name, with the accepted ones
        print(f"dipkit: error: {error}", file=sys.stderr)
        return 2
    print_table(outcomes)
    return 1 if any(o.error for o in outcomes) else 0  # a claim that fails is a result, not an error


if __name__ == "__main__":
    sys.exit(main())
