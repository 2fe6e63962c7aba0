"""How fast is a Deep Image Prior step, plain versus the CPU speed layer that was tried and dropped?

    python -m benchmarks.dip_speed                      # or: make benchmark
    python -m benchmarks.dip_speed --sizes 128 --rounds 5 --no-time-to-peak
    python -m benchmarks.dip_speed --tried              # also the options that were tried and dropped

Three measurements:

1. **Steps per second** of the paper's network (skip net, 5 levels of 128 channels, about 2.2 M
   parameters; one Adam step on ||f(z + N(0, 1/30^2)) - y||^2 plus the output average, i.e. the body
   of :func:`dipkit.dip.fit`) at 128x128 and 256x256, on one CPU thread (and on the GPU when there
   is one). Every variant runs in its own worker process, so that process-wide settings (the
   allocator) cannot leak into the baseline, and the workers take turns: round after round, each
   times a block of steps with ``torch.utils.benchmark.Timer`` while the others wait. Ratios are
   taken within a round (the machine's load changes between rounds), and the median is reported.
2. **Faithfulness**: the PSNR trajectory of the paper's network denoising a crop of the authors'
   F16 observation, plain against dipkit's two fast modes, iteration by iteration; as a yardstick,
   the plain loop on two threads (the same arithmetic, its float sums in another order).
3. **Time to the result** on that F16-style denoising task (sigma = 25, the authors' noisy image):
   the plain loop run for a fixed 3,000 iterations versus dipkit's default path stopping when ES-WMV
   (Wang et al.) fires.

The speed layer (``benchmarks/speed_layer.py``) was dipkit's ``fit(fast=...)`` until the measurements
below showed it did not pay; the record's labels keep the names it had then ("dipkit default
(fast=True)", "dipkit fast='winograd'"), and chapter 02 reports them as tried and dropped.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import multiprocessing as mp
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Iterator

PAPER = {"input_channels": 32, "channels": 128, "levels": 5, "skip": 4}  # the paper's default network
QUICK = {"input_channels": 8, "channels": 16, "levels": 4, "skip": 4}  # chapter 01's quick-profile network
CPU_VARIANTS = {
    "plain eager": "plain",
    "keep freed memory only": "memory",
    "dipkit default (fast=True)": "dipkit",
    "dipkit fast='winograd'": "winograd",
}
TRIED_CPU = {  # measured, not kept (see the chapter): slower or no faster on these CPUs
    "channels-last": "channels_last",
    "torch.compile": "compile",
    "bf16 autocast": "bf16",
}
GPU_VARIANTS = {
    "plain eager": "plain",
    "dipkit default (= plain on GPU)": "dipkit",
    "channels-last": "channels_last",
    "bf16 autocast + channels-last": "bf16",
    "torch.compile (CUDA graphs)": "cudagraphs",
}


def _quiet() -> None:
    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)  # "No CUDA runtime is found"
    warnings.filterwarnings("ignore", message="IProgress not found")
    warnings.filterwarnings("ignore", message=".*does not have a deterministic implementation")
    warnings.filterwarnings("ignore", message="No CUDA runtime is found")
    warnings.filterwarnings("ignore", message="TF32 acceleration")


def _net(spec: dict, device):
    from dipkit.nets.dip import skip_net

    levels = spec["levels"]
    return skip_net(
        in_channels=spec["input_channels"], channels_down=[spec["channels"]] * levels,
        channels_up=[spec["channels"]] * levels, channels_skip=[spec["skip"]] * levels,
    ).to(device)


def build_step(kind: str, size: int, device: str, seed: int = 0, spec: dict = PAPER):
    """One DIP iteration for variant ``kind``, and the context it must run in."""
    import torch

    from benchmarks import speed_layer
    from dipkit import convert, data, dip, repro
    from dipkit.nets.dip import noise_input

    repro.setup(seed, device)
    torch.manual_seed(seed)
    net = _net(spec, device)
    z = noise_input(spec["input_channels"], size, size, generator=repro.generator(seed + 1)).to(device)
    y = convert.to_tensor(data.test_image("astronaut", size), device)
    noise = repro.generator(seed + 2, device)
    context = contextlib.ExitStack()  # entered here, left by the worker
    forward = net
    autocast = contextlib.nullcontext
    fused = None
    if kind == "memory":
        context.enter_context(speed_layer.keep_freed_memory())
    elif kind in ("dipkit", "winograd"):  # what fit(fast=True) / fit(fast="winograd") did
        fused = context.enter_context(speed_layer.fast_path(net, "exact" if kind == "dipkit" else "winograd")) or None
    elif kind == "channels_last":
        net = net.to(memory_format=torch.channels_last)
        z = z.contiguous(memory_format=torch.channels_last)
        forward = net
    elif kind == "bf16":
        if device != "cpu":
            net = net.to(memory_format=torch.channels_last)
            z = z.contiguous(memory_format=torch.channels_last)
            forward = net
        autocast = lambda: torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16)  # noqa: E731
    elif kind == "compile":
        forward = torch.compile(net)
    elif kind == "cudagraphs":
        forward = torch.compile(net, mode="reduce-overhead")
    elif kind != "plain":
        raise ValueError(f"unknown variant {kind!r}")
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01, fused=fused)
    averager = dip.OutputAverager(0.99)

    def step() -> None:  # the body of dipkit.dip.fit's loop, without the PSNR bookkeeping
        optimizer.zero_grad()
        with autocast():
            x = forward(z + (1 / 30) * torch.randn(z.shape, generator=noise, device=z.device))
            loss = ((x.float() - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        averager.update(x)
        loss.item()  # a host sync, as the loop's bookkeeping does

    return step, context


def _worker(conn, kind: str, size: int, device: str, threads: int, spec: dict) -> None:
    """Build one variant, warm it up, then time blocks of steps on request until told to stop."""
    _quiet()
    import torch
    from torch.utils.benchmark import Timer

    try:
        step, context = build_step(kind, size, device, spec=spec)
        torch.set_num_threads(threads)
        with context:
            started = time.perf_counter()
            step()
            step()  # warm-up: compilation, allocator, caches
            conn.send(("ready", time.perf_counter() - started))
            while (steps := conn.recv()) is not None:
                measurement = Timer("step()", globals={"step": step}, num_threads=threads).timeit(steps)
                conn.send(("time", measurement.mean))
    except Exception as error:  # report, don't hang the parent
        conn.send(("error", f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"))
    finally:
        conn.close()


def step_rates(variants: dict[str, str], size: int, device: str, threads: int, rounds: int, steps: int,
               spec: dict = PAPER) -> dict[str, dict]:
    """Seconds per step of each variant, interleaved: round r times every variant once, in turn."""
    context = mp.get_context("spawn")
    workers = {}
    for label, kind in variants.items():
        parent, child = context.Pipe()
        process = context.Process(target=_worker, args=(child, kind, size, device, threads, spec), daemon=True)
        process.start()
        workers[label] = (process, parent)
    results = {label: {"times": [], "error": "", "warmup": 0.0} for label in variants}
    for label, (_, conn) in workers.items():  # wait for every warm-up before timing anything
        status, value = conn.recv()
        if status == "error":
            results[label]["error"] = value
        else:
            results[label]["warmup"] = value
    for _ in range(rounds):
        for label, (_, conn) in workers.items():
            if results[label]["error"]:
                continue
            conn.send(steps)
            status, value = conn.recv()
            if status == "error":
                results[label]["error"] = value
            else:
                results[label]["times"].append(value)
    for process, conn in workers.values():
        with contextlib.suppress(BrokenPipeError, OSError):
            conn.send(None)
        process.join(timeout=60)
        if process.is_alive():
            process.terminate()
    baseline = results[next(iter(variants))]["times"]
    for result in results.values():
        times = result["times"]
        if times:
            result["seconds"] = statistics.median(times)
            if baseline and len(baseline) == len(times):
                ratios = [b / t for b, t in zip(baseline, times)]
                result["speedup"], result["range"] = statistics.median(ratios), (min(ratios), max(ratios))
    return results


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Silence file descriptor 2 itself: the profiler's C++ side logs there, past Python's sys.stderr."""
    saved = os.dup(2)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


