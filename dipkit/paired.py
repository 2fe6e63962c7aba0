"""The paired datasets of the image-to-image and text-to-image chapters, read from ``DIPKIT_DATA``.

pix2pix's CMP facades (:func:`facades`) and Cityscapes (:func:`cityscapes`) pair a photo with its label map;
CUB-200-2011 with Reed et al.'s captions (:func:`cub_birds`) pairs a bird photo with ten sentences. Each is
registered in :data:`dipkit.datasets.DATASETS` (``dipkit data fetch NAME``, or its manual steps) and refuses
a file that is not what the paper's release holds. Photos are uint8 ``(N, H, W, 3)``, labels int64.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from dipkit.datasets import DATASETS, DataUnavailableError, dataset, local_folder


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
