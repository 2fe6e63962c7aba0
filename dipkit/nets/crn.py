"""Cascaded Refinement Networks (Chen & Koltun, ICCV 2017): semantic layout to photo, coarse to fine.

The cascade is a chain of refinement modules M_0 ... M_n at resolutions doubling from a coarse start
(the paper: 4x8 for its 2:1 images, up to 1024x2048). M_i sees the label map downsampled to its
resolution, concatenated with the bilinearly upsampled features of M_{i-1} (M_0 sees the labels
alone), and applies "3x3 convolution, layer normalization, leaky ReLU" twice (Section 3.2). A final
1x1 convolution maps the last features to 3k channels: k images at once, for the diversity loss.
There is no noise input and no discriminator.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["RefinementModule", "CascadedRefinementNetwork"]


class RefinementModule(nn.Module):
    """M_i: [labels at this resolution, upsampled features] -> (conv 3x3, layer norm, LeakyReLU 0.2) x 2."""

    def __init__(self, in_channels: int, width: int) -> None:
        super().__init__()
        layers = []
        for c_in in (in_channels, width):
            # GroupNorm with one group normalises each sample over channels and pixels: layer normalisation
            layers += [nn.Conv2d(c_in, width, 3, padding=1), nn.GroupNorm(1, width), nn.LeakyReLU(0.2)]
        self.net = nn.Sequential(*layers)

    def forward(self, labels: torch.Tensor, features: torch.Tensor | None) -> torch.Tensor:
        """``labels`` (N, C, H, W) at this module's resolution; ``features`` of the previous module or None."""
        if features is not None:
            features = F.interpolate(features, size=labels.shape[-2:], mode="bilinear", align_corners=False)
            labels = torch.cat([labels, features], 1)
        return self.net(labels)


class CascadedRefinementNetwork(nn.Module):
    """The cascade: ``widths[i]`` features at ``start * 2**i`` pixels; ``images`` outputs per layout.

    ``forward(labels)`` takes one-hot label maps (N, classes, H, W) with H = start * 2**(len(widths) - 1) and
    returns (N, images, 3, H, W) in [-1, 1]-ish (a linear output, as the paper's; clamp to show it).
    ``stages(labels)`` returns every module's features too, for the figure of the cascade at work.
    """

    def __init__(self, classes: int, widths: list[int], start: int = 4, images: int = 1) -> None:
        super().__init__()
        self.start, self.images = start, images
        self.modules_ = nn.ModuleList(
            RefinementModule(classes + (widths[i - 1] if i else 0), width) for i, width in enumerate(widths)
        )
        self.to_rgb = nn.Conv2d(widths[-1], 3 * images, 1)  # the final 1x1 convolution, k images at once

    def stages(self, labels: torch.Tensor) -> list[torch.Tensor]:
        """Each module's output features, coarse to fine."""
        size = labels.shape[-1]
        expected = self.start * 2 ** (len(self.modules_) - 1)
        if labels.shape[-2:] != (expected, expected):
            raise ValueError(f"the cascade starts at {self.start} px and doubles {len(self.modules_) - 1} times: "
                             f"it takes {expected}x{expected} label maps, got {tuple(labels.shape[-2:])}")
        features, outputs = None, []
        for i, module in enumerate(self.modules_):
            side = self.start * 2**i
            # the layout at M_i's resolution: area averaging of the one-hot planes (class fractions per pixel)
            features = module(F.adaptive_avg_pool2d(labels, side) if side != size else labels, features)
            outputs.append(features)
        return outputs

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        rgb = self.to_rgb(self.stages(labels)[-1])
        return rgb.unflatten(1, (self.images, 3))
