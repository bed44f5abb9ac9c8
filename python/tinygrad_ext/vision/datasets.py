"""torchvision.datasets, the subset the tutorials use: CIFAR10 (and CIFAR100) read from the official python
pickle batches, and Digits, a real image dataset that ships offline (scikit-learn's 8x8 handwritten digits).

Images come out as uint8 numpy arrays, HxWxC (HxW for grayscale), where torchvision returns PIL images;
transforms.ToTensor accepts both.

Reading the official CIFAR files means unpickling them. A pickle can run arbitrary code, so the files are
read with a restricted Unpickler that only resolves the globals a numpy array needs (ndarray, dtype and
numpy's array-reconstruction functions, `_codecs.encode` for protocol-2 bytes); anything else (os.system,
eval, ...) is rejected before it runs, and the result must be a dict with a uint8 image array and a list
of labels.
"""
import os
import pickle
import random
import tarfile

import numpy as np

from .. import _dtype
from ..tensor import from_numpy
from ._mnist import MNIST, FashionMNIST
from ._vision_dataset import VisionDataset

__all__ = ["CIFAR10", "CIFAR100", "Digits", "FashionMNIST", "MNIST", "VisionDataset"]


# ------------------------------------------------------------------------------------ safe unpickling
def _safe_dtype(*args, **kwargs):
    dt = np.dtype(*args, **kwargs)
    if dt.hasobject:
        raise pickle.UnpicklingError("object arrays are not allowed in a dataset file")
    return dt


def _allowed_globals():
    import codecs

    allowed = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): _safe_dtype, ("_codecs", "encode"): codecs.encode}
    for mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[(mod, "_reconstruct")] = _reconstruct
        allowed[(mod, "scalar")] = _scalar
    for mod in ("numpy.core.numeric", "numpy._core.numeric"):
        allowed[(mod, "_frombuffer")] = _frombuffer
    return allowed


def _reconstruct(subtype, shape, dtype):
    if subtype is not np.ndarray:
        raise pickle.UnpicklingError("only plain numpy arrays are allowed in a dataset file")
    return np.ndarray.__new__(np.ndarray, shape, _safe_dtype(dtype))


def _scalar(dtype, data=None):
    dt = _safe_dtype(dtype)
    if not isinstance(data, (bytes, str)):
        raise pickle.UnpicklingError("bad numpy scalar in a dataset file")
    if isinstance(data, str):
        data = data.encode("latin1")
    return np.frombuffer(data, dtype=dt, count=1)[0]


def _frombuffer(buf, dtype, shape, order):
    dt = _safe_dtype(dtype)
    arr = np.frombuffer(bytes(buf), dtype=dt)
    return arr.reshape(shape, order=order)


class _RestrictedUnpickler(pickle.Unpickler):
    _ALLOWED = None

    def find_class(self, module, name):
        if _RestrictedUnpickler._ALLOWED is None:
            _RestrictedUnpickler._ALLOWED = _allowed_globals()
        fn = _RestrictedUnpickler._ALLOWED.get((module, name))
        if fn is None:
            raise pickle.UnpicklingError(f"global '{module}.{name}' is not allowed in a dataset file "
                                         f"(only numpy arrays, dicts, lists, strings and numbers are)")
        return fn

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("persistent ids are not allowed in a dataset file")


def safe_unpickle(path):
    """Loads a pickle holding only containers, strings, numbers and numpy arrays; raises
    pickle.UnpicklingError (naming the file) for anything else, without executing it."""
    with open(path, "rb") as f:
        try:
            return _RestrictedUnpickler(f, encoding="latin1").load()
        except pickle.UnpicklingError as e:
            raise pickle.UnpicklingError(f"{path}: refusing to load: {e}") from None
        except (EOFError, ValueError, TypeError, KeyError, IndexError, AttributeError, MemoryError,
                OverflowError) as e:
            raise pickle.UnpicklingError(f"{path}: not a valid dataset pickle ({type(e).__name__}: {e})") from None


