"""The model code of PyTorch's intermediate tutorials and classic example scripts, on small synthetic data:
char-RNN name classification and generation, seq2seq with Bahdanau attention, the nn.Transformer language
model, DCGAN, the VAE example, EmbeddingBag text classification, and the MNIST / word language model /
time-sequence-prediction examples. Each tutorial is written once, as a function of the `torch` module it
runs on. Without PyTorch each is checked on its own (the printed modules as torch prints them, float64
numpy references of the key formulas, the loss going down); with PyTorch importable, torch runs it first,
its initial weights are copied over and both must print the same things and reach the same losses after
a few steps (float32 tolerance)."""
import collections
import importlib
import itertools
import math
import re
import string
import warnings

import numpy as np
import pytest
import tinygrad_ext as torch

try:
    import torch as real_torch
    real_torch.set_num_threads(1)  # (its small ops are slower with threads on a shared machine)
except ImportError:
    real_torch = None

needs_torch = pytest.mark.skipif(real_torch is None, reason="torch is not installed")


def snapshot(model):
    return {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}


def load(model, state, torch):
    """model's state_dict set to `state` (numpy arrays) when given; returns the state it starts from."""
    if state is not None:
        model.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    return snapshot(model)


class Run:
    """What one run of a tutorial leaves: its initial weights, the numbers it reached, what it printed."""

    def __init__(self, torch):
        self.torch, self.state, self.numbers, self.printed = torch, None, [], []
        torch.manual_seed(0)  # the same random weights and draws whatever ran before (the checks assume a fair start)

    def print(self, *args):
        self.printed.append(" ".join(str(a) for a in args))


def same_as_torch(tutorial):
    """tutorial run by torch, then by us from torch's initial weights: same printout, same numbers."""
    ref = tutorial(Run(real_torch))
    ours = tutorial(Run(torch), ref.state)
    for a, b in zip(ours.printed, ref.printed):
        assert a == b
    assert len(ours.printed) == len(ref.printed)
    np.testing.assert_allclose(np.asarray(ours.numbers, np.float64), np.asarray(ref.numbers, np.float64),
                               rtol=2e-4, atol=2e-5)
    return ours


# ---------------------------------------------------------------- 1. NLP from scratch: classifying names
ALL_LETTERS = string.ascii_letters + " .,;'"
N_LETTERS = len(ALL_LETTERS)
NAMES = [("Smith", 0), ("Dubois", 1), ("Rossi", 2), ("Jones", 0), ("Martin", 1), ("Bianchi", 2)]


def classify_names(run, state=None, lr=0.005, data=NAMES * 2):
    torch = run.torch
    nn = torch.nn

    def letterToTensor(letter):
        tensor = torch.zeros(1, N_LETTERS)
        tensor[0][ALL_LETTERS.find(letter)] = 1
        return tensor

    def lineToTensor(line):
        tensor = torch.zeros(len(line), 1, N_LETTERS)
        for li, letter in enumerate(line):
            tensor[li][0][ALL_LETTERS.find(letter)] = 1
        return tensor

    class RNN(nn.Module):
        def __init__(self, input_size, hidden_size, output_size):
            super(RNN, self).__init__()
            self.hidden_size = hidden_size
            self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
            self.h2o = nn.Linear(hidden_size, output_size)
            self.softmax = nn.LogSoftmax(dim=1)

        def forward(self, input, hidden):
            combined = torch.cat((input, hidden), 1)
            hidden = self.i2h(combined)
            output = self.h2o(hidden)
            output = self.softmax(output)
            return output, hidden

        def initHidden(self):
            return torch.zeros(1, self.hidden_size)

    run.print(letterToTensor("J"))
    run.print(lineToTensor("Jones").size())
    rnn = RNN(N_LETTERS, 16, 3)
    run.state, run.model, run.lineToTensor = load(rnn, state, torch), rnn, lineToTensor
    run.print(rnn)
    output, next_hidden = rnn(lineToTensor("Albert")[0], torch.zeros(1, 16))
    run.print(output)
    top_n, top_i = output.topk(1)
    run.print(top_n, top_i, top_i[0].item())
    criterion = nn.NLLLoss()
    for name, category in data:
        category_tensor = torch.tensor([category], dtype=torch.long)
        line_tensor = lineToTensor(name)
        hidden = rnn.initHidden()
        rnn.zero_grad()
        for i in range(line_tensor.size()[0]):
            output, hidden = rnn(line_tensor[i], hidden)
        loss = criterion(output, category_tensor)
        loss.backward()
        for p in rnn.parameters():
            p.data.add_(p.grad.data, alpha=-lr)
        run.numbers.append(loss.item())
    with torch.no_grad():
        hidden = rnn.initHidden()
        line_tensor = lineToTensor("Dubois")
        for i in range(line_tensor.size()[0]):
            output, hidden = rnn(line_tensor[i], hidden)
        topv, topi = output.topk(3, 1, True)
        run.print(topv, topi)
    return run


RNN_REPR = """RNN(
  (i2h): Linear(in_features=73, out_features=16, bias=True)
  (h2o): Linear(in_features=16, out_features=3, bias=True)
  (softmax): LogSoftmax(dim=1)
)"""


def test_classify_names():
    run = classify_names(Run(torch), data=NAMES[:1])
    assert run.printed[0].startswith("tensor([[0., 0.,") and run.printed[0].count("1.") == 1
    assert run.printed[1] == "torch.Size([5, 1, 57])"
    assert run.printed[2] == RNN_REPR
    assert run.printed[3].endswith("grad_fn=<LogSoftmaxBackward0>)")
    assert "grad_fn=<TopkBackward0>" in run.printed[4]
    # the float64 reference of the RNN over "Smith", from the weights it started with
    w = {k: v.astype(np.float64) for k, v in run.state.items()}
    hidden = np.zeros((1, 16))
    for ch in "Smith":
        x = np.zeros((1, N_LETTERS))
        x[0, ALL_LETTERS.find(ch)] = 1
        hidden = np.concatenate([x, hidden], 1) @ w["i2h.weight"].T + w["i2h.bias"]
    logits = hidden @ w["h2o.weight"].T + w["h2o.bias"]
    logp = logits - np.log(np.exp(logits - logits.max()).sum()) - logits.max()
    assert run.numbers[0] == pytest.approx(-logp[0, 0], rel=1e-5)
    # the manual SGD step (p.data.add_(p.grad.data, alpha=-lr)) learns the name
    losses = classify_names(Run(torch), data=[("Smith", 0)] * 15, lr=0.05).numbers
    assert losses[-1] < 0.5 * losses[0]


@needs_torch
def test_classify_names_same_as_torch():
    same_as_torch(classify_names)


# ---------------------------------------------------------------- 2. NLP from scratch: generating names
GEN_LETTERS = string.ascii_letters + " .,;'-"
GEN_N = len(GEN_LETTERS) + 1  # + EOS
CATEGORIES = ["English", "French"]


def generate_names(run, state=None, lines=(("English", "Smith"), ("French", "Dubois"), ("English", "Jones")),
                   learning_rate=0.0005):
    torch = run.torch
    nn = torch.nn

    class RNN(nn.Module):
        def __init__(self, input_size, hidden_size, output_size):
            super(RNN, self).__init__()
            self.hidden_size = hidden_size
            self.i2h = nn.Linear(len(CATEGORIES) + input_size + hidden_size, hidden_size)
            self.i2o = nn.Linear(len(CATEGORIES) + input_size + hidden_size, output_size)
            self.o2o = nn.Linear(hidden_size + output_size, output_size)
            self.dropout = nn.Dropout(0.1)
            self.softmax = nn.LogSoftmax(dim=1)

        def forward(self, category, input, hidden):
            input_combined = torch.cat((category, input, hidden), 1)
            hidden = self.i2h(input_combined)
            output = self.i2o(input_combined)
            output_combined = torch.cat((hidden, output), 1)
            output = self.o2o(output_combined)
            output = self.dropout(output)
            output = self.softmax(output)
            return output, hidden

        def initHidden(self):
            return torch.zeros(1, self.hidden_size)

    def categoryTensor(category):
        tensor = torch.zeros(1, len(CATEGORIES))
        tensor[0][CATEGORIES.index(category)] = 1
        return tensor

    def inputTensor(line):
        tensor = torch.zeros(len(line), 1, GEN_N)
        for li in range(len(line)):
            tensor[li][0][GEN_LETTERS.find(line[li])] = 1
        return tensor

    def targetTensor(line):
        letter_indexes = [GEN_LETTERS.find(line[li]) for li in range(1, len(line))]
        letter_indexes.append(GEN_N - 1)
        return torch.LongTensor(letter_indexes)

    rnn = RNN(GEN_N, 32, GEN_N)
    run.state = load(rnn, state, torch)
    run.print(rnn)
    rnn.dropout.p = 0.0  # (deterministic for the comparison)
    criterion = nn.NLLLoss()
    for category, line in lines:
        category_tensor, input_line_tensor = categoryTensor(category), inputTensor(line)
        target_line_tensor = targetTensor(line)
        target_line_tensor.unsqueeze_(-1)
        hidden = rnn.initHidden()
        rnn.zero_grad()
        loss = torch.Tensor([0])
        for i in range(input_line_tensor.size(0)):
            output, hidden = rnn(category_tensor, input_line_tensor[i], hidden)
            loss += criterion(output, target_line_tensor[i])
        loss.backward()
        for p in rnn.parameters():
            p.data.add_(p.grad.data, alpha=-learning_rate)
        run.numbers.append(loss.item() / input_line_tensor.size(0))
    run.print(loss)
    with torch.no_grad():  # sampling
        category_tensor, input, hidden, output_name = categoryTensor("French"), inputTensor("D"), rnn.initHidden(), "D"
        for i in range(10):
            output, hidden = rnn(category_tensor, input[0], hidden)
            topv, topi = output.topk(1)
            topi = topi[0][0]
            if topi == GEN_N - 1:
                break
            letter = GEN_LETTERS[topi]
            output_name += letter
            input = inputTensor(letter)
    run.print(output_name)
    return run


