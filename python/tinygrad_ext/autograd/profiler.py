"""torch.autograd.profiler: the older profiler API, on the same recording as torch.profiler (see there)."""
from ..profiler import EventList, FunctionEvent, FunctionEventAvg, _Profile, record_function

__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg", "profile", "record_function"]


class profile(_Profile):
    """Records the core ops run inside `with profile() as prof:` (nothing when enabled=False)."""

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False, with_flops=False,
                 profile_memory=False, with_stack=False, with_modules=False, use_kineto=False, use_cpu=True,
                 experimental_config=None, acc_events=False, custom_trace_id_callback=None,
                 post_processing_timeout_s=None, activity_filters=None):
        super().__init__(record_shapes, profile_memory, with_stack, with_flops, with_modules)
        self.enabled, self.entered = enabled, False

    def __enter__(self):
        if self.entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        self.entered = True
        if self.enabled:
            self._start_trace()
        return self

    def __exit__(self, *exc):
        if self.enabled:
            self._stop_trace()
        return False

    def __str__(self):
        return str(self.events())
