"""GAN generators and discriminators: small MLPs for 2-D toy data (Goodfellow et al. 2014) and DCGAN
(Radford, Metz, Chintala, ICLR 2016), in the flat style of pytorch/examples' ``dcgan``; and the
conditional GANs of chapter 05: CGAN (Mirza & Osindero 2014), the semi-supervised discriminator of
Salimans et al. (2016), InfoGAN (Chen et al. 2016) and AC-GAN (Odena, Olah, Shlens 2017).

Discriminators return **logits** a(x); the paper's D(x) = sigmoid(a(x)). The losses in
``dipkit.losses`` take logits, which is the same mathematics as log D computed stably.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
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


def dcgan_features(width: int = 128, image_size: int = 64, channels: int = 3) -> tuple[nn.Sequential, int]:
    """D's strided layers, the image down to 4x4 feature maps, and their number of channels: the body that
    :func:`dcgan_discriminator` ends with one logit and other heads (text matching, an encoder) build on.

    Strided convolutions, LeakyReLU(0.2), batch norm except on the input layer.
    """
    levels = _levels(image_size)
    channels_at = [width * 2**i for i in range(levels)]  # image_size/2, ..., 4x4 (128, 256, 512, 1024 at 64x64)
    blocks = [nn.Conv2d(channels, channels_at[0], 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]  # no BN on the input
    for c_in, c_out in zip(channels_at, channels_at[1:]):
        blocks += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2, True)]
    return nn.Sequential(*blocks), channels_at[-1]


def dcgan_discriminator(width: int = 128, image_size: int = 64, channels: int = 3) -> nn.Sequential:
    """DCGAN's D, the mirror of G: :func:`dcgan_features`, then a 4x4 convolution to one logit per image
    (the paper's final sigmoid lives in the loss)."""
    body, features = dcgan_features(width, image_size, channels)
    return nn.Sequential(*body, nn.Conv2d(features, 1, 4, 1, 0, bias=False), nn.Flatten(0))  # 4x4 -> one logit


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


# --- Conditional GANs: CGAN, semi-supervised GAN, InfoGAN, AC-GAN (chapter 05) ---------------------
# A generator conditioned on a class y (CGAN, AC-GAN) or a categorical code c (InfoGAN) takes the
# one-hot vector of y beside z; discriminators that *predict* a class return (source logit, class logits).


def one_hot(labels: torch.Tensor, classes: int) -> torch.Tensor:
    """Float one-hot rows of integer ``labels`` (``F.one_hot`` returns int64, which cannot be concatenated to z)."""
    return F.one_hot(labels.long(), classes).float()


class Maxout(nn.Module):
    """Maxout units (Goodfellow et al. 2013): ``out_features`` maxima, each over ``pieces`` linear pieces."""

    def __init__(self, in_features: int, out_features: int, pieces: int) -> None:
        super().__init__()
        self.out_features, self.pieces = out_features, pieces
        self.linear = nn.Linear(in_features, out_features * pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).view(len(x), self.out_features, self.pieces).amax(dim=2)


class GaussianNoise(nn.Module):
    """Adds N(0, std^2) noise in training mode only (the semi-supervised discriminator of Salimans et al.)."""

    def __init__(self, std: float) -> None:
        super().__init__()
        self.std = std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.std * torch.randn_like(x) if self.training and self.std > 0 else x


class CGANGenerator(nn.Module):
    """G(z|y) of Mirza & Osindero (2014), Section 4.1: z and one-hot y mapped to ReLU layers of their own,
    joined in a ReLU layer, sigmoid output. The paper's MNIST sizes: 200, 1000, 1200, 784; dropout 0.5.
    """

    def __init__(self, latent_dim: int = 100, classes: int = 10, z_hidden: int = 200, y_hidden: int = 1000,
                 joint_hidden: int = 1200, out_dim: int = 784, dropout: float = 0.5) -> None:
        super().__init__()
        self.latent_dim, self.classes = latent_dim, classes
        self.z_path = nn.Sequential(nn.Linear(latent_dim, z_hidden), nn.ReLU(), nn.Dropout(dropout))
        self.y_path = nn.Sequential(nn.Linear(classes, y_hidden), nn.ReLU(), nn.Dropout(dropout))
        self.joint = nn.Sequential(nn.Linear(z_hidden + y_hidden, joint_hidden), nn.ReLU(), nn.Dropout(dropout),
                                   nn.Linear(joint_hidden, out_dim), nn.Sigmoid())

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """(N, latent_dim) noise and (N,) integer classes -> (N, out_dim) in [0, 1]."""
        return self.joint(torch.cat([self.z_path(z), self.y_path(one_hot(y, self.classes))], dim=1))


class CGANDiscriminator(nn.Module):
    """D(x|y) of Mirza & Osindero (2014): maxout layers for x and for one-hot y, a joint maxout layer, one logit.

    The paper's MNIST sizes: 240 units x 5 pieces for x, 50 x 5 for y, 240 x 4 joint; dropout 0.5.
    Images are flattened, so any (N, ...) shape with ``in_dim`` values per example is accepted.
    """

    def __init__(self, in_dim: int = 784, classes: int = 10, x_hidden: int = 240, y_hidden: int = 50,
                 joint_hidden: int = 240, pieces: tuple[int, int, int] = (5, 5, 4), dropout: float = 0.5) -> None:
        super().__init__()
        self.classes = classes
        self.x_path = nn.Sequential(nn.Flatten(), Maxout(in_dim, x_hidden, pieces[0]), nn.Dropout(dropout))
        self.y_path = nn.Sequential(Maxout(classes, y_hidden, pieces[1]), nn.Dropout(dropout))
        self.joint = nn.Sequential(Maxout(x_hidden + y_hidden, joint_hidden, pieces[2]), nn.Dropout(dropout),
                                   nn.Linear(joint_hidden, 1), nn.Flatten(0))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """One logit a(x|y) per example, D(x|y) = sigmoid(a)."""
        return self.joint(torch.cat([self.x_path(x), self.y_path(one_hot(y, self.classes))], dim=1))


def salimans_generator(latent_dim: int = 100, hidden: Sequence[int] = (500, 500), out_dim: int = 784) -> nn.Sequential:
    """The MNIST generator of Salimans et al. (2016): Linear-BatchNorm-Softplus layers, sigmoid output."""
    blocks, width = [], latent_dim
    for size in hidden:
        blocks += [nn.Linear(width, size), nn.BatchNorm1d(size), nn.Softplus()]
        width = size
    return nn.Sequential(*blocks, nn.Linear(width, out_dim), nn.Sigmoid())


class ClassifierDiscriminator(nn.Module):
    """The semi-supervised discriminator of Salimans et al. (2016): an MLP with K class logits, no source logit.

    Gaussian noise on the input (``input_noise``) and on every hidden layer (``hidden_noise``) in training mode,
    ReLU units; the paper's MNIST net: 1000, 500, 250, 250, 250 units, noise 0.3 and 0.5.
    ``features(x)`` is the last hidden layer, the statistic that feature matching asks G to reproduce.
    """

    def __init__(self, in_dim: int = 784, hidden: Sequence[int] = (1000, 500, 250, 250, 250), classes: int = 10,
                 input_noise: float = 0.3, hidden_noise: float = 0.5) -> None:
        super().__init__()
        blocks, width = [nn.Flatten(), GaussianNoise(input_noise)], in_dim
        for i, size in enumerate(hidden):
            blocks += [nn.Linear(width, size), nn.ReLU()]
            if i < len(hidden) - 1:
                blocks.append(GaussianNoise(hidden_noise))
            width = size
        self.body = nn.Sequential(*blocks)
        self.head = nn.Sequential(GaussianNoise(hidden_noise), nn.Linear(width, classes))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, classes) logits l_1..l_K; the fake class has l_{K+1} = 0 (see ``losses.source_logit``)."""
        return self.head(self.body(x))


def infogan_generator(input_dim: int = 74, image_size: int = 28, width: int = 64, hidden: int = 1024,
                      channels: int = 1) -> nn.Sequential:
    """InfoGAN's MNIST generator (Chen et al. 2016, Table 1 of the appendix), for any image size divisible by 4.

    FC ``hidden`` ReLU BN, FC (size/4)^2 x 2*width ReLU BN, 4x4 up-conv ``width`` ReLU BN, 4x4 up-conv to
    ``channels``, sigmoid (images in [0, 1]). At 28x28 with ``width=64``: 1024, 7x7x128, 14x14x64, 28x28x1.
    Takes one flat vector per example: z and the codes concatenated.
    """
    if image_size % 4:
        raise ValueError(f"image_size must be divisible by 4, got {image_size}")
    side = image_size // 4
    return nn.Sequential(
        nn.Linear(input_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
        nn.Linear(hidden, 2 * width * side * side), nn.BatchNorm1d(2 * width * side * side), nn.ReLU(),
        nn.Unflatten(1, (2 * width, side, side)),
        nn.ConvTranspose2d(2 * width, width, 4, 2, 1), nn.BatchNorm2d(width), nn.ReLU(),
        nn.ConvTranspose2d(width, channels, 4, 2, 1), nn.Sigmoid(),
    )


class AuxiliaryDiscriminator(nn.Module):
    """InfoGAN's D and Q, or AC-GAN's D: one convolutional body, a source logit and ``classes`` class logits.

    The body is InfoGAN's MNIST discriminator: 4x4 conv ``width`` lReLU stride 2, 4x4 conv 2*width lReLU stride
    2 BN, FC ``hidden`` lReLU BN (leaky ReLU slope 0.1). The class head is a linear layer
    (AC-GAN, ``q_hidden=0``) or FC ``q_hidden`` BN lReLU then linear (InfoGAN's Q, 128 units).
    ``forward(x)`` returns ``(source_logit (N,), class_logits (N, classes))``.
    """

    def __init__(self, image_size: int = 28, classes: int = 10, width: int = 64, hidden: int = 1024,
                 q_hidden: int = 128, channels: int = 1) -> None:
        super().__init__()
        if image_size % 4:
            raise ValueError(f"image_size must be divisible by 4, got {image_size}")
        side = image_size // 4
        self.body = nn.Sequential(
            nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.1),
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.1), nn.Flatten(),
            nn.Linear(2 * width * side * side, hidden), nn.BatchNorm1d(hidden), nn.LeakyReLU(0.1),
        )
        self.source = nn.Sequential(nn.Linear(hidden, 1), nn.Flatten(0))
        if q_hidden:
            self.classes = nn.Sequential(nn.Linear(hidden, q_hidden), nn.BatchNorm1d(q_hidden), nn.LeakyReLU(0.1),
                                         nn.Linear(q_hidden, classes))
        else:
            self.classes = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(x)
        return self.source(h), self.classes(h)


__all__ = [
    "mlp_generator",
    "mlp_discriminator",
    "dcgan_generator",
    "dcgan_features",
    "dcgan_discriminator",
    "dcgan_init",
    "one_hot",
    "Maxout",
    "GaussianNoise",
    "CGANGenerator",
    "CGANDiscriminator",
    "salimans_generator",
    "ClassifierDiscriminator",
    "infogan_generator",
    "AuxiliaryDiscriminator",
]
