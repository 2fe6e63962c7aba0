"""Every image the chapters use, and where each set of them comes from: the :data:`DATASETS` registry.

A :class:`Dataset` entry says what a set is and where it lives (``source``):

* ``"wheel"``: shipped inside an installed package, always offline: scikit-image's test photos
  (:data:`TEST_IMAGES`, :func:`test_image`) and scikit-learn's handwritten digits (:func:`digits`);
* ``"generated"``: made by code at run time, nothing to fetch (:mod:`dipkit.generated`);
* ``"DIPKIT_DATA"``: a folder under the directory named by the ``DIPKIT_DATA`` environment variable,
  which holds one sub-folder per dataset (``$DIPKIT_DATA/dip-release``, ``$DIPKIT_DATA/MNIST``,
  ``$DIPKIT_DATA/DIV2K``, ...). :func:`local_folder` finds it and says what to do when it is missing.
  These are never downloaded, except the Deep Image Prior authors' released results (``dip-release``):
  without ``DIPKIT_DATA``, :func:`benchmark_path` downloads them one file at a time with pooch,
  checks each against ``dipkit/registry/dip_release.txt`` and caches it.

To add a chapter's dataset (pix2pix's facades, CUB birds, ...), add one entry to the tuple that builds
:data:`DATASETS`, with its folder under ``DIPKIT_DATA`` and the public URL a reader gets it from::

    Dataset("facades", "pix2pix's CMP facades, photo/label pairs", "DIPKIT_DATA", folder="facades",
            url="https://efrosgans.eecs.berkeley.edu/pix2pix/datasets/facades.tar.gz"),

then read it with :func:`photos` (``photos("facades/train")``) or from :func:`local_folder`, which say
where it should be when it is missing; ``tests/test_data.py`` checks every entry. Only this module reads
``DIPKIT_DATA``.

Images are float32 arrays in [0, 1], ``(H, W)`` for grey and ``(H, W, 3)`` for colour, except
:func:`photos`, which keeps the files' uint8 values.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal, get_args

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

DIP_RELEASE_URL = (
    "https://raw.githubusercontent.com/DmitryUlyanov/dmitryulyanov.github.io/"
    "eb9ce4fae8917eabdd345b3244a3c53f44595ab8/assets/deep-image-prior/"
)
DATA_ENV = "DIPKIT_DATA"

Source = Literal["wheel", "generated", "DIPKIT_DATA"]
SOURCES: tuple[str, ...] = get_args(Source)


@dataclass(frozen=True)
class Dataset:
    """One dataset the chapters read: what it is, where it lives, where the public copy is.

    ``folder`` is the sub-folder of ``DIPKIT_DATA`` (``DIPKIT_DATA`` datasets only), ``url`` the page a
    reader downloads it from, ``checksums`` a sha256 registry file inside the ``dipkit`` package (for a
    dataset dipkit itself downloads), ``note`` its citation or licence terms.
    """

    name: str
    description: str
    source: Source
    folder: str | None = None
    url: str | None = None
    checksums: str | None = None
    note: str = ""

    def __post_init__(self) -> None:
        """Refuse a malformed entry when the module is imported, not when a chapter first reads it."""
        if self.source not in SOURCES:
            raise ValueError(f"dataset {self.name!r}: source {self.source!r}; accepted: {', '.join(SOURCES)}")
        if (self.source == "DIPKIT_DATA") != (self.folder is not None):
            raise ValueError(f"dataset {self.name!r}: a folder goes with, and only with, source DIPKIT_DATA")
        if self.source == "DIPKIT_DATA" and not self.url:
            raise ValueError(f"dataset {self.name!r}: a DIPKIT_DATA dataset needs the URL to get it from")


DATASETS: dict[str, Dataset] = {
    entry.name: entry
    for entry in (
        Dataset(
            "skimage",
            "scikit-image's test photos (TEST_IMAGES), read by test_image()",
            "wheel",
            url="https://scikit-image.org/docs/stable/api/skimage.data.html",
            note="each photo's source and licence are in its skimage.data docstring",
        ),
        Dataset(
            "photo-crops",
            "colour crops (square or height x width) of the photographs shipped in scikit-image and scikit-learn "
            "(NATURAL_PHOTOS), split by photograph (PHOTO_SPLITS), read by generated.photo_crops()",
            "wheel",
            url="https://scikit-learn.org/stable/modules/generated/sklearn.datasets.load_sample_images.html",
            note="china and flower: scikit-learn's sample images (Creative Commons); the others: skimage.data",
        ),
        Dataset(
            "digits",
            "scikit-learn's 1,797 handwritten digits, 8x8, read by digits()",
            "wheel",
            url="https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits",
            note="UCI Optical Recognition of Handwritten Digits (Alpaydin & Kaynak, 1998)",
        ),
        Dataset(
            "mnist",
            "MNIST's 60,000 + 10,000 handwritten digits, 28x28, in torchvision's layout (MNIST/raw/), "
            "read by mnist(); never downloaded",
            "DIPKIT_DATA",
            folder="MNIST",  # torchvision's layout: the folder is named after its MNIST class
            url="https://ossci-datasets.s3.amazonaws.com/mnist/",  # torchvision's first mirror
            note="LeCun, Cortes & Burges, the MNIST database of handwritten digits",
        ),
        Dataset(
            "dip-release",
            "the Deep Image Prior authors' released results: Set5/Set14 4x SR, colour denoising, the F16 "
            "trajectory; read by benchmark_path() from DIPKIT_DATA, else downloaded and cached",
            "DIPKIT_DATA",
            folder="dip-release",
            url=DIP_RELEASE_URL,
            checksums="registry/dip_release.txt",
            note="Ulyanov, Vedaldi & Lempitsky, Deep Image Prior, CVPR 2018 (Lena images left out)",
        ),
        Dataset(
            "div2k",
            "DIV2K's 800 high-resolution training photos (DIV2K/DIV2K_train_HR), the SRGAN chapter's paper "
            "profile; read by photos(); never downloaded",
            "DIPKIT_DATA",
            folder="DIV2K",
            url="https://data.vision.ee.ethz.ch/cvl/DIV2K/",
            note="Agustsson & Timofte, NTIRE 2017; for academic research only",
        ),
        Dataset(
            "street-scenes",
            "label maps of street scenes (sky, building, window, vegetation, road) laid out at random and the "
            "photos rendered from them with real textures, read by generated.street_scenes(); the pix2pix and CRN "
            "chapters",
            "generated",
            url="https://scikit-image.org/docs/stable/api/skimage.data.html",
            note="textures: skimage.data's brick, grass and gravel and the sky of its rocket photo",
        ),
        Dataset(
            "edges-photos",
            "Canny edge maps of generated.photo_crops() and the crops themselves, read by generated.edge_pairs()",
            "generated",
            url="https://scikit-image.org/docs/stable/api/skimage.feature.html#skimage.feature.canny",
        ),
        Dataset(
            "facades",
            "pix2pix's CMP Facades: 606 pairs of a facade photo and its label map, side by side in one 256x512 jpg "
            "(train/val/test), read by photos('facades/train'); never downloaded",
            "DIPKIT_DATA",
            folder="facades",
            url="https://efrosgans.eecs.berkeley.edu/pix2pix/datasets/facades.tar.gz",
            note="Tylecek & Sara, the CMP Facade Database, GCPR 2013",
        ),
        Dataset(
            "cityscapes",
            "pix2pix's Cityscapes pairs: 2975 + 500 street photos and their label maps, side by side in 256x512 "
            "jpgs (train/val), read by photos('cityscapes/train'); never downloaded",
            "DIPKIT_DATA",
            folder="cityscapes",
            url="https://www.cityscapes-dataset.com/",
            note="Cordts et al., CVPR 2016; registration required, for non-commercial research",
        ),
        Dataset(
            "cifar-10",
            "CIFAR-10's 50,000 + 10,000 colour images, 32x32, 10 classes, in the python version's pickled batches "
            "(cifar-10-batches-py/), the LAPGAN chapter's paper profile; read by cifar10(); never downloaded",
            "DIPKIT_DATA",
            folder="cifar-10-batches-py",  # the folder inside the published cifar-10-python.tar.gz
            url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",  # md5 c58f30108f718f92721af3b95e74349a
            note="Krizhevsky, Learning Multiple Layers of Features from Tiny Images, 2009",
        ),
        Dataset(
            "captioned-shapes",
            "one coloured shape per image on a real photo texture, with captions that name its shape, colour and "
            "size but not its position, orientation or background; a zero-shot split of attribute combinations "
            "no training caption names; read by generated.captioned_shapes(); the text-to-image chapter",
            "generated",
            url="https://scikit-image.org/docs/stable/api/skimage.data.html",
            note="backgrounds: generated.photo_crops() of the photographs in scikit-image and scikit-learn, in grey",
        ),
    )
}


class DataUnavailableError(RuntimeError):
    """A dataset, or one file of it, is neither under ``DIPKIT_DATA``, nor cached, nor downloadable."""


def dataset(name: str) -> Dataset:
    """The registry entry ``name``, refusing a typo with the accepted names."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; accepted: {', '.join(DATASETS)}")
    return DATASETS[name]


