"""The blitz's CIFAR-10 classifier (examples/cifar10_tutorial.py's Net), trained data-parallel.

    mpirun -n 2 python examples/ddp_cifar10.py
    python -m tinygrad_ext.distributed.run --nproc-per-node 2 examples/ddp_cifar10.py

Each rank reads its share of every epoch through DistributedSampler (the same shuffled order on every rank,
set_epoch for a new one each epoch), the model is wrapped in DistributedDataParallel, and --batch-size is the
global batch: each of the N ranks takes batch_size / N samples per step, so with the tutorial's settings the
run makes the same optimizer steps on the same global batches as the single-process tutorial and reaches its
accuracy. The test set is split between the ranks and the correct counts are summed with all_reduce; rank 0
prints and saves the checkpoint (OUT/ddp_checkpoint.pt), which every rank then loads to check it.

Data: CIFAR-10 when its python batches are in ./data/cifar-10-batches-py, else scikit-learn's digits as 32x32
RGB images (as the tutorial)."""
import argparse
import os
import time

import tinygrad_ext as torch
import tinygrad_ext.distributed as dist
import tinygrad_ext.nn as nn
import tinygrad_ext.optim as optim
import tinygrad_ext.vision as torchvision
import tinygrad_ext.vision.transforms as transforms
from cifar10_tutorial import Net, cifar_present
from tinygrad_ext.nn.parallel import DistributedDataParallel as DDP
from tinygrad_ext.utils.data.distributed import DistributedSampler

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default="./data")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=4, help="global batch (split evenly between the ranks)")
    p.add_argument("--lr", type=float, default=0.002)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--subset", type=int, default=0, help="use only the first N training and N//4 test images")
    p.add_argument("--out", default=os.path.join(HERE, "out"))
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.batch_size % world:
        raise SystemExit(f"--batch-size {args.batch_size} must be a multiple of the {world} ranks")
    t0 = time.perf_counter()

    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    if cifar_present(args.data):
        trainset = torchvision.datasets.CIFAR10(root=args.data, train=True, transform=transform)
        testset = torchvision.datasets.CIFAR10(root=args.data, train=False, transform=transform)
    else:
        trainset = torchvision.datasets.Digits(train=True, as_cifar=True, transform=transform)
        testset = torchvision.datasets.Digits(train=False, as_cifar=True, transform=transform)
    if args.subset:
        trainset = torch.utils.data.Subset(trainset, range(min(args.subset, len(trainset))))
        testset = torch.utils.data.Subset(testset, range(min(max(args.subset // 4, 1), len(testset))))
    sampler = DistributedSampler(trainset, seed=args.seed)
    trainloader = torch.utils.data.DataLoader(trainset, batch_size=args.batch_size // world, sampler=sampler)
    my_test = torch.utils.data.Subset(testset, range(rank, len(testset), world))  # every test image once
    testloader = torch.utils.data.DataLoader(my_test, batch_size=64)

    torch.manual_seed(args.seed)
    model = DDP(Net())  # rank 0's initial parameters, broadcast to every rank
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        running, steps = 0.0, 0
        for inputs, labels in trainloader:
            optimizer.zero_grad()
            loss = criterion(model(inputs), labels)
            loss.backward()  # the gradients are averaged over the ranks when this returns
            optimizer.step()
            running += loss.item()
            steps += 1
        mean = torch.tensor([running / max(steps, 1)])
        dist.all_reduce(mean, op=dist.ReduceOp.AVG)
        if rank == 0:
            print(f"epoch {epoch + 1}: loss {mean.item():.3f} ({steps} steps per rank)", flush=True)

    counts = torch.zeros(2, dtype=torch.int64)
    with torch.no_grad():
        for images, labels in testloader:
            predicted = model(images).argmax(1)
            counts += torch.tensor([int((predicted == labels).sum()), labels.size(0)])
    dist.all_reduce(counts)
    correct, total = counts.tolist()

    path = os.path.join(args.out, "ddp_checkpoint.pt")
    if rank == 0:
        os.makedirs(args.out, exist_ok=True)
        torch.save(model.module.state_dict(), path)
    dist.barrier()
    check = Net()
    check.load_state_dict(torch.load(path))
    same = all(bool((a == b).all()) for a, b in zip(check.parameters(), model.module.parameters()))
    if rank == 0:
        print(f"Accuracy of the network on the {total} test images: {100 * correct / total:.1f} %")
        print(f"{world} ranks, {time.perf_counter() - t0:.1f} s; checkpoint {path} loaded on every rank: "
              f"{'identical' if same else 'DIFFERENT'}")
    dist.destroy_process_group()
    return correct / total


if __name__ == "__main__":
    main()
