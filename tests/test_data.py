import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from dipkit import data

MIRROR = Path(os.environ["DIPKIT_DATA"])  # the local copy of the DIP release (conftest.py defaults it to ../shared)


def test_test_image_is_float_in_unit_range():
    image = data.test_image("astronaut")
    assert image.shape == (512, 512, 3) and image.dtype == np.float32
    assert 0.0 <= image.min() and image.max() <= 1.0


def test_square_crop_resizes_grey_and_colour():
    assert data.test_image("coffee", size=64).shape == (64, 64, 3)
    assert data.test_image("camera", size=48).shape == (48, 48)


def test_unknown_test_image_lists_the_names():
    with pytest.raises(ValueError, match="accepted: astronaut, camera"):
        data.test_image("lena")


def test_tensor_round_trip():
    image = data.test_image("chelsea", size=32)
    tensor = data.to_tensor(image)
    assert tensor.shape == (1, 3, 32, 32)
    np.testing.assert_array_equal(data.to_image(tensor), image)
    assert data.to_image(torch.full((1, 1, 4, 4), 2.0)).max() == 1.0


def test_registry_lists_the_release_without_lena():
    files = data.benchmark_files()
    assert len(files) == 172
    assert len(data.benchmark_files("SR/Set5/x4/")) == 20
    assert not [f for f in files if "len" in f.lower()]


def test_benchmark_from_mirror_is_checked(monkeypatch):
    monkeypatch.setenv("DIPKIT_DATA", str(MIRROR))
    path = data.benchmark_path("SR/Set5/x4/baby_GT.png")
    assert path == MIRROR / "SR/Set5/x4/baby_GT.png"
    assert data.benchmark_image("SR/Set5/x4/baby_GT.png").shape == (512, 512, 3)


def test_unknown_benchmark_file_is_refused(monkeypatch):
    monkeypatch.setenv("DIPKIT_DATA", str(MIRROR))
    with pytest.raises(ValueError, match="not in the DIP release registry"):
        data.benchmark_path("SR/Set5/x4/lena_GT.png")


def test_corrupt_mirror_file_is_refused(monkeypatch, tmp_path):
    name = "SR/Set5/x4/bird_GT.png"
    corrupt = tmp_path / name
    corrupt.parent.mkdir(parents=True)
    shutil.copy(MIRROR / name, corrupt)
    with corrupt.open("ab") as handle:
        handle.write(b"x")
    monkeypatch.setenv("DIPKIT_DATA", str(tmp_path))
    with pytest.raises(data.DataUnavailableError, match="is corrupt"):
        data.benchmark_path(name)


def test_missing_mirror_file_names_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("DIPKIT_DATA", str(tmp_path))
    with pytest.raises(data.DataUnavailableError, match="DIPKIT_DATA"):
        data.benchmark_path("SR/Set5/x4/bird_GT.png")


def test_offline_without_mirror_names_the_variable(monkeypatch, tmp_path):
    """No mirror, empty cache and no network: the error says to set DIPKIT_DATA."""
    import requests

    def no_network(*args, **kwargs):
        raise requests.exceptions.ConnectionError("network is unreachable")

    monkeypatch.delenv("DIPKIT_DATA", raising=False)
    monkeypatch.setenv("DIPKIT_CACHE", str(tmp_path))
    monkeypatch.setattr(requests, "get", no_network)
    with pytest.raises(data.DataUnavailableError, match="offline machines set DIPKIT_DATA"):
        data.benchmark_path("SR/Set5/x4/bird_GT.png")


def test_cached_download_is_used_and_verified(monkeypatch, tmp_path):
    """A file already in pooch's cache with the right hash is served without any network."""
    import requests

    monkeypatch.setattr(requests, "get", lambda *a, **k: pytest.fail("no download expected"))
    name = "SR/Set5/x4/bird_GT.png"
    cached = tmp_path / "dip-release" / name
    cached.parent.mkdir(parents=True)
    shutil.copy(MIRROR / name, cached)
    monkeypatch.delenv("DIPKIT_DATA", raising=False)
    monkeypatch.setenv("DIPKIT_CACHE", str(tmp_path))
    path = data.benchmark_path(name)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == hashlib.sha256((MIRROR / name).read_bytes()).hexdigest()


