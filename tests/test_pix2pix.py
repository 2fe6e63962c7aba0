"""pix2pix (dipkit.nets.pix2pix, the pix2pix section of dipkit.losses), the paired datasets it trains on
(dipkit.generated.street_scenes, edge_pairs) and its FCN-score (dipkit.evaluation's segmentation scores)."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import scipy.fft
import skimage.data
import torch
from numpy.lib.stride_tricks import sliding_window_view
from torch import nn

from dipkit import evaluation, generated, losses, pix2pix, training
from dipkit.nets import count_parameters
from dipkit.nets.gan import dcgan_init
from dipkit.nets.pix2pix import PatchGAN, UNet, receptive_field

torch.set_num_threads(1)


# --- U-Net --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("levels", "size"), [(5, 32), (6, 64), (8, 256)])
def test_unet_keeps_the_side_and_reaches_a_1x1_bottleneck(levels, size):
    G = UNet(5, 3, levels=levels, width=4, max_width=16)
    sides = []
    G.down[-1].register_forward_hook(lambda module, inputs, output: sides.append(output.shape[-1]))
    with torch.no_grad():
        out = G(torch.randn(2, 5, size, size))
    assert out.shape == (2, 3, size, size) and out.abs().max() <= 1
    assert sides == [1]  # 2**levels = size: the paper's encoder goes down to 1x1


def test_unet_paper_architecture():
    # appendix 6.1.1: encoder C64-C128-C256-C512-C512-C512-C512-C512, U-Net decoder
    # CD512-CD1024-CD1024-C1024-C1024-C512-C256-C128 (channels after concatenating the skip)
    G = UNet(3, 3, levels=8, width=64)
    assert [block[0].out_channels for block in G.down] == [64, 128, 256, 512, 512, 512, 512, 512]
    assert [2 * block[0].out_channels for block in G.up] == [1024, 1024, 1024, 1024, 512, 256, 128]
    assert [any(isinstance(m, nn.Dropout) for m in block) for block in G.up] == [True] * 3 + [False] * 4
    assert not isinstance(G.down[0][1], nn.BatchNorm2d) and not isinstance(G.down[-1][1], nn.BatchNorm2d)
    assert 54_000_000 < count_parameters(G) < 55_000_000  # the reference U-Net-256: 54.4 M


def test_unet_skips_carry_the_input_past_the_bottleneck():
    # silence the 1x1 bottleneck: with skips the output still depends on x, without them it cannot
    torch.manual_seed(0)
    for skips in (True, False):
        G = UNet(1, 1, levels=4, width=4, dropout_layers=0, skips=skips).eval()
        G.down[-1].register_forward_hook(lambda module, inputs, output: torch.zeros_like(output))
        x = torch.randn(1, 1, 16, 16, requires_grad=True)
        G(x).sum().backward()
        assert (x.grad is not None and x.grad.abs().sum() > 0) == skips


def test_unet_dropout_is_its_noise():
    G = UNet(3, 3, levels=5, width=4)
    G.apply(dcgan_init)
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        first, second = G(x), G(x)  # train mode: dropout on, as the paper applies it at test time
    assert not torch.equal(first, second)
    G.eval()
    with torch.no_grad():
        assert torch.equal(G(x), G(x))


# --- PatchGAN -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strided", "kernel", "expected"), [(0, 1, 1), (1, 4, 16), (2, 4, 34), (3, 4, 70), (5, 4, 286)]
)
def test_receptive_field_matches_the_hand_count(strided, kernel, expected):
    # by hand, 70x70: output 1 -> k4s1: 4 -> k4s1: 7 -> k4s2: 16 -> k4s2: 34 -> k4s2: 70 (the paper's N)
    assert receptive_field(PatchGAN(6, width=4, strided_layers=strided, kernel=kernel)) == expected


@pytest.mark.parametrize(("strided", "kernel"), [(0, 1), (1, 4), (2, 4)])
def test_receptive_field_is_what_one_output_sees(strided, kernel):
    # the gradient of one central patch logit is non-zero exactly on an N x N window of the input
    D = PatchGAN(1, width=2, strided_layers=strided, kernel=kernel).eval()
    for layer in D.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.constant_(layer.weight, 0.1)
    D = nn.Sequential(*[m for m in D.net if not isinstance(m, nn.LeakyReLU)])  # linear: nothing cancels
    x = torch.zeros(1, 1, 96, 96, requires_grad=True)
    out = D(x)
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    rows, cols = np.nonzero(x.grad[0, 0].numpy())
    n = receptive_field(D)
    assert rows.max() - rows.min() + 1 == n and cols.max() - cols.min() + 1 == n


def test_patchgan_paper_70x70_layers():
    # appendix 6.1.2: C64-C128-C256-C512, then a convolution to one output; no BatchNorm on C64
    D = PatchGAN(6)
    convs = [m for m in D.net if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 128, 256, 512, 1]
    assert [c.stride[0] for c in convs] == [2, 2, 2, 1, 1]
    assert not isinstance(D.net[1], nn.BatchNorm2d) and isinstance(D.net[3], nn.BatchNorm2d)
    assert D(torch.randn(1, 6, 256, 256)).shape == (1, 1, 30, 30)  # the reference's 30x30 patch map


# --- losses --------------------------------------------------------------------------------------


def test_pix2pix_discriminator_loss_is_half_the_gan_loss():
    real, fake = torch.tensor([[2.0, -1.0]]), torch.tensor([[0.5, -3.0]])
    # -(1/2)[mean log sigmoid(real) + mean log(1 - sigmoid(fake))]
    expected = -0.5 * (torch.log(torch.sigmoid(real)).mean() + torch.log(1 - torch.sigmoid(fake)).mean())
    assert torch.isclose(losses.pix2pix_discriminator_loss(real, fake), expected)


def test_pix2pix_generator_loss_by_hand():
    fake, target = torch.zeros(1, 3, 2, 2), torch.full((1, 3, 2, 2), 0.5)
    assert losses.pix2pix_generator_loss(None, fake, target).item() == pytest.approx(50.0)  # 100 x 0.5
    logits = torch.tensor([[0.0]])  # D = 1/2: -log D = log 2
    value = losses.pix2pix_generator_loss(logits, fake, target, l1_weight=10.0).item()
    assert value == pytest.approx(np.log(2) + 5.0)


def test_one_pix2pix_step_moves_g_towards_the_target():
    torch.manual_seed(0)
    G, D = UNet(2, 3, levels=3, width=8), PatchGAN(5, width=8, strided_layers=1)
    x, y = torch.randn(4, 2, 8, 8), torch.rand(4, 3, 8, 8) * 2 - 1
    optimiser = torch.optim.Adam(G.parameters(), 1e-2)
    before = (G(x) - y).abs().mean().item()
    for _ in range(20):
        fake = G(x)
        loss = losses.pix2pix_generator_loss(D(torch.cat([x, fake], 1)), fake, y)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    assert (G(x) - y).abs().mean().item() < 0.8 * before


# --- datasets --------------------------------------------------------------------------------------


def test_street_scenes_are_seeded_labelled_and_split():
    labels, photos = generated.street_scenes("train", 6, size=32, seed=1)
    assert labels.shape == (6, 32, 32) and labels.dtype == np.int64
    assert photos.shape == (6, 32, 32, 3) and photos.dtype == np.float32 and 0 <= photos.min() <= photos.max() <= 1
    again = generated.street_scenes("train", 6, size=32, seed=1)
    np.testing.assert_array_equal(labels, again[0])
    np.testing.assert_array_equal(photos, again[1])
    other = generated.street_scenes("test", 6, size=32, seed=1)[0]
    assert not np.array_equal(labels, other)  # each split is its own draw
    assert set(np.unique(labels)) == set(range(len(generated.STREET_CLASSES)))
    assert (labels[:, 0] == generated.STREET_CLASSES.index("sky")).mean() > 0.5  # sky at the top,
    assert (labels[:, -1] == generated.STREET_CLASSES.index("road")).mean() > 0.5  # road at the bottom
    with pytest.raises(ValueError, match="accepted: train, validation, test"):
        generated.street_scenes("training", 2)


def test_street_scene_classes_are_their_textures():
    # the sky keeps the real sky's blue; a material's pixels all carry one of the shared paints
    labels, photos = generated.street_scenes("validation", 40, size=32)
    sky = photos[labels == generated.STREET_CLASSES.index("sky")]
    assert sky[:, 2].mean() > sky[:, 0].mean()
    paints = np.asarray(generated.STREET_PAINTS)
    chroma = paints / paints.sum(axis=1, keepdims=True)
    walls = [photos[i][labels[i] == 1].mean(axis=0) for i in range(40) if (labels[i] == 1).sum() > 50]
    hues = {int(np.argmin(np.abs(chroma - wall / wall.sum()).sum(axis=1))) for wall in walls}
    assert len(hues) >= 3  # walls of several paints


STREET_SOURCES = {"sky": "rocket", "building": "brick", "window": "rocket", "vegetation": "grass", "road": "gravel"}
"""The skimage.data photograph each class is cut from (the sky, and the glass that reflects it, from the rocket's)."""


@functools.cache
def block_spectra(photo: str, zoom: int, side: int) -> tuple[tuple[int, int], tuple[int, int], tuple[np.ndarray, ...]]:
    """The block means B of a skimage.data photograph's green channel (every ``zoom`` x ``zoom`` block, at every
    offset), ready to correlate with a ``side`` x ``side`` image zoomed out ``zoom`` times: the FFT's shape, B's
    shape, and the spectra of B and B**2."""
    pixels = getattr(skimage.data, photo)().astype(np.float64) / 255
    green = pixels[..., 1] if pixels.ndim == 3 else pixels
    blocks = sliding_window_view(green, (zoom, zoom)).mean(axis=(-1, -2))
    shape = tuple(scipy.fft.next_fast_len(n + (side - 1) * zoom, real=True) for n in blocks.shape)
    return shape, blocks.shape, (scipy.fft.rfft2(blocks, shape), scipy.fft.rfft2(blocks**2, shape))


def correlate(photo: str, power: int, template: np.ndarray, zoom: int) -> np.ndarray:
    """sum_ij template[i, j] * B[y + zoom i, x + zoom j]**power at every offset (y, x) that keeps it inside B."""
    shape, valid, spectra = block_spectra(photo, zoom, template.shape[0])
    dilated = np.zeros([(n - 1) * zoom + 1 for n in template.shape])
    dilated[::zoom, ::zoom] = template
    full = scipy.fft.irfft2(spectra[power - 1] * scipy.fft.rfft2(dilated[::-1, ::-1], shape), shape)
    return full[dilated.shape[0] - 1 : valid[0], dilated.shape[1] - 1 : valid[1]]


def unexplained(pixels: np.ndarray, mask: np.ndarray, photo: str, zooms=(2, 3, 4)) -> float:
    """The least fraction of the variance of ``pixels`` (one channel) under ``mask`` left by (a + b u) * B, B a
    piece of ``photo`` zoomed out by a factor of ``zooms`` (block means) and u the column, -1 to 1: a and b absorb
    any tint and any left-right light, so a piece of the photograph itself leaves only rounding."""
    u = np.broadcast_to(np.linspace(-1, 1, pixels.shape[1]), pixels.shape)
    m, p = mask.astype(np.float64), np.where(mask, pixels, 0.0)
    variance = (p**2).sum() - p.sum() ** 2 / m.sum()
    least = np.inf
    for zoom in zooms:  # least squares at every offset: each sum of the normal equations is one correlation
        s_bb, s_bbu, s_bbuu = (correlate(photo, 2, m * u**k, zoom) for k in range(3))
        s_pb, s_pbu = correlate(photo, 1, p, zoom), correlate(photo, 1, p * u, zoom)
        det = s_bb * s_bbuu - s_bbu**2
        fitted = (s_pb**2 * s_bbuu - 2 * s_pb * s_pbu * s_bbu + s_pbu**2 * s_bb) / np.where(det > 1e-12, det, np.inf)
        least = min(least, ((p**2).sum() - fitted.max()) / variance)
    return least


@pytest.fixture(scope="module")
def streets():
    yield generated.street_scenes("validation", 3, size=32, seed=0)
    block_spectra.cache_clear()  # tens of MB of spectra


@pytest.mark.parametrize(("label", "photo"), STREET_SOURCES.items())
def test_each_street_class_is_a_piece_of_its_own_photograph(streets, label, photo):
    """A class's pixels are a zoomed-out piece (2x to 4x) of its photograph, tinted and lit: among the four
    photographs, its own explains them best, at any offset, zoom, tint and left-right light. The class-to-texture
    link is otherwise unpinned (vegetation drawn with gravel passes every other test)."""
    labels, photos = streets
    clipped = photos.max(axis=-1) >= 1  # a clipped pixel is no longer the photograph's
    masks = (labels == generated.STREET_CLASSES.index(label)) & ~clipped
    i = int(masks.sum(axis=(1, 2)).argmax())  # the scene where the class shows most
    assert masks[i].sum() >= 30
    green = photos[i, ..., 1]  # the tint scales each channel: green is the photograph's green (grey: its grey)
    left = {source: unexplained(green, masks[i], source) for source in sorted(set(STREET_SOURCES.values()))}
    fits = ", ".join(f"{source} {fraction:.2g}" for source, fraction in left.items())
    assert min(left, key=left.get) == photo, f"{label} pixels fit another photograph better than {photo} ({fits})"


def test_edge_pairs_are_canny_maps_of_the_crops():
    edges, photos = generated.edge_pairs("test", 5, size=32, seed=2)
    np.testing.assert_array_equal(photos, generated.photo_crops("test", 5, size=32, seed=2))
    assert edges.shape == (5, 32, 32) and set(np.unique(edges)) <= {0.0, 1.0} and 0 < edges.mean() < 0.5


PAPER_SIZES = [64, 128, 256, (256, 512)]  # pix2pix's 256 x 256, CRN's 256 x 512 Cityscapes, and on the way


def _height_width(size):
    return (size, size) if isinstance(size, int) else size


@pytest.mark.parametrize("size", PAPER_SIZES)
def test_street_scenes_at_the_paper_sizes(size):
    height, width = _height_width(size)
    labels, photos = generated.street_scenes("train", 4, size=size, seed=1)
    assert labels.shape == (4, height, width) and labels.dtype == np.int64
    assert photos.shape == (4, height, width, 3) and photos.dtype == np.float32
    assert 0 <= photos.min() <= photos.max() <= 1
    assert set(np.unique(labels)) == set(range(len(generated.STREET_CLASSES)))
    again = generated.street_scenes("train", 4, size=size, seed=1)
    np.testing.assert_array_equal(labels, again[0])
    np.testing.assert_array_equal(photos, again[1])
    assert not np.array_equal(labels, generated.street_scenes("test", 4, size=size, seed=1)[0])


@pytest.mark.parametrize("size", [256, (256, 512)])
def test_large_street_scenes_have_windows_not_pixel_noise(size):
    from scipy.ndimage import binary_erosion

    labels = generated.street_scenes("validation", 3, size=size)[0]
    windows = labels == generated.STREET_CLASSES.index("window")
    # panes of several pixels survive a 5 x 5 erosion; the 1- or 2-pixel panes of 32-pixel scenes would not
    assert binary_erosion(windows, np.ones((1, 5, 5), bool)).sum() > 0.2 * windows.sum() > 0
    sky = labels == generated.STREET_CLASSES.index("sky")
    assert sky[:, 0].mean() > 0.5 and (labels[:, -1] == generated.STREET_CLASSES.index("road")).mean() > 0.3


@pytest.mark.parametrize("size", PAPER_SIZES)
def test_edge_pairs_at_the_paper_sizes(size):
    height, width = _height_width(size)
    edges, photos = generated.edge_pairs("test", 3, size=size, seed=2)
    assert edges.shape == (3, height, width) and edges.dtype == np.float32 and set(np.unique(edges)) <= {0.0, 1.0}
    assert photos.shape == (3, height, width, 3) and photos.dtype == np.float32
    assert 0 <= photos.min() <= photos.max() <= 1
    np.testing.assert_array_equal(photos, generated.photo_crops("test", 3, size=size, seed=2))
    np.testing.assert_array_equal(edges, generated.edge_pairs("test", 3, size=size, seed=2)[0])
    assert not np.array_equal(photos, generated.edge_pairs("train", 3, size=size, seed=2)[1])
    # at 256 no crop of these photos is flat enough to have no edge; smaller crops may be (sky, blur)
    assert edges.mean(axis=(1, 2)).min() > 0 if height >= 256 else edges.any()


def test_photo_crops_too_large_for_every_zoom_out_enlarge_the_photo():
    # chelsea is 300 x 451: a 4x shrunk view has 75 rows, and no view covers 256 x 512
    crops = generated.photo_crops("test", 6, size=(256, 512), seed=0, scales=(4,))
    assert crops.shape == (6, 256, 512, 3) and 0 <= crops.min() <= crops.max() <= 1
    assert crops.std(axis=(1, 2)).min() > 0.02  # a photo, not a blank canvas


def test_a_zoom_out_is_redrawn_until_it_fits():
    # rejection, not a draw among the values that fit: where the first draw fits, it is the old code's draw
    new, old = np.random.default_rng(5), np.random.default_rng(5)
    assert [generated._redraw(new, 2, 5, {2, 3, 4}) for _ in range(20)] == [int(old.integers(2, 5)) for _ in range(20)]
    kept = [value for value in (int(old.integers(2, 5)) for _ in range(60)) if value in (2, 3)]
    assert [generated._redraw(new, 2, 5, {2, 3}) for _ in kept] == kept and set(kept) == {2, 3}
    state = new.bit_generator.state
    assert generated._redraw(new, 2, 5, {7}) is None and new.bit_generator.state == state  # nothing fits: no draw


@pytest.mark.parametrize(
    ("make", "size", "minimum"),
    [(generated.street_scenes, 8, 16), (generated.street_scenes, 0, 16), (generated.street_scenes, (256,), 16),
     (generated.street_scenes, "big", 16), (generated.street_scenes, (256, 8), 16), (generated.street_scenes, 32.0, 16),
     (generated.edge_pairs, 2, 4), (generated.edge_pairs, (256, 512, 3), 4), (generated.photo_crops, "big", 4),
     (generated.photo_crops, (64, "64"), 4)],
)
def test_a_bad_size_is_refused_with_what_is_accepted(make, size, minimum):
    accepted = rf"size must be an int \(a square's side\) or a \(height, width\) pair of ints, each at least {minimum}"
    with pytest.raises(ValueError, match=accepted):
        make("train", 2, size=size)


# --- FCN-score -------------------------------------------------------------------------------------


def test_segmentation_scores_of_a_perfect_and_a_constant_labelling():
    target = np.array([[0, 0, 1, 1], [0, 0, 2, 2]])
    assert evaluation.segmentation_scores(target, target, 3) == {
        "pixel_accuracy": 1.0, "class_accuracy": 1.0, "class_iou": 1.0}
    constant = evaluation.segmentation_scores(np.zeros_like(target), target, 3)
    # all pixels labelled 0: 4 of 8 right; classes 0, 1, 2 recalled 1, 0, 0; IoU of 0 is 4 / 8, the others 0
    assert constant == pytest.approx({"pixel_accuracy": 0.5, "class_accuracy": 1 / 3, "class_iou": (4 / 8) / 3})
    absent = evaluation.segmentation_scores(np.array([0, 1]), np.array([0, 0]), 3)  # only class 0 present
    assert absent == pytest.approx({"pixel_accuracy": 0.5, "class_accuracy": 0.5, "class_iou": 0.5})
    with pytest.raises(ValueError, match="labels must lie in 0..2"):
        evaluation.segmentation_scores(np.array([3]), np.array([0]), 3)


def test_segmenter_learns_real_street_photos():
    labels, photos = generated.street_scenes("train", 300, size=16)
    model = training.train_segmenter(photos, labels, len(generated.STREET_CLASSES), steps=120, width=8, layers=4)
    test_labels, test_photos = generated.street_scenes("test", 50, size=16)
    scores = evaluation.fcn_score(model, test_photos, test_labels, 5)
    assert scores == evaluation.segmentation_scores(evaluation.segment(model, test_photos), test_labels, 5)
    chance = np.bincount(test_labels.ravel()).max() / test_labels.size
    assert scores["pixel_accuracy"] > chance + 0.2
    assert evaluation.segment(model, test_photos).shape == test_labels.shape


# --- the training loop (dipkit.pix2pix) ---------------------------------------------------------------


def test_to_batch_converts_labels_edges_and_photos():
    labels = np.array([[[0, 2], [1, 0]]])
    planes = pix2pix.to_batch(labels, classes=3)
    assert planes.shape == (1, 3, 2, 2) and planes[0, 2, 0, 1] == 1 and planes.sum() == 4
    assert pix2pix.to_batch(np.zeros((1, 2, 2), dtype=np.float32), 3).shape == (1, 1, 2, 2)
    photo = pix2pix.to_batch(np.ones((1, 2, 2, 3), dtype=np.float32), 3)
    assert photo.shape == (1, 3, 2, 2) and photo.min() == 1  # [0, 1] -> [-1, 1]


@pytest.mark.parametrize("objective", list(pix2pix.OBJECTIVES))
def test_pix2pix_fit_fits_every_objective(objective):
    labels, photos = generated.street_scenes("train", 16, size=16)
    make_d = {}

    def make_discriminator(channels):
        make_d["channels"] = channels
        return PatchGAN(channels, width=4, strided_layers=1)

    G = pix2pix.fit(objective, labels, photos, lambda c: UNet(c, 3, levels=4, width=4),
                                  make_discriminator, steps=3, batch_size=4, lr=1e-3, classes=5)
    assert pix2pix.translate(G, labels[:2], 5).shape == (2, 16, 16, 3)
    with_l1, conditioning = pix2pix.OBJECTIVES[objective]
    # D sees x and y (5 label planes + 3 colours) when conditional, y alone otherwise, and is not built for L1
    assert make_d.get("channels") == {"conditional": 8, "unconditional": 3, None: None}[conditioning]


def test_pix2pix_fit_refuses_an_unknown_objective():
    with pytest.raises(ValueError, match="accepted: L1, GAN, cGAN, L1\\+GAN, L1\\+cGAN"):
        pix2pix.fit("L2", np.zeros((1, 8, 8), dtype=np.int64), np.zeros((1, 8, 8, 3)), UNet, PatchGAN,
                                  steps=1, batch_size=1, lr=1e-3, classes=2)


def test_jitter_crops_and_mirrors_input_and_target_alike():
    """Each pair moves together: a label ramp and a photo made from the same ramp stay aligned after the jitter."""
    ramp = torch.arange(32.0).repeat(32, 1)  # column index
    x = ramp.expand(4, 1, 32, 32).clone()
    y = (ramp / 31).expand(4, 3, 32, 32).clone()
    jx, jy = pix2pix.jitter(x, y, torch.Generator().manual_seed(0))
    assert jx.shape == x.shape and jy.shape == y.shape
    for a, b in zip(jx, jy):
        assert set(a.unique().tolist()) <= set(range(32))  # labels enlarged by nearest neighbour: still classes
        assert torch.allclose(b[0] * 31, a[0], atol=1.0)  # the target follows the input, pixel for pixel
    assert any(not torch.equal(a, x[0]) and not torch.equal(a, x[0].flip(-1)) for a in jx)  # cropped somewhere new
    mirrored = [bool(a[0, 0, -1] < a[0, 0, 0]) for a in jx]
    assert any(mirrored) and not all(mirrored)  # about half are flipped (seeded)
