"""Pictures: image grids, side-by-side comparisons with metrics in the titles, and curves.

Every function returns the matplotlib Figure (so tests can inspect it) and leaves showing it
to the notebook's inline backend.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from dipkit.metrics import psnr, ssim


def _show(ax: plt.Axes, image: np.ndarray, title: str) -> None:
    ax.imshow(np.clip(image, 0, 1), cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1, interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.axis("off")


def grid(
    images: Sequence[np.ndarray], titles: Sequence[str] | None = None, columns: int = 4, size: float = 2.5
) -> Figure:
    """Images in rows of ``columns``, each with its title."""
    if not images:
        raise ValueError("grid needs at least one image")
    titles = list(titles) if titles is not None else [""] * len(images)
    if len(titles) != len(images):
        raise ValueError(f"{len(images)} images but {len(titles)} titles")
    columns = min(columns, len(images))
    rows = math.ceil(len(images) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(size * columns, size * rows), squeeze=False)
    for ax in axes.flat[len(images):]:
        ax.axis("off")
    for ax, image, title in zip(axes.flat, images, titles):
        _show(ax, image, title)
    figure.tight_layout()
    return figure


def tile(images: np.ndarray, columns: int = 10, gap: int = 1, background: float = 1.0) -> np.ndarray:
    """Grey images (N, H, W) as one image, ``columns`` per row, ``gap`` pixels of ``background`` between them."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 3:
        raise ValueError(f"tile needs grey images of shape (N, H, W), got {images.shape}")
    count, height, width = images.shape
    rows = math.ceil(count / columns)
    canvas = np.full((rows * (height + gap) - gap, columns * (width + gap) - gap), background, dtype=np.float32)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        canvas[r * (height + gap) : r * (height + gap) + height, c * (width + gap) : c * (width + gap) + width] = image
    return canvas


def moving_average(values: Sequence[float], window: int = 50) -> np.ndarray:
    """The mean of each run of ``window`` consecutive values (all of them, when fewer): a noisy training curve,
    smoothed."""
    window = min(window, len(values))
    return np.convolve(np.asarray(values, dtype=np.float64), np.ones(window) / window, mode="valid")


def compare(
    images: Mapping[str, np.ndarray],
    reference: np.ndarray | None = None,
    metrics: Mapping[str, Callable[[np.ndarray, np.ndarray], float]] | None = None,
    columns: int = 4,
    size: float = 2.5,
) -> Figure:
    """Side by side, each titled with its name and, against ``reference``, its metrics (PSNR dB / SSIM by default)."""
    metrics = metrics if metrics is not None else {"dB": psnr, "SSIM": ssim}
    titles = []
    for name, image in images.items():
        if reference is None or image is reference or image.shape != reference.shape:
            titles.append(name)
        else:
            scores = " / ".join(f"{fn(image, reference):.2f} {label}" for label, fn in metrics.items())
            titles.append(f"{name}\n{scores}")
    return grid(list(images.values()), titles, columns=columns, size=size)


def curves(
    series: Mapping[str, Sequence[float] | tuple[Sequence[float], Sequence[float]]],
    xlabel: str = "iteration",
    ylabel: str = "",
    title: str = "",
    logy: bool = False,
    markers: Mapping[str, tuple[float, float]] | None = None,
    size: tuple[float, float] = (6.0, 3.5),
) -> Figure:
    """Named curves on one axis; a value is ``ys`` (x = 0, 1, ...) or ``(xs, ys)``; ``markers`` adds labelled points."""
    figure, ax = plt.subplots(figsize=size)
    for name, values in series.items():
        xs, ys = values if isinstance(values, tuple) else (np.arange(len(values)), values)
        ax.plot(xs, ys, label=name)
    for name, (x, y) in (markers or {}).items():
        ax.plot([x], [y], "o", label=name)
    if logy:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    figure.tight_layout()
    return figure


def stopping(
    iterations: Sequence[int],
    psnr: Sequence[float],
    variances: Sequence[tuple[int, float]],
    stop: int,
    title: str = "",
    size: tuple[float, float] = (6.5, 4.2),
) -> Figure:
    """PSNR against iteration (left axis) and the windowed variance (right axis, log scale).

    ``variances`` are ``(iteration, VAR)`` pairs as collected by
    :class:`dipkit.stopping.WindowedVarianceStopper`; ``stop`` is the iteration the rule picked
    (it must be one of ``iterations``). The true peak (the iteration of the largest PSNR, which the
    rule cannot see) is marked too, so the figure shows how far apart the two are.
    """
    iterations, psnr = list(iterations), np.asarray(psnr, dtype=np.float64)
    if len(iterations) != len(psnr) or not iterations:
        raise ValueError(f"need one PSNR per iteration; got {len(iterations)} iterations and {len(psnr)} values")
    if stop not in iterations:
        raise ValueError(f"stop={stop} is not one of the iterations")
    if not variances:
        raise ValueError("no variances: the trajectory is shorter than the window")
    peak = int(np.argmax(psnr))
    at_stop = psnr[iterations.index(stop)]

    figure, ax = plt.subplots(figsize=size)
    ax.plot(iterations, psnr, color="tab:blue", label="PSNR vs ground truth")
    ax.set(xlabel="iteration", ylabel="PSNR (dB)", title=title)
    ax.grid(alpha=0.3)
    right = ax.twinx()
    var_its, var_values = zip(*variances)
    right.plot(var_its, var_values, color="tab:orange", label="windowed variance")
    right.set_yscale("log")
    right.set_ylabel("windowed variance")
    ax.axvline(stop, color="tab:red", linestyle="--", label=f"ES-WMV stop: {stop} ({at_stop:.2f} dB)")
    ax.plot([iterations[peak]], [psnr[peak]], "*", color="black", markersize=10,
            label=f"true peak: {iterations[peak]} ({psnr[peak]:.2f} dB)")
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(handles=handles, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    figure.tight_layout()
    return figure
