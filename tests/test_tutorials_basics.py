"""PyTorch's "Learn the Basics" tutorials (Quickstart, Tensors, Datasets & DataLoaders, Transforms, Build the
Neural Network, Automatic Differentiation, Optimization, Save and Load) and "What is torch.nn really?", as a
user runs them with `import tinygrad_ext as torch`, on synthetic data in place of the downloads (a fake
FashionMNIST/MNIST: random 28x28 uint8 images whose labels a linear model can learn).

Printed output is compared with strings PyTorch 2.x prints for the same code; values with a float64 numpy
reference; with PyTorch importable, a few snippets also run on both libraries side by side."""
import gzip
from collections import OrderedDict
import math
import pickle

import numpy as np
import pytest
import tinygrad_ext as torch
import tinygrad_ext.nn.functional as F
from tinygrad_ext import nn, optim
from tinygrad_ext.utils.data import DataLoader, Dataset, TensorDataset, random_split
from tinygrad_ext.vision import datasets
from tinygrad_ext.vision.transforms import Lambda, ToTensor

try:
    import torch as real_torch
except ImportError:  # (the default suite runs without PyTorch)
    real_torch = None

# repr(eval(expression)) as PyTorch 2.x gives it
PRINTS = [
    ('torch.tensor([[1, 2], [3, 4]])', 'tensor([[1, 2],\n        [3, 4]])'),
    ('torch.ones(4, 4)[:, 0]', 'tensor([1., 1., 1., 1.])'),
    ('torch.tensor([[1., 2.], [3., 4.]], requires_grad=True)',
     'tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)'),
    ('torch.tensor([[1., 2.], [3., 4.]], requires_grad=True) + 2',
     'tensor([[3., 4.],\n        [5., 6.]], grad_fn=<AddBackward0>)'),
    ('torch.tensor([[1., 2.], [3., 4.]], requires_grad=True).mean()', 'tensor(2.5000, grad_fn=<MeanBackward0>)'),
    ('torch.tensor([1.5, 2.25], dtype=torch.float64)', 'tensor([1.5000, 2.2500], dtype=torch.float64)'),
    ('torch.tensor([1, 2], dtype=torch.int32)', 'tensor([1, 2], dtype=torch.int32)'),
    ('torch.tensor([True, False])', 'tensor([ True, False])'),
    ('torch.tensor(3.)', 'tensor(3.)'),
    ('torch.tensor(3)', 'tensor(3)'),
    ('torch.tensor([])', 'tensor([])'),
    ('torch.zeros(2, 3, dtype=torch.long)', 'tensor([[0, 0, 0],\n        [0, 0, 0]])'),
    ('torch.empty(0, 3)', 'tensor([], size=(0, 3))'),
    ('torch.tensor([1e-5, 1e5])', 'tensor([1.0000e-05, 1.0000e+05])'),
    ('torch.tensor([1.123456789, 100.5])', 'tensor([  1.1235, 100.5000])'),
    ("torch.tensor([float('nan'), float('inf'), -1.0])", 'tensor([nan, inf, -1.])'),
    ('torch.arange(12).reshape(3, 4)',
     'tensor([[ 0,  1,  2,  3],\n        [ 4,  5,  6,  7],\n        [ 8,  9, 10, 11]])'),
    ('torch.arange(2000.)',
     'tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n      '
     '  1.9990e+03])'),
    ('torch.tensor([1e10, 1.0])', 'tensor([1.0000e+10, 1.0000e+00])'),
    ('torch.tensor([0.1, 0.2], dtype=torch.float16)', 'tensor([0.1000, 0.2000], dtype=torch.float16)'),
    ('torch.tensor(2.5, dtype=torch.float64, requires_grad=True)',
     'tensor(2.5000, dtype=torch.float64, requires_grad=True)'),
    ('torch.ones(5, 3, dtype=torch.double)',
     'tensor([[1., 1., 1.],\n        [1., 1., 1.],\n        [1., 1., 1.],\n        [1., 1'
     '., 1.],\n        [1., 1., 1.]], dtype=torch.float64)'),
    ('torch.tensor([1, -2, 100], dtype=torch.int8)', 'tensor([  1,  -2, 100], dtype=torch.int8)'),
    ('torch.tensor([1.5, 2], dtype=torch.bfloat16)', 'tensor([1.5000, 2.0000], dtype=torch.bfloat16)'),
    ('torch.zeros(2, 0)', 'tensor([], size=(2, 0))'),
    ('torch.tensor([0.5, -1.0, 2.0]) * 256', 'tensor([ 128., -256.,  512.])'),
    ('torch.ones(2, 3, requires_grad=True).sum(0)', 'tensor([2., 2., 2.], grad_fn=<SumBackward1>)'),
    ('torch.ones(2, 3, requires_grad=True)[0]', 'tensor([1., 1., 1.], grad_fn=<SelectBackward0>)'),
    ('torch.ones(2, 3, requires_grad=True).view(6)', 'tensor([1., 1., 1., 1., 1., 1.], grad_fn=<ViewBackward0>)'),
    ('torch.ones(2, 3, requires_grad=True).t()',
     'tensor([[1., 1.],\n        [1., 1.],\n        [1., 1.]], grad_fn=<TBackward0>)'),
    ('torch.nn.functional.log_softmax(torch.zeros(1, 2, requires_grad=True), 1)',
     'tensor([[-0.6931, -0.6931]], grad_fn=<LogSoftmaxBackward0>)'),
    ('torch.nn.functional.cross_entropy(torch.zeros(2, 3, requires_grad=True), torch.tensor([0, 1]))',
     'tensor(1.0986, grad_fn=<NllLossBackward0>)'),
    ('torch.nn.Linear(2, 1)(torch.zeros(1, 2)).shape', 'torch.Size([1, 1])'),
    ('torch.tensor([[0.5, 1.5, -2.0], [3.0, 4.25, 5.0]]).max(1)',
     'torch.return_types.max(\nvalues=tensor([1.5000, 5.0000]),\nindices=tensor([1, 2]))'),
    ('torch.tensor([[0.5, 1.5, -2.0], [3.0, 4.25, 5.0]]).sort(1, descending=True)',
     'torch.return_types.sort(\nvalues=tensor([[ 1.5000,  0.5000, -2.0000],\n        [ 5'
     '.0000,  4.2500,  3.0000]]),\nindices=tensor([[1, 0, 2],\n        [2, 1, 0]]))'),
    ('torch.nn.Parameter(torch.ones(2))', 'Parameter containing:\ntensor([1., 1.], requires_grad=True)'),
    ("torch.device('cpu')", "device(type='cpu')"),
    ('torch.float64', 'torch.float64'),
    ('torch.ones(2, 3).shape', 'torch.Size([2, 3])'),
    ('torch.linspace(-3, 3, 2000, dtype=torch.float64)',
     'tensor([-3.0000, -2.9970, -2.9940,  ...,  2.9940,  2.9970,  3.0000],\n       dtyp'
     'e=torch.float64)'),
    ('torch.linspace(-1, 1, 9, dtype=torch.float64, requires_grad=True) * 1000',
     'tensor([-1000.,  -750.,  -500.,  -250.,     0.,   250.,   500.,   750.,  1000.],'
     '\n       dtype=torch.float64, grad_fn=<MulBackward0>)'),
    ('torch.arange(11, dtype=torch.int32) * 100000',
     'tensor([      0,  100000,  200000,  300000,  400000,  500000,  600000,  700000,\n'
     '         800000,  900000, 1000000], dtype=torch.int32)'),
    ('torch.ones(2, 7, dtype=torch.float64, requires_grad=True) / 3',
     'tensor([[0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333],\n        [0.333'
     '3, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333, 0.3333]],\n       dtype=torch.float64,'
     ' grad_fn=<DivBackward0>)'),
]


@pytest.mark.parametrize("expr,expected", PRINTS, ids=[e for e, _ in PRINTS])
def test_print_format_is_torchs(expr, expected):
    assert repr(eval(expr)) == expected  # noqa: S307 (the table's own expressions)


@pytest.mark.skipif(real_torch is None, reason="PyTorch not installed")
@pytest.mark.parametrize("expr", [e for e, _ in PRINTS[:12]])
def test_print_format_against_installed_torch(expr):
    assert repr(eval(expr)) == repr(eval(expr, {"torch": real_torch}))  # noqa: S307


