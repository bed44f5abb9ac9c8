"""torch.utils: data loading (`tinygrad_ext.utils.data`), DLPack exchange (`tinygrad_ext.utils.dlpack`) and activation
checkpointing (`tinygrad_ext.utils.checkpoint`) and timing (`tinygrad_ext.utils.benchmark`)."""
from . import benchmark, checkpoint, data, deterministic, dlpack, hooks