def test_corrupt_download_is_refused(monkeypatch, tmp_path):
    import requests

    class FakeResponse:
        headers = {"content-length": "9"}

        def raise_for_status(self):
            pass

        def iter_content(self, chunk_size=1024):
            yield b"not a png"

    monkeypatch.delenv("DIPKIT_DATA", raising=False)
    monkeypatch.setenv("DIPKIT_CACHE", str(tmp_path))
    monkeypatch.setattr(requests, "get", lambda *a, **k: FakeResponse())
    with pytest.raises(data.DataUnavailableError, match="corrupt and was refused"):
        data.benchmark_path("SR/Set5/x4/bird_GT.png")
    assert not (tmp_path / "dip-release" / "SR/Set5/x4/bird_GT.png").exists()


def test_digits_split_is_fixed_disjoint_and_complete():
    train_x, train_y = data.digits("train")
    test_x, test_y = data.digits("test")
    all_x, _ = data.digits()
    assert train_x.shape[1:] == (8, 8) and train_x.dtype == np.float32
    assert len(train_x) + len(test_x) == len(all_x) == 1797
    assert len(test_x) == 359 and 0.0 == all_x.min() and all_x.max() == 1.0
    assert set(test_y) == set(range(10))
    np.testing.assert_array_equal(data.digits("test")[0], test_x)
    train_rows = {row.tobytes() for row in data.digits("train", seed=0)[0]}
    assert sum(row.tobytes() in train_rows for row in test_x) < 5  # only exact duplicate drawings overlap
    with pytest.raises(ValueError, match="accepted: train, test, all"):
        data.digits("validation")


def test_faces_are_the_face_half_of_lfw_subset():
    crops = data.faces()
    assert crops.shape == (100, 25, 25) and crops.dtype == np.float32
    assert len(data.faces("train")) == 80 and len(data.faces("test")) == 20


def test_mnist_is_read_from_the_mirror_only(monkeypatch, tmp_path):
    monkeypatch.setenv("DIPKIT_DATA", str(tmp_path))
    with pytest.raises(data.DataUnavailableError, match="MNIST is not in DIPKIT_DATA="):
        data.mnist()


def test_mnist_from_a_local_copy(monkeypatch, tmp_path):
    """A tiny copy in torchvision's raw layout (IDX files) is read back exactly."""
    import gzip
    import struct

    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    labels = np.array([3, 7], dtype=np.uint8)
    for prefix in ("train", "t10k"):
        with gzip.open(raw / f"{prefix}-images-idx3-ubyte.gz", "wb") as handle:
            handle.write(struct.pack(">IIII", 2051, 2, 28, 28) + images.tobytes())
        with gzip.open(raw / f"{prefix}-labels-idx1-ubyte.gz", "wb") as handle:
            handle.write(struct.pack(">II", 2049, 2) + labels.tobytes())
    for prefix in ("train", "t10k"):  # torchvision reads the unpacked files
        for kind in ("images-idx3", "labels-idx1"):
            packed = raw / f"{prefix}-{kind}-ubyte.gz"
            (raw / packed.stem).write_bytes(gzip.decompress(packed.read_bytes()))
    monkeypatch.setenv("DIPKIT_DATA", str(tmp_path))
    (train_x, train_y), (test_x, test_y) = data.mnist()
    assert train_x.shape == (2, 28, 28) and train_x.dtype == np.float32
    np.testing.assert_allclose(train_x, images / 255.0, atol=1e-7)
    assert train_y.tolist() == test_y.tolist() == [3, 7]


def test_labelled_digits_falls_back_to_digits_without_mnist(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DIPKIT_DATA", str(tmp_path))
    used, (train_x, train_y, test_x, test_y) = data.labelled_digits("mnist")
    assert used == "digits" and "MNIST is not in DIPKIT_DATA" in capsys.readouterr().out
    assert train_x.shape[1:] == (8, 8) and len(train_x) == len(train_y) and len(test_x) == len(test_y)
    assert np.array_equal(train_x, data.digits("train")[0])
    with pytest.raises(ValueError, match="accepted: digits, mnist"):
        data.labelled_digits("cifar")
