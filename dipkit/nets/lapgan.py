"""LAPGAN (Denton, Chintala, Szlam, Fergus, NIPS 2015): a Laplacian pyramid of generative adversarial nets.

One GAN per level of the pyramid (``dipkit.pyramid``). At the coarsest level K an ordinary GAN draws the
small image I_K = G_K(z_K); at each finer level k a *conditional* GAN draws the band-pass image
h_k = G_k(z_k, l_k) given the upsampled coarser image l_k = u(I_{k+1}), and its discriminator D_k(h_k, l_k)
sees the band and the condition. Sampling runs coarse to fine: I_k = u(I_{k+1}) + G_k(z_k, u(I_{k+1})).

The paper's CIFAR-10 networks (Section 4, and the authors' ``eyescream`` code):

* coarsest level (8x8): G_K and D_K fully connected with two hidden ReLU layers, 1200 units in G and 600 in D
  (D with dropout), z_K 100-d uniform noise: :func:`coarse_generator`, :func:`coarse_discriminator`;
* finer levels: G_k a 3-layer ConvNet (eyescream: 64 channels, 7x7, 7x7, 5x5 kernels) whose input is l_k with
  the noise z_k as a 4th colour plane; D_k a 2-layer ConvNet (64 channels, 5x5 kernels, the second strided),
  dropout, one linear output: :class:`BandGenerator`, :class:`BandDiscriminator`.

Two choices of ours. D_k takes (h_k, l_k) stacked as 2C channels (eyescream adds them into one image, which
the stacked input can also compute). G_k's output passes through ``pyramid.bandpass``, the operator that
defines the real bands, so a generated band has no coarse content and :func:`sample` keeps the coarse image
it starts from exactly. Discriminators return logits (``dipkit.losses`` takes logits).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from dipkit import pyramid


def uniform_noise(shape: Sequence[int], generator: torch.Generator | None = None,
                  device: torch.device | str = "cpu") -> torch.Tensor:
    """Noise uniform in [-1, 1], as z is drawn in the paper and in eyescream (``noise:uniform(-1, 1)``)."""
    return (torch.rand(*shape, generator=generator) * 2 - 1).to(device)


def coarse_generator(latent_dim: int = 100, hidden: int = 1200, size: int = 8, channels: int = 3) -> nn.Sequential:
    """G_K(z): z -> ``hidden`` ReLU -> ``hidden`` ReLU -> a ``channels`` x ``size`` x ``size`` image (linear output).

    The paper's CIFAR-10 coarse generator at the defaults (8x8, 1200 units). ``latent_dim`` is kept as an
    attribute for the sampler.
    """
    generator = nn.Sequential(
        nn.Linear(latent_dim, hidden), nn.ReLU(),
        nn.Linear(hidden, hidden), nn.ReLU(),
        nn.Linear(hidden, channels * size * size), nn.Unflatten(1, (channels, size, size)),
    )
    generator.latent_dim = latent_dim
    return generator


def coarse_discriminator(size: int = 8, channels: int = 3, hidden: int = 600, dropout: float = 0.5) -> nn.Sequential:
    """D_K(I): two fully connected ReLU layers of ``hidden`` units with dropout, one logit per image."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(channels * size * size, hidden), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(hidden, 1), nn.Flatten(0),
    )


class BandGenerator(nn.Module):
    """G_k(z_k, l_k): a ``size`` x ``size`` band-pass image given the upsampled coarser image l_k.

    The noise z_k is one extra input plane beside l_k's ``channels`` planes; three convolutions of
    ``kernels`` (the paper's CIFAR-10: 7, 7, 5) with ``width`` channels and ReLU between them, padded so that
    every layer keeps the size; a linear output projected onto the bands of a ``coarse_size`` coarser level
    (``pyramid.bandpass``), which is where the real h_k = I_k - u(I_{k+1}) live.
    """

    def __init__(self, size: int, coarse_size: int, channels: int = 3, width: int = 64,
                 kernels: Sequence[int] = (7, 7, 5)) -> None:
        super().__init__()
        if len(kernels) != 3 or any(k % 2 == 0 for k in kernels):
            raise ValueError(f"three odd kernel sizes, got {list(kernels)}")
        self.size, self.coarse_size, self.channels = size, coarse_size, channels
        k1, k2, k3 = kernels
        self.net = nn.Sequential(
            nn.Conv2d(channels + 1, width, k1, padding=k1 // 2), nn.ReLU(),
            nn.Conv2d(width, width, k2, padding=k2 // 2), nn.ReLU(),
            nn.Conv2d(width, channels, k3, padding=k3 // 2),
        )

    def forward(self, z: torch.Tensor, low: torch.Tensor) -> torch.Tensor:
        """z (N, 1, size, size) and l_k (N, channels, size, size) -> a band h_k of l_k's shape."""
        return pyramid.bandpass(self.net(torch.cat([low, z], dim=1)), self.coarse_size)


class BandDiscriminator(nn.Module):
    """D_k(h_k, l_k): one logit for a band given its condition, the two stacked as 2 x ``channels`` planes.

    Two convolutions of ``kernels`` (the paper's: 5, 5) with ``width`` channels and ReLU, the second of stride 2,
    then dropout and one linear output.
    """

    def __init__(self, size: int, channels: int = 3, width: int = 64, kernels: Sequence[int] = (5, 5),
                 dropout: float = 0.5) -> None:
        super().__init__()
        k1, k2 = kernels
        half = (size + 2 * (k2 // 2) - k2) // 2 + 1
        self.net = nn.Sequential(
            nn.Conv2d(2 * channels, width, k1, padding=k1 // 2), nn.ReLU(),
            nn.Conv2d(width, width, k2, stride=2, padding=k2 // 2), nn.ReLU(), nn.Flatten(), nn.Dropout(dropout),
            nn.Linear(width * half * half, 1), nn.Flatten(0),
        )

    def forward(self, band: torch.Tensor, low: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([band, low], dim=1))


@torch.no_grad()
def sample(coarse: nn.Module | torch.Tensor, band_generators: Sequence[BandGenerator], count: int | None = None,
           generator: torch.Generator | None = None, levels: bool = False) -> torch.Tensor | list[torch.Tensor]:
    """Coarse-to-fine sampling: I_k = u(I_{k+1}) + G_k(z_k, u(I_{k+1})), finest image returned.

    ``coarse`` is the coarse generator G_K (``count`` images are drawn from z_K ~ U[-1, 1]^latent_dim) or
    a tensor of coarse images I_K to start from, so that several draws can share one start (repeat it).
    ``band_generators`` run coarse to fine. With ``levels=True`` returns ``[I_K, ..., I_0]``, every level.
    Noise comes from ``generator``; networks should be in eval mode.
    """
    if isinstance(coarse, torch.Tensor):
        image = coarse
    else:
        if count is None:
            raise ValueError("give count when drawing the coarse images from a generator")
        device = next(coarse.parameters()).device
        image = coarse(uniform_noise((count, coarse.latent_dim), generator, device))
    images = [image]
    for band_generator in band_generators:
        low = pyramid.upsample(image, band_generator.size)  # l_k = u(I_{k+1})
        z = uniform_noise((len(low), 1, band_generator.size, band_generator.size), generator, low.device)
        image = low + band_generator(z, low)  # I_k = l_k + h_k
        images.append(image)
    return images if levels else image


__all__ = [
    "uniform_noise",
    "coarse_generator",
    "coarse_discriminator",
    "BandGenerator",
    "BandDiscriminator",
    "sample",
]
