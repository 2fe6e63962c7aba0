"""Images between numpy, where the data and the pictures live, and torch, where the networks run.

The data layer hands out ``(H, W)`` grey or ``(H, W, C)`` colour arrays in [0, 1], batches of them
``(N, H, W[, C])``, and label maps ``(N, H, W)`` of class indices; networks take ``(N, C, H, W)`` tensors,
in [0, 1] or, for a generator ending in tanh, in [-1, 1] (``signed``). One image: :func:`to_tensor` and
:func:`to_image` (the Deep Image Prior's fits); a batch: :func:`to_nchw` and :func:`to_images`; a label map:
:func:`one_hot`.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def to_nchw(
    images: np.ndarray | torch.Tensor, device: torch.device | str = "cpu", signed: bool = False
) -> torch.Tensor:
    """(N, H, W) grey or (N, H, W, C) colour arrays, or (N, H, W) / (N, C, H, W) tensors, as an (N, C, H, W)
    float32 tensor: arrays are channels-last, tensors channels-first. ``signed`` maps [0, 1] to [-1, 1].

    A colour array becomes a view with channels-last strides, not a copy; convolutions accept either, but
    round them differently in the last bit, so every chapter and score takes its batches from here."""
    x = torch.as_tensor(images, dtype=torch.float32)
    if x.ndim not in (3, 4):
        raise ValueError(f"expected a batch of images, (N, H, W) or (N, H, W, C), got shape {tuple(x.shape)}")
    if isinstance(images, np.ndarray) and x.ndim == 4:
        x = x.permute(0, 3, 1, 2)
    x = (x[:, None] if x.ndim == 3 else x).to(device)
    return x * 2 - 1 if signed else x


def one_hot(labels: np.ndarray | torch.Tensor, classes: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """(N, H, W) class indices in ``range(classes)`` as (N, classes, H, W) float planes, 1 where a pixel has
    that class: how a label map enters a network (pix2pix, CRN)."""
    labels = torch.as_tensor(labels)
    if labels.dtype != torch.int64 or labels.ndim != 3:
        raise ValueError(f"expected (N, H, W) int64 label maps, got {tuple(labels.shape)} {labels.dtype}")
    if labels.numel() and not 0 <= int(labels.min()) <= int(labels.max()) < classes:
        raise ValueError(f"label values must lie in range({classes}), got {int(labels.min())}..{int(labels.max())}")
    return F.one_hot(labels, classes).permute(0, 3, 1, 2).float().to(device)


def to_images(x: torch.Tensor, signed: bool = False) -> np.ndarray:
    """(..., C, H, W) tensor, in [0, 1] or (``signed``) [-1, 1], back to (..., H, W, C) float32 arrays in
    [0, 1] on the CPU, clipped; one channel is dropped, (..., H, W), as the data layer's grey images."""
    x = x.detach().float().cpu()
    x = (x.clamp(-1, 1) + 1) / 2 if signed else x.clamp(0, 1)
    array = x.movedim(-3, -1).numpy()
    return array[..., 0] if array.shape[-1] == 1 else array


def to_tensor(image: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """``(H, W[, C])`` array to a ``(1, C, H, W)`` float tensor."""
    array = image[..., None] if image.ndim == 2 else image
    return torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1), dtype=np.float32))[None].to(device)


def to_image(tensor: torch.Tensor) -> np.ndarray:
    """``(1, C, H, W)`` tensor back to an ``(H, W[, C])`` float32 array clipped to [0, 1]."""
    array = tensor.detach().cpu().clamp(0, 1)[0].numpy().transpose(1, 2, 0)
    return array[..., 0] if array.shape[2] == 1 else array


__all__ = ["one_hot", "to_image", "to_images", "to_nchw", "to_tensor"]
