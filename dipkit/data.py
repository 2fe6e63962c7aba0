"""The readers of the chapters' images: photos, digits, MNIST, CIFAR-10 and the DIP release.

What each dataset is and where it lives is :data:`dipkit.datasets.DATASETS`; the paired sets of the
image-to-image and text-to-image chapters (facades, Cityscapes, CUB) are read by :mod:`dipkit.paired`, the
made-up ones built by :mod:`dipkit.generated`. A paper profile that falls back to other data when its
dataset is missing says so with :func:`fall_back`, which the chapter's claims record
(:class:`dipkit.report.Claims`).

Images are float32 arrays in [0, 1], ``(H, W)`` for grey and ``(H, W, 3)`` for colour, except
:func:`photos`, which keeps the files' uint8 values.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from importlib import resources
from pathlib import Path

import numpy as np

# pooch (used here and by skimage.data's loaders) imports tqdm.auto, which warns "IProgress not
# found" on stderr inside a notebook kernel without ipywidgets. No pooch progress bar is ever shown,
# so import it once, quietly, before anything else does.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="IProgress not found")
    import pooch
import skimage.data
from PIL import Image
from skimage.transform import resize

from dipkit.datasets import (
    DATA_ENV,
    DATASETS,
    DIP_RELEASE_URL,
    DataUnavailableError,
    dataset,
    has_data_root,
    local_folder,
)

TEST_IMAGES = {
    "astronaut": "Eileen Collins, NASA (colour, 512x512)",
    "camera": "cameraman (grey, 512x512)",
    "chelsea": "a cat (colour, 300x451)",
    "coffee": "a cup of coffee (colour, 400x600)",
    "rocket": "a rocket launch (colour, 427x640)",
    "immunohistochemistry": "stained tissue (colour, 512x512)",
    "hubble_deep_field": "Hubble deep field (colour, 872x1000)",
    "brick": "a brick wall texture (grey, 512x512)",
    "grass": "a grass texture (grey, 512x512)",
    "gravel": "a gravel texture (grey, 512x512)",
}


def photos(name: str) -> dict[str, np.ndarray]:
    """The uint8 RGB photos (png, jpg) of a ``DIPKIT_DATA`` dataset, keyed by file stem in file-name order.

    ``name`` is a dataset or a dataset and a sub-folder (``"div2k/DIV2K_train_HR"``), so a chapter that
    trains on a folder of photos builds no path of its own.
    """
    dataset_name, _, sub = name.partition("/")
    folder = local_folder(dataset_name) / sub
    files = sorted(p for p in folder.glob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    if not files:
        raise DataUnavailableError(
            f"no png or jpg photos in {folder} (dataset {dataset_name!r}); "
            f"get them from {dataset(dataset_name).url}"
        )
    result = {}
    for file in files:
        with Image.open(file) as image:
            result[file.stem] = np.asarray(image.convert("RGB"))
    return result


def test_image(name: str, size: int | None = None) -> np.ndarray:
    """A named photo from scikit-image, optionally centre-cropped to a square and resized to ``size``."""
    if name not in TEST_IMAGES:
        raise ValueError(f"unknown test image {name!r}; accepted: {', '.join(TEST_IMAGES)}")
    image = getattr(skimage.data, name)().astype(np.float32) / 255.0
    if size is not None:
        image = square_crop(image, size)
    return image


NATURAL_PHOTOS = {
    "astronaut": "Eileen Collins, NASA (skimage, 512x512)",
    "coffee": "a cup of coffee (skimage, 400x600)",
    "rocket": "a rocket launch (skimage, 427x640)",
    "motorcycle": "a motorcycle, the left view of skimage's stereo pair (500x741)",
    "china": "a Chinese temple (scikit-learn, 427x640)",
    "chelsea": "a cat (skimage, 300x451)",
    "flower": "a flower (scikit-learn, 427x640)",
}
"""The colour photographs of real scenes that ship inside the installed wheels (no download ever)."""

PHOTO_SPLITS = {
    "train": ("astronaut", "coffee", "rocket", "motorcycle"),
    "validation": ("china",),
    "test": ("chelsea", "flower"),
}
"""Split by photograph, not by crop: no test crop overlaps a training photo, as a held-out set should."""


def natural_photo(name: str) -> np.ndarray:
    """One of :data:`NATURAL_PHOTOS` as a float32 ``(H, W, 3)`` array in [0, 1]."""
    if name not in NATURAL_PHOTOS:
        raise ValueError(f"unknown photo {name!r}; accepted: {', '.join(NATURAL_PHOTOS)}")
    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        image = load_sample_image(f"{name}.jpg")
    elif name == "motorcycle":
        image = skimage.data.stereo_motorcycle()[0]
    else:
        image = getattr(skimage.data, name)()
    return image.astype(np.float32) / 255.0


SPLITS = ("train", "test", "all")


def _split(count: int, split: str, test_fraction: float, seed: int) -> np.ndarray:
    """Indices of a fixed, seeded train/test split (the same for every chapter)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; accepted: {', '.join(SPLITS)}")
    order = np.random.default_rng(seed).permutation(count)
    n_test = int(round(count * test_fraction))
    return {"train": order[n_test:], "test": order[:n_test], "all": np.arange(count)}[split]


