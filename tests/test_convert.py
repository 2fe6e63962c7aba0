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
