"""The datasets made by code, for the chapters whose real data is too large for a laptop's CPU.

* :func:`photo_crops`: random colour crops of the photographs that ship with scikit-image and
  scikit-learn (split by photograph, :data:`dipkit.data.PHOTO_SPLITS`), the small natural images of the
  LAPGAN and text-to-image chapters;
* :func:`edge_pairs`: pix2pix's edges -> photo task on those crops (chapter 09);
* :func:`street_scenes`: pix2pix's and CRN's labels -> photo task, street layouts drawn at random and
  rendered with real textures (chapters 09, 10);
* :func:`captioned_shapes`: one coloured shape per image with captions that name it, the text-to-image
  chapter's data (chapter 08).

Each is registered in :data:`dipkit.datasets.DATASETS` (source ``"generated"``) and follows from its
arguments alone: the same split, count, size and seed give the same arrays.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import skimage.data
from skimage.transform import downscale_local_mean, rescale, resize

from dipkit.data import PHOTO_SPLITS, natural_photo
from dipkit.paired import STREET_CLASSES

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



STREET_CLASS_COLOURS = np.array([(0.35, 0.55, 0.95), (0.7, 0.25, 0.2), (0.1, 0.1, 0.3), (0.2, 0.7, 0.2),
                                 (0.5, 0.5, 0.5)])
"""One colour per class of :data:`STREET_CLASSES`, to draw a label map: ``STREET_CLASS_COLOURS[labels]``."""

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