# (expression on a = ones(3, 4, requires_grad=True), torch's grad_fn name)
GRAD_FN_NAMES = [
    ("a[0]", "SelectBackward0"),
    ("a[0:1]", "SliceBackward0"),
    ("a[:,0]", "SelectBackward0"),
    ("a[None]", "UnsqueezeBackward0"),
    ("a[1:,0]", "SelectBackward0"),
    ("a[0,1:]", "SliceBackward0"),
    ("a[:]", "SliceBackward0"),
    ("a[...]", "AliasBackward0"),
    ("a[:, :2]", "SliceBackward0"),
    ("a[..., None]", "UnsqueezeBackward0"),
    ("a[0][1]", "SelectBackward0"),
    ("a.T", "PermuteBackward0"),
    ("a.t()", "TBackward0"),
    ("a.transpose(0,1)", "TransposeBackward0"),
    ("a.mT", "TransposeBackward0"),
    ("a.view(12)", "ViewBackward0"),
    ("a.reshape(12)", "ViewBackward0"),
    ("a.t().reshape(12)", "UnsafeViewBackward0"),
    ("a.flatten()", "ViewBackward0"),
    ("a.permute(1,0)", "PermuteBackward0"),
    ("a.unsqueeze(0)", "UnsqueezeBackward0"),
    ("a.squeeze()", "SqueezeBackward0"),
    ("a[::2]", "SliceBackward0"),
    ("a[0,0]", "SelectBackward0"),
    ("a.expand(2,3,4)", "ExpandBackward0"),
    ("a.view(-1,4)", "ViewBackward0"),
    ("a.narrow(0,0,2)", "SliceBackward0"),
    ("a.select(0,1)", "SelectBackward0"),
    ("a.contiguous()", None),
    ("a.t().contiguous()", "CloneBackward0"),
    ("a.clone()", "CloneBackward0"),
    ("a.detach()", None),
    ("a.float()", None),
    ("a.double()", "ToCopyBackward0"),
    ("a.to(torch.float64)", "ToCopyBackward0"),
    ("a[[0,1]]", "IndexBackward0"),
    ("a[a>0]", "IndexBackward0"),
    ("a.sum(0)", "SumBackward1"),
    ("a.max()", "MaxBackward1"),
    ("a.max(0)[0]", "MaxBackward0"),
    ("a.mean()", "MeanBackward0"),
    ("a.softmax(1)", "SoftmaxBackward0"),
    ("torch.nn.functional.log_softmax(a,1)", "LogSoftmaxBackward0"),
    ("a.log_softmax(1)", "LogSoftmaxBackward0"),
    ("a.sigmoid()", "SigmoidBackward0"),
    ("a.tanh()", "TanhBackward0"),
    ("a.neg()", "NegBackward0"),
    ("-a", "NegBackward0"),
    ("a.abs()", "AbsBackward0"),
    ("a.sqrt()", "SqrtBackward0"),
    ("a.pow(2)", "PowBackward0"),
    ("a**2", "PowBackward0"),
    ("a.exp()", "ExpBackward0"),
    ("a.log()", "LogBackward0"),
    ("a.relu()", "ReluBackward0"),
    ("torch.relu(a)", "ReluBackward0"),
    ("torch.nn.functional.relu(a)", "ReluBackward0"),
    ("a.matmul(a.t())", "MmBackward0"),
    ("a@a.t()", "MmBackward0"),
    ("torch.mm(a,a.t())", "MmBackward0"),
    ("a.sum()", "SumBackward0"),
    ("a.std()", "StdBackward0"),
    ("a.var()", "VarBackward0"),
    ("torch.cat([a,a])", "CatBackward0"),
    ("torch.stack([a,a])", "StackBackward0"),
    ("a.split(1)[0]", "SplitBackward0"),
    ("a.chunk(3)[0]", "SplitBackward0"),
    ("a.unbind()[0]", "UnbindBackward0"),
    ("a.argmax()", None),
    ("torch.where(a>0,a,a)", "WhereBackward0"),
    ("a.clamp(0,1)", "ClampBackward1"),
    ("a.masked_fill(a>0,0)", "MaskedFillBackward0"),
    ("a.gather(1, torch.zeros(3,1,dtype=torch.long))", "GatherBackward0"),
    ("a.repeat(2,1)", "RepeatBackward0"),
    ("a.sub(1)", "SubBackward0"),
    ("a-1", "SubBackward0"),
    ("a/2", "DivBackward0"),
    ("a*2", "MulBackward0"),
    ("a+a", "AddBackward0"),
    ("a.mul(a)", "MulBackward0"),
    ("a.div(a)", "DivBackward0"),
    ("torch.nn.functional.mse_loss(a,a)", "MseLossBackward0"),
    ("torch.nn.functional.cross_entropy(a,torch.zeros(3,dtype=torch.long))", "NllLossBackward0"),
    ("torch.nn.functional.nll_loss(a,torch.zeros(3,dtype=torch.long))", "NllLossBackward0"),
    ("torch.nn.functional.linear(a,a)", "MmBackward0"),
    ("torch.nn.functional.dropout(a)", "MulBackward0"),
    ("a.prod()", "ProdBackward0"),
    ("a.min()", "MinBackward1"),
    ("a.norm()", "LinalgVectorNormBackward0"),
    ("2**a", "PowBackward2"),
    ("1-a", "RsubBackward1"),
    ("2/a", "MulBackward0"),
]


@pytest.mark.parametrize("expr,expected", GRAD_FN_NAMES, ids=[e for e, _ in GRAD_FN_NAMES])
def test_grad_fn_names_are_torchs(expr, expected):
    a = torch.ones(3, 4, requires_grad=True)  # noqa: F841 (the expressions use it)
    fn = eval(expr).grad_fn  # noqa: S307
    assert (None if fn is None else fn.name()) == expected


def test_grad_fn_repr_and_linear_node():
    x = torch.ones(2, 4)
    out = nn.Linear(4, 3)(x)
    assert str(out.grad_fn).startswith("<AddmmBackward0 object at 0x")
    assert nn.Linear(4, 3, bias=False)(x).grad_fn.name() == "MmBackward0"
    loss = F.mse_loss(out, torch.zeros(2, 3))
    assert loss.grad_fn.name() == "MseLossBackward0"
    assert loss.grad_fn.next_functions[0][0].name() == "AddmmBackward0"


# ------------------------------------------------------------------------------------------ data
N_PIX = 28 * 28


def fake_images(n, seed):
    """MNIST-like uint8 28x28 images and labels 0..9: each class a fixed sparse stroke pattern, drawn with a
    random intensity and 5% of the pixels flipped (learnable by the tutorials' models in a few epochs)."""
    rng = np.random.default_rng(seed)
    patterns = np.random.default_rng(1234).random((10, N_PIX)) < 0.15
    labels = rng.integers(0, 10, n)
    on = patterns[labels] ^ (rng.random((n, N_PIX)) < 0.05)
    imgs = (on * rng.uniform(150, 255, (n, 1))).astype(np.uint8).reshape(n, 28, 28)
    return imgs, labels


def write_idx(path, arr, magic):
    """An IDX file as MNIST distributes them (gzipped when path ends in .gz)."""
    raw = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in arr.shape) + arr.tobytes()
    with (gzip.open if str(path).endswith(".gz") else open)(path, "wb") as f:
        f.write(raw)


def write_fake_fashion_mnist(root, n_train=512, n_test=128):
    """root/FashionMNIST/raw/ with fake_images in torchvision's file names (train gzipped, test plain)."""
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, n, seed, ext in (("train", n_train, 1, ".gz"), ("t10k", n_test, 2, "")):
        imgs, labels = fake_images(n, seed)
        write_idx(raw / f"{prefix}-images-idx3-ubyte{ext}", imgs, 0x803)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte{ext}", labels.astype(np.uint8), 0x801)


