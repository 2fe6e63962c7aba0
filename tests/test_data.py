import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dipkit import data, datasets, generated

MIRROR = Path(os.environ["DIPKIT_DATA"]) / "dip-release"  # the DIP release (conftest.py: ../shared/data)


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


def test_registry_lists_the_release_without_lena():
    files = data.benchmark_files()
    assert len(files) == 172
    assert len(data.benchmark_files("SR/Set5/x4/")) == 20
    assert not [f for f in files if "len" in f.lower()]


def test_benchmark_from_mirror_is_checked(monkeypatch):
    monkeypatch.setenv("DIPKIT_DATA", str(MIRROR.parent))
    path = data.benchmark_path("SR/Set5/x4/baby_GT.png")
    assert path == MIRROR / "SR/Set5/x4/baby_GT.png"
    assert data.benchmark_image("SR/Set5/x4/baby_GT.png").shape == (512, 512, 3)


def test_unknown_benchmark_file_is_refused(monkeypatch):
    monkeypatch.setenv("DIPKIT_DATA", str(MIRROR.parent))
    with pytest.raises(ValueError, match="not in the DIP release registry"):
        data.benchmark_path("SR/Set5/x4/lena_GT.png")


def test_corrupt_mirror_file_is_refused(monkeypatch, tmp_path):
    name = "SR/Set5/x4/bird_GT.png"
    corrupt = tmp_path / "dip-release" / name
    corrupt.parent.mkdir(parents=True)
    shutil.copy(MIRROR / name, corrupt)
    with corrupt.open("ab") as handle:
        handle.write(b"x")
    monkeypatch.setenv("DIPKIT_DATA", str(tmp_path))
    with pytest.raises(data.DataUnavailableError, match="is corrupt"):
        data.benchmark_path(name)


def test_missing_mirror_file_names_the_variable(monkeypatch, tmp_path):
    (tmp_path / "dip-release").mkdir()
    monkeypatch.setenv("DIPKIT_DATA", str(tmp_path))
    with pytest.raises(data.DataUnavailableError, match="DIPKIT_DATA/dip-release does not hold SR/Set5/x4/"):
        data.benchmark_path("SR/Set5/x4/bird_GT.png")


def test_missing_mirror_folder_is_an_error_not_a_download(monkeypatch, tmp_path):
    import requests

    monkeypatch.setattr(requests, "get", lambda *a, **k: pytest.fail("no download expected"))
    monkeypatch.setenv("DIPKIT_DATA", str(tmp_path))
    with pytest.raises(data.DataUnavailableError, match="'dip-release' is not at .*dip-release: get it from"):
        data.benchmark_path("SR/Set5/x4/bird_GT.png")


def test_old_style_mirror_is_pointed_at_its_parent(monkeypatch):
    """DIPKIT_DATA once named the DIP release folder itself; the error says how to fix that."""
    monkeypatch.setenv("DIPKIT_DATA", str(MIRROR))
    with pytest.raises(data.DataUnavailableError, match="looks like the dip-release folder itself") as error:
        data.benchmark_image("SR/Set5/x4/baby_GT.png")
    assert f"point DIPKIT_DATA at its parent ({MIRROR.resolve().parent})" in str(error.value)


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
    assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256((MIRROR / name).read_bytes()).digest()


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


def test_mnist_is_read_from_the_mirror_only(monkeypatch, tmp_path):
    monkeypatch.setenv("DIPKIT_DATA", str(tmp_path))
    with pytest.raises(data.DataUnavailableError, match="'mnist' is not at .*MNIST: get it from https://"):
        data.mnist()
    (tmp_path / "MNIST").mkdir()  # there, but torchvision finds none of its files: still no download
    with pytest.raises(data.DataUnavailableError, match="MNIST in .* is unreadable .*run: dipkit data fetch mnist"):
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
    assert used == "digits" and "'mnist' is not at" in capsys.readouterr().out
    assert train_x.shape[1:] == (8, 8) and len(train_x) == len(train_y) and len(test_x) == len(test_y)
    assert np.array_equal(train_x, data.digits("train")[0])
    with pytest.raises(ValueError, match="accepted: digits, mnist"):
        data.labelled_digits("cifar")


