"""Cascaded Refinement Networks (dipkit.nets.crn) and their losses (the CRN section of dipkit.losses)."""

from __future__ import annotations

import pytest
import torch

from dipkit import losses
from dipkit.nets import judges
from dipkit.nets.crn import CascadedRefinementNetwork, RefinementModule

torch.set_num_threads(1)


def test_each_stage_doubles_the_resolution():
    crn = CascadedRefinementNetwork(classes=5, widths=[16, 12, 8, 8], start=4, images=3)
    labels = torch.nn.functional.one_hot(torch.randint(0, 5, (2, 32, 32)), 5).permute(0, 3, 1, 2).float()
    stages = crn.stages(labels)
    assert [tuple(s.shape) for s in stages] == [(2, 16, 4, 4), (2, 12, 8, 8), (2, 8, 16, 16), (2, 8, 32, 32)]
    assert crn(labels).shape == (2, 3, 3, 32, 32)  # k = 3 images per layout
    with pytest.raises(ValueError, match="takes 32x32 label maps"):
        crn(labels[..., :16, :16])


def test_refinement_module_uses_layer_normalisation():
    module = RefinementModule(in_channels=5, width=8)
    out = module.net[:2](torch.randn(3, 5, 8, 8) * 10 + 4)  # conv, then the normalisation
    per_sample = out.flatten(1)
    assert torch.allclose(per_sample.mean(1), torch.zeros(3), atol=1e-5)  # each sample over channels and pixels
    assert torch.allclose(per_sample.std(1, unbiased=False), torch.ones(3), atol=1e-3)


def test_resize_mask_keeps_the_class_fraction_at_every_layer():
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., :4, :] = 1  # the top half
    for size in [(8, 8), (4, 4), (2, 2), (1, 1)]:
        resized = losses.resize_mask(mask, size)
        assert resized.shape[-2:] == size and resized.mean() == pytest.approx(0.5)
    assert losses.resize_mask(mask, (2, 2))[0, 0].tolist() == [[1.0, 1.0], [0.0, 0.0]]


def test_feature_distance_by_hand_and_with_a_mask():
    real = [torch.zeros(1, 1, 2, 2), torch.zeros(1, 2, 1, 1)]
    fake = [torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]), torch.ones(1, 2, 1, 1)]
    # layer 0: mean |.| = 2.5, weight 1; layer 1: mean 1, weight 10
    assert losses.feature_distance(fake, real, [1.0, 10.0]).item() == pytest.approx(12.5)
    left = torch.tensor([[[[1.0, 0.0], [1.0, 0.0]]]])  # layer 0 masked to (1 + 3) / 4; layer 1 at half weight
    assert losses.feature_distance(fake, real, [1.0, 10.0], left).item() == pytest.approx(1.0 + 5.0)


def test_diversity_loss_charges_each_class_to_its_closest_image():
    # one layout, k = 3 images, 2 classes: image 1 is best for class 0, image 2 for class 1
    distances = torch.tensor([[[5.0, 4.0], [1.0, 9.0], [7.0, 2.0]]])
    assert losses.diversity_loss(distances, mean_weight=0.0).item() == pytest.approx(1.0 + 2.0)
    expected = 0.999 * 3.0 + 0.001 * (13 / 3 + 15 / 3)
    assert losses.diversity_loss(distances).item() == pytest.approx(expected)


def test_segmenter_features_are_its_relu_outputs():
    model = judges.Segmenter(classes=3, width=4, layers=3).eval()
    features = model.features(torch.rand(2, 3, 8, 8))
    assert len(features) == 3 and all(f.shape == (2, 4, 8, 8) and f.min() >= 0 for f in features)