def test_fashion_mnist_dataset(tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found. You can use download=True to download it"):
        datasets.FashionMNIST(root=tmp_path, train=True, download=False, transform=ToTensor())
    with pytest.raises(RuntimeError, match="does not download"):
        datasets.MNIST(root=tmp_path, download=True)
    write_fake_fashion_mnist(tmp_path, 100, 20)
    training_data = datasets.FashionMNIST(root=tmp_path, train=True, download=True, transform=ToTensor())
    test_data = datasets.FashionMNIST(root=tmp_path, train=False, download=True, transform=ToTensor())
    assert len(training_data) == 100 and len(test_data) == 20
    imgs, labels = fake_images(100, 1)
    img, label = training_data[7]
    assert img.shape == (1, 28, 28) and img.dtype == torch.float32 and label == labels[7] and type(label) is int
    np.testing.assert_allclose(img.numpy()[0], imgs[7] / 255.0, rtol=1e-6)
    assert training_data.data.dtype == torch.uint8 and training_data.data.shape == (100, 28, 28)
    assert training_data.targets.dtype == torch.int64 and training_data.targets.tolist() == labels.tolist()
    assert training_data.classes[0] == "T-shirt/top" and training_data.classes[9] == "Ankle boot"
    assert repr(training_data) == ("Dataset FashionMNIST\n    Number of datapoints: 100\n"
                                   f"    Root location: {tmp_path}\n"
                                   "    Split: Train\n    StandardTransform\nTransform: ToTensor()")
    broken = tmp_path / "MNIST" / "raw"
    broken.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        write_idx(broken / name, np.zeros((3, 28, 28) if "images" in name else (3,), np.uint8),
                  0x803 if "images" in name else 0x801)
    (broken / "train-images-idx3-ubyte").write_bytes((0x803).to_bytes(4, "big") + bytes(20))
    with pytest.raises(RuntimeError, match="truncated or corrupted"):
        datasets.MNIST(root=tmp_path)
    assert len(datasets.MNIST(root=tmp_path, train=False)) == 3


class FakeFashionMNIST(Dataset):
    """The tutorials' custom Dataset: __len__, __getitem__, transform and target_transform."""

    def __init__(self, n, seed, transform=None, target_transform=None):
        self.images, self.img_labels = fake_images(n, seed)
        self.transform, self.target_transform = transform, target_transform

    def __len__(self):
        return len(self.img_labels)

    def __getitem__(self, idx):
        image, label = self.images[idx], int(self.img_labels[idx])
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label


def test_datasets_dataloaders_and_transforms():
    data = FakeFashionMNIST(100, 0, transform=ToTensor())
    img, label = data[torch.randint(len(data), size=(1,)).item()]
    assert img.shape == (1, 28, 28) and img.dtype == torch.float32 and 0.0 <= img.min() <= img.max() <= 1.0
    assert isinstance(label, int)
    np.testing.assert_allclose(data[3][0].numpy()[0], data.images[3] / 255.0, rtol=1e-6)
    loader = DataLoader(data, batch_size=64, shuffle=True)
    features, labels = next(iter(loader))
    assert f"Feature batch shape: {features.size()}" == "Feature batch shape: torch.Size([64, 1, 28, 28])"
    assert f"Labels batch shape: {labels.size()}" == "Labels batch shape: torch.Size([64])"
    assert labels.dtype == torch.int64 and features[0].squeeze().shape == (28, 28)
    assert [len(b[1]) for b in loader] == [64, 36] and len(loader) == 2
    assert [len(b[1]) for b in DataLoader(data, batch_size=64, drop_last=True)] == [64]

    one_hot = Lambda(lambda y: torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(y), value=1))
    target = FakeFashionMNIST(5, 0, transform=ToTensor(), target_transform=one_hot)[2][1]
    expected = np.zeros(10, np.float32)
    expected[data.img_labels[2]] = 1
    assert target.dtype == torch.float32 and (target.numpy() == expected).all()
    with pytest.raises(TypeError, match="callable"):
        Lambda(3)

    train, valid = random_split(range(10), [7, 3])
    assert len(train) == 7 and len(valid) == 3 and sorted(list(train) + list(valid)) == list(range(10))
    assert [b.tolist() for b in DataLoader(list(range(5)), batch_size=2)] == [[0, 1], [2, 3], [4]]
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but got batch_size=0"):
        DataLoader(data, batch_size=0)


# ------------------------------------------------------------------------------- quickstart / model
class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x):
        return self.linear_relu_stack(self.flatten(x))


NN_REPR = """NeuralNetwork(
  (flatten): Flatten(start_dim=1, end_dim=-1)
  (linear_relu_stack): Sequential(
    (0): Linear(in_features=784, out_features=64, bias=True)
    (1): ReLU()
    (2): Linear(in_features=64, out_features=64, bias=True)
    (3): ReLU()
    (4): Linear(in_features=64, out_features=10, bias=True)
  )
)"""


def train_loop(dataloader, model, loss_fn, optimizer):
    model.train()
    losses = []
    for X, y in dataloader:
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    return losses


def eval_loop(dataloader, model, loss_fn):  # (the tutorial's test_loop)
    model.eval()
    size, num_batches = len(dataloader.dataset), len(dataloader)
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    return test_loss / num_batches, correct / size


def test_device_selection():
    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
    assert device == ("cuda" if torch.cuda.is_available() else "cpu")
    legacy = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert legacy == device and torch.backends.mps.is_built() is False
    dev = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    assert repr(dev) in ("device(type='cpu')", "device(type='cuda')")
    assert torch.accelerator.device_count() == (torch.cuda.device_count() if torch.cuda.is_available() else 0)
    if not torch.accelerator.is_available():
        assert torch.accelerator.current_accelerator(check_available=True) is None
        with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available."):
            torch.accelerator.current_device_index()
        with pytest.raises(RuntimeError, match="none is available"):
            torch.accelerator.synchronize()


def test_quickstart_and_optimization_loop(tmp_path):
    torch.manual_seed(0)
    write_fake_fashion_mnist(tmp_path)
    training_data = datasets.FashionMNIST(root=tmp_path, train=True, download=True, transform=ToTensor())
    test_data = datasets.FashionMNIST(root=tmp_path, train=False, download=True, transform=ToTensor())
    train_dl = DataLoader(training_data, batch_size=64, shuffle=True)
    test_dl = DataLoader(test_data, batch_size=64)
    for X, y in test_dl:
        assert f"Shape of X [N, C, H, W]: {X.shape}" == "Shape of X [N, C, H, W]: torch.Size([64, 1, 28, 28])"
        assert f"Shape of y: {y.shape} {y.dtype}" == "Shape of y: torch.Size([64]) torch.int64"
        break
    model = NeuralNetwork().to("cpu")
    assert repr(model) == NN_REPR
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss0, acc0 = eval_loop(test_dl, model, loss_fn)
    assert isinstance(loss0, float) and isinstance(acc0, float)
    for _ in range(3):
        losses = train_loop(train_dl, model, loss_fn, optimizer)
    loss1, acc1 = eval_loop(test_dl, model, loss_fn)
    assert loss1 < loss0 and acc1 > max(acc0, 0.2) and losses[-1] < 2.2
    assert not model.training and all(not m.training for m in model.modules())

    # Save and Load: the state_dict route, and the whole model (weights_only=False: it runs the pickle)
    path = tmp_path / "model.pth"
    torch.save(model.state_dict(), path)
    model2 = NeuralNetwork()
    assert repr(model2.load_state_dict(torch.load(path, weights_only=True))) == "<All keys matched successfully>"
    model2.eval()
    X = next(iter(test_dl))[0]
    with torch.no_grad():
        assert torch.equal(model(X), model2(X))
        pred = model2(X[:1])
    classes = test_data.classes
    assert classes[pred[0].argmax(0)] in classes
    torch.save(model, tmp_path / "whole.pth")  # the whole model, as torch: loads with weights_only=False only
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global: GLOBAL .*NeuralNetwork"):
        torch.load(tmp_path / "whole.pth")
    with torch.no_grad():
        assert torch.equal(torch.load(tmp_path / "whole.pth", weights_only=False)(X), model(X))
    ckpt = tmp_path / "ckpt.pt"
    torch.save({"epoch": 3, "model_state_dict": model.state_dict(), "optimizer_state_dict": optimizer.state_dict(),
                "loss": loss1}, ckpt)
    loaded = torch.load(ckpt, map_location=torch.device("cpu"), weights_only=True)
    assert loaded["epoch"] == 3 and loaded["loss"] == loss1
    opt2 = torch.optim.SGD(model2.parameters(), lr=0.5)
    opt2.load_state_dict(loaded["optimizer_state_dict"])
    assert opt2.param_groups[0]["lr"] == 0.1
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "linear_relu_stack.4.bias"'):
        model2.load_state_dict({k: v for k, v in model.state_dict().items() if k != "linear_relu_stack.4.bias"})


def test_build_the_neural_network_page():
    model = NeuralNetwork()
    X = torch.rand(1, 28, 28)
    logits = model(X)
    pred_probab = nn.Softmax(dim=1)(logits)
    assert pred_probab.shape == (1, 10) and abs(pred_probab.sum().item() - 1) < 1e-6
    assert pred_probab.argmax(1).dtype == torch.int64 and pred_probab.grad_fn.name() == "SoftmaxBackward0"
    input_image = torch.rand(3, 28, 28)
    flat_image = nn.Flatten()(input_image)
    assert flat_image.size() == torch.Size([3, 784])
    hidden1 = nn.Linear(in_features=28 * 28, out_features=20)(flat_image)
    assert f"{hidden1.shape}" == "torch.Size([3, 20])"
    relu = nn.ReLU()(hidden1)
    np.testing.assert_array_equal(relu.detach().numpy(), np.maximum(hidden1.detach().numpy(), 0))
    rows = [f"Layer: {name} | Size: {param.size()} | Values : {param[:2].shape}"
            for name, param in model.named_parameters()]
    assert rows[0] == "Layer: linear_relu_stack.0.weight | Size: torch.Size([64, 784]) | Values : torch.Size([2, 784])"
    assert rows[-1] == "Layer: linear_relu_stack.4.bias | Size: torch.Size([10]) | Values : torch.Size([2])"
    assert next(model.parameters())[:2].grad_fn.name() == "SliceBackward0"
    assert repr(nn.Parameter(torch.ones(2))) == "Parameter containing:\ntensor([1., 1.], requires_grad=True)"


