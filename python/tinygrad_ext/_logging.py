"""torch._logging: set_logs, the switch the torch.compile tutorials turn on (graph_breaks=True, recompiles=True,
...). This library's compile traces without bytecode analysis and writes no graphs, guards or generated code to log:
set_logs takes torch's keywords and checks their values as torch does (a log level or None for a component, a bool
for an artifact), and keeps the settings in LOGS; compile's graph breaks are warnings whatever the settings."""
import inspect
import logging

__all__ = ["set_logs"]

# torch's components (a logging level or None) and artifacts (a bool), in its keyword order
_COMPONENTS = ("all", "dynamo", "aot", "autograd", "dynamic", "inductor", "distributed", "c10d", "ddp", "fsdp",
               "dtensor", "onnx")
_ARTIFACTS = ("bytecode", "aot_graphs", "aot_joint_graph", "ddp_graphs", "graph", "graph_code", "graph_code_verbose",
              "graph_breaks", "side_effects", "graph_sizes", "guards", "recompiles", "recompiles_verbose",
              "trace_source", "trace_call", "trace_bytecode", "output_code", "kernel_code", "schedule", "perf_hints",
              "pre_grad_graphs", "post_grad_graphs", "ir_pre_fusion", "ir_post_fusion", "onnx_diagnostics", "fusion",
              "overlap")
_LATER_COMPONENTS = ("export",)
_LATER_ARTIFACTS = ("cudagraphs", "sym_node", "compiled_autograd", "compiled_autograd_verbose",
                    "cudagraph_static_inputs", "benchmarking", "autotuning", "incremental", "graph_region_expansion",
                    "inductor_metrics", "hierarchical_compile", "compute_dependencies", "caching")
_LEVELS = (logging.CRITICAL, logging.ERROR, logging.WARNING, logging.INFO, logging.DEBUG, logging.NOTSET)

LOGS = {}  # the latest set_logs settings that differ from the defaults (name -> level or True; modules: the dict)


def set_logs(**kwargs):
    """torch._logging.set_logs(*, all=None, dynamo=None, ..., graph_breaks=False, ...): validated and recorded in
    LOGS (see the module docstring); every call replaces the previous settings, as torch's."""
    params = _SIGNATURE.parameters
    for name in kwargs:
        if name not in params:
            raise TypeError(f"set_logs() got an unexpected keyword argument '{name}'")
    settings = {}
    for name, value in kwargs.items():
        if name == "modules":
            if value:
                settings[name] = dict(value)
        elif params[name].default is None:
            if value is not None:
                if value not in _LEVELS:
                    raise ValueError(f"Unrecognized log level for log {name}: {value}, valid level values are: "
                                     f"{','.join(str(v) for v in _LEVELS)}")
                settings[name] = value
        else:
            if not isinstance(value, bool):
                raise ValueError(f"Expected bool to enable artifact {name}, received {value}")
            if value:
                settings[name] = True
    LOGS.clear()
    LOGS.update(settings)


_SIGNATURE = inspect.Signature(
    [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=None) for n in _COMPONENTS] +
    [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=False) for n in _ARTIFACTS] +
    [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=None) for n in _LATER_COMPONENTS + ("modules",)] +
    [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=False) for n in _LATER_ARTIFACTS],
    return_annotation=None)
set_logs.__signature__ = _SIGNATURE
