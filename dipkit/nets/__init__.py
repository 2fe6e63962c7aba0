"""The papers' architectures, one module per paper family, each imported as ``dipkit.nets.<family>``.

``dip`` (Deep Image Prior's skip net), ``vae`` (Kingma & Welling), ``gan`` (Goodfellow et al.'s MLPs,
DCGAN and the conditional GANs), ``srgan`` (SRResNet, its discriminator, VGG-19 features), ``lapgan``
(LAPGAN's per-level networks and its coarse-to-fine sampler), ``t2i`` (text to image: the char-CNN-RNN text
encoder, the text-conditioned generator, the matching-aware discriminator, the image and style encoders),
``pix2pix`` (the U-Net and the PatchGAN), ``crn`` (the cascaded refinement network), ``judges`` (the
classifier and segmenter that score generated images). Each lists its public
names in ``__all__``. :func:`count_parameters` serves them all.
"""

from torch import nn


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars (weights, biases, BatchNorm affine parameters)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


__all__ = ["count_parameters"]
