"""Losses of the book's generative models, each next to the paper's equation it implements.

Sections: the VAE's KL term and reconstruction term (Kingma & Welling 2014); the GAN value function and its
generator losses (Goodfellow et al. 2014), which LAPGAN's levels use as they are; the conditional GANs'
(semi-supervised K+1 classes and feature matching, InfoGAN's L_I, AC-GAN's L_C); SRGAN's perceptual loss;
pix2pix's L_cGAN + lambda L_L1; CRN's feature distance and diversity loss; text to image (Reed et al. 2016):
the joint embedding loss of the text encoder, GAN-CLS's matching-aware discriminator loss, GAN-INT's
interpolation term and the style loss.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

# --- VAE (Kingma & Welling 2014) -------------------------------------------------------------
# Each returns one value per example, in nats, summed over pixels and latent dimensions (the ELBO is
# a log-likelihood bound of a whole image). Average over the minibatch, never over pixels: a pixel
# mean divides the reconstruction term by D and so weights the KL term D times too much.


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag exp(logvar)) || N(0, I)) in closed form, summed over the last dimension."""
    # -D_KL = 1/2 sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2)   (Kingma & Welling 2014, appendix B)
    return 0.5 * (logvar.exp() + mu.pow(2) - logvar - 1).sum(dim=-1)


def bernoulli_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x|z) of a Bernoulli decoder with ``sigmoid(logits)`` = y, summed over each example's pixels."""
    # log p(x|z) = sum_i x_i log y_i + (1 - x_i) log(1 - y_i)   (appendix C.1)
    return F.binary_cross_entropy_with_logits(logits.flatten(1), x.flatten(1), reduction="none").sum(dim=1)


# --- GAN (Goodfellow et al. 2014) ------------------------------------------------------------
# Discriminators return logits a, D = sigmoid(a); log D = -softplus(-a) and log(1 - D) = -softplus(a), stably.


