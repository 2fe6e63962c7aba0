"""Scores for generative models that give samples but no likelihood.

* The Parzen-window estimate of the GAN paper's Table 1 (Goodfellow et al. 2014, after Breuleux et
  al.): fit a Gaussian kernel density to generated samples, choose its bandwidth on a validation
  split, and report the mean log-likelihood of held-out data under it.
* Classifier-based scores: a small ConvNet trained on the real data (the judges of
  :mod:`dipkit.nets.judges`, fitted by :mod:`dipkit.training`), the Frechet distance between
  real and generated samples in its feature space (the FID recipe with our own classifier in place of
  Inception, which needs downloaded weights), and the Inception score of Salimans et al. (2016) with
  the same classifier.
* The FCN-score of pix2pix (Isola et al. 2017, Table 1): a segmentation network trained only on real
  photos labels generated ones, scored against the label maps they were made from with the FCN paper's
  per-pixel accuracy, per-class accuracy and class IoU (Long, Shelhamer, Darrell 2015, Section 5).
* Clusters against labels: the accuracy of unsupervised categories (InfoGAN's code) after matching them
  to the classes one-to-one with the Hungarian method.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import scipy.linalg
import torch
from scipy.optimize import linear_sum_assignment
from scipy.special import logsumexp
from torch import nn

from dipkit.convert import to_nchw
from dipkit.nets.judges import Classifier, Segmenter


def _flat(array: np.ndarray | torch.Tensor) -> np.ndarray:
    if isinstance(array, torch.Tensor):
        array = array.detach().cpu().numpy()
    array = np.asarray(array, dtype=np.float64)
    return array.reshape(len(array), -1)


def _parzen(
    samples: np.ndarray | torch.Tensor, points: np.ndarray | torch.Tensor, sigmas: Sequence[float], chunk: int
) -> np.ndarray:
    """log p(x) for every bandwidth in ``sigmas`` (rows) and point (columns); distances computed once."""
    if min(sigmas) <= 0:
        raise ValueError(f"bandwidths must be positive, got {list(sigmas)}")
    s, x = _flat(samples), _flat(points)
    if s.shape[1] != x.shape[1]:
        raise ValueError(f"samples have {s.shape[1]} dimensions but points have {x.shape[1]}")
    n, d = s.shape
    s_sq = (s**2).sum(axis=1)
    out = np.empty((len(sigmas), len(x)))
    for start in range(0, len(x), chunk):
        block = x[start : start + chunk]
        sq_dist = np.maximum((block**2).sum(axis=1)[:, None] + s_sq[None, :] - 2.0 * block @ s.T, 0.0)
        for row, sigma in enumerate(sigmas):
            out[row, start : start + chunk] = logsumexp(-sq_dist / (2.0 * sigma**2), axis=1)
    norm = np.array([math.log(n) + 0.5 * d * math.log(2.0 * math.pi * sigma**2) for sigma in sigmas])
    return out - norm[:, None]


def parzen_log_likelihood(
    samples: np.ndarray | torch.Tensor, points: np.ndarray | torch.Tensor, sigma: float, chunk: int = 1024
) -> np.ndarray:
    """log p(x) of each point under a Gaussian kernel density with bandwidth ``sigma`` on ``samples``.

    p(x) = 1/N sum_i N(x; s_i, sigma^2 I), computed with logsumexp in float64. Arrays are flattened per row.
    """
    return _parzen(samples, points, [sigma], chunk)[0]


def choose_bandwidth(
    samples: np.ndarray | torch.Tensor,
    validation: np.ndarray | torch.Tensor,
    sigmas: Sequence[float],
    chunk: int = 1024,
) -> tuple[float, np.ndarray]:
    """The bandwidth in ``sigmas`` that maximises the mean validation log-likelihood, and every mean."""
    means = _parzen(samples, validation, list(sigmas), chunk).mean(axis=1)
    return float(sigmas[int(np.argmax(means))]), means


def mean_and_sem(values: np.ndarray) -> tuple[float, float]:
    """Mean and its standard error (the "±" of the GAN paper's Table 1)."""
    values = np.asarray(values, dtype=np.float64)
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values)))


