import matplotlib.pyplot as plt
import numpy as np
import pytest

from dipkit import data, plot


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_grid_lays_out_rows_and_hides_spare_axes():
    images = [data.test_image("camera", size=16)] * 5
    figure = plot.grid(images, [f"#{i}" for i in range(5)], columns=3)
    axes = figure.axes
    assert len(axes) == 6
    assert [ax.get_title() for ax in axes[:5]] == ["#0", "#1", "#2", "#3", "#4"]
    assert not axes[5].axison


def test_grid_checks_its_inputs():
    with pytest.raises(ValueError, match="at least one image"):
        plot.grid([])
    with pytest.raises(ValueError, match="2 images but 1 titles"):
        plot.grid([np.zeros((4, 4))] * 2, ["a"])


def test_compare_puts_metrics_in_titles():
    clean = data.test_image("astronaut", size=32)
    noisy = np.clip(clean + 0.1, 0, 1)
    figure = plot.compare({"clean": clean, "noisy": noisy}, reference=clean)
    titles = [ax.get_title() for ax in figure.axes]
    assert titles[0] == "clean"
    name, scores = titles[1].split("\n")
    assert name == "noisy" and scores.endswith("SSIM") and " dB / " in scores


def test_curves_accepts_ys_and_xy_pairs():
    figure = plot.curves({"a": [1, 2, 3], "b": ([0, 10], [3, 1])}, ylabel="loss", logy=True, markers={"stop": (10, 1)})
    ax = figure.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["a", "b", "stop"]
    assert ax.get_yscale() == "log"
    np.testing.assert_array_equal(ax.get_lines()[1].get_xdata(), [0, 10])


def test_tile_places_each_image_in_its_cell():
    images = np.stack([np.full((2, 3), i / 10, dtype=np.float32) for i in range(5)])
    canvas = plot.tile(images, columns=3, gap=1, background=1.0)
    assert canvas.shape == (2 * 2 + 1, 3 * 3 + 2)
    assert np.all(canvas[0:2, 4:7] == np.float32(0.1)) and np.all(canvas[3:5, 4:7] == np.float32(0.4))
    assert np.all(canvas[2, :] == 1.0) and np.all(canvas[3:5, 8:11] == 1.0)  # the gap row and the empty cell
    with pytest.raises(ValueError, match=r"shape \(N, H, W\)"):
        plot.tile(images.reshape(5, 6))


def test_moving_average_is_the_windowed_mean():
    np.testing.assert_allclose(plot.moving_average([1, 2, 3, 4, 5], window=2), [1.5, 2.5, 3.5, 4.5])
    np.testing.assert_allclose(plot.moving_average([1, 2, 3], window=50), [2.0])  # a short curve: one mean of all


def test_stopping_marks_stop_and_peak() -> None:
    iterations = list(range(0, 100, 10))
    psnr = [20, 24, 27, 29, 30, 29.5, 29, 28, 27, 26]
    variances = [(it, 1.0 / (1 + abs(it - 50))) for it in iterations[2:]]
    figure = plot.stopping(iterations, psnr, variances, stop=50, title="t")
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
def test_stopping_bad_inputs(kwargs: dict, message: str) -> None:
    arguments = {"iterations": [0, 10], "psnr": [1.0, 2.0], "variances": [(10, 0.1)], "stop": 10, **kwargs}
    with pytest.raises(ValueError, match=message):
        plot.stopping(**arguments)
