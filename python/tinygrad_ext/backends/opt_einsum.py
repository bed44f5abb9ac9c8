"""torch.backends.opt_einsum: einsum contracts its operands left to right without the opt_einsum package, so
is_available() is False and strategy None, as torch's without it."""
enabled = False
strategy = None


def is_available():
    return False
