"""A small Transformer encoder classifier on synthetic sequences, written as a PyTorch user would
(`import tinygrad_ext as torch`).

The data is made by the example: sequences of 24 tokens from a vocabulary of 12, labelled by which of the
four "marker" tokens 0..3 occurs most often (sequences with a tie are redrawn). The answer depends on the
whole sequence, which self-attention sees at once.
Model: token + learned position embeddings -> nn.TransformerEncoder (2 pre-norm layers, d_model 32, 4 heads,
batch_first) -> mean over positions -> Linear(4). AdamW, cross-entropy.

    python examples/transformer_classifier.py           # 400 steps: loss 0.0004, held-out accuracy 100%
    python examples/transformer_classifier.py --short   # 120 steps: loss below 0.1, accuracy above 95% (the tests)

It prints the training loss every 20 steps ("step N loss X"), then "final loss X" and "test accuracy X".
"""
import argparse

import numpy as np
import tinygrad_ext as torch
import tinygrad_ext.nn as nn
import tinygrad_ext.nn.functional as F

VOCAB, SEQ_LEN, CLASSES = 12, 24, 4


def make_data(n, rng):
    """n sequences whose label (the most frequent marker token) is unique."""
    xs, ys = [], []
    while len(xs) < n:
        x = rng.integers(0, VOCAB, size=SEQ_LEN)
        counts = np.bincount(x, minlength=VOCAB)[:CLASSES]
        if (counts == counts.max()).sum() == 1:
            xs.append(x)
            ys.append(int(counts.argmax()))
    return torch.from_numpy(np.stack(xs)), torch.tensor(ys)


class TransformerClassifier(nn.Module):
    def __init__(self, d_model=32, nhead=4, num_layers=2, dim_feedforward=64):
        super().__init__()
        self.tokens = nn.Embedding(VOCAB, d_model)
        self.positions = nn.Parameter(torch.randn(SEQ_LEN, d_model) * 0.02)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout=0.0, batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, norm=nn.LayerNorm(d_model),
                                             enable_nested_tensor=False)
        self.head = nn.Linear(d_model, CLASSES)

    def forward(self, x):
        h = self.encoder(self.tokens(x) + self.positions)
        return self.head(h.mean(1))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--short", action="store_true", help="120 steps (the test suite's setting)")
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    args = p.parse_args()
    steps = args.steps or (120 if args.short else 400)

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x_train, y_train = make_data(4096, rng)
    x_test, y_test = make_data(1024, rng)
    model = TransformerClassifier()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    running = None
    for step in range(1, steps + 1):
        idx = torch.from_numpy(rng.integers(0, len(x_train), size=args.batch_size))
        loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running = loss.item() if running is None else 0.9 * running + 0.1 * loss.item()
        if step % 20 == 0:
            print(f"step {step} loss {running:.4f}")
    model.eval()
    with torch.no_grad():
        accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    print(f"final loss {running:.4f}")
    print(f"test accuracy {accuracy:.4f}")


if __name__ == "__main__":
    main()
