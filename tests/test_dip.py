"""dipkit.dip: the DIP loop (fit), its start-up protocol and the output average."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from dipkit import convert, data, ops, repro
from dipkit.dip import FitResult, OutputAverager, fit, start
from dipkit.nets.dip import noise_input, skip_net


def _tiny(width: int = 8, levels: int = 2, in_channels: int = 4) -> nn.Module:
    return skip_net(in_channels=in_channels, channels_down=[width] * levels, channels_up=[width] * levels,
                         channels_skip=[2] * levels)


def _run(iterations: int = 40, size: int = 16, width: int = 8, levels: int = 2, **kwargs) -> FitResult:
    torch.manual_seed(0)
    net = _tiny(width, levels)
    z = noise_input(4, size, size, generator=repro.generator(1))
    target = data.test_image("astronaut", size)
    kwargs.setdefault("reference", target)
    return fit(net, z, ops.Denoising(0.0), convert.to_tensor(target), iterations, generator=repro.generator(2),
               desc="test", **kwargs)


def test_fit_fits_a_tiny_target() -> None:
    result = _run(60)
    loss, output = result.history["loss"], result.history["output"]
    assert len(loss) == len(output) == len(result.history["average"]) == 60 == result.steps
    assert loss[-1] < loss[0] / 4  # the network fits the image
    assert output[-1] > output[0] + 3  # and its PSNR against it rises
    assert result.best["score"] == max(result.history["average"])
    assert result.history["average"][result.best["iteration"]] == result.best["score"]
    assert result.output.shape == result.average.shape == (16, 16, 3)
    assert result.stop is None and result.fired_at is None and result.seconds > 0


def test_fit_without_reference_records_only_the_loss() -> None:
    result = _run(5, reference=None)
    assert len(result.history["loss"]) == 5
    assert result.history["output"] == result.history["average"] == [] and result.best == {"score": -math.inf}


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


def test_start_is_seeded_and_keeps_its_streams_apart() -> None:
    first, second = start(3, 20, 24, 4, 8, 2, 2), start(3, 20, 24, 4, 8, 2, 2)
    assert torch.equal(first.z, second.z) and first.z.shape == (1, 4, 20, 24)
    assert 0 <= first.z.min() <= first.z.max() < 0.1
    for a, b in zip(first.net.parameters(), second.net.parameters()):
        assert torch.equal(a, b)
    assert torch.equal(torch.randn(5, generator=first.perturbation), torch.randn(5, generator=second.perturbation))
    other = start(4, 20, 24, 4, 8, 2, 2)
    assert not torch.equal(first.z, other.z)
    assert not torch.equal(next(first.net.parameters()), next(other.net.parameters()))
    assert start(3, 20, 24, 4, 8, 2, 2, out_channels=1).net(first.z).shape == (1, 1, 20, 24)


def test_output_averager() -> None:
    avg = OutputAverager(decay=0.5)
    assert torch.equal(avg.update(torch.tensor([1.0])), torch.tensor([1.0]))  # starts at first output
    assert torch.equal(avg.update(torch.tensor([3.0])), torch.tensor([2.0]))  # 0.5*1 + 0.5*3
    assert torch.equal(avg.update(torch.tensor([0.0])), torch.tensor([1.0]))  # 0.5*2 + 0.5*0
    x = torch.ones(2, requires_grad=True)
    assert not OutputAverager().update(x * 2).requires_grad
    with pytest.raises(ValueError, match="0 <= decay < 1"):
        OutputAverager(decay=1.0)


def _averages(decay: float, outputs: list[float]) -> list[float]:
    """What OutputAverager(decay) returns after each of ``outputs``, in float64."""
    averager = OutputAverager(decay)
    return [averager.update(torch.tensor([x], dtype=torch.float64)).item() for x in outputs]


def test_output_averager_keeps_decay_of_the_average_and_takes_the_rest_from_the_new_output():
    """decay 0.9 after 1 then 3: 0.9 * 1 + 0.1 * 3 = 1.2 (with the weights swapped, 2.8; at decay 0.5, where
    test_output_averager works, a swap does not show)."""
    assert _averages(0.9, [1.0, 3.0]) == pytest.approx([1.0, 1.2], abs=1e-12)


@pytest.mark.parametrize("decay", [0.0, 0.3, 0.9, 0.99])
def test_output_averager_is_the_closed_form_exponential_average(decay):
    """avg_t = decay^t x_0 + sum_{k=1..t} (1 - decay) decay^(t-k) x_k, written out, not the code's recursion."""
    outputs = [1.0, 3.0, -2.0, 5.0, 0.5, 4.0, -1.0]
    expected = [decay**t * outputs[0] + sum((1 - decay) * decay ** (t - k) * outputs[k] for k in range(1, t + 1))
                for t in range(len(outputs))]
    assert _averages(decay, outputs) == pytest.approx(expected, abs=1e-12)


class _CrashingOperator(ops.Denoising):
    """The denoising operator, but the process "dies" (raises) on its ``crash_at``-th call: a killed run."""

    def __init__(self, crash_at: int) -> None:
        super().__init__(0.0)
        self.calls, self.crash_at = 0, crash_at

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.calls == self.crash_at:
            raise KeyboardInterrupt("killed")
        return super().forward(x)


def _resumable(op, checkpoint, iterations: int = 30):
    from dipkit.stopping import WindowedVarianceStopper

    torch.manual_seed(0)
    net = _tiny()
    z = noise_input(4, 16, 16, generator=repro.generator(1))
    target = data.test_image("astronaut", 16)
    return fit(net, z, op, convert.to_tensor(target), iterations, input_noise_std=0.05, reference=target,
               stopper=WindowedVarianceStopper(window=4, patience=50), generator=repro.generator(2),
               checkpoint=checkpoint, checkpoint_every=7, desc="test")


def test_fit_killed_and_resumed_gives_the_uninterrupted_run(tmp_path) -> None:
    whole = _resumable(ops.Denoising(0.0), None)
    path = tmp_path / "run.pt"
    with pytest.raises(KeyboardInterrupt):
        _resumable(_CrashingOperator(crash_at=19), path)  # killed in step 19: steps 15-18 are lost
    assert torch.load(path, weights_only=False)["run"]["steps"] == 14  # the last save, every 7 steps
    resumed = _resumable(ops.Denoising(0.0), path)  # a fresh process: new net, new generator, same command
    assert resumed.steps == whole.steps == 30
    assert resumed.history == whole.history  # every loss and PSNR, bit for bit
    assert np.array_equal(resumed.output, whole.output) and np.array_equal(resumed.average, whole.average)
    assert (resumed.stop, resumed.fired_at) == (whole.stop, whole.fired_at) and resumed.stop is not None
    assert resumed.best["iteration"] == whole.best["iteration"]
    again = _resumable(ops.Denoising(0.0), path)  # a finished run started again takes no step
    assert again.history == whole.history and np.array_equal(again.average, whole.average)


def test_fit_refuses_the_checkpoint_of_another_run(tmp_path) -> None:
    path = tmp_path / "run.pt"
    _run(3, checkpoint=path)
    saved = path.read_bytes()
    torch.manual_seed(0)
    other_z = noise_input(4, 16, 16, generator=repro.generator(5))
    target = data.test_image("astronaut", 16)
    with pytest.raises(ValueError, match="belongs to another run .*z differs"):
        fit(_tiny(), other_z, ops.Denoising(0.0), convert.to_tensor(target), 3, checkpoint=path)
    assert path.read_bytes() == saved  # refused, not overwritten
