"""Network architectures used by the book's notebooks."""

from dipkit.nets.dip import OutputAverager, count_parameters, noise_input, paper_skip_net, skip_net, uniform_skip_net

__all__ = ["OutputAverager", "count_parameters", "noise_input", "paper_skip_net", "skip_net", "uniform_skip_net"]
