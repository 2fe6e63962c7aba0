"""The variational autoencoder of Kingma & Welling (2014), appendix C: one-hidden-layer MLPs.

Encoder q(z|x) = N(mu(x), diag sigma^2(x)) (a Gaussian MLP, appendix C.2, with x and z swapped);
decoder p(x|z) a product of Bernoullis (a Bernoulli MLP, appendix C.1); prior p(z) = N(0, I).
The paper's MNIST model has 500 tanh hidden units and 2 to 200 latent dimensions. The same network
without the noise (``sample=False``: z = mu(x)) is a plain deterministic autoencoder.
"""

from __future__ import annotations

import torch
from torch import nn


class VAE(nn.Module):
    """x (N, D) in [0, 1] -> (decoder logits (N, D), mu (N, latent), log sigma^2 (N, latent))."""

    def __init__(self, input_size: int = 784, hidden: int = 500, latent: int = 20, init_std: float | None = None):
        super().__init__()
        if min(input_size, hidden, latent) < 1:
            raise ValueError(f"sizes must be positive, got input {input_size}, hidden {hidden}, latent {latent}")
        self.input_size, self.latent = input_size, latent
        self.enc = nn.Linear(input_size, hidden)  # W3, b3 (encoder)
        self.enc_mu = nn.Linear(hidden, latent)  # W4, b4
        self.enc_logvar = nn.Linear(hidden, latent)  # W5, b5
        self.dec = nn.Linear(latent, hidden)  # W1, b1 (decoder)
        self.dec_out = nn.Linear(hidden, input_size)  # W2, b2
        if init_std is not None:  # section 5: "all parameters ... initialized by random sampling from N(0, 0.01)"
            for parameter in self.parameters():
                nn.init.normal_(parameter, 0.0, init_std)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.tanh(self.enc(x))  # h = tanh(W3 x + b3)                  (appendix C.2)
        return self.enc_mu(h), self.enc_logvar(h)  # mu = W4 h + b4, log sigma^2 = W5 h + b5

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        # y = sigmoid(W2 tanh(W1 z + b1) + b2)  (appendix C.1); we return the logits, sigmoid(logits) = y
        return self.dec_out(torch.tanh(self.dec(z)))

    def forward(
        self, x: torch.Tensor, sample: bool = True, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x.flatten(1))
        z = reparameterize(mu, logvar, generator) if sample else mu
        return self.decode(z), mu, logvar


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """z = mu + sigma * eps with eps ~ N(0, I) (section 2.4): a sample of q(z|x) that gradients flow through."""
    eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
    return mu + torch.exp(0.5 * logvar) * eps


__all__ = ["VAE", "reparameterize"]
