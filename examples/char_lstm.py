"""Character-level LSTM language model, written as a PyTorch user would (`import tinygrad_ext as torch`).

The text is made by the example: sentences "<subject> <verb> <object>." drawn from small word lists, so
the best possible loss is known (about 0.2 nats per character: the word choices are the only surprise).
An Embedding -> 2-layer LSTM -> Linear model learns to predict the next character with Adam.

    python examples/char_lstm.py            # 300 steps of 48 characters: loss 0.28 nats/char (~1 CPU minute)
    python examples/char_lstm.py --short    # 60 steps of 32 characters: loss below 1.0 (what the tests run)

It prints the loss every 20 steps ("step N loss X"), the final loss ("final loss X") and a sample of text
generated from the trained model.
"""
import argparse

import numpy as np
import tinygrad_ext as torch
import tinygrad_ext.nn as nn
import tinygrad_ext.nn.functional as F

SUBJECTS = ["the cat", "a dog", "the old man", "my sister", "the bird", "a child", "the teacher", "our king"]
VERBS = ["sees", "likes", "finds", "follows", "paints", "hears", "wants", "keeps"]
OBJECTS = ["the moon", "a red ball", "the river", "an apple", "the garden", "a small boat", "the door", "a song"]


def make_text(n_sentences, rng):
    return " ".join(f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}." for _ in range(n_sentences))


class CharLSTM(nn.Module):
    def __init__(self, vocab_size, embed_dim=32, hidden_size=128, num_layers=2):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, state=None):
        out, state = self.lstm(self.embed(x), state)
        return self.head(out), state


def sample(model, stoi, itos, prompt, length, temperature=0.5):
    """Generates `length` characters after `prompt`, one step at a time, carrying the LSTM state."""
    model.eval()
    out = prompt
    with torch.no_grad():
        logits, state = model(torch.tensor([[stoi[c] for c in prompt]]))
        for _ in range(length):
            probs = F.softmax(logits[0, -1] / temperature, dim=0).numpy().astype(np.float64)
            idx = int(np.random.choice(len(probs), p=probs / probs.sum()))
            out += itos[idx]
            logits, state = model(torch.tensor([[idx]]), state)
    model.train()
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--short", action="store_true", help="60 steps of 32 characters (the test suite's setting)")
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--seq-len", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-2)
    args = p.parse_args()
    steps = args.steps or (60 if args.short else 300)
    seq_len = args.seq_len or (32 if args.short else 48)

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    text = make_text(2000, rng)
    chars = sorted(set(text))
    stoi, itos = {c: i for i, c in enumerate(chars)}, dict(enumerate(chars))
    data = np.array([stoi[c] for c in text], dtype=np.int64)
    print(f"text: {len(text)} characters, vocabulary of {len(chars)}")

    model = CharLSTM(len(chars))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    running = None
    for step in range(1, steps + 1):
        starts = rng.integers(0, len(data) - seq_len - 1, size=args.batch_size)
        batch = np.stack([data[s:s + seq_len + 1] for s in starts])
        x, y = torch.from_numpy(batch[:, :-1]), torch.from_numpy(batch[:, 1:])
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, len(chars)), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        running = loss.item() if running is None else 0.9 * running + 0.1 * loss.item()
        if step % 20 == 0:
            print(f"step {step} loss {running:.4f}")
    print(f"final loss {running:.4f}")
    print("sample:", sample(model, stoi, itos, "the ", 80))


if __name__ == "__main__":
    main()