def digits(split: str = "all", test_fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 handwritten digits: ``(N, 8, 8)`` float32 images in [0, 1] and int64 labels."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    index = _split(len(bunch.target), split, test_fraction, seed)
    return (bunch.images[index] / 16.0).astype(np.float32), bunch.target[index].astype(np.int64)


def _torchvision_splits(name: str, label: str, layout: str) -> list:
    """The train and test splits of a torchvision dataset class ``label`` read from a ``DIPKIT_DATA`` folder,
    never downloaded; any failure (files missing, a checksum that does not match) becomes a
    :class:`DataUnavailableError` saying what torchvision expects there (``layout``) and how to fetch it."""
    import torchvision.datasets

    folder = local_folder(name)
    dataset_class = getattr(torchvision.datasets, label.replace("-", ""))
    try:
        return [dataset_class(folder.parent, train=train, download=False) for train in (True, False)]
    except Exception as error:  # torchvision's "not found or corrupted", or an unreadable file
        raise DataUnavailableError(
            f"{label} in {folder} is unreadable (missing files or corrupt; {type(error).__name__}: {error}); "
            f"{layout}, or run: dipkit data fetch {name}"
        ) from error


def mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """MNIST's train and test sets, ``(N, 28, 28)`` float32 in [0, 1] and int64 labels, from a local copy.

    Read with torchvision from ``$DIPKIT_DATA/MNIST`` (torchvision's own layout; ``dipkit data fetch mnist``):
    the paper profiles use it when it is there, and fall back to :func:`digits` otherwise.
    """
    splits = _torchvision_splits(
        "mnist", "MNIST", f"torchvision expects the four files of {DATASETS['mnist'].url} in its raw/ folder"
    )
    return tuple(
        ((s.data.numpy() / 255.0).astype(np.float32), s.targets.numpy().astype(np.int64)) for s in splits
    )


def cifar10() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """CIFAR-10's train and test sets, ``(N, 32, 32, 3)`` float32 in [0, 1] and int64 labels, from a local copy.

    Read with torchvision, which checks every batch file against its published md5, from
    ``$DIPKIT_DATA/cifar-10-batches-py`` (the unpacked ``cifar-10-python.tar.gz``: ``dipkit data fetch cifar-10``).
    """
    splits = _torchvision_splits("cifar-10", "CIFAR-10", f"unpack {DATASETS['cifar-10'].files[0].url} there")
    return tuple(((s.data / 255.0).astype(np.float32), np.asarray(s.targets, dtype=np.int64)) for s in splits)


FALLBACKS: list[str] = []
"""The datasets this process asked for and replaced by others (:func:`fall_back`), in order."""


def fall_back(wanted: str, error: Exception, replacement: str) -> None:
    """Say in one line that dataset ``wanted`` is unavailable and ``replacement`` stands in, and record it in
    :data:`FALLBACKS`: the run's claims then carry the profile "<profile> (fallback data)"
    (:class:`dipkit.report.Claims`), so no report counts a run on stand-in data as a run on the paper's.
    ``wanted`` is a dataset or a dataset and a sub-folder, as :func:`photos` takes it."""
    dataset(wanted.partition("/")[0])
    FALLBACKS.append(wanted)
    print(f"{error}; using {replacement}")


def labelled_digits(name: str) -> tuple[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """``(used, (train_x, train_y, test_x, test_y))`` for "digits" or "mnist", images (N, H, W) in [0, 1].

    "mnist" reads the local copy (:func:`mnist`) and, when there is none, says so in one line and
    falls back to :func:`digits`, so a paper-profile chapter still runs offline; ``used`` names what was read.
    """
    if name not in ("digits", "mnist"):
        raise ValueError(f"unknown dataset {name!r}; accepted: digits, mnist")
    if name == "mnist":
        try:
            (train_x, train_y), (test_x, test_y) = mnist()
            return "mnist", (train_x, train_y, test_x, test_y)
        except DataUnavailableError as error:
            fall_back("mnist", error, "scikit-learn's digits")
    return "digits", (*digits("train"), *digits("test"))


def hold_out(
    images: np.ndarray, labels: np.ndarray, size: int, seed: int, most: float = 1 / 6
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(fit_images, fit_labels, validation_images)``: ``size`` training images held out at random for model choice.

    At most ``most`` of the training set is held out (MNIST's usual 10,000 of 60,000): a paper profile's
    10,000 would take every one of the 1,437 digits of the offline fallback, so it is capped to what the
    data set has, and the output says so.
    """
    if size < 1:
        raise ValueError(f"validation size must be at least 1, got {size}")
    cap = max(1, int(len(images) * most))
    if size > cap:
        print(f"validation_size {size} is more than {most:.0%} of the {len(images)} training images: "
              f"holding out {cap} instead")
        size = cap
    order = np.random.default_rng(seed).permutation(len(images))
    return images[order[size:]], labels[order[size:]], images[order[:size]]


def square_crop(image: np.ndarray, size: int) -> np.ndarray:
    """Centre-crop to the largest square and resize it to ``size`` x ``size`` (anti-aliased)."""
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels, got {size}")
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = image[top : top + side, left : left + side]
    if side == size:
        return square.copy()
    resized = resize(square, (size, size) + square.shape[2:], anti_aliasing=True, order=3)
    return resized.clip(0, 1).astype(np.float32)


def _registry() -> pooch.Pooch:
    cache = Path(os.environ.get("DIPKIT_CACHE", pooch.os_cache("dipkit"))) / "dip-release"
    registry = pooch.create(path=cache, base_url=DIP_RELEASE_URL, registry=None)
    with resources.files("dipkit").joinpath(DATASETS["dip-release"].checksums).open() as lines:
        registry.load_registry(lines)
    return registry


def benchmark_files(prefix: str = "") -> list[str]:
    """Registry paths of the released benchmark files starting with ``prefix`` (e.g. ``"SR/Set5/x4/"``)."""
    return sorted(path for path in _registry().registry if path.startswith(prefix))


def benchmark_path(path: str) -> Path:
    """Local path of one released benchmark file, checked against its sha256.

    Read from ``$DIPKIT_DATA/dip-release/<path>`` when ``DIPKIT_DATA`` is set (a missing copy is an
    error, never a silent download), downloaded and cached otherwise.
    """
    registry = _registry()
    if path not in registry.registry:
        raise ValueError(
            f"{path!r} is not in the DIP release registry; see dipkit.data.benchmark_files() "
            f"(e.g. {benchmark_files('SR/Set5/')[0]!r})"
        )
    expected = registry.registry[path].split(":", 1)[-1]
    if has_data_root():
        local = local_folder("dip-release") / path
        if not local.is_file():
            raise DataUnavailableError(f"{local} is missing: {DATA_ENV}/dip-release does not hold {path}")
        actual = hashlib.sha256(local.read_bytes()).hexdigest()
        if actual != expected:
            raise DataUnavailableError(
                f"{local} is corrupt: sha256 {actual[:12]}... but the registry expects {expected[:12]}...; "
                "replace it with the released file"
            )
        return local
    try:
        return Path(registry.fetch(path))
    except ValueError as error:  # pooch's checksum mismatch
        raise DataUnavailableError(f"download of {path} is corrupt and was refused: {error}") from error
    except Exception as error:  # no network: requests' ConnectionError and friends
        raise DataUnavailableError(
            f"cannot download {path} ({type(error).__name__}); offline machines set {DATA_ENV} to a folder "
            f"holding dip-release/, a local copy of the DIP release (the same layout as {DIP_RELEASE_URL})"
        ) from error


def benchmark_image(path: str) -> np.ndarray:
    """One released benchmark image as a float32 RGB array in [0, 1]."""
    with Image.open(benchmark_path(path)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
