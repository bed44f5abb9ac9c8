"""torch.distributed: process groups and collectives on existing engines, MPI (mpi4py) for CPU tensors and
NCCL for CUDA tensors (distributed_c10d.py); `python -m tinygrad_ext.distributed.run` launches N ranks (run.py).

    mpirun -n 2 python train.py        # in train.py: dist.init_process_group('mpi')
"""
from .distributed_c10d import *  # noqa: F403
from .distributed_c10d import __all__
