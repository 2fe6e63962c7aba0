"""Every dataset the chapters read and where it lives: the :data:`DATASETS` registry.

A :class:`Dataset` entry says what a set is and where it comes from (``source``):

* ``"wheel"``: shipped inside an installed package, always offline: scikit-image's test photos
  (:func:`dipkit.data.test_image`) and scikit-learn's handwritten digits (:func:`dipkit.data.digits`);
* ``"generated"``: made by code at run time, nothing to fetch (:mod:`dipkit.generated`);
* ``"DIPKIT_DATA"``: a folder under the directory named by the ``DIPKIT_DATA`` environment variable,
  which holds one sub-folder per dataset (``$DIPKIT_DATA/dip-release``, ``$DIPKIT_DATA/MNIST``,
  ``$DIPKIT_DATA/DIV2K``, ...). :func:`local_folder` finds it and says what to do when it is missing.
  Readers (:mod:`dipkit.data`, :mod:`dipkit.paired`) never download: ``dipkit data fetch NAME``
  (:mod:`dipkit.download`) gets each entry's ``files`` from its official source, checks each against its
  checksum and unpacks it there; sources behind a login give their ``manual`` steps instead. The Deep Image
  Prior authors' released results (``dip-release``) are also read without ``DIPKIT_DATA``:
  :func:`dipkit.data.benchmark_path` then downloads them one file at a time with pooch, checks each against
  ``dipkit/registry/dip_release.txt`` and caches it.

To add a chapter's dataset, add one entry to the tuple that builds :data:`DATASETS`, with its folder under
``DIPKIT_DATA``, the public page, the files to fetch and a checksum each (or ``None`` and a note where the
source publishes none: ``fetch`` then refuses to install it), its licence, size and the chapters using it;
``tests/test_data.py`` checks every entry. Only this module reads ``DIPKIT_DATA``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

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
            "scikit-image's test photos (TEST_IMAGES), read by data.test_image()",
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
            "scikit-learn's 1,797 handwritten digits, 8x8, read by data.digits()",
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
            "read by data.mnist()",
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
            "trajectory; read by data.benchmark_path() from DIPKIT_DATA, else downloaded and cached",
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
            "DIV2K's 800 high-resolution training photos (DIV2K/DIV2K_train_HR), read by data.photos()",
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
            "one 512x256 jpg (train/val/test), read by paired.facades() (labels as CMP class maps, for the FCN-score)",
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
            "read by paired.cityscapes() as the chapters' street classes",
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
            "(cifar-10-batches-py/), read by data.cifar10()",
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
            "class-disjoint split (trainvalclasses.txt, testclasses.txt), read by paired.cub_birds()",
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


def has_data_root() -> bool:
    """Whether ``DIPKIT_DATA`` is set: a reader that can also download (the DIP release) reads it only then."""
    return bool(os.environ.get(DATA_ENV))


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
