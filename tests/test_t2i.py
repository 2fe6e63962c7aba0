"""Chapter 08 (Reed et al. 2016): the captioned dataset, the text-to-image networks and their losses."""

import colorsys
import math
import re

import numpy as np
import pytest
import torch

from dipkit import generated, losses
from dipkit.nets.t2i import (
    ALPHABET,
    CharCNNRNN,
    ImageEncoder,
    MatchingDiscriminator,
    TextConditionedGenerator,
    encode_captions,
)

# --- the captioned dataset ---------------------------------------------------------------------


def test_captioned_shapes_is_deterministic_and_shaped():
    a = generated.captioned_shapes("train", 12, 16, seed=3, captions_per_image=4)
    b = generated.captioned_shapes("train", 12, 16, seed=3, captions_per_image=4)
    np.testing.assert_array_equal(a.images, b.images)
    assert a.captions == b.captions
    assert a.images.shape == (12, 16, 16, 3) and a.images.dtype == np.float32
    assert 0 <= a.images.min() and a.images.max() <= 1
    assert len(a) == 12 and all(len(c) == 4 for c in a.captions)
    c = generated.captioned_shapes("train", 12, 16, seed=4, captions_per_image=4)
    assert not np.array_equal(a.images, c.images)


def test_zero_shot_split_really_excludes_the_held_out_combinations():
    held_out = {(generated.SHAPES.index(s), generated.COLOURS.index(c)) for s, c in generated.ZERO_SHOT}
    assert len(held_out) == 3
    for split in ("train", "test"):
        d = generated.captioned_shapes(split, 400, 8, seed=0)
        pairs = set(zip(d.shape.tolist(), d.colour.tolist()))
        assert not pairs & held_out, split
        assert {s for s, _ in pairs} == set(range(3)) and {c for _, c in pairs} == set(range(4))  # all words seen
        for captions in d.captions:  # no caption names a held-out pair: its shape word never with its colour word
            for text in captions:
                for shape, colour in generated.ZERO_SHOT:
                    said_shape = any(word in text for word in generated.CAPTION_WORDS[shape])
                    said_colour = any(word in text for word in generated.CAPTION_WORDS[colour])
                    assert not (said_shape and said_colour), text
    zero = generated.captioned_shapes("zero-shot", 100, 8, seed=0)
    assert set(zip(zero.shape.tolist(), zero.colour.tolist())) == held_out


def test_captions_name_the_content_and_only_the_content():
    d = generated.captioned_shapes("test", 30, 16, seed=1)
    for i, captions in enumerate(d.captions):
        for text in captions:
            named = ((d.shape, generated.SHAPES), (d.colour, generated.COLOURS), (d.size, generated.SIZES))
            for attribute, names in named:
                assert any(word in text for word in generated.CAPTION_WORDS[names[attribute[i]]]), text
            assert not any(word in text for word in ("left", "right", "top", "bottom", "dark", "light"))


def test_the_painted_shape_has_its_colour_and_size():
    d = generated.captioned_shapes("train", 40, 32, seed=2)
    coverage = []
    for i in range(len(d)):
        paint = np.asarray(generated.PAINTS[generated.COLOURS[d.colour[i]]])
        close = np.abs(d.images[i] - paint * 0.92).max(axis=-1) < 0.1  # the paint, at its mean shade
        coverage.append(close.mean())
        radius = generated.RADII[generated.SIZES[d.size[i]]]
        assert close.mean() > 0.5 * radius**2  # the shape covers a good part of its area
    coverage, large = np.array(coverage), np.array(d.size) == generated.SIZES.index("large")
    assert coverage[large].mean() > 2 * coverage[~large].mean()  # (0.3 / 0.18)^2 = 2.8 times the area


COLOUR_WORDS = {
    "red": "red", "scarlet": "red", "crimson": "red", "yellow": "yellow", "golden": "yellow", "lemon": "yellow",
    "green": "green", "emerald": "green", "blue": "blue", "azure": "blue", "navy": "blue",
}
"""What the captions' colour words mean, from the dictionary (not from dipkit's tables)."""

HUES = {"red": 0, "yellow": 60, "green": 120, "blue": 240}
"""Where each colour sits on the colour wheel (hue in degrees); a colour's sector reaches 30 degrees either side."""


def test_each_shape_has_the_hue_its_captions_name():
    """The pixels at a shape's centre (inside a circle, square or triangle alike) have the hue of the colour its
    captions say, on the colour wheel: a test that reads the expected paint from generated.PAINTS would pass with two
    paints swapped, this one does not."""
    d = generated.captioned_shapes("train", 60, 32, seed=5)
    rows, cols = np.mgrid[0:32, 0:32] + 0.5
    named = set()
    for i, captions in enumerate(d.captions):
        words = {COLOUR_WORDS[w] for text in captions for w in COLOUR_WORDS if re.search(rf"\b{w}\b", text)}
        assert len(words) == 1, captions  # every caption of an image names the same colour
        name = words.pop()
        named.add(name)
        # within 2 px of the centre: inside every shape (the smallest, a small triangle, has an inradius of 3.5 px)
        centre = np.hypot(rows - 32 * d.position[i, 0], cols - 32 * d.position[i, 1]) <= 2
        hue = 360 * colorsys.rgb_to_hsv(*d.images[i][centre].mean(axis=0))[0]
        off = abs((hue - HUES[name] + 180) % 360 - 180)  # degrees round the wheel from the named colour
        assert off < 30, f"image {i}: its captions say {name} ({captions[0]!r}), its shape's hue is {hue:.0f}"
    assert named == set(HUES)


