"""The judges: small networks trained on real data only, whose opinion of generated images is a score.

:class:`Classifier` reads digits and shapes (chapters 04, 05, 07, 08: the Frechet distance in its feature
space, the Inception score, whether a sample shows the class it was asked for); :class:`Segmenter` labels
photos pixel by pixel (chapters 09, 10: pix2pix's FCN-score). :func:`dipkit.training.train_classifier` and
:func:`dipkit.training.train_segmenter` fit them; :mod:`dipkit.evaluation` scores with them.
"""

from __future__ import annotations

import torch
from torch import nn


class Classifier(nn.Module):
    """A small ConvNet for images of any size >= 8: two 3x3 conv layers, pooled to 2x2, a feature layer.

    ``features(x)`` is the penultimate layer (``feature_dim`` ReLU units) used for the Frechet distance.
    Inputs are (N, channels, H, W) in [0, 1]: grey by default, ``channels=3`` for colour.
    """

    def __init__(self, classes: int = 10, width: int = 32, feature_dim: int = 64, channels: int = 1) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(),
            nn.Linear(8 * width, feature_dim), nn.ReLU(),
        )
        self.head = nn.Linear(feature_dim, classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


class Segmenter(nn.Module):
    """A fully convolutional labeller of colour images: ``layers`` 3x3 conv-BN-ReLU layers, a 1x1 classifier.

    Its receptive field is ``2 * layers + 1`` pixels, so it judges each pixel by the appearance around it
    (colour, texture) rather than by where it sits in the layout: a blurred or wrong texture is
    mislabelled even where the layout is right, which is what the FCN-score is for. Inputs (N, 3, H, W)
    in [0, 1]; returns (N, classes, H, W) logits.
    """

    def __init__(self, classes: int, width: int = 16, layers: int = 4) -> None:
        super().__init__()
        blocks, c_in = [], 3
        for _ in range(layers):
            blocks += [nn.Conv2d(c_in, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
            c_in = width
        self.net = nn.Sequential(*blocks, nn.Conv2d(width, classes, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The output of every ReLU, first to last: the layers a feature-matching loss compares."""
        outputs = []
        for layer in self.net:
            x = layer(x)
            if isinstance(layer, nn.ReLU):
                outputs.append(x)
        return outputs


__all__ = ["Classifier", "Segmenter"]
