"""The Laplacian pyramid (exact reconstruction at any size), LAPGAN's per-level networks and its sampler."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dipkit import data, datasets, generated, losses, pyramid
from dipkit.nets import count_parameters
from dipkit.nets.lapgan import (
    BandDiscriminator,
    BandGenerator,
    coarse_discriminator,
    coarse_generator,
    sample,
    uniform_noise,
)


@pytest.mark.parametrize(("size", "levels", "sides"), [
    (32, 3, [32, 16, 8, 4]), (28, [14, 8], [28, 14, 8]), (13, 2, [13, 7, 4]), (7, 2, [7, 4, 2]),
])
def test_pyramid_reconstructs_exactly_at_every_size(size, levels, sides):
    image = torch.rand(3, 3, size, size, generator=torch.Generator().manual_seed(size))
    levels_ = pyramid.laplacian_pyramid(image, levels)
    assert [p.shape[-1] for p in levels_] == sides
    assert all(p.shape[:2] == (3, 3) for p in levels_)
    assert (pyramid.reconstruct(levels_) - image).abs().max() < 1e-6  # float rounding only
    # the coarsest level is the image averaged down, and every band carries no coarse content
    gaussian = pyramid.gaussian_pyramid(image, levels)
    assert torch.equal(levels_[-1], gaussian[-1])
    for band, coarse in zip(levels_[:-1], sides[1:]):
        assert pyramid.downsample(band, coarse).abs().max() < 1e-6


def test_a_photo_pyramid_is_not_trivial_and_reconstructs():
    crop = torch.from_numpy(generated.photo_crops("train", 4, size=32, seed=0)).permute(0, 3, 1, 2)
    bands = pyramid.laplacian_pyramid(crop, 3)
    assert all(b.abs().max() > 0.01 for b in bands[:-1])  # real photos have detail at every scale
    assert (pyramid.reconstruct(bands) - crop).abs().max() < 1e-6


def test_downsample_is_average_pooling_and_a_left_inverse_of_upsample():
    x = torch.rand(2, 3, 16, 16)
    assert torch.equal(pyramid.downsample(x, 8), F.avg_pool2d(x, 2))
    for fine, coarse in ((16, 8), (14, 8), (28, 14), (9, 5)):
        y = torch.rand(2, 3, coarse, coarse)
        assert (pyramid.downsample(pyramid.upsample(y, fine), coarse) - y).abs().max() < 1e-6
    with pytest.raises(ValueError, match="must decrease"):
        pyramid.laplacian_pyramid(x, [16, 8])


def test_coarse_networks_shapes_and_paper_sizes():
    G, D = coarse_generator(latent_dim=100, hidden=1200, size=8), coarse_discriminator(size=8, hidden=600)
    images = G(uniform_noise((5, 100)))
    assert images.shape == (5, 3, 8, 8) and D(images).shape == (5,)
    assert [m.out_features for m in G if isinstance(m, torch.nn.Linear)] == [1200, 1200, 192]
    assert [m.out_features for m in D if isinstance(m, torch.nn.Linear)] == [600, 600, 1]
    assert sum(isinstance(m, torch.nn.Dropout) for m in D) == 2


@pytest.mark.parametrize(("size", "coarse"), [(8, 4), (16, 8), (32, 16), (14, 8), (28, 14)])
def test_band_networks_shapes_at_every_level(size, coarse):
    G, D = BandGenerator(size, coarse, width=8, kernels=(3, 3, 3)), BandDiscriminator(size, width=8, kernels=(3, 3))
    low = pyramid.upsample(torch.rand(4, 3, coarse, coarse), size)
    band = G(uniform_noise((4, 1, size, size)), low)
    assert band.shape == (4, 3, size, size)
    assert pyramid.downsample(band, coarse).abs().max() < 1e-5  # a band: nothing left at the coarse level
    assert D(band, low).shape == (4,)
    assert G.net[0].in_channels == 4  # l_k's three colour planes plus one noise plane
    assert D.net[0].in_channels == 6  # (h_k, l_k) stacked


def test_paper_band_networks():
    G, D = BandGenerator(28, 14), BandDiscriminator(28)
    assert [m.kernel_size[0] for m in G.net if isinstance(m, torch.nn.Conv2d)] == [7, 7, 5]
    assert [m.out_channels for m in G.net if isinstance(m, torch.nn.Conv2d)] == [64, 64, 3]
    assert [m.kernel_size[0] for m in D.net if isinstance(m, torch.nn.Conv2d)] == [5, 5]
    assert count_parameters(G) > count_parameters(BandGenerator(28, 14, width=16))


def test_sampler_keeps_the_coarse_start_and_draws_differ():
    torch.manual_seed(0)
    generators = [BandGenerator(s, s // 2, width=8, kernels=(3, 3, 3)).eval() for s in (8, 16, 32)]
    start = torch.rand(1, 3, 4, 4).repeat(5, 1, 1, 1)
    levels = sample(start, generators, generator=torch.Generator().manual_seed(1), levels=True)
    assert [x.shape[-1] for x in levels] == [4, 8, 16, 32]
    final = levels[-1]
    back = pyramid.gaussian_pyramid(final, 3)[-1]
    assert (back - start).abs().max() < 1e-5
    assert (final[0] - final[1]).abs().max() > 1e-3  # different noise, different images
    # from a coarse generator: count images, reproducible with the same noise generator
    G0 = coarse_generator(latent_dim=10, hidden=16, size=4).eval()
    a = sample(G0, generators, 3, generator=torch.Generator().manual_seed(2))
    b = sample(G0, generators, 3, generator=torch.Generator().manual_seed(2))
    assert a.shape == (3, 3, 32, 32) and torch.equal(a, b)
    with pytest.raises(ValueError, match="give count"):
        sample(G0, generators)


def test_a_conditional_training_step_moves_both_players_the_right_way():
    """D's steps on (h, l) pairs lower its loss on that batch; G's steps then lower G's loss against that D."""
    torch.manual_seed(0)
    size, coarse = 16, 8
    images = torch.from_numpy(generated.photo_crops("train", 32, size=size, seed=0)).permute(0, 3, 1, 2) * 2 - 1
    band, small = pyramid.laplacian_pyramid(images, 1)
    low = pyramid.upsample(small, size)
    G, D = BandGenerator(size, coarse, width=8, kernels=(3, 3, 3)), BandDiscriminator(size, width=8, kernels=(3, 3),
                                                                                       dropout=0.0)
    z = uniform_noise((32, 1, size, size), torch.Generator().manual_seed(0))
    opt_D, opt_G = torch.optim.Adam(D.parameters(), lr=3e-3), torch.optim.Adam(G.parameters(), lr=3e-3)
    fake = G(z, low).detach()
    before = losses.discriminator_loss(D(band, low), D(fake, low)).item()
    for _ in range(50):
        opt_D.zero_grad()
        losses.discriminator_loss(D(band, low), D(fake, low)).backward()
        opt_D.step()
    after = losses.discriminator_loss(D(band, low), D(fake, low)).item()
    assert after < before - 0.1
    g_before = losses.generator_loss(D(G(z, low), low)).item()
    for _ in range(50):
        opt_G.zero_grad()
        losses.generator_loss(D(G(z, low), low)).backward()
        opt_G.step()
    assert losses.generator_loss(D(G(z, low), low)).item() < g_before - 0.1
    assert pyramid.downsample(G(z, low), coarse).abs().max() < 1e-5  # still a band after training


