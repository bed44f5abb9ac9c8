"""torchvision.datasets.MNIST and FashionMNIST (the Quickstart's and "Datasets & DataLoaders"' dataset),
read from the official IDX files in root/<ClassName>/raw/ (train-images-idx3-ubyte, train-labels-idx1-ubyte,
t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; each may be gzipped, `.gz` appended, as distributed).

As torchvision: `data` is a uint8 tensor N x 28 x 28, `targets` an int64 tensor N, `classes` the class names;
sample i is (image, int label), the image a uint8 28x28 numpy array where torchvision gives a PIL image
(transforms.ToTensor turns either into a 1x28x28 float tensor in [0, 1]).
There is no network access: download=True only checks that the files are there, and a RuntimeError says where
to put them when they are not.
"""
import gzip
import os

import numpy as np

from .. import _dtype
from ..tensor import from_numpy
from ._vision_dataset import VisionDataset

__all__ = ["MNIST", "FashionMNIST"]

_IMAGES_MAGIC, _LABELS_MAGIC = 0x803, 0x801  # IDX: unsigned bytes, 3 dims / 1 dim


def read_idx(path, magic, ndim):
    """The uint8 array of an IDX file (`path` or `path.gz`), its header checked against the file size."""
    if not os.path.isfile(path):
        path += ".gz"
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    head = 4 + 4 * ndim
    if len(raw) < head or int.from_bytes(raw[:4], "big") != magic:
        raise RuntimeError(f"{path}: not an IDX file of {ndim}-d unsigned bytes (magic {magic:#x} expected)")
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    if len(raw) - head != int(np.prod(shape)):
        raise RuntimeError(f"{path}: the header says {shape} ({int(np.prod(shape))} bytes) but {len(raw) - head} "
                           "bytes follow; the file is truncated or corrupted")
    return np.frombuffer(raw, dtype=np.uint8, offset=head).reshape(shape)


class MNIST(VisionDataset):
    """MNIST handwritten digits: 60000 training and 10000 test images, 28x28 grayscale."""

    mirrors = ("https://ossci-datasets.s3.amazonaws.com/mnist/",)
    files = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        self.root = os.path.expanduser(os.fspath(root))
        self.train, self.transform, self.target_transform = train, transform, target_transform
        if download:
            self.download()
        if not self._check_exists():
            raise RuntimeError("Dataset not found. You can use download=True to download it")
        images_file, labels_file = self.files[bool(train)]
        images = read_idx(os.path.join(self.raw_folder, images_file), _IMAGES_MAGIC, 3)
        labels = read_idx(os.path.join(self.raw_folder, labels_file), _LABELS_MAGIC, 1)
        if len(images) != len(labels):
            raise RuntimeError(f"{self.raw_folder}: {len(images)} images but {len(labels)} labels")
        self.data = from_numpy(images.copy())
        self.targets = from_numpy(labels.copy()).to(_dtype.int64)

    @property
    def raw_folder(self):
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def _check_exists(self):
        return all(os.path.isfile(p) or os.path.isfile(p + ".gz")
                   for names in self.files.values() for p in (os.path.join(self.raw_folder, n) for n in names))

    def download(self):
        if self._check_exists():
            return
        names = [n + ".gz" for pair in self.files.values() for n in pair]
        raise RuntimeError(f"{type(self).__name__}: the dataset is not in {self.raw_folder!r} and this library does "
                           f"not download: get {', '.join(names)} from {self.mirrors[0]} into that folder")

    def _sample(self, index):  # (torchvision's: the image as a uint8 array, the label as an int)
        return self.data[index].numpy(), int(self.targets[index])

    def __repr__(self):
        lines = [f"Number of datapoints: {len(self)}", f"Root location: {self.root}",
                 f"Split: {'Train' if self.train else 'Test'}"]
        block = ["StandardTransform"]  # (torchvision indents its first line only)
        if self.transform is not None:
            block.append("Transform: " + repr(self.transform).replace("\n", "\n    "))
        if self.target_transform is not None:
            block.append("Target transform: " + repr(self.target_transform).replace("\n", "\n    "))
        if len(block) > 1:
            lines.append("\n".join(block))
        return "\n".join([f"Dataset {type(self).__name__}"] + ["    " + s for s in lines])


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: MNIST's format and sizes, ten clothing classes."""

    mirrors = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
