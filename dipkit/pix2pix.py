"""pix2pix (Isola et al. 2017), paired image-to-image translation: its training loop (chapter 09), for every
chapter that trains it.

:func:`fit` is the update of Isola et al. (2017) for each objective of their Table 1: L1 alone,
the adversarial loss alone with an unconditional D(y) ("GAN") or a conditional D(x, y) ("cGAN"), and
each adversarial loss plus lambda L1. The networks come from the caller (``make_generator``,
``make_discriminator``), so a chapter sizes them; :func:`to_batch` and :func:`translate` turn
``dipkit.data``'s arrays (label maps, edge maps, photos) into tensors and back.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from dipkit import convert, losses, training

OBJECTIVES = {  # name: (with lambda L1, discriminator: None, "unconditional" D(y) or "conditional" D(x, y))
    "L1": (True, None), "GAN": (False, "unconditional"), "cGAN": (False, "conditional"),
    "L1+GAN": (True, "unconditional"), "L1+cGAN": (True, "conditional"),
}


def to_batch(images: np.ndarray, classes: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """What pix2pix feeds its networks: (N, H, W) int label maps as one plane per class, (N, H, W) float maps
    (edges) as one plane in [0, 1], (N, H, W, 3) photos in [0, 1] as (N, 3, H, W) in [-1, 1], the range of G's
    tanh."""
    if np.issubdtype(np.asarray(images).dtype, np.integer):
        return convert.one_hot(np.asarray(images, dtype=np.int64), classes, device)
    return convert.to_nchw(images, device, signed=np.ndim(images) == 4)


def jitter(x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """pix2pix's random jitter and mirroring (appendix 6.3; the reference's loadSize 286, fineSize 256): each pair
    is enlarged by 286/256, cropped back to its size at a random position and flipped left-right with
    probability 1/2, the input and the target alike. Label planes are enlarged by nearest neighbour (a pixel
    keeps one class), photos bilinearly."""
    height, width = x.shape[-2:]
    big = (round(height * 286 / 256), round(width * 286 / 256))
    x_big = F.interpolate(x, size=big, mode="nearest")
    y_big = F.interpolate(y, size=big, mode="bilinear", align_corners=False)
    pairs = []
    for i in range(len(x)):
        top = int(torch.randint(0, big[0] - height + 1, (1,), generator=generator))
        left = int(torch.randint(0, big[1] - width + 1, (1,), generator=generator))
        window = (slice(None), slice(top, top + height), slice(left, left + width))
        mirror = bool(torch.rand(1, generator=generator) < 0.5)
        pairs.append(tuple(t[i][window].flip(-1) if mirror else t[i][window] for t in (x_big, y_big)))
    return torch.stack([a for a, _ in pairs]), torch.stack([b for _, b in pairs])


def fit(
    objective: str, inputs: np.ndarray, targets: np.ndarray, make_generator: Callable[[int], nn.Module],
    make_discriminator: Callable[[int], nn.Module], steps: int, batch_size: int, lr: float, classes: int,
    l1_weight: float = 100.0, seed: int = 0, device: torch.device | str = "cpu", label: str = "",
    augment: bool = False,
) -> nn.Module:
    """Train G (and D) with one objective of :data:`OBJECTIVES` on the pairs (inputs, targets); returns G.

    Adam with beta1 = 0.5 for both (appendix 6.2); one D step then one G step per minibatch
    (:func:`dipkit.training.adversarial_step`), the minibatches drawn from a generator seeded by ``seed``
    (the same for every objective).
    ``make_generator(in_channels)`` and ``make_discriminator(in_channels)`` build the networks.
    ``augment``: each minibatch through :func:`jitter` (the paper's random jitter and mirroring).
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; accepted: {', '.join(OBJECTIVES)}")
    with_l1, conditioning = OBJECTIVES[objective]
    generator = torch.Generator().manual_seed(seed)
    x_all, y_all = to_batch(inputs, classes, device), to_batch(targets, classes, device)
    G = make_generator(x_all.shape[1])
    opt_G = training.adam(G.parameters(), lr)
    if conditioning:
        D = make_discriminator((x_all.shape[1] if conditioning == "conditional" else 0) + 3)
        opt_D = training.adam(D.parameters(), lr)

    def critic(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:  # D(x, y), or D(y): one logit per patch
        return D(torch.cat([x, y], 1) if conditioning == "conditional" else y)

    def discriminator_loss(fake: torch.Tensor) -> torch.Tensor:
        # max_D E[log D(x, y)] + E[log(1 - D(x, G(x, z)))], halved (eq. 1)
        return losses.pix2pix_discriminator_loss(critic(x, y), critic(x, fake))

    def generator_loss(fake: torch.Tensor) -> torch.Tensor:
        # min_G -E[log D(x, G(x, z))] + lambda E||y - G(x, z)||_1 (eq. 4, non-saturating); L1 alone without D
        return losses.pix2pix_generator_loss(
            critic(x, fake) if conditioning else None, fake, y, l1_weight if with_l1 else 0.0
        )

    for _ in tqdm(range(steps), desc=label or objective, mininterval=5):
        index = torch.randint(0, len(x_all), (batch_size,), generator=generator)
        x, y = x_all[index], y_all[index]
        if augment:
            x, y = jitter(x, y, generator)
        fake = G(x)  # G(x, z): the noise z is dropout
        if conditioning:  # one D step, then one G step
            training.adversarial_step(fake, discriminator_loss, generator_loss, opt_D, opt_G)
        else:
            loss_G = generator_loss(fake)
            opt_G.zero_grad()
            loss_G.backward()
            opt_G.step()
    return G


@torch.no_grad()
def translate(G: nn.Module, inputs: np.ndarray, classes: int, device: torch.device | str = "cpu") -> np.ndarray:
    """G(x) as (N, H, W, 3) images in [0, 1]. G stays as it is: pix2pix keeps dropout and batch statistics
    on at test time."""
    return convert.to_images(G(to_batch(inputs, classes, device)), signed=True)
