"""tinygrad_ext.vision: transforms and make_grid against numpy references, the CIFAR-10 reader on small files
in the official format (written here), the restricted unpickler against malicious files, and Digits."""
import os
import pickle
import subprocess
import sys
import tarfile

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext.utils.data import DataLoader
from tinygrad_ext.vision import datasets, transforms
from tinygrad_ext.vision.utils import make_grid

NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
TRAIN = [f"data_batch_{i}" for i in range(1, 6)]


def write_cifar(root, per_batch=3, n_test=2, style="py3", protocol=2):
    """CIFAR-10 python batches as the official archive has them. style="py3": bytes keys and names (how
    Python 3 sees them with encoding='bytes'); style="py2": str keys and names (how the Python 2 files read
    with encoding='latin1'). Returns {file name: (data, labels)}."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.RandomState(0)
    key = (lambda k: k.encode()) if style == "py3" else (lambda k: k)
    written = {}
    for name, n in [(b, per_batch) for b in TRAIN] + [("test_batch", n_test)]:
        data = rng.randint(0, 256, (n, 3072)).astype(np.uint8)
        labels = [int(v) for v in rng.randint(0, 10, n)]
        entry = {key("batch_label"): key(f"{name} of 5"), key("labels"): labels, key("data"): data,
                 key("filenames"): [key(f"img_{i}.png") for i in range(n)]}
        with open(folder / name, "wb") as f:
            pickle.dump(entry, f, protocol=protocol)
        written[name] = (data, labels)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({key("label_names"): [key(c) for c in NAMES], key("num_cases_per_batch"): per_batch,
                     key("num_vis"): 3072}, f, protocol=protocol)
    return written


# ------------------------------------------------------------------------------------------------ CIFAR10
@pytest.mark.parametrize("style,protocol", [("py3", 2), ("py3", pickle.HIGHEST_PROTOCOL), ("py2", 2)])
def test_cifar10_reads_official_format(tmp_path, style, protocol):
    written = write_cifar(tmp_path, style=style, protocol=protocol)
    train = datasets.CIFAR10(root=str(tmp_path), train=True, download=True)
    test = datasets.CIFAR10(root=tmp_path, train=False)
    assert len(train) == 15 and len(test) == 2
    assert train.classes == NAMES and train.class_to_idx["cat"] == 3
    assert train.data.shape == (15, 32, 32, 3) and train.data.dtype == np.uint8
    data, labels = written["data_batch_2"]  # samples 3..5
    img, target = train[4]
    assert target == labels[1] and img.shape == (32, 32, 3)
    # the row layout: 1024 red values (row-major 32x32), then green, then blue
    assert np.array_equal(img, data[1].reshape(3, 32, 32).transpose(1, 2, 0))
    assert test.targets == written["test_batch"][1]
    assert "Number of datapoints: 15" in repr(train)


def test_cifar10_with_blitz_transform_and_workers(tmp_path):
    written = write_cifar(tmp_path)
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    trainset = datasets.CIFAR10(root=str(tmp_path), train=True, download=True, transform=transform,
                                target_transform=lambda y: y + 100)
    loader = DataLoader(trainset, batch_size=4, shuffle=False, num_workers=2)
    images, labels = iter(loader).next()
    assert images.shape == (4, 3, 32, 32) and images.dtype == torch.float32 and labels.dtype == torch.int64
    first = written["data_batch_1"][0][0].reshape(3, 32, 32).astype(np.float64)
    np.testing.assert_allclose(images[0].numpy(), (first / 255 - 0.5) / 0.5, rtol=1e-6, atol=1e-6)
    assert labels.tolist()[:3] == [v + 100 for v in written["data_batch_1"][1]]
    assert len(loader) == 4


def test_cifar10_missing_files_say_where_to_put_them(tmp_path):
    for download in (True, False):
        with pytest.raises(RuntimeError) as info:
            datasets.CIFAR10(root=str(tmp_path), download=download)
        msg = str(info.value)
        assert "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz" in msg
        assert os.path.join(str(tmp_path), "cifar-10-batches-py") in msg


def test_cifar10_extracts_a_local_archive(tmp_path):
    src = tmp_path / "src"
    write_cifar(src)
    root = tmp_path / "root"
    root.mkdir()
    with tarfile.open(root / "cifar-10-python.tar.gz", "w:gz") as tar:
        tar.add(src / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    assert len(datasets.CIFAR10(root=str(root), train=False, download=True)) == 2


class Payload:
    """Unpickling this runs a shell command that creates a marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class EvalPayload(Payload):
    def __reduce__(self):
        return (eval, (f"open({str(self.marker)!r}, 'w').close()",))