def test_generate_names():
    run = generate_names(Run(torch), lines=[("French", "Dubois")] * 12, learning_rate=0.05)
    assert run.printed[0] == """RNN(
  (i2h): Linear(in_features=93, out_features=32, bias=True)
  (i2o): Linear(in_features=93, out_features=59, bias=True)
  (o2o): Linear(in_features=91, out_features=59, bias=True)
  (dropout): Dropout(p=0.1, inplace=False)
  (softmax): LogSoftmax(dim=1)
)"""
    assert run.printed[1].startswith("tensor([") and run.printed[1].endswith("], grad_fn=<AddBackward0>)")
    assert min(run.numbers) < 0.6 * run.numbers[0]  # (at lr 0.05 the last steps oscillate, by the initial weights)
    assert run.printed[2].startswith("D") and set(run.printed[2]) <= set(GEN_LETTERS)


@needs_torch
def test_generate_names_same_as_torch():
    same_as_torch(generate_names)


# ---------------------------------------------------------------- 3. seq2seq translation with attention
SOS_token, EOS_token, MAX_LENGTH = 0, 1, 6
_rng = np.random.RandomState(0)
PAIRS = [(_rng.randint(2, 10, size=_rng.randint(2, 5)), _rng.randint(2, 12, size=_rng.randint(2, 5))) for _ in range(8)]


def translation(run, state=None, steps=4):
    torch = run.torch
    nn, F = torch.nn, torch.nn.functional

    class EncoderRNN(nn.Module):
        def __init__(self, input_size, hidden_size, dropout_p=0.1):
            super(EncoderRNN, self).__init__()
            self.hidden_size = hidden_size
            self.embedding = nn.Embedding(input_size, hidden_size)
            self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
            self.dropout = nn.Dropout(dropout_p)

        def forward(self, input):
            embedded = self.dropout(self.embedding(input))
            output, hidden = self.gru(embedded)
            return output, hidden

    class BahdanauAttention(nn.Module):
        def __init__(self, hidden_size):
            super(BahdanauAttention, self).__init__()
            self.Wa = nn.Linear(hidden_size, hidden_size)
            self.Ua = nn.Linear(hidden_size, hidden_size)
            self.Va = nn.Linear(hidden_size, 1)

        def forward(self, query, keys):
            scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))
            scores = scores.squeeze(2).unsqueeze(1)
            weights = F.softmax(scores, dim=-1)
            context = torch.bmm(weights, keys)
            return context, weights

    class AttnDecoderRNN(nn.Module):
        def __init__(self, hidden_size, output_size, dropout_p=0.1):
            super(AttnDecoderRNN, self).__init__()
            self.embedding = nn.Embedding(output_size, hidden_size)
            self.attention = BahdanauAttention(hidden_size)
            self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
            self.out = nn.Linear(hidden_size, output_size)
            self.dropout = nn.Dropout(dropout_p)

        def forward(self, encoder_outputs, encoder_hidden, target_tensor=None):
            batch_size = encoder_outputs.size(0)
            decoder_input = torch.empty(batch_size, 1, dtype=torch.long).fill_(SOS_token)
            decoder_hidden = encoder_hidden
            decoder_outputs, attentions = [], []
            for i in range(MAX_LENGTH):
                decoder_output, decoder_hidden, attn_weights = self.forward_step(
                    decoder_input, decoder_hidden, encoder_outputs)
                decoder_outputs.append(decoder_output)
                attentions.append(attn_weights)
                if target_tensor is not None:
                    decoder_input = target_tensor[:, i].unsqueeze(1)  # teacher forcing
                else:
                    _, topi = decoder_output.topk(1)
                    decoder_input = topi.squeeze(-1).detach()
            decoder_outputs = torch.cat(decoder_outputs, dim=1)
            decoder_outputs = F.log_softmax(decoder_outputs, dim=-1)
            attentions = torch.cat(attentions, dim=1)
            return decoder_outputs, decoder_hidden, attentions

        def forward_step(self, input, hidden, encoder_outputs):
            embedded = self.dropout(self.embedding(input))
            query = hidden.permute(1, 0, 2)
            context, attn_weights = self.attention(query, encoder_outputs)
            input_gru = torch.cat((embedded, context), dim=2)
            output, hidden = self.gru(input_gru, hidden)
            output = self.out(output)
            return output, hidden, attn_weights

    class DecoderRNN(nn.Module):  # the tutorial's earlier one-token-at-a-time decoder
        def __init__(self, hidden_size, output_size):
            super(DecoderRNN, self).__init__()
            self.hidden_size = hidden_size
            self.embedding = nn.Embedding(output_size, hidden_size)
            self.gru = nn.GRU(hidden_size, hidden_size)
            self.out = nn.Linear(hidden_size, output_size)
            self.softmax = nn.LogSoftmax(dim=1)

        def forward(self, input, hidden):
            output = self.embedding(input).view(1, 1, -1)
            output = F.relu(output)
            output, hidden = self.gru(output, hidden)
            output = self.softmax(self.out(output[0]))
            return output, hidden

        def initHidden(self):
            return torch.zeros(1, 1, self.hidden_size)

    encoder, decoder = EncoderRNN(10, 16, dropout_p=0.0), AttnDecoderRNN(16, 12, dropout_p=0.0)
    decoder1 = DecoderRNN(16, 12)
    state = state or {}
    run.state = {name: load(m, state.get(name), torch)
                 for name, m in (("encoder", encoder), ("decoder", decoder), ("decoder1", decoder1))}
    run.print(encoder)
    run.print(decoder)
    run.print(decoder1)
    input_ids = np.zeros((len(PAIRS), MAX_LENGTH), dtype=np.int32)
    target_ids = np.zeros((len(PAIRS), MAX_LENGTH), dtype=np.int32)
    for idx, (inp, tgt) in enumerate(PAIRS):
        input_ids[idx, :len(inp) + 1] = list(inp) + [EOS_token]
        target_ids[idx, :len(tgt) + 1] = list(tgt) + [EOS_token]
    input_tensor, target_tensor = torch.LongTensor(input_ids), torch.LongTensor(target_ids)
    encoder_optimizer = torch.optim.Adam(encoder.parameters(), lr=0.01)
    decoder_optimizer = torch.optim.Adam(decoder.parameters(), lr=0.01)
    criterion = nn.NLLLoss()
    for _ in range(steps):
        encoder_optimizer.zero_grad()
        decoder_optimizer.zero_grad()
        encoder_outputs, encoder_hidden = encoder(input_tensor)
        decoder_outputs, _, _ = decoder(encoder_outputs, encoder_hidden, target_tensor)
        loss = criterion(decoder_outputs.view(-1, decoder_outputs.size(-1)), target_tensor.view(-1))
        loss.backward()
        encoder_optimizer.step()
        decoder_optimizer.step()
        run.numbers.append(loss.item())
    with torch.no_grad():  # evaluate
        input_tensor = torch.tensor([3, 4, 5, EOS_token], dtype=torch.long).view(1, -1)
        encoder_outputs, encoder_hidden = encoder(input_tensor)
        decoder_outputs, decoder_hidden, decoder_attn = decoder(encoder_outputs, encoder_hidden)
        _, topi = decoder_outputs.topk(1)
        decoded_ids = topi.squeeze()
        run.print(decoded_ids, decoder_attn.shape)
        run.decoded = [idx.item() for idx in decoded_ids]
        run.attention = decoder_attn.numpy()
    # the earlier tutorial's loop: a token at a time, the decoder's own guess as the next input
    optimizer = torch.optim.SGD(decoder1.parameters(), lr=0.01)
    target = torch.tensor([3, 5, 7, EOS_token], dtype=torch.long).view(-1, 1)
    hidden, loss, decoder_input = decoder1.initHidden(), 0, torch.tensor([[SOS_token]])
    for di in range(target.size(0)):
        decoder_output, hidden = decoder1(decoder_input, hidden)
        topv, topi = decoder_output.topk(1)
        decoder_input = topi.squeeze().detach()
        loss += criterion(decoder_output, target[di])
        if decoder_input.item() == EOS_token:
            break
    loss.backward()
    optimizer.step()
    run.numbers.append(loss.item() / target.size(0))
    run.print(loss)
    return run


def test_translation():
    run = translation(Run(torch), steps=12)
    assert run.printed[0] == """EncoderRNN(
  (embedding): Embedding(10, 16)
  (gru): GRU(16, 16, batch_first=True)
  (dropout): Dropout(p=0.0, inplace=False)
)"""
    assert ("\n  (attention): BahdanauAttention(\n    (Wa): Linear(in_features=16, out_features=16, bias=True)"
            in run.printed[1])
    assert "(gru): GRU(32, 16, batch_first=True)" in run.printed[1] and "(gru): GRU(16, 16)\n" in run.printed[2]
    assert run.printed[3].endswith("torch.Size([1, 6, 4])") and len(run.decoded) == MAX_LENGTH
    np.testing.assert_allclose(run.attention.sum(-1), 1, rtol=1e-5)  # softmax over the source positions
    assert run.numbers[11] < 0.8 * run.numbers[0]
    assert run.printed[4].startswith("tensor(") and run.printed[4].endswith("grad_fn=<AddBackward0>)")


@needs_torch
def test_translation_same_as_torch():
    run = same_as_torch(translation)
    assert run.decoded == translation(Run(real_torch), run.state).decoded


# ---------------------------------------------------------------- 4. language modelling with nn.Transformer
TOKENS = np.random.RandomState(0).randint(0, 20, size=200)


