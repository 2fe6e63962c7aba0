"""Every image the chapters use.

Three sources:

* named test photos shipped inside scikit-image's wheel (always offline), see :data:`TEST_IMAGES`;
* small labelled sets shipped in-wheel for the generative models: scikit-learn's handwritten
  digits (:func:`digits`) and scikit-image's LFW face crops (:func:`faces`);
* the Deep Image Prior authors' released benchmark results (Set5/Set14 4x SR, colour denoising,
  the F16 optimisation trajectory), one file at a time through a checksummed registry
  (``dipkit/registry/dip_release.txt``). ``DIPKIT_DATA`` points at a local mirror; without it
  files are downloaded once with pooch and cached.

Images are float32 arrays in [0, 1], ``(H, W)`` for grey and ``(H, W, 3)`` for colour.
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
import torch
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


class DataUnavailableError(RuntimeError):
    """A benchmark file is neither in ``DIPKIT_DATA``, nor cached, nor downloadable."""


def test_image(name: str, size: int | None = None) -> np.ndarray:
    """A named photo from scikit-image, optionally centre-cropped to a square and resized to ``size``."""
    if name not in TEST_IMAGES:
        raise ValueError(f"unknown test image {name!r}; accepted: {', '.join(TEST_IMAGES)}")
    image = getattr(skimage.data, name)().astype(np.float32) / 255.0
    if size is not None:
        image = square_crop(image, size)
    return image


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


def faces(split: str = "all", test_fraction: float = 0.2, seed: int = 0) -> np.ndarray:
    """The 100 face crops of scikit-image's LFW subset: ``(N, 25, 25)`` float32 grey images in [0, 1]."""
    crops = skimage.data.lfw_subset()[:100]  # the first 100 are faces, the last 100 are not
    return crops[_split(len(crops), split, test_fraction, seed)].astype(np.float32)


def mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """MNIST's train and test sets, ``(N, 28, 28)`` float32 in [0, 1] and int64 labels, from a local copy.

    Read with torchvision from ``$DIPKIT_DATA/MNIST`` (torchvision's own layout) and never
    downloaded: the paper profiles use it when it is there, and fall back to :func:`digits` otherwise.
    """
    root = os.environ.get(DATA_ENV, "")
    try:
        from torchvision.datasets import MNIST

        splits = [MNIST(root, train=train, download=False) for train in (True, False)]
    except Exception as error:  # torchvision's "Dataset not found", or a broken copy
        raise DataUnavailableError(
            f"MNIST is not in {DATA_ENV}={root!r} ({type(error).__name__}: torchvision found no copy under "
            f"{DATA_ENV}/MNIST and dipkit never downloads it)"
        ) from error
    return tuple(((s.data.numpy() / 255.0).astype(np.float32), s.targets.numpy().astype(np.int64)) for s in splits)


def labelled_digits(name: str) -> tuple[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """``(used, (train_x, train_y, test_x, test_y))`` for ``name`` "digits" or "mnist", images (N, H, W) in [0, 1].

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
    return resize(square, (size, size) + square.shape[2:], anti_aliasing=True, order=3).clip(0, 1).astype(np.float32)


def _registry() -> pooch.Pooch:
    cache = Path(os.environ.get("DIPKIT_CACHE", pooch.os_cache("dipkit"))) / "dip-release"
    registry = pooch.create(path=cache, base_url=DIP_RELEASE_URL, registry=None)
    with resources.files("dipkit").joinpath("registry/dip_release.txt").open() as lines:
        registry.load_registry(lines)
    return registry


def benchmark_files(prefix: str = "") -> list[str]:
    """Registry paths of the released benchmark files starting with ``prefix`` (e.g. ``"SR/Set5/x4/"``)."""
    return sorted(path for path in _registry().registry if path.startswith(prefix))


def benchmark_path(path: str) -> Path:
    """Local path of one released benchmark file, checked against its sha256.

    Read from ``$DIPKIT_DATA/<path>`` when that variable is set, downloaded and cached otherwise.
    """
    registry = _registry()
    if path not in registry.registry:
        raise ValueError(
            f"{path!r} is not in the DIP release registry; see dipkit.data.benchmark_files() "
            f"(e.g. {benchmark_files('SR/Set5/')[0]!r})"
        )
    expected = registry.registry[path].split(":", 1)[-1]
    mirror = os.environ.get(DATA_ENV)
    if mirror:
        local = Path(mirror) / path
        if not local.is_file():
            raise DataUnavailableError(f"{local} is missing: {DATA_ENV}={mirror} does not hold {path}")
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
            f"cannot download {path} ({type(error).__name__}); offline machines set {DATA_ENV} to a local copy "
            f"of the DIP release folder (the same layout as {DIP_RELEASE_URL})"
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
