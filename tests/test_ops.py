import numpy as np
import pytest
import torch

from dipkit import ops
from dipkit.repro import generator


def image(size=32, seed=0):
    return torch.rand((1, 3, size, size), generator=generator(seed))


def test_denoising_noise_has_the_stated_sigma_on_the_255_scale():
    """3M draws pin the std to about 0.01 of 25: sigma on the 0-255 scale is told from a /256 slip (24.90)."""
    x = torch.full((1, 3, 1024, 1024), 0.5)
    y = ops.Denoising(sigma=25).measure(x, generator(0))
    assert abs((y - x).std().item() * 255 - 25) < 0.05
    assert torch.equal(ops.Denoising(25)(x), x)  # T itself is the identity


def test_measure_is_reproducible_with_a_seeded_generator_and_clipped():
    x = image()
    a = ops.Denoising(50).measure(x, generator(1))
    assert torch.equal(a, ops.Denoising(50).measure(x, generator(1)))
    assert a.min() >= 0 and a.max() <= 1


def test_negative_sigma_is_refused():
    with pytest.raises(ValueError, match="sigma must be >= 0"):
        ops.Denoising(-1)


def test_bernoulli_mask_drops_the_asked_fraction():
    mask = ops.bernoulli_mask(128, 128, drop=0.5, generator=generator(0))
    assert mask.shape == (1, 1, 128, 128)
    assert set(mask.unique().tolist()) == {0.0, 1.0}
    assert abs(mask.mean().item() - 0.5) < 0.02
    with pytest.raises(ValueError, match=r"drop must be in \[0, 1\)"):
        ops.bernoulli_mask(8, 8, drop=1.0)


def test_inpainting_zeroes_the_lost_pixels_only():
    x = image()
    mask = ops.bernoulli_mask(32, 32, generator=generator(2))
    y = ops.Inpainting(mask)(x)
    assert torch.equal(y[:, :, mask[0, 0] == 1], x[:, :, mask[0, 0] == 1])
    assert (y[:, :, mask[0, 0] == 0] == 0).all()
    with pytest.raises(ValueError, match="mask is"):
        ops.Inpainting(mask)(image(16))
    with pytest.raises(ValueError, match=r"shape \(1, 1, H, W\)"):
        ops.Inpainting(mask[0])


def test_text_mask_hides_a_band_of_glyphs():
    mask = ops.text_mask(128, 128)
    hidden = 1 - mask.mean().item()
    assert 0.03 < hidden < 0.4  # text covers a visible but minor part of the image
    rows_hit = (mask[0, 0] == 0).any(dim=1).float().mean().item()
    assert rows_hit > 0.3  # written in several rows, not one line


def test_lanczos_kernel_is_normalised_symmetric_and_negative_lobed():
    taps = ops.lanczos_kernel(4)
    assert taps.numel() == 16
    assert torch.isclose(taps.sum(), torch.tensor(1.0))
    assert torch.allclose(taps, taps.flip(0))
    assert taps.min() < 0  # Lanczos has negative side lobes, unlike a box or Gaussian


