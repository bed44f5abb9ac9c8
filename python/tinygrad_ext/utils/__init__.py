"""torch.utils: data loading (`tinygrad_ext.utils.data`) and DLPack exchange (`tinygrad_ext.utils.dlpack`)."""
from . import data, dlpack
