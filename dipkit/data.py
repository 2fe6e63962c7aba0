"""Every image the chapters use, and where each set of them comes from: the :data:`DATASETS` registry.

A :class:`Dataset` entry says what a set is and where it lives (``source``):

* ``"wheel"``: shipped inside an installed package, always offline: scikit-image's test photos
  (:data:`TEST_IMAGES`, :func:`test_image`) and scikit-learn's handwritten digits (:func:`digits`);
* ``"generated"``: made by code at run time, nothing to fetch;
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

import functools
import hashlib
import os
import warnings
from collections.abc import Callable
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
import torch
from PIL import Image
from skimage.transform import downscale_local_mean, rescale, resize

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
            "(NATURAL_PHOTOS), split by photograph (PHOTO_SPLITS), read by photo_crops()",
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
            "photos rendered from them with real textures, read by street_scenes(); the pix2pix and CRN chapters",
            "generated",
            url="https://scikit-image.org/docs/stable/api/skimage.data.html",
            note="textures: skimage.data's brick, grass and gravel and the sky of its rocket photo",
        ),
        Dataset(
            "edges-photos",
            "Canny edge maps of photo_crops() and the crops themselves, read by edge_pairs()",
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
            "no training caption names; read by captioned_shapes(); the text-to-image chapter",
            "generated",
            url="https://scikit-image.org/docs/stable/api/skimage.data.html",
            note="backgrounds: photo_crops() of the photographs in scikit-image and scikit-learn, in grey",
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


Size = int | tuple[int, int]
"""An image size: a square's side, or ``(height, width)`` (CRN's Cityscapes scenes are 256 x 512)."""


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _shape(size: Size, minimum: int) -> tuple[int, int]:
    """``size`` as ``(height, width)``, or an error that says what is accepted."""
    pair = (size, size) if _is_int(size) else size
    if not (isinstance(pair, tuple | list) and len(pair) == 2 and all(_is_int(side) for side in pair)
            and min(pair) >= minimum):
        raise ValueError(f"size must be an int (a square's side) or a (height, width) pair of ints, each at least "
                         f"{minimum} pixels; got {size!r}")
    return int(pair[0]), int(pair[1])


def _redraw(rng: np.random.Generator, low: int, high: int, allowed: set[int]) -> int | None:
    """``rng.integers(low, high)`` drawn again until it is in ``allowed``; None, drawing nothing, if none is.

    Uniform over the allowed values, like a draw among them, but where the first draw is allowed (every
    draw of a size that always fitted) it consumes the very numbers it did before the rule: the images of
    those sizes stay the same, bit for bit.
    """
    if not allowed & set(range(low, high)):
        return None
    while (value := int(rng.integers(low, high))) not in allowed:
        pass
    return value


def _covers(image: np.ndarray, height: int, width: int) -> bool:
    return image.shape[0] >= height and image.shape[1] >= width


def _window(image: np.ndarray, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A ``height`` x ``width`` piece of ``image`` at a random position (top, then left)."""
    top = rng.integers(image.shape[0] - height + 1)
    left = rng.integers(image.shape[1] - width + 1)
    return image[top : top + height, left : left + width]


@functools.cache
def _covering(source: Callable[[str], np.ndarray], name: str, height: int, width: int) -> np.ndarray:
    """``source(name)`` resized, its aspect kept, to the smallest size that covers ``height`` x ``width``.

    The fallback of an image too small for every zoom out at this size: the widest view of it there is
    (enlarged where it is smaller than the crop), one smooth piece rather than tiles, whose seams would show.
    """
    image = source(name)
    factor = max(height / image.shape[0], width / image.shape[1])
    shape = (max(height, round(image.shape[0] * factor)), max(width, round(image.shape[1] * factor)))
    resized = resize(image, shape + image.shape[2:], order=3, anti_aliasing=factor < 1).clip(0, 1)
    resized = resized.astype(np.float32)
    resized.setflags(write=False)  # cached: shared by every call
    return resized


