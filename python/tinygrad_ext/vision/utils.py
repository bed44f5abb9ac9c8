"""torchvision.utils.make_grid: a batch of images tiled into one image."""
import math

from .. import _dtype
from ..tensor import Tensor, cat, stack

__all__ = ["make_grid"]


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """Tiles a (B, C, H, W) tensor (or a list of (C, H, W) tensors) into one (C, H', W') image with `nrow`
    images per row and `padding` pixels of `pad_value` between them. One-channel images become three
    channels. normalize=True shifts and scales to [0, 1] using value_range (default: the min and max of
    the batch, or of each image with scale_each=True)."""
    if isinstance(tensor, (list, tuple)):
        tensor = stack(list(tensor), 0)
    if not isinstance(tensor, Tensor):
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if tensor.dim() == 2:  # single image H x W
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:  # single image C x H x W
        if tensor.size(0) == 1:
            tensor = cat((tensor, tensor, tensor), 0)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() != 4:
        raise ValueError(f"make_grid expects a 2-D, 3-D or 4-D tensor, got {tensor.dim()}-D")
    if tensor.size(1) == 1:  # single-channel images
        tensor = cat((tensor, tensor, tensor), 1)

    if normalize:
        tensor = tensor.detach().clone()
        if not tensor.is_floating_point():
            tensor = tensor.to(_dtype.get_default_dtype())
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")

        def norm_ip(img, low, high):
            img.clamp_(min=low, max=high)
            img.sub_(low).div_(max(high - low, 1e-5))

        def norm_range(t):
            if value_range is not None:
                norm_ip(t, value_range[0], value_range[1])
            else:
                norm_ip(t, float(t.min()), float(t.max()))

        if scale_each:
            for t in tensor:
                norm_range(t)
        else:
            norm_range(tensor)

    if tensor.size(0) == 1:
        return tensor.squeeze(0)
    nmaps = tensor.size(0)
    xmaps = min(nrow, nmaps)
    ymaps = math.ceil(nmaps / xmaps)
    height, width = int(tensor.size(2) + padding), int(tensor.size(3) + padding)
    num_channels = tensor.size(1)
    grid = tensor.new_full((num_channels, height * ymaps + padding, width * xmaps + padding), pad_value)
    k = 0
    for y in range(ymaps):
        for x in range(xmaps):
            if k >= nmaps:
                break
            grid.narrow(1, y * height + padding, height - padding).narrow(
                2, x * width + padding, width - padding).copy_(tensor[k])
            k += 1
    return grid
