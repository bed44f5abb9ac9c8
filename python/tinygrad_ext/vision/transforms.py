"""torchvision.transforms, the subset the tutorials use: Compose, ToTensor, Normalize, RandomHorizontalFlip,
RandomCrop.

Images are HxWxC (or HxW) uint8 numpy arrays (what the datasets here return in place of PIL images;
PIL images are accepted too when Pillow is installed) or CxHxW tensors (after ToTensor). All arithmetic
runs in the library; numpy only holds and moves raw pixels. Random transforms draw from the global
stream (torch.manual_seed; in DataLoader workers, the worker's seed).
"""
import numbers

import numpy as np

from .. import _dtype
from ..nn import functional as F
from ..tensor import Tensor, arange, as_tensor, from_numpy, rand, randint

__all__ = ["Compose", "Lambda", "Normalize", "RandomCrop", "RandomHorizontalFlip", "ToTensor"]


def _as_numpy_image(pic):
    """ndarray as is; a PIL image as its pixel array; anything else is an error."""
    if isinstance(pic, np.ndarray):
        return pic
    if type(pic).__module__.startswith("PIL."):
        return np.asarray(pic)
    return None


class Compose:
    """Applies the transforms one after the other."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        lines = [self.__class__.__name__ + "("] + [f"    {t}" for t in self.transforms] + [")"]
        return "\n".join(lines)


class Lambda:
    """A user function as a transform (the tutorials' one-hot target_transform)."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return f"{self.__class__.__name__}()"


class ToTensor:
    """HxWxC (or HxW) uint8 image -> CxHxW float32 tensor in [0, 1]. Other numpy dtypes are not rescaled
    (torchvision's rule)."""

    def __call__(self, pic):
        arr = _as_numpy_image(pic)
        if arr is None:
            raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
        if arr.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {arr.ndim} dimensions.")
        if arr.ndim == 2:
            arr = arr[:, :, None]
        if arr.dtype == np.bool_:
            arr = arr.astype(np.uint8)
        if not arr.flags.writeable or any(s < 0 for s in arr.strides):
            arr = arr.copy()  # from_numpy shares memory and takes no negative strides
        img = from_numpy(arr).permute(2, 0, 1).contiguous()  # (torchvision's: CxHxW row-major, then the float copy)
        if img.dtype is _dtype.uint8:
            return img.to(_dtype.get_default_dtype()).div_(255)
        return img

    def __repr__(self):
        return f"{self.__class__.__name__}()"


class Normalize:
    """(img - mean) / std per channel, on a float tensor (..., C, H, W)."""

    def __init__(self, mean, std, inplace=False):
        self.mean = tuple(mean) if not isinstance(mean, numbers.Number) else (mean,)
        self.std = tuple(std) if not isinstance(std, numbers.Number) else (std,)
        self.inplace = inplace
        self._cache = {}

    def _stats(self, dt, device):
        key = (dt, str(device))
        if key not in self._cache:
            mean = as_tensor(list(self.mean), dtype=dt).to(device)
            std = as_tensor(list(self.std), dtype=dt).to(device)
            if bool((std == 0).any()):
                raise ValueError(f"std evaluated to zero after conversion to {dt}, leading to division by zero.")
            self._cache[key] = (mean.view(-1, 1, 1), std.view(-1, 1, 1))
        return self._cache[key]

    def __call__(self, tensor):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
        if not tensor.is_floating_point():
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
        if tensor.dim() < 3:
            raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                             f"{tensor.size()}")
        mean, std = self._stats(tensor.dtype, tensor.device)
        if self.inplace:
            return tensor.sub_(mean).div_(std)
        return tensor.sub(mean).div_(std)

    def __repr__(self):
        return f"{self.__class__.__name__}(mean={list(self.mean)}, std={list(self.std)})"


