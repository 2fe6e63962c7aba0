"""Text-to-image synthesis (Reed, Akata, Yan, Logeswaran, Schiele, Lee, ICML 2016) and its text encoder
(Reed, Akata, Lee, Schiele, CVPR 2016): the char-CNN-RNN, the image encoder of the joint embedding, the
text-conditioned DCGAN generator and matching-aware discriminator, and the style encoder S(x).

Captions enter as character indices (:func:`encode_captions`). The text encoder maps them to an embedding
phi(t); G and D each compress phi(t) with a fully connected layer and a leaky ReLU (the paper's Section 4,
1024 -> 128 dimensions) before they use it. Discriminators return logits, as in ``dipkit.nets.gan``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from dipkit.nets.gan import dcgan_features, dcgan_generator

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 ,.:;-'!?"
"""The characters the text encoder reads; index 0 is padding (and any other character), ``ALPHABET[i]`` is i + 1."""


def encode_captions(captions: Sequence[str], length: int = 64) -> torch.Tensor:
    """``(N, length)`` int64 character indices of lower-cased captions, cut or padded with 0 to ``length``."""
    index = {c: i + 1 for i, c in enumerate(ALPHABET)}
    codes = torch.zeros(len(captions), length, dtype=torch.int64)
    for row, text in enumerate(captions):
        values = [index.get(c, 0) for c in text.lower()[:length]]
        codes[row, : len(values)] = torch.tensor(values, dtype=torch.int64)
    return codes


class CharCNNRNN(nn.Module):
    """The char-CNN-RNN text encoder of Reed et al. (CVPR 2016): convolutions over one-hot characters with
    ReLU and temporal max-pooling, a recurrent layer over what is left of the sequence, its hidden states
    averaged over time, a linear map to the embedding phi(t).

    The paper's (reedscot/cvpr2016, ``HybridCNNLong``, the 18-step GRU of its CUB encoder): three convolutions
    (kernels 4, 4, 4; 384, 512, 256 filters; pooling 3 after the first two), a GRU over the 18 steps left of
    201 characters, a 1024-d embedding. Here ``width`` filters per convolution (one number for all, or one per
    convolution), ``pool`` after each but the last, a GRU of ``hidden`` units.
    """

    def __init__(self, embed_dim: int = 1024, width: int | Sequence[int] = (384, 512, 256), hidden: int = 256,
                 kernels: Sequence[int] = (4, 4, 4), pool: int = 3) -> None:
        super().__init__()
        widths = [width] * len(kernels) if isinstance(width, int) else list(width)
        if len(widths) != len(kernels):
            raise ValueError(f"width has {len(widths)} entries for {len(kernels)} kernels; accepted: one number, "
                             "or one per kernel")
        layers, channels = [], len(ALPHABET)
        for i, (kernel, filters) in enumerate(zip(kernels, widths)):
            layers += [nn.Conv1d(channels, filters, kernel), nn.ReLU()]
            if i < len(kernels) - 1:
                layers.append(nn.MaxPool1d(pool))
            channels = filters
        self.cnn = nn.Sequential(*layers)
        self.rnn = nn.GRU(channels, hidden, batch_first=True)
        self.out = nn.Linear(hidden, embed_dim)
        self.embed_dim = embed_dim

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        """(N, length) character indices -> (N, embed_dim) embeddings phi(t)."""
        one_hot = F.one_hot(codes, len(ALPHABET) + 1)[..., 1:].float()  # padding is the zero vector
        features = self.cnn(one_hot.transpose(1, 2)).transpose(1, 2)  # (N, steps, width)
        states, _ = self.rnn(features)
        return self.out(states.mean(dim=1))


class ImageEncoder(nn.Module):
    """A small ConvNet to a vector: strided 4x4 convolutions down to 4x4 (DCGAN's discriminator body), then a
    linear layer. The image side of the joint embedding (the paper uses GoogLeNet features) and, with
    ``out_dim`` = z's dimension, the style encoder S(x) of the ICML paper's Section 4.4."""

    def __init__(self, out_dim: int, width: int = 64, image_size: int = 64, channels: int = 3) -> None:
        super().__init__()
        body, features = dcgan_features(width, image_size, channels)
        self.body = nn.Sequential(*body, nn.Flatten())
        self.out = nn.Linear(features * 4 * 4, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.body(x))


def _compression(embed_dim: int, projected_dim: int) -> nn.Sequential:
    # "a fully-connected layer to a small dimension (in practice we used 128) followed by leaky-ReLU" (Section 4)
    return nn.Sequential(nn.Linear(embed_dim, projected_dim), nn.LeakyReLU(0.2))


class TextConditionedGenerator(nn.Module):
    """G(z, phi(t)): the compressed embedding concatenated to z, then DCGAN's generator (tanh output in [-1, 1])."""

    def __init__(self, latent_dim: int = 100, embed_dim: int = 1024, projected_dim: int = 128, width: int = 128,
                 image_size: int = 64, channels: int = 3) -> None:
        super().__init__()
        self.project = _compression(embed_dim, projected_dim)
        self.net = dcgan_generator(latent_dim + projected_dim, width, image_size, channels)
        self.latent_dim = latent_dim

    def forward(self, z: torch.Tensor, phi: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([z, self.project(phi)], dim=1))


class MatchingDiscriminator(nn.Module):
    """D(x, phi(t)): DCGAN's discriminator body down to 4x4; there the compressed embedding is replicated
    spatially and concatenated in depth, then a 1x1 convolution with batch norm and leaky ReLU and a 4x4
    convolution give one logit (Section 4). Trained as GAN-CLS it also judges whether x matches t."""

    def __init__(self, embed_dim: int = 1024, projected_dim: int = 128, width: int = 128, image_size: int = 64,
                 channels: int = 3) -> None:
        super().__init__()
        self.body, features = dcgan_features(width, image_size, channels)
        self.project = _compression(embed_dim, projected_dim)
        self.joint = nn.Sequential(
            nn.Conv2d(features + projected_dim, features, 1, bias=False), nn.BatchNorm2d(features),
            nn.LeakyReLU(0.2, True), nn.Conv2d(features, 1, 4, 1, 0, bias=False), nn.Flatten(0),
        )

    def forward(self, x: torch.Tensor, phi: torch.Tensor) -> torch.Tensor:
        features = self.body(x)
        text = self.project(phi)[:, :, None, None].expand(-1, -1, *features.shape[-2:])
        return self.joint(torch.cat([features, text], dim=1))


__all__ = ["ALPHABET", "CharCNNRNN", "ImageEncoder", "MatchingDiscriminator", "TextConditionedGenerator",
           "encode_captions"]
