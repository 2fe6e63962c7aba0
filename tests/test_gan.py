import math

import pytest
import torch
import torch.nn.functional as F

from dipkit import losses
from dipkit.nets import count_parameters
from dipkit.nets.gan import (
    dcgan_discriminator,
    dcgan_features,
    dcgan_generator,
    dcgan_init,
    mlp_discriminator,
    mlp_generator,
)


def test_mlp_shapes():
    G, D = mlp_generator(latent_dim=3, hidden=16), mlp_discriminator(hidden=16)
    x = G(torch.randn(5, 3))
    assert x.shape == (5, 2)
    assert D(x).shape == (5,)


def test_dcgan_paper_architecture_at_64():
    # Figure 1 of the DCGAN paper: 100 -> 4x4x1024 -> 8x8x512 -> 16x16x256 -> 32x32x128 -> 64x64x3
    G = dcgan_generator(latent_dim=100, width=128, image_size=64, channels=3)
    widths = [m.out_channels for m in G if isinstance(m, torch.nn.ConvTranspose2d)]
    assert widths == [1024, 512, 256, 128, 3]
    assert not any(isinstance(m, (torch.nn.Linear, torch.nn.MaxPool2d)) for m in G)  # all-convolutional
    assert isinstance(G[-1], torch.nn.Tanh) and not isinstance(G[-2], torch.nn.BatchNorm2d)
    D = dcgan_discriminator(width=128, image_size=64, channels=3)
    assert [m.out_channels for m in D if isinstance(m, torch.nn.Conv2d)] == [128, 256, 512, 1024, 1]
    assert not isinstance(D[1], torch.nn.BatchNorm2d)  # no batch norm on the discriminator's input layer
    assert all(m.negative_slope == 0.2 for m in D if isinstance(m, torch.nn.LeakyReLU))
    with torch.no_grad():
        images = G(torch.rand(2, 100) * 2 - 1)
        assert images.shape == (2, 3, 64, 64) and images.abs().max() <= 1
        assert D(images).shape == (2,)


@pytest.mark.parametrize("size", [8, 16, 32])
def test_dcgan_small_sizes(size):
    G, D = dcgan_generator(16, 8, size, 1), dcgan_discriminator(8, size, 1)
    with torch.no_grad():
        assert G(torch.randn(3, 16)).shape == (3, 1, size, size)
        assert D(torch.randn(3, 1, size, size)).shape == (3,)
        body, features = dcgan_features(8, size, 1)  # D without its last layer: 4x4 maps of `features` channels
        assert body(torch.randn(3, 1, size, size)).shape == (3, features, 4, 4)
    assert count_parameters(G) > 0
    assert count_parameters(D) == count_parameters(body) + features * 4 * 4  # plus the 4x4 convolution to a logit


def test_dcgan_rejects_sizes_that_are_not_powers_of_two():
    with pytest.raises(ValueError, match="power of two"):
        dcgan_generator(16, 8, 28, 1)
    with pytest.raises(ValueError, match="power of two"):
        dcgan_discriminator(8, 4, 1)


def test_dcgan_init_draws_from_n_0_002():
    torch.manual_seed(0)
    G = dcgan_generator(100, 64, 32, 3)
    G.apply(dcgan_init)
    weights = torch.cat([m.weight.flatten() for m in G if isinstance(m, torch.nn.ConvTranspose2d)])
    assert weights.mean().abs() < 1e-3 and weights.std().item() == pytest.approx(0.02, rel=0.02)
    scales = torch.cat([m.weight for m in G if isinstance(m, torch.nn.BatchNorm2d)])
    assert scales.mean().item() == pytest.approx(1.0, abs=0.01)


def test_gan_value_is_the_papers_formula():
    real, fake = torch.randn(7), torch.randn(9)
    d_real, d_fake = torch.sigmoid(real), torch.sigmoid(fake)
    expected = torch.log(d_real).mean() + torch.log(1 - d_fake).mean()
    assert losses.gan_value(real, fake).item() == pytest.approx(expected.item(), rel=1e-5)
    # -V is the binary cross-entropy with real = 1 and fake = 0
    bce = F.binary_cross_entropy_with_logits(real, torch.ones(7))
    bce = bce + F.binary_cross_entropy_with_logits(fake, torch.zeros(9))
    assert losses.discriminator_loss(real, fake).item() == pytest.approx(bce.item(), rel=1e-5)


def test_value_at_the_global_optimum_is_minus_log_4():
    half = torch.zeros(10)  # logit 0: D = 1/2 everywhere
    assert losses.gan_value(half, half).item() == pytest.approx(-math.log(4), rel=1e-6)


def test_value_is_stable_for_confident_logits():
    assert torch.isfinite(losses.gan_value(torch.tensor([200.0]), torch.tensor([-200.0])))
    assert losses.gan_value(torch.tensor([200.0]), torch.tensor([-200.0])).item() == pytest.approx(0.0, abs=1e-6)


def test_generator_losses_and_their_gradients():
    logits = torch.tensor([-6.0, -1.0, 0.0, 2.0], requires_grad=True)
    d = torch.sigmoid(logits.detach())
    saturating = losses.generator_loss(logits, saturating=True)
    assert saturating.item() == pytest.approx(torch.log(1 - d).mean().item(), rel=1e-5)
    (grad,) = torch.autograd.grad(saturating, logits)
    assert torch.allclose(grad, -d / 4)  # d/da log(1 - sigmoid(a)) = -D: vanishes as D -> 0
    non_saturating = losses.generator_loss(logits)
    assert non_saturating.item() == pytest.approx(-torch.log(d).mean().item(), rel=1e-5)
    (grad,) = torch.autograd.grad(non_saturating, logits)
    assert torch.allclose(grad, -(1 - d) / 4)  # d/da -log sigmoid(a) = -(1 - D): about -1 when D -> 0
