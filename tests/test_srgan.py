"""SRGAN (dipkit.nets.srgan and the SRGAN section of dipkit.losses): architecture, sub-pixel upsampling,
the VGG-19 feature extractor with a fake checkpoint in place of the pretrained weights, and its fallback."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dipkit import losses
from dipkit.nets import count_parameters
from dipkit.nets.srgan import (
    VGG19_FILE,
    ResidualBlock,
    SRResNet,
    discriminator,
    upsample_block,
    vgg19_checkpoint,
    vgg19_layer_index,
    vgg_features,
)

torch.set_num_threads(1)


# --- generator -----------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [2, 4, 8])
def test_srresnet_upscales_by_its_factor(scale):
    G = SRResNet(scale=scale, channels=8, blocks=2).eval()
    with torch.no_grad():
        assert G(torch.rand(2, 3, 5, 7)).shape == (2, 3, 5 * scale, 7 * scale)


def test_srresnet_paper_architecture():
    # Figure 4: k9n64s1 + PReLU, 16 residual blocks, k3n64s1 + BN, two x2 sub-pixel stages (k3n256s1), k9n3s1
    G = SRResNet(scale=4, channels=64, blocks=16)
    blocks = [m for m in G.body if isinstance(m, ResidualBlock)]
    assert len(blocks) == 16
    kinds = [type(m) for m in blocks[0].body]
    assert kinds == [nn.Conv2d, nn.BatchNorm2d, nn.PReLU, nn.Conv2d, nn.BatchNorm2d]
    assert G.head[0].kernel_size == (9, 9) and G.tail.kernel_size == (9, 9) and G.tail.out_channels == 3
    assert [stage[0].out_channels for stage in G.upsample] == [256, 256]
    assert all(isinstance(stage[1], nn.PixelShuffle) and isinstance(stage[2], nn.PReLU) for stage in G.upsample)
    assert 1.5e6 < count_parameters(G) < 1.6e6  # about 1.5 M parameters


def test_srresnet_long_skip_connection():
    # With the trunk's last batch norm zeroed, the residual blocks contribute nothing: only the long skip is left.
    torch.manual_seed(0)
    G = SRResNet(scale=4, channels=8, blocks=2).eval()
    nn.init.zeros_(G.body[-1].weight)
    nn.init.zeros_(G.body[-1].bias)
    x = torch.rand(1, 3, 6, 6)
    with torch.no_grad():
        expected = (G.tail(G.upsample(G.head(x))) + 1) / 2
        assert torch.allclose(G(x), expected)


def test_srresnet_output_scale():
    # The last layer works on the paper's [-1, 1] HR scale: a zero output is mid-grey on [0, 1].
    G = SRResNet(scale=2, channels=4, blocks=1).eval()
    nn.init.zeros_(G.tail.weight)
    nn.init.zeros_(G.tail.bias)
    with torch.no_grad():
        assert torch.equal(G(torch.rand(1, 3, 4, 4)), torch.full((1, 3, 8, 8), 0.5))


def test_srresnet_rejects_scales_that_are_not_powers_of_two():
    for scale in (1, 3, 6):
        with pytest.raises(ValueError, match="power of two"):
            SRResNet(scale=scale)


def test_subpixel_upsampler_interleaves_the_sub_images():
    # Set the convolution so that output channel c r^2 + k copies input channel c times (k + 1): after
    # PixelShuffle, pixel (r y + i, r x + j) of channel c must hold x_c(y, x) * (i r + j + 1).
    r, channels = 2, 3
    block = upsample_block(channels, r)
    conv = block[0]
    with torch.no_grad():
        conv.weight.zero_()
        conv.bias.zero_()
        for c in range(channels):
            for k in range(r * r):
                conv.weight[c * r * r + k, c, 1, 1] = k + 1.0
    x = torch.rand(1, channels, 4, 5) + 0.1  # positive, so the PReLU passes it unchanged
    with torch.no_grad():
        y = block(x)
    assert y.shape == (1, channels, 4 * r, 5 * r)
    for i in range(r):
        for j in range(r):
            assert torch.allclose(y[:, :, i::r, j::r], x * (i * r + j + 1))


# --- discriminator -------------------------------------------------------------------------------


def test_discriminator_paper_architecture():
    D = discriminator(width=64, image_size=96, hidden=1024)
    convs = [m for m in D if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 64, 128, 128, 256, 256, 512, 512]
    assert [c.stride[0] for c in convs] == [1, 2, 1, 2, 1, 2, 1, 2]
    assert all(c.kernel_size == (3, 3) for c in convs)
    assert isinstance(D[1], nn.LeakyReLU)  # no batch norm on the input layer
    assert sum(isinstance(m, nn.BatchNorm2d) for m in D) == 7
    assert all(m.negative_slope == 0.2 for m in D if isinstance(m, nn.LeakyReLU))
    dense = [m for m in D if isinstance(m, nn.Linear)]
    assert [(d.in_features, d.out_features) for d in dense] == [(512 * 6 * 6, 1024), (1024, 1)]
    D.eval()
    with torch.no_grad():
        logits = D(torch.rand(2, 3, 96, 96))
    assert logits.shape == (2,)
    probability = torch.sigmoid(logits)  # the paper's final sigmoid
    assert ((probability > 0) & (probability < 1)).all()


def test_discriminator_small_and_invalid_sizes():
    D = discriminator(width=8, image_size=32, hidden=16)
    assert D(torch.rand(3, 3, 32, 32)).shape == (3,)
    with pytest.raises(ValueError, match="multiple of 16"):
        discriminator(8, 24, 16)


# --- VGG-19 features -----------------------------------------------------------------------------


def test_vgg19_layer_index_names_the_relu_after_the_jth_conv_of_block_i():
    from torchvision.models import vgg19

    with torch.device("meta"):
        features = vgg19(weights=None).features
    for layer, index in {"VGG11": 1, "VGG12": 3, "VGG22": 8, "VGG34": 17, "VGG44": 26, "VGG54": 35}.items():
        assert vgg19_layer_index(layer) == index
        assert isinstance(features[index], nn.ReLU) and isinstance(features[index - 1], nn.Conv2d)
        block, conv = int(layer[3]), int(layer[4])
        pools_before = sum(isinstance(m, nn.MaxPool2d) for m in features[:index])
        convs_in_block = sum(isinstance(m, nn.Conv2d) for m in features[:index]) - sum((2, 2, 4, 4, 4)[: block - 1])
        assert (pools_before, convs_in_block) == (block - 1, conv)
    assert isinstance(features[vgg19_layer_index("VGG54") + 1], nn.MaxPool2d)  # phi_{5,4}: just before the 5th pool
    for bad in ("VGG13", "VGG61", "relu5_4", "VGG"):
        with pytest.raises(ValueError, match="unknown VGG-19 layer"):
            vgg19_layer_index(bad)


def test_vgg19_checkpoint_is_torchvisions_file_name():
    from torchvision.models import VGG19_Weights

    assert VGG19_Weights.IMAGENET1K_V1.url.rsplit("/", 1)[-1] == VGG19_FILE
    assert vgg19_checkpoint() == __import__("pathlib").Path(torch.hub.get_dir()) / "checkpoints" / VGG19_FILE


def _fake_checkpoint(folder, last_index: int) -> dict[str, torch.Tensor]:
    # A small stand-in for torchvision's 548 MB file: the `features.*` tensors up to `last_index`, plus a
    # classifier key that must be ignored.
    from torchvision.models import vgg19

    with torch.device("meta"):
        features = vgg19(weights=None).features[: last_index + 1]
    generator = torch.Generator().manual_seed(1)
    state = {
        f"features.{key}": torch.randn(value.shape, generator=generator) for key, value in features.state_dict().items()
    }
    state["classifier.6.bias"] = torch.zeros(1000)
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(state, folder / VGG19_FILE)
    return state


def _no_download(*args, **kwargs):
    raise AssertionError("vgg_features must not download when download=False")


def test_vgg_features_loads_the_cached_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", _no_download)
    state = _fake_checkpoint(tmp_path, vgg19_layer_index("VGG22"))
    phi = vgg_features("VGG22", checkpoint_dir=tmp_path)
    assert phi.pretrained and phi.layer == "VGG22"
    assert "pretrained VGG-19" in phi.source and str(tmp_path / VGG19_FILE) in phi.source
    assert torch.equal(phi.features[7].weight, state["features.7.weight"])  # conv2_2
    assert len(phi.features) == vgg19_layer_index("VGG22") + 1 and isinstance(phi.features[-1], nn.ReLU)
    assert not any(p.requires_grad for p in phi.parameters())
    phi.train()
    assert not phi.training  # a fixed loss network stays in eval mode
    x = torch.rand(2, 3, 32, 32)
    out = phi(x)
    assert out.shape == (2, 128, 16, 16) and (out >= 0).all()
    # the ImageNet normalisation is applied inside
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    assert torch.allclose(out, phi.features((x - mean) / std))


def test_vgg_features_rejects_an_incomplete_checkpoint(tmp_path):
    _fake_checkpoint(tmp_path, vgg19_layer_index("VGG12"))
    with pytest.raises(ValueError, match="not a VGG-19 checkpoint"):
        vgg_features("VGG22", checkpoint_dir=tmp_path)


def test_vgg_features_fallback_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", _no_download)
    phi = vgg_features("VGG22", checkpoint_dir=tmp_path, seed=3)
    assert not phi.pretrained
    assert phi.source.startswith("FALLBACK:")
    assert str(tmp_path / VGG19_FILE) in phi.source and "RANDOM weights" in phi.source and "seed 3" in phi.source
    again = vgg_features("VGG22", checkpoint_dir=tmp_path, seed=3)
    # fixed weights
    assert all(torch.equal(a, b) for a, b in zip(phi.state_dict().values(), again.state_dict().values()))
    other = vgg_features("VGG22", checkpoint_dir=tmp_path, seed=4)
    assert not torch.equal(phi.features[0].weight, other.features[0].weight)
    assert phi(torch.rand(1, 3, 16, 16)).shape == (1, 128, 8, 8)


def test_vgg_features_failed_download_falls_back_with_the_reason(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    phi = vgg_features("VGG12", download=True, checkpoint_dir=tmp_path)
    assert not phi.pretrained
    assert "downloading them failed (OSError: network unreachable)" in phi.source


# --- losses --------------------------------------------------------------------------------------


def test_vgg_content_loss_rescales_the_feature_maps():
    phi_hr = torch.zeros(2, 4, 3, 3)
    phi_sr = torch.full((2, 4, 3, 3), 12.75)
    assert losses.vgg_content_loss(phi_sr, phi_hr).item() == pytest.approx(1.0)  # (12.75 / 12.75)^2
    assert losses.vgg_content_loss(phi_sr, phi_hr, rescale=1.0).item() == pytest.approx(12.75**2)


def test_total_variation_of_a_ramp_and_a_constant():
    ramp = torch.arange(6.0).repeat(5, 1)[None, None] * 0.1  # 5 x 6, horizontal slope 0.1 per pixel
    # 4 x 5 = 20 grid cells with gradient length 0.1 (no forward difference on the last row and column), over 30 pixels
    assert losses.total_variation(ramp).item() == pytest.approx(0.1 * 20 / 30, rel=1e-5)
    # channels add
    assert losses.total_variation(ramp.repeat(2, 3, 1, 1)).item() == pytest.approx(3 * 0.1 * 20 / 30, rel=1e-5)
    flat = torch.full((2, 3, 8, 8), 0.4, requires_grad=True)
    value = losses.total_variation(flat)
    value.backward()
    assert value.item() == pytest.approx(0.0, abs=1e-5) and torch.isfinite(flat.grad).all()
    assert losses.total_variation(flat, eps=1e-3).item() == pytest.approx(3 * 1e-3 * 49 / 64, rel=1e-4)  # eps per cell


def test_total_variation_is_isotropic():
    # a 45-degree ramp with steps of 0.1 in x and in y has gradient length 0.1 * sqrt(2) in each of 5 x 5 cells
    y, x = torch.meshgrid(torch.arange(6.0), torch.arange(6.0), indexing="ij")
    assert losses.total_variation((0.1 * (x + y))[None, None]).item() == pytest.approx(0.1 * 2**0.5 * 25 / 36, rel=1e-5)


def test_vgg_features_reads_torch_hubs_cache_and_prints_a_portable_path(tmp_path, monkeypatch):
    # Without checkpoint_dir the weights come from torch.hub.get_dir()/checkpoints, and the message names
    # that folder symbolically, so a notebook's output does not depend on the user's home directory.
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", _no_download)
    assert "(torch.hub.get_dir()/checkpoints/vgg19-dcbb9e9d.pth)" in vgg_features("VGG11").source
    _fake_checkpoint(tmp_path / "checkpoints", vgg19_layer_index("VGG11"))
    phi = vgg_features("VGG11")
    assert phi.pretrained and phi.source.endswith("from torch.hub.get_dir()/checkpoints/vgg19-dcbb9e9d.pth")
    assert str(tmp_path) not in phi.source