def test_every_dataset_is_well_formed():
    assert {"skimage", "digits", "mnist", "dip-release", "div2k"} <= set(datasets.DATASETS)
    for name, entry in datasets.DATASETS.items():
        assert entry.name == name and entry.description
        assert entry.source in ("wheel", "generated", "DIPKIT_DATA")
        if entry.source == "DIPKIT_DATA":
            assert entry.folder and entry.url.startswith("https://"), name
        else:
            assert entry.folder is None, name
        if entry.checksums:
            assert (Path(datasets.__file__).parent / entry.checksums).is_file(), name
        assert entry.used_by and entry.licence and entry.size, name  # what `dipkit data list` shows of each
        if entry.source == "DIPKIT_DATA":
            assert entry.layout and (entry.files or entry.checksums or entry.manual), name
        for remote in entry.files:
            assert remote.url.startswith(("https://", "http://")) and remote.checksum_source, name
            assert (remote.into or remote.filename.endswith((".tar.gz", ".tgz", ".zip"))), name
    assert datasets.dataset("mnist").folder == "MNIST"  # torchvision's layout fixes this name
    assert datasets.dataset("div2k").url == "https://data.vision.ee.ethz.ch/cvl/DIV2K/"


def test_a_malformed_dataset_is_refused():
    with pytest.raises(ValueError, match="accepted: wheel, generated, DIPKIT_DATA"):
        datasets.Dataset("x", "a set", "internet")
    with pytest.raises(ValueError, match="needs the URL"):
        datasets.Dataset("x", "a set", "DIPKIT_DATA", folder="x")
    with pytest.raises(ValueError, match="a folder goes with, and only with"):
        datasets.Dataset("x", "a set", "wheel", folder="x")
    with pytest.raises(ValueError, match="needs files to fetch or manual steps"):
        datasets.Dataset("x", "a set", "DIPKIT_DATA", folder="x", url="https://x")
    with pytest.raises(ValueError, match="'sha256:<hex>' or 'md5:<hex>'"):
        datasets.Dataset("x", "a set", "DIPKIT_DATA", folder="x", url="https://x",
                     files=(datasets.Remote("https://x/x.zip", "0123abcd", "made up"),))


def test_unknown_dataset_lists_the_names():
    with pytest.raises(ValueError, match="unknown dataset 'imagenet'; accepted: skimage, photo-crops, digits, mnist"):
        datasets.dataset("imagenet")
    with pytest.raises(ValueError, match="accepted: skimage"):
        datasets.local_folder("imagenet")


def test_local_folder(monkeypatch, tmp_path):
    (tmp_path / "DIV2K").mkdir()
    monkeypatch.setenv("DIPKIT_DATA", str(tmp_path))
    assert datasets.local_folder("div2k") == tmp_path / "DIV2K"
    with pytest.raises(ValueError, match="'skimage' has source 'wheel'"):
        datasets.local_folder("skimage")


def test_local_folder_without_the_variable_says_what_to_do(monkeypatch):
    monkeypatch.delenv("DIPKIT_DATA", raising=False)
    with pytest.raises(data.DataUnavailableError) as error:
        datasets.local_folder("div2k")
    message = str(error.value)
    assert "'div2k'" in message and "$DIPKIT_DATA/DIV2K" in message and "DIPKIT_DATA is not set" in message
    assert "https://data.vision.ee.ethz.ch/cvl/DIV2K/" in message and "set DIPKIT_DATA to the fold" in message


def test_local_folder_missing_names_the_path_and_url(monkeypatch, tmp_path):
    monkeypatch.setenv("DIPKIT_DATA", str(tmp_path))
    with pytest.raises(data.DataUnavailableError) as error:
        datasets.local_folder("div2k")
    message = str(error.value)
    assert f"'div2k' is not at {tmp_path / 'DIV2K'}:" in message and "https://data.vision.ee.ethz" in message
    assert "looks like the dip-release folder" not in message
    with pytest.raises(data.DataUnavailableError, match="leave DIPKIT_DATA unset to download it checked"):
        datasets.local_folder("dip-release")


def test_local_folder_spots_the_old_layout(monkeypatch, tmp_path):
    old = tmp_path / "dip-release"
    (old / "SR").mkdir(parents=True)
    (old / "Denoising").mkdir()
    monkeypatch.setenv("DIPKIT_DATA", str(old))
    with pytest.raises(data.DataUnavailableError) as error:
        datasets.local_folder("dip-release")
    assert f"point DIPKIT_DATA at its parent ({tmp_path.resolve()})" in str(error.value)
    (tmp_path / "dip-release" / "MNIST").mkdir()  # the old layout held MNIST inside: still read there
    assert datasets.local_folder("mnist") == old / "MNIST"


