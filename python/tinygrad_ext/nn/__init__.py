"""torch.nn: modules (layers, containers, losses), Parameter, functional and init.

    import tinygrad_ext.nn as nn
    import tinygrad_ext.nn.functional as F
"""
from . import functional, init, parallel, utils
from .modules import *
from .modules import __all__ as _modules_all
from .modules.module import register_module_forward_hook, register_module_forward_pre_hook  # noqa: F401
from .parameter import Parameter

__all__ = ["Parameter", "functional", "init", "parallel", "utils"] + list(_modules_all)