# ------------------------------------------------------------------------------------- autograd
def test_automatic_differentiation_page():
    x, y = torch.ones(5), torch.zeros(3)
    w_np = np.linspace(-1, 1, 15).reshape(5, 3)
    w = torch.tensor(w_np.astype(np.float32), requires_grad=True)
    b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
    z = torch.matmul(x, w) + b
    loss = F.binary_cross_entropy_with_logits(z, y)
    assert z.grad_fn.name() == "AddBackward0" and loss.grad_fn.name() == "BinaryCrossEntropyWithLogitsBackward0"
    loss.backward()
    zn = np.ones(5) @ w_np + np.array([0.1, -0.2, 0.3])
    sig = 1 / (1 + np.exp(-zn))
    np.testing.assert_allclose(loss.item(), np.mean(np.logaddexp(0, zn)), rtol=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), sig / 3, rtol=1e-5)
    np.testing.assert_allclose(w.grad.numpy(), np.outer(np.ones(5), sig / 3), rtol=1e-5)
    assert torch.matmul(x, w).requires_grad
    with torch.no_grad():
        assert not (torch.matmul(x, w) + b).requires_grad
    assert not z.detach().requires_grad

    inp = torch.eye(4, 5, requires_grad=True)
    out = (inp + 1).pow(2).t()
    out.backward(torch.ones_like(out), retain_graph=True)
    first = 2 * (np.eye(4, 5) + 1)
    np.testing.assert_allclose(inp.grad.numpy(), first)
    out.backward(torch.ones_like(out), retain_graph=True)
    np.testing.assert_allclose(inp.grad.numpy(), 2 * first)
    inp.grad.zero_()
    out.backward(torch.ones_like(out), retain_graph=True)
    np.testing.assert_allclose(inp.grad.numpy(), first)
    assert str(out).endswith("grad_fn=<TBackward0>)")

    a = torch.tensor([[0.5, -1.0], [2.0, 3.0]])
    a = (a * 3) / (a - 1)
    assert not a.requires_grad
    a.requires_grad_(True)
    assert a.requires_grad and (a * a).sum().grad_fn.name() == "SumBackward0"
    q = (w * w).sum()
    q.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        q.backward()
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (w * 2).backward()
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can require gradients"):
        torch.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Use tensor.detach\(\).numpy\(\) instead."):
        w.numpy()


# ----------------------------------------------------------------------------- Tensors page
def test_tensors_page():
    data = [[1, 2], [3, 4]]
    x_data = torch.tensor(data)
    x_np = torch.from_numpy(np.array(data))
    assert torch.equal(x_data, x_np) and x_data.dtype == torch.int64
    assert f"Ones Tensor: \n {torch.ones_like(x_data)} \n" == "Ones Tensor: \n tensor([[1, 1],\n        [1, 1]]) \n"
    x_rand = torch.rand_like(x_data, dtype=torch.float)
    assert x_rand.dtype == torch.float32 and x_rand.shape == (2, 2)
    tensor = torch.rand(3, 4)
    assert f"Shape of tensor: {tensor.shape}" == "Shape of tensor: torch.Size([3, 4])"
    assert f"Datatype of tensor: {tensor.dtype}" == "Datatype of tensor: torch.float32"
    assert f"Device tensor is stored on: {tensor.device}" == "Device tensor is stored on: cpu"
    tensor = torch.ones(4, 4)
    assert f"First row: {tensor[0]}" == "First row: tensor([1., 1., 1., 1.])"
    assert f"Last column: {tensor[..., -1]}" == "Last column: tensor([1., 1., 1., 1.])"
    tensor[:, 1] = 0
    assert str(tensor) == "tensor([[1., 0., 1., 1.],\n        [1., 0., 1., 1.],\n        [1., 0., 1., 1.],\n" \
                          "        [1., 0., 1., 1.]])"
    t1 = torch.cat([tensor, tensor, tensor], dim=1)
    assert t1.shape == (4, 12) and t1[0].tolist() == [1.0, 0.0, 1.0, 1.0] * 3
    y1, y2 = tensor @ tensor.T, tensor.matmul(tensor.T)
    y3 = torch.rand_like(y1)
    torch.matmul(tensor, tensor.T, out=y3)
    assert torch.equal(y1, y2) and torch.equal(y1, y3) and y1[0, 0].item() == 3.0
    z3 = torch.rand_like(tensor)
    torch.mul(tensor, tensor, out=z3)
    assert torch.equal(tensor * tensor, z3) and torch.equal(tensor.mul(tensor), z3)
    agg_item = tensor.sum().item()
    assert agg_item == 12.0 and type(agg_item) is float
    tensor.add_(5)
    assert tensor[0].tolist() == [6.0, 5.0, 6.0, 6.0]
    t = torch.ones(5)
    n = t.numpy()
    t.add_(1)
    assert f"n: {n}" == "n: [2. 2. 2. 2. 2.]"
    n = np.ones(5)
    t = torch.from_numpy(n)
    np.add(n, 1, out=n)
    assert f"t: {t}" == "t: tensor([2., 2., 2., 2., 2.], dtype=torch.float64)"


def test_return_types_print_as_torch():
    x = torch.tensor([[0.5, 1.5, -2.0], [3.0, 4.25, 5.0]])
    assert repr(x.max(1)) == "torch.return_types.max(\nvalues=tensor([1.5000, 5.0000]),\nindices=tensor([1, 2]))"
    values, indices = torch.min(x, dim=0)
    assert values.tolist() == [0.5, 1.5, -2.0] and indices.tolist() == [0, 0, 0]
    assert torch.max(x, 1).indices.tolist() == [1, 2] and x.min(dim=0).values.shape == (3,)
    assert repr(x.topk(1)).startswith("torch.return_types.topk(\nvalues=tensor([[1.5000],")


# --------------------------------------------------------------------- What is torch.nn really?
def mnist(n, seed):
    imgs, labels = fake_images(n, seed)
    return torch.tensor(imgs.reshape(n, -1) / np.float32(255)), torch.tensor(labels)


def np_log_softmax(x):
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def test_nn_really_from_scratch():
    x_train, y_train = mnist(256, 5)
    n, c = x_train.shape
    assert (n, c) == (256, 784) and x_train.dtype == torch.float32 and y_train.dtype == torch.int64
    w0 = np.random.default_rng(0).standard_normal((784, 10)).astype(np.float32)
    weights = torch.from_numpy(w0.copy()) / math.sqrt(784)
    weights.requires_grad_()
    bias = torch.zeros(10, requires_grad=True)

    def log_softmax(x):
        return x - x.exp().sum(-1).log().unsqueeze(-1)

    def model(xb):
        return log_softmax(xb @ weights + bias)

    def nll(input, target):
        return -input[range(target.shape[0]), target].mean()

    def accuracy(out, yb):
        return (torch.argmax(out, dim=1) == yb).float().mean()

    bs = 64
    xb, yb = x_train[0:bs], y_train[0:bs]
    preds = model(xb)
    assert preds.shape == (64, 10) and preds[0].grad_fn.name() == "SelectBackward0"
    loss = nll(preds, yb)
    assert loss.grad_fn.name() == "NegBackward0"
    xn, yn = xb.numpy().astype(np.float64), yb.numpy()
    ref = np_log_softmax(xn @ (w0.astype(np.float64) / math.sqrt(784)))
    np.testing.assert_allclose(loss.item(), -ref[np.arange(bs), yn].mean(), rtol=1e-5)
    np.testing.assert_allclose(accuracy(preds, yb).item(), (ref.argmax(1) == yn).mean())
    loss.backward()
    onehot = np.eye(10)[yn]
    np.testing.assert_allclose(weights.grad.numpy(), xn.T @ (np.exp(ref) - onehot) / bs, rtol=1e-4, atol=1e-6)
    weights.grad.zero_()

    lr, start = 0.5, loss.item()
    for _ in range(3):
        for i in range((n - 1) // bs + 1):
            xb, yb = x_train[i * bs:i * bs + bs], y_train[i * bs:i * bs + bs]
            loss = nll(model(xb), yb)
            loss.backward()
            with torch.no_grad():
                weights -= weights.grad * lr
                bias -= bias.grad * lr
                weights.grad.zero_()
                bias.grad.zero_()
    assert weights.is_leaf and weights.requires_grad and nll(model(xb), yb).item() < start
    ce = F.cross_entropy(xb @ weights + bias, yb)
    np.testing.assert_allclose(ce.item(), nll(model(xb), yb).item(), rtol=1e-5)
    assert ce.grad_fn.name() == "NllLossBackward0"


class Lambda2(nn.Module):
    """The tutorial's Lambda layer."""

    def __init__(self, func):
        super().__init__()
        self.func = func

    def forward(self, x):
        return self.func(x)


class WrappedDataLoader:
    def __init__(self, dl, func):
        self.dl, self.func = dl, func

    def __len__(self):
        return len(self.dl)

    def __iter__(self):
        for b in self.dl:
            yield self.func(*b)


def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)
    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()
    return loss.item(), len(xb)


