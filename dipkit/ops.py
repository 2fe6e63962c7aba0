r"""Forward operators :math:`y = T(x) + n` shared by every restoration method in the book.

One small interface (after deepinv's ``Physics``): an operator is callable as :math:`T(x)` on a
``(N, C, H, W)`` tensor, differentiably, so the Deep Image Prior can put it inside its loss
:math:`E(x; y) = \lVert T(x) - y \rVert^2`, and :meth:`ForwardOperator.measure` draws the
observation :math:`y = T(x) + n` with Gaussian noise whose standard deviation is given on the
0-255 scale, as the papers state it.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFont
from torch import nn


class ForwardOperator(nn.Module):
    """:math:`y = T(x) + n` with :math:`n \\sim \\mathcal{N}(0, (\\sigma/255)^2)`; subclasses define ``forward`` = T.

    A ``torch.nn.Module`` (like deepinv's ``Physics``): its masks and kernels are buffers, so
    ``op.to(device)`` moves them once, and ``op(x)`` is T(x), differentiable.
    """

    def __init__(self, sigma: float = 0.0, clip: bool = True, quantize: bool = False) -> None:
        super().__init__()
        if sigma < 0:
            raise ValueError(f"noise sigma must be >= 0 (0-255 scale), got {sigma}")
        self.sigma = float(sigma)
        self.clip = clip
        self.quantize = quantize

    @torch.no_grad()
    def measure(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Observe ``x``: apply T, add the noise, clip to [0, 1] and (``quantize``) round to 8 bits, as a saved
        image."""
        y = self(x)
        if self.sigma > 0:
            noise = torch.randn(y.shape, generator=generator, device=y.device, dtype=y.dtype)
            y = y + self.sigma / 255.0 * noise
        if self.clip:
            y = y.clamp(0, 1)
        return (y * 255).round() / 255 if self.quantize else y

    def extra_repr(self) -> str:
        return f"sigma={self.sigma:g}"


class Denoising(ForwardOperator):
    """T = identity: the observation is the image plus noise."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


class Inpainting(ForwardOperator):
    """T(x) = m * x: pixels where the binary mask ``m`` (a buffer) is 0 are lost."""

    def __init__(self, mask: torch.Tensor, sigma: float = 0.0) -> None:
        super().__init__(sigma)
        if mask.ndim != 4 or mask.shape[:2] != (1, 1):
            raise ValueError(f"mask must have shape (1, 1, H, W), got {tuple(mask.shape)}")
        self.register_buffer("mask", mask.float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] != self.mask.shape[-2:]:
            raise ValueError(f"image is {tuple(x.shape[-2:])} but the mask is {tuple(self.mask.shape[-2:])}")
        return x * self.mask

    def extra_repr(self) -> str:
        return f"kept={self.mask.mean().item():.0%}, sigma={self.sigma:g}"


def lanczos_kernel(factor: int, lobes: int = 2) -> torch.Tensor:
    """1-D Lanczos-``lobes`` anti-aliasing taps for downsampling by ``factor`` (sum 1, symmetric).

    An output pixel's centre is the centre of its block of ``factor`` input pixels, as in PIL. Tap k sits at
    distance (k - (n - 1)/2) / factor from it: n = 2*lobes*factor taps for an even factor (the centre falls
    between two pixels; the DIP authors' ``Downsampler`` taps), 2*lobes*factor - 1 for an odd one (it falls on
    a pixel, and the taps at distance ``lobes`` are zeros).
    """
    count = 2 * lobes * factor - factor % 2
    offsets = (torch.arange(count, dtype=torch.float64) - (count - 1) / 2) / factor
    taps = torch.sinc(offsets) * torch.sinc(offsets / lobes)
    return (taps / taps.sum()).float()


DOWNSAMPLING_KERNELS = ("lanczos2", "bicubic")


class Downsampling(ForwardOperator):
    """T(x) = (k * x) subsampled by ``factor``, with the paper's anti-aliasing kernel k.

    ``kernel="lanczos2"`` (the DIP authors' ``Downsampler``): a separable Lanczos-2 filter (a buffer),
    borders replicated, then every factor-th pixel. ``kernel="bicubic"`` (SRGAN's "bicubic kernel
    with downsampling factor r"): torch's anti-aliased bicubic resize. An H x W image gives exactly
    H/factor x W/factor; the same operator makes the low-resolution image and sits inside a loss.
    """

    def __init__(self, factor: int, sigma: float = 0.0, kernel: str = "lanczos2", quantize: bool = False) -> None:
        super().__init__(sigma, quantize=quantize)
        if factor < 2 or int(factor) != factor:
            raise ValueError(f"factor must be an integer >= 2, got {factor}")
        if kernel not in DOWNSAMPLING_KERNELS:
            raise ValueError(f"unknown kernel {kernel!r}; accepted: {', '.join(DOWNSAMPLING_KERNELS)}")
        self.factor, self.kernel = int(factor), kernel
        if kernel == "lanczos2":
            taps = lanczos_kernel(self.factor, lobes=2)
            self.register_buffer("weight", torch.outer(taps, taps)[None, None])
            self.pad = (taps.numel() - self.factor) // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        if height % self.factor or width % self.factor:
            raise ValueError(f"image size {height}x{width} must be divisible by the factor {self.factor}")
        if self.kernel == "bicubic":
            return F.interpolate(x, scale_factor=1 / self.factor, mode="bicubic", antialias=True, align_corners=False)
        channels = x.shape[1]
        padded = F.pad(x, (self.pad,) * 4, mode="replicate")
        return F.conv2d(
            padded, self.weight.to(x.dtype).expand(channels, 1, -1, -1), stride=self.factor, groups=channels
        )

    def extra_repr(self) -> str:
        return f"factor={self.factor}, kernel={self.kernel}, sigma={self.sigma:g}"


def bernoulli_mask(
    height: int, width: int, drop: float = 0.5, generator: torch.Generator | None = None
) -> torch.Tensor:
    """A ``(1, 1, H, W)`` mask keeping each pixel with probability ``1 - drop`` (the paper's pixel-drop inpainting)."""
    if not 0.0 <= drop < 1.0:
        raise ValueError(f"drop must be in [0, 1), got {drop}")
    return (torch.rand((1, 1, height, width), generator=generator) >= drop).float()


def text_mask(height: int, width: int, text: str = "Deep Image Prior", font_size: int | None = None) -> torch.Tensor:
    """A ``(1, 1, H, W)`` mask that hides ``text`` written in rows over the image (0 under the glyphs)."""
    font_size = font_size or max(8, height // 10)
    canvas = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=font_size)
    line_height = int(font_size * 1.6)
    for row, top in enumerate(range(font_size // 3, height, line_height)):
        draw.text((-(row * font_size) % (2 * font_size) - font_size, top), (text + "  ") * 4, fill=0, font=font)
    return torch.from_numpy((np.asarray(canvas) > 127).astype(np.float32))[None, None]


def upscale(image: np.ndarray, factor: int, method: str = "bicubic") -> np.ndarray:
    """A numpy image enlarged ``factor`` times by classical interpolation, the super-resolution baseline (PIL's
    float resampling, no 8-bit rounding); :func:`dipkit.pyramid.upsample` is the pyramid's torch operator."""
    filters = {
        "bicubic": Image.Resampling.BICUBIC, "lanczos": Image.Resampling.LANCZOS, "nearest": Image.Resampling.NEAREST
    }
    if method not in filters:
        raise ValueError(f"unknown upsampling method {method!r}; accepted: {', '.join(filters)}")
    channels = image[..., None] if image.ndim == 2 else image
    height, width = channels.shape[:2]
    size = (width * factor, height * factor)
    planes = [
        np.asarray(Image.fromarray(channels[..., c].astype(np.float32), mode="F").resize(size, filters[method]))
        for c in range(channels.shape[2])
    ]
    result = np.stack(planes, axis=-1).clip(0, 1).astype(np.float32)
    return result[..., 0] if image.ndim == 2 else result


__all__ = [
    "ForwardOperator",
    "Denoising",
    "Inpainting",
    "Downsampling",
    "DOWNSAMPLING_KERNELS",
    "lanczos_kernel",
    "bernoulli_mask",
    "text_mask",
    "upscale",
]
