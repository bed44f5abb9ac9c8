"""torch.utils.data: datasets, samplers and the DataLoader (with worker processes).

Where things live: dataset.py (Dataset, IterableDataset, TensorDataset, StackDataset, Subset, ConcatDataset,
ChainDataset, random_split), sampler.py (SequentialSampler, RandomSampler, SubsetRandomSampler,
BatchSampler, WeightedRandomSampler), distributed.py (DistributedSampler),
dataloader.py (DataLoader, default_collate, default_convert, get_worker_info and the worker processes).
"""
from .dataloader import DataLoader, default_collate, default_convert, get_worker_info
from .distributed import DistributedSampler
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset, TensorDataset,
                      random_split)
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                      WeightedRandomSampler)

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "DistributedSampler",
           "IterableDataset", "RandomSampler", "Sampler", "SequentialSampler", "StackDataset", "Subset",
           "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler", "default_collate", "default_convert",
           "get_worker_info", "random_split"]
