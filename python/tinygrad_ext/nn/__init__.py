"""torch.nn: modules (layers, containers, losses), Parameter, functional and init.

    import tinygrad_ext.nn as nn
    import tinygrad_ext.nn.functional as F
"""
from . import functional, grad, init, parallel, utils
from .modules import *  # noqa: F403 (modules/__init__.py's __all__)
from .modules import __all__ as _modules_all
from .modules.module import register_module_forward_hook, register_module_forward_pre_hook
from .parallel import DataParallel
from .parameter import Buffer, Parameter

functional.grad = grad  # (torch.nn.functional.grad: torch's F imports torch.nn.grad)

__all__ = (["Buffer", "DataParallel", "Parameter", "functional", "grad", "init", "parallel", "utils"] +
           list(_modules_all))
