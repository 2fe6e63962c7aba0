r"""The Deep Image Prior loop (Ulyanov, Vedaldi, Lempitsky, CVPR 2018), the one every DIP chapter runs.

* :func:`start`: the chapters' start-up protocol, so that every run of a chapter starts alike.
* :func:`fit`: the optimisation theta* = argmin_theta ||T(f_theta(z)) - y||^2, written as the plain
  loop (chapter 01 writes the same step out in a cell); what makes DIP fast in practice is the
  stopping rule it takes as a callback (:class:`dipkit.stopping.WindowedVarianceStopper`).
* :class:`OutputAverager`: the moving average of the outputs the paper reports.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from dipkit import repro
from dipkit.data import to_image
from dipkit.metrics import psnr
from dipkit.nets.dip import noise_input, uniform_skip_net


class OutputAverager:
    """Exponential moving average of the network outputs (the paper's "averaged output").

    avg_0 = x_0, avg_t = decay * avg_{t-1} + (1 - decay) * x_t, as in the authors' code
    (exp_weight = 0.99); the average is smoother than any single iterate.
    """

    def __init__(self, decay: float = 0.99) -> None:
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"decay={decay} is not supported; accepted: 0 <= decay < 1")
        self.decay = decay
        self.average: torch.Tensor | None = None

    @torch.no_grad()
    def update(self, x: torch.Tensor) -> torch.Tensor:
        """Fold in a new output and return the running average (a detached tensor)."""
        x = x.detach()
        if self.average is None:
            self.average = x.clone()
        else:
            self.average = self.decay * self.average + (1.0 - self.decay) * x
        return self.average


class Start(NamedTuple):
    """What a DIP run starts from: the network f_theta, its fixed input z and the generator of z's perturbations."""

    net: nn.Module
    z: torch.Tensor
    perturbation: torch.Generator


def start(seed: int, height: int, width: int, input_channels: int, channels: int, levels: int,
          skip_channels: int, out_channels: int = 3, device: torch.device | str = "cpu") -> Start:
    """Seeded initial weights theta_0, a fixed z ~ U(0, 1/10) of its own seed, and the perturbations' generator.

    Three seeds (``seed``, ``seed + 1``, ``seed + 2``) so that the weights, z and the noise that
    perturbs z each come from their own stream, and none shares the one that drew y's noise.
    """
    torch.manual_seed(seed)  # the same random initial weights theta for every run of a chapter
    net = uniform_skip_net(input_channels, channels, levels, skip_channels, out_channels).to(device)
    z = noise_input(input_channels, height, width, scale=0.1, generator=repro.generator(seed + 1)).to(device)
    return Start(net, z, repro.generator(seed + 2, device))


@dataclass
class FitResult:
    """What one DIP run returns.

    ``history`` holds one value per iteration: ``loss`` (always), ``output`` and ``average`` (the
    metric of the output and of its moving average against ``reference``, when one was given).
    ``best`` is the best averaged output seen (``psnr``, ``iteration``, ``image``; chosen with the
    reference, so only for evaluation). ``stop`` is the iteration the stopping rule picked and
    ``fired_at`` when it fired (None if it never did). ``steps`` is the number of Adam steps taken
    (fewer than asked for when ``halt`` stopped the run) and ``seconds`` their wall time.
    """

    history: dict[str, list[float]]
    best: dict = field(default_factory=dict)
    output: np.ndarray | None = None
    average: np.ndarray | None = None
    stop: int | None = None
    fired_at: int | None = None
    steps: int = 0
    seconds: float = 0.0


def fit(
    net: nn.Module,
    z: torch.Tensor,
    op: Callable[[torch.Tensor], torch.Tensor],
    y: torch.Tensor,
    iterations: int,
    lr: float = 0.01,
    input_noise_std: float = 0.0,
    ema: float = 0.99,
    reference: np.ndarray | None = None,
    metric: Callable[[np.ndarray, np.ndarray], float] = psnr,
    stopper=None,
    halt: bool = False,
    generator: torch.Generator | None = None,
    desc: str = "DIP",
) -> FitResult:
    """Fit ``net`` so that ``op(net(z))`` matches ``y``: theta* = argmin_theta ||T(f_theta(z)) - y||^2.

    ``net`` starts from its current (random) weights and ``z`` stays fixed; each step perturbs
    ``z`` with Gaussian noise of standard deviation ``input_noise_std`` drawn from ``generator``.
    ``stopper`` is the stopping rule, called back with every output (``stopper.update(x, i)``,
    True when it fires; e.g. :class:`dipkit.stopping.WindowedVarianceStopper`); it never sees the
    reference. With ``halt=True`` the run ends when it fires.
    """
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    averager = OutputAverager(ema)
    history: dict[str, list[float]] = {"loss": [], "output": [], "average": []}
    best: dict = {"psnr": -math.inf}
    stop = fired_at = None
    steps, started = 0, time.perf_counter()
    for i in tqdm(range(iterations), desc=desc):
        optimizer.zero_grad()
        noise = torch.randn(z.shape, generator=generator, device=z.device) if input_noise_std else 0.0
        x = net(z + input_noise_std * noise)        # x = f_theta(z + N(0, s^2)): a fresh perturbation each step
        loss = ((op(x) - y) ** 2).mean()            # E(x; y) = ||T(x) - y||^2 (a mean, as in the authors' code)
        loss.backward()                             # grad_theta E
        optimizer.step()                            # Adam step on theta
        x_avg = averager.update(x)                  # avg_t = ema * avg_(t-1) + (1 - ema) * x_t
        steps = i + 1
        # bookkeeping: none of it feeds back into the optimisation
        history["loss"].append(loss.item())
        if reference is not None:
            output, average = to_image(x), to_image(x_avg)
            history["output"].append(metric(output, reference))
            history["average"].append(metric(average, reference))
            if history["average"][-1] > best["psnr"]:
                best = {"psnr": history["average"][-1], "iteration": i, "image": average}
        if stopper is not None and stopper.update(x, i) and stop is None:
            stop, fired_at = stopper.best_iteration, i  # the rule fires: it returns the minimum-variance iteration
            if halt:
                break
    if stopper is not None and stop is None:
        stop = stopper.best_iteration  # it never fired: the minimum so far
    return FitResult(history, best, to_image(x), to_image(x_avg), stop, fired_at, steps, time.perf_counter() - started)


__all__ = ["FitResult", "OutputAverager", "Start", "fit", "start"]