def test_downsampling_shape_constant_preservation_and_gradients():
    down = ops.Downsampling(4)
    assert down(image(64)).shape == (1, 3, 16, 16)
    constant = torch.full((1, 3, 64, 64), 0.3)
    assert torch.allclose(down(constant), constant[..., :16, :16])
    x = image(32).requires_grad_()
    down(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def along(values: torch.Tensor, axis: int) -> torch.Tensor:
    """The ``(1, 1, n, n)`` float64 image whose columns (``axis=-1``) or rows (``axis=-2``) take the n ``values``."""
    grid = values[None, :] if axis == -1 else values[:, None]
    return grid.to(torch.float64).expand(len(values), len(values))[None, None]


@pytest.mark.parametrize("kernel", ops.DOWNSAMPLING_KERNELS)
@pytest.mark.parametrize("factor", [2, 3, 4, 5, 8])
@pytest.mark.parametrize("axis", [-1, -2], ids=["columns", "rows"])
def test_downsampling_puts_each_low_res_pixel_at_the_centre_of_its_block(kernel, factor, axis):
    """Low-res pixel i stands for high-res pixels factor*i .. factor*i + factor - 1, so a linear ramp lands on
    the block's centre, factor*i + (factor - 1)/2 (a symmetric kernel of sum 1 keeps a ramp's value at its
    centre), away from the replicated borders (2 low-res pixels: Lanczos-2's reach). A kernel off by one pixel
    either way moves every value by 1."""
    low = ops.Downsampling(factor, kernel=kernel)(along(torch.arange(16 * factor), axis))
    assert low.shape[-2:] == (16, 16)
    centres = along(factor * torch.arange(16) + (factor - 1) / 2, axis)
    torch.testing.assert_close(low[..., 2:-2, 2:-2], centres[..., 2:-2, 2:-2], rtol=0, atol=1e-4)


def test_downsampling_removes_frequencies_it_cannot_represent():
    """A checkerboard (Nyquist frequency) must not alias into the low-resolution image."""
    yy, xx = torch.meshgrid(torch.arange(64), torch.arange(64), indexing="ij")
    checker = ((yy + xx) % 2).float()[None, None].expand(1, 3, 64, 64)
    low = ops.Downsampling(4)(checker)
    assert low[..., 2:-2, 2:-2].std() < 1e-3 and abs(low.mean().item() - 0.5) < 1e-3
    naive = checker[..., ::4, ::4]
    assert naive.mean() == 0.0  # plain subsampling aliases it to a constant 0


def test_downsampling_rejects_bad_factors_and_sizes():
    with pytest.raises(ValueError, match="integer >= 2"):
        ops.Downsampling(1)
    with pytest.raises(ValueError, match="divisible by the factor 4"):
        ops.Downsampling(4)(image(30))


def test_upsample_methods_and_errors():
    low = np.random.default_rng(0).random((8, 8, 3)).astype(np.float32)
    for method in ("bicubic", "lanczos", "nearest"):
        assert ops.upscale(low, 4, method).shape == (32, 32, 3)
    np.testing.assert_array_equal(ops.upscale(low, 2, "nearest")[::2, ::2], low)
    assert ops.upscale(low[..., 0], 2).shape == (16, 16)
    with pytest.raises(ValueError, match="accepted: bicubic, lanczos, nearest"):
        ops.upscale(low, 2, "magic")


@pytest.mark.parametrize("kernel", ops.DOWNSAMPLING_KERNELS)
def test_both_downsampling_kernels_keep_constants_and_remove_the_checkerboard(kernel):
    down = ops.Downsampling(4, kernel=kernel)
    assert torch.allclose(down(torch.full((1, 3, 32, 32), 0.3)), torch.full((1, 3, 8, 8), 0.3), atol=1e-6)
    yy, xx = torch.meshgrid(torch.arange(64), torch.arange(64), indexing="ij")
    low = down(((yy + xx) % 2).float()[None, None])
    assert low[..., 2:-2, 2:-2].std() < 1e-3 and abs(low.mean().item() - 0.5) < 1e-2
    with pytest.raises(ValueError, match="accepted: lanczos2, bicubic"):
        ops.Downsampling(4, kernel="box")


def test_operators_are_modules_whose_masks_and_kernels_are_buffers():
    mask = ops.bernoulli_mask(16, 16, generator=generator(0))
    inpaint, down = ops.Inpainting(mask), ops.Downsampling(4)
    assert isinstance(inpaint, torch.nn.Module) and list(inpaint.parameters()) == []
    assert set(inpaint.state_dict()) == {"mask"} and set(down.state_dict()) == {"weight"}
    assert inpaint.to(torch.float64).mask.dtype == torch.float64  # .to() moves and casts the buffers once
    assert repr(ops.Inpainting(mask.float())) == f"Inpainting(kept={mask.mean().item():.0%}, sigma=0)"
    assert repr(ops.Downsampling(4, 5.0)) == "Downsampling(factor=4, kernel=lanczos2, sigma=5)"


def test_quantized_measurement_is_an_8_bit_image():
    """Saved as 8 bits, each value goes to its nearest level, never more than half a level away (not floored)."""
    y = ops.Downsampling(2, kernel="bicubic", quantize=True).measure(image(16))
    assert torch.equal(y, (y * 255).round() / 255) and y.shape == (1, 3, 8, 8)
    exact = ops.Downsampling(2, kernel="bicubic").measure(image(16))
    assert not torch.equal(y, exact)
    assert (y - exact).abs().max() <= 0.5 / 255 + 1e-7
