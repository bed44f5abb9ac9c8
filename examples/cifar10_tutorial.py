"""Training a classifier: the 60-minute blitz's CIFAR-10 tutorial ("训练一个分类器"), run on tinygrad_ext.

The blitz code is kept as written (the data pipeline, imshow/make_grid, the Net, CrossEntropyLoss, SGD with
momentum 0.9, the loop printing every 2000 mini-batches, overall and per-class test accuracy). Around it:

  * data: CIFAR-10 when its python batches are in ./data/cifar-10-batches-py (or --data DIR); otherwise
    scikit-learn's handwritten digits presented as 32x32 RGB images (vision.datasets.Digits(as_cifar=True)),
    which ship offline, so the blitz's network and transforms apply unchanged;
  * a tqdm progress bar per epoch (plain prints without tqdm);
  * the loss curve saved as a PNG (matplotlib, Agg backend; skipped without matplotlib), and a few
    training images as a grid (the blitz's imshow);
  * a checkpoint after every epoch (torch.save: model and optimizer state_dicts, epoch, the shuffling
    generator's state, the loss curve); --resume continues from it and ends with parameters bitwise
    identical to an uninterrupted run.

    python examples/cifar10_tutorial.py                  # digits: ~97% held-out accuracy, well under 2 min
    python examples/cifar10_tutorial.py --epochs 2       # stop early ...
    python examples/cifar10_tutorial.py --resume         # ... and finish the run from the checkpoint

Defaults, chosen for the digits: 10 epochs of the blitz's batch_size=4 and momentum 0.9 with lr=0.002 (the
blitz's 0.001 needs more epochs on 1438 images); held-out accuracy 96-99% over seeds 0-3, about 17 s of CPU.
For CIFAR-10 pass the blitz's own settings: --epochs 2 --lr 0.001.
"""

import argparse
import os
import sys
import time

import numpy as np
import tinygrad_ext as torch
import tinygrad_ext.nn as nn
import tinygrad_ext.nn.functional as F
import tinygrad_ext.optim as optim
import tinygrad_ext.vision as torchvision
import tinygrad_ext.vision.transforms as transforms

HERE = os.path.dirname(os.path.abspath(__file__))


# ------------------------------------------------------------------------------------- the blitz's Net
class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 5 * 5)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


# ------------------------------------------------------------------------------------ optional extras
try:
    from tqdm import tqdm
except ImportError:  # plain iteration; the per-epoch summary line is printed anyway
    def tqdm(iterable, **kwargs):
        return iterable

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None


def imshow(img, path):
    """The blitz's imshow, writing a PNG instead of showing a window."""
    if plt is None:
        return
    img = img / 2 + 0.5  # unnormalize
    npimg = img.numpy()
    plt.figure(figsize=(6, 2))
    plt.imshow(np.transpose(npimg, (1, 2, 0)))
    plt.axis("off")
    plt.savefig(path, bbox_inches="tight")
    plt.close()


