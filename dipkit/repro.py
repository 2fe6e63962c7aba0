"""Reproducibility: seeds, thread count, deterministic kernels, device choice, environment record.

Every chapter calls :func:`setup` first, so a quick-profile run gives the same numbers on any
machine of the same kind (one CPU thread: float reductions depend on the thread count).
"""

from __future__ import annotations

import os
import platform
import random
import sys
import time
import warnings
from importlib import metadata

import numpy as np
import torch

DEVICES = ("auto", "cpu", "cuda")

_started = time.perf_counter()


def resolve_device(name: str) -> torch.device:
    """Turn ``auto | cpu | cuda`` into a device; asking for CUDA without a GPU is an error."""
    if name not in DEVICES:
        raise ValueError(f"unknown device {name!r}; accepted: {', '.join(DEVICES)}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but no CUDA GPU is available; use 'auto' or 'cpu'")
    return torch.device(name)


def setup(seed: int = 0, device: str = "auto", threads: int = 1, deterministic: bool = True) -> torch.device:
    """Seed Python, NumPy and torch, fix the CPU thread count and return the device to use.

    Also restarts the wall clock that :func:`environment` reports.
    """
    global _started
    _started = time.perf_counter()
    resolved = resolve_device(device)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    if deterministic:
        # cuBLAS needs this set before its first call to be deterministic.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        # On CUDA some backward kernels the papers' networks need (reflection padding, bilinear
        # upsampling) have no deterministic version: run them anyway, quietly; GPU runs may then
        # differ in the last digits. On the CPU every kernel is deterministic and strict mode holds.
        on_gpu = resolved.type == "cuda"
        torch.use_deterministic_algorithms(True, warn_only=on_gpu)
        if on_gpu:
            warnings.filterwarnings("ignore", message=".*does not have a deterministic implementation")
        torch.backends.cudnn.benchmark = False
    return resolved


def generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A seeded torch generator, so one experiment's noise does not depend on another's draws."""
    return torch.Generator(device=device).manual_seed(seed)


def environment(device: torch.device | str | None = None) -> dict[str, str]:
    """What produced these numbers: versions, device, threads and the wall time since :func:`setup`."""
    device = torch.device(device) if device is not None else resolve_device("auto")
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else "none"
    record = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "torch": torch.__version__,
        "device": str(device),
        "gpu": gpu,
        "cpu threads": str(torch.get_num_threads()),
        "deterministic": str(torch.are_deterministic_algorithms_enabled()),
    }
    for package in ("numpy", "scikit-image", "dipkit"):
        try:
            record[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            record[package] = "not installed"
    record["wall time"] = f"{time.perf_counter() - _started:.1f} s"
    return record


def print_environment(device: torch.device | str | None = None) -> None:
    """Print :func:`environment` as aligned ``key: value`` lines (the end of every chapter)."""
    record = environment(device)
    width = max(map(len, record))
    for key, value in record.items():
        print(f"{key:<{width}} : {value}")
