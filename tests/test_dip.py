"""dipkit.dip: the threshold-crossing count and the early-stopping figure."""

from __future__ import annotations

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