@pytest.mark.parametrize("payload", [Payload, EvalPayload])
@pytest.mark.parametrize("where", ["top", "nested"])
def test_malicious_pickle_is_rejected_without_running(tmp_path, payload, where):
    write_cifar(tmp_path)
    marker = tmp_path / "pwned"
    evil = payload(marker)
    obj = evil if where == "top" else {b"data": np.zeros((1, 3072), np.uint8), b"labels": [evil]}
    path = tmp_path / "cifar-10-batches-py" / "data_batch_1"
    path.write_bytes(pickle.dumps(obj, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="is not allowed"):
        datasets.CIFAR10(root=str(tmp_path), train=True)
    assert not marker.exists()
    # the payload is live: a plain pickle.load (in a child process) does run it
    subprocess.run([sys.executable, "-c", f"import pickle; pickle.load(open({str(path)!r}, 'rb'))"],
                   check=False, capture_output=True, timeout=60)
    assert marker.exists()


def test_bad_cifar_contents_are_rejected(tmp_path):
    write_cifar(tmp_path)
    path = tmp_path / "cifar-10-batches-py" / "test_batch"
    path.write_bytes(pickle.dumps({b"data": np.array([1, 2], dtype=object), b"labels": [1]}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="object arrays are not allowed"):
        datasets.CIFAR10(root=str(tmp_path), train=False)
    path.write_bytes(pickle.dumps({b"data": np.zeros((2, 3072), np.float32), b"labels": [1, 2]}))
    with pytest.raises(RuntimeError, match="must be a uint8 array"):
        datasets.CIFAR10(root=str(tmp_path), train=False)
    path.write_bytes(pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [1, 10]}))
    with pytest.raises(RuntimeError, match="labels must be in"):
        datasets.CIFAR10(root=str(tmp_path), train=False)
    path.write_bytes(b"\x80\x02}q\x00")  # truncated
    with pytest.raises(pickle.UnpicklingError, match="not a valid dataset pickle"):
        datasets.CIFAR10(root=str(tmp_path), train=False)


# ---------------------------------------------------------------------------------------------- transforms
def test_to_tensor_and_normalize():
    img = np.random.RandomState(1).randint(0, 256, (5, 7, 3)).astype(np.uint8)
    t = transforms.ToTensor()(img)
    assert t.shape == (3, 5, 7) and t.dtype == torch.float32 and t.is_contiguous()
    np.testing.assert_allclose(t.numpy(), img.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    assert transforms.ToTensor()(img[:, :, 0]).shape == (1, 5, 7)
    f = np.ones((2, 2, 1), np.float32) * 3
    assert transforms.ToTensor()(f).numpy().max() == 3.0  # only uint8 is rescaled
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        transforms.ToTensor()([[1, 2]])

    norm = transforms.Normalize((0.5, 0.25, 0.0), (0.5, 0.5, 2.0))
    out = norm(t)
    mean, std = np.array([0.5, 0.25, 0.0])[:, None, None], np.array([0.5, 0.5, 2.0])[:, None, None]
    ref = (img.transpose(2, 0, 1) / 255.0 - mean) / std
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-6)
    assert out is not t and np.allclose(t.numpy(), img.transpose(2, 0, 1) / 255.0)  # not in place
    batch = torch.stack([t, t])
    assert transforms.Normalize((0.5, 0.25, 0.0), (0.5, 0.5, 2.0), inplace=True)(batch) is batch
    np.testing.assert_allclose(batch[1].numpy(), ref, rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match="Input tensor should be a float tensor"):
        norm(torch.zeros(3, 2, 2, dtype=torch.uint8))
    with pytest.raises(ValueError, match="Expected tensor to be a tensor image of size"):
        norm(torch.zeros(2, 2))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        transforms.Normalize((0.0,), (0.0,))(torch.zeros(1, 2, 2))
    assert "Normalize" in repr(transforms.Compose([transforms.ToTensor(), norm]))


