"""SummaryWriter: scalars, scalar groups, histograms, text and hyperparameters logged as TensorBoard events
(torch.utils.tensorboard.writer's API). Values come from tensors with .item()/.tolist(); histogram buckets are
counted with tensor ops (searchsorted, bincount) in float64."""
import io
import os
import socket
import time
from datetime import datetime

import numpy as np
from tensorboard.compat.proto.event_pb2 import Event, SessionLog
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2
from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData
from tensorboard.summary.writer.event_file_writer import EventFileWriter

try:  # (add_image and add_images encode PNGs with Pillow, as torch's; without it they raise ImportError)
    from PIL import Image
except ImportError:
    Image = None

from ... import _dtype
from ..._reduction_ops import bincount, searchsorted
from ...tensor import Tensor, as_tensor, cat, stack, tensor, zeros

__all__ = ["FileWriter", "SummaryWriter"]


class FileWriter:
    """Writes Event protocol buffers to an event file in log_dir (tensorboard's EventFileWriter: a queue of
    max_queue events, flushed to disk every flush_secs seconds)."""

    def __init__(self, log_dir, max_queue=10, flush_secs=120, filename_suffix=""):
        self.event_writer = EventFileWriter(str(log_dir), max_queue, flush_secs, filename_suffix)

    def get_logdir(self):
        return self.event_writer.get_logdir()

    def add_event(self, event, step=None, walltime=None):
        event.wall_time = time.time() if walltime is None else walltime
        if step is not None:
            event.step = int(step)
        self.event_writer.add_event(event)

    def add_summary(self, summary, global_step=None, walltime=None):
        self.add_event(Event(summary=summary), global_step, walltime)

    def flush(self):
        self.event_writer.flush()

    def close(self):
        self.event_writer.close()

    def reopen(self):
        self.event_writer.reopen()


def _as_float64(values):
    """values (a tensor, a numpy array or a Python number) as a float64 tensor; torch's errors for the rest."""
    if isinstance(values, str):
        return tensor(float(values), dtype=_dtype.float64)
    if isinstance(values, Tensor):
        return values.detach().to("cpu", _dtype.float64)
    if isinstance(values, (int, float, np.ndarray, np.generic)):
        return as_tensor(values, dtype=_dtype.float64)
    raise NotImplementedError(f"Got {type(values)}, but numpy array or torch tensor are expected.")


def _scalar(values):
    t = _as_float64(values)
    shape = [n for n in t.shape if n != 1]
    if shape:
        raise AssertionError(f"Tensor should contain one element (0 dimensions). \
            Was given size: {t.numel()} and {len(shape)} dimensions.")
    return t.item()


def _tensorflow_bins():
    """TensorFlow's histogram bucket limits: +-1e-12 growing by 10% to 1e20, and 0."""
    v, limits = 1e-12, []
    while v < 1e20:
        limits.append(v)
        v *= 1.1
    return [-x for x in reversed(limits)] + [0.0] + limits


def _edges(values, bins):
    if isinstance(bins, str):
        if bins != "tensorflow":
            raise ValueError(f"add_histogram: bins={bins!r} is not supported by tinygrad_ext; use 'tensorflow', "
                             f"a number of equal-width bins, or a sequence of bucket edges")
        return _tensorflow_bins()
    if isinstance(bins, int):
        lo, hi = values.min().item(), values.max().item()
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        return [lo + (hi - lo) * i / bins for i in range(bins)] + [hi]
    return [float(b) for b in bins]


def _histogram(values, bins, max_bins):
    """HistogramProto of values as torch's: counts per bucket (NumPy's histogram rule: [e_i, e_i+1), the last
    closed), trimmed to the span of the non-empty ones, at most max_bins buckets."""
    values = _as_float64(values).flatten()
    if values.numel() == 0:
        raise ValueError("The input has no element.")
    limits = _edges(values, bins)
    edges = tensor(limits, dtype=_dtype.float64)
    inside = values[(values >= limits[0]) & (values <= limits[-1])]
    index = (searchsorted(edges, inside, right=True) - 1).clamp(max=len(limits) - 2)
    counts = bincount(index, minlength=len(limits) - 1).tolist()
    if max_bins is not None and len(counts) > max_bins:
        step = len(counts) // max_bins
        counts += [0] * (-len(counts) % step)
        counts = [sum(counts[i:i + step]) for i in range(0, len(counts), step)]
        limits = limits[:-1:step] + [limits[-1]]
    nonzero = [i for i, c in enumerate(counts) if c > 0]
    start, end = (nonzero[0], nonzero[-1] + 1) if nonzero else (0, 0)
    counts = counts[start - 1:end] if start > 0 else [0] + counts[:end]
    limits = limits[start:end + 1]
    return HistogramProto(min=values.min().item(), max=values.max().item(), num=values.numel(),
                          sum=values.sum().item(), sum_squares=values.dot(values).item(), bucket_limit=limits,
                          bucket=counts)


