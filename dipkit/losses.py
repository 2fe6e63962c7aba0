"""Losses of the book's generative models, each next to the paper's equation it implements.

Sections: the VAE's KL term and ELBO (Kingma & Welling 2014); the GAN value function and its
generator losses (Goodfellow et al. 2014). Reconstruction/perceptual losses join as chapters need them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

# --- VAE (Kingma & Welling 2014) -------------------------------------------------------------

# --- GAN (Goodfellow et al. 2014) ------------------------------------------------------------