PARZEN_SIGMAS = tuple(np.geomspace(0.03, 1.0, 16))  # the bandwidths tried on the validation split


def parzen_score(
    samples: np.ndarray | torch.Tensor, validation: np.ndarray | torch.Tensor, test: np.ndarray | torch.Tensor,
    sigmas: Sequence[float] = PARZEN_SIGMAS,
) -> tuple[float, float, float]:
    """The GAN paper's Table 1 protocol: ``(sigma, mean, sem)`` of the test log-likelihood under a Parzen window
    on ``samples``, its bandwidth chosen on ``validation`` among ``sigmas``."""
    sigma, _ = choose_bandwidth(samples, validation, sigmas)
    mean, sem = mean_and_sem(parzen_log_likelihood(samples, test, sigma))
    return sigma, mean, sem


def gaussian_baseline(images: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    """``count`` draws from one Gaussian fitted to ``images`` (N, H, W), clipped to [0, 1]: the model with no structure
    beyond pixel means and covariances, which a generative model must beat on every score."""
    flat = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    draws = np.random.default_rng(seed).multivariate_normal(
        flat.mean(axis=0), np.cov(flat, rowvar=False), size=count, method="eigh", check_valid="ignore"  # np.cov is PSD
    )
    return draws.clip(0, 1).reshape(count, *np.shape(images)[1:]).astype(np.float32)


def frechet_distance(features_a: np.ndarray | torch.Tensor, features_b: np.ndarray | torch.Tensor) -> float:
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)) between Gaussians fitted to two feature sets."""
    a, b = _flat(features_a), _flat(features_b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sets have {a.shape[1]} and {b.shape[1]} dimensions")
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    # Tr (S_a S_b)^(1/2) is the sum of the square roots of the eigenvalues of S_a S_b, which are real and
    # non-negative (S_a S_b is similar to the PSD S_a^(1/2) S_b S_a^(1/2)). Unlike scipy.linalg.sqrtm this
    # stays exact when a covariance is singular (dead ReLU units, fewer samples than dimensions).
    eigenvalues = scipy.linalg.eigvals(cov_a @ cov_b)
    trace_root = np.sqrt(np.clip(eigenvalues.real, 0.0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_root)


def _device_of(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def classify(model: Classifier, images: np.ndarray | torch.Tensor, chunk: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Class probabilities and penultimate-layer features of images in [0, 1]: ``(probabilities, features)``."""
    x = to_nchw(images)
    probabilities, features = [], []
    for start in range(0, len(x), chunk):
        feature = model.features(x[start : start + chunk].to(_device_of(model)))
        features.append(feature)
        probabilities.append(torch.softmax(model.head(feature), dim=1))
    return torch.cat(probabilities).double().cpu().numpy(), torch.cat(features).double().cpu().numpy()


def recognised(model: Classifier, images: np.ndarray | torch.Tensor, intended: int | np.ndarray) -> np.ndarray:
    """Per image, whether the classifier's most probable class is the ``intended`` one (a class or one per image)."""
    probabilities, _ = classify(model, images)
    return probabilities.argmax(axis=1) == np.asarray(intended)