def transformer_lm(run, state=None, batches=4, lr=5.0, stride=5):
    torch = run.torch
    nn = torch.nn

    class PositionalEncoding(nn.Module):
        def __init__(self, d_model, dropout=0.1, max_len=5000):
            super().__init__()
            self.dropout = nn.Dropout(p=dropout)
            position = torch.arange(max_len).unsqueeze(1)
            div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
            pe = torch.zeros(max_len, 1, d_model)
            pe[:, 0, 0::2] = torch.sin(position * div_term)
            pe[:, 0, 1::2] = torch.cos(position * div_term)
            self.register_buffer('pe', pe)

        def forward(self, x):
            x = x + self.pe[:x.size(0)]
            return self.dropout(x)

    class TransformerModel(nn.Module):
        def __init__(self, ntoken, d_model, nhead, d_hid, nlayers, dropout=0.5):
            super().__init__()
            self.model_type = 'Transformer'
            self.pos_encoder = PositionalEncoding(d_model, dropout)
            encoder_layers = nn.TransformerEncoderLayer(d_model, nhead, d_hid, dropout)
            self.transformer_encoder = nn.TransformerEncoder(encoder_layers, nlayers, enable_nested_tensor=False)
            self.embedding = nn.Embedding(ntoken, d_model)
            self.d_model = d_model
            self.linear = nn.Linear(d_model, ntoken)
            self.init_weights()

        def init_weights(self):
            initrange = 0.1
            self.embedding.weight.data.uniform_(-initrange, initrange)
            self.linear.bias.data.zero_()
            self.linear.weight.data.uniform_(-initrange, initrange)

        def forward(self, src, src_mask=None):
            src = self.embedding(src) * math.sqrt(self.d_model)
            src = self.pos_encoder(src)
            if src_mask is None:
                src_mask = nn.Transformer.generate_square_subsequent_mask(len(src))
            output = self.transformer_encoder(src, src_mask)
            output = self.linear(output)
            return output

    def batchify(data, bsz):
        seq_len = data.size(0) // bsz
        data = data[:seq_len * bsz]
        data = data.view(bsz, seq_len).t().contiguous()
        return data

    def get_batch(source, i, bptt=5):
        seq_len = min(bptt, len(source) - 1 - i)
        data = source[i:i + seq_len]
        target = source[i + 1:i + 1 + seq_len].reshape(-1)
        return data, target

    model = TransformerModel(20, 16, 2, 32, 2, dropout=0.0)
    run.state, run.pe = load(model, state, torch), model.pos_encoder.pe.numpy()
    assert "pe" not in run.state or run.state["pe"].shape == (5000, 1, 16)
    run.print(model)
    run.print(nn.Transformer.generate_square_subsequent_mask(3))
    run.print(model.pos_encoder.pe.shape, model.pos_encoder.pe.dtype, model.pos_encoder.pe[3, 0, :4])
    run.print(torch.arange(0, 16, 2).dtype, (torch.arange(0, 16, 2) * (-math.log(10000.0) / 16)).dtype)
    train_data = batchify(torch.tensor(TOKENS, dtype=torch.long), 4)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.95)
    model.train()
    for batch in range(batches):
        data, targets = get_batch(train_data, batch * stride % 45)
        output = model(data)
        loss = criterion(output.view(-1, 20), targets)
        optimizer.zero_grad()
        loss.backward()
        run.numbers.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)))
        optimizer.step()
        run.numbers.append(loss.item())
        scheduler.step()
    run.print(scheduler.get_last_lr())
    model.eval()
    with torch.no_grad():
        data, targets = get_batch(train_data, 0)
        run.eval_loss = criterion(model(data).view(-1, 20), targets).item()
    run.numbers.append(run.eval_loss)
    return run


def test_transformer_lm():
    run = transformer_lm(Run(torch), batches=2)
    assert "\n    (layers): ModuleList(\n      (0-1): 2 x TransformerEncoderLayer(\n" in run.printed[0]
    assert "(out_proj): NonDynamicallyQuantizableLinear(in_features=16, out_features=16, bias=True)" in run.printed[0]
    assert run.printed[1] == "tensor([[0., -inf, -inf],\n        [0., 0., -inf],\n        [0., 0., 0.]])"
    assert run.printed[2] == "torch.Size([5000, 1, 16]) torch.float32 tensor([ 0.1411, -0.9900,  0.8126,  0.5828])"
    assert run.printed[3] == "torch.int64 torch.float32"
    assert run.printed[4] == str([5.0 * 0.95 ** 2])
    position = np.arange(5000)[:, None]
    div_term = np.exp(np.arange(0, 16, 2) * (-math.log(10000.0) / 16))
    np.testing.assert_allclose(run.pe[:, 0, 0::2], np.sin(position * div_term), atol=2e-4)
    np.testing.assert_allclose(run.pe[:, 0, 1::2], np.cos(position * div_term), atol=2e-4)
    # clip_grad_norm_ returns the norm before clipping, a float tensor
    assert all(n > 0 and math.isfinite(n) for n in run.numbers[0:-1:2])
    # the same batch again and again: it learns it
    losses = transformer_lm(Run(torch), batches=20, lr=1.0, stride=0).numbers[1:-1:2]
    assert losses[-1] < 0.8 * losses[0]


@needs_torch
def test_transformer_lm_same_as_torch():
    same_as_torch(transformer_lm)


# ---------------------------------------------------------------- 5. DCGAN
NZ, NGF, NDF, NC = 8, 4, 4, 3
_rng = np.random.RandomState(1)
REALS = [_rng.uniform(-1, 1, size=(4, NC, 16, 16)).astype(np.float32) for _ in range(3)]
NOISES = [_rng.randn(4, NZ, 1, 1).astype(np.float32) for _ in range(3)]


def dcgan(run, state=None):
    torch = run.torch
    nn = torch.nn

    def weights_init(m):
        classname = m.__class__.__name__
        if classname.find('Conv') != -1:
            nn.init.normal_(m.weight.data, 0.0, 0.02)
        elif classname.find('BatchNorm') != -1:
            nn.init.normal_(m.weight.data, 1.0, 0.02)
            nn.init.constant_(m.bias.data, 0)

    class Generator(nn.Module):
        def __init__(self, ngpu):
            super(Generator, self).__init__()
            self.ngpu = ngpu
            self.main = nn.Sequential(
                nn.ConvTranspose2d(NZ, NGF * 8, 4, 1, 0, bias=False),
                nn.BatchNorm2d(NGF * 8),
                nn.ReLU(True),
                nn.ConvTranspose2d(NGF * 8, NGF * 4, 4, 2, 1, bias=False),
                nn.BatchNorm2d(NGF * 4),
                nn.ReLU(True),
                nn.ConvTranspose2d(NGF * 4, NC, 4, 2, 1, bias=False),
                nn.Tanh())

        def forward(self, input):
            return self.main(input)

    class Discriminator(nn.Module):
        def __init__(self, ngpu):
            super(Discriminator, self).__init__()
            self.ngpu = ngpu
            self.main = nn.Sequential(
                nn.Conv2d(NC, NDF, 4, 2, 1, bias=False),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(NDF, NDF * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(NDF * 2),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(NDF * 2, 1, 4, 1, 0, bias=False),
                nn.Sigmoid())

        def forward(self, input):
            return self.main(input)

    device = torch.device("cuda:0" if (torch.cuda.is_available() and 0 > 0) else "cpu")
    netG = Generator(0).to(device)
    netG.apply(weights_init)
    netD = Discriminator(0).to(device)
    netD.apply(weights_init)
    run.weights = [m.weight.detach().numpy().copy() for m in netG.modules() if isinstance(m, nn.ConvTranspose2d)]
    run.bn_weight = netG.main[1].weight.detach().numpy().copy()
    state = state or {}
    run.state = {"G": load(netG, state.get("G"), torch), "D": load(netD, state.get("D"), torch)}
    run.print(netG)
    run.print(netD)
    criterion = nn.BCELoss()
    real_label, fake_label = 1., 0.
    optimizerD = torch.optim.Adam(netD.parameters(), lr=0.0002, betas=(0.5, 0.999))
    optimizerG = torch.optim.Adam(netG.parameters(), lr=0.0002, betas=(0.5, 0.999))
    for i, (real, noise) in enumerate(zip(REALS, NOISES)):
        netD.zero_grad()
        real_cpu = torch.from_numpy(real).to(device)
        b_size = real_cpu.size(0)
        label = torch.full((b_size,), real_label, dtype=torch.float, device=device)
        output = netD(real_cpu).view(-1)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()
        run.first_d = getattr(run, "first_d", None) or (output.detach().numpy().astype(np.float64), errD_real.item())
        fake = netG(torch.from_numpy(noise))
        label.fill_(fake_label)
        output = netD(fake.detach()).view(-1)
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        optimizerD.step()
        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake).view(-1)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        optimizerG.step()
        run.numbers += [errD.item(), errG.item(), D_x, D_G_z1, D_G_z2]
        run.print('[%d/%d]\tLoss_D: %.4f\tLoss_G: %.4f\tD(x): %.4f\tD(G(z)): %.4f / %.4f'
                  % (i, 3, errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))
    run.print(label, label.dtype, fake.shape)
    with torch.no_grad():
        fake = netG(torch.from_numpy(NOISES[0])).detach().cpu()
    run.fake = fake.numpy()
    bn = netD.main[3]
    run.numbers += list(run.fake.ravel()[::37]) + list(bn.running_mean.numpy()) + list(bn.running_var.numpy())
    run.numbers.append(bn.num_batches_tracked.item())
    return run


def test_dcgan():
    run = dcgan(Run(torch))
    assert run.printed[0].startswith("Generator(\n  (main): Sequential(\n"
                                     "    (0): ConvTranspose2d(8, 32, kernel_size=(4, 4), stride=(1, 1), bias=False)\n"
                                     "    (1): BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                                     "track_running_stats=True)\n    (2): ReLU(inplace=True)\n")
    assert "(1): LeakyReLU(negative_slope=0.2, inplace=True)" in run.printed[1]
    assert "(6): Sigmoid()" in run.printed[1]
    # weights_init through model.apply: N(0, 0.02) convolutions, N(1, 0.02) batch-norm scales
    conv = np.concatenate([w.ravel() for w in run.weights])
    assert abs(conv.mean()) < 0.002 and 0.018 < conv.std() < 0.022
    assert abs(run.bn_weight.mean() - 1) < 0.02 and run.bn_weight.std() < 0.04
    assert run.printed[5] == "tensor([1., 1., 1., 1.]) torch.float32 torch.Size([4, 3, 16, 16])"
    assert run.fake.shape == (4, 3, 16, 16) and np.abs(run.fake).max() <= 1
    assert run.numbers[-1] == 9  # num_batches_tracked: three discriminator passes a step
    # BCELoss of the first discriminator step on real images (label 1): mean -log D(x)
    d_x, errD_real = run.first_d
    assert errD_real == pytest.approx(-np.log(d_x).mean(), rel=1e-5) and run.numbers[2] == pytest.approx(d_x.mean())
    assert all(math.isfinite(v) for v in run.numbers)