def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
    val_losses = []
    for _ in range(epochs):
        model.train()
        for xb, yb in train_dl:
            loss_batch(model, loss_func, xb, yb, opt)
        model.eval()
        with torch.no_grad():
            losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
        val_losses.append(np.sum(np.multiply(losses, nums)) / np.sum(nums))
    return val_losses


def get_data(train_ds, valid_ds, bs):
    return DataLoader(train_ds, batch_size=bs, shuffle=True), DataLoader(valid_ds, batch_size=bs * 2)


class MnistLogistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(784, 10)

    def forward(self, xb):
        return self.lin(xb)


class MnistCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1)
        self.conv3 = nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1)

    def forward(self, xb):
        xb = xb.view(-1, 1, 28, 28)
        xb = F.relu(self.conv1(xb))
        xb = F.relu(self.conv2(xb))
        xb = F.relu(self.conv3(xb))
        xb = F.avg_pool2d(xb, 4)
        return xb.view(-1, xb.size(1))


def test_nn_really_refactored():
    torch.manual_seed(0)
    x_train, y_train = mnist(512, 6)
    x_valid, y_valid = mnist(128, 7)
    train_ds, valid_ds = TensorDataset(x_train, y_train), TensorDataset(x_valid, y_valid)
    xb, yb = train_ds[0:64]
    assert xb.shape == (64, 784) and yb.shape == (64,) and len(train_ds) == 512
    train_dl, valid_dl = get_data(train_ds, valid_ds, 64)
    assert len(train_dl) == 8 and len(valid_dl) == 1

    model = MnistLogistic()
    opt = optim.SGD(model.parameters(), lr=0.5)
    before = fit(1, model, F.cross_entropy, None, [], valid_dl)[0]
    after = fit(3, model, F.cross_entropy, opt, train_dl, valid_dl)
    assert after[-1] < before and isinstance(after[-1], np.floating)
    with torch.no_grad():
        valid_loss = sum(F.cross_entropy(model(xb), yb) for xb, yb in valid_dl)
    assert isinstance(valid_loss, torch.Tensor) and valid_loss.shape == () and not valid_loss.requires_grad

    cnn = MnistCNN()
    assert repr(cnn).splitlines()[1] == "  (conv1): Conv2d(1, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"
    assert cnn(x_valid[:5]).shape == (5, 10)
    opt = optim.SGD(cnn.parameters(), lr=0.1, momentum=0.9)
    assert np.isfinite(fit(1, cnn, F.cross_entropy, opt, train_dl, valid_dl)[0])

    seq = nn.Sequential(
        Lambda2(lambda x: x.view(-1, 1, 28, 28)),
        nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1), nn.ReLU(),
        nn.AvgPool2d(4),
        Lambda2(lambda x: x.view(x.size(0), -1)),
    )
    assert "(0): Lambda2()" in repr(seq) and "(5): AvgPool2d(kernel_size=4, stride=4, padding=0)" in repr(seq)
    assert seq(x_valid[:3]).shape == (3, 10)

    dev = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")

    def preprocess(x, y):
        return x.view(-1, 1, 28, 28).to(dev), y.to(dev)

    train_dl, valid_dl = get_data(train_ds, valid_ds, 64)
    train_dl, valid_dl = WrappedDataLoader(train_dl, preprocess), WrappedDataLoader(valid_dl, preprocess)
    model = nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        Lambda2(lambda x: x.view(x.size(0), -1)),
    ).to(dev)
    assert "(4): AdaptiveAvgPool2d(output_size=1)" in repr(model)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    assert len(train_dl) == 8 and np.isfinite(fit(1, model, F.cross_entropy, opt, train_dl, valid_dl)[0])


def test_everyday_mistakes_raise_torchs_errors():
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
        nn.Linear(784, 10)(torch.rand(2, 28, 28))  # forgot nn.Flatten
    with pytest.raises(RuntimeError, match="^mat1 and mat2 must have the same dtype, but got Double and Float$"):
        nn.Linear(3, 2)(torch.from_numpy(np.ones((2, 3))))  # a float64 numpy batch into a float32 model
    loss_fn = nn.CrossEntropyLoss()
    with pytest.raises(RuntimeError, match="^expected target dtype to be Long or Byte, but got Int$"):
        loss_fn(torch.rand(4, 10), torch.tensor([1, 2, 3, 4], dtype=torch.int32))
    with pytest.raises(RuntimeError, match="^expected target dtype to be Long or Byte, but got Float$"):
        loss_fn(torch.rand(4, 10), torch.tensor([1.0, 2.0, 3.0, 4.0]))  # float labels are not probabilities
    with pytest.raises(ValueError, match=r"^Expected input batch_size \(4\) to match target batch_size \(3\).$"):
        loss_fn(torch.rand(4, 10), torch.rand(3, 10))
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected, multi-target not supported"):
        loss_fn(torch.rand(4, 10), torch.rand(4, 10, 2))
    with pytest.raises(IndexError, match="Target 10 is out of bounds."):
        loss_fn(torch.rand(4, 10), torch.tensor([1, 2, 3, 10]))
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype"):
        torch.tensor([1, 2]).mean()
    with pytest.raises(TypeError, match="expected np.ndarray"):
        torch.from_numpy([1, 2])
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        torch.ones(2, 3).t().view(6)


def test_python_types_as_dtypes():
    assert torch.ones(2, dtype=float).dtype == torch.float64 and torch.zeros(2, dtype=int).dtype == torch.int64
    assert torch.ones(2, dtype=bool).dtype == torch.bool and torch.empty(2, dtype=int).dtype == torch.int64
    assert repr(torch.tensor([1, 2], dtype=float)) == "tensor([1., 2.], dtype=torch.float64)"
    assert torch.full((2,), 1, dtype=float).dtype == torch.float64
    assert torch.arange(3, dtype=float).dtype == torch.float64
    assert torch.ones(2).to(int).tolist() == [1, 1] and torch.ones(2).to(dtype=bool).dtype == torch.bool
    assert torch.tensor([0.5]).to("cpu", float).dtype == torch.float64
    assert torch.float32.is_complex is False and torch.float32.is_floating_point and not torch.int64.is_complex


def test_deprecation_warnings_are_torchs():
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax has been deprecated"):
        F.log_softmax(torch.rand(2, 3))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax has been deprecated"):
        nn.Softmax()(torch.rand(2, 3))
    with pytest.warns(UserWarning, match=r"recommended to use sourceTensor.detach\(\).clone\(\) or"):
        torch.tensor(torch.ones(2))
    with pytest.warns(UserWarning, match="The use of `x.T` on tensors of dimension other than 2"):
        assert torch.ones(2, 3, 4).T.shape == (4, 3, 2)
    with pytest.warns(UserWarning, match="Tensor.T is deprecated on 0-D tensors"):
        assert torch.tensor(1.0).T.item() == 1.0
    with pytest.warns(FutureWarning, match="`nn.init.xavier_uniform` is now deprecated in favor of"):
        w = nn.init.xavier_uniform(torch.empty(2, 2))
    assert w.shape == (2, 2) and nn.init.normal.__name__ == "normal"


def test_inference_mode_state():
    x = torch.ones(3, requires_grad=True)
    assert not torch.is_inference_mode_enabled()
    with torch.inference_mode():
        assert torch.is_inference_mode_enabled() and not (x * 2).requires_grad
        with torch.inference_mode(False):
            assert not torch.is_inference_mode_enabled() and (x * 2).requires_grad
        assert torch.is_inference_mode_enabled()
    assert not torch.is_inference_mode_enabled() and (x * 2).requires_grad
    assert torch.inference_mode()(lambda: torch.is_inference_mode_enabled())()


