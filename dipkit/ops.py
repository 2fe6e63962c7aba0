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


class ForwardOperator:
    """:math:`y = T(x) + n` with :math:`n \\sim \\mathcal{N}(0, (\\sigma/255)^2)`; subclasses define :meth:`T`."""

    def __init__(self, sigma: float = 0.0, clip: bool = True) -> None:
        if sigma < 0:
            raise ValueError(f"noise sigma must be >= 0 (0-255 scale), got {sigma}")
        self.sigma = float(sigma)
        self.clip = clip

    def T(self, x: torch.Tensor) -> torch.Tensor:  # noqa: N802 (the papers' name)
        raise NotImplementedError

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.T(x)

    def measure(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Observe ``x``: apply T, add the noise, and clip to [0, 1] like a saved image would be."""
        y = self.T(x)
        if self.sigma > 0:
            noise = torch.randn(y.shape, generator=generator, device=y.device, dtype=y.dtype)
            y = y + self.sigma / 255.0 * noise
        return y.clamp(0, 1) if self.clip else y

    def __repr__(self) -> str:
        return f"{type(self).__name__}(sigma={self.sigma:g})"


class Denoising(ForwardOperator):
    """T = identity: the observation is the image plus noise."""

    def T(self, x: torch.Tensor) -> torch.Tensor:  # noqa: N802
        return x


class Inpainting(ForwardOperator):
    """T(x) = m * x: pixels where the binary mask ``m`` is 0 are lost."""

    def __init__(self, mask: torch.Tensor, sigma: float = 0.0) -> None:
        super().__init__(sigma)
        if mask.ndim != 4 or mask.shape[:2] != (1, 1):
            raise ValueError(f"mask must have shape (1, 1, H, W), got {tuple(mask.shape)}")
        self.mask = mask.float()

    def T(self, x: torch.Tensor) -> torch.Tensor:  # noqa: N802
        if x.shape[-2:] != self.mask.shape[-2:]:
            raise ValueError(f"image is {tuple(x.shape[-2:])} but the mask is {tuple(self.mask.shape[-2:])}")
        return x * self.mask.to(x.device)

    def __repr__(self) -> str:
        return f"Inpainting(kept={self.mask.mean().item():.0%}, sigma={self.sigma:g})"


def lanczos_kernel(factor: int, lobes: int = 2) -> torch.Tensor:
    """1-D Lanczos-``lobes`` anti-aliasing taps for downsampling by ``factor`` (sum 1, length 2*lobes*factor).

    Tap k sits at distance (k + 1/2 - lobes*factor) / factor from the centre of an output pixel,
    i.e. pixel centres are aligned as in PIL and in the DIP authors' ``Downsampler``.
    """
    offsets = (torch.arange(2 * lobes * factor, dtype=torch.float64) + 0.5 - lobes * factor) / factor
    taps = torch.sinc(offsets) * torch.sinc(offsets / lobes)
    return (taps / taps.sum()).float()


class Downsampling(ForwardOperator):
    """T(x) = (k * x) subsampled by ``factor``: a separable Lanczos-2 filter, then every factor-th pixel.

    The same operator makes the low-resolution image and sits inside the DIP super-resolution loss.
    Borders are replicated, so an H x W image gives exactly H/factor x W/factor.
    """

    def __init__(self, factor: int, sigma: float = 0.0, lobes: int = 2) -> None:
        super().__init__(sigma)
        if factor < 2 or int(factor) != factor:
            raise ValueError(f"factor must be an integer >= 2, got {factor}")
        self.factor = int(factor)
        taps = lanczos_kernel(self.factor, lobes)
        self.kernel = torch.outer(taps, taps)[None, None]
        self.pad = (taps.numel() - self.factor) // 2

    def T(self, x: torch.Tensor) -> torch.Tensor:  # noqa: N802
        height, width = x.shape[-2:]
        if height % self.factor or width % self.factor:
            raise ValueError(f"image size {height}x{width} must be divisible by the factor {self.factor}")
        channels = x.shape[1]
        kernel = self.kernel.to(x.device, x.dtype).expand(channels, 1, -1, -1)
        padded = F.pad(x, (self.pad,) * 4, mode="replicate")
        return F.conv2d(padded, kernel, stride=self.factor, groups=channels)

    def __repr__(self) -> str:
        return f"Downsampling(factor={self.factor}, kernel=lanczos2, sigma={self.sigma:g})"


def bernoulli_mask(height: int, width: int, drop: float = 0.5, generator: torch.Generator | None = None) -> torch.Tensor:
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


def upsample(image: np.ndarray, factor: int, method: str = "bicubic") -> np.ndarray:
    """Classical interpolation baseline for super-resolution (PIL's float resampling, no 8-bit rounding)."""
    filters = {"bicubic": Image.Resampling.BICUBIC, "lanczos": Image.Resampling.LANCZOS, "nearest": Image.Resampling.NEAREST}
    if method not in filters:
        raise ValueError(f"unknown upsampling method {method!r}; accepted: {', '.join(filters)}")
    channels = image[..., None] if image.ndim == 2 else image
    height, width = channels.shape[:2]
    size = (width * factor, height * factor)
    planes = [np.asarray(Image.fromarray(channels[..., c].astype(np.float32), mode="F").resize(size, filters[method])) for c in range(channels.shape[2])]
    result = np.stack(planes, axis=-1).clip(0, 1).astype(np.float32)
    return result[..., 0] if image.ndim == 2 else result


__all__ = [
    "ForwardOperator",
    "Denoising",
    "Inpainting",
    "Downsampling",
    "lanczos_kernel",
    "bernoulli_mask",
    "text_mask",
    "upsample",
]
