"""Every image the chapters use, and where each set of them comes from: the :data:`DATASETS` registry.

A :class:`Dataset` entry says what a set is and where it lives (``source``):

* ``"wheel"``: shipped inside an installed package, always offline: scikit-image's test photos
  (:data:`TEST_IMAGES`, :func:`test_image`) and scikit-learn's handwritten digits (:func:`digits`);
* ``"generated"``: made by code at run time, nothing to fetch (:mod:`dipkit.generated`);
* ``"DIPKIT_DATA"``: a folder under the directory named by the ``DIPKIT_DATA`` environment variable,
  which holds one sub-folder per dataset (``$DIPKIT_DATA/dip-release``, ``$DIPKIT_DATA/MNIST``,
  ``$DIPKIT_DATA/DIV2K``, ...). :func:`local_folder` finds it and says what to do when it is missing.
  Readers never download: ``dipkit data fetch NAME`` (:mod:`dipkit.download`) gets each entry's ``files``
  from its official source, checks each against its checksum and unpacks it there; sources behind a login
  give their ``manual`` steps instead. The Deep Image Prior authors' released results (``dip-release``)
  are also read without ``DIPKIT_DATA``: :func:`benchmark_path` then downloads them one file at a time
  with pooch, checks each against ``dipkit/registry/dip_release.txt`` and caches it.

To add a chapter's dataset, add one entry to the tuple that builds :data:`DATASETS`, with its folder under
``DIPKIT_DATA``, the public page, the files to fetch and a checksum each (or ``None`` and a note where the
source publishes none: ``fetch`` then refuses to install it), its licence, size and the chapters using it;
``tests/test_data.py`` checks every entry. A paper profile that falls back to other data when its dataset
is missing says so with :func:`fall_back`, which the chapter's claims record (:class:`dipkit.report.Claims`).
Only this module reads ``DIPKIT_DATA``.

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
class Remote:
    """One file of a dataset's official source, and the checksum ``dipkit data fetch`` holds it to.

    ``checksum`` is pooch's ``"sha256:<hex>"`` or ``"md5:<hex>"``, or None where no checksum could be traced to
    a published record (then ``fetch`` refuses to install the file and says how to get it by hand);
    ``checksum_source`` says who published it. The file is unpacked (tar, zip or gzip) into ``into``, a folder
    relative to ``DIPKIT_DATA``: what it unpacks must end up in the dataset's folder.
    """

    url: str
    checksum: str | None
    checksum_source: str
    into: str = ""

    @property
    def filename(self) -> str:
        return self.url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Dataset:
    """One dataset the chapters read: what it is, where it lives, where the public copy is, who may use it.

    ``folder`` is the sub-folder of ``DIPKIT_DATA`` (``DIPKIT_DATA`` datasets only) and ``layout`` what a reader
    expects in it; ``url`` the page a reader downloads it from; ``files`` what ``dipkit data fetch`` downloads
    (empty where it cannot: ``manual`` then gives the steps, e.g. behind a login); ``checksums`` a sha256
    registry file inside the ``dipkit`` package (the DIP release, downloaded file by file); ``used_by`` the
    chapters and profiles that read it; ``note`` its citation.
    """

    name: str
    description: str
    source: Source
    folder: str | None = None
    url: str | None = None
    checksums: str | None = None
    note: str = ""
    used_by: str = ""
    licence: str = ""
    size: str = ""
    layout: str = ""
    files: tuple[Remote, ...] = ()
    manual: str = ""

    def __post_init__(self) -> None:
        """Refuse a malformed entry when the module is imported, not when a chapter first reads it."""
        if self.source not in SOURCES:
            raise ValueError(f"dataset {self.name!r}: source {self.source!r}; accepted: {', '.join(SOURCES)}")
        if (self.source == "DIPKIT_DATA") != (self.folder is not None):
            raise ValueError(f"dataset {self.name!r}: a folder goes with, and only with, source DIPKIT_DATA")
        if self.source == "DIPKIT_DATA" and not self.url:
            raise ValueError(f"dataset {self.name!r}: a DIPKIT_DATA dataset needs the URL to get it from")
        if self.source == "DIPKIT_DATA" and not (self.files or self.checksums or self.manual):
            raise ValueError(f"dataset {self.name!r}: a DIPKIT_DATA dataset needs files to fetch or manual steps")
        if not all(remote.checksum is None or remote.checksum.startswith(("sha256:", "md5:")) for remote in self.files):
            raise ValueError(f"dataset {self.name!r}: a checksum is 'sha256:<hex>' or 'md5:<hex>' (or None)")


TORCHVISION_MNIST = "torchvision.datasets.MNIST.resources (the md5s torchvision checks its mirrors' files against)"
TFDS_DIV2K = ("TensorFlow Datasets' url_checksums/div2k.txt (recorded by TFDS from the official URL; "
              "the DIV2K page publishes none)")
NO_CHECKSUM = "none published by the source or traced to a record: dipkit does not install it unverified"

DATASETS: dict[str, Dataset] = {
    entry.name: entry
    for entry in (
        Dataset(
            "skimage",
            "scikit-image's test photos (TEST_IMAGES), read by test_image()",
            "wheel",
            url="https://scikit-image.org/docs/stable/api/skimage.data.html",
            note="each photo's source and licence are in its skimage.data docstring",
            used_by="00-02, 06 (all profiles)",
            licence="each photo's own (skimage.data docstrings)",
            size="in the wheel",
        ),
        Dataset(
            "photo-crops",
            "colour crops (square or height x width) of the photographs shipped in scikit-image and scikit-learn "
            "(NATURAL_PHOTOS), split by photograph (PHOTO_SPLITS), read by generated.photo_crops()",
            "wheel",
            url="https://scikit-learn.org/stable/modules/generated/sklearn.datasets.load_sample_images.html",
            note="china and flower: scikit-learn's sample images (Creative Commons); the others: skimage.data",
            used_by="07 quick, 08, 09 (all)",
            licence="Creative Commons (sklearn), skimage.data's",
            size="in the wheel",
        ),
        Dataset(
            "digits",
            "scikit-learn's 1,797 handwritten digits, 8x8, read by digits()",
            "wheel",
            url="https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits",
            note="UCI Optical Recognition of Handwritten Digits (Alpaydin & Kaynak, 1998)",
            used_by="03-05 quick",
            licence="CC BY 4.0 (UCI)",
            size="in the wheel",
        ),
        Dataset(
            "mnist",
            "MNIST's 60,000 + 10,000 handwritten digits, 28x28, in torchvision's layout (MNIST/raw/), "
            "read by mnist()",
            "DIPKIT_DATA",
            folder="MNIST",  # torchvision's layout: the folder is named after its MNIST class
            url="https://ossci-datasets.s3.amazonaws.com/mnist/",  # torchvision's first mirror
            note="LeCun, Cortes & Burges, the MNIST database of handwritten digits",
            used_by="03-05 paper",
            licence="none stated by the authors; cite LeCun et al.",
            size="11 MB",
            layout="raw/ holding the four unpacked IDX files (train-images-idx3-ubyte, ...)",
            files=tuple(
                Remote(f"https://ossci-datasets.s3.amazonaws.com/mnist/{name}", f"md5:{md5}", TORCHVISION_MNIST,
                       into="MNIST/raw")
                for name, md5 in (
                    ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                    ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                    ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                    ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
                )
            ),
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
            used_by="01, 02, 06 (all)",
            licence="none stated by the authors (their project page)",
            size="64 MB",
            layout="SR/, Denoising/, process/ as on the authors' project page (dipkit/registry/dip_release.txt)",
        ),
        Dataset(
            "div2k",
            "DIV2K's 800 high-resolution training photos (DIV2K/DIV2K_train_HR), read by photos()",
            "DIPKIT_DATA",
            folder="DIV2K",
            url="https://data.vision.ee.ethz.ch/cvl/DIV2K/",
            note="Agustsson & Timofte, NTIRE 2017",
            used_by="06 paper",
            licence="academic research only",
            size="3.5 GB",
            layout="DIV2K_train_HR/ holding 0001.png ... 0800.png",
            files=(
                Remote("https://data.vision.ee.ethz.ch/cvl/DIV2K/DIV2K_train_HR.zip",
                       "sha256:9d0b9c463f6e35b6c62cc6a930ee2224f670b34c1df841a57670f9acf0f6c335", TFDS_DIV2K,
                       into="DIV2K"),
            ),
        ),
        Dataset(
            "street-scenes",
            "label maps of street scenes (sky, building, window, vegetation, road) laid out at random and the "
            "photos rendered from them with real textures, read by generated.street_scenes(); the pix2pix and CRN "
            "chapters",
            "generated",
            url="https://scikit-image.org/docs/stable/api/skimage.data.html",
            note="textures: skimage.data's brick, grass and gravel and the sky of its rocket photo",
            used_by="09, 10 (all)",
            licence="made by dipkit from skimage.data's textures",
            size="made by code",
        ),
        Dataset(
            "edges-photos",
            "Canny edge maps of generated.photo_crops() and the crops themselves, read by generated.edge_pairs()",
            "generated",
            url="https://scikit-image.org/docs/stable/api/skimage.feature.html#skimage.feature.canny",
            used_by="09 (all)",
            licence="made by dipkit from photo-crops",
            size="made by code",
        ),
        Dataset(
            "facades",
            "pix2pix's CMP Facades: 606 pairs of a facade photo (left) and its colour-coded label map (right) in "
            "one 512x256 jpg (train/val/test), read by facades() (labels as CMP class maps, for the FCN-score)",
            "DIPKIT_DATA",
            folder="facades",
            url="https://efrosgans.eecs.berkeley.edu/pix2pix/datasets/facades.tar.gz",
            note="Tylecek & Sara, the CMP Facade Database, GCPR 2013",
            used_by="09 paper (reader only)",
            licence="research use; cite Tylecek & Sara 2013",
            size="29 MB",
            layout="train/, val/, test/ holding 1.jpg, 2.jpg, ... (photo | label map, 512x256)",
            files=(Remote("http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/facades.tar.gz", None, NO_CHECKSUM),),
        ),
        Dataset(
            "cityscapes",
            "Cityscapes' fine annotations: 2975 + 500 street photos and their label-id maps (gtFine, leftImg8bit), "
            "read by cityscapes() as the chapters' street classes",
            "DIPKIT_DATA",
            folder="cityscapes",
            url="https://www.cityscapes-dataset.com/",
            note="Cordts et al., CVPR 2016",
            used_by="09, 10 paper (reader only)",
            licence="non-commercial research; registration required",
            size="11 GB",
            layout="gtFine/<split>/<city>/*_gtFine_labelIds.png and leftImg8bit/<split>/<city>/*_leftImg8bit.png",
            manual=(
                "Cityscapes needs an account: 1. register and log in at https://www.cityscapes-dataset.com/login/; "
                "2. download gtFine_trainvaltest.zip (241 MB) and leftImg8bit_trainvaltest.zip (11 GB) from "
                "https://www.cityscapes-dataset.com/downloads/; 3. unzip both into $DIPKIT_DATA/cityscapes/, "
                "so that it holds gtFine/ and leftImg8bit/ (each with train/, val/, test/)"
            ),
        ),
        Dataset(
            "cifar-10",
            "CIFAR-10's 50,000 + 10,000 colour images, 32x32, 10 classes, in the python version's pickled batches "
            "(cifar-10-batches-py/), read by cifar10()",
            "DIPKIT_DATA",
            folder="cifar-10-batches-py",  # the folder inside the published cifar-10-python.tar.gz
            url="https://www.cs.toronto.edu/~kriz/cifar.html",
            note="Krizhevsky, Learning Multiple Layers of Features from Tiny Images, 2009",
            used_by="07 paper",
            licence="none stated; cite Krizhevsky 2009",
            size="163 MB",
            layout="data_batch_1 ... data_batch_5, test_batch, batches.meta",
            files=(
                Remote("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                       "md5:c58f30108f718f92721af3b95e74349a",
                       "the CIFAR page (https://www.cs.toronto.edu/~kriz/cifar.html), also torchvision's CIFAR10"),
            ),
        ),
        Dataset(
            "captioned-shapes",
            "one coloured shape per image on a real photo texture, with captions that name its shape, colour and "
            "size but not its position, orientation or background; a zero-shot split of attribute combinations "
            "no training caption names; read by generated.captioned_shapes(); the text-to-image chapter",
            "generated",
            url="https://scikit-image.org/docs/stable/api/skimage.data.html",
            note="backgrounds: generated.photo_crops() of the photographs in scikit-image and scikit-learn, in grey",
            used_by="08 (all)",
            licence="made by dipkit from photo-crops",
            size="made by code",
        ),
        Dataset(
            "cub-200-2011",
            "Caltech-UCSD Birds-200-2011: 11,788 photos of 200 bird species (CUB_200_2011/), read with Reed et al.'s "
            "captions (cub-captions) by cub_birds()",
            "DIPKIT_DATA",
            folder="CUB_200_2011",
            url="https://data.caltech.edu/records/65de6-vp158",
            note="Wah, Branson, Welinder, Perona & Belongie, CNS-TR-2011-001",
            used_by="08 paper (reader only)",
            licence="as on its CaltechDATA record; cite Wah et al. 2011",
            size="1.1 GB",
            layout="images.txt, image_class_labels.txt, train_test_split.txt, images/<class>/<photo>.jpg",
            files=(
                Remote("https://data.caltech.edu/records/65de6-vp158/files/CUB_200_2011.tgz",
                       "md5:97eceeb196236b17998738112f37df78",
                       "third-party: the md5 the widely used PyTorch loaders (TDeVries/cub2011_dataset) check the "
                       "same archive against, from its former vision.caltech.edu URL; not checked against "
                       "CaltechDATA's record here"),
            ),
        ),
        Dataset(
            "cub-captions",
            "Reed et al.'s ten captions per CUB photo (cub_icml/text_c10/<class>/<photo>.txt) and their "
            "class-disjoint split (trainvalclasses.txt, testclasses.txt), read by cub_birds()",
            "DIPKIT_DATA",
            folder="cub_icml",
            url="https://github.com/reedscot/icml2016",
            note="Reed, Akata, Lee & Schiele, Learning Deep Representations of Fine-Grained Visual Descriptions, "
                 "CVPR 2016",
            used_by="08 paper (reader only)",
            licence="none stated; cite Reed et al. 2016",
            size="not published",
            layout="text_c10/<class>/<photo>.txt (10 captions each), trainvalclasses.txt, testclasses.txt",
            manual=(
                "the captions are on Google Drive, which needs a browser: 1. open "
                "https://drive.google.com/file/d/0B0ywwgffWnLLbXlIekszSWE5VVU/view (the 'birds' caption data of "
                "https://github.com/reedscot/icml2016's README) and download it; 2. unpack it into $DIPKIT_DATA, "
                "so that $DIPKIT_DATA/cub_icml/ holds text_c10/ and the class lists; no checksum is published, "
                "so dipkit reads it unverified"
            ),
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


def data_root() -> Path:
    """The folder ``DIPKIT_DATA`` names, where ``dipkit data fetch`` installs: an error when it is not set."""
    root = os.environ.get(DATA_ENV)
    if not root:
        raise DataUnavailableError(f"{DATA_ENV} is not set: set it to the folder that holds (or will hold) one "
                                   "folder per dataset, e.g. export DIPKIT_DATA=~/dipkit-data")
    return Path(root)


def local_folder(name: str) -> Path:
    """The folder of a ``DIPKIT_DATA`` dataset, or an error that says where it should be and how to get it."""
    entry = dataset(name)
    if entry.folder is None:
        raise ValueError(f"dataset {name!r} has source {entry.source!r}: it has no folder under {DATA_ENV}")
    fetch = entry.manual if entry.manual else f"get it from {entry.url} (dipkit data fetch {name})"
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


def _rgb(path: Path, dataset_name: str) -> np.ndarray:
    """One image file as uint8 RGB, or an error naming the file when it is truncated or unreadable."""
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except (OSError, SyntaxError) as error:  # PIL: "image file is truncated", "cannot identify image file"
        raise DataUnavailableError(f"{path} is missing or corrupt ({error}); replace it with the file from "
                                   f"{dataset(dataset_name).url}, or run: dipkit data fetch {dataset_name}") from error


def _resized(image: np.ndarray, size: int | None, resample: Image.Resampling) -> np.ndarray:
    return image if size is None else np.asarray(Image.fromarray(image).resize((size, size), resample))


CMP_CLASSES = ("background", "facade", "window", "door", "cornice", "sill", "balcony", "blind", "deco", "molding",
               "pillar", "shop")
"""The CMP Facade Database's 12 classes, in its label order (its label 1 is class 0 here)."""