# ------------------------------------------------------------------- the surface right after the tutorials
def test_alias_names_match_their_ops():
    a = torch.tensor([[-0.5, 0.25], [0.75, -1.0]])
    b = torch.tensor([[1.0, -2.0], [0.5, 3.0]])
    for alias, name in (("absolute", "abs"), ("arccos", "acos"), ("arcsin", "asin"), ("arctan", "atan"),
                        ("arcsinh", "asinh"), ("fix", "trunc"), ("negative", "neg")):
        assert torch.equal(getattr(a, alias)(), getattr(a, name)()), alias
        assert torch.equal(getattr(torch, alias)(a), getattr(a, name)()), alias
    assert torch.equal(a.arctan2(b), torch.atan2(a, b)) and torch.equal(torch.arctan2(a, b), a.atan2(b))
    for alias, name in (("greater", "gt"), ("greater_equal", "ge"), ("less", "lt"), ("less_equal", "le"),
                        ("not_equal", "ne")):
        assert torch.equal(getattr(torch, alias)(a, b), getattr(a, name)(b)), alias
    assert torch.equal(a.multiply(b), a * b) and torch.equal(a.divide(b), a / b) and torch.equal(a.subtract(b), a - b)
    c = a.clone()
    assert c.absolute_() is c and torch.equal(c, a.abs())
    x = torch.tensor([1.0, 2.0, 3.0])
    assert x.eq_(2) is x and x.tolist() == [0.0, 1.0, 0.0] and x.dtype == torch.float32
    y = torch.tensor([1, 2, 3])
    assert y.less_(2).tolist() == [1, 0, 0] and y.dtype == torch.int64
    assert torch.tensor([True, False]).logical_not_().tolist() == [False, True]
    assert torch.tensor([1.0, 2.0, 3.0]).cumsum_(0).tolist() == [1.0, 3.0, 6.0]
    assert torch.tensor([1.0, 2.0, 3.0]).cumprod_(0).tolist() == [1.0, 2.0, 6.0]
    z = torch.arange(6.0).view(2, 3)
    assert z.transpose_(0, 1) is z and z.shape == (3, 2) and z.tolist() == [[0, 3], [1, 4], [2, 5]]
    t = torch.tensor([-1.0, 4.0])
    assert torch.exp_(t) is t and np.allclose(t.numpy(), np.exp([-1.0, 4.0]), rtol=1e-6)
    assert torch.relu_(torch.tensor([-1.0, 2.0])).tolist() == [0.0, 2.0] and torch.zero_(torch.ones(2)).sum() == 0


def test_predicates_and_properties():
    a = torch.ones(2, 3)
    assert a.is_cpu and a.is_signed() and not torch.tensor([1], dtype=torch.uint8).is_signed()
    assert not a.is_complex() and not torch.is_complex(a) and a.conj() is a and a.resolve_conj() is a
    assert a.itemsize == 4 and a.nbytes == 24 and torch.ones(3, dtype=torch.int64).nbytes == 24
    assert torch.is_nonzero(torch.tensor([2])) and not torch.is_nonzero(torch.tensor(0.0))
    with pytest.raises(RuntimeError, match="^Boolean value of Tensor with more than one value is ambiguous$"):
        torch.is_nonzero(a)
    with pytest.raises(RuntimeError, match="^Boolean value of Tensor with no values is ambiguous$"):
        torch.is_nonzero(torch.tensor([]))
    assert a.is_same_size(torch.zeros(2, 3)) and not torch.is_same_size(a, torch.zeros(3, 2))
    inf = math.inf
    assert torch.isposinf(torch.tensor([1.0, inf, -inf])).tolist() == [False, True, False]
    assert torch.tensor([1.0, -inf]).isneginf().tolist() == [False, True]
    assert torch.isposinf(torch.tensor([1, 2])).tolist() == [False, False]
    assert a.layout == torch.strided and repr(torch.strided) == "torch.strided" and not a.is_sparse
    assert not a.is_quantized and not a.is_meta and a.real is a
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex dtypes."):
        getattr(a, "imag")  # (the property raises)


def test_fmax_fmin_dist_matrix_power():
    nan = math.nan
    a, b = torch.tensor([1.0, nan, 2.0, nan]), torch.tensor([nan, 0.0, 3.0, nan])
    np.testing.assert_array_equal(torch.fmax(a, b).numpy(), np.fmax(a.numpy(), b.numpy()))
    np.testing.assert_array_equal(a.fmin(b).numpy(), np.fmin(a.numpy(), b.numpy()))
    assert torch.fmax(torch.tensor([1, 5]), torch.tensor([3, 2])).tolist() == [3, 5]
    x, y = torch.tensor([[1.0, -2.0], [3.0, 0.5]]), torch.tensor([[0.0, 1.0], [1.0, 1.0]])
    d = (x - y).numpy().astype(np.float64).ravel()
    np.testing.assert_allclose(torch.dist(x, y).item(), np.linalg.norm(d), rtol=1e-6)
    np.testing.assert_allclose(x.dist(y, 1).item(), np.abs(d).sum(), rtol=1e-6)
    np.testing.assert_allclose(torch.dist(x, y, 3).item(), (np.abs(d) ** 3).sum() ** (1 / 3), rtol=1e-6)
    m = np.array([[1.0, 2.0], [0.5, -1.0]])
    tm = torch.tensor(m)
    for n in (0, 1, 2, 3, 5, -1, -3):
        np.testing.assert_allclose(torch.matrix_power(tm, n).numpy(), np.linalg.matrix_power(m, n), rtol=1e-10)
    batch = torch.tensor(np.stack([m, 2 * m]))
    np.testing.assert_allclose(batch.matrix_power(3).numpy(), np.stack([np.linalg.matrix_power(m, 3),
                                                                         np.linalg.matrix_power(2 * m, 3)]))
    w = torch.tensor(m, requires_grad=True)
    torch.matrix_power(w, 2).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.ones((2, 2)) @ m.T + m.T @ np.ones((2, 2)))
    with pytest.raises(RuntimeError, match="must be batches of square matrices"):
        torch.matrix_power(torch.ones(2, 3), 2)


def test_fill_diagonal_and_sum_to_size():
    for shape, wrap in (((3, 3), False), ((5, 2), True), ((5, 2), False), ((2, 4), False), ((7, 3), True)):
        ref = np.zeros(shape, np.float32)
        np.fill_diagonal(ref, 5, wrap=wrap)
        t = torch.zeros(*shape)
        assert t.fill_diagonal_(5, wrap=wrap) is t and (t.numpy() == ref).all(), (shape, wrap)
    cube = torch.zeros(2, 2, 2).fill_diagonal_(1)
    assert cube[0, 0, 0] == 1 and cube[1, 1, 1] == 1 and cube.sum() == 2
    tt = torch.zeros(3, 4).t()
    assert tt.fill_diagonal_(2) is tt and tt.diagonal().tolist() == [2.0, 2.0, 2.0] and tt.sum() == 6
    with pytest.raises(RuntimeError, match="all dimensions of input must be of equal length"):
        torch.zeros(2, 3, 3).fill_diagonal_(1)
    with pytest.raises(RuntimeError, match="dimensions must larger than 1"):
        torch.zeros(2).fill_diagonal_(1)
    x = torch.arange(24.0).view(4, 2, 3)
    xn = x.numpy()
    np.testing.assert_array_equal(x.sum_to_size(2, 1).numpy(), xn.sum(0).sum(1, keepdims=True))
    np.testing.assert_array_equal(x.sum_to_size((1, 3)).numpy(), xn.sum(0).sum(0, keepdims=True))
    assert x.sum_to_size(4, 2, 3) is x
    assert x.sum_to_size(3).tolist() == xn.sum((0, 1)).tolist()
    with pytest.raises(RuntimeError, match="is not expandable to size"):
        x.sum_to_size(2)


def test_in_place_samplers_follow_their_distributions():
    torch.manual_seed(0)
    n = 40000
    e = torch.empty(n).exponential_(2.0)
    assert e.min() >= 0 and abs(e.mean().item() - 0.5) < 0.02 and abs(e.std().item() - 0.5) < 0.02
    g = torch.empty(n).geometric_(0.25)
    assert g.min() == 1 and (g == g.round()).all() and abs(g.mean().item() - 4.0) < 0.1
    ln = torch.empty(n).log_normal_(0.5, 0.25).log()
    assert abs(ln.mean().item() - 0.5) < 0.01 and abs(ln.std().item() - 0.25) < 0.01
    c = torch.empty(n).cauchy_(1.0, 2.0)
    assert abs(c.median().item() - 1.0) < 0.1 and abs(((c - 1).abs() < 2).float().mean().item() - 0.5) < 0.02


