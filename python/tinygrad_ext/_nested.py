"""torch's errors for nested Python sequences that do not form a tensor (ragged lists, a number where a
list was expected, a list where a number was), checked only after numpy has refused the data."""
import numbers


def _is_sequence(x):
    return isinstance(x, (list, tuple)) or (hasattr(x, "__len__") and hasattr(x, "shape") and len(x.shape) > 0)


def _sizes(data):
    """The shape torch infers: the lengths along the first element of each level."""
    sizes = []
    while _is_sequence(data):
        sizes.append(len(data))
        if not len(data):
            break
        data = data[0]
    return sizes


def _has_float(data):
    if _is_sequence(data):
        return any(_has_float(x) for x in data)
    return isinstance(data, numbers.Real) and not isinstance(data, numbers.Integral)


def raise_if_ragged(data):
    """Raises torch.tensor(data)'s error when data's nesting is not rectangular; returns otherwise."""
    sizes, float_data = _sizes(data), _has_float(data)

    def walk(x, dim):
        if dim == len(sizes):
            if _is_sequence(x):
                raise TypeError(f"must be real number, not {type(x).__name__}" if float_data else
                                f"'{type(x).__name__}' object cannot be interpreted as an integer")
            return
        if not _is_sequence(x):
            raise TypeError("not a sequence")
        if len(x) != sizes[dim]:
            raise ValueError(f"expected sequence of length {sizes[dim]} at dim {dim} (got {len(x)})")
        for item in x:
            walk(item, dim + 1)

    walk(data, 0)