CMP_COLOURS = np.array([(0, 0, 170), (0, 0, 255), (0, 85, 255), (0, 170, 255), (0, 255, 255), (85, 255, 170),
                        (170, 255, 85), (255, 255, 0), (255, 170, 0), (255, 85, 0), (255, 0, 0), (170, 0, 0)])
"""The colour of each of :data:`CMP_CLASSES` in pix2pix's label images: MATLAB's ``jet(12)``, the colour map
of the CMP database's label images (from the database's description; no copy of the archive was at hand to
check it against)."""

FACADE_SPLITS = ("train", "val", "test")
FACADE_MAX_COLOUR_ERROR = 40.0
"""Mean distance (0-255 RGB) from a label image's pixels to their nearest class colour above which it is not a
label map (a photo, or a pair with its halves swapped): JPEG noise on a real label map stays well below it."""


def facades(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """pix2pix's facades: ``(photos, labels)``, uint8 ``(N, 256, 256, 3)`` and int64 class maps ``(N, 256, 256)``
    of :data:`CMP_CLASSES`, in file-number order, for the FCN-score's labels -> photo task.

    Each ``$DIPKIT_DATA/facades/<split>/<n>.jpg`` is one 512x256 pair, the photo on the left and its label map on
    the right, drawn in :data:`CMP_COLOURS`; each label pixel gets the class of its nearest colour (the jpgs blur
    the edges). A file of another size, an unreadable one, or a right half that is no label map is refused.
    """
    if split not in FACADE_SPLITS:
        raise ValueError(f"unknown split {split!r}; accepted: {', '.join(FACADE_SPLITS)}")
    folder = local_folder("facades") / split
    files = sorted(folder.glob("*.jpg"), key=lambda path: (len(path.stem), path.stem))  # 1, 2, ..., 10
    if not files:
        raise DataUnavailableError(f"no jpg pairs in {folder}: $DIPKIT_DATA/facades holds {DATASETS['facades'].layout}")
    photos, labels = [], []
    for file in files:
        pair = _rgb(file, "facades")
        if pair.shape != (256, 512, 3):
            raise DataUnavailableError(f"{file} is {pair.shape[1]}x{pair.shape[0]}, not pix2pix's 512x256 "
                                       "photo | label pair")
        pixels = pair[:, 256:].reshape(-1, 1, 3).astype(np.int32)
        distance = np.sqrt(((pixels - CMP_COLOURS[None]) ** 2).sum(-1))  # (pixels, classes)
        error = distance.min(axis=1).mean()
        if error > FACADE_MAX_COLOUR_ERROR:
            raise DataUnavailableError(f"{file}: its right half is no CMP label map (mean distance {error:.0f} to "
                                       f"the nearest class colour, more than {FACADE_MAX_COLOUR_ERROR:.0f})")
        photos.append(pair[:, :256])
        labels.append(distance.argmin(axis=1).reshape(256, 256))
    return np.stack(photos), np.stack(labels).astype(np.int64)


STREET_CLASSES = ("sky", "building", "window", "vegetation", "road")
"""The classes of the pix2pix and CRN chapters' street scenes, in label order: those :func:`generated.street_scenes`
draws (:mod:`dipkit.generated` takes them from here) and :func:`cityscapes` maps Cityscapes' label ids to."""

CITYSCAPES_STREET_IDS = {"sky": (23,), "building": (11, 12, 15, 16), "vegetation": (21, 22),
                         "road": (6, 7, 8, 9, 10)}
"""Cityscapes' label ids (cityscapesScripts' ``labels.py``) behind each class of the chapters' street scenes
(:data:`STREET_CLASSES`): sky; building, wall, bridge, tunnel; vegetation, terrain; ground,
road, sidewalk, parking, rail track. Cityscapes has no window class; every other id (people, vehicles, poles,
signs, void) becomes :data:`IGNORE`."""

IGNORE = -1
CITYSCAPES_SPLITS = ("train", "val", "test")


def cityscapes_classes() -> np.ndarray:
    """A lookup table from each of Cityscapes' 34 label ids to its street class (:data:`CITYSCAPES_STREET_IDS`)."""
    table = np.full(34, IGNORE, dtype=np.int64)
    for name, ids in CITYSCAPES_STREET_IDS.items():
        table[list(ids)] = STREET_CLASSES.index(name)
    return table


def cityscapes(
    split: str = "train", size: int | None = None, limit: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Cityscapes' fine annotations as the chapters' street scenes: ``(photos, labels)``, uint8 ``(N, H, W, 3)``
    and int64 ``(N, H, W)`` street classes (:data:`IGNORE` where Cityscapes' class is none of them).

    Read from ``gtFine/<split>/<city>/*_gtFine_labelIds.png`` and the ``leftImg8bit`` photo of the same name, in
    name order; ``size`` resizes both to ``size`` x ``size`` (photos bicubic, labels nearest), as pix2pix's runs
    do, and ``limit`` reads the first ones only (the full photos are 2048x1024). A label id outside 0-33, a
    missing photo or an unreadable file is refused.
    """
    if split not in CITYSCAPES_SPLITS:
        raise ValueError(f"unknown split {split!r}; accepted: {', '.join(CITYSCAPES_SPLITS)}")
    root = local_folder("cityscapes")
    files = sorted((root / "gtFine" / split).glob("*/*_gtFine_labelIds.png"))[:limit]
    if not files:
        raise DataUnavailableError(f"no *_gtFine_labelIds.png under {root / 'gtFine' / split}: "
                                   f"{DATASETS['cityscapes'].manual}")
    table, photos, labels = cityscapes_classes(), [], []
    for file in files:
        photo_file = root / "leftImg8bit" / split / file.parent.name / file.name.replace("gtFine_labelIds",
                                                                                       "leftImg8bit")
        if not photo_file.is_file():
            raise DataUnavailableError(f"{file} has no photo: {photo_file} is missing")
        try:
            with Image.open(file) as image:
                ids = np.asarray(image)
        except (OSError, SyntaxError) as error:
            raise DataUnavailableError(f"{file} is missing or corrupt ({error})") from error
        if ids.ndim != 2 or ids.max() >= len(table):
            raise DataUnavailableError(f"{file} is no label-id map: shape {ids.shape}, largest id {ids.max()} "
                                       f"(Cityscapes' ids are 0-{len(table) - 1}, one channel)")
        photo = _rgb(photo_file, "cityscapes")
        if photo.shape[:2] != ids.shape:
            raise DataUnavailableError(f"{photo_file} is {photo.shape[1]}x{photo.shape[0]} but its labels "
                                       f"{ids.shape[1]}x{ids.shape[0]}")
        photos.append(_resized(photo, size, Image.Resampling.BICUBIC))
        labels.append(table[_resized(ids.astype(np.uint8), size, Image.Resampling.NEAREST)])
    return np.stack(photos), np.stack(labels)


CUB_SPLITS = {"trainval": "trainvalclasses.txt", "test": "testclasses.txt"}
"""Reed et al.'s class-disjoint split of CUB (150 train+val species, 50 test species), the paper's; CUB's own
``train_test_split.txt`` splits each species' photos instead and is not used."""
CAPTIONS_PER_IMAGE = 10


def cub_birds(split: str = "trainval", size: int = 64,
              limit: int | None = None) -> tuple[np.ndarray, list[tuple[str, ...]], np.ndarray]:
    """CUB-200-2011 with Reed et al.'s captions: ``(images, captions, species)``, uint8 ``(N, size, size, 3)``
    photos (whole photo, resized), ten captions per photo, and int64 species 0-199.

    The photos are ``$DIPKIT_DATA/CUB_200_2011/images/<species>/<photo>.jpg`` in ``images.txt``'s order, the
    captions ``$DIPKIT_DATA/cub_icml/text_c10/<species>/<photo>.txt``, one per line, the split the species
    listed in ``cub_icml/<split>classes.txt``; ``limit`` reads the first photos only. A photo without its
    ten captions, or an unreadable photo, is refused.
    """
    if split not in CUB_SPLITS:
        raise ValueError(f"unknown split {split!r}; accepted: {', '.join(CUB_SPLITS)}")
    birds, captions_root = local_folder("cub-200-2011"), local_folder("cub-captions")
    try:
        species = set((captions_root / CUB_SPLITS[split]).read_text().split())
        listed = [line.split()[1] for line in (birds / "images.txt").read_text().splitlines() if line.strip()]
    except (OSError, IndexError) as error:
        raise DataUnavailableError(f"CUB's class or image list is unreadable ({error}): $DIPKIT_DATA/CUB_200_2011 "
                                   f"holds {DATASETS['cub-200-2011'].layout}; $DIPKIT_DATA/cub_icml holds "
                                   f"{DATASETS['cub-captions'].layout}") from error
    paths = [path for path in listed if path.split("/")[0] in species][:limit]
    if not paths:
        raise DataUnavailableError(f"no photo in {birds / 'images.txt'} is of a species in "
                                   f"{captions_root / CUB_SPLITS[split]}")
    images, captions = [], []
    for path in paths:
        caption_file = (captions_root / "text_c10" / path).with_suffix(".txt")
        lines = caption_file.read_text().splitlines() if caption_file.is_file() else []
        lines = [line.strip() for line in lines if line.strip()]
        if len(lines) != CAPTIONS_PER_IMAGE:
            raise DataUnavailableError(f"{caption_file} holds {len(lines)} captions, not Reed et al.'s "
                                       f"{CAPTIONS_PER_IMAGE}: {DATASETS['cub-captions'].manual}")
        images.append(_resized(_rgb(birds / "images" / path, "cub-200-2011"), size, Image.Resampling.BICUBIC))
        captions.append(tuple(lines))
    labels = np.array([int(path.split(".")[0]) - 1 for path in paths], dtype=np.int64)
    return np.stack(images), captions, labels


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
