"""tinygrad_ext.vision: the part of torchvision the tutorials use.

    import tinygrad_ext.vision as torchvision
    import tinygrad_ext.vision.transforms as transforms

datasets (CIFAR10, CIFAR100, Digits), transforms (Compose, ToTensor, Normalize, RandomHorizontalFlip,
RandomCrop) and utils.make_grid.
"""
from . import datasets, transforms, utils
