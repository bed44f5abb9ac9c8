"""tinygrad_ext.vision: the part of torchvision the tutorials use.

    import tinygrad_ext.vision as torchvision
    import tinygrad_ext.vision.transforms as transforms

datasets (CIFAR10, CIFAR100, MNIST, FashionMNIST, Digits), transforms (Compose, ToTensor, Lambda, Normalize,
RandomHorizontalFlip, RandomCrop) and utils.make_grid.
"""
from . import datasets, transforms, utils