@functools.cache
def _photo_scales(name: str, scales: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    """The photo shrunk by each factor in ``scales`` (anti-aliased), so a crop can show a wider view."""
    photo = natural_photo(name)
    views = tuple(photo if s == 1 else rescale(photo, 1 / s, channel_axis=2, anti_aliasing=True) for s in scales)
    for view in views:
        view.setflags(write=False)  # cached: shared by every call
    return views


def photo_crops(
    split: str, count: int, size: Size = 32, seed: int = 0, scales: tuple[int, ...] = (1, 2, 4)
) -> np.ndarray:
    """``count`` random colour crops of ``size`` (a side, or ``(height, width)``) of one :data:`PHOTO_SPLITS` split.

    Each crop picks a photograph of the split, a zoom out of ``scales`` (the photo shrunk 1x, 2x, 4x, so
    crops show texture and whole objects alike), a position and a left-right flip, all from ``seed``:
    the same arguments give the same ``(count, height, width, 3)`` float32 array in [0, 1]. Only the zoom
    outs whose view covers the crop are drawn (a 4x shrunk photo has 75 to 128 rows); when none does, the
    photo is resized to just cover it (:func:`_covering`).
    """
    if split not in PHOTO_SPLITS:
        raise ValueError(f"unknown split {split!r}; accepted: {', '.join(PHOTO_SPLITS)}")
    if count < 1:
        raise ValueError(f"count must be at least 1, got count={count}")
    height, width = _shape(size, 4)
    rng = np.random.default_rng([seed, list(PHOTO_SPLITS).index(split)])
    names = PHOTO_SPLITS[split]
    crops = np.empty((count, height, width, 3), dtype=np.float32)
    for i in range(count):
        name = names[rng.integers(len(names))]
        views = _photo_scales(name, tuple(scales))
        pick = _redraw(rng, 0, len(views), {k for k, view in enumerate(views) if _covers(view, height, width)})
        view = _covering(natural_photo, name, height, width) if pick is None else views[pick]
        crop = _window(view, height, width, rng)
        crops[i] = crop[:, ::-1] if rng.random() < 0.5 else crop
    return crops.clip(0, 1)


def edge_pairs(split: str, count: int, size: Size = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """pix2pix's edges -> photo task on real photographs: ``(edges, photos)`` for :func:`photo_crops`.

    ``edges`` is the ``(count, height, width)`` float32 Canny edge map (0 or 1) of each crop's grey level,
    ``photos`` the ``(count, height, width, 3)`` crops; split by photograph as :func:`photo_crops`. A crop of
    flat sky or blur has no edge at all: 13 to 22% of the maps of a split at 32 pixels, up to 6% at 128,
    none in 4,500 at 256.
    """
    from skimage.color import rgb2gray
    from skimage.feature import canny

    crops = photo_crops(split, count, size, seed)
    edges = np.stack([canny(rgb2gray(crop), sigma=1.0) for crop in crops]).astype(np.float32)
    return edges, crops


STREET_CLASSES = ("sky", "building", "window", "vegetation", "road")
"""The classes of :func:`street_scenes`, in label order."""

STREET_PAINTS = ((0.8, 0.45, 0.3), (0.85, 0.75, 0.5), (0.6, 0.62, 0.65), (0.45, 0.7, 0.3))
"""Terracotta, sand, grey, green: the colours a wall, a lawn or a road may take in :func:`street_scenes`.

Shared by the three materials, so a colour does not tell the class: the texture does (brick, grass,
gravel). A label map leaves four equally likely paints per region, and their average is none of them."""


@functools.cache
def _street_texture(name: str) -> np.ndarray:
    """A material's grey-level texture photo (brick, grass, gravel), or real dusk sky (colour) from skimage's rocket.

    "sky", a 200 x 180 patch, is what scenes of up to 90 pixels a side crop (the tip of a lightning rod stands
    in its lower half); "open sky", the 118 x 463 strip above all the towers, is what larger scenes enlarge
    (:func:`_texture_canvas`), where the rod, with the patch stretched across the canvas, would stand at one
    place in every scene.
    """
    skies = {"sky": np.s_[0:200, 340:520], "open sky": np.s_[0:118, 92:555]}
    image = skimage.data.rocket()[skies[name]] if name in skies else getattr(skimage.data, name)()
    texture = image.astype(np.float32) / 255.0
    texture.setflags(write=False)  # cached: shared by every call
    return texture


def _street_layout(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """One ``(height, width)`` label map: buildings with windows on a ground line, trees, a grass verge, a road.

    Things are as large as fractions of the shorter side (a wider frame shows more street, with more
    trees, not wider houses) and lie at fractions of the side they run along. The window grid (3 or 4
    pixels, 1 pixel of wall) is that of small scenes, multiplied by ``side // 32`` from 64 pixels up, so a
    256-pixel wall has windows, not 1-pixel noise.
    """
    sky, building, window, vegetation, road = range(len(STREET_CLASSES))
    side = min(height, width)
    unit = max(side // 32, 1)  # 1 below 64 pixels: the scenes of those sizes stay as they were
    labels = np.full((height, width), sky, dtype=np.int64)
    rows, cols = np.mgrid[0:height, 0:width]
    ground = int(height * rng.uniform(0.5, 0.65))
    x = int(rng.integers(-side // 8, 1))
    while x < width:  # a row of buildings along the ground line, some gaps between them
        span = int(side * rng.uniform(0.2, 0.45))
        top = ground - int(side * rng.uniform(0.25, 0.5))
        wall = np.s_[max(top, 0) : ground, max(x, 0) : x + span]
        labels[wall] = building
        step = int(rng.integers(3, 5)) * unit  # a grid of windows, one unit of wall around each
        down, across = rows[wall] - top, cols[wall] - x
        inside = (down % step >= unit) & (down % step < step - unit)
        inside &= (across % step >= unit) & (across % step < step - unit)
        inside &= (down >= unit) & (ground - rows[wall] > 2 * unit) & (across >= unit) & (span - across > unit)
        labels[wall][inside] = window
        x += span + (int(side * rng.uniform(0.05, 0.15)) if rng.random() < 0.35 else 0)
    labels[ground:] = vegetation  # a grass verge below the buildings
    for _ in range(int(rng.integers(1, 1 + 3 * width // side))):  # trees in front of the buildings, 1 to 3 a square
        cx, radius = rng.uniform(0, width), side * rng.uniform(0.07, 0.16)
        cy = ground - radius * rng.uniform(0.3, 1.0)
        labels[(rows - cy) ** 2 + ((cols - cx) / 1.3) ** 2 < radius**2] = vegetation
    road_top = ground + max(int(side * rng.uniform(0.03, 0.1)), 1)
    vanish = width * rng.uniform(0.3, 0.7)  # the road narrows towards a vanishing point on the horizon
    half = (rows - ground) / (height - ground) * side * rng.uniform(0.6, 0.9)
    labels[(rows >= road_top) & (np.abs(cols - vanish) < half)] = road
    return labels


def _texture_canvas(name: str, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A ``height`` x ``width`` piece of texture ``name`` at a random zoom out (2x to 4x) and position.

    Only the zoom outs the texture covers are drawn (the 200 x 180 sky has no 4x from 46 pixels up). Where
    it covers none (the sky beyond 90 pixels, the 512-pixel textures beyond 256), the texture (for the sky,
    its "open sky") is resized to just cover the canvas (:func:`_covering`): one smooth piece, no tiles,
    whose seams would show.
    """
    texture = _street_texture(name)
    zoom = _redraw(rng, 2, 5, {z for z in range(2, 5) if _covers(texture, height * z, width * z)})
    if zoom is None:
        texture, zoom = _covering(_street_texture, "open sky" if name == "sky" else name, height, width), 1
    piece = _window(texture, height * zoom, width * zoom, rng)
    piece = piece if piece.ndim == 3 else piece[..., None]
    return downscale_local_mean(piece, (zoom, zoom, 1)).astype(np.float32)  # area averaging


def _render_street(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Fill each class of ``labels`` with its real texture, tinted, then light the scene (brightness, gradient)."""
    height, width = labels.shape
    paints = rng.integers(len(STREET_PAINTS), size=3)  # each material takes one paint, independently
    materials = {  # class -> (texture, tint): the sky keeps its own colour
        "sky": ("sky", (1.0, 1.0, 1.0)),
        "building": ("brick", STREET_PAINTS[paints[0]]),
        "window": ("sky", (0.35, 0.4, 0.5)),  # glass: the sky, reflected and darker
        "vegetation": ("grass", STREET_PAINTS[paints[1]]),
        "road": ("gravel", STREET_PAINTS[paints[2]]),
    }
    photo = np.zeros((height, width, 3), dtype=np.float32)
    for label, name in enumerate(STREET_CLASSES):
        texture, tint = materials[name]
        mask = labels == label
        if mask.any():
            canvas = _texture_canvas(texture, height, width, rng) * np.asarray(tint, dtype=np.float32)
            photo[mask] = canvas[mask]
    light = rng.uniform(0.75, 1.25) * (1 + rng.uniform(-0.25, 0.25) * np.linspace(-1, 1, width))[None, :, None]
    return (photo * light).clip(0, 1).astype(np.float32)


def street_scenes(split: str, count: int, size: Size = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """pix2pix's labels -> photo task, made here: ``(labels, photos)`` of ``count`` street scenes.

    ``size`` is a side or ``(height, width)``. ``labels`` is ``(count, height, width)`` int64 in
    ``range(len(STREET_CLASSES))``, laid out at random like a street (buildings with windows on a ground
    line, trees, a grass verge, a road towards a vanishing point); ``photos`` ``(count, height, width, 3)``
    float32 in [0, 1], each class filled with a real texture (skimage's brick, grass, gravel; the sky of its
    rocket photo) at a random zoom, tinted (walls of several colours) and lit (brightness and a left-right
    gradient). The layouts are the content; the textures' positions, the wall colour and the light are what
    a label map does not say. Splits ("train", "validation", "test") are independent draws; everything
    follows from ``(split, seed)``.
    """
    if split not in PHOTO_SPLITS:
        raise ValueError(f"unknown split {split!r}; accepted: {', '.join(PHOTO_SPLITS)}")
    if count < 1:
        raise ValueError(f"count must be at least 1, got count={count}")
    height, width = _shape(size, 16)
    rng = np.random.default_rng([seed, list(PHOTO_SPLITS).index(split), 1])
    labels = np.stack([_street_layout(height, width, rng) for _ in range(count)])
    photos = np.stack([_render_street(layout, rng) for layout in labels])
    return labels, photos


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


def to_tensor(image: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """``(H, W[, C])`` array to a ``(1, C, H, W)`` float tensor."""
    array = image[..., None] if image.ndim == 2 else image
    return torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1), dtype=np.float32))[None].to(device)


def to_image(tensor: torch.Tensor) -> np.ndarray:
    """``(1, C, H, W)`` tensor back to an ``(H, W[, C])`` float32 array clipped to [0, 1]."""
    array = tensor.detach().cpu().clamp(0, 1)[0].numpy().transpose(1, 2, 0)
    return array[..., 0] if array.shape[2] == 1 else array


# --- Captioned shapes: the text-to-image chapter's data ----------------------------------------

SHAPES = ("circle", "square", "triangle")
COLOURS = ("red", "green", "blue", "yellow")
SIZES = ("small", "large")
ZERO_SHOT = (("circle", "blue"), ("square", "yellow"), ("triangle", "green"))
"""The (shape, colour) combinations of :func:`captioned_shapes`'s "zero-shot" split, which its "train" and
"test" splits never show nor name: every shape and every colour is seen in training, these pairs are not."""

CAPTION_WORDS = {
    "circle": ("circle", "disc", "round blob"),
    "square": ("square", "box", "block"),
    "triangle": ("triangle", "wedge", "three-cornered shape"),
    "red": ("red", "scarlet", "crimson"),
    "green": ("green", "emerald", "grassy green"),
    "blue": ("blue", "azure", "navy"),
    "yellow": ("yellow", "golden", "lemon"),
    "small": ("small", "tiny", "little"),
    "large": ("large", "big", "huge"),
}
"""Several phrasings of every attribute: a caption picks one of each at random."""

CAPTION_TEMPLATES = (
    "a {size} {colour} {shape}",
    "one {colour} {shape}, {size}",
    "this {shape} is {colour} and {size}",
    "there is a {size} {shape} coloured {colour}",
    "the picture shows one {colour} {shape} that is {size}",
    "{size} and {colour}: a {shape}",
)
"""Word orders of a caption; none mentions position, orientation or background."""

PAINTS = {"red": (0.9, 0.12, 0.1), "green": (0.1, 0.75, 0.2), "blue": (0.15, 0.3, 0.95), "yellow": (0.95, 0.85, 0.1)}
RADII = {"small": 0.18, "large": 0.3}  # the shape's radius as a fraction of the image side
CAPTION_SPLITS = ("train", "test", "zero-shot")


@dataclass(frozen=True)
class CaptionedImages:
    """Images of :func:`captioned_shapes` with their content (what captions say) and style (what they do not).

    ``images`` ``(N, S, S, 3)`` float32 in [0, 1]; ``shape``, ``colour``, ``size`` ``(N,)`` int64 indices into
    :data:`SHAPES`, :data:`COLOURS`, :data:`SIZES`; ``captions`` ``N`` tuples of captions; ``position`` ``(N, 2)``
    the shape's centre (row, column) as fractions of the side; ``angle`` ``(N,)`` its rotation in radians;
    ``tone`` ``(N,)`` 0 for a dark background, 1 for a light one.
    """

    images: np.ndarray
    shape: np.ndarray
    colour: np.ndarray
    size: np.ndarray
    captions: tuple[tuple[str, ...], ...]
    position: np.ndarray
    angle: np.ndarray
    tone: np.ndarray

    def __len__(self) -> int:
        return len(self.images)

    @property
    def quadrant(self) -> np.ndarray:
        """The quarter of the image the shape's centre is in: 0 top left, 1 top right, 2 bottom left, 3 bottom right."""
        return (2 * (self.position[:, 0] >= 0.5) + (self.position[:, 1] >= 0.5)).astype(np.int64)

    @property
    def combination(self) -> np.ndarray:
        """The (shape, colour) pair as one index, ``shape * len(COLOURS) + colour``."""
        return self.shape * len(COLOURS) + self.colour


def combinations(split: str) -> list[tuple[int, int]]:
    """The (shape, colour) index pairs a split draws from: the zero-shot pairs, or all the others."""
    if split not in CAPTION_SPLITS:
        raise ValueError(f"unknown split {split!r}; accepted: {', '.join(CAPTION_SPLITS)}")
    held_out = {(SHAPES.index(s), COLOURS.index(c)) for s, c in ZERO_SHOT}
    pairs = [(s, c) for s in range(len(SHAPES)) for c in range(len(COLOURS))]
    return [pair for pair in pairs if (pair in held_out) == (split == "zero-shot")]


def caption(shape: str, colour: str, size: str, rng: np.random.Generator) -> str:
    """One caption of a shape: a random template of :data:`CAPTION_TEMPLATES`, a random phrasing of each attribute."""
    words = {key: CAPTION_WORDS[value][rng.integers(len(CAPTION_WORDS[value]))] for key, value in
             (("shape", shape), ("colour", colour), ("size", size))}
    return CAPTION_TEMPLATES[rng.integers(len(CAPTION_TEMPLATES))].format(**words)


def _shape_mask(
    shape: str, size: int, centre: np.ndarray, radius: float, angle: float, supersample: int = 4
) -> np.ndarray:
    """The ``(size, size)`` coverage in [0, 1] of a circle, square or triangle (anti-aliased by supersampling)."""
    fine = size * supersample
    rows, cols = (np.mgrid[0:fine, 0:fine] + 0.5) / supersample
    y, x = rows - centre[0] * size, cols - centre[1] * size
    r = radius * size
    if shape == "circle":
        inside = x**2 + y**2 <= r**2
    else:
        u = np.cos(angle) * x + np.sin(angle) * y  # coordinates in the shape's own frame
        v = -np.sin(angle) * x + np.cos(angle) * y
        if shape == "square":
            half = 0.85 * r
            inside = (np.abs(u) <= half) & (np.abs(v) <= half)
        else:  # an equilateral triangle of circumradius 1.2 r: inside its three edges
            inside = np.ones_like(u, dtype=bool)
            for k in range(3):
                a = angle + 2 * np.pi * k / 3 - np.pi / 2
                inside &= np.cos(a) * x + np.sin(a) * y <= 0.6 * r
            del u, v
    return downscale_local_mean(inside.astype(np.float32), (supersample, supersample))


def captioned_shapes(
    split: str, count: int, size: int = 32, seed: int = 0, captions_per_image: int = 5
) -> CaptionedImages:
    """A captioned dataset made here: one shape per image, its content in the captions, its style not.

    Each image shows a circle, square or triangle (:data:`SHAPES`) in one of four colours (:data:`COLOURS`),
    small or large, with ``captions_per_image`` captions that name those three attributes in varied words
    and word orders (:func:`caption`). What no caption says is the style: where the shape is, how it is turned
    and the background, a grey piece of a real photograph (:func:`photo_crops`), dark or light. Splits:
    "train" and "test" draw from the nine (shape, colour) pairs outside :data:`ZERO_SHOT` ("test" are fresh
    draws, with backgrounds from other photographs); "zero-shot" shows only the three pairs of
    :data:`ZERO_SHOT`, which neither names. Everything follows from ``(split, seed)``.
    """
    if split not in CAPTION_SPLITS:
        raise ValueError(f"unknown split {split!r}; accepted: {', '.join(CAPTION_SPLITS)}")
    if count < 1 or size < 8 or captions_per_image < 1:
        raise ValueError(f"count and captions_per_image must be at least 1 and size at least 8 pixels, got "
                         f"count={count}, size={size}, captions_per_image={captions_per_image}")
    from skimage.color import rgb2gray

    rng = np.random.default_rng([seed, CAPTION_SPLITS.index(split), 2])
    pairs = combinations(split)
    chosen = rng.integers(len(pairs), size=count)
    shape = np.array([pairs[i][0] for i in chosen], dtype=np.int64)
    colour = np.array([pairs[i][1] for i in chosen], dtype=np.int64)
    size_index = rng.integers(len(SIZES), size=count).astype(np.int64)
    tone = rng.integers(2, size=count).astype(np.int64)
    angle = rng.uniform(0, 2 * np.pi, count)
    radius = np.array([RADII[SIZES[i]] for i in size_index])
    position = rng.uniform(radius[:, None] + 0.04, 1 - radius[:, None] - 0.04, (count, 2))
    backgrounds = photo_crops("train" if split == "train" else "test", count, size, seed=int(rng.integers(2**31)))
    images = np.empty((count, size, size, 3), dtype=np.float32)
    captions = []
    for i in range(count):
        grey = rgb2gray(backgrounds[i])
        grey = (grey - grey.min()) / max(grey.max() - grey.min(), 1e-6)  # the texture, at full contrast
        background = (0.05 + 0.3 * grey) if tone[i] == 0 else (0.6 + 0.3 * grey)
        mask = _shape_mask(SHAPES[shape[i]], size, position[i], radius[i], angle[i])[..., None]
        shade = rng.uniform(0.85, 1.0)  # the paint's brightness varies a little
        paint = shade * np.asarray(PAINTS[COLOURS[colour[i]]], dtype=np.float32)
        images[i] = mask * paint + (1 - mask) * background[..., None]
        captions.append(tuple(caption(SHAPES[shape[i]], COLOURS[colour[i]], SIZES[size_index[i]], rng)
                              for _ in range(captions_per_image)))
    return CaptionedImages(images.clip(0, 1), shape, colour, size_index, tuple(captions), position, angle, tone)
