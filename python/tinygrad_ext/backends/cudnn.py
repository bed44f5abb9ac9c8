"""torch.backends.cudnn: tinygrad_ext has no cuDNN (its convolutions are its own kernels), so
is_available() is False and version() None; the flags exist so that scripts setting them
(`torch.backends.cudnn.benchmark = True`) run, and have no effect."""
enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available():
    return False


def version():
    return None