def save_loss_curve(losses, batches_per_epoch, path, title):
    if plt is None:
        return False
    losses = np.asarray(losses, dtype=np.float64)
    window = max(1, min(50, batches_per_epoch // 4))
    steps = np.arange(1, len(losses) + 1) / batches_per_epoch
    smooth = np.convolve(losses, np.ones(window) / window, mode="valid") if len(losses) >= window else losses
    plt.figure(figsize=(7, 4))
    plt.plot(steps, losses, color="0.8", linewidth=0.5, label="mini-batch loss")
    plt.plot(steps[window - 1:] if len(losses) >= window else steps, smooth, color="C0",
             label=f"mean of {window} mini-batches")
    plt.xlabel("epoch")
    plt.ylabel("cross-entropy loss")
    plt.title(title)
    plt.legend()
    plt.grid(alpha=0.3)
    plt.savefig(path, dpi=100, bbox_inches="tight")
    plt.close()
    return True


# ------------------------------------------------------------------------------------------- the run
def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default="./data", help="folder holding cifar-10-batches-py (default ./data)")
    p.add_argument("--dataset", choices=("auto", "cifar10", "digits"), default="auto",
                   help="auto: CIFAR-10 when its files are in --data, else the digits")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--lr", type=float, default=0.002)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--num-workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None, help="cpu or cuda[:N] (default: the blitz's choice, cuda:0 when "
                   "available, else cpu)")
    p.add_argument("--subset", type=int, default=0, help="use only the first N training and N//4 test images")
    p.add_argument("--print-every", type=int, default=2000, help="mini-batches between loss prints (blitz: 2000)")
    p.add_argument("--out", default=os.path.join(HERE, "out"), help="folder for loss.png, samples.png")
    p.add_argument("--checkpoint", default=None, help="checkpoint file (default OUT/checkpoint.pt)")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint if it exists")
    p.add_argument("--no-progress", action="store_true", help="no tqdm progress bar")
    p.add_argument("--amp", action="store_true", help="mixed precision: autocast (bfloat16 on the CPU, float16 on "
                   "a GPU) with a GradScaler on a GPU")
    return p.parse_args(argv)


def cifar_present(root):
    folder = os.path.join(root, "cifar-10-batches-py")
    return all(os.path.isfile(os.path.join(folder, f)) for f in
               ["data_batch_%d" % i for i in range(1, 6)] + ["test_batch", "batches.meta"])


def main(argv=None):
    args = parse_args(argv)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    os.makedirs(args.out, exist_ok=True)
    ckpt_path = args.checkpoint or os.path.join(args.out, "checkpoint.pt")
    use_cifar = args.dataset == "cifar10" or (args.dataset == "auto" and cifar_present(args.data))

    # 1. Load and normalize the data ---------------------------------------------------------------
    transform = transforms.Compose([transforms.ToTensor(),
                                    transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
                                    ])
    if use_cifar:
        trainset = torchvision.datasets.CIFAR10(root=args.data, train=True, download=True, transform=transform)
        testset = torchvision.datasets.CIFAR10(root=args.data, train=False, download=True, transform=transform)
        classes = ('plane', 'car', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck')
        name = "CIFAR-10"
    else:
        trainset = torchvision.datasets.Digits(train=True, as_cifar=True, transform=transform)
        testset = torchvision.datasets.Digits(train=False, as_cifar=True, transform=transform)
        classes = tuple(trainset.classes)
        name = "digits (8x8 upsampled to 32x32x3)"
    if args.subset:
        trainset = torch.utils.data.Subset(trainset, range(min(args.subset, len(trainset))))
        testset = torch.utils.data.Subset(testset, range(min(max(args.subset // 4, 1), len(testset))))

    # The shuffling order comes from its own generator, whose state goes into the checkpoint.
    g = torch.Generator()
    g.manual_seed(args.seed)
    trainloader = torch.utils.data.DataLoader(trainset, batch_size=args.batch_size,
                                              shuffle=True, num_workers=args.num_workers, generator=g)
    testloader = torch.utils.data.DataLoader(testset, batch_size=args.batch_size,
                                             shuffle=False, num_workers=args.num_workers)
    print(f"{name}: {len(trainset)} training and {len(testset)} test images, {len(trainloader)} mini-batches "
          f"of {args.batch_size} per epoch")

    # show some training images (written to OUT/samples.png)
    sample_loader = torch.utils.data.DataLoader(trainset, batch_size=args.batch_size, shuffle=False)
    dataiter = iter(sample_loader)
    images, labels = next(dataiter)
    imshow(torchvision.utils.make_grid(images), os.path.join(args.out, "samples.png"))
    print(' '.join('%5s' % classes[labels[j]] for j in range(labels.size(0))))

    # 2. Define a Convolutional Neural Network; 3. a loss function and optimizer -----------------
    torch.manual_seed(args.seed)
    # Training on GPU (the blitz): the net and every batch go to the device
    device = torch.device(args.device or ("cuda:0" if torch.cuda.is_available() else "cpu"))
    print(device)
    net = Net()
    net.to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=args.lr, momentum=args.momentum)
    # --amp: the forward pass in lower precision; float16 gradients need loss scaling (a no-op when disabled)
    scaler = torch.amp.GradScaler(device.type, enabled=args.amp and device.type == "cuda")

    start_epoch, losses = 0, []
    config = {"dataset": "cifar10" if use_cifar else "digits", "batch_size": args.batch_size, "lr": args.lr,
              "momentum": args.momentum, "seed": args.seed, "subset": args.subset, "amp": args.amp}
    if args.resume and os.path.exists(ckpt_path):
        ckpt = torch.load(ckpt_path)
        if ckpt["config"] != config:
            sys.exit(f"--resume: {ckpt_path} was written with {ckpt['config']}, this run is {config}")
        net.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        g.set_state(ckpt["generator"])
        start_epoch = ckpt["epoch"]
        losses = ckpt["losses"].tolist()
        print(f"resumed from {ckpt_path} after epoch {start_epoch}")
    elif args.resume:
        print(f"no checkpoint at {ckpt_path}: starting from scratch")

    # 4. Train the network -------------------------------------------------------------------------
    for epoch in range(start_epoch, args.epochs):  # loop over the dataset multiple times
        # NOTE: the global stream is re-seeded per epoch: the core cannot report its position, so this is
        # what lets a resumed run reproduce anything drawn from it (random transforms, dropout).
        torch.manual_seed(args.seed * 1000003 + epoch + 1)
        running_loss = 0.0
        epoch_loss, epoch_start = 0.0, len(losses)
        bar = tqdm(trainloader, desc=f"epoch {epoch + 1}/{args.epochs}", leave=False, dynamic_ncols=True,
                   disable=args.no_progress or None)
        for i, data in enumerate(bar, 0):
            # get the inputs; data is a list of [inputs, labels]
            inputs, labels = data[0].to(device), data[1].to(device)

            # zero the parameter gradients
            optimizer.zero_grad()

            # forward + backward + optimize
            with torch.autocast(device.type, enabled=args.amp):
                outputs = net(inputs)
                loss = criterion(outputs, labels)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()

            # print statistics
            value = loss.item()
            losses.append(value)
            running_loss += value
            epoch_loss += value
            if hasattr(bar, "set_postfix") and i % 20 == 19:
                bar.set_postfix(loss=f"{epoch_loss / (i + 1):.3f}")
            if i % args.print_every == args.print_every - 1:  # print every 2000 mini-batches
                msg = '[%d, %5d] loss: %.3f' % (epoch + 1, i + 1, running_loss / args.print_every)
                (bar.write if hasattr(bar, "write") else print)(msg)
                running_loss = 0.0
        n = len(losses) - epoch_start
        print('epoch %d: mean loss %.3f over %d mini-batches (%.1f s)' %
              (epoch + 1, epoch_loss / max(n, 1), n, time.perf_counter() - wall0))
        torch.save({"epoch": epoch + 1, "model": net.state_dict(), "optimizer": optimizer.state_dict(),
                    "generator": g.get_state(), "losses": torch.tensor(losses, dtype=torch.float64),
                    "config": config}, ckpt_path)
    print('Finished Training')

    if losses and save_loss_curve(losses, len(trainloader), os.path.join(args.out, "loss.png"),
                                  f"Training loss, {name}"):
        print(f"loss curve: {os.path.join(args.out, 'loss.png')}")

    # 5. Test the network on the test data ------------------------------------------------------
    dataiter = iter(testloader)
    images, labels = next(dataiter)
    print('GroundTruth: ', ' '.join('%5s' % classes[labels[j]] for j in range(labels.size(0))))
    outputs = net(images.to(device))
    _, predicted = torch.max(outputs, 1)
    print('Predicted: ', ' '.join('%5s' % classes[predicted[j]] for j in range(labels.size(0))))
    del dataiter

    correct = 0
    total = 0
    # since we're not training, we don't need to calculate the gradients for our outputs
    with torch.no_grad():
        for data in testloader:
            images, labels = data[0].to(device), data[1].to(device)
            # calculate outputs by running images through the network
            with torch.autocast(device.type, enabled=args.amp):
                outputs = net(images)
            # the class with the highest energy is what we choose as prediction
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()

    print('Accuracy of the network on the %d test images: %d %%' % (total, 100 * correct / total))

    # what are the classes that performed well, and the classes that did not?
    class_correct = list(0. for i in range(10))
    class_total = list(0. for i in range(10))
    with torch.no_grad():
        for data in testloader:
            images, labels = data[0].to(device), data[1].to(device)
            outputs = net(images)
            _, predicted = torch.max(outputs, 1)
            c = (predicted == labels).squeeze(0) if labels.size(0) == 1 else (predicted == labels).squeeze()
            for i in range(labels.size(0)):
                label = labels[i]
                class_correct[label] += c[i].item()
                class_total[label] += 1

    for i in range(10):
        if class_total[i]:
            print('Accuracy of %5s : %2d %%' % (classes[i], 100 * class_correct[i] / class_total[i]))

    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    children = os.times()
    print('accuracy %.4f (%d/%d); wall %.1f s, CPU %.1f s in the main process + %.1f s in data workers' %
          (correct / total, correct, total, wall, cpu, children.children_user + children.children_system))
    return {"accuracy": correct / total, "losses": losses, "wall": wall, "cpu": cpu, "net": net,
            "checkpoint": ckpt_path}


if __name__ == "__main__":
    main()
