"""torch.backends.mkldnn (oneDNN): tinygrad_ext's convolutions are its own kernels, so is_available() is False; the
flag exists so that scripts setting it run, and has no effect."""
enabled = True


def is_available():
    return False