def test_torch_function_spellings():
    assert torch.rsub(torch.ones(2), 5, alpha=2).tolist() == [3.0, 3.0]
    assert torch.rsub(torch.ones(2), torch.tensor([3.0, 4.0])).tolist() == [2.0, 3.0]
    assert repr(torch.scalar_tensor(3)) == "tensor(3.)"
    assert torch.scalar_tensor(2, dtype=torch.int64).dtype == torch.int64
    r = torch.randint_like(torch.zeros(1000, dtype=torch.int64), 2, 4)
    assert r.dtype == torch.int64 and r.shape == (1000,) and set(r.tolist()) == {2, 3}
    assert torch.randint_like(torch.zeros(2, 3), 5).dtype == torch.float32
    assert repr(torch.fill(torch.ones(2, dtype=torch.int64), 3)) == "tensor([3, 3])"
    assert torch.typename(torch.ones(1)) == "torch.FloatTensor" and torch.typename(3) == "int"
    assert torch.typename(torch.nn.Parameter) == "torch.nn.parameter.Parameter"  # a class: its own name
    assert torch.typename(torch.nn.Linear(1, 1)) == "torch.nn.modules.linear.Linear" and torch.typename(len) == "len"
    x = torch.arange(16.0).view(1, 1, 4, 4)
    w = torch.ones(1, 1, 2, 2)
    assert torch.equal(torch.conv2d(x, w), F.conv2d(x, w))
    assert torch.max_pool2d(x, 2).flatten().tolist() == [5.0, 7.0, 13.0, 15.0]
    assert torch.equal(torch.max_pool2d(x, 2, 1), F.max_pool2d(x, 2, 1))
    values, indices = torch.adaptive_max_pool1d(torch.arange(6.0).view(1, 1, 6), 2)
    assert values.flatten().tolist() == [2.0, 5.0] and indices.flatten().tolist() == [2, 5]
    assert torch.dropout(torch.ones(3), 0.5, False).tolist() == [1.0, 1.0, 1.0]
    weight = torch.arange(6.0).view(3, 2)
    assert torch.embedding(weight, torch.tensor([2, 0])).tolist() == [[4.0, 5.0], [0.0, 1.0]]
    np.testing.assert_allclose(torch.layer_norm(torch.tensor([[1.0, 2.0, 3.0]]), (3,)).numpy(),
                               [[-1.2247, 0.0, 1.2247]], atol=1e-4)
    bn = torch.batch_norm(torch.arange(6.0).view(3, 2), None, None, torch.zeros(2), torch.ones(2), False, 0.1,
                          1e-5, False)
    np.testing.assert_allclose(bn.numpy(), np.arange(6.0).reshape(3, 2) / np.sqrt(1 + 1e-5), rtol=1e-6)
    assert torch.group_norm(torch.arange(8.0).view(1, 4, 2), 2).shape == (1, 4, 2)


def test_split_with_sizes():
    x = torch.arange(12.0).view(3, 4)
    a, b = x.split_with_sizes([1, 3], dim=1)
    assert a.shape == (3, 1) and b.shape == (3, 3) and b.grad_fn is None
    with pytest.raises(TypeError, match="must be tuple of ints, not int"):
        x.split_with_sizes(2)


def test_rms_norm_and_batch_norm_3d():
    xn = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
    wn = np.array([0.5, 1.0, 2.0])
    ref = xn / np.sqrt((xn ** 2).mean(-1, keepdims=True) + 1e-6) * wn
    x = torch.tensor(xn, requires_grad=True)
    out = F.rms_norm(x, (3,), torch.tensor(wn), 1e-6)
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-12)
    out.sum().backward()
    r = np.sqrt((xn ** 2).mean(-1, keepdims=True) + 1e-6)
    grad = wn / r - xn * (xn * wn).sum(-1, keepdims=True) / (3 * r ** 3)
    np.testing.assert_allclose(x.grad.numpy(), grad, rtol=1e-10)
    m = nn.RMSNorm(3)
    assert repr(m) == "RMSNorm((3,), eps=None, elementwise_affine=True)" and list(m.state_dict()) == ["weight"]
    eps32 = float(np.finfo(np.float32).eps)
    np.testing.assert_allclose(m(torch.tensor(xn, dtype=torch.float32)).detach().numpy(),
                               xn / np.sqrt((xn ** 2).mean(-1, keepdims=True) + eps32), rtol=1e-6)
    assert repr(nn.RMSNorm([2, 3], eps=1e-6, elementwise_affine=False)) == \
        "RMSNorm((2, 3), eps=1e-06, elementwise_affine=False)"
    with pytest.raises(RuntimeError, match=r"expected input with shape \[\*2\], but got input of size\[2, 3\]"):
        F.rms_norm(x, (2,))
    with pytest.raises(TypeError, match="must be tuple of ints, not int"):
        F.rms_norm(x, 3)
    bn = nn.BatchNorm3d(2)
    assert repr(bn) == "BatchNorm3d(2, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    z = np.arange(32, dtype=np.float64).reshape(2, 2, 2, 2, 2)
    out = bn(torch.tensor(z, dtype=torch.float32)).detach().numpy()
    mean, var = z.mean((0, 2, 3, 4), keepdims=True), z.var((0, 2, 3, 4), keepdims=True)
    np.testing.assert_allclose(out, (z - mean) / np.sqrt(var + 1e-5), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"expected 5D input \(got 3D input\)"):
        bn(torch.ones(2, 2, 4))


def test_shape_mistakes_raise_torchs_messages():
    y = torch.zeros(2, 3)
    expand_error = (r"^The expanded size of the tensor \(3\) must match the existing size \(4\) at non-singleton "
                    r"dimension 0.  Target sizes: \[3\].  Tensor sizes: \[4\]$")
    with pytest.raises(RuntimeError, match=expand_error):
        y[0] = torch.ones(4)
    y[0] = torch.ones(1, 1, 3)  # (leading size-1 dims dropped, as torch)
    y[:, 1] = torch.tensor([5.0, 6.0])
    assert y.tolist() == [[1.0, 5.0, 1.0], [0.0, 6.0, 0.0]]
    with pytest.raises(RuntimeError, match=r"^size mismatch, got input \(2\), mat \(2x3\), vec \(2\)$"):
        torch.ones(2, 3) @ torch.ones(2)
    with pytest.raises(RuntimeError, match=r"^size mismatch, got input \(8\), mat \(8x3\), vec \(2\)$"):
        torch.matmul(torch.ones(4, 2, 3), torch.ones(2))
    with pytest.raises(RuntimeError, match=r"^inconsistent tensor size, expected tensor \[3\] and src \[4\]"):
        torch.ones(3) @ torch.ones(4)
    assert (torch.ones(4, 2, 3) @ torch.ones(3)).shape == (4, 2) and (torch.ones(3) @ torch.ones(3)).item() == 3


def test_module_member_lookup():
    m = nn.Sequential(nn.Linear(2, 2))
    m[0].register_buffer("b", torch.ones(1))
    assert m.get_buffer("0.b").tolist() == [1.0] and m.get_parameter("0.bias") is m[0].bias
    for call, message in ((lambda: m.get_parameter("0.x"), "^Linear has no attribute `x`$"),
                          (lambda: m.get_parameter("0.b"), "^`b` is not an nn.Parameter$"),
                          (lambda: m.get_buffer("0.weight"), "^`weight` is not a buffer$"),
                          (lambda: m.get_submodule("1"), "^Sequential has no attribute `1`$"),
                          (lambda: m.get_submodule("0.weight"), "^`weight` is not an nn.Module$"),
                          (lambda: m.set_submodule("0.weight", nn.ReLU()), "^`weight` is not an nn.Module$"),
                          (lambda: m.set_submodule("7", nn.ReLU(), strict=True), "^Sequential has no attribute `7`$")):
        with pytest.raises(AttributeError, match=message):
            call()
    with pytest.raises(ValueError, match="Cannot set the submodule without a target name!"):
        m.set_submodule("", nn.ReLU())
    with pytest.raises(ValueError, match="`module` is not an nn.Module"):
        m.set_submodule("0", 3)
    m.set_submodule("0", nn.ReLU())
    m.set_submodule("5", nn.Tanh())
    assert repr(m) == "Sequential(\n  (0): ReLU()\n  (5): Tanh()\n)"


def test_print_profiles():
    x = torch.arange(2000.0) / 3
    try:
        torch.set_printoptions(profile="short")
        assert repr(x[:3]) == "tensor([0.00, 0.33, 0.67])" and repr(x).startswith("tensor([0.00e+00, 3.33e-01,  ...,")
        torch.set_printoptions(profile="full")
        assert "..." not in repr(x) and repr(x[:2]) == "tensor([0.0000, 0.3333])"
        torch.set_printoptions(threshold=5)
        assert repr(torch.arange(10)) == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    finally:
        torch.set_printoptions(profile="default")
    assert repr(x[:2]) == "tensor([0.0000, 0.3333])" and "..." in repr(x)