def gan_value(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Minibatch estimate of the value function V(D, G), which D ascends and G descends."""
    # V(D, G) = E_{x~p_data}[log D(x)] + E_{z~p_z}[log(1 - D(G(z)))]   (eq. 1)
    return -F.softplus(-real_logits).mean() - F.softplus(fake_logits).mean()


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """-V(D, G): minimising it is Algorithm 1's ascent of V in D (binary cross-entropy, real = 1, fake = 0)."""
    return -gan_value(real_logits, fake_logits)


def generator_loss(fake_logits: torch.Tensor, saturating: bool = False) -> torch.Tensor:
    """The generator's loss on D's logits for G(z): the minimax one, or the paper's non-saturating fix."""
    if saturating:
        # minimise E log(1 - D(G(z)))  (eq. 1): gradient -D(G(z)) da, which vanishes when D rejects G(z)
        return -F.softplus(fake_logits).mean()
    # maximise E log D(G(z)) instead ("strong gradients early in learning", Section 3): gradient -(1 - D) da
    return F.softplus(-fake_logits).mean()


# --- LAPGAN (Denton et al. 2015) -------------------------------------------------------------
# Every level k < K of the pyramid is a conditional GAN on the band h_k given l_k = u(I_{k+1}):
#   min_{G_k} max_{D_k}  E_{h,l ~ p_data}[log D_k(h_k, l_k)] + E_{z ~ p_z, l ~ p_l}[log(1 - D_k(G_k(z_k, l_k), l_k))]
# (the paper's eq. 3, with the real l_k from the training pyramid), and the coarsest level an ordinary GAN (eq. 1):
# the losses above, applied to D_k's logits on (h_k, l_k) pairs. Nothing new is needed.


# --- SRGAN (Ledig et al. 2017) ---------------------------------------------------------------
# The perceptual loss l^SR = l^SR_X + 1e-3 l^SR_Gen (eq. 3): a content loss l^SR_X, pixel-wise MSE (eq. 4) or
# the distance of VGG-19 feature maps (eq. 5), plus the adversarial loss l^SR_Gen = sum_n -log D(G(I^LR)) (eq. 6),
# which is generator_loss above (non-saturating, averaged over the minibatch instead of summed).

VGG_RESCALE = 1 / 12.75  # "we also rescaled the VGG feature maps by a factor of 1/12.75" (Section 3.2)


def vgg_content_loss(phi_sr: torch.Tensor, phi_hr: torch.Tensor, rescale: float = VGG_RESCALE) -> torch.Tensor:
    """l^SR_VGG/i.j: mean squared distance of the rescaled feature maps phi_{i,j} of G(I^LR) and of I^HR."""
    # l^SR_VGG/i.j = 1/(W_ij H_ij) sum_x sum_y (phi_ij(I^HR)_xy - phi_ij(G(I^LR))_xy)^2   (eq. 5),
    # averaged over feature channels and the minibatch too, with phi rescaled by 1/12.75
    return F.mse_loss(rescale * phi_sr, rescale * phi_hr)


def total_variation(x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Isotropic total variation per pixel: the image's gradient length summed over channels, averaged over pixels.

    The one TV of the book: chapter 00's MAP prior and SRGAN's regulariser. ``eps`` keeps the square
    root differentiable where the image is flat. Averaged over the images of a batch.
    """
    # TV(x) = 1/(H W) sum_{c,i,j} sqrt((x_{c,i,j+1} - x_{c,i,j})^2 + (x_{c,i+1,j} - x_{c,i,j})^2 + eps^2),
    # forward differences on the (H-1) x (W-1) grid where both exist; SRGAN's l^SR_TV = 1/(r^2 W H) sum_x sum_y
    # || grad G(I^LR)_{x,y} || (the paper's first arXiv version, weight 2e-8) is this on G's output
    dx = x[..., :-1, 1:] - x[..., :-1, :-1]
    dy = x[..., 1:, :-1] - x[..., :-1, :-1]
    per_image = torch.sqrt(dx**2 + dy**2 + eps**2).flatten(-3).sum(dim=-1)
    return per_image.mean() / (x.shape[-2] * x.shape[-1])


# --- Conditional GANs (chapter 05) -----------------------------------------------------------
# CGAN (Mirza & Osindero 2014) keeps the losses above, with D(x|y) and G(z|y) given the class y.


def source_logit(class_logits: torch.Tensor) -> torch.Tensor:
    """The real-vs-fake logit of a K+1-class discriminator whose fake class has logit 0 (Salimans et al. 2016).

    With l_{K+1} = 0, D(x) = 1 - p(y=K+1|x) = Z(x) / (Z(x) + 1), Z(x) = sum_k exp l_k(x) (Section 5), which is
    sigmoid(log Z(x)): the GAN losses above, applied to logsumexp of the K class logits, are L_unsupervised.
    """
    return torch.logsumexp(class_logits, dim=1)


def semi_supervised_loss(
    labelled_logits: torch.Tensor, labels: torch.Tensor, real_logits: torch.Tensor, fake_logits: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The discriminator's loss of Salimans et al. (2016), Section 5: ``(L_supervised, L_unsupervised)``.

    L_supervised = -E_{x,y~p_data} log p(y|x, y<K+1) (cross-entropy of the K logits on labelled images);
    L_unsupervised = -E_{x~p_data} log D(x) - E_{z} log(1 - D(G(z))) with D from :func:`source_logit`.
    """
    supervised = F.cross_entropy(labelled_logits, labels)
    return supervised, discriminator_loss(source_logit(real_logits), source_logit(fake_logits))


def feature_matching_loss(real_features: torch.Tensor, fake_features: torch.Tensor) -> torch.Tensor:
    """|| E_x f(x) - E_z f(G(z)) ||_2^2 over a minibatch (Salimans et al. 2016, Section 3.1): G's objective."""
    return (real_features.mean(dim=0) - fake_features.mean(dim=0)).pow(2).sum()


def mutual_information_bound(code_logits: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
    """InfoGAN's L_I(G, Q) = E_{c~P(c), x~G(z,c)}[log Q(c|x)] + H(c) for a uniform categorical code (in nats).

    A lower bound on I(c; G(z, c)) (Chen et al. 2016, eq. 4); at most H(c) = log K, reached when Q recovers c
    from G(z, c) with certainty. ``code_logits`` are Q's (N, K) logits, ``codes`` the (N,) codes fed to G.
    """
    entropy = math.log(code_logits.shape[1])  # H(c) for c ~ Cat(K, p = 1/K): a constant
    return -F.cross_entropy(code_logits, codes) + entropy


def auxiliary_class_loss(
    real_class_logits: torch.Tensor,
    real_labels: torch.Tensor,
    fake_class_logits: torch.Tensor,
    fake_labels: torch.Tensor,
) -> torch.Tensor:
    """-L_C of AC-GAN (Odena et al. 2017, eq. 3): -E[log P(C=c|X_real)] - E[log P(C=c|X_fake)].

    Both D and G minimise it (D maximises L_S + L_C, G maximises L_C - L_S).
    """
    return F.cross_entropy(real_class_logits, real_labels) + F.cross_entropy(fake_class_logits, fake_labels)


# --- pix2pix (Isola et al. 2017) -------------------------------------------------------------
# G* = arg min_G max_D L_cGAN(G, D) + lambda L_L1(G), lambda = 100   (eq. 4)
# L_cGAN(G, D) = E_{x,y}[log D(x, y)] + E_{x,z}[log(1 - D(x, G(x, z)))]   (eq. 1): gan_value above, on the
# PatchGAN's map of patch logits (the mean over patches is the paper's "averaging all responses");
# L_GAN, the unconditional variant, is the same with D(y) and D(G(x, z)), D not shown x (eq. 2).


def pix2pix_discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """D's loss, halved: "we divide the objective by 2 while optimizing D, which slows down the rate at which
    D learns relative to G" (Section 3.3)."""
    return 0.5 * discriminator_loss(real_logits, fake_logits)


def pix2pix_generator_loss(
    fake_logits: torch.Tensor | None, fake: torch.Tensor, target: torch.Tensor, l1_weight: float = 100.0
) -> torch.Tensor:
    """G's loss: the non-saturating adversarial term (none when ``fake_logits`` is None: the L1-only
    baseline) plus lambda E||y - G(x, z)||_1 (eq. 3, a mean over pixels of images in [-1, 1])."""
    adversarial = generator_loss(fake_logits) if fake_logits is not None else fake.new_zeros(())
    return adversarial + l1_weight * (target - fake).abs().mean()



# --- Cascaded Refinement Networks (Chen & Koltun 2017) -----------------------------------------
# The content representation of a recognition network Phi compares the image I with the synthesized g (eq. 1):
#   L_{I,L}(theta) = sum_l lambda_l || Phi_l(I) - Phi_l(g(L; theta)) ||_1 ,
# with Phi_0 the pixels and lambda_l balancing the layers. The diversity loss (eq. 4, the "hindsight" loss)
# lets g produce k images and charges each semantic class p only to the image that renders it best:
#   sum_p min_u sum_l lambda_l sum_j || L_p^l (.) (Phi_l^j(I) - Phi_l^j(g_u(L; theta))) ||_1 ,
# where L_p^l is the mask of class p resized to layer l's resolution.


def resize_mask(mask: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """A (N, 1, H, W) class mask at a layer's resolution: the fraction of each cell the class covers."""
    return mask if tuple(mask.shape[-2:]) == tuple(size) else F.adaptive_avg_pool2d(mask, size)


def feature_distance(
    fake_features: list[torch.Tensor], real_features: list[torch.Tensor], weights: list[float],
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """sum_l lambda_l mean |M^l (.) (Phi_l(I) - Phi_l(g))| per image: (N,). ``mask`` (N, 1, H, W) restricts it to
    one class (resized to every layer); means over channels and pixels keep layers of any size comparable."""
    total = 0.0
    for fake, real, weight in zip(fake_features, real_features, weights, strict=True):
        difference = (real - fake).abs()
        if mask is not None:
            difference = difference * resize_mask(mask, difference.shape[-2:])
        total = total + weight * difference.mean(dim=(1, 2, 3))
    return total


def diversity_loss(class_distances: torch.Tensor, mean_weight: float = 0.001) -> torch.Tensor:
    """The hindsight loss from per-class distances (N, k, classes): sum over classes of the min over the k images,
    averaged over the minibatch. The reference code adds ``mean_weight`` x the mean over the k images, so that
    every image gets some gradient (the min alone trains only the winner of each class)."""
    per_class = (1 - mean_weight) * class_distances.min(dim=1).values + mean_weight * class_distances.mean(dim=1)
    return per_class.sum(dim=1).mean()


# --- Text to image (Reed et al. 2016) --------------------------------------------------------
# The text encoder (Reed, Akata, Lee, Schiele, CVPR 2016) learns a compatibility F(v, t) = theta(v)^T phi(t) of
# an image v and a caption t by minimising the deep symmetric structured joint embedding loss
#   1/N sum_n Delta(y_n, f_v(v_n)) + Delta(y_n, f_t(t_n)),  f_v(v) = arg max_y E_{t~T(y)}[F(v, t)]  (eq. 1-3),
# the 0-1 losses Delta replaced by their convex hinge upper bound: for each image, every caption of another
# class must score a margin of 1 below its own caption, and symmetrically for each caption.


def joint_embedding_loss(
    image_features: torch.Tensor, text_features: torch.Tensor, labels: torch.Tensor
) -> torch.Tensor:
    """The symmetric hinge of a minibatch of matched (image, caption) pairs, row n the n-th pair, of class labels[n]:
    (1/N) sum_n sum_{m: y_m != y_n} [max(0, 1 + F(v_n, t_m) - F(v_n, t_n)) + max(0, 1 + F(v_m, t_n) - F(v_n, t_n))]."""
    scores = image_features @ text_features.T  # F(v_n, t_m)
    matched = scores.diagonal()
    different = (labels[:, None] != labels[None, :]).to(scores.dtype)
    image_side = (F.relu(1 + scores - matched[:, None]) * different).sum(dim=1)  # f_v: captions for image n
    text_side = (F.relu(1 + scores - matched[None, :]) * different).sum(dim=0)  # f_t: images for caption n
    return (image_side + text_side).mean()


# GAN-CLS (ICML paper, Algorithm 1): D sees three kinds of input, s_r = D(x, h) real image, right text;
# s_w = D(x, h_hat) real image, wrong text; s_f = D(x_hat, h) fake image, right text, and ascends
#   L_D = log(s_r) + (log(1 - s_w) + log(1 - s_f)) / 2 ;  G ascends L_G = log(s_f) (the non-saturating loss).


def gan_cls_discriminator_loss(real_logits: torch.Tensor, wrong_logits: torch.Tensor,
                               fake_logits: torch.Tensor) -> torch.Tensor:
    """-L_D of Algorithm 1, on logits: -log s_r - (log(1 - s_w) + log(1 - s_f)) / 2, averaged over the minibatch."""
    return F.softplus(-real_logits).mean() + 0.5 * (F.softplus(wrong_logits).mean() + F.softplus(fake_logits).mean())


# GAN-INT (Section 4.3): G also learns from interpolations of training embeddings, which need not be the
# embedding of any caption: E_{t1,t2 ~ p_data}[log(1 - D(G(z, beta t1 + (1 - beta) t2)))], beta = 0.5 (eq. 5),
# here in its non-saturating form, D judging the image against the interpolated embedding.


def interpolate_embeddings(t1: torch.Tensor, t2: torch.Tensor, beta: float = 0.5) -> torch.Tensor:
    """beta t1 + (1 - beta) t2 (eq. 5; the paper fixes beta = 0.5)."""
    return beta * t1 + (1 - beta) * t2


def gan_int_generator_loss(fake_logits: torch.Tensor, interpolated_logits: torch.Tensor) -> torch.Tensor:
    """G's loss with the GAN-INT term: -log s_f on the captions' embeddings plus -log D(G(z, t_int), t_int)."""
    return generator_loss(fake_logits) + generator_loss(interpolated_logits)


def style_loss(z: torch.Tensor, predicted: torch.Tensor) -> torch.Tensor:
    """The style encoder's L_style = E_{t, z ~ N(0, 1)} || z - S(G(z, phi(t))) ||_2^2 (Section 4.4), the squared
    norm summed over z's dimensions and averaged over the minibatch."""
    return (z - predicted).pow(2).sum(dim=1).mean()
