"""GAN generators and discriminators: small MLPs for 2-D toy data (Goodfellow et al. 2014) and DCGAN
(Radford, Metz, Chintala, ICLR 2016), in the flat style of pytorch/examples' ``dcgan``.

Discriminators return **logits** a(x); the paper's D(x) = sigmoid(a(x)). The losses in
``dipkit.losses`` take logits, which is the same mathematics as log D computed stably.
"""

from __future__ import annotations

import math

from torch import nn


def mlp_generator(latent_dim: int = 2, hidden: int = 128, layers: int = 2, out_dim: int = 2) -> nn.Sequential:
    """G(z): ``layers`` ReLU layers of width ``hidden``, linear output (the 2-D toy problems)."""
    blocks, width = [], latent_dim
    for _ in range(layers):
        blocks += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    return nn.Sequential(*blocks, nn.Linear(width, out_dim))


def mlp_discriminator(in_dim: int = 2, hidden: int = 128, layers: int = 2) -> nn.Sequential:
    """a(x) with D(x) = sigmoid(a(x)): ``layers`` LeakyReLU(0.2) layers of width ``hidden``, one logit out."""
    blocks, width = [], in_dim
    for _ in range(layers):
        blocks += [nn.Linear(width, hidden), nn.LeakyReLU(0.2)]
        width = hidden
    return nn.Sequential(*blocks, nn.Linear(width, 1), nn.Flatten(0))


def _levels(image_size: int) -> int:
    """Number of stride-2 (de)convolutions between 4x4 and ``image_size`` (a power of two, at least 8)."""
    levels = int(math.log2(image_size)) - 2
    if image_size < 8 or 2 ** (levels + 2) != image_size:
        raise ValueError(f"image_size must be a power of two >= 8, got {image_size}")
    return levels


def dcgan_generator(latent_dim: int = 100, width: int = 128, image_size: int = 64, channels: int = 3) -> nn.Sequential:
    """DCGAN's G (the paper's Figure 1 at ``width=128, image_size=64``: 100 -> 4x4x1024 -> ... -> 64x64x3).

    Rules of the paper's Section 3: no pooling or fully connected hidden layers, fractionally-strided
    convolutions to upsample, batch norm in every layer but the output, ReLU inside, tanh at the output.
    Takes z of shape (N, latent_dim).
    """
    levels = _levels(image_size)
    channels_at = [width * 2 ** (levels - 1 - i) for i in range(levels)]  # 4x4, 8x8, ... (1024, 512, 256, 128 at 64x64)
    blocks = [
        nn.Unflatten(1, (latent_dim, 1, 1)),
        # "project and reshape": a 4x4 transposed convolution of the 1x1 z is the paper's projection to 4x4xC
        nn.ConvTranspose2d(latent_dim, channels_at[0], 4, 1, 0, bias=False),
        nn.BatchNorm2d(channels_at[0]),
        nn.ReLU(True),
    ]
    for c_in, c_out in zip(channels_at, channels_at[1:]):
        blocks += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True)]
    blocks += [nn.ConvTranspose2d(channels_at[-1], channels, 4, 2, 1, bias=False), nn.Tanh()]
    generator = nn.Sequential(*blocks)
    generator.latent_dim = latent_dim
    return generator


def dcgan_discriminator(width: int = 128, image_size: int = 64, channels: int = 3) -> nn.Sequential:
    """DCGAN's D, the mirror of G: strided convolutions, LeakyReLU(0.2), batch norm except on the input layer.

    Returns one logit per image (the paper's final sigmoid lives in the loss).
    """
    levels = _levels(image_size)
    channels_at = [width * 2**i for i in range(levels)]  # image_size/2, ..., 4x4 (128, 256, 512, 1024 at 64x64)
    blocks = [nn.Conv2d(channels, channels_at[0], 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]  # no BN on the input
    for c_in, c_out in zip(channels_at, channels_at[1:]):
        blocks += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2, True)]
    blocks += [nn.Conv2d(channels_at[-1], 1, 4, 1, 0, bias=False), nn.Flatten(0)]  # 4x4 -> one logit
    return nn.Sequential(*blocks)


def dcgan_init(module: nn.Module) -> None:
    """The paper's initialisation, for ``model.apply(dcgan_init)``: weights from N(0, 0.02), BN scale N(1, 0.02).

    Draws from torch's global generator: seed it (``repro.setup``) before building the nets.
    """
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)
