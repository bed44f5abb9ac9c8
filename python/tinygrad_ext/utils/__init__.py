"""torch.utils: data loading (`tinygrad_ext.utils.data`)."""
from . import data  # noqa: F401
