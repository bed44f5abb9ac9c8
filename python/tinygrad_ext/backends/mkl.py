"""torch.backends.mkl: tinygrad_ext's GEMMs and linear algebra are its own kernels, not MKL's."""


def is_available():
    return False