def test_parameter_dict_and_list():
    d = nn.ParameterDict({"b": torch.zeros(2), "a": nn.Parameter(torch.ones(2, 3))})
    assert list(d) == ["a", "b"] and type(d["b"]) is nn.Parameter and d["b"].requires_grad  # (a dict: sorted keys)
    d["c"] = torch.ones(1, dtype=torch.float64)
    assert repr(d) == ("ParameterDict(\n    (a): Parameter containing: [torch.FloatTensor of size 2x3]\n"
                       "    (b): Parameter containing: [torch.FloatTensor of size 2]\n"
                       "    (c): Parameter containing: [torch.DoubleTensor of size 1]\n)")
    assert d.pop("c").dtype == torch.float64 and d.get("zz") is None and "a" in d and len(d) == 2
    m = nn.Module()
    m.p = d
    assert [n for n, _ in m.named_parameters()] == ["p.a", "p.b"] and list(m.state_dict()) == ["p.a", "p.b"]
    assert sum(p.numel() for p in m.parameters()) == 8
    with pytest.raises(TypeError, match="cannot be used as a key as it is not a string"):
        nn.ParameterDict()[3] = torch.ones(1)
    with pytest.raises(AttributeError):
        d["missing"]
    o = nn.ParameterDict(OrderedDict([("z", torch.ones(1)), ("y", torch.ones(2))]))
    assert list(o) == ["z", "y"] and o.popitem()[0] == "y" and list(o) == ["z"]
    lst = nn.ParameterList([nn.Parameter(torch.ones(2, 3)), nn.Parameter(torch.zeros(2))])
    assert repr(lst) == ("ParameterList(\n    (0): Parameter containing: [torch.float32 of size 2x3]\n"
                         "    (1): Parameter containing: [torch.float32 of size 2]\n)")
    holder = nn.Module()
    holder.p = nn.ParameterList([nn.Parameter(torch.ones(1))])
    assert repr(holder) == "Module(\n  (p): ParameterList(  (0): Parameter containing: [torch.float32 of size 1])\n)"


def test_cuda_queries_without_a_gpu():
    if torch.cuda.is_available():
        assert torch.cuda.is_bf16_supported()
        torch.cuda.set_device(0)
        return
    assert torch.cuda.is_bf16_supported() is False
    with pytest.raises((AssertionError, RuntimeError), match="CUDA|GPU"):
        torch.cuda.set_device(0)


def test_random_module_and_fork_rng():
    assert torch.random.manual_seed(3) is torch.default_generator and torch.random.initial_seed() == 3
    a = torch.rand(2)
    torch.manual_seed(3)
    with torch.random.fork_rng():
        torch.rand(5)
    assert torch.equal(torch.rand(2), a)
    state = torch.random.get_rng_state()
    x = torch.rand(3)
    torch.set_rng_state(state)
    assert torch.equal(torch.rand(3), x) and isinstance(torch.seed(), int)


def test_functional_extras():
    x = torch.arange(6.0).view(1, 6, 1)
    assert F.channel_shuffle(x, 3).flatten().tolist() == [0.0, 2.0, 4.0, 1.0, 3.0, 5.0]
    assert nn.ChannelShuffle(2)(torch.arange(4.0).view(1, 4, 1)).flatten().tolist() == [0.0, 2.0, 1.0, 3.0]
    with pytest.raises(RuntimeError, match="Number of channels must be divisible by groups. Got 3 channels and 2"):
        F.channel_shuffle(torch.ones(1, 3, 2), 2)
    pts = np.array([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0], [1.0, -2.0]])
    t = torch.tensor(pts, requires_grad=True)
    ref = [np.linalg.norm(pts[i] - pts[j], p) for p in (2,) for i in range(4) for j in range(i + 1, 4)]
    np.testing.assert_allclose(F.pdist(t).detach().numpy(), ref)
    np.testing.assert_allclose(F.pdist(t, 1).detach().numpy(),
                               [np.abs(pts[i] - pts[j]).sum() for i in range(4) for j in range(i + 1, 4)])
    F.pdist(t).sum().backward()
    grad = sum(((pts[i] - pts[j]) / np.linalg.norm(pts[i] - pts[j]))[None] * ((np.arange(4) == i)[:, None] * 1.0
               - (np.arange(4) == j)[:, None]) for i in range(4) for j in range(i + 1, 4))
    np.testing.assert_allclose(t.grad.numpy(), grad, rtol=1e-10)
    img = np.arange(16.0).reshape(1, 1, 4, 4)
    ref = np.sqrt((img.reshape(2, 2, 2, 2).transpose(0, 2, 1, 3) ** 2).sum((2, 3)))[None, None]
    np.testing.assert_allclose(F.lp_pool2d(torch.tensor(img), 2, 2).numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(nn.LPPool1d(1, 2)(torch.arange(6.0).view(1, 1, 6) - 2).numpy(), [[[-3.0, 1.0, 5.0]]])
    assert repr(nn.LPPool2d(2, 3)) == "LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)"
    assert repr(nn.RReLU()) == "RReLU(lower=0.125, upper=0.3333333333333333)"
    np.testing.assert_allclose(nn.RReLU().eval()(torch.tensor([-3.0, 2.0])).numpy(), [-3 * (1 / 8 + 1 / 3) / 2, 2.0])
    torch.manual_seed(0)
    r = F.rrelu(-torch.ones(10000), training=True)
    assert -1 / 3 <= r.min() and r.max() <= -1 / 8 and abs(r.mean().item() + (1 / 8 + 1 / 3) / 2) < 0.01
    g = F.gumbel_softmax(torch.zeros(1000, 4), tau=0.5)
    assert torch.allclose(g.sum(1), torch.ones(1000)) and (g >= 0).all()
    logits = torch.tensor([[0.0, 0.0, 5.0]] * 1000, requires_grad=True)
    h = F.gumbel_softmax(logits, hard=True)
    assert set(h.sum(1).tolist()) == {1.0} and set(h.flatten().tolist()) == {0.0, 1.0}
    assert (h.argmax(1) == 2).float().mean() > 0.9
    h[:, 2].sum().backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0
    with pytest.warns(UserWarning, match="`nn.functional.upsample_bilinear` is deprecated"):
        up = F.upsample_bilinear(torch.arange(4.0).view(1, 1, 2, 2), scale_factor=2)
    assert up[0, 0, 0].tolist() == pytest.approx([0.0, 1 / 3, 2 / 3, 1.0])
    with pytest.warns(UserWarning, match="`nn.functional.upsample_nearest` is deprecated"):
        assert F.upsample_nearest(torch.ones(1, 1, 2, 2), size=3).shape == (1, 1, 3, 3)


def test_combinations_vander_asarray_frombuffer():
    x = torch.tensor([1, 2, 3])
    assert torch.combinations(x).tolist() == [[1, 2], [1, 3], [2, 3]]
    assert torch.combinations(x, with_replacement=True).tolist() == [[1, 1], [1, 2], [1, 3], [2, 2], [2, 3], [3, 3]]
    assert torch.combinations(x, r=4).shape == (0, 4) and torch.combinations(x, r=0).shape == (0,)
    with pytest.raises(RuntimeError, match=r"Expect a 1D vector, but got shape \[2, 2\]"):
        torch.combinations(torch.ones(2, 2))
    w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    torch.combinations(w).prod(1).sum().backward()
    assert w.grad.tolist() == [5.0, 4.0, 3.0]
    np.testing.assert_array_equal(torch.vander(x).numpy(), np.vander([1, 2, 3]))
    np.testing.assert_array_equal(torch.vander(x, N=4, increasing=True).numpy(), np.vander([1, 2, 3], 4, True))
    buf = bytearray(np.array([1, 2], np.int32).tobytes())
    t = torch.frombuffer(buf, dtype=torch.int32)
    buf[0] = 9
    assert t.tolist() == [9, 2] and torch.frombuffer(buf, dtype=torch.int32, count=1, offset=4).tolist() == [2]
    a = np.arange(3.0)
    shared, copied = torch.asarray(a), torch.asarray(a, copy=True)
    a[0] = 7
    assert shared.tolist() == [7.0, 1.0, 2.0] and copied.tolist() == [0.0, 1.0, 2.0]
    o = torch.ones(2)
    assert torch.asarray(o) is o and torch.asarray(o, copy=True) is not o
    assert torch.asarray([1, 2]).dtype == torch.int64 and torch.asarray(a, dtype=torch.float32).dtype == torch.float32