TARGET = 1.5  # chapter 02's speed target: the default path at 1.5x the plain step rate
CONV_KERNELS = ("aten::mkldnn_convolution", "aten::convolution_backward")  # oneDNN: the 3x3 convolutions


def conv_kernel_share(size: int, steps: int = 3) -> float:
    """Share of a step of dipkit's default path spent inside oneDNN's convolution kernels, forward and backward.

    Those kernels compute the network's 3x3 convolutions (the 1x1 ones are matrix products). A faster
    path that keeps them, and so keeps every bit of the run, can at best remove all the rest: it is at
    most 1 / share faster than the default path (Amdahl's law). Only a different convolution
    algorithm, rounded differently, gets past that.
    """
    from torch.profiler import ProfilerActivity, profile

    step, context = build_step("dipkit", size, "cpu")
    with context:
        step()
        step()  # warm-up
        with _native_stderr_silenced(), profile(activities=[ProfilerActivity.CPU]) as profiler:
            for _ in range(steps):
                step()
    events = profiler.key_averages()
    total = sum(event.self_cpu_time_total for event in events)
    return sum(event.self_cpu_time_total for event in events if event.key in CONV_KERNELS) / total


def _f16_task(size: int):
    """The authors' F16 observation (sigma = 25) and ground truth, centre-cropped to ``size``."""
    from dipkit import data

    clean = data.benchmark_image("Denoising/Color/25/F16_GT.png")
    noisy = data.benchmark_image("Denoising/Color/25/F16_noisy.png")
    top, left = (clean.shape[0] - size) // 2, (clean.shape[1] - size) // 2
    return clean[top:top + size, left:left + size], noisy[top:top + size, left:left + size]