def test_cifar10_reader_from_a_local_copy(monkeypatch, tmp_path):
    import hashlib
    import pickle

    from torchvision.datasets import CIFAR10

    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    pixels = np.arange(2 * 3072, dtype=np.int64).reshape(2, 3072) % 256
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        with (folder / name).open("wb") as handle:
            pickle.dump({"data": pixels.astype(np.uint8), "labels": [3, 7]}, handle)
    with (folder / "batches.meta").open("wb") as handle:
        pickle.dump({"label_names": [str(i) for i in range(10)]}, handle)
    md5 = {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in folder.iterdir()}  # this copy's checksums
    monkeypatch.setattr(CIFAR10, "train_list", [[n, md5[n]] for n in names[:5]])
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": md5["batches.meta"]})
    monkeypatch.setenv("DIPKIT_DATA", str(tmp_path))
    (train_x, train_y), (test_x, test_y) = data.cifar10()
    assert train_x.shape == (10, 32, 32, 3) and test_x.shape == (2, 32, 32, 3) and train_x.dtype == np.float32
    np.testing.assert_allclose(train_x[0, 0, 1], pixels[0, [1, 1025, 2049]] / 255.0, atol=1e-7)  # R, G, B planes
    assert train_y.tolist() == [3, 7] * 5 and test_y.tolist() == [3, 7]
    with (folder / "test_batch").open("ab") as handle:  # a corrupt batch fails its md5
        handle.write(b"x")
    with pytest.raises(data.DataUnavailableError, match="missing files or corrupt"):
        data.cifar10()
    (folder / "test_batch").unlink()
    with pytest.raises(data.DataUnavailableError, match="missing files or corrupt"):
        data.cifar10()


def test_cifar10_is_never_downloaded(monkeypatch, tmp_path):
    monkeypatch.setenv("DIPKIT_DATA", str(tmp_path))
    with pytest.raises(data.DataUnavailableError, match="'cifar-10' is not at .*cifar-10-batches-py"):
        data.cifar10()
    entry = datasets.dataset("cifar-10")  # the page to read, and the archive `dipkit data fetch` checks by its md5
    assert entry.url == "https://www.cs.toronto.edu/~kriz/cifar.html"
    assert [remote.url for remote in entry.files] == ["https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"]
