"""pix2pix (Isola, Zhu, Zhou, Efros, CVPR 2017): the U-Net generator and the PatchGAN discriminator.

The paper's appendix 6.1 in its own notation: ``Ck`` is a 4x4 convolution with k filters, stride 2,
BatchNorm and ReLU (LeakyReLU 0.2 in the encoder and in D); ``CDk`` adds dropout 0.5. Every
convolution halves or doubles the image side, and at 256x256 the generator's encoder is
C64-C128-C256-C512-C512-C512-C512-C512 down to 1x1. ``levels`` and ``width`` scale it to smaller
images: ``UNet(levels=8, width=64)`` is the paper's.

Discriminators return **logits** (``dipkit.losses`` applies the sigmoid stably). The paper initialises
both networks as DCGAN does (appendix 6.2): ``model.apply(dipkit.nets.gan.dcgan_init)``.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["UNet", "PatchGAN", "receptive_field"]


class UNet(nn.Module):
    """G(x): an encoder-decoder whose layer i is concatenated to layer n - i (the paper's Figure 3).

    Without the skips it is the paper's plain encoder-decoder: low-level structure (edges, the label
    map's outlines) would have to squeeze through the 1x1 bottleneck. Dropout in the first
    ``dropout_layers`` decoder layers is the only noise (the paper's z, "applied at both training and
    test time"); the paper observes that G learns to ignore a Gaussian z given as input.
    """

    def __init__(
        self, in_channels: int, out_channels: int = 3, levels: int = 8, width: int = 64, max_width: int = 512,
        dropout_layers: int = 3, skips: bool = True,
    ) -> None:
        super().__init__()
        self.skips = skips
        widths = [min(width * 2**i, max_width) for i in range(levels)]  # C64-C128-C256-C512-C512-... at 64
        self.down = nn.ModuleList()
        for i, (c_in, c_out) in enumerate(zip([in_channels, *widths], widths)):
            normalise = 0 < i < levels - 1  # no BatchNorm on the first layer, nor at the 1x1 bottleneck
            self.down.append(nn.Sequential(
                nn.Conv2d(c_in, c_out, 4, 2, 1, bias=not normalise),
                nn.BatchNorm2d(c_out) if normalise else nn.Identity(),
                nn.LeakyReLU(0.2),
            ))
        self.up = nn.ModuleList()
        c_in = widths[-1]
        for i, c_out in enumerate(reversed(widths[:-1])):  # the decoder mirrors the encoder
            self.up.append(nn.Sequential(
                nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.Dropout(0.5) if i < dropout_layers else nn.Identity(),  # CD512: the noise z
                nn.ReLU(),
            ))
            c_in = 2 * c_out if skips else c_out  # the skip's channels are concatenated
        self.to_image = nn.Sequential(nn.ConvTranspose2d(c_in, out_channels, 4, 2, 1), nn.Tanh())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x in [-1, 1], side divisible by 2**levels; returns G(x) in [-1, 1], the same side."""
        encoded = []
        for layer in self.down:
            x = layer(x)
            encoded.append(x)
        encoded.pop()  # the bottleneck has no partner
        for layer in self.up:
            x = layer(x)
            skip = encoded.pop()
            if self.skips:
                x = torch.cat([x, skip], 1)  # the U-Net's skip: encoder layer i beside decoder layer n - i
        return self.to_image(x)


class PatchGAN(nn.Module):
    """D(x, y): a fully convolutional classifier of N x N patches of the pair (input, output).

    "This discriminator tries to classify if each N x N patch in an image is real or fake. We run this
    discriminator convolutionally across the image, averaging all responses" (Section 3.2.2). N is set by
    the number of stride-2 layers: with 4x4 kernels, 0 of them and 1x1 kernels is the 1x1 PixelGAN, 1 gives
    16x16, 3 the paper's 70x70 default (C64-C128-C256-C512), 5 the 286x286 ImageGAN at 256x256
    (:func:`receptive_field` computes N). Its input is the input image and the output concatenated:
    D is conditioned on x. ``in_channels`` counts both.
    """

    def __init__(
        self, in_channels: int, width: int = 64, strided_layers: int = 3, max_width: int = 512, kernel: int = 4
    ) -> None:
        super().__init__()
        pad = (kernel - 1) // 2 if kernel > 1 else 0
        widths = [min(width * 2**i, max_width) for i in range(max(strided_layers, 1) + 1)]
        strides = [2] * strided_layers + [1] * (len(widths) - strided_layers)
        layers, c_in = [], in_channels
        for i, (c_out, stride) in enumerate(zip(widths, strides)):
            layers += [nn.Conv2d(c_in, c_out, kernel, stride, pad, bias=i == 0)]
            layers += [nn.BatchNorm2d(c_out)] if i > 0 else []  # no BatchNorm on the first layer (C64)
            layers += [nn.LeakyReLU(0.2)]
            c_in = c_out
        layers += [nn.Conv2d(c_in, 1, kernel, 1, pad)]  # one logit per patch
        self.net = nn.Sequential(*layers)

    def forward(self, pair: torch.Tensor) -> torch.Tensor:
        """``pair``: input and output concatenated on channels; returns a map of patch logits."""
        return self.net(pair)


def receptive_field(model: nn.Module) -> int:
    """Side N of the input patch that one output of a chain of convolutions sees.

    Walks the ``Conv2d`` layers in order: each adds (kernel - 1) x jump pixels, where the jump is the
    product of the strides before it (valid for a plain chain such as :class:`PatchGAN`).
    """
    size, jump = 1, 1
    for layer in model.modules():
        if isinstance(layer, nn.Conv2d):
            size += (layer.kernel_size[0] - 1) * jump
            jump *= layer.stride[0]
    return size