def _run_f16(conn, spec: dict, size: int, iterations: int, fast, halt: bool, window: int, patience: int,
             input_noise_std: float, device: str, threads: int) -> None:
    """One DIP denoising run of the F16 crop in a fresh process; sends back its history and timings."""
    _quiet()
    os.environ.setdefault("TQDM_DISABLE", "1")
    import torch

    from benchmarks import speed_layer
    from dipkit import convert, dip, ops, repro, stopping
    from dipkit.metrics import psnr
    from dipkit.nets.dip import noise_input

    try:
        device_ = repro.setup(0, device, threads=threads)
        clean, noisy = _f16_task(size)
        torch.manual_seed(0)
        net = _net(spec, device_)
        z = noise_input(spec["input_channels"], size, size, generator=repro.generator(1)).to(device_)
        stopper = stopping.WindowedVarianceStopper(window, patience)
        with speed_layer.fast_path(net, fast):
            result = dip.fit(net, z, ops.Denoising(0.0), convert.to_tensor(noisy, device_), iterations,
                             input_noise_std=input_noise_std, reference=clean, stopper=stopper, halt=halt,
                             generator=repro.generator(2, device_))
        at_stop = None
        if stopper.best_output is not None:  # the output ES-WMV returns (the minimum-variance iteration)
            at_stop = psnr(convert.to_image(torch.from_numpy(stopper.best_output)), clean)
        conn.send({"history": result.history, "seconds": result.seconds, "steps": result.steps,
                   "stop": result.stop, "fired_at": result.fired_at, "stop_psnr": at_stop})
    except Exception as error:
        conn.send({"error": f"{type(error).__name__}: {error}"})
    finally:
        conn.close()


def f16_run(spec: dict, size: int, iterations: int, fast, halt: bool = False, window: int = 100,
            patience: int = 1000, input_noise_std: float = 1 / 30, device: str = "cpu", threads: int = 1) -> dict:
    """One F16 denoising run through :func:`dipkit.dip.fit` in a fresh process (so allocator settings cannot leak)."""
    context = mp.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_run_f16, args=(child, spec, size, iterations, fast, halt, window, patience,
                                                     input_noise_std, device, threads), daemon=True)
    process.start()
    result = parent.recv()
    process.join()
    return result


