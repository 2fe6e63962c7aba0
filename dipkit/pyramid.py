"""The Laplacian pyramid of Burt & Adelson (1983), as LAPGAN (Denton et al. 2015) uses it.

Its own module rather than ``ops``: ``ops`` holds forward operators y = T(x) + n of inverse problems, while
these are a lossless change of representation, an image and its band-pass residuals.

With a downsampling ``d`` and an upsampling ``u``, the pyramid of an image I_0 is the sequence of smaller
images I_{k+1} = d(I_k) and of the band-pass images h_k = I_k - u(I_{k+1}) = I_k - u(d(I_k)); the
coarsest image I_K is kept as it is. Reconstruction runs the other way, I_k = u(I_{k+1}) + h_k, and is
exact for *any* d and u, because each h_k was defined as exactly what u(I_{k+1}) misses.

The pair chosen here is the box-filter ("Haar") pyramid: ``upsample`` replicates pixels
(``F.interpolate(mode="nearest")``) and ``downsample`` averages each block of pixels that ``upsample``
replicates one coarse pixel into (2x2 average pooling when the size halves, ``F.avg_pool2d``). Then
d(u(x)) = x exactly, every band has zero block means, d(h_k) = 0, and :func:`bandpass` projects any image
onto the bands. The sampler of ``dipkit.nets.lapgan`` uses this to keep the coarse image it starts from:
a generated image downsampled back gives its coarse start to float precision. (The paper's own operators,
bilinear Gaussian-like filters, give a smoother u(I_{k+1}) but no such guarantee.)

Images are ``(N, C, H, W)`` tensors; sizes can be odd and need not halve (28 -> 14 -> 8 works).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F


def _size(size: int | Sequence[int]) -> tuple[int, int]:
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))


def upsample(image: torch.Tensor, size: int | Sequence[int]) -> torch.Tensor:
    """u(.): pixel replication to ``size`` (``F.interpolate``, nearest)."""
    return F.interpolate(image, size=_size(size), mode="nearest")


def _block_means(length: int, coarse: int, like: torch.Tensor) -> torch.Tensor:
    """The (coarse, length) matrix that averages, along one axis, the pixels ``upsample`` copies from each
    coarse pixel: the left inverse of nearest-neighbour replication along that axis."""
    source = torch.arange(coarse, dtype=torch.float64)[None, None]
    index = F.interpolate(source, size=length, mode="nearest")[0, 0].long()  # the coarse pixel of each fine one
    matrix = F.one_hot(index, coarse).T.to(like.dtype)
    return matrix / matrix.sum(dim=1, keepdim=True)


def downsample(image: torch.Tensor, size: int | Sequence[int]) -> torch.Tensor:
    """d(.): the mean of each block of pixels that :func:`upsample` fills from one coarse pixel.

    When a side halves exactly this is 2x2 average pooling (``F.avg_pool2d``); otherwise the blocks are
    those of nearest-neighbour replication, so that ``downsample(upsample(x, s), x's size) == x`` for every size.
    """
    height, width = _size(size)
    if image.shape[-2] == 2 * height and image.shape[-1] == 2 * width:
        return F.avg_pool2d(image, 2)
    rows = _block_means(image.shape[-2], height, image)
    columns = _block_means(image.shape[-1], width, image)
    return torch.einsum("ih,nchw,jw->ncij", rows, image, columns)


def bandpass(image: torch.Tensor, size: int | Sequence[int]) -> torch.Tensor:
    """h = I - u(d(I)): what an image adds to its coarser version (``size``: that version's size)."""
    coarse = downsample(image, size)
    return image - upsample(coarse, image.shape[-2:])


def level_sizes(image_size: int, levels: int | Sequence[int]) -> list[int]:
    """The side of every level, finest first: ``levels`` coarser levels by halving, or their sides given."""
    if isinstance(levels, int):
        sizes = [image_size]
        for _ in range(levels):
            sizes.append((sizes[-1] + 1) // 2)
    else:
        sizes = [image_size, *levels]
    if any(fine <= coarse for fine, coarse in zip(sizes, sizes[1:])) or sizes[-1] < 1:
        raise ValueError(f"pyramid sides must decrease and stay positive, got {sizes}")
    return sizes


def laplacian_pyramid(image: torch.Tensor, levels: int | Sequence[int]) -> list[torch.Tensor]:
    """``[h_0, h_1, ..., h_{K-1}, I_K]``: the band-pass images, finest first, then the coarsest image.

    ``levels`` is the number K of coarser levels (each halving the side), or the sides of I_1 ... I_K
    (``[14, 8]`` for LAPGAN's CIFAR-10 pyramid 28 -> 14 -> 8).
    """
    if image.shape[-2] != image.shape[-1]:
        raise ValueError(f"square images only, got {tuple(image.shape[-2:])}")
    images = gaussian_pyramid(image, levels)  # I_{k+1} = d(I_k)
    bands = [fine - upsample(coarse, fine.shape[-2:]) for fine, coarse in zip(images, images[1:])]  # h_k
    return [*bands, images[-1]]


def reconstruct(pyramid: Sequence[torch.Tensor]) -> torch.Tensor:
    """I_0 from ``[h_0, ..., h_{K-1}, I_K]``: I_k = u(I_{k+1}) + h_k, coarse to fine."""
    *bands, image = pyramid
    for band in reversed(bands):
        image = upsample(image, band.shape[-2:]) + band
    return image


def gaussian_pyramid(image: torch.Tensor, levels: int | Sequence[int]) -> list[torch.Tensor]:
    """``[I_0, I_1, ..., I_K]``: the image at every level of :func:`laplacian_pyramid`, finest first."""
    sizes = level_sizes(image.shape[-1], levels)
    images = [image]
    for size in sizes[1:]:
        images.append(downsample(images[-1], size))
    return images


__all__ = [
    "upsample",
    "downsample",
    "bandpass",
    "level_sizes",
    "laplacian_pyramid",
    "reconstruct",
    "gaussian_pyramid",
]
