"""benchmarks.speed_layer: the CPU speed layer that was tried for the DIP step and dropped from dipkit."""

from __future__ import annotations

import platform

import numpy as np
import pytest
import torch
from torch import nn

from benchmarks.speed_layer import PointwiseGEMM, WinogradConv3x3, accelerate, fast_path, keep_freed_memory, restore
from dipkit import convert, data, ops, repro
from dipkit.dip import FitResult, fit
from dipkit.nets.dip import noise_input, paper_skip_net, skip_net


def _run(iterations: int, size: int = 32, width: int = 8, fast: bool | str = False, **kwargs) -> FitResult:
    """The plain loop on a tiny net, under the speed layer's ``fast`` mode."""
    torch.manual_seed(0)
    net = skip_net(in_channels=4, channels_down=[width] * 2, channels_up=[width] * 2, channels_skip=[2] * 2)
    z = noise_input(4, size, size, generator=repro.generator(1))
    target = data.test_image("astronaut", size)
    with fast_path(net, fast):
        return fit(net, z, ops.Denoising(0.0), convert.to_tensor(target), iterations, reference=target,
                   generator=repro.generator(2), desc="test", **kwargs)


def test_fast_path_exact_is_bit_for_bit() -> None:
    for width in (8, 64):  # a narrow network, and one wide enough for Winograd
        fast = _run(12, size=32, width=width, input_noise_std=0.03, fast=True)
        plain = _run(12, size=32, width=width, input_noise_std=0.03, fast=False)
        assert fast.history == plain.history and np.array_equal(fast.average, plain.average)


def test_fast_path_winograd_follows_the_plain_run() -> None:
    fast = _run(6, size=32, width=64, input_noise_std=0.03, fast="winograd")
    plain = _run(6, size=32, width=64, input_noise_std=0.03, fast=False)
    assert fast.history != plain.history  # rounded differently...
    np.testing.assert_allclose(fast.history["loss"], plain.history["loss"], rtol=2e-2)  # ...but the same run
    assert max(abs(a - b) for a, b in zip(fast.history["average"], plain.history["average"])) < 0.01  # dB
    assert _run(6, size=32, width=8, fast="winograd").history == _run(6, size=32, width=8, fast=False).history
    with pytest.raises(ValueError, match="fast='turbo' is not supported"):
        _run(1, fast="turbo")


@pytest.mark.parametrize("pad", ["reflection", "zero"])
@pytest.mark.parametrize("size", [32, 30, 8])  # 30: not a multiple of 4, 8: too small; both fall back
def test_winograd_convolution_matches_the_direct_one(pad: str, size: int) -> None:
    torch.manual_seed(0)
    if pad == "reflection":  # how dipkit.nets.dip pads
        module: nn.Module = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(64, 64, 3))
    else:
        module = nn.Conv2d(64, 64, 3, padding=1)
    x = torch.randn(1, 64, size, size, requires_grad=True)
    reference = module(x)
    grads = torch.autograd.grad(reference.square().sum(), [x, *module.parameters()])
    holder = nn.Sequential(module)
    swaps = accelerate(holder, winograd=True)
    assert len(swaps) == 1 and isinstance(holder[0], WinogradConv3x3)
    y = holder(x)
    fast_grads = torch.autograd.grad(y.square().sum(), [x, *holder.parameters()])
    scale = reference.abs().max()
    assert (y - reference).abs().max() <= 1e-5 * scale
    for fast, slow in zip(fast_grads, grads):
        assert (fast - slow).abs().max() <= 1e-4 * slow.abs().max()
    if size != 32:  # the fallback is the convolution itself
        assert torch.equal(y, reference)
    restore(swaps)
    assert holder[0] is module


def test_accelerate_swaps_only_wide_layers_and_restores() -> None:
    quick = skip_net(in_channels=4, channels_down=[16] * 4, channels_up=[16] * 4, channels_skip=[2] * 4)
    narrow = {type(getattr(p, n)).__name__ for p, n, _ in accelerate(quick, winograd=True)}
    assert narrow == {"PointwiseGEMM"}  # the quick profile's width: no Winograd
    net = paper_skip_net()
    before = [(name, p) for name, p in net.named_parameters()]
    exact = accelerate(net)
    assert {type(getattr(parent, name)).__name__ for parent, name, _ in exact} == {"PointwiseGEMM"}
    restore(exact)
    swaps = accelerate(net, winograd=True)
    kinds = {type(getattr(parent, name)).__name__ for parent, name, _ in swaps}
    assert kinds == {"WinogradConv3x3", "PointwiseGEMM"}
    assert [p for _, p in net.named_parameters()] == [p for _, p in before]  # same objects, same order
    restore(swaps)
    assert [(name, p) for name, p in net.named_parameters()] == before


def test_pointwise_gemm_is_the_convolution_bit_for_bit() -> None:
    torch.manual_seed(0)
    for conv in (nn.Conv2d(64, 3, 1), nn.Conv2d(16, 4, 1, bias=False)):
        x = torch.randn(1, conv.in_channels, 12, 10, requires_grad=True)
        direct = conv(x)
        grads = torch.autograd.grad(direct.square().sum(), [x, *conv.parameters()])
        gemm = PointwiseGEMM(conv)(x)
        assert torch.equal(gemm, direct)
        assert all(
            torch.equal(a, b) for a, b in zip(torch.autograd.grad(gemm.square().sum(), [x, *conv.parameters()]), grads)
        )
    torch.testing.assert_close(PointwiseGEMM(conv)(x.repeat(2, 1, 1, 1)), conv(x.repeat(2, 1, 1, 1)))  # falls back


def test_fast_path_and_memory_context_are_reversible() -> None:
    net = skip_net(in_channels=4, channels_down=[64], channels_up=[64], channels_skip=[2])
    text = str(net)
    with fast_path(net) as rounded:
        assert not rounded and "PointwiseGEMM" in str(net) and "Winograd" not in str(net)
    with fast_path(net, "winograd") as rounded:
        assert rounded and "WinogradConv3x3" in str(net)
    assert str(net) == text
    with fast_path(net, False) as rounded:
        assert not rounded and str(net) == text
    with keep_freed_memory() as applied:
        assert applied == (platform.libc_ver()[0] == "glibc")  # it tunes glibc's malloc, and only that
