"""Images between numpy, where the data and the pictures live, and torch, where the networks run.

The data layer hands out ``(H, W)`` grey or ``(H, W, C)`` colour arrays in [0, 1], and batches of them
``(N, H, W[, C])``; networks take ``(N, C, H, W)`` tensors. :func:`to_tensor` and :func:`to_image` convert
one image (the Deep Image Prior's fits), :func:`to_nchw` a batch.
"""

from __future__ import annotations

import numpy as np
import torch


def to_nchw(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """(N, H, W) grey or (N, H, W, C) colour arrays, or (N, H, W) / (N, C, H, W) tensors, as an (N, C, H, W)
    float32 tensor on the CPU (values unchanged): arrays are channels-last, tensors channels-first."""
    if isinstance(images, np.ndarray) and images.ndim == 4:
        images = np.ascontiguousarray(images.transpose(0, 3, 1, 2))
    x = torch.as_tensor(images, dtype=torch.float32)
    if x.ndim not in (3, 4):
        raise ValueError(f"expected a batch of images, (N, H, W) or (N, H, W, C), got shape {tuple(x.shape)}")
    return x[:, None] if x.ndim == 3 else x


def to_tensor(image: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """``(H, W[, C])`` array to a ``(1, C, H, W)`` float tensor."""
    array = image[..., None] if image.ndim == 2 else image
    return torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1), dtype=np.float32))[None].to(device)


def to_image(tensor: torch.Tensor) -> np.ndarray:
    """``(1, C, H, W)`` tensor back to an ``(H, W[, C])`` float32 array clipped to [0, 1]."""
    array = tensor.detach().cpu().clamp(0, 1)[0].numpy().transpose(1, 2, 0)
    return array[..., 0] if array.shape[2] == 1 else array


__all__ = ["to_image", "to_nchw", "to_tensor"]
