import math

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal

from dipkit import data, evaluation, training
from dipkit.nets.judges import Classifier


def test_parzen_with_one_sample_is_a_gaussian_density():
    sample, points = np.array([[0.5, -1.0, 2.0]]), np.random.default_rng(0).normal(size=(10, 3))
    expected = multivariate_normal(mean=sample[0], cov=0.3**2 * np.eye(3)).logpdf(points)
    assert np.allclose(evaluation.parzen_log_likelihood(sample, points, 0.3), expected)


def test_parzen_recovers_a_known_density():
    # Kernel density of N(0, I) samples with bandwidth s has expectation N(0, (1 + s^2) I): a known density.
    rng = np.random.default_rng(0)
    samples, points, sigma = rng.normal(size=(20000, 2)), rng.normal(size=(500, 2)), 0.2
    truth = multivariate_normal(mean=np.zeros(2), cov=(1 + sigma**2) * np.eye(2)).logpdf(points)
    estimate = evaluation.parzen_log_likelihood(samples, points, sigma, chunk=128)
    assert abs(estimate.mean() - truth.mean()) < 0.02
    assert np.median(np.abs(estimate - truth)) < 0.05  # pointwise too, away from the sparse tails


def test_bandwidth_chosen_on_validation_is_the_best_of_the_grid():
    rng = np.random.default_rng(1)
    samples, validation = rng.normal(size=(2000, 2)), rng.normal(size=(500, 2))
    sigmas = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
    best, means = evaluation.choose_bandwidth(samples, validation, sigmas)
    assert means.shape == (6,) and best == sigmas[int(np.argmax(means))]
    assert best in (0.1, 0.3)  # too small overfits the samples, too large blurs the density


def test_parzen_accepts_images_and_tensors_and_checks_dimensions():
    images = np.random.default_rng(2).random((5, 4, 4))
    assert evaluation.parzen_log_likelihood(torch.tensor(images), images, 0.5).shape == (5,)
    with pytest.raises(ValueError, match="dimensions"):
        evaluation.parzen_log_likelihood(images, images[:, :2], 0.5)
    with pytest.raises(ValueError, match="positive"):
        evaluation.parzen_log_likelihood(images, images, 0.0)


def test_mean_and_sem():
    mean, sem = evaluation.mean_and_sem(np.array([1.0, 2.0, 3.0, 4.0]))
    assert mean == 2.5 and sem == pytest.approx(np.std([1, 2, 3, 4], ddof=1) / 2)


def test_frechet_distance_of_gaussians_in_closed_form():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(50000, 3))
    scale, shift = np.array([1.0, 2.0, 0.5]), np.array([1.0, 0.0, -1.0])
    b = rng.normal(size=(50000, 3)) * scale + shift
    # diagonal covariances: ||mu_a - mu_b||^2 + sum (1 + s^2 - 2 s)
    expected = (shift**2).sum() + ((1 - scale) ** 2).sum()
    assert evaluation.frechet_distance(a, b) == pytest.approx(expected, abs=0.05)
    assert evaluation.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_with_singular_covariances():
    rng = np.random.default_rng(4)
    a = np.concatenate([rng.normal(size=(1000, 2)), np.zeros((1000, 1))], axis=1)  # a dead feature
    assert np.isfinite(evaluation.frechet_distance(a, a + 1.0))
    assert evaluation.frechet_distance(a, a + 1.0) == pytest.approx(3.0, abs=1e-6)


def test_classifier_learns_digits_deterministically():
    x_train, y_train = data.digits("train")
    x_test, y_test = data.digits("test")
    model = training.train_classifier(x_train, y_train, steps=300, seed=0)
    probabilities, features = evaluation.classify(model, x_test)
    labels = probabilities.argmax(axis=1)
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert labels.shape == (len(x_test),) and features.shape == (len(x_test), 64)
    assert (labels == y_test).mean() > 0.85
    again = training.train_classifier(x_train, y_train, steps=300, seed=0)
    assert np.array_equal(evaluation.classify(again, x_test)[1], features)
    assert math.isfinite(evaluation.frechet_distance(features, evaluation.classify(model, x_train)[1]))
    assert np.array_equal(evaluation.recognised(model, x_test, y_test), labels == y_test)
    assert np.array_equal(evaluation.recognised(model, x_test[:5], 3), labels[:5] == 3)


def test_inception_score_bounds():
    assert evaluation.inception_score(np.full((100, 10), 0.1)) == pytest.approx(1.0)  # no sample is recognisable
    sharp_and_even = np.eye(10)[np.arange(100) % 10]
    assert evaluation.inception_score(sharp_and_even) == pytest.approx(10.0, rel=1e-6)
    assert evaluation.inception_score(np.eye(10)[np.zeros(100, dtype=int)]) == pytest.approx(1.0)  # sharp, one class


def test_gaussian_baseline_matches_the_data_moments_and_is_seeded():
    rng = np.random.default_rng(0)
    images = (0.5 + 0.1 * rng.standard_normal((400, 3, 2))).clip(0, 1).astype(np.float32)
    images[:, 0, 0] = images[:, 1, 1]  # two perfectly correlated pixels: a singular covariance is fine
    draws = evaluation.gaussian_baseline(images, 4000, seed=1)
    assert draws.shape == (4000, 3, 2) and draws.dtype == np.float32 and 0 <= draws.min() <= draws.max() <= 1
    np.testing.assert_allclose(draws.mean(axis=0), images.mean(axis=0), atol=0.01)
    np.testing.assert_allclose(draws[:, 0, 0], draws[:, 1, 1], atol=1e-5)
    assert np.array_equal(draws, evaluation.gaussian_baseline(images, 4000, seed=1))
    assert not np.array_equal(draws, evaluation.gaussian_baseline(images, 4000, seed=2))


def test_parzen_score_picks_the_bandwidth_on_validation_and_scores_test():
    rng = np.random.default_rng(0)
    samples, validation, test = (rng.standard_normal((n, 2)) for n in (500, 200, 300))
    sigma, mean, sem = evaluation.parzen_score(samples, validation, test)
    assert sigma == evaluation.choose_bandwidth(samples, validation, evaluation.PARZEN_SIGMAS)[0]
    values = evaluation.parzen_log_likelihood(samples, test, sigma)
    assert (mean, sem) == pytest.approx((values.mean(), values.std(ddof=1) / np.sqrt(300)))
    far_sigma, far_mean, _ = evaluation.parzen_score(samples + 5, validation, test)
    assert far_mean < mean - 5  # samples away from the data score far lower


def test_scores_run_on_the_device_of_the_model():
    """A judge trained on a GPU's data scores NumPy images and returns NumPy arrays (chapter 08 at --device cuda)."""
    device = "cuda" if torch.cuda.is_available() else "cpu"
    images, labels = data.digits("train")
    x = torch.from_numpy(images[:200, None]).to(device)
    y = torch.from_numpy(labels[:200]).to(device)
    model = training.train_cross_entropy(lambda: Classifier(), x, y, steps=3, batch=16, lr=1e-3, seed=0)
    assert next(model.parameters()).device.type == torch.device(device).type
    probabilities, features = evaluation.classify(model, images[:5])
    assert isinstance(probabilities, np.ndarray) and probabilities.shape == (5, 10) and features.shape == (5, 64)
    cpu_model = training.train_cross_entropy(lambda: Classifier(), x.cpu(), y.cpu(), steps=3, batch=16,
                                          lr=1e-3, seed=0)
    same = evaluation.classify(cpu_model, images[:5])[0]
    assert np.allclose(probabilities, same, atol=1e-4)  # the same model, wherever it was trained