@needs_torch
def test_dcgan_same_as_torch():
    same_as_torch(dcgan)


# ---------------------------------------------------------------- 6. VAE example
_rng = np.random.RandomState(2)
IMAGES = [_rng.uniform(0, 1, size=(8, 1, 28, 28)).astype(np.float32) for _ in range(3)]


def vae(run, state=None):
    torch = run.torch
    nn, F = torch.nn, torch.nn.functional

    class VAE(nn.Module):
        def __init__(self):
            super(VAE, self).__init__()
            self.fc1 = nn.Linear(784, 40)
            self.fc21 = nn.Linear(40, 8)
            self.fc22 = nn.Linear(40, 8)
            self.fc3 = nn.Linear(8, 40)
            self.fc4 = nn.Linear(40, 784)

        def encode(self, x):
            h1 = F.relu(self.fc1(x))
            return self.fc21(h1), self.fc22(h1)

        def reparameterize(self, mu, logvar):
            std = torch.exp(0.5 * logvar)
            eps = torch.randn_like(std)
            return mu + eps * std

        def decode(self, z):
            h3 = F.relu(self.fc3(z))
            return torch.sigmoid(self.fc4(h3))

        def forward(self, x):
            mu, logvar = self.encode(x.view(-1, 784))
            z = self.reparameterize(mu, logvar)
            return self.decode(z), mu, logvar

    def loss_function(recon_x, x, mu, logvar):
        BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction='sum')
        KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return BCE + KLD

    model = VAE()
    run.state = load(model, state, torch)
    run.print(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    eps = torch.full((8, 8), 0.1)  # (the tutorial's randn_like noise, fixed for the comparison)
    for data in IMAGES:
        data = torch.from_numpy(data)
        optimizer.zero_grad()
        mu, logvar = model.encode(data.view(-1, 784))
        recon_batch = model.decode(mu + eps * torch.exp(0.5 * logvar))
        loss = loss_function(recon_batch, data, mu, logvar)
        if not run.numbers:
            run.first = [t.detach().numpy().astype(np.float64) for t in (recon_batch, mu, logvar)]
        loss.backward()
        optimizer.step()
        run.numbers.append(loss.item() / len(data))
        recon_batch, mu, logvar = model(data)  # the tutorial's own forward, random noise
        run.print(recon_batch.shape, mu.shape, logvar.shape, recon_batch.dtype)
    model.eval()
    with torch.no_grad():
        sample = model.decode(torch.randn(4, 8)).cpu()
        run.print(sample.view(4, 1, 28, 28).shape)
        run.sample = sample.numpy()
    return run


def test_vae():
    run = vae(Run(torch))
    assert run.printed[0] == """VAE(
  (fc1): Linear(in_features=784, out_features=40, bias=True)
  (fc21): Linear(in_features=40, out_features=8, bias=True)
  (fc22): Linear(in_features=40, out_features=8, bias=True)
  (fc3): Linear(in_features=8, out_features=40, bias=True)
  (fc4): Linear(in_features=40, out_features=784, bias=True)
)"""
    assert run.printed[1] == "torch.Size([8, 784]) torch.Size([8, 8]) torch.Size([8, 8]) torch.float32"
    assert run.printed[-1] == "torch.Size([4, 1, 28, 28])" and ((run.sample > 0) & (run.sample < 1)).all()
    recon, mu, logvar = run.first
    x = IMAGES[0].reshape(-1, 784).astype(np.float64)
    bce = -(x * np.log(recon) + (1 - x) * np.log(1 - recon)).sum()
    kld = -0.5 * np.sum(1 + logvar - mu ** 2 - np.exp(logvar))
    assert run.numbers[0] == pytest.approx((bce + kld) / 8, rel=1e-5)
    assert run.numbers[-1] < run.numbers[0]


@needs_torch
def test_vae_same_as_torch():
    same_as_torch(vae)


# ---------------------------------------------------------------- 7. text classification with EmbeddingBag
_rng = np.random.RandomState(3)
TEXTS = [[(int(_rng.randint(4)), [int(v) for v in _rng.randint(0, 50, size=_rng.randint(1, 7))]) for _ in range(6)]
         for _ in range(4)]


def text_classification(run, state=None, batches=TEXTS):
    torch = run.torch
    nn = torch.nn

    class TextClassificationModel(nn.Module):
        def __init__(self, vocab_size, embed_dim, num_class):
            super(TextClassificationModel, self).__init__()
            self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
            self.fc = nn.Linear(embed_dim, num_class)
            self.init_weights()

        def init_weights(self):
            initrange = 0.5
            self.embedding.weight.data.uniform_(-initrange, initrange)
            self.fc.weight.data.uniform_(-initrange, initrange)
            self.fc.bias.data.zero_()

        def forward(self, text, offsets):
            embedded = self.embedding(text, offsets)
            return self.fc(embedded)

    def collate_batch(batch):
        label_list, text_list, offsets = [], [], [0]
        for _label, _text in batch:
            label_list.append(_label)
            processed_text = torch.tensor(_text, dtype=torch.int64)
            text_list.append(processed_text)
            offsets.append(processed_text.size(0))
        label_list = torch.tensor(label_list, dtype=torch.int64)
        offsets = torch.tensor(offsets[:-1]).cumsum(dim=0)
        text_list = torch.cat(text_list)
        return label_list, text_list, offsets

    model = TextClassificationModel(50, 16, 4)
    run.state = load(model, state, torch)
    run.print(model)
    dataloader = torch.utils.data.DataLoader(batches[0], batch_size=6, shuffle=False, collate_fn=collate_batch)
    run.print(*next(iter(dataloader)))
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=5)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.1)
    total_acc, total_count = 0, 0
    model.train()
    for batch in batches:
        label, text, offsets = collate_batch(batch)
        optimizer.zero_grad()
        predicted_label = model(text, offsets)
        loss = criterion(predicted_label, label)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        optimizer.step()
        total_acc += (predicted_label.argmax(1) == label).sum().item()
        total_count += label.size(0)
        run.numbers.append(loss.item())
    scheduler.step()
    run.print(total_acc / total_count, scheduler.get_last_lr())
    model.eval()
    with torch.no_grad():
        output = model(torch.tensor([1, 2, 3]), torch.tensor([0]))
        run.print(output.argmax(1).item() + 1)
        run.bag = model.embedding(torch.tensor([1, 2, 3, 7]), torch.tensor([0, 3])).numpy()
        run.weight = model.embedding.weight.detach().numpy()
    run.numbers += list(output.numpy().ravel())
    return run


def test_text_classification():
    run = text_classification(Run(torch))
    assert run.printed[0] == """TextClassificationModel(
  (embedding): EmbeddingBag(50, 16, mode='mean')
  (fc): Linear(in_features=16, out_features=4, bias=True)
)"""
    labels, text, offsets = ([b[0] for b in TEXTS[0]], sum((b[1] for b in TEXTS[0]), []),
                             np.cumsum([0] + [len(b[1]) for b in TEXTS[0]][:-1]))
    assert run.printed[1] == " ".join(str(torch.tensor(v)) for v in (labels, text, offsets.tolist()))
    assert str(torch.tensor(offsets.tolist())).startswith("tensor([ 0,")
    np.testing.assert_allclose(run.bag, np.stack([run.weight[[1, 2, 3]].mean(0), run.weight[7]]), rtol=1e-6)
    losses = text_classification(Run(torch), batches=[TEXTS[0]] * 8).numbers
    assert losses[7] < losses[0]


@needs_torch
def test_text_classification_same_as_torch():
    same_as_torch(text_classification)


# ---------------------------------------------------------------- 8. spatial transformer networks
_rng = np.random.RandomState(5)
MNIST_LIKE = [(_rng.rand(4, 1, 28, 28).astype(np.float32), _rng.randint(0, 10, size=4)) for _ in range(3)]


