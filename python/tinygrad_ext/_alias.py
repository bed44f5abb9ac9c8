"""Submodules imported under another name for the package. Code written for PyTorch runs unchanged after
`sys.modules['torch'] = tinygrad_ext`; its `import torch.nn` or `from torch.autograd.functional import jacobian`
must then give tinygrad_ext.nn itself. Without this finder Python would execute the package's files a second
time under the name torch.nn: a second Tensor class that the first one's isinstance checks refuse, and
`torch.tensor` rebound to the tensor.py module by the second tensor.py's import."""
import importlib
import importlib.abc
import importlib.util
import sys


class AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, package):
        self.package = package

    def find_spec(self, fullname, path=None, target=None):
        head, dot, _ = fullname.partition(".")
        if not dot or head == self.package or getattr(sys.modules.get(head), "__name__", None) != self.package:
            return None
        if importlib.util.find_spec(self.package + fullname[len(head):]) is None:
            return None  # no such submodule: Python's own error, under the name imported
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        module = importlib.import_module(self.package + spec.name[spec.name.index("."):])
        spec.loader_state = module.__spec__  # (the import machinery sets __spec__ to the alias's: put back below)
        return module

    def exec_module(self, module):
        module.__spec__ = module.__spec__.loader_state  # the module is loaded already


def install(package):
    if not any(isinstance(f, AliasFinder) and f.package == package for f in sys.meta_path):
        sys.meta_path.insert(0, AliasFinder(package))  # (before the path finder, which would load the files again)
