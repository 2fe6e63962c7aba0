"""Small helpers around a Deep Image Prior run (the loop itself is written out in chapter 01).

* :func:`first_below`: how many steps a loss curve needs to reach a threshold (the paper's Figure 2).
* :func:`stopping_figure`: PSNR and ES-WMV's windowed variance on twin axes, with the detected stop
  and the true PSNR peak marked.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def first_below(values: Sequence[float], threshold: float) -> int | None:
    """Number of steps until ``values`` first drops below ``threshold`` (index + 1), or None if it never does."""
    below = np.flatnonzero(np.asarray(values, dtype=np.float64) < threshold)
    return int(below[0]) + 1 if below.size else None


def stopping_figure(
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


__all__ = ["first_below", "stopping_figure"]
