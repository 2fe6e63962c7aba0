"""Which quick-profile DIP configuration shows the paper's effect in the time a reader waits?

    python -m benchmarks.dip_quick_study                     # every task, every configuration
    python -m benchmarks.dip_quick_study --tasks sr4x --configs 16x4

Chapter 01 runs the Deep Image Prior on a 128x128 crop of scikit-image's astronaut, with observations
made exactly as the chapter makes them (seed 0), and compares it with chapter 00's best classical
method on the same observation. This study runs each task with a few network sizes and settings for
their largest step count, on one CPU thread, and records the PSNR of the averaged output at every
step together with the seconds per step: PSNR against CPU seconds, read off one curve per
configuration. The chapter's quick profile is chosen from it (benchmarks/results/dip_quick_study.json).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

# name: (input channels, channels per level, levels, skip channels); the authors' inpainting net keeps wide skips
CONFIGS = {"16x4": (8, 16, 4, 4), "32x4": (16, 32, 4, 4), "16x4s16": (8, 16, 4, 16)}
TASKS = {  # task: (steps, {input-noise label: std}, configurations)
    "denoising": (2000, {"z fixed": 0.0, "z perturbed 1/30": 1 / 30}, ["16x4", "32x4"]),
    "inpainting_drop50": (3000, {"z fixed": 0.0, "z perturbed 0.03": 0.03}, ["16x4", "32x4", "16x4s16"]),
    "inpainting_text": (3000, {"z fixed": 0.0, "z perturbed 0.03": 0.03}, ["16x4"]),
    "sr4x": (2000, {"z perturbed 0.03": 0.03}, ["16x4", "32x4"]),
}
IMAGE, SIZE, SEED = "astronaut", 128, 0


def observations():
    """Chapter 01's clean image, operators and observations (the same seeds, so the same y)."""
    from dipkit import convert, data, ops, repro

    clean = data.test_image(IMAGE, SIZE)
    x = convert.to_tensor(clean)
    operators = {
        "denoising": ops.Denoising(25.0),
        "inpainting_drop50": ops.Inpainting(ops.bernoulli_mask(SIZE, SIZE, drop=0.5, generator=repro.generator(SEED))),
        "inpainting_text": ops.Inpainting(ops.text_mask(SIZE, SIZE)),
        "sr4x": ops.Downsampling(4),
    }
    return clean, operators, {task: op.measure(x, generator=repro.generator(SEED)) for task, op in operators.items()}


def run(task: str, config: str, noise_label: str) -> dict:
    """One DIP run; PSNR of the averaged output (Y channel for SR) every 10 steps, and seconds per step."""
    from dipkit import dip, metrics, repro, stopping

    repro.setup(SEED, "cpu")
    clean, operators, observed = observations()
    steps, noises, _ = TASKS[task]
    inputs, channels, levels, skip = CONFIGS[config]
    net, z, perturbation = dip.start(SEED, SIZE, SIZE, inputs, channels, levels, skip)
    stopper = stopping.WindowedVarianceStopper(50, 200) if task == "denoising" else None
    metric = metrics.sr_psnr if task == "sr4x" else metrics.psnr
    result = dip.fit(net, z, operators[task], observed[task], steps, input_noise_std=noises[noise_label],
                     reference=clean, metric=metric, stopper=stopper, desc=f"{task} {config} {noise_label}")
    average, output = result.history["average"], result.history["output"]
    record = {"task": task, "config": config, "input_noise": noise_label, "steps": steps,
              "seconds_per_step": result.seconds / steps, "average_every_10": average[9::10],
              "best_average": max(average), "best_average_step": average.index(max(average)) + 1,
              "last_average": average[-1]}
    if stopper is not None:
        record.update(stop=result.stop, fired_at=result.fired_at, stop_output=output[result.stop],
                      peak_output=max(output))
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/dip_quick_study.json"))
    args = parser.parse_args()
    os.environ.setdefault("TQDM_DISABLE", "1")
    from benchmarks.dip_speed import machine
    from dipkit import report

    chapter00 = report.load("00_inverse_problems")
    bars = {task: chapter00[f"{task}/{IMAGE}/best_psnr"].measured for task in TASKS if task != "sr4x"}
    bars["sr4x"] = chapter00[f"sr4x/{IMAGE}/bicubic_y_psnr"].measured
    previous = json.loads(args.out.read_text()) if args.out.is_file() else {"runs": []}
    runs = [r for r in previous["runs"] if not (r["task"] in args.tasks and r["config"] in args.configs)]
    for task in args.tasks:
        for config in (c for c in TASKS[task][2] if c in args.configs):
            for noise_label in TASKS[task][1]:
                started = time.perf_counter()
                record = run(task, config, noise_label)
                runs.append(record)
                print(f"{task:<18} {config:<5} {noise_label:<17} {record['seconds_per_step']:.3f} s/step  "
                      f"best {record['best_average']:.2f} dB at {record['best_average_step']}, "
                      f"last {record['last_average']:.2f} dB; bar {bars[task]:.2f} dB "
                      f"({time.perf_counter() - started:.0f} s)", flush=True)
                study = {"machine": machine("cpu"), "threads": 1, "image": f"{IMAGE} {SIZE}x{SIZE}", "bars": bars,
                         "runs": runs}
                args.out.write_text(json.dumps(study, indent=1) + "\n")


if __name__ == "__main__":
    main()