def test_captioned_shapes_refuses_an_unknown_split():
    with pytest.raises(ValueError, match="accepted: train, test, zero-shot"):
        generated.captioned_shapes("validation", 4)


# --- networks ----------------------------------------------------------------------------------


def test_encode_captions_pads_and_cuts():
    codes = encode_captions(["ab", "a b~c"], length=4)
    assert codes.tolist() == [[1, 2, 0, 0], [1, ALPHABET.index(" ") + 1, 2, 0]]


def test_text_to_image_networks_have_the_right_shapes():
    torch.manual_seed(0)
    text = CharCNNRNN(embed_dim=24, width=16, hidden=12, kernels=(4, 4, 3), pool=2)
    phi = text(encode_captions(["a small red circle", "this box is navy and tiny"], 64))
    assert phi.shape == (2, 24)
    G = TextConditionedGenerator(latent_dim=10, embed_dim=24, projected_dim=8, width=8, image_size=16)
    x = G(torch.randn(2, 10), phi)
    assert x.shape == (2, 3, 16, 16) and x.abs().max() <= 1
    D = MatchingDiscriminator(embed_dim=24, projected_dim=8, width=8, image_size=16)
    assert D(x, phi).shape == (2,)
    assert ImageEncoder(out_dim=10, width=8, image_size=16)(x).shape == (2, 10)


def test_the_discriminator_depends_on_the_text():
    torch.manual_seed(0)
    D = MatchingDiscriminator(embed_dim=6, projected_dim=4, width=8, image_size=16).eval()
    x = torch.randn(1, 3, 16, 16)
    assert not torch.allclose(D(x, torch.randn(1, 6)), D(x, torch.randn(1, 6)))


# --- losses, against values computed by hand ----------------------------------------------------


def test_joint_embedding_loss_by_hand():
    v = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    t = torch.tensor([[2.0, 0.0], [0.0, 0.5], [0.0, 1.0]])
    labels = torch.tensor([0, 1, 1])
    # scores F(v_n, t_m): [[2, 0, 0], [0, 0.5, 1], [2, 0.5, 1]]; pairs of different classes: (0,1), (0,2), (1,0), (2,0)
    # image side: n=0: max(0,1+0-2)+max(0,1+0-2) = 0; n=1: max(0,1+0-0.5) = 0.5; n=2: max(0,1+2-1) = 2
    # text side:  n=0: max(0,1+0-2)+max(0,1+2-2) = 1; n=1: max(0,1+0-0.5) = 0.5; n=2: max(0,1+0-1) = 0
    expected = (0 + 0.5 + 2 + 1 + 0.5 + 0) / 3
    assert losses.joint_embedding_loss(v, t, labels).item() == pytest.approx(expected)


def test_gan_cls_discriminator_loss_by_hand():
    real, wrong, fake = torch.tensor([0.0]), torch.tensor([0.0]), torch.tensor([math.log(3.0)])
    # -log s_r - (log(1 - s_w) + log(1 - s_f)) / 2 with s_r = s_w = 1/2, s_f = 3/4
    expected = math.log(2) + 0.5 * (math.log(2) + math.log(4))
    assert losses.gan_cls_discriminator_loss(real, wrong, fake).item() == pytest.approx(expected)


def test_gan_int_term_by_hand():
    t1, t2 = torch.tensor([[1.0, 3.0]]), torch.tensor([[3.0, -1.0]])
    assert losses.interpolate_embeddings(t1, t2, 0.5).tolist() == [[2.0, 1.0]]
    assert losses.interpolate_embeddings(t1, t2, 1.0).tolist() == t1.tolist()
    # -log sigmoid(0) - log sigmoid(log 3) = log 2 + log(4/3)
    value = losses.gan_int_generator_loss(torch.tensor([0.0]), torch.tensor([math.log(3.0)]))
    assert value.item() == pytest.approx(math.log(2) + math.log(4 / 3))


def test_style_loss_by_hand():
    z = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
    predicted = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    assert losses.style_loss(z, predicted).item() == pytest.approx((1 + 4 + 9 + 16) / 2)


def test_char_cnn_rnn_takes_one_width_per_convolution():
    """The reference's 384, 512, 256 filters; a width list that does not match the kernels is refused."""
    from dipkit.nets.t2i import CharCNNRNN

    text = CharCNNRNN(embed_dim=8, width=(6, 10, 4), hidden=5, kernels=(4, 4, 4), pool=3)
    assert [layer.out_channels for layer in text.cnn if isinstance(layer, torch.nn.Conv1d)] == [6, 10, 4]
    assert text(torch.randint(1, 20, (2, 201))).shape == (2, 8)
    with pytest.raises(ValueError, match="width has 2 entries for 3 kernels"):
        CharCNNRNN(width=(6, 10), kernels=(4, 4, 4))
