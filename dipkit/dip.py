r"""The Deep Image Prior loop (Ulyanov, Vedaldi, Lempitsky, CVPR 2018), the one every DIP chapter runs.

* :func:`start`: the chapters' start-up protocol, so that every run of a chapter starts alike.
* :func:`fit`: the optimisation theta* = argmin_theta ||T(f_theta(z)) - y||^2, written as the plain
  loop (chapter 01 writes the same step out in a cell); what makes DIP fast in practice is the
  stopping rule it takes as a callback (:class:`dipkit.stopping.WindowedVarianceStopper`).
* :class:`OutputAverager`: the moving average of the outputs the paper reports.

A long run (the paper's network on a 512x512 image takes hours on a CPU) passes ``checkpoint=``: its
state is saved every ``checkpoint_every`` steps and a killed run, started again the same way, resumes
from it bit for bit.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from dipkit import repro
from dipkit.convert import to_image
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
    ``best`` is the best averaged output seen (``score``: the metric, ``iteration``, ``image``; chosen with the
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
    checkpoint: str | Path | None = None,
    checkpoint_every: int = 100,
) -> FitResult:
    """Fit ``net`` so that ``op(net(z))`` matches ``y``: theta* = argmin_theta ||T(f_theta(z)) - y||^2.

    ``net`` starts from its current (random) weights and ``z`` stays fixed; each step perturbs
    ``z`` with Gaussian noise of standard deviation ``input_noise_std`` drawn from ``generator``.
    ``stopper`` is the stopping rule, called back with every output (``stopper.update(x, i)``,
    True when it fires; e.g. :class:`dipkit.stopping.WindowedVarianceStopper`); it never sees the
    reference. With ``halt=True`` the run ends when it fires.

    ``checkpoint``: a file the run's state is saved to every ``checkpoint_every`` steps and at the end
    (weights, Adam's moments, the perturbation generator, the average, the history, the stopper); when
    it exists, the run resumes from it bit for bit, and ``seconds`` counts every part of the run.
    """
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    averager = OutputAverager(ema)
    run = {"history": {"loss": [], "output": [], "average": []}, "best": {"score": -math.inf},
           "stop": None, "fired_at": None, "steps": 0, "seconds": 0.0, "x": None}
    settings = {"lr": lr, "input_noise_std": input_noise_std, "ema": ema}
    keeper = checkpoint and Checkpoint(checkpoint, net, optimizer, averager, z, y, generator, stopper, settings)
    if keeper and keeper.path.exists():
        run = keeper.load()
    history, best = run["history"], run["best"]
    x, x_avg = run["x"], averager.average
    finished = run["steps"] >= iterations or (halt and run["fired_at"] is not None)
    started = time.perf_counter()
    for i in tqdm(range(run["steps"], run["steps"] if finished else iterations), desc=desc,
                  initial=run["steps"], total=iterations):
        optimizer.zero_grad()
        noise = torch.randn(z.shape, generator=generator, device=z.device) if input_noise_std else 0.0
        x = net(z + input_noise_std * noise)        # x = f_theta(z + N(0, s^2)): a fresh perturbation each step
        loss = ((op(x) - y) ** 2).mean()            # E(x; y) = ||T(x) - y||^2 (a mean, as in the authors' code)
        loss.backward()                             # grad_theta E
        optimizer.step()                            # Adam step on theta
        x_avg = averager.update(x)                  # avg_t = ema * avg_(t-1) + (1 - ema) * x_t
        # bookkeeping: none of it feeds back into the optimisation
        run["steps"], run["x"] = i + 1, x.detach()
        history["loss"].append(loss.item())
        if reference is not None:
            output, average = to_image(x), to_image(x_avg)
            history["output"].append(metric(output, reference))
            history["average"].append(metric(average, reference))
            if history["average"][-1] > best["score"]:
                best = run["best"] = {"score": history["average"][-1], "iteration": i, "image": average}
        if stopper is not None and stopper.update(x, i) and run["stop"] is None:
            run["stop"], run["fired_at"] = stopper.best_iteration, i  # the rule fires: its minimum-variance iteration
            if halt:
                break
        if keeper and run["steps"] % checkpoint_every == 0:
            keeper.save({**run, "seconds": run["seconds"] + time.perf_counter() - started})
    run["seconds"] += time.perf_counter() - started
    if keeper and not finished:
        keeper.save(run)
    stop = run["stop"]
    if stopper is not None and stop is None:
        stop = stopper.best_iteration  # it never fired: the minimum so far
    return FitResult(history, best, to_image(x), to_image(x_avg), stop, run["fired_at"], run["steps"], run["seconds"])


class Checkpoint:
    """The saved state of one :func:`fit` run: what it needs to go on exactly where it stopped.

    A save goes to ``<path>.partial`` first and then replaces ``path``, so a run killed while saving
    keeps its previous checkpoint. A checkpoint of another run (another z, y or ``settings``) is refused,
    never overwritten. The step count is not a setting: a finished run can be resumed for more steps.
    """

    def __init__(self, path: str | Path, net: nn.Module, optimizer: torch.optim.Optimizer, averager: OutputAverager,
                 z: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None, stopper=None,
                 settings: dict | None = None) -> None:
        self.path = Path(path)
        self.net, self.optimizer, self.averager = net, optimizer, averager
        self.z, self.y, self.generator, self.stopper = z, y, generator, stopper
        self.settings = settings or {}

    def save(self, run: dict) -> None:
        state = {"run": run, "settings": self.settings, "net": self.net.state_dict(),
                 "optimizer": self.optimizer.state_dict(),
                 "average": self.averager.average, "z": self.z, "y": self.y,
                 "generator": None if self.generator is None else self.generator.get_state(),
                 "stopper": None if self.stopper is None else vars(self.stopper)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        torch.save(state, partial)
        os.replace(partial, self.path)

    def load(self) -> dict:
        """Restore the saved state into this run's objects and return the loop's bookkeeping."""
        state = torch.load(self.path, map_location=self.z.device, weights_only=False)  # our own file (save above)
        for name, given in (("z", self.z), ("y", self.y)):
            saved = state[name]
            if saved.shape != given.shape or not torch.equal(saved, given):
                raise ValueError(f"checkpoint {self.path} belongs to another run (its {name} differs from this "
                                 "run's); move it away or pass another checkpoint= path")
        if state["settings"] != self.settings:
            raise ValueError(f"checkpoint {self.path} was written with {state['settings']}, this run has "
                             f"{self.settings}; move it away or pass another checkpoint= path")
        for name, given in (("generator", self.generator), ("stopper", self.stopper)):
            if (state[name] is None) != (given is None):
                raise ValueError(f"checkpoint {self.path} was written by a run {'with' if given is None else 'without'}"
                                 f" a {name}; this run has {'none' if given is None else 'one'}")
        self.net.load_state_dict(state["net"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.averager.average = state["average"]
        if self.generator is not None:
            self.generator.set_state(state["generator"])
        if self.stopper is not None:
            vars(self.stopper).update(state["stopper"])
        return state["run"]


__all__ = ["Checkpoint", "FitResult", "OutputAverager", "Start", "fit", "start"]