def _image_size(img):
    """(height, width) of a tensor (..., H, W) or an HxW[xC] array."""
    if isinstance(img, Tensor):
        return img.shape[-2], img.shape[-1]
    return img.shape[0], img.shape[1]


def hflip(img):
    """Mirror left-right: a tensor (..., H, W) or an HxW[xC] array."""
    if isinstance(img, Tensor):
        w = img.shape[-1]
        return img.index_select(img.dim() - 1, arange(w - 1, -1, -1, device=img.device))
    return np.ascontiguousarray(img[:, ::-1])


class RandomHorizontalFlip:
    """Mirrors the image left-right with probability p."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        if _as_numpy_image(img) is not None and not isinstance(img, np.ndarray):
            img = np.asarray(img)
        elif not isinstance(img, (Tensor, np.ndarray)):
            raise TypeError(f"img should be a Tensor or an ndarray image. Got {type(img)}")
        if rand(1).item() < self.p:
            return hflip(img)
        return img

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p})"


def _pair(size, name):
    if isinstance(size, numbers.Integral):
        return int(size), int(size)
    size = tuple(size)
    if len(size) == 1:
        return int(size[0]), int(size[0])
    if len(size) != 2:
        raise ValueError(f"Please provide only two dimensions (h, w) for {name}.")
    return int(size[0]), int(size[1])


class RandomCrop:
    """Crops a random (h, w) window, after optionally padding the borders (constant fill only)."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = _pair(size, "size")
        if padding_mode != "constant":
            raise NotImplementedError(f"RandomCrop: padding_mode={padding_mode!r} is not supported, only 'constant'")
        if padding is not None and not isinstance(padding, (numbers.Integral, tuple, list)):
            raise TypeError("Got inappropriate padding arg")
        if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
            raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element "
                             "tuple")
        self.padding, self.pad_if_needed, self.fill, self.padding_mode = padding, pad_if_needed, fill, padding_mode

    @staticmethod
    def _ltrb(padding):
        if isinstance(padding, numbers.Integral):
            return (padding,) * 4
        padding = tuple(padding)
        if len(padding) == 1:
            return padding * 4
        if len(padding) == 2:
            return (padding[0], padding[1], padding[0], padding[1])
        return padding

    def _pad(self, img, left, top, right, bottom):
        if left == top == right == bottom == 0:
            return img
        if isinstance(img, Tensor):
            if img.dim() == 2:
                return F.pad(img.unsqueeze(0), (left, right, top, bottom), value=self.fill).squeeze(0)
            return F.pad(img, (left, right, top, bottom), value=self.fill)
        widths = [(top, bottom), (left, right)] + [(0, 0)] * (img.ndim - 2)
        return np.pad(img, widths, mode="constant", constant_values=self.fill)

    @staticmethod
    def get_params(img, output_size):
        """(top, left, height, width) of a random crop of `output_size`."""
        h, w = _image_size(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        i = int(randint(0, h - th + 1, size=(1,)).item())
        j = int(randint(0, w - tw + 1, size=(1,)).item())
        return i, j, th, tw

    def __call__(self, img):
        if _as_numpy_image(img) is not None and not isinstance(img, np.ndarray):
            img = np.asarray(img)
        elif not isinstance(img, (Tensor, np.ndarray)):
            raise TypeError(f"img should be a Tensor or an ndarray image. Got {type(img)}")
        if self.padding is not None:
            img = self._pad(img, *self._ltrb(self.padding))
        h, w = _image_size(img)
        th, tw = self.size
        if self.pad_if_needed and w < tw:
            img = self._pad(img, tw - w, 0, tw - w, 0)
        if self.pad_if_needed and h < th:
            img = self._pad(img, 0, th - h, 0, th - h)
        i, j, th, tw = self.get_params(img, self.size)
        if isinstance(img, Tensor):
            return img[..., i:i + th, j:j + tw].contiguous()
        return np.ascontiguousarray(img[i:i + th, j:j + tw])

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size}, padding={self.padding})"
