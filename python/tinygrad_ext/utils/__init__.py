"""torch.utils: data loading (`tinygrad_ext.utils.data`), DLPack exchange (`tinygrad_ext.utils.dlpack`) and activation
checkpointing (`tinygrad_ext.utils.checkpoint`)."""
from . import checkpoint, data, dlpack