def _get(entry, key):
    """entry[key] for str keys (Python 2 files read as latin1) or bytes keys (Python 3 files)."""
    if key in entry:
        return entry[key]
    return entry.get(key.encode("ascii"))


def _decode(s):
    return s.decode("latin1") if isinstance(s, bytes) else str(s)


# -------------------------------------------------------------------------------------------- CIFAR
class CIFAR10(VisionDataset):
    """CIFAR-10 from the official python version: root/cifar-10-batches-py/{data_batch_1..5, test_batch,
    batches.meta}. Sample i is (image HxWxC uint8 array, class index), after transform/target_transform.

    There is no network access: with download=True the files must already be there (or the archive
    cifar-10-python.tar.gz in root, which is extracted); otherwise a RuntimeError says where to put them.
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    train_list = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5")
    test_list = ("test_batch",)
    meta_file, meta_key = "batches.meta", "label_names"
    labels_key = "labels"
    num_classes = 10

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        self.root = os.path.expanduser(os.fspath(root))
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        if download:
            self.download()
        if not self._check_exists():
            raise RuntimeError(f"Dataset not found or corrupted: {self._missing()} missing. " + self._where())
        data, targets = [], []
        for name in self.train_list if train else self.test_list:
            images, labels = self._read_batch(os.path.join(self._folder, name))
            data.append(images)
            targets.extend(labels)
        self.data = np.concatenate(data).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()  # NxHxWxC
        self.targets = targets
        self._load_meta()

    @property
    def _folder(self):
        return os.path.join(self.root, self.base_folder)

    def _missing(self):
        names = [*self.train_list, *self.test_list, self.meta_file]
        return [n for n in names if not os.path.isfile(os.path.join(self._folder, n))]

    def _check_exists(self):
        return not self._missing()

    def _where(self):
        return (f"This library does not download: get {self.url} and extract it into {self.root!r}, so that "
                f"{self._folder!r} holds {', '.join([*self.train_list, *self.test_list, self.meta_file])} "
                f"(or put the archive {self.filename} in {self.root!r}).")

    def download(self):
        if self._check_exists():
            return
        archive = os.path.join(self.root, self.filename)
        if os.path.isfile(archive):
            self._extract(archive)
            if self._check_exists():
                return
        raise RuntimeError(f"{type(self).__name__}: the dataset is not in {self._folder!r} and there is no network "
                           f"access. " + self._where())

    def _extract(self, archive):
        with tarfile.open(archive, "r:gz") as tar:
            members = [m for m in tar.getmembers() if m.isfile() and
                       os.path.normpath(m.name).split(os.sep)[0] == self.base_folder and ".." not in m.name.split("/")]
            kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(self.root, members=members, **kwargs)

    def _read_batch(self, path):
        entry = safe_unpickle(path)
        if not isinstance(entry, dict):
            raise RuntimeError(f"{path}: expected a dict, got {type(entry).__name__}")  # bad file
        images, labels = _get(entry, "data"), _get(entry, self.labels_key)
        if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.size % 3072 \
                or images.ndim not in (1, 2) or (images.ndim == 2 and images.shape[1] != 3072):
            raise RuntimeError(f"{path}: 'data' must be a uint8 array of shape (N, 3072), got "
                               f"{getattr(images, 'dtype', type(images).__name__)} {getattr(images, 'shape', '')}")
        if not isinstance(labels, (list, np.ndarray)):
            raise RuntimeError(f"{path}: '{self.labels_key}' must be a list of class indices")
        labels = [int(x) for x in labels]
        n = images.size // 3072
        if len(labels) != n:
            raise RuntimeError(f"{path}: {n} images but {len(labels)} labels")
        if any(x < 0 or x >= self.num_classes for x in labels):
            raise RuntimeError(f"{path}: labels must be in [0, {self.num_classes})")
        return images.reshape(n, 3072), labels

    def _load_meta(self):
        path = os.path.join(self._folder, self.meta_file)
        entry = safe_unpickle(path)
        names = _get(entry, self.meta_key) if isinstance(entry, dict) else None
        if not isinstance(names, (list, tuple)) or len(names) != self.num_classes:
            raise RuntimeError(f"{path}: expected '{self.meta_key}', a list of {self.num_classes} class names")
        self.classes = [_decode(c) for c in names]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"

    def __repr__(self):
        lines = [f"Number of datapoints: {len(self)}", f"Root location: {self.root}", self.extra_repr()]
        if self.transform is not None:
            lines.append("Transform: " + repr(self.transform).replace("\n", "\n    "))
        if self.target_transform is not None:
            lines.append(f"Target transform: {self.target_transform!r}")
        return "\n".join([f"Dataset {type(self).__name__}"] + ["    " + s for s in lines])


class CIFAR100(CIFAR10):
    """CIFAR-100 (fine labels) from root/cifar-100-python/{train, test, meta}."""

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    train_list = ("train",)
    test_list = ("test",)
    meta_file, meta_key = "meta", "fine_label_names"
    labels_key = "fine_labels"
    num_classes = 100


# ------------------------------------------------------------------------------------------- Digits
class Digits(VisionDataset):
    """scikit-learn's handwritten digits (1797 8x8 grayscale images, classes 0-9; needs scikit-learn, which
    bundles the data, so nothing is downloaded). A fixed, seeded permutation splits them: the first
    `test_fraction` of it is the test split, the rest the training split (1437 / 360 by default).

    Images are uint8 8x8 arrays (pixel values 0..16 scaled to 0..255). With as_cifar=True each image is
    presented like a CIFAR-10 image instead: 32x32x3 uint8 (4x nearest-neighbour upsampling, the gray
    value replicated to three channels), so the CIFAR-10 tutorial's network and transforms apply unchanged.
    `root` and `download` are accepted for signature compatibility and unused.
    """


    def __init__(self, root=None, train=True, transform=None, target_transform=None, as_cifar=False,
                 download=False, test_fraction=0.2, split_seed=0):
        try:
            from sklearn.datasets import load_digits
        except ImportError as e:
            raise ImportError("vision.datasets.Digits needs scikit-learn: pip install scikit-learn "
                              "(or pip install 'tinygrad_ext[examples]')") from e
        if not 0 < test_fraction < 1:
            raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
        self.root, self.train, self.as_cifar = root, train, as_cifar
        self.transform, self.target_transform = transform, target_transform
        self.classes = [str(d) for d in range(10)]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

        digits = load_digits()
        n = len(digits.target)
        perm = list(range(n))  # the split: a fixed shuffle of the file's order (data loading, not tensor math)
        random.Random(split_seed).shuffle(perm)
        n_test = round(n * test_fraction)
        idx = perm[n_test:] if train else perm[:n_test]
        # 0..16 -> 0..255 uint8, in the library (numpy only carries the raw values in and out)
        raw = from_numpy(np.ascontiguousarray(digits.images.reshape(n, 8, 8), dtype=np.float64))
        imgs = raw.mul(255.0 / 16.0).round().to(_dtype.uint8)
        imgs = imgs.index_select(0, from_numpy(np.asarray(idx, dtype=np.int64)))
        m = len(idx)
        if as_cifar:  # 8x8 -> 32x32 by 4x nearest neighbour, gray -> RGB: all views, one copy
            imgs = imgs.view(m, 8, 1, 8, 1, 1).expand(m, 8, 4, 8, 4, 3).reshape(m, 32, 32, 3)
        self.data = imgs.contiguous().numpy()  # N x H x W (x C) uint8
        self.targets = [int(digits.target[i]) for i in idx]

    def __repr__(self):
        lines = [f"Number of datapoints: {len(self)}", f"Split: {'Train' if self.train else 'Test'}",
                 f"as_cifar: {self.as_cifar}"]
        if self.transform is not None:
            lines.append("Transform: " + repr(self.transform).replace("\n", "\n    "))
        return "\n".join([f"Dataset {type(self).__name__}"] + ["    " + s for s in lines])