def _as_image_tensor(values):
    if isinstance(values, Tensor):
        return values.detach().to("cpu")
    if isinstance(values, (np.ndarray, np.generic)):
        return as_tensor(values)
    raise NotImplementedError(f"Got {type(values)}, but numpy array or torch tensor are expected.")


def _grid(images, ncols=8):
    """NCHW images (1 or 3 channels) tiled into one 3HW canvas, ncols per row, as torch's make_grid."""
    if images.shape[1] == 1:
        images = cat([images, images, images], 1)
    if images.dim() != 4 or images.shape[1] != 3:
        raise AssertionError("Input should be a 4D numpy array with 3 channels")
    n, _, h, w = images.shape
    ncols = min(n, ncols)
    nrows = -(-n // ncols)
    canvas = zeros(3, h * nrows, w * ncols, dtype=images.dtype)
    for i in range(n):
        y, x = divmod(i, ncols)
        canvas[:, y * h:(y + 1) * h, x * w:(x + 1) * w] = images[i]
    return canvas


def _to_hwc(t, input_format):
    if len(set(input_format)) != len(input_format):
        raise AssertionError(f"You can not use the same dimension shorthand twice. \
            input_format: {input_format}")
    if t.dim() != len(input_format):
        raise AssertionError(f"size of input tensor and input format are different. \
        tensor shape: {tuple(t.shape)}, input_format: {input_format}")
    input_format = input_format.upper()
    order = {4: "NCHW", 3: "HWC", 2: "HW"}[len(input_format)]
    t = t.permute(*[input_format.find(c) for c in order])
    if len(order) == 4:
        return _grid(t).permute(1, 2, 0)
    if len(order) == 3:
        return cat([t, t, t], 2) if t.shape[2] == 1 else t
    return stack([t, t, t], 2)


def _image(values, dataformats, rescale=1):
    """Summary.Image of an image tensor: floats are taken in [0, 1] (scaled by 255), uint8 as is; PNG-encoded."""
    if Image is None:
        raise ModuleNotFoundError("No module named 'PIL'")
    t = _to_hwc(_as_image_tensor(values), dataformats)
    scale = 1 if t.dtype == _dtype.uint8 else 255
    t = (t.to(_dtype.float32) * scale).clamp(0, 255).to(_dtype.uint8)
    height, width, channels = t.shape
    picture = Image.fromarray(t.numpy()).resize((int(width * rescale), int(height * rescale)),
                                                  Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return Summary.Image(height=height, width=width, colorspace=channels, encoded_image_string=out.getvalue())


def _hparams_summary(tag, **content):
    plugin = SummaryMetadata.PluginData(plugin_name=metadata.PLUGIN_NAME, content=plugin_data_pb2.HParamsPluginData(
        version=metadata.PLUGIN_DATA_VERSION, **content).SerializeToString())
    return Summary(value=[Summary.Value(tag=tag, metadata=SummaryMetadata(plugin_data=plugin))])


def _hparam_summaries(hparam_dict, metric_dict, hparam_domain_discrete):
    """The hparams plugin's experiment, session-start and session-end summaries."""
    if not isinstance(hparam_domain_discrete, (dict, type(None))):
        raise TypeError("parameter: hparam_domain_discrete should be a dictionary, nothing else")
    infos, start = [], plugin_data_pb2.SessionStartInfo()
    for name, value in hparam_dict.items():
        if value is None:
            continue
        if isinstance(value, Tensor):
            value = value.item()
        if isinstance(value, bool):
            kind, start.hparams[name].bool_value = api_pb2.DATA_TYPE_BOOL, value
        elif isinstance(value, (int, float)):
            kind, start.hparams[name].number_value = api_pb2.DATA_TYPE_FLOAT64, value
        elif isinstance(value, str):
            kind, start.hparams[name].string_value = api_pb2.DATA_TYPE_STRING, value
        else:
            raise ValueError("value should be one of int, float, str, bool, or torch.Tensor")
        infos.append(api_pb2.HParamInfo(name=name, type=kind))
    metrics = [api_pb2.MetricInfo(name=api_pb2.MetricName(tag=tag)) for tag in metric_dict]
    return (_hparams_summary(metadata.EXPERIMENT_TAG, experiment=api_pb2.Experiment(hparam_infos=infos,
                                                                                  metric_infos=metrics)),
            _hparams_summary(metadata.SESSION_START_INFO_TAG, session_start_info=start),
            _hparams_summary(metadata.SESSION_END_INFO_TAG, session_end_info=plugin_data_pb2.SessionEndInfo(
                status=api_pb2.STATUS_SUCCESS)))


class SummaryWriter:
    """Logs to an event file in log_dir (default runs/<date>_<hostname><comment>) for TensorBoard to read
    (``tensorboard --logdir runs``). purge_step: events of steps >= purge_step left by an earlier run that
    crashed are hidden. max_queue events are buffered, and flushed at least every flush_secs seconds, at flush()
    and at close() (or the end of a ``with`` block)."""

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120,
                 filename_suffix=""):
        if not log_dir:
            log_dir = os.path.join("runs", datetime.now().strftime("%b%d_%H-%M-%S") + "_" + socket.gethostname()
                                   + comment)
        self.log_dir, self.purge_step = log_dir, purge_step
        self.max_queue, self.flush_secs, self.filename_suffix = max_queue, flush_secs, filename_suffix
        self.file_writer = None
        self.all_writers = {}
        self._get_file_writer()

    def _get_file_writer(self):
        if self.all_writers is None or self.file_writer is None:
            self.file_writer = FileWriter(self.log_dir, self.max_queue, self.flush_secs, self.filename_suffix)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:
                self.file_writer.add_event(Event(step=self.purge_step, file_version="brain.Event:2"))
                self.file_writer.add_event(Event(step=self.purge_step, session_log=SessionLog(
                    status=SessionLog.START)))
                self.purge_step = None
        return self.file_writer

    def get_logdir(self):
        return self.log_dir

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        """Logs one number (a Python number, a one-element tensor or array) under tag at global_step."""
        value = _scalar(scalar_value)
        if new_style:
            proto = (TensorProto(double_val=[value], dtype="DT_DOUBLE") if double_precision
                     else TensorProto(float_val=[value], dtype="DT_FLOAT"))
            metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
            summary = Summary(value=[Summary.Value(tag=tag, tensor=proto, metadata=metadata)])
        else:
            summary = Summary(value=[Summary.Value(tag=tag, simple_value=value)])
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Logs several numbers as one chart: each key's values go to the run <log_dir>/<main_tag>_<key>."""
        walltime = time.time() if walltime is None else walltime
        fw_logdir = self._get_file_writer().get_logdir()
        for tag, scalar_value in tag_scalar_dict.items():
            fw_tag = fw_logdir + "/" + main_tag.replace("/", "_") + "_" + tag
            if fw_tag not in self.all_writers:
                self.all_writers[fw_tag] = FileWriter(fw_tag, self.max_queue, self.flush_secs, self.filename_suffix)
            summary = Summary(value=[Summary.Value(tag=main_tag, simple_value=_scalar(scalar_value))])
            self.all_writers[fw_tag].add_summary(summary, global_step, walltime)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None):
        """Logs the distribution of values (a tensor or array): bins 'tensorflow' (exponential buckets), a
        number of equal-width buckets, or the bucket edges."""
        summary = Summary(value=[Summary.Value(tag=tag, histo=_histogram(values, bins, max_bins))])
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        """Logs a string (markdown) under <tag>/text_summary, for TensorBoard's Text tab."""
        plugin = SummaryMetadata.PluginData(plugin_name="text", content=TextPluginData(version=0).SerializeToString())
        proto = TensorProto(dtype="DT_STRING", string_val=[text_string.encode("utf_8")],
                            tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]))
        summary = Summary(value=[Summary.Value(tag=tag + "/text_summary", metadata=SummaryMetadata(
            plugin_data=plugin), tensor=proto)])
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """Logs an image: a CHW tensor (or dataformats 'HWC', 'HW'), floats in [0, 1] or uint8 in [0, 255];
        1 channel is shown as grey, 3 as RGB. Needs Pillow."""
        summary = Summary(value=[Summary.Value(tag=tag, image=_image(img_tensor, dataformats))])
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        """Logs a batch of images (NCHW, or dataformats 'NHWC') tiled in a grid of 8 per row. Needs Pillow."""
        summary = Summary(value=[Summary.Value(tag=tag, image=_image(img_tensor, dataformats))])
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None, global_step=None):
        """Logs one run's hyperparameters (int, float, str, bool or one-element tensor values) and its final
        metrics, for TensorBoard's HParams tab: in the run <log_dir>/<run_name> (default: the current time)."""
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        exp, ssi, sei = _hparam_summaries(hparam_dict, metric_dict, hparam_domain_discrete)
        logdir = os.path.join(self._get_file_writer().get_logdir(), run_name or str(time.time()))
        with SummaryWriter(log_dir=logdir) as w_hp:
            for summary in (exp, ssi, sei):
                w_hp.file_writer.add_summary(summary, global_step)
            for tag, value in metric_dict.items():
                w_hp.add_scalar(tag, value, global_step)

    def flush(self):
        """Writes the buffered events of every run to disk."""
        for writer in (self.all_writers or {}).values():
            writer.flush()

    def close(self):
        """Flushes and closes every event file; a later add_* opens a new one."""
        for writer in (self.all_writers or {}).values():
            writer.flush()
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close()
