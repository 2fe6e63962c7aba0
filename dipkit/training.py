"""Training steps the chapters share: the adversarial step, its optimiser, and supervised fitting.

:func:`adversarial_step` is Algorithm 1 of Goodfellow et al. (2014) with k = 1, one D step and then one G
step on a minibatch, for every GAN in the book (chapters 04 to 10). What differs between the papers is
the losses and what D is shown, so the chapter passes its own two loss functions: each is called with
G's output for the minibatch, and a condition (labels, captions, an input image, a coarser level)
reaches D inside them. :func:`adam` is the optimiser DCGAN's authors chose and most later papers kept;
:func:`train_cross_entropy` fits the judges (classifiers, segmenters) that score the generators.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dipkit.convert import to_nchw
from dipkit.nets.judges import Classifier, Segmenter


def adam(parameters: Iterable[nn.Parameter], lr: float, beta1: float = 0.5) -> torch.optim.Adam:
    """Adam with beta1 = 0.5 instead of 0.9: "the suggested value of 0.9 resulted in training oscillation and
    instability" (Radford et al. 2016, Section 4); beta2 stays 0.999."""
    return torch.optim.Adam(parameters, lr=lr, betas=(beta1, 0.999))


def adversarial_step(
    fake: torch.Tensor,
    discriminator_loss: Callable[[torch.Tensor], torch.Tensor],
    generator_loss: Callable[[torch.Tensor], torch.Tensor],
    opt_D: torch.optim.Optimizer,
    opt_G: torch.optim.Optimizer,
) -> tuple[float, float]:
    """One D step with G fixed, then one G step with D fixed, on ``fake`` = G's output for one minibatch.

    ``discriminator_loss(fake.detach())`` is descended by D's optimiser (detached, so G is not moved);
    then ``generator_loss(fake)`` by G's, with D as the D step left it. ``fake`` is computed once, before
    the D step, as in Algorithm 1. Returns the two losses.
    """
    loss_D = discriminator_loss(fake.detach())
    opt_D.zero_grad()
    loss_D.backward()
    opt_D.step()
    loss_G = generator_loss(fake)
    opt_G.zero_grad()
    loss_G.backward()  # also fills D's gradients, which the next D step's zero_grad clears
    opt_G.step()
    return loss_D.item(), loss_G.item()


def train_cross_entropy(
    make_model: Callable[[], nn.Module], x: torch.Tensor, y: torch.Tensor, steps: int, batch: int, lr: float, seed: int
) -> nn.Module:
    """Adam and cross-entropy on random minibatches of (x, y), on the device of ``x``; the initial weights and
    the minibatches are drawn from generators seeded by ``seed``, so the result does not depend on the global RNG
    (and is the same model on a CPU and on a GPU up to floating point)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = make_model().to(x.device)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        index = torch.randint(0, len(x), (batch,), generator=generator).to(x.device)
        optimizer.zero_grad()
        F.cross_entropy(model(x[index]), y[index]).backward()
        optimizer.step()
    return model.eval()


def train_classifier(
    images: np.ndarray | torch.Tensor, labels: np.ndarray | torch.Tensor, steps: int = 600, batch: int = 64,
    lr: float = 1e-3, seed: int = 0, classes: int = 10,
) -> Classifier:
    """Train :class:`Classifier` with Adam and cross-entropy on ``images`` in [0, 1]: (N, H, W) or
    (N, H, W, C) arrays, or (N, C, H, W) tensors (:func:`dipkit.convert.to_nchw`).

    Deterministic for a given seed: the weights and minibatches come from generators seeded by ``seed``.
    """
    x, y = to_nchw(images), torch.as_tensor(labels, dtype=torch.int64)
    return train_cross_entropy(lambda: Classifier(classes, channels=x.shape[1]), x, y, steps, batch, lr, seed)


def train_segmenter(
    photos: np.ndarray, labels: np.ndarray, classes: int, steps: int = 300, batch: int = 16, lr: float = 2e-3,
    seed: int = 0, width: int = 16, layers: int = 4,
) -> Segmenter:
    """Train :class:`Segmenter` on real ``photos`` (N, H, W, 3) in [0, 1] and their ``labels`` (N, H, W).

    Per-pixel cross-entropy, Adam; deterministic for a given seed (weights and minibatches).
    """
    x, y = to_nchw(photos), torch.as_tensor(labels, dtype=torch.int64)
    return train_cross_entropy(lambda: Segmenter(classes, width, layers), x, y, steps, batch, lr, seed)


__all__ = ["adam", "adversarial_step", "train_classifier", "train_cross_entropy", "train_segmenter"]
