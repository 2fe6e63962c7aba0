"""Image quality metrics, and the super-resolution papers' PSNR protocol.

PSNR and SSIM are scikit-image's; this module only fixes the conventions the papers use
(images in [0, 1], SSIM over colour channels) and adds the SR protocol: PSNR on the luma (Y)
channel of ITU-R BT.601, on the region where every method's output is defined, with a border
cropped, as in the DIP paper's Set5/Set14 table.
"""

from __future__ import annotations

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def _check_pair(image: np.ndarray, reference: np.ndarray) -> None:
    if image.shape != reference.shape:
        raise ValueError(f"image {image.shape} and reference {reference.shape} must have the same shape")


def psnr(image: np.ndarray, reference: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB of ``image`` against ``reference``, both in [0, 1]."""
    _check_pair(image, reference)
    return float(peak_signal_noise_ratio(reference.astype(np.float64), image.astype(np.float64), data_range=1.0))


def ssim(image: np.ndarray, reference: np.ndarray) -> float:
    """Structural similarity (Wang et al. 2004, scikit-image's defaults) of two images in [0, 1]."""
    _check_pair(image, reference)
    channel_axis = -1 if image.ndim == 3 else None
    return float(
        structural_similarity(
            reference.astype(np.float64), image.astype(np.float64), data_range=1.0, channel_axis=channel_axis
        )
    )


def rgb_to_y(image: np.ndarray) -> np.ndarray:
    """Luma of ITU-R BT.601 on [0, 1] inputs: Y = (16 + 65.481 R + 128.553 G + 24.966 B) / 255 (MATLAB's rgb2ycbcr)."""
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"rgb_to_y needs an (H, W, 3) RGB image, got shape {image.shape}")
    image = image.astype(np.float64)
    return (16.0 + 65.481 * image[..., 0] + 128.553 * image[..., 1] + 24.966 * image[..., 2]) / 255.0


def defined_region(image: np.ndarray) -> tuple[slice, slice]:
    """Bounding box of the non-zero pixels: where a zero-padded result (like the released DIP ones) is defined."""
    rows, cols = np.nonzero(image.reshape(image.shape[0], image.shape[1], -1).sum(axis=2) > 0)
    if rows.size == 0:
        raise ValueError("the image is all zeros: no defined region")
    return slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1)


def _sr_luma(
    image: np.ndarray, reference: np.ndarray, border: int, region: tuple[slice, slice] | None
) -> tuple[np.ndarray, np.ndarray]:
    """The Y channels the SR protocol scores: inside ``region``, ``border`` pixels cropped."""
    _check_pair(image, reference)
    rows, cols = region or (slice(None), slice(None))
    crop = (slice(border, -border or None), slice(border, -border or None))
    y_image = rgb_to_y(image)[rows, cols][crop]
    if y_image.size == 0:
        raise ValueError(f"a {border}-pixel border leaves nothing of a {image.shape[:2]} region")
    return y_image, rgb_to_y(reference)[rows, cols][crop]


def sr_psnr(
    image: np.ndarray, reference: np.ndarray, border: int = 4, region: tuple[slice, slice] | None = None
) -> float:
    """The SR papers' PSNR: Y channel, restricted to ``region`` (default: whole image), ``border`` pixels cropped."""
    return psnr(*_sr_luma(image, reference, border, region))


def sr_ssim(
    image: np.ndarray, reference: np.ndarray, border: int = 4, region: tuple[slice, slice] | None = None
) -> float:
    """SSIM under the same protocol as :func:`sr_psnr` (SRGAN's Table 2 reports both on Y)."""
    return ssim(*_sr_luma(image, reference, border, region))


def high_band(image: np.ndarray, cutoff: float, border: int = 0) -> np.ndarray:
    """The luma's content above ``cutoff`` cycles per pixel (in either direction), from a Hann-windowed FFT.

    Its energy, relative to the reference's, says how much fine detail (texture, sharp edges) an image
    has: a pixel-loss regressor that averages its candidates has little, a GAN's output about as much as a
    photo. ``border`` pixels are cropped first; the window keeps the image's edges out of the spectrum.
    """
    if not 0 < cutoff < 0.5:
        raise ValueError(f"cutoff must lie between 0 and the Nyquist frequency 0.5, got {cutoff}")
    y = rgb_to_y(image)
    y = y[border:-border, border:-border] if border else y
    h, w = y.shape
    spectrum = np.fft.fft2((y - y.mean()) * np.outer(np.hanning(h), np.hanning(w)))
    band = np.maximum(np.abs(np.fft.fftfreq(h))[:, None], np.abs(np.fft.fftfreq(w))[None, :]) > cutoff
    return np.real(np.fft.ifft2(spectrum * band))