def authors_f16_stop() -> dict | None:
    """ES-WMV replayed on the authors' saved F16 run (60 frames, every 50 iterations), as in chapter 01.

    Window 5 frames (250 iterations: a window of 100 would hold two frames) and Wang et al.'s
    patience of 1,000 iterations (20 frames). None when the release is not at hand.
    """
    from dipkit import data, metrics, stopping

    try:
        iterations = list(range(0, 3000, 50))
        frames = [data.benchmark_image(f"process/F16/{i}.png") for i in iterations]
        clean = data.benchmark_image("Denoising/Color/25/F16_GT.png")
    except Exception:  # no data: skip this line of the report
        return None
    scores = [metrics.psnr(frame, clean) for frame in frames]
    stopper = stopping.WindowedVarianceStopper(window=5, patience=20)  # 250 and 1,000 iterations
    fired_at = None
    for frame, iteration in zip(frames, iterations):
        if stopper.update(frame, iteration):
            fired_at = iteration
            break
    peak = max(range(len(scores)), key=scores.__getitem__)
    stop = stopper.best_iteration
    return {"peak": iterations[peak], "peak_psnr": scores[peak], "stop": stop,
            "stop_psnr": scores[iterations.index(stop)], "fired_at": fired_at}


def machine(device: str) -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    gpu = f", GPU {torch.cuda.get_device_name()}" if device == "cuda" else ""
    return (f"{cpu} ({os.cpu_count()} cores{gpu}); load average {load}; "
            f"torch {torch.__version__}; Python {platform.python_version()}")