def spatial_transformer(run, state=None):
    torch = run.torch
    nn, F = torch.nn, torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
            self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
            self.conv2_drop = nn.Dropout2d()
            self.fc1 = nn.Linear(320, 50)
            self.fc2 = nn.Linear(50, 10)
            self.localization = nn.Sequential(
                nn.Conv2d(1, 8, kernel_size=7),
                nn.MaxPool2d(2, stride=2),
                nn.ReLU(True),
                nn.Conv2d(8, 10, kernel_size=5),
                nn.MaxPool2d(2, stride=2),
                nn.ReLU(True)
            )
            self.fc_loc = nn.Sequential(
                nn.Linear(10 * 3 * 3, 32),
                nn.ReLU(True),
                nn.Linear(32, 3 * 2)
            )
            self.fc_loc[2].weight.data.zero_()
            self.fc_loc[2].bias.data.copy_(torch.tensor([1, 0, 0, 0, 1, 0], dtype=torch.float))

        def stn(self, x):
            xs = self.localization(x)
            xs = xs.view(-1, 10 * 3 * 3)
            theta = self.fc_loc(xs)
            theta = theta.view(-1, 2, 3)
            grid = F.affine_grid(theta, x.size())
            x = F.grid_sample(x, grid)
            return x

        def forward(self, x):
            x = self.stn(x)
            x = F.relu(F.max_pool2d(self.conv1(x), 2))
            x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
            x = x.view(-1, 320)
            x = F.relu(self.fc1(x))
            x = F.dropout(x, training=self.training)
            x = self.fc2(x)
            return F.log_softmax(x, dim=1)

    model = Net()
    run.state = load(model, state, torch)
    run.print(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    model.eval()  # (the tutorial trains in train mode; dropout off here so that both libraries draw nothing)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        for data, target in MNIST_LIKE:
            data, target = torch.from_numpy(data), torch.from_numpy(target)
            optimizer.zero_grad()
            output = model(data)
            loss = F.nll_loss(output, target)
            loss.backward()
            optimizer.step()
            run.numbers.append(loss.item())
        with torch.no_grad():
            data = torch.from_numpy(MNIST_LIKE[0][0])
            transformed = model.stn(data).cpu()
    run.transformed, run.data = transformed.numpy(), data.numpy()
    run.numbers += list(run.transformed.ravel()[::41]) + list(model.fc_loc[2].bias.detach().numpy())
    return run


def test_spatial_transformer():
    run = spatial_transformer(Run(torch))
    assert "  (conv2_drop): Dropout2d(p=0.5, inplace=False)\n" in run.printed[0]
    assert ("  (localization): Sequential(\n    (0): Conv2d(1, 8, kernel_size=(7, 7), stride=(1, 1))\n"
            "    (1): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n") in run.printed[0]
    assert all(math.isfinite(v) for v in run.numbers)
    bias = np.asarray(run.numbers[-6:])
    assert np.abs(bias - [1, 0, 0, 0, 1, 0]).max() > 0  # the localization head learned through grid_sample
    assert np.abs(bias - [1, 0, 0, 0, 1, 0]).max() < 0.5 and run.transformed.shape == (4, 1, 28, 28)


@needs_torch
def test_spatial_transformer_same_as_torch():
    same_as_torch(spatial_transformer)


# ---------------------------------------------------------------- classic examples: mnist, word LM, LBFGS
_rng = np.random.RandomState(4)
DIGITS = [(_rng.randn(4, 1, 12, 12).astype(np.float32), _rng.randint(0, 10, size=4)) for _ in range(2)]
CORPUS = _rng.randint(0, 30, size=(12, 3))
WAVE = np.sin(np.arange(10)[None, :] / 3.0 + _rng.randint(-4, 4, size=(3, 1)))


def examples(run, state=None):
    torch = run.torch
    nn, F = torch.nn, torch.nn.functional

    class Net(nn.Module):  # examples/mnist, smaller
        def __init__(self):
            super(Net, self).__init__()
            self.conv1 = nn.Conv2d(1, 4, 3, 1)
            self.conv2 = nn.Conv2d(4, 8, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(8 * 4 * 4, 16)
            self.fc2 = nn.Linear(16, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = self.dropout2(x)
            x = self.fc2(x)
            return F.log_softmax(x, dim=1)

    class RNNModel(nn.Module):  # examples/word_language_model
        def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
            super(RNNModel, self).__init__()
            self.ntoken = ntoken
            self.drop = nn.Dropout(dropout)
            self.encoder = nn.Embedding(ntoken, ninp)
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
            self.decoder = nn.Linear(nhid, ntoken)
            if tie_weights:
                self.decoder.weight = self.encoder.weight
            self.init_weights()
            self.rnn_type, self.nhid, self.nlayers = rnn_type, nhid, nlayers

        def init_weights(self):
            initrange = 0.1
            nn.init.uniform_(self.encoder.weight, -initrange, initrange)
            nn.init.zeros_(self.decoder.bias)
            nn.init.uniform_(self.decoder.weight, -initrange, initrange)

        def forward(self, input, hidden):
            emb = self.drop(self.encoder(input))
            output, hidden = self.rnn(emb, hidden)
            output = self.drop(output)
            decoded = self.decoder(output).view(-1, self.ntoken)
            return F.log_softmax(decoded, dim=1), hidden

        def init_hidden(self, bsz):
            weight = next(self.parameters())
            if self.rnn_type == 'LSTM':
                return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))
            return weight.new_zeros(self.nlayers, bsz, self.nhid)

    def repackage_hidden(h):
        if isinstance(h, torch.Tensor):
            return h.detach()
        return tuple(repackage_hidden(v) for v in h)

    class Sequence(nn.Module):  # examples/time_sequence_prediction
        def __init__(self):
            super(Sequence, self).__init__()
            self.lstm1 = nn.LSTMCell(1, 12)
            self.lstm2 = nn.LSTMCell(12, 12)
            self.linear = nn.Linear(12, 1)

        def forward(self, input, future=0):
            outputs = []
            h_t = torch.zeros(input.size(0), 12, dtype=torch.double)
            c_t = torch.zeros(input.size(0), 12, dtype=torch.double)
            h_t2 = torch.zeros(input.size(0), 12, dtype=torch.double)
            c_t2 = torch.zeros(input.size(0), 12, dtype=torch.double)
            for input_t in input.split(1, dim=1):
                h_t, c_t = self.lstm1(input_t, (h_t, c_t))
                h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
                output = self.linear(h_t2)
                outputs += [output]
            for i in range(future):
                h_t, c_t = self.lstm1(output, (h_t, c_t))
                h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
                output = self.linear(h_t2)
                outputs += [output]
            return torch.cat(outputs, dim=1)

    net, lm, seq = Net(), RNNModel('LSTM', 30, 8, 8, 2, dropout=0.0, tie_weights=True), Sequence().double()
    state = state or {}
    run.state = {name: load(m, state.get(name), torch) for name, m in (("net", net), ("lm", lm), ("seq", seq))}
    run.print(net)
    run.print(lm)
    run.print(seq)
    net.dropout1.p = net.dropout2.p = 0.0
    optimizer = torch.optim.Adadelta(net.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    net.train()
    for data, target in DIGITS:
        data, target = torch.from_numpy(data), torch.from_numpy(target)
        optimizer.zero_grad()
        loss = F.nll_loss(net(data), target)
        loss.backward()
        optimizer.step()
        run.numbers.append(loss.item())
        scheduler.step()
    net.eval()
    with torch.no_grad():
        data, target = torch.from_numpy(DIGITS[0][0]), torch.from_numpy(DIGITS[0][1])
        output = net(data)
        test_loss = F.nll_loss(output, target, reduction='sum').item()
        pred = output.argmax(dim=1, keepdim=True)
        correct = pred.eq(target.view_as(pred)).sum().item()
    run.numbers += [test_loss, correct]
    run.print(pred.shape, pred.dtype, type(correct).__name__)
    data, hidden, criterion = torch.from_numpy(CORPUS), lm.init_hidden(3), nn.NLLLoss()
    lm.train()
    for i in range(0, 10, 5):
        d, targets = data[i:i + 5], data[i + 1:i + 6].reshape(-1)
        lm.zero_grad()
        hidden = repackage_hidden(hidden)
        output, hidden = lm(d, hidden)
        loss = criterion(output, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(lm.parameters(), 0.25)
        for p in lm.parameters():
            p.data.add_(p.grad, alpha=-20)
        run.numbers.append(loss.item())
    run.tied = lm.decoder.weight is lm.encoder.weight
    input, target = torch.from_numpy(WAVE[:, :-1]), torch.from_numpy(WAVE[:, 1:])
    criterion = nn.MSELoss()
    optimizer = torch.optim.LBFGS(seq.parameters(), lr=0.8, max_iter=4)  # (the example: 20 iterations)
    for i in range(2):
        def closure():
            optimizer.zero_grad()
            loss = criterion(seq(input), target)
            loss.backward()
            return loss
        run.numbers.append(optimizer.step(closure).item())
    with torch.no_grad():
        pred = seq(input[:1], future=3)
        run.print(pred.dtype, pred.shape)
    run.numbers += list(pred.numpy().ravel()[-3:])
    return run


def test_examples():
    run = examples(Run(torch))
    assert run.printed[0].startswith("Net(\n  (conv1): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1))\n")
    assert run.printed[1] == """RNNModel(
  (drop): Dropout(p=0.0, inplace=False)
  (encoder): Embedding(30, 8)
  (rnn): LSTM(8, 8, num_layers=2)
  (decoder): Linear(in_features=8, out_features=30, bias=True)
)"""
    assert run.printed[2] == """Sequence(
  (lstm1): LSTMCell(1, 12)
  (lstm2): LSTMCell(12, 12)
  (linear): Linear(in_features=12, out_features=1, bias=True)
)"""
    assert run.printed[3] == "torch.Size([4, 1]) torch.int64 int"
    assert run.printed[4] == "torch.float64 torch.Size([1, 12])"
    assert run.tied and "decoder.weight" in run.state["lm"]
    assert run.numbers[7] < run.numbers[6]  # LBFGS: the second step starts lower


@needs_torch
def test_examples_same_as_torch():
    same_as_torch(examples)


@pytest.mark.parametrize("expr, name", [
    ("x.topk(2)[0]", "TopkBackward0"), ("x.sort(1)[0]", "SortBackward0"), ("x.msort()", "SortBackward0"),
    ("x.kthvalue(2, 1)[0]", "KthvalueBackward0"), ("x.median(1)[0]", "MedianBackward1"),
    ("x.median()", "MedianBackward0"), ("x.nanmedian(1)[0]", "NanmedianBackward1"),
    ("x.nanmedian()", "NanmedianBackward0"), ("x.mode(1)[0]", "ModeBackward0"), ("x.cummax(1)[0]", "CummaxBackward0"),
    ("x.cummin(1)[0]", "CumminBackward0"), ("x[0, 0].topk(1)[0]", "TopkBackward0"),
    ("x.log_softmax(1)", "LogSoftmaxBackward0"), ("x.softmax(1)", "SoftmaxBackward0")])
def test_printed_grad_fn_names(expr, name):
    """The node names a printed tutorial tensor shows (`grad_fn=<TopkBackward0>`), torch's."""
    x = torch.randn(3, 4, requires_grad=True)
    out = eval(expr)  # noqa: S307 (a fixed table of expressions)
    assert out.grad_fn.name() == name and f"grad_fn=<{name}>" in repr(out)
    out.sum().backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0


# ---------------------------------------------------------------- 9. reinforcement learning (DQN)
Transition = collections.namedtuple("Transition", ("state", "action", "next_state", "reward"))
_rng = np.random.RandomState(6)
EPISODE = [(_rng.randn(4).astype(np.float32), None if i % 4 == 3 else _rng.randn(4).astype(np.float32),
            float(_rng.rand())) for i in range(12)]


def dqn(run, state=None):
    torch = run.torch
    nn, F = torch.nn, torch.nn.functional

    class DQN(nn.Module):
        def __init__(self, n_observations, n_actions):
            super(DQN, self).__init__()
            self.layer1 = nn.Linear(n_observations, 32)
            self.layer2 = nn.Linear(32, 32)
            self.layer3 = nn.Linear(32, n_actions)

        def forward(self, x):
            x = F.relu(self.layer1(x))
            x = F.relu(self.layer2(x))
            return self.layer3(x)

    device = torch.device("cuda" if torch.cuda.is_available() and False else "cpu")
    policy_net, target_net = DQN(4, 2).to(device), DQN(4, 2).to(device)
    run.state = load(policy_net, state, torch)
    target_net.load_state_dict(policy_net.state_dict())
    optimizer = torch.optim.AdamW(policy_net.parameters(), lr=1e-3, amsgrad=True)
    memory = collections.deque([], maxlen=100)
    for s, nxt, r in EPISODE:
        s = torch.tensor(s, dtype=torch.float32, device=device).unsqueeze(0)
        with torch.no_grad():
            action = policy_net(s).max(1).indices.view(1, 1)
        nxt = None if nxt is None else torch.tensor(nxt, dtype=torch.float32, device=device).unsqueeze(0)
        memory.append(Transition(s, action, nxt, torch.tensor([r], device=device)))
    GAMMA, TAU = 0.99, 0.005
    for step in range(3):
        batch = Transition(*zip(*list(memory)[step:step + 8]))
        non_final_mask = torch.tensor(tuple(map(lambda s: s is not None, batch.next_state)), device=device,
                                      dtype=torch.bool)
        non_final_next_states = torch.cat([s for s in batch.next_state if s is not None])
        state_batch, action_batch = torch.cat(batch.state), torch.cat(batch.action)
        reward_batch = torch.cat(batch.reward)
        state_action_values = policy_net(state_batch).gather(1, action_batch)
        next_state_values = torch.zeros(8, device=device)
        with torch.no_grad():
            next_state_values[non_final_mask] = target_net(non_final_next_states).max(1).values
        expected_state_action_values = (next_state_values * GAMMA) + reward_batch
        loss = nn.SmoothL1Loss()(state_action_values, expected_state_action_values.unsqueeze(1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
        optimizer.step()
        target_net_state_dict, policy_net_state_dict = target_net.state_dict(), policy_net.state_dict()
        for key in policy_net_state_dict:
            target_net_state_dict[key] = policy_net_state_dict[key] * TAU + target_net_state_dict[key] * (1 - TAU)
        target_net.load_state_dict(target_net_state_dict)
        run.numbers.append(loss.item())
        run.print(non_final_mask, action_batch.T)
    run.numbers += list(target_net.layer3.bias.detach().numpy())
    run.print(policy_net)
    return run


def test_dqn():
    run = dqn(Run(torch))
    assert run.printed[0].startswith("tensor([ True,  True,  True, False,  True,  True,  True, False]) tensor([[")
    assert run.printed[-1].startswith("DQN(\n  (layer1): Linear(in_features=4, out_features=32, bias=True)")
    assert all(math.isfinite(v) for v in run.numbers)


@needs_torch
def test_dqn_same_as_torch():
    same_as_torch(dqn)


# ---------------------------------------------------------------- 10. neural style transfer (a small CNN for VGG)
_rng = np.random.RandomState(7)
STYLE, CONTENT = (_rng.rand(1, 3, 8, 8).astype(np.float32) for _ in range(2))


def style_transfer(run, state=None):
    torch = run.torch
    nn, F = torch.nn, torch.nn.functional

    def gram_matrix(input):
        a, b, c, d = input.size()
        features = input.view(a * b, c * d)
        G = torch.mm(features, features.t())
        return G.div(a * b * c * d)

    class ContentLoss(nn.Module):
        def __init__(self, target,):
            super(ContentLoss, self).__init__()
            self.target = target.detach()

        def forward(self, input):
            self.loss = F.mse_loss(input, self.target)
            return input

    class StyleLoss(nn.Module):
        def __init__(self, target_feature):
            super(StyleLoss, self).__init__()
            self.target = gram_matrix(target_feature).detach()

        def forward(self, input):
            G = gram_matrix(input)
            self.loss = F.mse_loss(G, self.target)
            return input

    class Normalization(nn.Module):
        def __init__(self, mean, std):
            super(Normalization, self).__init__()
            self.mean = mean.clone().detach().view(-1, 1, 1)
            self.std = std.clone().detach().view(-1, 1, 1)

        def forward(self, img):
            return (img - self.mean) / self.std

    cnn = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Conv2d(4, 4, 3, padding=1), nn.ReLU())
    run.state = load(cnn, state, torch)
    cnn = cnn.eval()
    cnn.requires_grad_(False)
    style_img, content_img = torch.tensor(STYLE), torch.tensor(CONTENT)
    normalization = Normalization(torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225]))
    content_losses, style_losses = [], []
    model = nn.Sequential(normalization)
    i = 0
    for layer in cnn.children():
        if isinstance(layer, nn.Conv2d):
            i += 1
            name = 'conv_{}'.format(i)
        elif isinstance(layer, nn.ReLU):
            name = 'relu_{}'.format(i)
            layer = nn.ReLU(inplace=False)
        elif isinstance(layer, nn.MaxPool2d):
            name = 'pool_{}'.format(i)
        else:
            raise RuntimeError('Unrecognized layer: {}'.format(layer.__class__.__name__))
        model.add_module(name, layer)
        if name in ['conv_2']:
            content_loss = ContentLoss(model(content_img).detach())
            model.add_module("content_loss_{}".format(i), content_loss)
            content_losses.append(content_loss)
        if name in ['conv_1', 'conv_2', 'conv_3']:
            style_loss = StyleLoss(model(style_img).detach())
            model.add_module("style_loss_{}".format(i), style_loss)
            style_losses.append(style_loss)
    for i in range(len(model) - 1, -1, -1):
        if isinstance(model[i], ContentLoss) or isinstance(model[i], StyleLoss):
            break
    model = model[:(i + 1)]
    run.print(model)
    input_img = content_img.clone()
    input_img.requires_grad_(True)
    model.eval()
    model.requires_grad_(False)
    optimizer = torch.optim.LBFGS([input_img])
    steps = [0]
    while steps[0] <= 4:
        def closure():
            with torch.no_grad():
                input_img.clamp_(0, 1)
            optimizer.zero_grad()
            model(input_img)
            style_score = sum(sl.loss for sl in style_losses) * 1000000
            content_score = sum(cl.loss for cl in content_losses)
            loss = style_score + content_score
            loss.backward()
            steps[0] += 1
            run.numbers += [style_score.item(), content_score.item()]
            return style_score + content_score
        optimizer.step(closure)
    with torch.no_grad():
        input_img.clamp_(0, 1)
    run.image = input_img.detach().numpy()
    return run


def test_style_transfer():
    run = style_transfer(Run(torch))
    assert run.printed[0].startswith("Sequential(\n  (0): Normalization()\n  (conv_1): Conv2d(3, 4, "
                                     "kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
                                     "  (style_loss_1): StyleLoss()\n")
    assert run.printed[0].endswith("  (style_loss_3): StyleLoss()\n)")
    assert run.numbers[-2] < 0.1 * run.numbers[0]  # the style loss falls
    assert run.image.min() >= 0 and run.image.max() <= 1


@needs_torch
def test_style_transfer_same_as_torch():
    ref = style_transfer(Run(real_torch))
    ours = style_transfer(Run(torch), ref.state)
    assert ours.printed == ref.printed
    # LBFGS amplifies float32 rounding: the first evaluations agree closely, the image to the percent
    np.testing.assert_allclose(ours.numbers[:6], ref.numbers[:6], rtol=1e-4)
    np.testing.assert_allclose(ours.image, ref.image, atol=2e-2)


# ---------------------------------------------------------------- 11. language translation with nn.Transformer
PAD_IDX, BOS_IDX, EOS_IDX = 1, 2, 3
_rng = np.random.RandomState(8)
PAIRS_TR = [[([int(v) for v in _rng.randint(4, 20, _rng.randint(2, 6))],
              [int(v) for v in _rng.randint(4, 22, _rng.randint(2, 6))]) for _ in range(4)] for _ in range(3)]


def translation_transformer(run, state=None):
    torch = run.torch
    nn = torch.nn

    class PositionalEncoding(nn.Module):
        def __init__(self, emb_size, dropout, maxlen=5000):
            super(PositionalEncoding, self).__init__()
            den = torch.exp(- torch.arange(0, emb_size, 2) * math.log(10000) / emb_size)
            pos = torch.arange(0, maxlen).reshape(maxlen, 1)
            pos_embedding = torch.zeros((maxlen, emb_size))
            pos_embedding[:, 0::2] = torch.sin(pos * den)
            pos_embedding[:, 1::2] = torch.cos(pos * den)
            pos_embedding = pos_embedding.unsqueeze(-2)
            self.dropout = nn.Dropout(dropout)
            self.register_buffer('pos_embedding', pos_embedding)

        def forward(self, token_embedding):
            return self.dropout(token_embedding + self.pos_embedding[:token_embedding.size(0), :])

    class TokenEmbedding(nn.Module):
        def __init__(self, vocab_size, emb_size):
            super(TokenEmbedding, self).__init__()
            self.embedding = nn.Embedding(vocab_size, emb_size)
            self.emb_size = emb_size

        def forward(self, tokens):
            return self.embedding(tokens.long()) * math.sqrt(self.emb_size)

    class Seq2SeqTransformer(nn.Module):
        def __init__(self, num_encoder_layers, num_decoder_layers, emb_size, nhead, src_vocab_size, tgt_vocab_size,
                     dim_feedforward=512, dropout=0.1):
            super(Seq2SeqTransformer, self).__init__()
            self.transformer = nn.Transformer(d_model=emb_size, nhead=nhead, num_encoder_layers=num_encoder_layers,
                                              num_decoder_layers=num_decoder_layers, dim_feedforward=dim_feedforward,
                                              dropout=dropout)
            self.generator = nn.Linear(emb_size, tgt_vocab_size)
            self.src_tok_emb = TokenEmbedding(src_vocab_size, emb_size)
            self.tgt_tok_emb = TokenEmbedding(tgt_vocab_size, emb_size)
            self.positional_encoding = PositionalEncoding(emb_size, dropout=dropout)

        def forward(self, src, trg, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask, memory_key_padding_mask):
            src_emb = self.positional_encoding(self.src_tok_emb(src))
            tgt_emb = self.positional_encoding(self.tgt_tok_emb(trg))
            outs = self.transformer(src_emb, tgt_emb, src_mask, tgt_mask, None, src_padding_mask, tgt_padding_mask,
                                    memory_key_padding_mask)
            return self.generator(outs)

        def encode(self, src, src_mask):
            return self.transformer.encoder(self.positional_encoding(self.src_tok_emb(src)), src_mask)

        def decode(self, tgt, memory, tgt_mask):
            return self.transformer.decoder(self.positional_encoding(self.tgt_tok_emb(tgt)), memory, tgt_mask)

    def generate_square_subsequent_mask(sz):
        mask = (torch.triu(torch.ones((sz, sz))) == 1).transpose(0, 1)
        mask = mask.float().masked_fill(mask == 0, float('-inf')).masked_fill(mask == 1, float(0.0))
        return mask

    def create_mask(src, tgt):
        tgt_mask = generate_square_subsequent_mask(tgt.shape[0])
        src_mask = torch.zeros((src.shape[0], src.shape[0])).type(torch.bool)
        return src_mask, tgt_mask, (src == PAD_IDX).transpose(0, 1), (tgt == PAD_IDX).transpose(0, 1)

    def collate_fn(batch):
        src_batch, tgt_batch = [], []
        for src_sample, tgt_sample in batch:
            src_batch.append(torch.cat((torch.tensor([BOS_IDX]), torch.tensor(src_sample), torch.tensor([EOS_IDX]))))
            tgt_batch.append(torch.cat((torch.tensor([BOS_IDX]), torch.tensor(tgt_sample), torch.tensor([EOS_IDX]))))
        return (nn.utils.rnn.pad_sequence(src_batch, padding_value=PAD_IDX),
                nn.utils.rnn.pad_sequence(tgt_batch, padding_value=PAD_IDX))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (nested tensors; mismatched mask types)
        transformer = Seq2SeqTransformer(2, 2, 16, 2, 20, 22, 32, dropout=0.0)
        for p in transformer.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        run.state = load(transformer, state, torch)
        loss_fn = torch.nn.CrossEntropyLoss(ignore_index=PAD_IDX)
        optimizer = torch.optim.Adam(transformer.parameters(), lr=0.0001, betas=(0.9, 0.98), eps=1e-9)
        transformer.train()
        for batch in PAIRS_TR:
            src, tgt = collate_fn(batch)
            tgt_input = tgt[:-1, :]
            src_mask, tgt_mask, src_padding_mask, tgt_padding_mask = create_mask(src, tgt_input)
            logits = transformer(src, tgt_input, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask,
                                 src_padding_mask)
            optimizer.zero_grad()
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt[1:, :].reshape(-1))
            loss.backward()
            optimizer.step()
            run.numbers.append(loss.item())
            run.print(src.shape, tgt.shape, src_padding_mask.dtype)
        transformer.eval()
        src = torch.tensor([BOS_IDX, 5, 6, 7, EOS_IDX]).view(-1, 1)
        memory = transformer.encode(src, torch.zeros(5, 5).type(torch.bool))
        ys = torch.ones(1, 1).fill_(BOS_IDX).type(torch.long)
        for i in range(8):
            out = transformer.decode(ys, memory, generate_square_subsequent_mask(ys.size(0)).type(torch.bool))
            prob = transformer.generator(out.transpose(0, 1)[:, -1])
            _, next_word = torch.max(prob, dim=1)
            next_word = next_word.item()
            ys = torch.cat([ys, torch.ones(1, 1).type_as(src.data).fill_(next_word)], dim=0)
            if next_word == EOS_IDX:
                break
        run.print(ys.flatten(), generate_square_subsequent_mask(3))
        run.numbers += list(prob.detach().numpy().ravel())
    return run


def test_translation_transformer():
    run = translation_transformer(Run(torch))
    assert run.printed[0] == "torch.Size([7, 4]) torch.Size([7, 4]) torch.bool"
    assert re.match(r"tensor\(\[ ?2, ", run.printed[-1]) and run.printed[-1].endswith(
        "tensor([[0., -inf, -inf],\n        [0., 0., -inf],\n        [0., 0., 0.]])")
    assert all(math.isfinite(v) for v in run.numbers)


@needs_torch
def test_translation_transformer_same_as_torch():
    same_as_torch(translation_transformer)


def test_mismatched_mask_types_warn():
    mha = torch.nn.MultiheadAttention(4, 2)
    x = torch.randn(3, 2, 4)
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask is deprecated"):
        mha(x, x, x, key_padding_mask=torch.zeros(2, 3, dtype=torch.bool), attn_mask=torch.zeros(3, 3))


# ---------------------------------------------------------------- 12. chatbot (packed bi-GRU, Luong attention)
PAD_token, SOS_token, EOS_token = 0, 1, 2
_rng = np.random.RandomState(9)
CHAT_PAIRS = [([int(v) for v in _rng.randint(3, 15, _rng.randint(2, 6))] + [EOS_token],
               [int(v) for v in _rng.randint(3, 15, _rng.randint(2, 6))] + [EOS_token]) for _ in range(8)]


def chatbot(run, state=None):
    torch = run.torch
    nn, F = torch.nn, torch.nn.functional
    device = torch.device("cpu")
    class EncoderRNN(nn.Module):
        def __init__(self, hidden_size, embedding, n_layers=1, dropout=0):
            super(EncoderRNN, self).__init__()
            self.n_layers = n_layers
            self.hidden_size = hidden_size
            self.embedding = embedding
            self.gru = nn.GRU(hidden_size, hidden_size, n_layers, dropout=(0 if n_layers == 1 else dropout),
                              bidirectional=True)
        def forward(self, input_seq, input_lengths, hidden=None):
            embedded = self.embedding(input_seq)
            packed = nn.utils.rnn.pack_padded_sequence(embedded, input_lengths)
            outputs, hidden = self.gru(packed, hidden)
            outputs, _ = nn.utils.rnn.pad_packed_sequence(outputs)
            outputs = outputs[:, :, :self.hidden_size] + outputs[:, : ,self.hidden_size:]
            return outputs, hidden
    class Attn(nn.Module):
        def __init__(self, method, hidden_size):
            super(Attn, self).__init__()
            self.method = method
            if self.method not in ['dot', 'general', 'concat']:
                raise ValueError(self.method, "is not an appropriate attention method.")
            self.hidden_size = hidden_size
            if self.method == 'general':
                self.attn = nn.Linear(self.hidden_size, hidden_size)
            elif self.method == 'concat':
                self.attn = nn.Linear(self.hidden_size * 2, hidden_size)
                self.v = nn.Parameter(torch.FloatTensor(hidden_size))
        def dot_score(self, hidden, encoder_output): return torch.sum(hidden * encoder_output, dim=2)
        def general_score(self, hidden, encoder_output):
            energy = self.attn(encoder_output)
            return torch.sum(hidden * energy, dim=2)
        def concat_score(self, hidden, encoder_output):
            energy = self.attn(torch.cat((hidden.expand(encoder_output.size(0), -1, -1), encoder_output), 2)).tanh()
            return torch.sum(self.v * energy, dim=2)
        def forward(self, hidden, encoder_outputs):
            if self.method == 'general':
                attn_energies = self.general_score(hidden, encoder_outputs)
            elif self.method == 'concat':
                attn_energies = self.concat_score(hidden, encoder_outputs)
            elif self.method == 'dot':
                attn_energies = self.dot_score(hidden, encoder_outputs)
            attn_energies = attn_energies.t()
            return F.softmax(attn_energies, dim=1).unsqueeze(1)
    class LuongAttnDecoderRNN(nn.Module):
        def __init__(self, attn_model, embedding, hidden_size, output_size, n_layers=1, dropout=0.1):
            super(LuongAttnDecoderRNN, self).__init__()
            self.attn_model = attn_model
            self.hidden_size = hidden_size
            self.output_size = output_size
            self.n_layers = n_layers
            self.dropout = dropout
            self.embedding = embedding
            self.embedding_dropout = nn.Dropout(dropout)
            self.gru = nn.GRU(hidden_size, hidden_size, n_layers, dropout=(0 if n_layers == 1 else dropout))
            self.concat = nn.Linear(hidden_size * 2, hidden_size)
            self.out = nn.Linear(hidden_size, output_size)
            self.attn = Attn(attn_model, hidden_size)
        def forward(self, input_step, last_hidden, encoder_outputs):
            embedded = self.embedding(input_step)
            embedded = self.embedding_dropout(embedded)
            rnn_output, hidden = self.gru(embedded, last_hidden)
            attn_weights = self.attn(rnn_output, encoder_outputs)
            context = attn_weights.bmm(encoder_outputs.transpose(0, 1))
            rnn_output = rnn_output.squeeze(0)
            context = context.squeeze(1)
            concat_input = torch.cat((rnn_output, context), 1)
            concat_output = torch.tanh(self.concat(concat_input))
            output = self.out(concat_output)
            output = F.softmax(output, dim=1)
            return output, hidden
    def maskNLLLoss(inp, target, mask):
        nTotal = mask.sum()
        crossEntropy = -torch.log(torch.gather(inp, 1, target.view(-1, 1)).squeeze(1))
        loss = crossEntropy.masked_select(mask).mean()
        loss = loss.to(device)
        return loss, nTotal.item()
    def zeroPadding(l, fillvalue=PAD_token): return list(itertools.zip_longest(*l, fillvalue=fillvalue))
    def binaryMatrix(l, value=PAD_token):
        m = []
        for i, seq in enumerate(l):
            m.append([])
            for token in seq:
                m[i].append(0 if token == PAD_token else 1)
        return m
    def inputVar(indexes_batch):
        lengths = torch.tensor([len(indexes) for indexes in indexes_batch])
        padList = zeroPadding(indexes_batch)
        return torch.LongTensor(padList), lengths
    def outputVar(indexes_batch):
        max_target_len = max([len(indexes) for indexes in indexes_batch])
        padList = zeroPadding(indexes_batch)
        mask = torch.BoolTensor(binaryMatrix(padList))
        return torch.LongTensor(padList), mask, max_target_len
    hidden_size = 8
    embedding = nn.Embedding(15, hidden_size)
    encoder = EncoderRNN(hidden_size, embedding, 2, 0.0)
    decoder = LuongAttnDecoderRNN('concat', embedding, hidden_size, 15, 2, 0.0)
    with torch.no_grad():
        decoder.attn.v.normal_()  # (torch.FloatTensor(n) is uninitialized memory)
    state = state or {}
    run.state = {"encoder": load(encoder, state.get("encoder"), torch),
                 "decoder": load(decoder, state.get("decoder"), torch)}
    run.print(encoder)
    run.print(decoder)
    encoder_optimizer = torch.optim.Adam(encoder.parameters(), lr=0.0001)
    decoder_optimizer = torch.optim.Adam(decoder.parameters(), lr=0.0005)
    for it in range(3):
        batch = CHAT_PAIRS[it * 2: it * 2 + 4]
        batch.sort(key=lambda x: len(x[0]), reverse=True)
        input_batch, output_batch = [p[0] for p in batch], [p[1] for p in batch]
        input_variable, lengths = inputVar(input_batch)
        target_variable, mask, max_target_len = outputVar(output_batch)
        encoder_optimizer.zero_grad()
        decoder_optimizer.zero_grad()
        loss = 0
        print_losses = []
        n_totals = 0
        encoder_outputs, encoder_hidden = encoder(input_variable, lengths.to("cpu"))
        decoder_input = torch.LongTensor([[SOS_token for _ in range(4)]])
        decoder_hidden = encoder_hidden[:decoder.n_layers]
        use_teacher_forcing = it % 2 == 0
        for t in range(max_target_len):
            decoder_output, decoder_hidden = decoder(decoder_input, decoder_hidden, encoder_outputs)
            if use_teacher_forcing:
                decoder_input = target_variable[t].view(1, -1)
            else:
                _, topi = decoder_output.topk(1)
                decoder_input = torch.LongTensor([[topi[i][0] for i in range(4)]])
            mask_loss, nTotal = maskNLLLoss(decoder_output, target_variable[t], mask[t])
            loss += mask_loss
            print_losses.append(mask_loss.item() * nTotal)
            n_totals += nTotal
        loss.backward()
        _ = nn.utils.clip_grad_norm_(encoder.parameters(), 50.0)
        _ = nn.utils.clip_grad_norm_(decoder.parameters(), 50.0)
        encoder_optimizer.step()
        decoder_optimizer.step()
        run.numbers.append(sum(print_losses) / n_totals)
        run.print(input_variable.shape, mask.dtype, lengths)
    class GreedySearchDecoder(nn.Module):
        def __init__(self, encoder, decoder):
            super(GreedySearchDecoder, self).__init__()
            self.encoder = encoder
            self.decoder = decoder
        def forward(self, input_seq, input_length, max_length):
            encoder_outputs, encoder_hidden = self.encoder(input_seq, input_length)
            decoder_hidden = encoder_hidden[:decoder.n_layers]
            decoder_input = torch.ones(1, 1, device=device, dtype=torch.long) * SOS_token
            all_tokens = torch.zeros([0], device=device, dtype=torch.long)
            all_scores = torch.zeros([0], device=device)
            for _ in range(max_length):
                decoder_output, decoder_hidden = self.decoder(decoder_input, decoder_hidden, encoder_outputs)
                decoder_scores, decoder_input = torch.max(decoder_output, dim=1)
                all_tokens = torch.cat((all_tokens, decoder_input), dim=0)
                all_scores = torch.cat((all_scores, decoder_scores), dim=0)
                decoder_input = torch.unsqueeze(decoder_input, 0)
            return all_tokens, all_scores
    encoder.eval()
    decoder.eval()
    searcher = GreedySearchDecoder(encoder, decoder)
    indexes_batch = [[5, 6, 7, EOS_token]]
    lengths = torch.tensor([len(indexes) for indexes in indexes_batch])
    input_batch = torch.LongTensor(indexes_batch).transpose(0, 1)
    with torch.no_grad():
        tokens, scores = searcher(input_batch, lengths, 5)
    run.print(tokens)
    run.numbers += list(scores.numpy())
    return run


def test_chatbot():
    run = chatbot(Run(torch))
    assert run.printed[0] == """EncoderRNN(
  (embedding): Embedding(15, 8)
  (gru): GRU(8, 8, num_layers=2, bidirectional=True)
)"""
    assert "(gru): GRU(8, 8, num_layers=2)" in run.printed[1] and "(attn): Attn(\n    (attn): Linear(" in run.printed[1]
    assert all(math.isfinite(v) for v in run.numbers) and run.printed[-1].startswith("tensor([")


@needs_torch
def test_chatbot_same_as_torch():
    same_as_torch(chatbot)


# ---------------------------------------------------------------- the errors a tutorial's user runs into
@pytest.mark.parametrize("data, error, message", [
    ([[1, 2], [3]], ValueError, r"^expected sequence of length 2 at dim 1 \(got 1\)$"),
    ([[[1, 2], [3, 4]], [[1, 2], [3]]], ValueError, r"^expected sequence of length 2 at dim 2 \(got 1\)$"),
    ([[1.0], [2.0, 3.0]], ValueError, r"^expected sequence of length 1 at dim 1 \(got 2\)$"),
    ([[1, 2], []], ValueError, r"^expected sequence of length 2 at dim 1 \(got 0\)$"),
    ([[1.0], 2.0], TypeError, "^not a sequence$"),
    ([1.0, [2.0]], TypeError, "^must be real number, not list$"),
    ([1, [2]], TypeError, "^'list' object cannot be interpreted as an integer$"),
    ([np.zeros(2), np.zeros(3)], ValueError, r"^expected sequence of length 2 at dim 1 \(got 3\)$")])
def test_ragged_lists_raise_torchs_errors(data, error, message):
    """collate functions building torch.tensor(list of lists) of unequal lengths (seq2seq, text classification)."""
    with pytest.raises(error, match=message):
        torch.tensor(data)


def test_random_fills_of_integer_tensors_are_not_implemented():
    with pytest.raises(NotImplementedError, match="\"normal_kernel_cpu\" not implemented for 'Long'"):
        torch.randn_like(torch.zeros(2, dtype=torch.long))
    with pytest.raises(NotImplementedError, match="\"normal_kernel_cpu\" not implemented for 'Int'"):
        torch.zeros(2, dtype=torch.int32).normal_()
    with pytest.raises(NotImplementedError, match="\"check_uniform_bounds\" not implemented for 'Long'"):
        torch.rand(2, dtype=torch.long)
    with pytest.raises(NotImplementedError, match="\"check_uniform_bounds\" not implemented for 'Bool'"):
        torch.zeros(2, dtype=torch.bool).uniform_()
    assert torch.randn(3, dtype=torch.float64).dtype == torch.float64  # floating dtypes still draw


def test_batch_norm_channel_mismatch_names_the_buffer():
    x = torch.zeros(2, 3, 2, 2)
    with pytest.raises(RuntimeError, match="^running_mean should contain 3 elements not 4$"):
        torch.nn.BatchNorm2d(4)(x)
    with pytest.raises(RuntimeError, match="^running_var should contain 3 elements not 4$"):
        torch.nn.functional.batch_norm(x, torch.zeros(3), torch.ones(4), training=True)
    with pytest.raises(RuntimeError, match="^weight should contain 3 elements not 4$"):
        torch.nn.functional.batch_norm(x, None, None, torch.ones(4), training=True)
    with pytest.raises(RuntimeError, match="^bias should contain 3 elements not 4$"):
        torch.nn.functional.batch_norm(x, torch.zeros(3), torch.ones(3), torch.ones(3), torch.ones(4))


def test_fill_takes_only_a_0d_tensor():
    with pytest.raises(RuntimeError, match="^fill_ only supports 0-dimension value tensor but got tensor with 1 "
                                           r"dimensions\.$"):
        torch.zeros(2).fill_(torch.zeros(2))
    assert torch.zeros(2).fill_(torch.tensor(3.0)).tolist() == [3.0, 3.0]


def test_float_of_a_tensor_requiring_grad_warns_once():
    """float(loss) on a graph output: torch's UserWarning, once a process and not under no_grad."""
    flag = importlib.import_module("tinygrad_ext.tensor")._FLOAT_OF_GRAD_WARNED  # (the module, not torch.tensor)
    saved, flag[0] = flag[0], False
    try:
        x = torch.tensor(2.0, requires_grad=True) * 3
        with torch.no_grad():
            assert float(x) == 6.0
        with pytest.warns(UserWarning, match="Converting a tensor with requires_grad=True to a scalar may lead to "
                                             "unexpected behavior.\nConsider using tensor.detach"):
            assert float(x) == 6.0
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            float(x)
            x.item()
    finally:
        flag[0] = saved or flag[0]


def test_math_constants():
    """torch.pi / e / inf / nan / newaxis, as the tutorials' masks and positional encodings use them."""
    assert (torch.pi, torch.e) == (math.pi, math.e) and math.isinf(torch.inf) and math.isnan(torch.nan)
    assert torch.full((2,), -torch.inf).tolist() == [-math.inf] * 2
    assert tuple(torch.zeros(3)[torch.newaxis].shape) == (1, 3)
