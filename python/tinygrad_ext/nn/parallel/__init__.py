"""torch.nn.parallel: DistributedDataParallel (distributed.py)."""
from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
