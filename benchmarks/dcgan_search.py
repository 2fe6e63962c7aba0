"""Which quick-profile DCGAN recipe beats a single Gaussian on the Frechet distance, for every seed?

    python -m benchmarks.dcgan_search                  # every recipe below, seeds 0-2 (about 1 min a run)
    python -m benchmarks.dcgan_search --recipes base --seeds 0 1

Each run is chapter 04 itself, executed by ``dipkit run 04 -p ...`` into a temporary folder, so the
search measures exactly what the chapter does; the record keeps, per recipe and seed, the checkpoint
chosen on the validation split and its Frechet distance on the test set next to the Gaussian
baseline's (benchmarks/results/dcgan_search.json).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

RECIPES = {  # name: chapter 04 parameters (the rest are the quick profile's: lr_g 0.001, lr_d 0.0001, ...)
    "quick profile": [],
    "lr_g 0.003": ["lr_g=0.003"],  # what the chapter trained with before its lr_g bug was fixed
    "paper learning rates": ["lr_g=0.0002", "lr_d=0.0002"],
    "paper learning rates, width 32": ["lr_g=0.0002", "lr_d=0.0002", "width=32"],
    "lr_g 0.0005, lr_d 0.0002": ["lr_g=0.0005", "lr_d=0.0002"],
    "lr_g 0.0005": ["lr_g=0.0005"],
    "batch 64": ["batch_size=64"],
    "2500 steps": ["dcgan_steps=2500"],
}


def run(parameters: list[str], seed: int) -> dict:
    """Chapter 04 with these parameters and seed: the DCGAN's and the baseline's Frechet distances."""
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "dipkit.cli", "run", "04", "--output-dir", folder, "-p", f"seed={seed}"]
        for parameter in parameters:
            command += ["-p", parameter]
        subprocess.run(command, check=True, capture_output=True)
        return read_run(Path(folder), seed)


def read_run(folder: Path, seed: int) -> dict:
    """The scores of one ``dipkit run 04`` output folder."""
    from dipkit import report

    claims = {claim.name: claim for claim in report.read(next(folder.rglob("*.claims.json")))}
    text = next(folder.rglob("*.ipynb")).read_text()
    fd = claims["dcgan/frechet_distance"]
    baseline = float(re.search(r"Gaussian baseline ([0-9.]+)", fd.note).group(1))
    chosen = re.search(r"checkpoint chosen on the validation split: iteration (\d+)", text)
    return {"seed": seed, "frechet_distance": fd.measured, "baseline": baseline, "held": fd.held,
            "chosen_iteration": int(chosen.group(1)) if chosen else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/dcgan_search.json"))
    args = parser.parse_args()
    record = json.loads(args.out.read_text()) if args.out.is_file() else {"recipes": {}}
    for name in args.recipes:
        runs = [run(RECIPES[name], seed) for seed in args.seeds]
        record["recipes"][name] = {"parameters": RECIPES[name], "runs": runs}
        print(name, ", ".join(f"seed {r['seed']}: {r['frechet_distance']:.2f} vs {r['baseline']:.2f}" for r in runs),
              flush=True)
        args.out.write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
