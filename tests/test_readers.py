"""The readers of the papers' data, each on a tiny made-up copy in the real on-disk layout, and on a broken one."""

import hashlib
import pickle
import struct

import numpy as np
import pytest
from PIL import Image

from dipkit import data, paired
from dipkit.datasets import DataUnavailableError
from dipkit.generated import STREET_CLASSES


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("DIPKIT_DATA", str(tmp_path))
    return tmp_path


def save(array: np.ndarray, path, **options) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, **options)


def truncate(path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


# ------------------------------------------------------------------ pix2pix's facades

# CMP colours written out from MATLAB's jet(12), not read from dipkit: facade, window, shop
FACADE, WINDOW, SHOP = (0, 0, 255), (0, 85, 255), (170, 0, 0)


def facade_pair(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A 512x256 pix2pix pair (photo | label map) and the class map of its label side."""
    photo = np.zeros((256, 256, 3), dtype=np.uint8)
    photo[:] = (10 * seed, 120, 200)  # its file number, in its red
    label = np.zeros((256, 256, 3), dtype=np.uint8)
    label[:] = FACADE
    label[40:100, 60:120] = WINDOW
    label[200:] = SHOP
    classes = np.full((256, 256), 1)
    classes[40:100, 60:120] = 2
    classes[200:] = 11
    return np.concatenate([photo, label], axis=1), classes


def test_facades_reads_the_label_side_as_cmp_classes_in_file_number_order(root):
    pairs = {}
    for number in (10, 2, 1):
        pairs[number] = facade_pair(number)
        save(pairs[number][0], root / "facades" / "train" / f"{number}.jpg", quality=95)
    photos, labels = paired.facades("train")
    assert photos.shape == (3, 256, 256, 3) and photos.dtype == np.uint8
    assert labels.shape == (3, 256, 256) and labels.dtype == np.int64
    for index, number in enumerate((1, 2, 10)):  # numbers, not text order
        expected = pairs[number][1]
        assert (labels[index] == expected).mean() > 0.99  # JPEG rings at the edges only
        assert (labels[index][45:95, 65:115] == 2).all() and (labels[index][210:, :] == 11).all()
        assert np.abs(photos[index, :, :248].astype(int) - pairs[number][0][:, :248]).max() <= 3  # the left half
    assert paired.CMP_CLASSES[2] == "window" and paired.CMP_CLASSES[11] == "shop"


def test_facades_refuses_a_broken_copy(root):
    folder = root / "facades" / "val"
    folder.mkdir(parents=True)
    with pytest.raises(DataUnavailableError, match="no jpg pairs in .*val"):
        paired.facades("val")
    save(facade_pair(0)[0][:, :256], folder / "1.jpg")
    with pytest.raises(DataUnavailableError, match="1.jpg is 256x256, not pix2pix's 512x256 photo | label pair"):
        paired.facades("val")
    pair = facade_pair(0)[0]
    save(np.concatenate([pair[:, 256:], pair[:, :256]], axis=1), folder / "1.jpg")  # halves swapped
    with pytest.raises(DataUnavailableError, match="its right half is no CMP label map"):
        paired.facades("val")
    save(pair, folder / "1.jpg")
    truncate(folder / "1.jpg")
    with pytest.raises(DataUnavailableError, match="1.jpg is missing or corrupt .*dipkit data fetch facades"):
        paired.facades("val")
    with pytest.raises(ValueError, match="accepted: train, val, test"):
        paired.facades("validation")


# ------------------------------------------------------------------ Cityscapes

CITY = "gtFine/train/aachen/aachen_000000_000019_gtFine_labelIds.png"
PHOTO = "leftImg8bit/train/aachen/aachen_000000_000019_leftImg8bit.png"


def cityscape(root) -> np.ndarray:
    """One 8x16 Cityscapes frame (ids of cityscapesScripts' labels.py): sky (23), building (11) and a wall (12) with
    a car (26) before them, vegetation (21) and terrain (22), a sidewalk (8), road (7)."""
    ids = np.full((8, 16), 23, dtype=np.uint8)
    ids[2:5] = 11
    ids[2:5, 12:] = 12
    ids[4, 3:6] = 26
    ids[5, :8], ids[5, 8:] = 21, 22
    ids[6] = 8
    ids[7] = 7
    save(ids, root / "cityscapes" / CITY)
    save(np.full((8, 16, 3), 90, dtype=np.uint8), root / "cityscapes" / PHOTO)
    return ids


def test_cityscapes_maps_label_ids_to_the_street_classes(root):
    cityscape(root)
    photos, labels = paired.cityscapes("train")
    assert photos.shape == (1, 8, 16, 3) and (photos == 90).all()
    assert labels.shape == (1, 8, 16) and labels.dtype == np.int64
    assert labels[0, 0, 0] == STREET_CLASSES.index("sky") and labels[0, 3, 0] == STREET_CLASSES.index("building")
    assert (labels[0, 2:4, 12:] == STREET_CLASSES.index("building")).all()  # a wall is building
    assert (labels[0, 5] == STREET_CLASSES.index("vegetation")).all()  # terrain too
    assert (labels[0, 6:] == STREET_CLASSES.index("road")).all()  # and a sidewalk is road
    assert (labels[0, 4, 3:6] == paired.IGNORE).all()  # a car is none of the chapter's classes
    assert "window" not in paired.CITYSCAPES_STREET_IDS  # Cityscapes labels no windows
    _, small = paired.cityscapes("train", size=4)
    assert small.shape == (1, 4, 4) and set(np.unique(small)) <= {-1, 0, 1, 3, 4}


def test_cityscapes_refuses_a_broken_copy(root):
    with pytest.raises(DataUnavailableError, match="Cityscapes needs an account"):
        paired.cityscapes("train")
    ids = cityscape(root)
    ids[0, 0] = 40
    save(ids, root / "cityscapes" / CITY)
    with pytest.raises(DataUnavailableError, match="largest id 40 .*ids are 0-33"):
        paired.cityscapes("train")
    truncate(root / "cityscapes" / CITY)
    with pytest.raises(DataUnavailableError, match="labelIds.png is missing or corrupt"):
        paired.cityscapes("train")
    cityscape(root)
    (root / "cityscapes" / PHOTO).unlink()
    with pytest.raises(DataUnavailableError, match="has no photo: .*leftImg8bit.png is missing"):
        paired.cityscapes("train")


# ------------------------------------------------------------------ CUB-200-2011 and Reed et al.'s captions

BIRDS = {1: "001.Black_footed_Albatross/Black_Footed_Albatross_0001_796111",
         2: "002.Laysan_Albatross/Laysan_Albatross_0001_545",
         3: "001.Black_footed_Albatross/Black_Footed_Albatross_0002_55"}


def cub(root, captions: int = 10) -> None:
    birds, text = root / "CUB_200_2011", root / "cub_icml"
    for number, path in BIRDS.items():
        save(np.full((30 + number, 40, 3), 50 * number, dtype=np.uint8), birds / "images" / f"{path}.jpg")
        (text / "text_c10" / path).parent.mkdir(parents=True, exist_ok=True)
        (text / "text_c10" / f"{path}.txt").write_text(
            "".join(f"bird {number} caption {k}\n" for k in range(captions)))
    (birds / "images.txt").write_text("".join(f"{n} {path}.jpg\n" for n, path in BIRDS.items()))
    (text / "trainvalclasses.txt").write_text("001.Black_footed_Albatross\n")
    (text / "testclasses.txt").write_text("002.Laysan_Albatross\n")


def test_cub_birds_reads_photos_captions_and_the_class_disjoint_split(root):
    cub(root)
    images, captions, species = paired.cub_birds("trainval", size=16)
    assert images.shape == (2, 16, 16, 3) and images.dtype == np.uint8
    assert species.tolist() == [0, 0] and abs(int(images[1].mean()) - 150) <= 2  # photos 1 and 3, in order
    assert captions[1] == tuple(f"bird 3 caption {k}" for k in range(10))
    images, captions, species = paired.cub_birds("test", size=16)
    assert species.tolist() == [1] and captions[0][0] == "bird 2 caption 0" and abs(int(images.mean()) - 100) <= 2
    assert len(paired.cub_birds("trainval", size=16, limit=1)[1]) == 1


def test_cub_birds_refuses_a_broken_copy(root):
    with pytest.raises(DataUnavailableError, match="'cub-200-2011' is not at"):
        paired.cub_birds()
    cub(root, captions=9)
    with pytest.raises(DataUnavailableError, match="holds 9 captions, not Reed et al.'s 10: the captions are on Goog"):
        paired.cub_birds()
    cub(root)
    (root / "CUB_200_2011" / "images" / f"{BIRDS[3]}.jpg").unlink()
    with pytest.raises(DataUnavailableError, match="Albatross_0002_55.jpg is missing or corrupt"):
        paired.cub_birds()
    (root / "cub_icml" / "testclasses.txt").unlink()
    with pytest.raises(DataUnavailableError, match="class or image list is unreadable"):
        paired.cub_birds("test")
    with pytest.raises(ValueError, match="accepted: trainval, test"):
        paired.cub_birds("train")


# ------------------------------------------------------------------ CIFAR-10 and MNIST, the readers that existed


def cifar(root) -> dict[str, str]:
    """The python version's seven pickles, two images a batch; their md5s."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir()
    planes = np.zeros((2, 3072), dtype=np.uint8)
    planes[0, 0], planes[0, 1024], planes[0, 2048] = 10, 20, 30  # pixel (0, 0) of image 0: R, G, B planes
    batches = {f"data_batch_{k}": {"data": planes, "labels": [k, 9]} for k in range(1, 6)}
    batches["test_batch"] = {"data": planes, "labels": [3, 4]}
    batches["batches.meta"] = {"label_names": [f"class {k}" for k in range(10)]}
    for name, content in batches.items():
        (folder / name).write_bytes(pickle.dumps(content))
    return {name: hashlib.md5((folder / name).read_bytes()).hexdigest() for name in batches}


def test_cifar10_reads_a_copy_in_the_python_layout_whose_md5s_match(root, monkeypatch):
    import torchvision.datasets

    md5 = cifar(root)
    with pytest.raises(DataUnavailableError, match="CIFAR-10 in .* is unreadable .*dipkit data fetch cifar-10"):
        data.cifar10()  # torchvision holds the files to the real md5s: a made-up copy is refused as corrupt
    cifar10 = torchvision.datasets.CIFAR10
    monkeypatch.setattr(cifar10, "train_list", [[f"data_batch_{k}", md5[f"data_batch_{k}"]] for k in range(1, 6)])
    monkeypatch.setattr(cifar10, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setattr(cifar10, "meta", {**cifar10.meta, "md5": md5["batches.meta"]})
    (train_x, train_y), (test_x, test_y) = data.cifar10()
    assert train_x.shape == (10, 32, 32, 3) and train_x.dtype == np.float32
    np.testing.assert_allclose(train_x[0, 0, 0], np.array([10, 20, 30]) / 255, atol=1e-7)  # planes to HWC
    assert train_y.tolist() == [1, 9, 2, 9, 3, 9, 4, 9, 5, 9] and test_y.tolist() == [3, 4]
    with (root / "cifar-10-batches-py" / "test_batch").open("ab") as handle:
        handle.write(b"x")
    with pytest.raises(DataUnavailableError, match="unreadable"):
        data.cifar10()


def test_mnist_refuses_a_truncated_file(root):
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix in ("train", "t10k"):
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(struct.pack(">IIII", 2051, 2, 28, 28) + bytes(2 * 784))
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(struct.pack(">II", 2049, 2) + bytes([3, 7]))
    assert data.mnist()[0][0].shape == (2, 28, 28)
    truncate(raw / "train-images-idx3-ubyte")
    with pytest.raises(DataUnavailableError, match="MNIST in .* is unreadable"):
        data.mnist()
