"""How much does each chapter's claim move with the seed and the CPU's instruction set?

    python -m benchmarks.claims_spread                          # every chapter, seeds 0-2, native + capped ISA
    python -m benchmarks.claims_spread 01 02 --seeds 0-4 --isa native sse41
    python -m benchmarks.claims_spread --from-sweeps benchmarks/results/sweeps/*   # the committed sweeps, no run

Each (notebook, seed, instruction set) is one job of a ``dipkit sweep`` (on an embedded Ray, one thread per
job) into ``runs/spread/<timestamp>/<isa>/<stem>/seed-<k>.ipynb``; the instruction set is
capped with ``ATEN_CPU_CAPABILITY``, ``ONEDNN_MAX_CPU_ISA``, ``MKL_CBWR`` (torch) and
``NPY_DISABLE_CPU_FEATURES`` (NumPy), which makes one machine compute
as another kind of CPU would (other kernels, other rounding). The record,
``benchmarks/results/claims_spread.json``, gives each claim's values, their spread and its verdicts; the
tolerances the chapters declare (``claims.record(..., tolerance=...)``) are read off it, and a claim whose
verdict changes between runs is not a result until it is made robust. ``--from-sweeps`` builds the same record
from sweeps already made (``dipkit sweep --keep-records``, with the caps in the sweep's environment), whose jobs'
``machine`` names the caps they ran with.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

from dipkit import chapters, report, sweep

ROOT = Path(__file__).resolve().parents[1]
ISA_CAPS = {  # environment of each simulated CPU
    "native": {},
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_CBWR": "AVX2"},
    "sse41": {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41", "MKL_CBWR": "COMPATIBLE",
              "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR"},
}


def jobs_for(notebooks: list[str], seeds: list[int], isas: list[str]) -> list[sweep.Job]:
    """The sweep's jobs, once per instruction set, each with its caps in the kernel's environment."""
    jobs = sweep.plan(notebooks, False, seeds, "quick", "cpu", [])
    return [replace(job, key=f"{isa}/{job.key}", env=ISA_CAPS[isa]) for isa in isas for job in jobs]


def results_of(jobs: list[sweep.Job], manifest: dict, folder: Path) -> list[tuple[str, int, str, list, str]]:
    """(notebook, seed, instruction set, claims, error) of each job, as :func:`merge` takes them."""
    results = []
    for job in jobs:
        claims_file, error = folder / f"{job.key}.claims.json", manifest["jobs"][job.key]["error"]
        claims = report.read(claims_file) if claims_file.exists() and not error else []
        error = error or ("" if claims else "ran, but recorded no claims")
        results.append((job.source.stem, job.seed, job.key.split("/")[0], claims, error))
    return results


def isa_of(machine: str) -> str:
    """The name in :data:`ISA_CAPS` of the caps a job's ``machine`` (``chapters.machine``) says it ran with."""
    capped = [name for name, caps in ISA_CAPS.items() if caps and all(f"{k}={v}" in machine for k, v in caps.items())]
    if "instruction set capped" in machine and not capped:
        raise ValueError(f"{machine!r} names caps that are none of {sorted(ISA_CAPS)}")
    return capped[0] if capped else "native"


def results_of_sweep(folder: Path) -> tuple[str, list[str], list[tuple[str, int, str, list, str]]]:
    """The machine (without its caps), the commits its jobs ran at, and the (notebook, seed, instruction set,
    claims, error) of each job of a sweep's folder or its kept records, as :func:`merge` takes them."""
    manifest, found = sweep.read_manifest(folder), sweep.records(folder)
    results, machines = [], set()
    for key, entry in manifest["jobs"].items():
        machines.add(entry["machine"].split("; instruction set capped")[0])
        claims = found.get(entry["notebook"], {}).get(key, [])
        error = entry["error"] or ("" if claims else "ran, but recorded no claims")
        results.append((entry["notebook"], entry["seed"], isa_of(entry["machine"]), claims, error))
    if len(machines) != 1:
        raise ValueError(f"{folder}: its jobs ran on {len(machines)} machines ({sorted(machines)}); "
                         "merge each machine's sweep on its own")
    return machines.pop(), sorted({entry["commit"] for entry in manifest["jobs"].values()}), results


