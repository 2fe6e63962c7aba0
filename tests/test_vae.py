"""The VAE (dipkit.nets.vae) and its losses (dipkit.losses, VAE section): the closed-form KL against
Monte Carlo and torch.distributions, gradients through the reparameterization, shapes, sizes, training."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.distributions import Normal, kl_divergence

from dipkit import data, losses
from dipkit.nets import count_parameters
from dipkit.nets.vae import VAE, reparameterize

torch.set_num_threads(1)

# (mu, sigma) per row: three-dimensional diagonal Gaussians, far from the prior and near it.
CASES = [
    ([1.0, -0.5, 0.0], [1.0, 0.5, 2.0]),
    ([0.0, 0.0, 0.0], [0.3, 0.5, 0.8]),
    ([2.0, -2.0, 1.5], [3.0, 0.2, 1.2]),
]


def _monte_carlo_kl(mu: torch.Tensor, sigma: torch.Tensor, samples: int, seed: int = 0) -> torch.Tensor:
    """E_q[log q(z) - log p(z)] with log-densities from torch.distributions, summed over the last dimension."""
    generator = torch.Generator().manual_seed(seed)
    z = mu + sigma * torch.randn((samples, *mu.shape), generator=generator, dtype=mu.dtype)
    return (Normal(mu, sigma).log_prob(z) - Normal(0.0, 1.0).log_prob(z)).sum(-1).mean(0)


def test_kl_is_zero_at_the_prior_and_positive_elsewhere() -> None:
    zeros = torch.zeros(4, 5)
    assert torch.allclose(losses.gaussian_kl(zeros, zeros), torch.zeros(4))
    mu, logvar = torch.randn(100, 5), torch.randn(100, 5)
    assert (losses.gaussian_kl(mu, logvar) > 0).all()


@pytest.mark.parametrize("mu, sigma", CASES)
def test_kl_matches_monte_carlo(mu: list[float], sigma: list[float]) -> None:
    mu_t, sigma_t = torch.tensor(mu, dtype=torch.float64), torch.tensor(sigma, dtype=torch.float64)
    closed = losses.gaussian_kl(mu_t, torch.log(sigma_t**2))
    estimate = _monte_carlo_kl(mu_t, sigma_t, 400_000)
    assert abs(closed - estimate) / estimate < 0.01
    # ... and the often-copied variant sum(sigma^2 + mu^2 - log sigma - 1) does not
    teaching = (sigma_t**2 + mu_t**2 - torch.log(sigma_t) - 1).sum()
    assert abs(teaching - estimate) / estimate > 0.05


def test_kl_matches_torch_distributions_and_sums_over_the_last_dimension() -> None:
    generator = torch.Generator().manual_seed(0)
    mu = torch.randn(6, 4, generator=generator, dtype=torch.float64)
    logvar = torch.randn(6, 4, generator=generator, dtype=torch.float64)
    expected = kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)).sum(-1)
    got = losses.gaussian_kl(mu, logvar)
    assert got.shape == (6,)
    assert torch.allclose(got, expected)


def test_kl_gradient_is_analytic() -> None:
    # d KL / d mu = mu, d KL / d logvar = (exp(logvar) - 1) / 2
    mu = torch.tensor([[0.3, -1.2]], dtype=torch.float64, requires_grad=True)
    logvar = torch.tensor([[-0.7, 0.4]], dtype=torch.float64, requires_grad=True)
    losses.gaussian_kl(mu, logvar).sum().backward()
    assert torch.allclose(mu.grad, mu.detach())
    assert torch.allclose(logvar.grad, 0.5 * (logvar.detach().exp() - 1))


def test_reparameterized_samples_have_the_right_moments() -> None:
    mu, logvar = torch.tensor([1.5, -2.0]), torch.tensor([math.log(0.25), math.log(4.0)])
    z = reparameterize(mu.expand(200_000, 2), logvar.expand(200_000, 2), torch.Generator().manual_seed(0))
    assert torch.allclose(z.mean(0), mu, atol=0.02)
    assert torch.allclose(z.std(0), torch.tensor([0.5, 2.0]), rtol=0.01)


def test_gradients_flow_through_the_reparameterization() -> None:
    # E[z^2] = mu^2 + sigma^2, so d/dmu = 2 mu and d/dlogvar = sigma^2
    mu = torch.tensor([1.5, -0.5], dtype=torch.float64, requires_grad=True)
    logvar = torch.tensor([math.log(0.25), math.log(2.0)], dtype=torch.float64, requires_grad=True)
    n = 400_000
    z = reparameterize(mu.expand(n, 2), logvar.expand(n, 2), torch.Generator().manual_seed(0))
    z.pow(2).mean(0).sum().backward()
    assert torch.allclose(mu.grad, 2 * mu.detach(), rtol=0.02)
    assert torch.allclose(logvar.grad, logvar.detach().exp(), rtol=0.02)


def test_reparameterize_is_seeded() -> None:
    mu, logvar = torch.zeros(3, 4), torch.zeros(3, 4)
    a = reparameterize(mu, logvar, torch.Generator().manual_seed(5))
    b = reparameterize(mu, logvar, torch.Generator().manual_seed(5))
    assert torch.equal(a, b)


def test_bernoulli_nll_sums_over_pixels() -> None:
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 1, 4, 4, generator=generator, dtype=torch.float64)
    x = (torch.rand(3, 1, 4, 4, generator=generator) > 0.5).double()
    y = torch.sigmoid(logits)
    expected = -(x * torch.log(y) + (1 - x) * torch.log(1 - y)).flatten(1).sum(1)
    assert torch.allclose(losses.bernoulli_nll(logits, x), expected)


def test_paper_mnist_model_size_and_shapes() -> None:
    # appendix C with D = 784, 500 hidden units, J = 20: encoder 784*500+500 + 2*(500*20+20),
    # decoder 20*500+500 + 500*784+784
    model = VAE(784, 500, 20)
    assert count_parameters(model) == (784 * 500 + 500) + 2 * (500 * 20 + 20) + (20 * 500 + 500) + (500 * 784 + 784)
    x = torch.rand(7, 1, 28, 28)
    logits, mu, logvar = model(x, generator=torch.Generator().manual_seed(0))
    assert logits.shape == (7, 784) and mu.shape == logvar.shape == (7, 20)


def test_autoencoder_mode_is_deterministic_and_uses_the_mean() -> None:
    torch.manual_seed(0)
    model = VAE(64, 32, 2)
    x = torch.rand(4, 64)
    with torch.no_grad():
        a, mu, _ = model(x, sample=False)
        b, _, _ = model(x, sample=False)
        assert torch.equal(a, b)
        assert torch.equal(a, model.decode(mu))
        noisy, _, _ = model(x, generator=torch.Generator().manual_seed(0))
    assert not torch.equal(a, noisy)


def test_init_std_sets_every_parameter() -> None:
    torch.manual_seed(0)
    model = VAE(784, 500, 20, init_std=0.01)
    weights = torch.cat([p.detach().flatten() for p in model.parameters()])
    assert abs(weights.mean().item()) < 1e-3
    assert weights.std().item() == pytest.approx(0.01, rel=0.02)


@pytest.mark.parametrize("sizes", [(0, 10, 2), (64, 0, 2), (64, 10, 0)])
def test_invalid_sizes_are_refused(sizes: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError, match="sizes must be positive"):
        VAE(*sizes)


def _negative_elbo(logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """-L = KL(q(z|x) || p(z)) - log p(x|z) (eq. 10), averaged over the minibatch, as chapter 03 trains it."""
    return (losses.bernoulli_nll(logits, x) + losses.gaussian_kl(mu, logvar)).mean()


def test_a_few_steps_lower_the_heldout_bound_on_digits() -> None:
    train_images, _ = data.digits("train")
    test_images, _ = data.digits("test")
    x = torch.from_numpy((train_images > 0.5).reshape(len(train_images), -1).astype(np.float32))
    x_test = torch.from_numpy((test_images > 0.5).reshape(len(test_images), -1).astype(np.float32))
    torch.manual_seed(0)
    model = VAE(64, 100, 4)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(0)

    def heldout() -> float:
        with torch.no_grad():
            logits, mu, logvar = model(x_test, generator=torch.Generator().manual_seed(1))
            return _negative_elbo(logits, x_test, mu, logvar).item()

    before = heldout()
    for _ in range(5):
        for batch in torch.randperm(len(x), generator=generator).split(100):
            logits, mu, logvar = model(x[batch], generator=generator)
            loss = _negative_elbo(logits, x[batch], mu, logvar)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    after = heldout()
    assert after < before - 5, (before, after)
