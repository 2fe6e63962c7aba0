"""dipkit: the small, tested helper package behind the dipkit book.

One module per concern: ``repro`` (seeds, threads, device), ``data`` (images and benchmarks),
``ops`` (forward operators y = T(x) + n), ``nets`` (the papers' architectures), ``metrics``,
``plot``, ``report`` (claims) and ``cli`` (``dipkit run``).
"""

__version__ = "0.1.0"
