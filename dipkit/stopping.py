"""Early stopping for Deep Image Prior without ground truth: ES-WMV.

Wang, Li, Zhuang, Chen, Liang, Sun, "Early Stopping for Deep Image Prior"
(arXiv 2112.06074, 2021). DIP's reconstruction quality rises then falls as the net
starts fitting the noise; the windowed moving variance (WMV) of the outputs is
empirically lowest near the quality peak, so its minimum is a label-free stop point.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np
import torch

ArrayLike = torch.Tensor | np.ndarray


class WindowedVarianceStopper:
    """Track VAR_t over the last ``window`` outputs and signal a stop after ``patience`` stale updates.

    VAR_t = (1/W) sum_{w=0}^{W-1} ||x_{t-w} - mean||^2 / N, where mean is the average of
    the W outputs in the window and N the number of elements (per-pixel, so the scale
    does not depend on the image size). VAR_t exists once W outputs have been seen.

    Convention: VAR_t is attributed to the *window end* t (the newest output), as in
    the authors' code, so ``best_iteration`` is the iteration of the newest output in
    the minimum-variance window, the iteration the paper reports at the variance minimum.
    A new minimum must be strictly smaller than the previous one.
    """

    def __init__(self, window: int = 100, patience: int = 1000) -> None:
        if window < 2:
            raise ValueError(f"window={window} is not supported; accepted: window >= 2")
        if patience < 1:
            raise ValueError(f"patience={patience} is not supported; accepted: patience >= 1")
        self.window = window
        self.patience = patience
        self._buffer: deque[np.ndarray] = deque(maxlen=window)
        self._sum: np.ndarray | None = None  # running sum of the buffered outputs (float64)
        self._sum_sq = 0.0  # running sum of their squared norms
        self._updates_since_exact = 0
        self._last_iteration: int | None = None
        self._best_var = float("inf")
        self._best_iteration: int | None = None
        self._best_output: np.ndarray | None = None
        self._since_best = 0
        self.variances: list[tuple[int, float]] = []

    @property
    def best_iteration(self) -> int | None:
        """Iteration (window end) with the smallest variance so far; None before the first full window."""
        return self._best_iteration

    @property
    def best_output(self) -> np.ndarray | None:
        """The output at ``best_iteration`` (float32 copy), the reconstruction ES-WMV returns."""
        return self._best_output

    def update(self, output: ArrayLike, iteration: int) -> bool:
        """Add the output of ``iteration``; return True once VAR has not hit a new minimum for ``patience`` updates.

        Cost per call is O(N) (running sums) plus an exact O(W N) recompute every W calls
        to cancel floating-point drift.
        """
        if self._last_iteration is not None and iteration <= self._last_iteration:
            raise ValueError(f"iterations must increase; got {iteration} after {self._last_iteration}")
        self._last_iteration = iteration
        if isinstance(output, torch.Tensor):
            output = output.detach().cpu().numpy()
        x = np.array(output, dtype=np.float32)  # copy: the caller may reuse its buffer
        if self._buffer and x.shape != self._buffer[0].shape:
            raise ValueError(f"output shape {x.shape} differs from earlier {self._buffer[0].shape}")

        if len(self._buffer) == self.window:
            old = self._buffer[0].astype(np.float64)
            self._sum -= old
            self._sum_sq -= float(np.vdot(old, old))
        self._buffer.append(x)
        x64 = x.astype(np.float64)
        self._sum = x64.copy() if self._sum is None else self._sum + x64
        self._sum_sq += float(np.vdot(x64, x64))
        self._updates_since_exact += 1
        if self._updates_since_exact >= self.window:  # exact recompute, amortised O(N)
            self._sum = np.zeros(x.shape, dtype=np.float64)
            self._sum_sq = 0.0
            for b in self._buffer:  # one float64 copy at a time, to bound memory
                b64 = b.astype(np.float64)
                self._sum += b64
                self._sum_sq += float(np.vdot(b64, b64))
            self._updates_since_exact = 0

        if len(self._buffer) < self.window:
            return False
        w, n = self.window, x.size
        mean = self._sum / w
        # (1/W) sum ||x_w - mean||^2 = (1/W) sum ||x_w||^2 - ||mean||^2; clip rounding below 0.
        var = max(self._sum_sq / w - float(np.vdot(mean, mean)), 0.0) / n
        self.variances.append((iteration, var))
        if var < self._best_var:
            self._best_var, self._best_iteration, self._best_output = var, iteration, x
            self._since_best = 0
        else:
            self._since_best += 1
        return self._since_best >= self.patience


def replay(
    outputs: Sequence[ArrayLike], iterations: Sequence[int], window: int, patience: int
) -> tuple[int, WindowedVarianceStopper]:
    """Replay a saved trajectory through ES-WMV: ``(stop, stopper)``.

    ``stop`` is ``best_iteration`` at the moment the rule fires, or at the end of the trajectory if
    it never fires (the minimum seen so far). The replay runs on to the end, so ``stopper.variances``
    covers every window of the trajectory (for a figure); what comes after the firing cannot change ``stop``.
    """
    if len(outputs) != len(iterations):
        raise ValueError(f"got {len(outputs)} outputs but {len(iterations)} iterations")
    if len(outputs) < window:
        raise ValueError(f"need at least window={window} outputs to compute a variance; got {len(outputs)}")
    stopper = WindowedVarianceStopper(window=window, patience=patience)
    stop = None
    for x, it in zip(outputs, iterations):
        if stopper.update(x, it) and stop is None:
            stop = stopper.best_iteration
    return (stopper.best_iteration if stop is None else stop), stopper
