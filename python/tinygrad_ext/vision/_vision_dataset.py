"""torchvision.datasets.VisionDataset: the base of the image datasets here (CIFAR10/100, MNIST, Digits)."""
from ..utils.data import Dataset


class VisionDataset(Dataset):
    """(image, target) pairs from `self.data` and `self.targets`, through `transform` and `target_transform`.
    A subclass whose stored sample is not what its transforms take overrides `_sample`."""

    def _sample(self, index):
        return self.data[index], self.targets[index]

    def __getitem__(self, index):
        img, target = self._sample(index)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.data)
