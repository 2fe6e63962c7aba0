"""dipkit.convert: numpy images and batches to torch tensors and back."""

import numpy as np
import pytest
import torch

from dipkit import convert, data


def test_tensor_round_trip():
    image = data.test_image("chelsea", size=32)
    tensor = convert.to_tensor(image)
    assert tensor.shape == (1, 3, 32, 32)
    np.testing.assert_array_equal(convert.to_image(tensor), image)
    assert convert.to_image(torch.full((1, 1, 4, 4), 2.0)).max() == 1.0


def test_to_nchw_reads_arrays_channels_last_and_tensors_channels_first():
    colour = np.arange(2 * 3 * 4 * 3, dtype=np.float64).reshape(2, 3, 4, 3)
    x = convert.to_nchw(colour)
    assert x.shape == (2, 3, 3, 4) and x.dtype == torch.float32 and x[1, 2, 0, 3] == colour[1, 0, 3, 2]
    assert convert.to_nchw(colour[..., 0]).shape == (2, 1, 3, 4)  # grey
    assert torch.equal(convert.to_nchw(x), x)  # a tensor is already channels-first
    assert convert.to_nchw(torch.zeros(2, 3, 4)).shape == (2, 1, 3, 4)
    with pytest.raises(ValueError, match=r"\(N, H, W\) or \(N, H, W, C\), got shape \(3, 4\)"):
        convert.to_nchw(np.zeros((3, 4)))


def test_to_nchw_signed_maps_unit_range_to_tanh_range_and_keeps_the_arrays_memory():
    photos = np.random.default_rng(0).random((2, 5, 6, 3), dtype=np.float32)
    x = convert.to_nchw(photos)
    assert x.is_contiguous(memory_format=torch.channels_last)  # a view of the array, not a copy
    assert x.data_ptr() == photos.ctypes.data
    signed = convert.to_nchw(np.array([[[0.0, 0.5, 1.0]]], dtype=np.float32), signed=True)
    assert signed.flatten().tolist() == [-1.0, 0.0, 1.0]


def test_one_hot_gives_one_plane_per_class_and_refuses_what_is_not_a_label_map():
    labels = np.array([[[0, 2], [1, 2]]], dtype=np.int64)
    planes = convert.one_hot(labels, 3)
    assert planes.shape == (1, 3, 2, 2) and planes.dtype == torch.float32
    assert torch.equal(planes.argmax(1), torch.from_numpy(labels)) and torch.all(planes.sum(1) == 1)
    with pytest.raises(ValueError, match=r"must lie in range\(2\), got 0\.\.2"):
        convert.one_hot(labels, 2)
    with pytest.raises(ValueError, match=r"\(N, H, W\) int64 label maps, got \(1, 2, 2\) torch.float32"):
        convert.one_hot(labels.astype(np.float32), 3)


def test_to_images_is_the_inverse_of_to_nchw_and_clips():
    photos = np.random.default_rng(1).random((2, 4, 4, 3), dtype=np.float32)
    np.testing.assert_array_equal(convert.to_images(convert.to_nchw(photos)), photos)
    np.testing.assert_allclose(convert.to_images(convert.to_nchw(photos, signed=True), signed=True), photos, atol=1e-7)
    grey = convert.to_images(torch.tensor([[[[-3.0, 0.0], [0.5, 3.0]]]]), signed=True)
    assert grey.shape == (1, 2, 2) and grey.tolist() == [[[0.0, 0.5], [0.75, 1.0]]]  # one channel dropped, clipped
    assert convert.to_images(torch.zeros(2, 3, 3, 4, 5)).shape == (2, 3, 4, 5, 3)  # (N, k, C, H, W): k draws each
