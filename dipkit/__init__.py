"""dipkit: the small, tested helper package behind the dipkit book.

One module per concern: ``repro`` (seeds, threads, device), ``datasets`` (the dataset registry),
``data`` (the readers: images, benchmarks, digits, MNIST, CIFAR-10), ``paired`` (the readers of facades,
Cityscapes and CUB), ``download`` (``dipkit data``: checked downloads),
``generated`` (the datasets made by code), ``convert`` (numpy images to torch tensors),
``ops`` (forward operators y = T(x) + n, as torch modules), ``pyramid`` (the Laplacian pyramid:
down/upsampling, bands, exact reconstruction), ``nets`` (the papers' architectures, one module per
family, and the judges that score samples), ``dip`` (the Deep Image Prior loop), ``stopping`` (ES-WMV),
``training`` (the adversarial step, Adam with beta1 = 0.5, fitting the judges), ``pix2pix`` (pix2pix's
training loop), ``losses``, ``metrics``, ``evaluation`` (scores for
samples), ``plot``, ``report`` (claims: checks, directions, magnitudes), ``spread`` (one claim across
runs: its spread, whether its verdict depends on the run; what a new run changed), ``profiles`` (the profiles'
files, and whether a run is at one's setting), ``chapters`` (the notebooks as jobs: catalogue, parameters,
plan, execute), ``cli`` (``dipkit list | run | refresh | sweep | data | lab``, argparse only), ``sweep``
(notebooks x seeds on Ray) and ``lab`` (JupyterLab on copies of the chapters).
"""

__version__ = "0.1.0"
