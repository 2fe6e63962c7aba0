"""dipkit.dip: the DIP loop (fit), its fast path, the threshold-crossing count and the early-stopping figure."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dipkit.dip import first_below, stopping_figure  # noqa: E402


def test_first_below_counts_steps() -> None:
    assert first_below([0.5, 0.3, 0.1, 0.05], 0.2) == 3  # the third value is the first below
    assert first_below([0.1], 0.2) == 1
    assert first_below(np.array([0.5, 0.4]), 0.2) is None
    assert first_below([0.2, 0.2], 0.2) is None  # strictly below


def test_stopping_figure_marks_stop_and_peak() -> None:
    iterations = list(range(0, 100, 10))
    psnr = [20, 24, 27, 29, 30, 29.5, 29, 28, 27, 26]
    variances = [(it, 1.0 / (1 + abs(it - 50))) for it in iterations[2:]]
    figure = stopping_figure(iterations, psnr, variances, stop=50, title="t")
    ax, right = figure.axes
    labels = ax.get_legend_handles_labels()[1]
    assert "ES-WMV stop: 50 (29.50 dB)" in labels
    assert "true peak: 40 (30.00 dB)" in labels
    assert right.get_yscale() == "log"
    assert len(ax.get_legend().get_texts()) == 4  # PSNR, stop, peak and the variance from the right axis
    plt.close(figure)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"psnr": [1.0]}, "one PSNR per iteration"),
        ({"stop": 5}, "not one of the iterations"),
        ({"variances": []}, "no variances"),
    ],
)
def test_stopping_figure_bad_inputs(kwargs: dict, message: str) -> None:
    arguments = {"iterations": [0, 10], "psnr": [1.0, 2.0], "variances": [(10, 0.1)], "stop": 10, **kwargs}
    with pytest.raises(ValueError, match=message):
        stopping_figure(**arguments)


# --- dipkit.dip.fit: the DIP loop -------------------------------------------------------------

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from dipkit import data, nets, ops, repro  # noqa: E402
from dipkit.dip import (  # noqa: E402
    FitResult,
    PointwiseGEMM,
    WinogradConv3x3,
    accelerate,
    fast_path,
    fit,
    keep_freed_memory,
    restore,
)


def _tiny(width: int = 8, levels: int = 2, in_channels: int = 4) -> nn.Module:
    return nets.skip_net(in_channels=in_channels, channels_down=[width] * levels, channels_up=[width] * levels,
                         channels_skip=[2] * levels)


def _run(iterations: int = 40, size: int = 16, width: int = 8, levels: int = 2, **kwargs) -> FitResult:
    torch.manual_seed(0)
    net = _tiny(width, levels)
    z = nets.noise_input(4, size, size, generator=repro.generator(1))
    target = data.test_image("astronaut", size)
    kwargs.setdefault("reference", target)
    return fit(net, z, ops.Denoising(0.0), data.to_tensor(target), iterations, generator=repro.generator(2),
               desc="test", **kwargs)


def test_fit_fits_a_tiny_target() -> None:
    result = _run(60)
    loss, output = result.history["loss"], result.history["output"]
    assert len(loss) == len(output) == len(result.history["average"]) == 60 == result.steps
    assert loss[-1] < loss[0] / 4  # the network fits the image
    assert output[-1] > output[0] + 3  # and its PSNR against it rises
    assert result.best["psnr"] == max(result.history["average"])
    assert result.history["average"][result.best["iteration"]] == result.best["psnr"]
    assert result.output.shape == result.average.shape == (16, 16, 3)
    assert result.stop is None and result.fired_at is None and result.seconds > 0


def test_fit_without_reference_records_only_the_loss() -> None:
    result = _run(5, reference=None)
    assert len(result.history["loss"]) == 5
    assert result.history["output"] == result.history["average"] == [] and result.best == {"psnr": -math.inf}


class _Stopper:
    """Fires at iteration ``fire`` and claims ``best`` as its stop; records what it saw."""

    def __init__(self, fire: int | None, best: int = 3) -> None:
        self.fire, self.best_iteration, self.seen = fire, best, []

    def update(self, output: torch.Tensor, iteration: int) -> bool:
        self.seen.append((tuple(output.shape), iteration))
        return self.fire is not None and iteration >= self.fire


def test_fit_stopper_wiring() -> None:
    stopper = _Stopper(fire=5)
    result = _run(12, stopper=stopper)
    assert (result.stop, result.fired_at, result.steps) == (3, 5, 12)  # fires, records, runs on
    assert [it for _, it in stopper.seen] == list(range(12)) and stopper.seen[0][0] == (1, 3, 16, 16)
    halted = _run(12, stopper=_Stopper(fire=5), halt=True)
    assert (halted.stop, halted.fired_at, halted.steps, len(halted.history["loss"])) == (3, 5, 6, 6)
    never = _run(8, stopper=_Stopper(fire=None, best=6))
    assert (never.stop, never.fired_at) == (6, None)  # never fired: the minimum so far


def test_fit_is_deterministic_and_input_noise_matters() -> None:
    first, second = _run(15, input_noise_std=0.05), _run(15, input_noise_std=0.05)
    assert first.history == second.history
    assert np.array_equal(first.average, second.average)
    assert _run(15).history["loss"] != first.history["loss"]


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
    narrow = {type(getattr(p, n)).__name__ for p, n, _ in accelerate(_tiny(16, 4), winograd=True)}
    assert narrow == {"PointwiseGEMM"}  # the quick profile's width: no Winograd
    net = nets.paper_skip_net()
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
        assert all(torch.equal(a, b) for a, b in zip(torch.autograd.grad(gemm.square().sum(), [x, *conv.parameters()]), grads))
    torch.testing.assert_close(PointwiseGEMM(conv)(x.repeat(2, 1, 1, 1)), conv(x.repeat(2, 1, 1, 1)))  # falls back


def test_fast_path_and_memory_context_are_reversible() -> None:
    net = nets.skip_net(in_channels=4, channels_down=[64], channels_up=[64], channels_skip=[2])
    text = str(net)
    with fast_path(net) as rounded:
        assert not rounded and "PointwiseGEMM" in str(net) and "Winograd" not in str(net)
    with fast_path(net, "winograd") as rounded:
        assert rounded and "WinogradConv3x3" in str(net)
    assert str(net) == text
    with fast_path(net, False) as rounded:
        assert not rounded and str(net) == text
    with keep_freed_memory() as applied:
        assert isinstance(applied, bool)
        assert F.relu(torch.ones(3)).sum() == 3
