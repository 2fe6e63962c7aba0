"""ES-WMV early stopping (dipkit.stopping) on trajectories whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dipkit.stopping import WindowedVarianceStopper, replay


def _dip_like_trajectory(t0: int, steps: int, seed: int) -> list[np.ndarray]:
    """Outputs that converge to a clean image until t0, then fit growing noise (DIP's overfitting)."""
    rng = np.random.default_rng(seed)
    clean = rng.random((3, 16, 16))
    direction = rng.standard_normal(clean.shape)
    outputs = []
    for t in range(steps):
        approach = max(0.0, (t0 - t) / t0) ** 2  # smooth convergence, zero speed at t0
        sigma = 0.002 + 0.001 * max(0, t - t0)  # noise fitting grows after t0
        outputs.append(clean + approach * direction + sigma * rng.standard_normal(clean.shape))
    return outputs


@pytest.mark.parametrize("t0,seed", [(300, 0), (500, 1)])
def test_detects_turning_point(t0: int, seed: int) -> None:
    window = 50
    outputs = _dip_like_trajectory(t0, 1500, seed)
    found = replay(outputs, list(range(len(outputs))), window=window, patience=200)[0]
    # Window-end convention: the minimum window ends at or just after t0; allow half a window.
    assert abs(found - t0) <= window // 2, found


def test_variance_matches_bruteforce_and_torch_input() -> None:
    rng = np.random.default_rng(3)
    outputs = [rng.random((2, 5, 7)) * (1 + 0.1 * t) for t in range(40)]
    stopper = WindowedVarianceStopper(window=6, patience=1000)
    for t, x in enumerate(outputs):
        stopper.update(torch.from_numpy(x), iteration=10 * t)
    assert len(stopper.variances) == 40 - 6 + 1
    for k, (it, var) in enumerate(stopper.variances):
        stack = np.stack(outputs[k : k + 6]).astype(np.float32)
        expected = np.var(stack, axis=0).mean()  # per-pixel variance across the window, averaged
        assert it == 10 * (k + 5)  # attributed to the window end
        assert var == pytest.approx(expected, rel=1e-5)


def test_patience_counts_updates_after_last_minimum() -> None:
    # Window 2 on scalars: VAR_t = (x_t - x_{t-1})^2 / 4, so steps fix the variance curve.
    steps = [5, 4, 3, 2, 1, 2, 3, 4, 5, 6, 7]
    xs = np.concatenate([[0.0], np.cumsum(steps)])
    stopper = WindowedVarianceStopper(window=2, patience=3)
    fired = [stopper.update(np.array([x]), iteration=t) for t, x in enumerate(xs)]
    # Minimum step (1) is between iterations 4 and 5 -> best window ends at 5; fire 3 updates later.
    assert stopper.best_iteration == 5
    assert fired.index(True) == 8
    assert not any(fired[:8])
    np.testing.assert_allclose(stopper.variances[4][1], 0.25)
    assert replay(list(xs[:, None]), list(range(len(xs))), window=2, patience=3)[0] == 5


def test_no_stop_while_improving_and_best_output() -> None:
    stopper = WindowedVarianceStopper(window=3, patience=1)
    fired = [stopper.update(np.full(4, 0.5 ** t), iteration=t) for t in range(20)]
    assert not any(fired)
    assert stopper.best_iteration == 19
    np.testing.assert_allclose(stopper.best_output, np.full(4, 0.5 ** 19), rtol=1e-6)


@pytest.mark.parametrize("kwargs,accepted", [({"window": 1}, "window >= 2"), ({"patience": 0}, "patience >= 1")])
def test_bad_arguments(kwargs: dict, accepted: str) -> None:
    with pytest.raises(ValueError, match=accepted):
        WindowedVarianceStopper(**kwargs)


def test_bad_inputs() -> None:
    stopper = WindowedVarianceStopper(window=2)
    stopper.update(np.zeros(3), 5)
    with pytest.raises(ValueError, match="increase"):
        stopper.update(np.zeros(3), 5)
    with pytest.raises(ValueError, match="shape"):
        stopper.update(np.zeros(4), 6)
    with pytest.raises(ValueError, match="at least window"):
        replay([np.zeros(3)] * 3, [0, 1, 2], window=4, patience=1)


def test_replay_keeps_the_stop_at_firing_and_the_whole_variance_curve() -> None:
    # as above: the smallest step ends at iteration 5 and the rule fires 3 updates later; then a smaller
    # step (iteration 12) makes a new minimum, which the replay must not take as its stop
    xs = np.concatenate([[0.0], np.cumsum([5, 4, 3, 2, 1, 2, 3, 4, 5, 6, 7, 0.5])])
    stop, stopper = replay(list(xs[:, None]), list(range(len(xs))), window=2, patience=3)
    assert stop == 5
    assert stopper.best_iteration == 12 and len(stopper.variances) == len(xs) - 1  # every window, to the end