def local_folder(name: str) -> Path:
    """The folder of a ``DIPKIT_DATA`` dataset, or an error that says where it should be and how to get it."""
    entry = dataset(name)
    if entry.folder is None:
        raise ValueError(f"dataset {name!r} has source {entry.source!r}: it has no folder under {DATA_ENV}")
    fetch = f"get it from {entry.url}"
    if entry.checksums:
        fetch += f", or leave {DATA_ENV} unset to download it checked against dipkit/{entry.checksums}"
    root = os.environ.get(DATA_ENV)
    if not root:
        raise DataUnavailableError(
            f"dataset {name!r} is read from ${DATA_ENV}/{entry.folder}, but {DATA_ENV} is not set: {fetch}, "
            f"and set {DATA_ENV} to the folder that holds {entry.folder}/"
        )
    folder = Path(root) / entry.folder
    if folder.is_dir():
        return folder
    if (Path(root) / "SR").is_dir() and (Path(root) / "Denoising").is_dir():
        raise DataUnavailableError(
            f"dataset {name!r}: {folder} is missing, and {DATA_ENV}={root} looks like the dip-release folder "
            f"itself; {DATA_ENV} now holds one folder per dataset, so point {DATA_ENV} at its parent "
            f"({Path(root).resolve().parent}) and put each dataset beside dip-release/"
        )
    raise DataUnavailableError(f"dataset {name!r} is not at {folder}: {fetch}, and put it there")


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
    :class:`DataUnavailableError` saying what torchvision expects there (``layout``)."""
    import torchvision.datasets

    folder = local_folder(name)
    dataset_class = getattr(torchvision.datasets, label.replace("-", ""))
    try:
        return [dataset_class(folder.parent, train=train, download=False) for train in (True, False)]
    except Exception as error:  # torchvision's "not found or corrupted", or an unreadable file
        raise DataUnavailableError(
            f"{label} in {folder} is unreadable (missing files or corrupt; {type(error).__name__}: {error}); "
            f"{layout}, and dipkit never downloads it"
        ) from error


def mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """MNIST's train and test sets, ``(N, 28, 28)`` float32 in [0, 1] and int64 labels, from a local copy.

    Read with torchvision from ``$DIPKIT_DATA/MNIST`` (torchvision's own layout) and never
    downloaded: the paper profiles use it when it is there, and fall back to :func:`digits` otherwise.
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
    ``$DIPKIT_DATA/cifar-10-batches-py`` (the unpacked ``cifar-10-python.tar.gz``); never downloaded.
    """
    splits = _torchvision_splits("cifar-10", "CIFAR-10", f"unpack {DATASETS['cifar-10'].url} there")
    return tuple(((s.data / 255.0).astype(np.float32), np.asarray(s.targets, dtype=np.int64)) for s in splits)


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
            print(f"{error}; using scikit-learn's digits")
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
    if os.environ.get(DATA_ENV):
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