def test_flip_and_crop():
    img = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(3, 4, 2)  # HxWxC
    t = transforms.ToTensor()(img)
    assert np.array_equal(transforms.RandomHorizontalFlip(p=1.0)(img), img[:, ::-1])
    np.testing.assert_array_equal(transforms.RandomHorizontalFlip(p=1.0)(t).numpy(), t.numpy()[:, :, ::-1])
    assert transforms.RandomHorizontalFlip(p=0.0)(t) is t

    crop = transforms.RandomCrop(4, padding=2)
    torch.manual_seed(0)
    a = [crop(t).numpy() for _ in range(5)]
    torch.manual_seed(0)
    b = [crop(t).numpy() for _ in range(5)]
    assert all(np.array_equal(x, y) for x, y in zip(a, b)) and a[0].shape == (2, 4, 4)
    padded = np.zeros((2, 7, 8), np.float32)
    padded[:, 2:5, 2:6] = t.numpy()
    windows = {(i, j) for i in range(4) for j in range(5)}
    for out in a:  # every crop is a window of the zero-padded image
        assert any(np.array_equal(out, padded[:, i:i + 4, j:j + 4]) for i, j in windows)
    np_out = transforms.RandomCrop((2, 3))(img)
    assert np_out.shape == (2, 3, 2)
    with pytest.raises(ValueError, match="Required crop size"):
        transforms.RandomCrop(5)(t)


def test_make_grid():
    imgs = torch.stack([torch.full((3, 2, 3), float(i)) for i in range(5)])
    grid = make_grid(imgs, nrow=2, padding=1, pad_value=-1)
    assert grid.shape == (3, 3 * 3 + 1, 2 * 4 + 1)
    g = grid.numpy()
    assert g[0, 0, 0] == -1 and np.all(g[:, 1:3, 1:4] == 0) and np.all(g[:, 1:3, 5:8] == 1)
    assert np.all(g[:, 7:9, 1:4] == 4) and np.all(g[:, 7:9, 5:8] == -1)  # the missing 6th tile stays padding
    assert make_grid(torch.zeros(4, 3, 32, 32)).shape == (3, 36, 138)  # the blitz's batch of 4
    assert make_grid(torch.zeros(2, 1, 4, 4), padding=0).shape == (3, 4, 8)  # gray -> 3 channels
    n = make_grid(torch.stack([torch.full((3, 2, 2), 2.0), torch.full((3, 2, 2), 4.0)]), normalize=True, padding=0)
    assert n.numpy().min() == 0.0 and n.numpy().max() == 1.0
    assert make_grid([torch.ones(3, 2, 2)]).shape == (3, 2, 2)


# -------------------------------------------------------------------------------------------------- Digits
def test_digits_split_and_cifar_view():
    pytest.importorskip("sklearn")
    train, test = datasets.Digits(train=True), datasets.Digits(train=False)
    assert len(train) + len(test) == 1797 and len(test) == 359
    assert train.data.shape == (1438, 8, 8) and train.data.dtype == np.uint8 and train.data.max() == 255
    assert set(train.targets) == set(range(10)) and train.targets == datasets.Digits(train=True).targets
    from sklearn.datasets import load_digits
    raw = load_digits().images
    def key(a):
        return a.tobytes()
    scaled = {key(np.round(r * 255 / 16).astype(np.uint8)) for r in raw}
    assert all(key(x) in scaled for x in test.data[:20])
    c = datasets.Digits(train=False, as_cifar=True)
    img, y = c[3]
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8 and y == test.targets[3]
    assert np.array_equal(img[:, :, 0], img[:, :, 2])
    assert np.array_equal(img[::4, ::4, 1], test.data[3])  # 4x nearest neighbour
    assert np.array_equal(img[3::4, 1::4, 0], test.data[3])
    x, _ = datasets.Digits(train=False, as_cifar=True, transform=transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))]))[0]
    assert x.shape == (3, 32, 32) and float(x.min()) >= -1 and float(x.max()) <= 1


def test_library_imports_without_optional_dependencies():
    code = ("import sys; sys.modules.update({m: None for m in ('sklearn', 'tqdm', 'matplotlib', 'PIL')}); "
            "import tinygrad_ext as t; import tinygrad_ext.vision, tinygrad_ext.utils.data\n"
            "try:\n    t.vision.datasets.Digits()\nexcept ImportError as e:\n    print('ImportError:', e)")
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "ImportError: vision.datasets.Digits needs scikit-learn" in out.stdout
