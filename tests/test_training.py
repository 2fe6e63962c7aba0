"""dipkit.training: the adversarial step against a hand computation, the Adam factory, the judges' fitting."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from dipkit import convert, losses, training


def sigmoid(t: float) -> float:
    return 1 / (1 + math.exp(-t))


def softplus(t: float) -> float:
    return math.log1p(math.exp(t))


def test_adversarial_step_is_one_d_step_then_one_g_step_by_hand():
    # G(z) = w z + b and D(x) = a x + c (a logit), one real sample r and one z, plain SGD with step size eta
    w, b, a, c, r, z, eta = 0.8, -0.3, 1.5, 0.2, 1.2, 0.7, 0.1
    G, D = nn.Linear(1, 1).double(), nn.Linear(1, 1).double()
    with torch.no_grad():
        G.weight.fill_(w), G.bias.fill_(b), D.weight.fill_(a), D.bias.fill_(c)
    opt_G, opt_D = torch.optim.SGD(G.parameters(), lr=eta), torch.optim.SGD(D.parameters(), lr=eta)
    for parameter in [*G.parameters(), *D.parameters()]:  # gradients left by a previous step must not count
        parameter.grad = torch.full_like(parameter, 100.0)
    real = torch.tensor([[r]], dtype=torch.float64)
    fake = G(torch.tensor([[z]], dtype=torch.float64))
    loss_D, loss_G = training.adversarial_step(
        fake, lambda f: losses.discriminator_loss(D(real), D(f)), lambda f: losses.generator_loss(D(f)), opt_D, opt_G
    )
    f = w * z + b
    # D step: -V = softplus(-D(r)) + softplus(D(f)), descended in (a, c) with G fixed
    assert loss_D == pytest.approx(softplus(-(a * r + c)) + softplus(a * f + c), rel=1e-12)
    grad_a = -sigmoid(-(a * r + c)) * r + sigmoid(a * f + c) * f
    grad_c = -sigmoid(-(a * r + c)) + sigmoid(a * f + c)
    a2, c2 = a - eta * grad_a, c - eta * grad_c
    assert D.weight.item() == pytest.approx(a2, rel=1e-12) and D.bias.item() == pytest.approx(c2, rel=1e-12)
    # G step against the updated D: softplus(-D(f)) descended in (w, b); D stays where its step left it
    assert loss_G == pytest.approx(softplus(-(a2 * f + c2)), rel=1e-12)
    grad_f = -sigmoid(-(a2 * f + c2)) * a2
    assert G.weight.item() == pytest.approx(w - eta * grad_f * z, rel=1e-12)
    assert G.bias.item() == pytest.approx(b - eta * grad_f, rel=1e-12)


def test_adversarial_step_passes_the_detached_fake_to_d_and_the_live_one_to_g():
    G, D = nn.Linear(2, 2), nn.Linear(2, 1)
    seen = {}

    def discriminator_loss(fake):
        seen["D"] = fake.requires_grad
        return D(fake).mean()

    def generator_loss(fake):
        seen["G"] = fake.requires_grad
        return -D(fake).mean()

    opt_D, opt_G = training.adam(D.parameters(), 1e-3), training.adam(G.parameters(), 1e-3)
    training.adversarial_step(G(torch.ones(3, 2)), discriminator_loss, generator_loss, opt_D, opt_G)
    assert seen == {"D": False, "G": True}


def test_adam_has_dcgan_beta1():
    optimizer = training.adam(nn.Linear(2, 2).parameters(), 2e-4)
    assert optimizer.defaults["lr"] == 2e-4 and optimizer.defaults["betas"] == (0.5, 0.999)
    assert training.adam(nn.Linear(2, 2).parameters(), 1e-3, beta1=0.9).defaults["betas"] == (0.9, 0.999)


def test_train_segmenter_fits_pixel_labels_by_colour():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, size=(16, 8, 8))
    photos = np.stack([labels * 0.9, 1 - labels * 0.9, np.full(labels.shape, 0.5)], axis=-1).astype(np.float32)
    model = training.train_segmenter(photos, labels, classes=2, steps=60, width=4, layers=1, seed=0)
    predicted = model(convert.to_nchw(photos)).argmax(1).numpy()
    assert (predicted == labels).mean() > 0.95
    again = training.train_segmenter(photos, labels, classes=2, steps=60, width=4, layers=1, seed=0)
    assert all(torch.equal(p, q) for p, q in zip(model.state_dict().values(), again.state_dict().values()))
