"""A CPU speed layer for the Deep Image Prior step: tried, measured, and dropped from dipkit.

Chapter 02 reports what this bought (``benchmarks/results/cpu_epyc_2core.json``): 1.09x for the
bit-exact part, 1.7x-2x for Winograd at the price of rounding that DIP's optimisation amplifies. The
method (early stopping) bought more, so ``dipkit.dip.fit`` is the plain loop and this layer lives
here, where ``benchmarks.dip_speed`` can still measure it:

* :class:`PointwiseGEMM`: a 1x1 convolution of a batch of one as one matrix product (bit for bit);
* :class:`WinogradConv3x3`: 3x3 convolutions with Winograd's F(4x4, 3x3) (rounded differently);
* :func:`keep_freed_memory`: glibc's malloc keeps freed memory (through ctypes) while inside;
* :func:`fast_path`: all of it around a network, undone on exit.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn

# Winograd's minimal filtering F(4x4, 3x3) (Lavin & Gray 2016), interpolation points 0, 1, -1, 2, -2, inf:
# a 4x4 output tile of a 3x3 correlation is Y = A^T [(G g G^T) * (B^T d B)] A for the 6x6 input tile d,
# 36 multiplications instead of 144.
_BT = [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
       [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]]
_G = [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
      [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]]
_AT = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]]


def _kron(matrix: list[list[float]]) -> torch.Tensor:
    m = torch.tensor(matrix, dtype=torch.float64)
    return torch.kron(m, m).float()  # vec(M X M^T) = (M kron M) vec(X), row-major vec


_KB, _KG, _KA = _kron(_BT), _kron(_G), _kron(_AT)  # (36, 36), (36, 9), (16, 36)
_KB_FILTERS = _KB.view(36, 1, 6, 6).contiguous()  # the input transform as 36 6x6 filters of stride 4
_KA_FILTERS = _KA.t().reshape(36, 1, 4, 4).contiguous()  # the transposed output transform, 36 4x4 filters


class _Winograd(torch.autograd.Function):
    """3x3 correlation plus bias of a padded ``(1, C, H+2, W+2)`` float32 input, H and W multiples of 4.

    Forward: V = the input tiles in the Winograd domain (C, 36, T), U = the filters (36, O, C),
    M = U @ V for each of the 36 frequencies (the batched GEMM doing nearly all the work), Y = the
    output transform of M. Backward: the same pieces transposed, one more batched GEMM per gradient.
    """

    @staticmethod
    def forward(ctx, padded: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        _, channels, height_p, width_p = padded.shape
        out_channels = weight.shape[0]
        rows, cols = (height_p - 2) // 4, (width_p - 2) // 4
        v = F.conv2d(padded.view(channels, 1, height_p, width_p), _KB_FILTERS, stride=4).view(channels, 36, -1)
        u = (_KG @ weight.reshape(out_channels * channels, 9).t()).view(36, out_channels, channels)
        m = torch.bmm(u, v.transpose(0, 1))  # (36, O, T)
        tiles = (_KA @ m.view(36, -1)).view(4, 4, out_channels, rows, cols).permute(2, 3, 0, 4, 1)
        y = torch.empty(out_channels, rows, 4, cols, 4, dtype=padded.dtype)
        if bias is None:
            y.copy_(tiles)
        else:
            torch.add(tiles, bias.view(-1, 1, 1, 1, 1), out=y)
        ctx.save_for_backward(v, u)
        ctx.shape = (channels, out_channels, height_p, width_p)
        ctx.has_bias = bias is not None
        return y.view(1, out_channels, 4 * rows, 4 * cols)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor, torch.Tensor | None]:
        v, u = ctx.saved_tensors
        channels, out_channels, height_p, width_p = ctx.shape
        grad = grad.contiguous()
        grad_m = F.conv2d(grad.view(out_channels, 1, height_p - 2, width_p - 2), _KA_FILTERS, stride=4)
        grad_m = grad_m.view(out_channels, 36, -1).transpose(0, 1)  # (36, O, T)
        grad_u = torch.bmm(grad_m, v.permute(1, 2, 0))  # (36, O, C)
        grad_weight = (_KG.t() @ grad_u.reshape(36, -1)).t().reshape(out_channels, channels, 3, 3)
        grad_bias = grad.sum(dim=(0, 2, 3)) if ctx.has_bias else None
        grad_input = None
        if ctx.needs_input_grad[0]:
            grad_v = torch.bmm(u.transpose(1, 2), grad_m)  # (36, C, T)
            grad_tiles = torch.matmul(_KB.t(), grad_v.transpose(0, 1))  # (C, 36, T)
            grad_input = F.fold(grad_tiles.reshape(1, channels * 36, -1), (height_p, width_p), 6, stride=4)
        return grad_input, grad_weight, grad_bias


class WinogradConv3x3(nn.Module):
    """A drop-in for ``pad -> Conv2d(3x3, stride 1)`` computing the convolution with Winograd's F(4x4, 3x3).

    It holds the original padding and convolution modules (so the parameters are the same objects)
    and falls back to them whenever Winograd does not pay or does not apply: not float32 on the
    CPU, a batch of more than one, a side under ``min_size`` or not a multiple of 4.
    """

    def __init__(self, pad: nn.Module, conv: nn.Module, min_size: int = 16) -> None:
        super().__init__()
        self.pad, self.conv, self.min_size = pad, conv, min_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        weight = self.conv.weight
        if (x.device.type != "cpu" or x.dtype != torch.float32 or weight.dtype != torch.float32 or x.shape[0] != 1
                or height % 4 or width % 4 or min(height, width) < self.min_size):
            return self.conv(self.pad(x))
        return _Winograd.apply(self.pad(x), weight, self.conv.bias)


class _Unpadded(nn.Module):
    """A zero-padded Conv2d without its padding (the same weight and bias objects)."""

    def __init__(self, conv: nn.Conv2d) -> None:
        super().__init__()
        self.weight, self.bias = conv.weight, conv.bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight, self.bias)


class PointwiseGEMM(nn.Module):
    """A 1x1 convolution of a batch of one as one matrix product, W (O x C) @ x (C x HW) (+ bias).

    The same GEMM as the convolution's own on the CPU, so the same result bit for bit (forward and
    backward), without the convolution's bookkeeping, which costs more than the product for thin
    outputs (the 3-channel image layer, the 4-channel skips). Other batch sizes and devices fall
    back to the convolution.
    """

    def __init__(self, conv: nn.Conv2d) -> None:
        super().__init__()
        self.conv = conv

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[0] != 1 or x.device.type != "cpu":
            return self.conv(x)
        channels, height, width = x.shape[1:]
        weight = self.conv.weight.view(-1, channels)
        flat = x.reshape(channels, height * width)
        y = weight @ flat if self.conv.bias is None else torch.addmm(self.conv.bias.view(-1, 1), weight, flat)
        return y.view(1, -1, height, width)


def _is_3x3(conv: nn.Module, padding: tuple[int, int], min_channels: int) -> bool:
    return (isinstance(conv, nn.Conv2d) and conv.kernel_size == (3, 3) and conv.stride == (1, 1)
            and conv.dilation == (1, 1) and conv.groups == 1 and conv.padding == padding
            and conv.padding_mode == "zeros" and min(conv.in_channels, conv.out_channels) >= min_channels)


def _is_1x1(conv: nn.Module) -> bool:
    return (isinstance(conv, nn.Conv2d) and conv.kernel_size == (1, 1) and conv.stride == (1, 1)
            and conv.padding == (0, 0) and conv.dilation == (1, 1) and conv.groups == 1)


def accelerate(net: nn.Module, winograd: bool = False, min_channels: int = 64,
               min_size: int = 16) -> list[tuple[nn.Module, str, nn.Module]]:
    """Swap layers of ``net`` for faster equivalents, in place; returns the swaps for :func:`restore`.

    * every ``Conv2d(1x1)``: :class:`PointwiseGEMM`, the same arithmetic bit for bit;
    * with ``winograd=True``, ``Sequential(ReflectionPad2d(1), Conv2d(3x3, stride 1))`` (the DIP nets'
      reflection padding) or ``Conv2d(3x3, stride 1, padding 1)`` with at least ``min_channels``
      channels in and out: :class:`WinogradConv3x3` (narrower layers are faster as they are).

    The parameters stay the same objects, in the same order.
    """
    swaps = []
    for parent in list(net.modules()):
        for name, child in list(parent.named_children()):
            if (winograd and isinstance(child, nn.Sequential) and len(child) == 2
                    and isinstance(child[0], nn.ReflectionPad2d) and tuple(child[0].padding) == (1, 1, 1, 1)
                    and _is_3x3(child[1], (0, 0), min_channels)):
                swap: nn.Module = WinogradConv3x3(child[0], child[1], min_size)
            elif winograd and _is_3x3(child, (1, 1), min_channels):
                swap = WinogradConv3x3(nn.ZeroPad2d(1), _Unpadded(child), min_size)
            elif _is_1x1(child):
                swap = PointwiseGEMM(child)
            else:
                continue
            setattr(parent, name, swap)
            swaps.append((parent, name, child))
    return swaps


def restore(swaps: list[tuple[nn.Module, str, nn.Module]]) -> None:
    """Undo :func:`accelerate`: put the original modules back."""
    for parent, name, child in reversed(swaps):
        setattr(parent, name, child)


_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD, _M_MMAP_MAX = -1, -2, -3, -4


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:  # not glibc (macOS, Windows, musl): nothing to tune
        return None


@contextlib.contextmanager
def keep_freed_memory() -> Iterator[bool]:
    """While inside, glibc's malloc keeps freed memory instead of returning it to the system.

    Every step of a DIP run allocates and frees the same large activation buffers. By default glibc
    hands blocks over 32 MB (and the top of its heap) back to the kernel at once, so the next step
    gets fresh pages and pays a page fault per 4 KB on first touch: up to a third of a step of the
    paper's network at 256x256. Inside this context they are reused. Yields whether it applied
    (glibc only); on exit the usual thresholds come back and the kept memory is released.
    """
    libc = _libc()
    if libc is None:
        yield False
        return
    libc.mallopt(_M_MMAP_MAX, 0)  # no mmap'd blocks: everything from the heap
    libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30)  # never shrink the heap (below 1 GB free at its top)
    libc.mallopt(_M_TOP_PAD, 64 << 20)
    try:
        yield True
    finally:
        # glibc's defaults once its dynamic threshold has grown (blocks up to 32 MB from the heap)
        libc.mallopt(_M_MMAP_MAX, 65536)
        libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20)
        libc.mallopt(_M_TRIM_THRESHOLD, 64 << 20)
        libc.mallopt(_M_TOP_PAD, 128 << 10)
        libc.malloc_trim(0)


FAST_MODES = ("exact", "winograd")


@contextlib.contextmanager
def fast_path(net: nn.Module, mode: bool | str = "exact") -> Iterator[bool]:
    """Run ``net`` faster inside the context, with the same parameters and the same method.

    On the CPU, ``"exact"`` (or True) takes only what keeps every bit of the run:
    :func:`keep_freed_memory` and 1x1 convolutions as matrix products (:func:`accelerate`).
    ``"winograd"`` also computes the 3x3 convolutions with at least 64 channels in and out with
    Winograd's algorithm (the quick profile's narrow networks keep theirs): faster, but rounded
    differently. Yields whether Winograd layers were swapped in (then the caller may also take Adam's
    fused kernel, which rounds differently too). False, None or "off": nothing. On a GPU nothing
    changes (cuDNN already picks Winograd or FFT kernels). Everything is undone on exit.
    """
    mode = "exact" if mode is True else mode or "off"
    if mode not in (*FAST_MODES, "off"):
        raise ValueError(f"fast={mode!r} is not supported; accepted: True, False, {', '.join(map(repr, FAST_MODES))}")
    on_cpu = next(net.parameters()).device.type == "cpu"
    if mode == "off" or not on_cpu:
        yield False
        return
    swaps = accelerate(net, winograd=mode == "winograd")
    try:
        with keep_freed_memory():
            yield any(isinstance(getattr(parent, name), WinogradConv3x3) for parent, name, _ in swaps)
    finally:
        restore(swaps)
