"""Chapter 05's helpers: conditional networks, the semi-supervised / InfoGAN / AC-GAN losses, Hungarian accuracy."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dipkit import evaluation, losses
from dipkit.nets.gan import (
    AuxiliaryDiscriminator,
    CGANDiscriminator,
    CGANGenerator,
    ClassifierDiscriminator,
    GaussianNoise,
    Maxout,
    infogan_generator,
    one_hot,
    salimans_generator,
)


def test_one_hot_is_float_and_exact():
    y = one_hot(torch.tensor([2, 0, 1]), 4)
    assert y.dtype == torch.float32
    assert torch.equal(y, torch.tensor([[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]], dtype=torch.float32))


def test_maxout_takes_the_largest_piece():
    layer = Maxout(3, 2, pieces=4)
    x = torch.randn(5, 3)
    pieces = layer.linear(x).view(5, 2, 4)
    assert torch.equal(layer(x), pieces.max(dim=2).values)


def test_gaussian_noise_only_in_training():
    layer, x = GaussianNoise(0.5), torch.zeros(1000)
    assert torch.equal(layer.eval()(x), x)
    noisy = layer.train()(x)
    assert noisy.std().item() == pytest.approx(0.5, rel=0.1)


def test_cgan_paper_sizes_and_shapes():
    G, D = CGANGenerator(), CGANDiscriminator()  # Mirza & Osindero's MNIST sizes
    assert [m.out_features for m in G.modules() if isinstance(m, torch.nn.Linear)] == [200, 1000, 1200, 784]
    assert [(m.out_features, m.pieces) for m in D.modules() if isinstance(m, Maxout)] == [(240, 5), (50, 5), (240, 4)]
    G.eval(), D.eval()
    with torch.no_grad():
        x = G(torch.rand(6, 100), torch.arange(6))
        assert x.shape == (6, 784) and x.min() >= 0 and x.max() <= 1
        assert D(x.view(6, 1, 28, 28), torch.arange(6)).shape == (6,)


def test_conditioning_changes_the_output():
    torch.manual_seed(0)
    G, D = CGANGenerator(8, 10, 16, 16, 32, 64, dropout=0.0), CGANDiscriminator(64, 10, 16, 8, 16, dropout=0.0)
    z = torch.randn(1, 8).repeat(2, 1)
    with torch.no_grad():
        images = G(z, torch.tensor([3, 7]))
        assert not torch.allclose(images[0], images[1])  # same z, different class -> different image
        logits = D(images[:1].repeat(2, 1), torch.tensor([3, 7]))
        assert logits[0] != logits[1]  # same image, different class -> different judgement
        assert torch.equal(G(z, torch.tensor([3, 3]))[0], G(z, torch.tensor([3, 3]))[1])


def test_infogan_networks_paper_sizes_and_heads():
    G = infogan_generator(74, 28, 64, 1024)  # InfoGAN's MNIST generator: 1024, 7x7x128, 14x14x64, 28x28x1
    assert [m.out_features for m in G if isinstance(m, torch.nn.Linear)] == [1024, 7 * 7 * 128]
    assert [m.out_channels for m in G if isinstance(m, torch.nn.ConvTranspose2d)] == [64, 1]
    D = AuxiliaryDiscriminator(28, 10, 64, 1024, 128)
    G.eval(), D.eval()
    with torch.no_grad():
        x = G(torch.randn(3, 74))
        assert x.shape == (3, 1, 28, 28) and x.min() >= 0 and x.max() <= 1
        source, classes = D(x)
    assert source.shape == (3,) and classes.shape == (3, 10)
    assert isinstance(AuxiliaryDiscriminator(8, 10, 8, 16, q_hidden=0).classes, torch.nn.Linear)  # AC-GAN's head
    with pytest.raises(ValueError, match="divisible by 4"):
        infogan_generator(10, 10)


def test_infogan_generator_at_8x8_uses_the_code():
    torch.manual_seed(0)
    G = infogan_generator(4 + 10, 8, 8, 16).eval()
    z = torch.randn(1, 4).repeat(2, 1)
    with torch.no_grad():
        x = G(torch.cat([z, one_hot(torch.tensor([0, 5]), 10)], dim=1))
    assert x.shape == (2, 1, 8, 8) and not torch.allclose(x[0], x[1])


def test_semi_supervised_networks():
    D = ClassifierDiscriminator(64, (32, 16), 10).eval()
    x = torch.rand(4, 1, 8, 8)
    assert D(x).shape == (4, 10) and D.features(x).shape == (4, 16)
    assert torch.equal(D(x), D(x))  # no noise in eval mode
    G = salimans_generator(5, (16, 16), 64).eval()
    assert G(torch.randn(3, 5)).shape == (3, 64)


def test_source_logit_is_the_k_plus_one_class_model():
    logits = torch.randn(6, 10)
    with_fake = torch.cat([logits, torch.zeros(6, 1)], dim=1)  # l_{K+1} = 0
    p_real = 1 - torch.softmax(with_fake, dim=1)[:, -1]
    assert torch.allclose(torch.sigmoid(losses.source_logit(logits)), p_real, atol=1e-6)


def test_semi_supervised_loss_by_hand():
    labelled, labels = torch.tensor([[2.0, 0.0], [0.0, 1.0]]), torch.tensor([0, 1])
    real, fake = torch.tensor([[0.0, 0.0]]), torch.tensor([[math.log(3.0), -100.0]])
    supervised, unsupervised = losses.semi_supervised_loss(labelled, labels, real, fake)
    expected_sup = -(math.log(math.exp(2) / (math.exp(2) + 1)) + math.log(math.e / (math.e + 1))) / 2
    # real: Z = 2, D = 2/3; fake: Z = 3 (+ e^-100), D = 3/4
    expected_unsup = -math.log(2 / 3) - math.log(1 - 3 / 4)
    assert supervised.item() == pytest.approx(expected_sup, rel=1e-6)
    assert unsupervised.item() == pytest.approx(expected_unsup, rel=1e-5)


def test_feature_matching_by_hand():
    real = torch.tensor([[1.0, 2.0], [3.0, 4.0]])  # mean (2, 3)
    fake = torch.tensor([[0.0, 0.0], [2.0, 2.0]])  # mean (1, 1)
    assert losses.feature_matching_loss(real, fake).item() == pytest.approx(1.0 + 4.0)
    assert losses.feature_matching_loss(real, real).item() == 0.0


def test_mutual_information_bound_limits():
    codes = torch.arange(10)
    certain = 100.0 * F.one_hot(codes, 10).float()
    assert losses.mutual_information_bound(certain, codes).item() == pytest.approx(math.log(10), abs=1e-5)
    assert losses.mutual_information_bound(torch.zeros(10, 10), codes).item() == pytest.approx(0.0, abs=1e-6)
    logits = torch.randn(10, 10)
    by_hand = torch.log_softmax(logits, dim=1)[codes, codes].mean().item() + math.log(10)
    assert losses.mutual_information_bound(logits, codes).item() == pytest.approx(by_hand, rel=1e-5)


def test_auxiliary_class_loss_by_hand():
    real, fake = torch.tensor([[0.0, 0.0]]), torch.tensor([[math.log(3.0), 0.0]])
    loss = losses.auxiliary_class_loss(real, torch.tensor([1]), fake, torch.tensor([0]))
    assert loss.item() == pytest.approx(-math.log(0.5) - math.log(0.75), rel=1e-6)


def test_hungarian_accuracy_on_a_known_permutation_is_one():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 10, 500)
    permutation = rng.permutation(10)
    accuracy, mapping = evaluation.hungarian_accuracy(permutation[truth], truth)
    assert accuracy == 1.0
    assert all(mapping[permutation[k]] == k for k in range(10))


def test_hungarian_accuracy_partial_and_by_hand():
    predicted, truth = np.array([0, 0, 1, 1, 2, 2]), np.array([1, 1, 0, 2, 2, 2])
    accuracy, mapping = evaluation.hungarian_accuracy(predicted, truth)
    assert mapping == {0: 1, 1: 0, 2: 2} and accuracy == pytest.approx(5 / 6)


def test_hungarian_accuracy_on_random_labels_is_near_chance():
    rng = np.random.default_rng(1)
    accuracy, _ = evaluation.hungarian_accuracy(rng.integers(0, 10, 20000), rng.integers(0, 10, 20000))
    assert 0.1 <= accuracy < 0.115  # matching can only help, and little with so many points


def test_hungarian_accuracy_rejects_bad_input():
    with pytest.raises(ValueError):
        evaluation.hungarian_accuracy(np.array([0, 1]), np.array([0]))
    with pytest.raises(ValueError):
        evaluation.hungarian_accuracy(np.array([-1]), np.array([0]))


def test_hungarian_accuracy_maps_every_category_when_told_how_many_there_are():
    """A barely trained InfoGAN predicts 2 of 4 categories: each still gets a digit, the accuracy is unchanged."""
    predicted, truth = np.array([0, 0, 1, 1, 1]), np.array([2, 2, 3, 3, 0])
    accuracy, mapping = evaluation.hungarian_accuracy(predicted, truth)
    assert sorted(mapping) == [0, 1] and mapping == {0: 2, 1: 3}
    full_accuracy, full = evaluation.hungarian_accuracy(predicted, truth, classes=4)
    assert full_accuracy == accuracy == 0.8 and sorted(full) == [0, 1, 2, 3]
    assert full[0] == 2 and full[1] == 3 and sorted(full.values()) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="more than classes=3"):
        evaluation.hungarian_accuracy(predicted, truth, classes=3)
