"""torch.backends.mps: Apple's Metal backend, which tinygrad_ext does not have (the tutorials probe it to
pick a device)."""


def is_available():
    return False


def is_built():
    return False