def print_rates(title: str, results: dict[str, dict], size: int) -> None:
    print(f"\n{title}, {size}x{size}")
    print(f"{'variant':<32} {'s/step':>8} {'steps/s':>8} {'vs plain':>9}  {'min-max over rounds':<20}")
    for label, result in results.items():
        if result["error"]:
            print(f"{label:<32} failed: {result['error']}")
            continue
        seconds = result["seconds"]
        low, high = result.get("range", (float("nan"), float("nan")))
        print(f"{label:<32} {seconds:>8.3f} {1 / seconds:>8.2f} {result.get('speedup', float('nan')):>8.2f}x  "
              f"{low:.2f}-{high:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dip_speed", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per size (default 3)")
    parser.add_argument("--steps", type=int, default=0, help="steps per timed block (default: 3 at <=128 px, 2 above)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (default 1, as the chapters)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--tried", action="store_true",
                        help="also time the options tried and not kept (bf16 takes about 30 s a step on AVX2 CPUs)")
    parser.add_argument("--variants", nargs="+", metavar="KIND",
                        help="only these variants, by kind: " + ", ".join(dict.fromkeys(
                            [*CPU_VARIANTS.values(), *TRIED_CPU.values(), *GPU_VARIANTS.values()])))
    parser.add_argument("--json", metavar="FILE", help="also write the results to FILE as JSON")
    parser.add_argument("--trajectory-size", type=int, default=64, help="F16 crop for the faithfulness check")
    parser.add_argument("--trajectory-iterations", type=int, default=300)
    parser.add_argument("--no-trajectory", action="store_true")
    parser.add_argument("--no-step-rates", action="store_true")
    parser.add_argument("--no-kernel-share", action="store_true",
                        help="skip the profile of the plain CPU step (the bound on any bit-for-bit faster path)")
    parser.add_argument("--time-to-peak-size", type=int, default=128)
    parser.add_argument("--time-to-peak-iterations", type=int, default=3000)
    parser.add_argument("--time-to-peak-network", choices=["quick", "paper"], default="quick",
                        help="quick: chapter 01's quick network (default on the CPU); paper: the paper's")
    parser.add_argument("--time-to-peak-noise-std", type=float, default=0.0,
                        help="perturbation of z (default 0: the quick profile's denoising; the paper: 1/30)")
    parser.add_argument("--time-to-peak-window", type=int, default=50, help="ES-WMV window (Wang et al.: 100)")
    parser.add_argument("--time-to-peak-patience", type=int, default=200, help="ES-WMV patience (Wang et al.: 1000)")
    parser.add_argument("--no-time-to-peak", action="store_true")
    args = parser.parse_args(argv)
    _quiet()
    import torch

    from dipkit import nets
    from dipkit.repro import resolve_device

    device = str(resolve_device(args.device))
    print("DIP optimisation speed: one Adam step of the paper's network "
          f"({nets.count_parameters(_net(PAPER, 'cpu')):,} parameters), plain eager vs dipkit's fast path")
    print(f"machine: {machine(device)}")
    print(f"threads: {args.threads}; every variant in its own process, {args.rounds} interleaved rounds; "
          "'vs plain' is the median over rounds of plain's time / the variant's time in the same round")

    record: dict = {"machine": machine(device), "threads": args.threads, "rounds": args.rounds, "step_rates": {}}
    devices = ["cpu"] + (["cuda"] if device == "cuda" else [])
    for dev in devices:
        variants = dict(CPU_VARIANTS if dev == "cpu" else GPU_VARIANTS)
        if dev == "cpu" and args.tried:
            variants.update(TRIED_CPU)
        if args.variants:
            known = {**CPU_VARIANTS, **TRIED_CPU} if dev == "cpu" else GPU_VARIANTS
            variants = {label: kind for label, kind in known.items() if kind in args.variants}
            if next(iter(variants.values()), None) != "plain":
                variants = {"plain eager": "plain", **variants}  # the baseline always comes first
        for size in [] if args.no_step_rates else args.sizes:
            steps = args.steps or (3 if size <= 128 else 2) * (10 if dev == "cuda" else 1)
            results = step_rates(variants, size, dev, args.threads, args.rounds, steps)
            print_rates(f"{dev.upper()}, {args.threads} thread(s)" if dev == "cpu"
                        else f"GPU {torch.cuda.get_device_name()}", results, size)
            record["step_rates"][f"{dev}/{size}"] = {
                label: {key: value for key, value in result.items() if key != "times"}
                for label, result in results.items()
            }

    if not args.no_kernel_share:
        size = args.sizes[0]
        share = conv_kernel_share(size)
        measured = record["step_rates"].get(f"cpu/{size}", {}).get("dipkit default (fast=True)", {}).get("speedup")
        versus_plain = f", {measured / share:.2f}x the plain loop" if measured else ""
        print(f"\nProfile of dipkit's default CPU step, {size}x{size}: {share:.0%} of its time is in oneDNN's "
              "convolution kernels (the 3x3 convolutions, forward and backward). A path that keeps them, and so "
              f"every bit, is at most {1 / share:.2f}x faster than the default path{versus_plain}")
        if measured:  # in units of the default step: the convolutions take `share`, the rest 1 - share
            allowed = max(measured / TARGET - share, 0.0)
            print(f"the rest of the default step takes {1 - share:.0%} of it; at {TARGET}x the plain loop, "
                  f"bit for bit, it would have to fit in {allowed:.0%}")
        record["conv_kernel_share"] = {"size": size, "share": share, "bound_vs_default": 1 / share,
                                       "bound_vs_plain": measured / share if measured else None}

    if not args.no_trajectory:
        size, iterations = args.trajectory_size, args.trajectory_iterations
        print(f"\nFaithfulness: the paper's network denoising the F16 crop {size}x{size} (the authors' noisy image, "
              f"z perturbed by N(0, 1/30^2)), {iterations} iterations, same seeds; largest PSNR difference to the "
              "plain loop at the same iteration")
        runs = {"plain, 1 thread": f16_run(PAPER, size, iterations, fast=False, device=device)}
        runs["dipkit default (fast=True)"] = f16_run(PAPER, size, iterations, fast=True, device=device)
        runs["dipkit fast='winograd'"] = f16_run(PAPER, size, iterations, fast="winograd", device=device)
        if device == "cpu":  # the yardstick: the same plain loop, only its float sums in another order
            runs["plain, 2 threads (yardstick)"] = f16_run(PAPER, size, iterations, fast=False, device=device,
                                                           threads=2)
        errors = [run["error"] for run in runs.values() if "error" in run]
        if errors:
            print(f"failed: {errors[0]}")
        else:
            plain = runs["plain, 1 thread"]
            print(f"{'run':<30} {'single output':>14} {'averaged':>9} {'final avg':>10} {'wall s':>7}")
            record["trajectory"] = {}
            for label, run in runs.items():
                gaps = {key: max(abs(a - b) for a, b in zip(plain["history"][key], run["history"][key]))
                        for key in ("output", "average")}
                record["trajectory"][label] = gaps
                print(f"{label:<30} {gaps['output']:>11.3f} dB {gaps['average']:>6.3f} dB "
                      f"{run['history']['average'][-1]:>7.2f} dB {run['seconds']:>7.1f}")

    if not args.no_time_to_peak:
        spec = QUICK if args.time_to_peak_network == "quick" else PAPER
        size, iterations = args.time_to_peak_size, args.time_to_peak_iterations
        window, patience, noise = args.time_to_peak_window, args.time_to_peak_patience, args.time_to_peak_noise_std
        print(f"\nTime to the result: the authors' noisy F16 (sigma = 25), crop {size}x{size}, "
              f"{args.time_to_peak_network} network ({nets.count_parameters(_net(spec, 'cpu')):,} parameters), "
              f"z perturbed by N(0, {noise:.4g}^2); ES-WMV window {window}, patience {patience}")
        options = {"window": window, "patience": patience, "input_noise_std": noise, "device": device}
        plain = f16_run(spec, size, iterations, fast=False, **options)
        best = f16_run(spec, size, iterations, fast="winograd", halt=True, **options)
        if "error" in plain or "error" in best:
            print(f"failed: {plain.get('error') or best.get('error')}")
        else:
            single = plain["history"]["output"]
            peak = max(range(len(single)), key=single.__getitem__)
            per_step = plain["seconds"] / plain["steps"]
            print(f"{'':<40} {'steps':>6} {'wall s':>8} {'PSNR dB':>8}")
            print(f"{'plain: true peak (oracle, single output)':<40} {peak + 1:>6} {per_step * (peak + 1):>8.1f} "
                  f"{single[peak]:>8.2f}")
            print(f"{'plain: fixed iterations, last average':<40} {plain['steps']:>6} {plain['seconds']:>8.1f} "
                  f"{plain['history']['average'][-1]:>8.2f}")
            fired = f"fired at {best['fired_at']}" if best["fired_at"] is not None else "never fired"
            print(f"{'dipkit best path + ES-WMV, at its stop':<40} {best['steps']:>6} {best['seconds']:>8.1f} "
                  f"{best['stop_psnr']:>8.2f}   (stop at iteration {best['stop']}, {fired})")
            print(f"time to the result: {plain['seconds'] / best['seconds']:.2f}x shorter "
                  f"({plain['steps'] / best['steps']:.2f}x fewer steps; separate processes, one after the other)")
            record["time_to_peak"] = {"plain_seconds": plain["seconds"], "plain_steps": plain["steps"],
                                      "fast_seconds": best["seconds"], "fast_steps": best["steps"], "peak": peak + 1,
                                      "peak_psnr": single[peak], "stop_psnr": best["stop_psnr"],
                                      "fired_at": best["fired_at"],
                                      "plain_last_average_psnr": plain["history"]["average"][-1]}
        authors = authors_f16_stop()
        if authors:
            fires = (f"fires at iteration {authors['fired_at']} of 3,000 "
                     f"({3000 / authors['fired_at']:.2f}x fewer steps)"
                     if authors["fired_at"] else "never fires")
            print(f"the authors' own F16 run (the paper's network, 512x512, saved every 50 iterations) through ES-WMV "
                  f"(window 250, patience 1,000 iterations): true peak at iteration {authors['peak']} "
                  f"({authors['peak_psnr']:.2f} dB), stop at {authors['stop']} ({authors['stop_psnr']:.2f} dB); "
                  f"the rule {fires}")
            record["authors_f16"] = authors

    if args.json:
        import json

        with open(args.json, "w") as file:
            json.dump(record, file, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
