"""torch.nn.parallel: DistributedDataParallel (distributed.py) and DataParallel (data_parallel.py)."""
from .data_parallel import DataParallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
