"""torch.utils.data.distributed.DistributedSampler: each rank reads its own 1/num_replicas of a dataset."""
import math

from ... import distributed as dist
from ..._generator import Generator
from .sampler import Sampler, _permutation

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """Rank `rank`'s share of the indices: a permutation seeded with seed + epoch (the same on every rank, so the
    shares are disjoint), padded by repeating its start to a multiple of num_replicas, or cut to one with
    drop_last; rank r takes every num_replicas-th index from position r. Call set_epoch(e) before each epoch
    for a new order."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
        if num_replicas is None:
            num_replicas = dist.get_world_size()
        if rank is None:
            rank = dist.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            g = Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = _permutation(n, g)
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """The epoch mixed into the shuffling seed: every rank must set the same one."""
        self.epoch = epoch