def test_photos_reads_a_folder_sorted_as_uint8(monkeypatch, tmp_path):
    folder = tmp_path / "DIV2K" / "DIV2K_train_HR"
    folder.mkdir(parents=True)
    Image.fromarray(np.full((4, 6, 3), 200, dtype=np.uint8)).save(folder / "0002.png")
    Image.fromarray(np.full((5, 3), 7, dtype=np.uint8)).save(folder / "0001.png")  # grey: read as RGB
    for name in ("0010.JPG", "0003.jpg"):
        Image.fromarray(np.full((8, 8, 3), 100, dtype=np.uint8)).save(folder / name, format="JPEG")
    (folder / "notes.txt").write_text("not a photo")
    monkeypatch.setenv("DIPKIT_DATA", str(tmp_path))
    read = data.photos("div2k/DIV2K_train_HR")
    assert list(read) == ["0001", "0002", "0003", "0010"]  # by file name, not the directory's order
    assert read["0010"].shape == (8, 8, 3) and read["0010"].dtype == np.uint8
    assert read["0001"].shape == (5, 3, 3) and read["0001"].dtype == np.uint8 and (read["0001"] == 7).all()
    assert read["0002"].shape == (4, 6, 3) and (read["0002"] == 200).all()


def test_photos_refuses_an_empty_or_missing_folder(monkeypatch, tmp_path):
    (tmp_path / "DIV2K" / "empty").mkdir(parents=True)
    monkeypatch.setenv("DIPKIT_DATA", str(tmp_path))
    with pytest.raises(data.DataUnavailableError, match="no png or jpg photos in .*empty .*'div2k'.*https"):
        data.photos("div2k/empty")
    with pytest.raises(data.DataUnavailableError, match="no png or jpg photos in .*DIV2K_train_HR"):
        data.photos("div2k/DIV2K_train_HR")
    with pytest.raises(data.DataUnavailableError, match="'mnist' is not at"):
        data.photos("mnist")


def test_natural_photos_are_colour_and_split_by_photograph():
    for name in data.NATURAL_PHOTOS:
        photo = data.natural_photo(name)
        assert photo.ndim == 3 and photo.shape[2] == 3 and photo.dtype == np.float32 and photo.max() <= 1.0
    splits = [set(names) for names in data.PHOTO_SPLITS.values()]
    assert set().union(*splits) == set(data.NATURAL_PHOTOS)
    assert sum(len(names) for names in splits) == len(data.NATURAL_PHOTOS)  # no photo in two splits
    with pytest.raises(ValueError, match="accepted: astronaut"):
        data.natural_photo("lena")


def test_photo_crops_are_seeded_and_come_from_their_split():
    crops = generated.photo_crops("test", 16, size=24, seed=3)
    assert crops.shape == (16, 24, 24, 3) and crops.dtype == np.float32
    np.testing.assert_array_equal(crops, generated.photo_crops("test", 16, size=24, seed=3))
    assert not np.array_equal(crops, generated.photo_crops("test", 16, size=24, seed=4))
    # every unzoomed crop is found, pixel for pixel, in one photograph of its split (or its mirror image)
    for crop in generated.photo_crops("validation", 4, size=8, scales=(1,)):
        photo = data.natural_photo("china")
        windows = np.lib.stride_tricks.sliding_window_view(photo, (8, 8, 3))[..., 0, :, :, :]
        assert any(np.all(windows == c, axis=(-3, -2, -1)).any() for c in (crop, crop[:, ::-1]))
    with pytest.raises(ValueError, match="accepted: train, validation, test"):
        generated.photo_crops("val", 4)


def test_hold_out_caps_the_validation_split_to_what_the_data_has(capsys):
    images, labels = np.arange(60, dtype=np.float32).reshape(60, 1, 1), np.arange(60) % 10
    fit_images, fit_labels, validation = data.hold_out(images, labels, 5, seed=3)
    assert len(validation) == 5 and len(fit_images) == len(fit_labels) == 55 and capsys.readouterr().out == ""
    assert sorted(np.concatenate([fit_images, validation]).ravel()) == list(range(60))  # a partition
    assert np.array_equal(fit_labels, fit_images.ravel().astype(int) % 10)  # labels follow their images
    order = np.random.default_rng(3).permutation(60)  # the chapters' draw before hold_out existed: unchanged
    assert np.array_equal(validation.ravel(), order[:5])
    fit_images, _, validation = data.hold_out(images, labels, 10000, seed=3)  # the paper's 10,000 on 60 images
    assert len(validation) == 10 and len(fit_images) == 50
    assert "validation_size 10000 is more than 17% of the 60 training images: holding out 10" in capsys.readouterr().out
    with pytest.raises(ValueError, match="at least 1"):
        data.hold_out(images, labels, 0, seed=0)
