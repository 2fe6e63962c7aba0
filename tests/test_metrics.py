import numpy as np
import pytest

from dipkit import data, metrics


def test_psnr_of_known_mse():
    reference = np.zeros((16, 16, 3))
    image = reference + 0.1  # MSE = 0.01 -> 20 dB
    assert metrics.psnr(image, reference) == pytest.approx(20.0)


def test_ssim_is_one_for_identical_images_and_lower_for_noise():
    reference = data.test_image("astronaut", size=64)
    noisy = np.clip(reference + np.random.default_rng(0).normal(0, 0.1, reference.shape), 0, 1)
    assert metrics.ssim(reference, reference) == pytest.approx(1.0)
    assert metrics.ssim(noisy, reference) < 0.9
    assert metrics.ssim(reference[..., 0], reference[..., 0]) == pytest.approx(1.0)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="same shape"):
        metrics.psnr(np.zeros((4, 4)), np.zeros((4, 5)))


def test_rgb_to_y_follows_bt601():
    assert metrics.rgb_to_y(np.zeros((1, 1, 3)))[0, 0] == pytest.approx(16 / 255)
    assert metrics.rgb_to_y(np.ones((1, 1, 3)))[0, 0] == pytest.approx(235 / 255)
    primaries = np.eye(3)[None]  # pure red, green, blue: Y = 81, 145, 41 of 255 in BT.601 (MATLAB's rgb2ycbcr)
    np.testing.assert_array_equal(np.round(255 * metrics.rgb_to_y(primaries)[0]), [81, 145, 41])
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        metrics.rgb_to_y(np.zeros((4, 4)))


def test_defined_region_finds_the_non_zero_box():
    image = np.zeros((10, 12, 3))
    image[2:7, 3:11] = 0.5
    assert metrics.defined_region(image) == (slice(2, 7), slice(3, 11))
    with pytest.raises(ValueError, match="all zeros"):
        metrics.defined_region(np.zeros((4, 4, 3)))


def test_sr_psnr_ignores_the_border():
    reference = np.full((20, 20, 3), 0.5)
    image = reference + 0.01  # a small error everywhere: Y error 0.01 * 219/255
    image[:4] = 0.0  # and a large one on the 4-pixel border only
    expected = -20 * np.log10(0.01 * 219 / 255)
    assert metrics.sr_psnr(image, reference, border=4) == pytest.approx(expected)
    assert metrics.sr_psnr(image, reference, border=0) < expected - 10


SET5 = ["baby", "bird", "butterfly", "head", "woman"]


@pytest.mark.parametrize(
    ("method", "paper_db"), [("bicubic", 28.43), ("deep_prior", 29.90), ("SRResNet-MSE", 32.10)]
)
def test_set5_x4_table_of_the_dip_paper(method, paper_db):
    """Recompute the DIP paper's Set5 4x column from the authors' released images (Table 1 of the paper)."""
    scores = []
    for name in SET5:
        reference = data.benchmark_image(f"SR/Set5/x4/{name}_GT.png")
        result = data.benchmark_image(f"SR/Set5/x4/{name}_{method}.png")
        region = metrics.defined_region(data.benchmark_image(f"SR/Set5/x4/{name}_deep_prior.png"))
        scores.append(metrics.sr_psnr(result, reference, border=4, region=region))
    assert abs(np.mean(scores) - paper_db) <= 0.02


def test_sr_ssim_scores_luma_inside_the_border():
    reference = data.test_image("astronaut", size=64)
    damaged = reference.copy()
    damaged[:4] = 0.0
    assert metrics.sr_ssim(damaged, reference, border=4) == pytest.approx(1.0)
    assert metrics.sr_ssim(damaged, reference, border=0) < 0.99
    noisy = np.clip(reference + np.random.default_rng(1).normal(0, 0.05, reference.shape), 0, 1)
    y_noisy, y_ref = metrics.rgb_to_y(noisy)[4:-4, 4:-4], metrics.rgb_to_y(reference)[4:-4, 4:-4]
    assert metrics.sr_ssim(noisy, reference) == pytest.approx(metrics.ssim(y_noisy, y_ref))


def test_high_band_keeps_fine_detail_and_drops_smooth_shading():
    rows, cols = np.mgrid[0:32, 0:32]
    smooth = np.repeat((0.5 + 0.2 * np.sin(2 * np.pi * cols / 32))[..., None], 3, axis=2)  # 1/32 cycles/pixel
    fine = smooth + np.repeat((0.1 * np.sin(2 * np.pi * 0.4 * rows))[..., None], 3, axis=2)  # 0.4 cycles/pixel
    assert (metrics.high_band(smooth, 0.25) ** 2).sum() < 1e-4 * (metrics.high_band(fine, 0.25) ** 2).sum()
    assert metrics.high_band(fine, 0.25, border=4).shape == (24, 24)
    with pytest.raises(ValueError, match="cutoff"):
        metrics.high_band(fine, 0.5)


@pytest.mark.parametrize("axis", [0, 1], ids=["rows", "columns"])
def test_high_band_is_the_windowed_fine_detail_along_either_axis(axis):
    """Above the cutoff along rows or along columns, whichever: what comes back is the fine pattern itself
    (0.4 cycles/pixel, its luma 219/255 of its grey level), Hann-windowed; the smooth shading is gone."""
    rows, cols = np.mgrid[0:32, 0:32]
    smooth = 0.5 + 0.2 * np.sin(2 * np.pi * (cols if axis == 0 else rows) / 32)
    detail = 0.1 * np.sin(2 * np.pi * 0.4 * (rows if axis == 0 else cols))
    image = np.repeat((smooth + detail)[..., None], 3, axis=2)
    window = np.outer(np.hanning(32), np.hanning(32))
    np.testing.assert_allclose(metrics.high_band(image, 0.25), 219 / 255 * detail * window, atol=2e-3)