def inception_score(probabilities: np.ndarray) -> float:
    """exp(E_x KL(p(y|x) || p(y))) (Salimans et al. 2016) with our classifier's p(y|x), rows of ``probabilities``.

    High when each sample is classified confidently and the classes are used evenly: between 1 and the
    number of classes.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    marginal = p.mean(axis=0, keepdims=True)
    kl = (p * (np.log(np.clip(p, 1e-12, None)) - np.log(np.clip(marginal, 1e-12, None)))).sum(axis=1)
    return float(np.exp(kl.mean()))


def hungarian_accuracy(
    predicted: np.ndarray | torch.Tensor, true: np.ndarray | torch.Tensor, classes: int | None = None
) -> tuple[float, dict[int, int]]:
    """Accuracy of cluster ids ``predicted`` against ``true`` labels under the best one-to-one matching.

    The matching maximises the number of agreements (the Hungarian method, ``scipy.optimize.linear_sum_assignment``
    on the contingency table), as when InfoGAN's categorical code is read as a digit. Returns the accuracy and the
    mapping {cluster: label}; clusters left without a label (more clusters than labels) count as errors.
    ``classes``: the number of clusters and labels there are, so that one never predicted (a barely trained
    InfoGAN uses a few of its ten categories) still gets a label in the mapping.
    """
    p, t = np.asarray(predicted, dtype=np.int64).ravel(), np.asarray(true, dtype=np.int64).ravel()
    if p.shape != t.shape or p.size == 0:
        raise ValueError(f"need two non-empty label arrays of one length, got {p.shape} and {t.shape}")
    if p.min() < 0 or t.min() < 0:
        raise ValueError("labels must be non-negative integers")
    if classes is not None and max(p.max(), t.max()) >= classes:
        raise ValueError(f"labels go up to {max(p.max(), t.max())}, more than classes={classes} allows")
    shape = (p.max() + 1, t.max() + 1) if classes is None else (classes, classes)
    table = np.zeros(shape, dtype=np.int64)
    np.add.at(table, (p, t), 1)
    rows, columns = linear_sum_assignment(table, maximize=True)
    return float(table[rows, columns].sum() / p.size), {int(r): int(c) for r, c in zip(rows, columns)}


@torch.no_grad()
def segment(model: Segmenter, photos: np.ndarray | torch.Tensor, chunk: int = 256) -> np.ndarray:
    """The most probable class of every pixel: (N, H, W) int64 for (N, H, W, 3) photos in [0, 1]."""
    x = to_nchw(photos)
    return torch.cat([model(x[i : i + chunk].to(_device_of(model))).argmax(1).cpu() for i in range(0, len(x), chunk)]
                     ).numpy()


def fcn_score(segmenter: nn.Module, images: np.ndarray, labels: np.ndarray, classes: int) -> dict[str, float]:
    """Isola et al.'s FCN-score: how well a segmenter trained on real photos reads the layout ``labels`` (N, H, W)
    back from synthesized ``images`` (N, H, W, 3); the scores of :func:`segmentation_scores`."""
    return segmentation_scores(segment(segmenter, images), labels, classes)


def segmentation_scores(predicted: np.ndarray, target: np.ndarray, classes: int) -> dict[str, float]:
    """The FCN paper's scores of a labelling against the truth, from the confusion counts n_ij.

    With n_ij the pixels of class i labelled j and t_i = sum_j n_ij: per-pixel accuracy sum_i n_ii / sum_i t_i,
    per-class accuracy mean_i n_ii / t_i, class IoU mean_i n_ii / (t_i + sum_j n_ji - n_ii); the means run over
    the classes present in ``target``.
    """
    p, t = np.asarray(predicted, dtype=np.int64).ravel(), np.asarray(target, dtype=np.int64).ravel()
    if p.shape != t.shape or p.size == 0:
        raise ValueError(f"need two non-empty label maps of one shape, got {np.shape(predicted)}, {np.shape(target)}")
    if min(p.min(), t.min()) < 0 or max(p.max(), t.max()) >= classes:
        raise ValueError(f"labels must lie in 0..{classes - 1}")
    n = np.bincount(t * classes + p, minlength=classes * classes).reshape(classes, classes)  # n[i, j]
    hits, truth, labelled = np.diag(n), n.sum(axis=1), n.sum(axis=0)
    present = truth > 0
    return {
        "pixel_accuracy": float(hits.sum() / truth.sum()),
        "class_accuracy": float((hits[present] / truth[present]).mean()),
        "class_iou": float((hits[present] / (truth + labelled - hits)[present]).mean()),
    }
