"""SRGAN (Ledig et al., CVPR 2017): the SRResNet generator, the discriminator and the VGG-19 feature
extractor of the perceptual loss, flat, in the style of pytorch/examples.

Layer names follow the paper's Figure 4: ``k9n64s1`` is a 9x9 convolution with 64 filters and stride 1.
Images are in [0, 1] in and out. As in the paper, the generator's last (linear) layer works on the
[-1, 1] scale of the HR images ("we scaled the range of the LR input images to [0, 1] and for the HR
images to [-1, 1]"); :class:`SRResNet` maps it back, so a zero output is mid-grey. Outputs are
clamped to [0, 1] only for display and scoring.

Discriminators return **logits** a(x); the paper's final sigmoid D(x) = sigmoid(a(x)) lives in the
losses of ``dipkit.losses``, as for the book's other GANs.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

# --- Generator: SRResNet -----------------------------------------------------------------------


class ResidualBlock(nn.Module):
    """k3n64s1 - BN - PReLU - k3n64s1 - BN, plus the identity: x + F(x) (Figure 4, after Gross & Wilber)."""

    def __init__(self, channels: int = 64) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False),  # no bias: the batch norm after it has one
            nn.BatchNorm2d(channels),
            nn.PReLU(),
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def upsample_block(channels: int = 64, factor: int = 2) -> nn.Sequential:
    """Sub-pixel convolution: k3n(64 r^2)s1, then PixelShuffle(r) and PReLU (the paper's k3n256s1 at r = 2).

    The convolution computes r^2 sub-images at the low resolution; ``PixelShuffle`` interleaves them,
    moving channel c r^2 + i r + j to pixel (r y + i, r x + j) of output channel c.
    """
    return nn.Sequential(
        nn.Conv2d(channels, channels * factor**2, 3, 1, 1),
        nn.PixelShuffle(factor),  # (N, C r^2, H, W) -> (N, C, r H, r W)
        nn.PReLU(),
    )


class SRResNet(nn.Module):
    """G_theta(I^LR): the paper's generator (16 residual blocks of 64 channels at ``scale=4``).

    head k9n64s1 + PReLU; B residual blocks; k3n64s1 + BN; long skip connection (elementwise sum with
    the head's output); log2(scale) sub-pixel upsampling stages; tail k9n3s1, a linear output on the
    [-1, 1] scale, returned as an image on [0, 1].

    ``bicubic_skip=True`` is **not** the paper's network: it adds the bicubic interpolation of the input
    to the output and zero-initialises the tail, so the network starts as bicubic interpolation and learns
    only the residual (the global residual learning of VDSR, Kim et al. 2016). From scratch, the paper's
    SRResNet needs thousands of steps just to catch up with bicubic; the quick profile cannot afford them.
    """

    def __init__(
        self, scale: int = 4, channels: int = 64, blocks: int = 16, image_channels: int = 3, bicubic_skip: bool = False
    ) -> None:
        super().__init__()
        stages = round(math.log2(scale)) if scale >= 2 else 0
        if stages < 1 or 2**stages != scale:
            raise ValueError(f"scale must be a power of two >= 2 (one x2 sub-pixel stage each), got {scale}")
        self.scale, self.bicubic_skip = scale, bicubic_skip
        self.head = nn.Sequential(nn.Conv2d(image_channels, channels, 9, 1, 4), nn.PReLU())
        self.body = nn.Sequential(
            *[ResidualBlock(channels) for _ in range(blocks)],
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False),
            nn.BatchNorm2d(channels),
        )
        self.upsample = nn.Sequential(*[upsample_block(channels, 2) for _ in range(stages)])
        self.tail = nn.Conv2d(channels, image_channels, 9, 1, 4)
        if bicubic_skip:  # start as bicubic interpolation: the residual branch outputs zero
            nn.init.zeros_(self.tail.weight)
            nn.init.zeros_(self.tail.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.head(x)
        h = h + self.body(h)  # the long skip connection around all residual blocks
        out = self.tail(self.upsample(h))  # on the [-1, 1] scale of the paper's HR images
        if self.bicubic_skip:
            return F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False) + out / 2
        return (out + 1) / 2


# --- Discriminator -----------------------------------------------------------------------------

# (width multiplier, stride) of the seven conv-BN-LeakyReLU layers after the first: k3n64s2, k3n128s1,
# k3n128s2, k3n256s1, k3n256s2, k3n512s1, k3n512s2. "Strided convolutions are used to reduce the image
# resolution each time the number of features is doubled."
_D_LAYERS = ((1, 2), (2, 1), (2, 2), (4, 1), (4, 2), (8, 1), (8, 2))


def discriminator(width: int = 64, image_size: int = 96, hidden: int = 1024, image_channels: int = 3) -> nn.Sequential:
    """a(I) with D(I) = sigmoid(a(I)): the paper's Figure 4 at ``width=64, image_size=96, hidden=1024``.

    k3n64s1 + LeakyReLU(0.2) (no batch norm on the input layer), seven k3 conv-BN-LeakyReLU layers with
    64 -> 512 filters and four stride-2 steps, then Dense(1024), LeakyReLU, Dense(1): one logit per image.
    """
    if image_size % 16 or image_size < 16:
        raise ValueError(f"image_size must be a multiple of 16 (four stride-2 layers), got {image_size}")
    layers: list[nn.Module] = [nn.Conv2d(image_channels, width, 3, 1, 1), nn.LeakyReLU(0.2)]
    c_in = width
    for multiplier, stride in _D_LAYERS:
        c_out = width * multiplier
        layers += [nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2)]
        c_in = c_out
    side = image_size // 16
    layers += [
        nn.Flatten(),
        nn.Linear(c_in * side * side, hidden),  # Dense(1024)
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, 1),  # Dense(1); the sigmoid is in the loss
        nn.Flatten(0),
    ]
    return nn.Sequential(*layers)


# --- VGG-19 features for the content loss ------------------------------------------------------

VGG19_FILE = "vgg19-dcbb9e9d.pth"  # torchvision's VGG19_Weights.IMAGENET1K_V1 checkpoint, as cached by torch.hub
IMAGENET_MEAN = (0.485, 0.456, 0.406)  # the normalisation torchvision's pretrained VGG-19 expects
IMAGENET_STD = (0.229, 0.224, 0.225)


def vgg19_layer_index(layer: str) -> int:
    """Index in ``torchvision.models.vgg19().features`` of phi_{i,j} named ``"VGGij"`` (``"VGG54"`` -> 35).

    phi_{i,j} is "the feature map obtained by the j-th convolution (after activation) within the VGG19
    network and before the i-th maxpooling layer" (Section 2.2.1): the ReLU after that convolution.
    """
    match = re.fullmatch(r"VGG([1-5])([1-4])", layer)
    convs_per_block = (2, 2, 4, 4, 4)  # VGG-19, configuration E
    if not match or int(match[2]) > convs_per_block[int(match[1]) - 1]:
        raise ValueError(
            f"unknown VGG-19 layer {layer!r}; accepted: VGG11, VGG12, VGG21, VGG22, VGG31..VGG34, VGG41..VGG54"
        )
    block, conv = int(match[1]), int(match[2])
    # each conv is followed by its ReLU (2 modules), each finished block by a max-pool (1 module)
    index = sum(2 * n + 1 for n in convs_per_block[: block - 1]) + 2 * conv - 1
    return index


class VGGFeatures(nn.Module):
    """phi_{i,j}(I): ImageNet normalisation, then VGG-19's layers up to that ReLU; frozen, always in eval mode.

    ``pretrained`` says whether ImageNet weights were loaded; ``source`` says, in one line, which network this is.
    """

    def __init__(self, features: nn.Sequential, layer: str, pretrained: bool, source: str) -> None:
        super().__init__()
        self.features, self.layer, self.pretrained, self.source = features, layer, pretrained, source
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> VGGFeatures:
        return super().train(False)  # a fixed loss network: never in training mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features((x - self.mean) / self.std)


def vgg19_checkpoint(checkpoint_dir: str | Path | None = None) -> Path:
    """Where torch.hub caches torchvision's VGG-19 weights: ``torch.hub.get_dir()/checkpoints/vgg19-dcbb9e9d.pth``."""
    folder = Path(checkpoint_dir) if checkpoint_dir is not None else Path(torch.hub.get_dir()) / "checkpoints"
    return folder / VGG19_FILE


def _shown(path: Path) -> str:
    """The checkpoint path as printed: relative to torch.hub's folder when under it (stable across machines)."""
    hub = Path(torch.hub.get_dir())
    return f"torch.hub.get_dir()/{path.relative_to(hub)}" if path.is_relative_to(hub) else str(path)


def vgg_features(
    layer: str = "VGG54", download: bool = False, checkpoint_dir: str | Path | None = None, seed: int = 0
) -> VGGFeatures:
    """VGG-19 up to phi_{i,j}, with torchvision's pretrained ImageNet weights when they are at hand.

    The weights are read from torch.hub's cache (:func:`vgg19_checkpoint`); with ``download=True`` a
    missing file is fetched once through torch.hub. When neither works this returns the **fallback**: the
    same truncated VGG-19 with fixed random weights (torchvision's initialisation, Kaiming-normal, drawn
    from ``seed``). It never substitutes silently: ``pretrained`` is False and ``source`` says so and why.
    """
    from torchvision.models import VGG19_Weights, vgg19

    cut = vgg19_layer_index(layer) + 1
    path = vgg19_checkpoint(checkpoint_dir)
    with torch.device("meta"):  # the layer list only: no memory for the 140 M parameters we may not need
        features = vgg19(weights=None).features[:cut]
    features = features.to_empty(device="cpu")

    state, reason = None, f"pretrained VGG-19 weights are not in torchvision's cache ({_shown(path)})"
    if path.is_file():
        state = torch.load(path, map_location="cpu", weights_only=True)
    elif download:
        try:
            state = torch.hub.load_state_dict_from_url(
                VGG19_Weights.IMAGENET1K_V1.url, model_dir=str(path.parent), progress=False, map_location="cpu"
            )
        except Exception as error:  # offline, blocked, corrupt: say so and fall back
            reason += f" and downloading them failed ({type(error).__name__}: {error})"
    else:
        reason += " and download=False"

    if state is not None:
        wanted = {key.removeprefix("features."): value for key, value in state.items() if key.startswith("features.")}
        wanted = {key: value for key, value in wanted.items() if int(key.split(".")[0]) < cut}
        missing = sorted(set(features.state_dict()) - set(wanted))
        if missing:
            raise ValueError(
                f"{_shown(path)} is not a VGG-19 checkpoint: it lacks features.{missing[0]} "
                f"(and {len(missing) - 1} more)"
            )
        features.load_state_dict(wanted)
        return VGGFeatures(
            features, layer, True, f"pretrained VGG-19 (ImageNet, torchvision) {layer} from {_shown(path)}"
        )

    generator = torch.Generator().manual_seed(seed)
    for module in features:
        if isinstance(module, nn.Conv2d):  # torchvision's own VGG initialisation
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu", generator=generator)
            nn.init.zeros_(module.bias)
    return VGGFeatures(
        features, layer, False,
        f"FALLBACK: {reason}; using VGG-19's layers up to {layer} with fixed RANDOM weights "
        f"(torchvision's Kaiming-normal initialisation, seed {seed}), not the pretrained ImageNet network",
    )


__all__ = [
    "ResidualBlock",
    "upsample_block",
    "SRResNet",
    "discriminator",
    "VGG19_FILE",
    "vgg19_layer_index",
    "vgg19_checkpoint",
    "VGGFeatures",
    "vgg_features",
]
