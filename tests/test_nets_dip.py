"""Deep Image Prior skip network (dipkit.nets.dip): shapes, range, size, determinism, validation."""

from __future__ import annotations

import pytest
import torch

from dipkit.nets import count_parameters
from dipkit.nets.dip import noise_input, paper_skip_net, skip_net, uniform_skip_net

torch.set_num_threads(1)


def _expected_skip_params(c_in: int, down: list[int], up: list[int], skip: list[int], out: int) -> int:
    """Parameter count from the layer list in the supplementary material (k_d = k_u = 3, k_s = 1).

    conv(a->b, k): a*b*k*k + b; BatchNorm(c): 2c.
    """
    conv = lambda a, b, k: a * b * k * k + b  # noqa: E731
    bn = lambda c: 2 * c  # noqa: E731
    total, d = 0, c_in
    for i in range(len(down)):
        deeper_out = up[i + 1] if i + 1 < len(down) else down[i]
        cat = skip[i] + deeper_out
        total += conv(d, skip[i], 1) + bn(skip[i]) if skip[i] else 0  # skip branch
        total += conv(d, down[i], 3) + bn(down[i]) + conv(down[i], down[i], 3) + bn(down[i])  # down
        total += bn(cat) + conv(cat, up[i], 3) + bn(up[i]) + conv(up[i], up[i], 1) + bn(up[i])  # up
        d = down[i]
    return total + conv(up[0], out, 1)


def _small_net(**kwargs) -> torch.nn.Module:
    args = dict(in_channels=4, channels_down=(8,) * 5, channels_up=(8,) * 5, channels_skip=(2,) * 5)
    args.update(kwargs)
    return skip_net(**args)


def test_paper_parameter_count() -> None:
    n = count_parameters(paper_skip_net())
    print(f"paper skip net parameters: {n}")
    assert 2.1e6 < n < 2.3e6
    assert n == _expected_skip_params(32, [128] * 5, [128] * 5, [4] * 5, 3) == 2_217_831
    assert count_parameters(uniform_skip_net(8, 16, 4, 4, out_channels=1)) == _expected_skip_params(
        8, [16] * 4, [16] * 4, [4] * 4, 1
    )


@pytest.mark.parametrize("pad", ["reflection", "zero"])
@pytest.mark.parametrize("upsample", ["bilinear", "nearest"])
def test_small_net_parameter_count(pad: str, upsample: str) -> None:
    net = skip_net(in_channels=3, out_channels=1, channels_down=(8, 16, 16), channels_up=(8, 12, 16),
                   channels_skip=(4, 0, 2), pad=pad, upsample=upsample)
    assert count_parameters(net) == _expected_skip_params(3, [8, 16, 16], [8, 12, 16], [4, 0, 2], 1)


@pytest.mark.parametrize("size", [(64, 64), (48, 40), (37, 53)])
def test_output_keeps_input_size_and_range(size: tuple[int, int]) -> None:
    torch.manual_seed(0)
    net = paper_skip_net() if size == (64, 64) else _small_net()
    z = noise_input(32 if size == (64, 64) else 4, *size)
    with torch.no_grad():
        y = net(z)
    assert y.shape == (1, 3, *size)
    assert (y > 0).all() and (y < 1).all()


def test_no_sigmoid_leaves_range_free() -> None:
    torch.manual_seed(0)
    with torch.no_grad():
        y = _small_net(sigmoid=False)(torch.randn(1, 4, 64, 64) * 10)
    assert y.min() < 0 or y.max() > 1


def test_deterministic_with_seed() -> None:
    previous = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        outs = []
        for _ in range(2):
            torch.manual_seed(0)
            net = _small_net()
            z = noise_input(4, 64, 64, generator=torch.Generator().manual_seed(1))
            outs.append(net(z).detach())
        torch.manual_seed(1)
        other = _small_net()(z).detach()
    finally:
        torch.use_deterministic_algorithms(previous)
    assert torch.equal(outs[0], outs[1])
    assert not torch.equal(outs[0], other)


def test_noise_input_distribution() -> None:
    z = noise_input(32, 64, 64, generator=torch.Generator().manual_seed(0))
    assert z.shape == (1, 32, 64, 64)
    assert z.min() >= 0 and z.max() <= 0.1
    assert z.mean().item() == pytest.approx(0.05, abs=1e-3)


@pytest.mark.parametrize(
    "kwargs,accepted",
    [
        ({"upsample": "bicubic"}, "'bilinear', 'nearest'"),
        ({"pad": "replicate"}, "'reflection', 'zero'"),
        ({"channels_up": (8,) * 4}, "equal length"),
        ({"kernel_up": 2}, "odd"),
    ],
)
def test_bad_arguments(kwargs: dict, accepted: str) -> None:
    with pytest.raises(ValueError, match=accepted):
        _small_net(**kwargs)


@pytest.mark.slow
def test_one_paper_step_at_the_paper_size() -> None:
    """What the paper profile's smoke check (tests/paper_smoke.yaml) cuts: one Adam step of the paper's 2.2 M
    network on a 512x512 image (Set5's baby) through the 4x super-resolution operator, as chapters 01-02 run it."""
    from dipkit import dip, ops

    net, z, perturbation = dip.start(0, 512, 512, 32, 128, 5, 4)
    low = torch.rand(1, 3, 128, 128, generator=torch.Generator().manual_seed(1))
    result = dip.fit(net, z, ops.Downsampling(4), low, 1, input_noise_std=0.03, generator=perturbation, desc="paper")
    assert result.steps == 1 and result.output.shape == (512, 512, 3)
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in net.parameters())
