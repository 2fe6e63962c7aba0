import pytest
import torch

from dipkit import repro


def test_setup_seeds_and_pins_one_thread():
    repro.setup(seed=3)
    first = torch.rand(4)
    device = repro.setup(seed=3, device="cpu")
    assert torch.equal(first, torch.rand(4))
    assert device == torch.device("cpu")
    assert torch.get_num_threads() == 1
    assert torch.are_deterministic_algorithms_enabled()


def test_generators_are_independent_of_global_draws():
    a = torch.rand(3, generator=repro.generator(7))
    torch.rand(100)
    assert torch.equal(a, torch.rand(3, generator=repro.generator(7)))
    assert not torch.equal(a, torch.rand(3, generator=repro.generator(8)))


def test_auto_device_picks_what_is_there():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert repro.resolve_device("auto").type == expected


def test_cuda_without_gpu_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert repro.resolve_device("auto").type == "cpu"
    with pytest.raises(ValueError, match="no CUDA GPU is available; use 'auto' or 'cpu'"):
        repro.resolve_device("cuda")


def test_unknown_device_lists_the_accepted_ones():
    with pytest.raises(ValueError, match="accepted: auto, cpu, cuda"):
        repro.resolve_device("tpu")


def test_environment_record(capsys):
    repro.setup(seed=0, device="cpu")
    record = repro.environment("cpu")
    assert record["torch"] == torch.__version__
    assert record["device"] == "cpu" and record["cpu threads"] == "1"
    assert record["wall time"].endswith(" s")
    repro.print_environment("cpu")
    assert "torch" in capsys.readouterr().out


def test_strict_determinism_on_cpu_and_warn_only_on_gpu(monkeypatch):
    repro.setup(seed=0, device="cpu")
    assert torch.are_deterministic_algorithms_enabled() and not torch.is_deterministic_algorithms_warn_only_enabled()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert repro.setup(seed=0, device="cuda").type == "cuda"
    assert torch.is_deterministic_algorithms_warn_only_enabled()
    repro.setup(seed=0, device="cpu")
    assert not torch.is_deterministic_algorithms_warn_only_enabled()