def merge(record: dict, results: list[tuple[str, int, str, list[report.Claim], str]], machine: str) -> dict:
    """Add runs to a record (a run of the same notebook, seed and instruction set replaces the earlier one),
    then summarise each claim over all runs: its values, spread (max - min) and verdicts."""
    chapters = record.setdefault("chapters", {})
    for stem, seed, isa, claims, error in results:
        chapter = chapters.setdefault(stem, {"runs": {}, "errors": {}})
        run = f"{machine}, {isa}, seed {seed}"
        chapter["errors"].pop(run, None)
        if error:
            chapter["errors"][run] = error
        else:
            chapter["runs"][run] = {claim.name: [claim.measured, claim.held] for claim in claims}
    for chapter in chapters.values():
        summary: dict[str, dict] = {}
        for run, claims in sorted(chapter["runs"].items()):
            for name, (measured, held) in claims.items():
                entry = summary.setdefault(name, {"values": {}, "held": {}})
                entry["values"][run], entry["held"][run] = measured, held
        for entry in summary.values():
            values = list(entry["values"].values())
            entry["spread"] = round(max(values) - min(values), 4)
            entry["verdicts"] = sorted({"held" if held else "not comparable" if held is None else "not held"
                                        for held in entry["held"].values()})
        chapter["claims"] = summary
    return record


def print_summary(chapters: dict) -> None:
    for stem, chapter in sorted(chapters.items()):
        print(f"{stem}  ({len(chapter['runs'])} runs)")
        for run, error in chapter["errors"].items():
            print(f"  FAILED {run}: {error.strip().splitlines()[-1] if error.strip() else '?'}")
        for name, entry in chapter["claims"].items():
            values = list(entry["values"].values())
            flag = "  VERDICT CHANGES" if len(entry["verdicts"]) > 1 else ""
            print(f"  {name:<55} {min(values):9.4f} .. {max(values):9.4f}  spread {entry['spread']:.4f}{flag}")


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", help="stems or chapter numbers (default: every chapter)")
    parser.add_argument("--seeds", default="0-2", help="a range 0-4 or a list 0,3 (default 0-2)")
    parser.add_argument("--isa", nargs="+", default=["native", "sse41"], choices=sorted(ISA_CAPS))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="runs at once, one thread each")
    parser.add_argument("--runs", type=Path, default=ROOT / "runs" / "spread")
    parser.add_argument("--machine", default=cpu_name(), help="names the runs in the record (default: the CPU's model)")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "claims_spread.json")
    parser.add_argument("--from-sweeps", nargs="+", type=Path, metavar="DIR", help="read these sweeps, run nothing")
    args = parser.parse_args(argv)
    record = json.loads(args.json.read_text()) if args.json.exists() else {}
    if args.from_sweeps:
        for folder in args.from_sweeps:
            machine, commits, results = results_of_sweep(folder)
            record.setdefault("isa", {}).update({isa: ISA_CAPS[isa] for _, _, isa, _, _ in results})
            merge(record, results, machine)
            record.setdefault("sweeps", {})[folder.name] = {"commits": commits, "jobs": len(results)}
        print_summary(record["chapters"])
        args.json.write_text(json.dumps(record, indent=1) + "\n")
        return 0
    jobs = jobs_for(args.notebooks or list(chapters.available_notebooks()), sweep.seed_range(args.seeds), args.isa)
    folder = args.runs / time.strftime("%Y%m%d-%H%M%S")
    started = time.perf_counter()
    with sweep.ray_session(None, args.jobs, 0):
        results = results_of(jobs, sweep.run(jobs, folder, "quick"), folder)
    record.setdefault("isa", {}).update({name: ISA_CAPS[name] for name in args.isa})
    merge(record, results, args.machine)
    print_summary(record["chapters"])
    args.json.write_text(json.dumps(record, indent=1) + "\n")
    print(f"{len(jobs)} runs in {time.perf_counter() - started:.0f} s -> {args.json}")
    return 1 if any(error for *_, error in results) else 0


if __name__ == "__main__":
    sys.exit(main())
