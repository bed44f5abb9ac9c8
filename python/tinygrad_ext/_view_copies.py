"""torch's *_copy functions (a view op whose results are fresh row-major tensors: transpose_copy, view_copy, ...) and
the unsafe_* splits (here the same as the safe ones: their views are ordinary views)."""
from ._memory_format import contiguous_format


def _copy_of(name, view):
    """torch.<name>_copy(input, *args, out=None): view(input, *args) cloned (each tensor of a tuple result)."""
    def fn(input, *args, out=None, **kwargs):
        result = view(input, *args, **kwargs)
        result = tuple(r.clone(memory_format=contiguous_format) for r in result) \
            if isinstance(result, (tuple, list)) else result.clone(memory_format=contiguous_format)
        if out is None:
            return result
        if isinstance(result, tuple):
            return type(result)(o.copy_(r) for o, r in zip(out, result))
        return out.copy_(result)
    fn.__name__ = fn.__qualname__ = f"{name}_copy"
    fn.__doc__ = f"Performs the same operation as torch.{name}, but all output tensors are freshly created " \
        "instead of aliasing the input."
    return fn


def _slice(input, dim=0, start=None, end=None, step=1):
    return input[(slice(None),) * (dim % max(input.dim(), 1)) + (slice(start, end, step),)]


def _method(name):
    return lambda input, *args, **kwargs: getattr(input, name)(*args, **kwargs)


_VIEWS = {"alias": lambda x: x.view(x.shape), "slice": _slice,
          **{name: _method(name) for name in ("as_strided", "detach", "diagonal", "expand", "permute", "select",
                                              "split", "split_with_sizes", "squeeze", "t", "transpose", "unbind",
                                              "unfold", "unsqueeze", "view")}}


def unsafe_split(tensor, split_size_or_sections, dim=0):
    return tensor.split(split_size_or_sections, dim)


def unsafe_chunk(input, chunks, dim=0):
    return input.chunk(chunks, dim)


def unsafe_split_with_sizes(input, split_sizes, dim=0):
    return input.split_with_sizes(split_sizes, dim)


def split_with_sizes(input, split_sizes, dim=0):
    return input.split_with_sizes(split_sizes, dim)


def resize_as_(input, the_template, *, memory_format=None):
    return input.resize_as_(the_template, memory_format)


def get_device(input):
    return input.get_device()


# Tensor.<name> (installed by __init__) and torch.<name>
METHODS = {"unsafe_split": unsafe_split, "unsafe_chunk": unsafe_chunk,
           "unsafe_split_with_sizes": unsafe_split_with_sizes}
FUNCTIONS = {**{f"{name}_copy": _copy_of(name, view) for name, view in _VIEWS.items()}, **METHODS,
             "split_with_sizes": split_with_sizes, "resize_as_": resize_as_, "get_device": get_device}
