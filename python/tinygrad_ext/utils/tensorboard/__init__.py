"""torch.utils.tensorboard: SummaryWriter, which writes TensorBoard event files with the tensorboard package's own
event-file writer and protocol buffers. Importing it needs tensorboard >= 1.15 installed (pip install
tensorboard), as torch's does: without it the import raises ModuleNotFoundError."""
import tensorboard

if tuple(int(p) for p in tensorboard.__version__.split(".")[:2] if p.isdigit()) < (1, 15):
    raise ImportError("TensorBoard logging requires TensorBoard version 1.15 or above")

from tensorboard.summary.writer.record_writer import RecordWriter

from .writer import FileWriter, SummaryWriter

__all__ = ["FileWriter", "RecordWriter", "SummaryWriter"]
