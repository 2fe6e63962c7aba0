"""Deep Image Prior "skip" encoder-decoder (Ulyanov, Vedaldi, Lempitsky, CVPR 2018).

Follows the supplementary material and the authors' ``models/skip.py``: a U-Net-like
hourglass whose levels are built recursively, each level concatenating a thin skip
branch with a deeper (downsample -> next level -> upsample) branch.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

UPSAMPLE_MODES = ("bilinear", "nearest")
PAD_MODES = ("reflection", "zero")


def _conv(in_ch: int, out_ch: int, kernel: int, stride: int = 1, pad: str = "reflection") -> nn.Module:
    """Conv with 'same' padding (k-1)//2; the paper pads by reflection to avoid border artefacts."""
    to_pad = (kernel - 1) // 2
    if pad == "zero":
        return nn.Conv2d(in_ch, out_ch, kernel, stride, padding=to_pad)
    conv = nn.Conv2d(in_ch, out_ch, kernel, stride, padding=0)
    return nn.Sequential(nn.ReflectionPad2d(to_pad), conv) if to_pad > 0 else conv


def _bn_act(channels: int) -> list[nn.Module]:
    """BatchNorm followed by LeakyReLU(0.2), the paper's normalisation/non-linearity pair."""
    return [nn.BatchNorm2d(channels), nn.LeakyReLU(0.2)]


class _Concat(nn.Module):
    """Concatenate branch outputs along channels, centre-cropping to the smallest H, W.

    Strided convs round odd sizes up, so the upsampled deep branch can be one pixel
    larger than the skip branch; the authors crop it centrally, as done here.
    """

    def __init__(self, *branches: nn.Module) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = [branch(x) for branch in self.branches]
        h = min(o.shape[2] for o in outs)
        w = min(o.shape[3] for o in outs)
        cropped = []
        for o in outs:
            dh, dw = (o.shape[2] - h) // 2, (o.shape[3] - w) // 2
            cropped.append(o[:, :, dh : dh + h, dw : dw + w])
        return torch.cat(cropped, dim=1)


def _check(name: str, value: object, accepted: Sequence[object]) -> None:
    if value not in accepted:
        raise ValueError(f"{name}={value!r} is not supported; accepted: {', '.join(map(repr, accepted))}")


def skip_net(
    in_channels: int = 32,
    out_channels: int = 3,
    channels_down: Sequence[int] = (128,) * 5,
    channels_up: Sequence[int] = (128,) * 5,
    channels_skip: Sequence[int] = (4,) * 5,
    kernel_down: int = 3,
    kernel_up: int = 3,
    kernel_skip: int = 1,
    upsample: str = "bilinear",
    pad: str = "reflection",
    sigmoid: bool = True,
) -> nn.Module:
    """Build the DIP hourglass with skip connections (supplementary Fig. 1 notation).

    ``channels_down/up/skip`` are n_d, n_u, n_s per level; kernels are k_d, k_u, k_s.
    A level with ``channels_skip[i] == 0`` has no skip branch (as in the authors' code).
    With skip branches at every level the output has the input's H x W for any size
    (odd sizes are handled by centre-cropping before each concatenation); without them,
    H and W should be divisible by 2**depth. In training mode BatchNorm needs more than
    one value per channel at the deepest level, so with batch 1 and 5 levels use
    H, W > 32 (the deepest map is ceil(H/32) x ceil(W/32)).
    """
    depth = len(channels_down)
    if depth == 0 or not (len(channels_up) == len(channels_skip) == depth):
        raise ValueError(
            "channels_down, channels_up and channels_skip must be non-empty and of equal length; "
            f"got lengths {len(channels_down)}, {len(channels_up)}, {len(channels_skip)}"
        )
    if min(channels_down) < 1 or min(channels_up) < 1 or min(channels_skip) < 0:
        raise ValueError("accepted: channels_down and channels_up >= 1, channels_skip >= 0")
    for name, k in (("kernel_down", kernel_down), ("kernel_up", kernel_up), ("kernel_skip", kernel_skip)):
        if k < 1 or k % 2 == 0:
            raise ValueError(f"{name}={k} is not supported; accepted: odd kernel sizes >= 1")
    if in_channels < 1 or out_channels < 1:
        raise ValueError("accepted: in_channels >= 1 and out_channels >= 1")
    _check("upsample", upsample, UPSAMPLE_MODES)
    _check("pad", pad, PAD_MODES)

    def level(i: int, in_ch: int) -> list[nn.Module]:
        """Layers of level i; level i+1 is nested inside its deeper branch."""
        # Deeper branch: downsample by a strided conv (the paper's "d_i"), then a conv.
        deeper: list[nn.Module] = [
            _conv(in_ch, channels_down[i], kernel_down, stride=2, pad=pad), *_bn_act(channels_down[i]),
            _conv(channels_down[i], channels_down[i], kernel_down, pad=pad), *_bn_act(channels_down[i]),
        ]
        if i + 1 < depth:
            deeper += level(i + 1, channels_down[i])
            deeper_out = channels_up[i + 1]
        else:
            deeper_out = channels_down[i]
        deeper.append(nn.Upsample(scale_factor=2, mode=upsample))

        if channels_skip[i] > 0:
            # Skip branch "s_i": a 1x1 conv keeping a few channels of the full-resolution features.
            skip = nn.Sequential(_conv(in_ch, channels_skip[i], kernel_skip, pad=pad), *_bn_act(channels_skip[i]))
            layers: list[nn.Module] = [_Concat(skip, nn.Sequential(*deeper))]
        else:
            layers = deeper
        cat_ch = channels_skip[i] + deeper_out
        # Up block "u_i": BN on the concatenation, conv k_u, then a 1x1 conv.
        layers += [
            nn.BatchNorm2d(cat_ch),
            _conv(cat_ch, channels_up[i], kernel_up, pad=pad), *_bn_act(channels_up[i]),
            _conv(channels_up[i], channels_up[i], 1, pad=pad), *_bn_act(channels_up[i]),
        ]
        return layers

    layers = level(0, in_channels)
    layers.append(_conv(channels_up[0], out_channels, 1, pad=pad))  # final 1x1 to image channels
    if sigmoid:
        layers.append(nn.Sigmoid())  # keeps the output in (0, 1) like the images
    return nn.Sequential(*layers)


def uniform_skip_net(
    in_channels: int, channels: int, levels: int, skip_channels: int, out_channels: int = 3
) -> nn.Module:
    """The skip net with the same width at every level, as the paper's default and the chapters' profiles use it."""
    return skip_net(
        in_channels=in_channels, out_channels=out_channels, channels_down=[channels] * levels,
        channels_up=[channels] * levels, channels_skip=[skip_channels] * levels,
    )


def paper_skip_net(out_channels: int = 3) -> nn.Module:
    """The paper's default: z in R^{32xHxW}, 5 levels of 128 channels, skip 4, bilinear, reflection."""
    return uniform_skip_net(32, 128, 5, 4, out_channels)


def noise_input(
    channels: int, height: int, width: int, scale: float = 0.1, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Fixed network input z ~ U(0, 1) * scale, shape (1, C, H, W) ("uniform noise scaled by 1/10")."""
    if channels < 1 or height < 1 or width < 1:
        raise ValueError("accepted: channels, height and width >= 1")
    return torch.rand(1, channels, height, width, generator=generator) * scale


__all__ = ["PAD_MODES", "UPSAMPLE_MODES", "noise_input", "paper_skip_net", "skip_net", "uniform_skip_net"]
