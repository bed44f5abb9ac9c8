"""Program parity (g): values that everyday vision programs (a ResNet-18-style CNN, a small Vision Transformer and
their training loops) print, where they differed from torch 2.13 on CPU. Expected values are torch's, hard-coded."""
import tinygrad_ext as torch


def test_einsum_small_pair_is_torch_bmm_in_order():
    # torch contracts a pair of operands with bmm; below 400 products per matrix each dot is summed in order
    # (1e8 + 1 rounds back to 1e8), so a dot-product einsum is not a pairwise or wide sum
    a = torch.tensor([1e8, 1.0, -1e8, 1.0, 3.0, 0.5])
    o = torch.ones(6)
    assert torch.einsum("i,i->", a, o).item() == 4.5
    assert torch.einsum("bi,bi->b", a.view(2, 3), o.view(2, 3)).tolist() == [0.0, 4.5]
    assert torch.einsum("bij,bij->b", a.view(1, 2, 3), o.view(1, 2, 3)).tolist() == [4.5]
    assert torch.einsum("ij,jk->ik", a.view(1, 6), o.view(6, 1)).tolist() == [[4.5]]
    torch.manual_seed(0)
    x = torch.randn(2, 3, 4)
    got = [v.hex() for v in torch.einsum("bij,bij->b", x, x).tolist()]
    assert got == ["0x1.6098820000000p+3", "0x1.bd9ca80000000p+3"]
    q, k = torch.randn(5, 7), torch.randn(7, 9)
    assert torch.einsum("ij,jk->ik", q, k)[1].tolist() == [
        0.4352028965950012, 0.5482822060585022, 0.2779694199562073, 0.7097009420394897, -1.5831453800201416,
        2.369227886199951, -0.037829890847206116, 1.629370093345642, -1.4842911958694458]


def test_weights_only_refusal_is_named_pickles_unpickling_error():
    # torch.load(weights_only=True) of a whole pickled module raises pickle.UnpicklingError itself: programs print
    # type(e).__name__, repr(e) or the traceback's last line
    import io
    import pickle
    import traceback
    buf = io.BytesIO()
    torch.save(torch.nn.Linear(2, 2), buf)
    buf.seek(0)
    try:
        torch.load(buf)
    except pickle.UnpicklingError as e:
        err = e
    assert type(err).__name__ == "UnpicklingError"
    assert repr(err).startswith("UnpicklingError('Weights only load failed. This file can still be loaded")
    assert traceback.format_exception_only(err)[0].startswith("_pickle.UnpicklingError: Weights only load failed.")
    again = pickle.loads(pickle.dumps(err))  # still pickles (DataLoader workers send exceptions back)
    assert type(again) is type(err) and again.args == err.args
    buf.seek(0)
    assert type(torch.load(buf, weights_only=False)).__name__ == "Linear"


def _message(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 (the test compares the type and the text)
        return type(e).__name__, str(e)
    return None


def test_index_select_and_embedding_range_errors_are_torchs_words():
    w = torch.randn(5, 2)
    F = torch.nn.functional
    for fn in (lambda: w.index_select(0, torch.tensor([5])), lambda: torch.randn(5).index_select(0, torch.tensor([7])),
               lambda: F.embedding(torch.tensor([-1]), w), lambda: F.embedding(torch.tensor([[1, 7]]), w),
               lambda: torch.zeros(3).index_add_(0, torch.tensor([-1]), torch.ones(1))):
        assert _message(fn) == ("IndexError", "index out of range in self")
    # max_norm: torch's embedding_renorm_ selects the rows in sorted order first
    assert _message(lambda: F.embedding(torch.tensor([2, 9, 7]), w, max_norm=1.0)) == (
        "IndexError", "select(): index 7 out of range for tensor of size [5, 2] at dimension 0")
    assert _message(lambda: F.embedding(torch.tensor([[3, -9], [7, 1]]), w, max_norm=1.0)) == (
        "IndexError", "select(): index -9 out of range for tensor of size [5, 2] at dimension 0")
    # embedding_bag's kernels (one bag), its renorm, and its mode check (before the renorm)
    assert _message(lambda: F.embedding_bag(torch.tensor([1, 2, -1]), w, torch.tensor([0]))) == (
        "RuntimeError", "Index 2 of input takes value -1 which is not in the valid range [0, 5)")
    assert _message(lambda: F.embedding_bag(torch.tensor([1, -3, 6]), w, torch.tensor([0]), mode="max")) == (
        "RuntimeError", "embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to be -3")
    assert _message(lambda: F.embedding_bag(torch.tensor([1, 9, 6]), w, torch.tensor([0]), max_norm=1.0)) == (
        "IndexError", "select(): index 6 out of range for tensor of size [5, 2] at dimension 0")
    assert _message(lambda: F.embedding_bag(torch.tensor([1, 9]), w, torch.tensor([0]), mode="foo", max_norm=1.0)) == (
        "ValueError", "mode has to be one of sum, mean or max")


def test_embedding_renorm_raises_torchs_errors_before_writing():
    torch.manual_seed(0)
    big = torch.nn.Embedding(10, 4, max_norm=0.1)
    before = big.weight.detach().clone()
    assert _message(lambda: big(torch.tensor([1, 10])))[0] == "IndexError"
    # (torch renorms row 1 before index 10 raises; ours writes nothing on a call that raises: RELIABILITY.md)
    assert torch.equal(big.weight.detach(), before)
    assert _message(lambda: big(torch.tensor([3, -1, 5]))) == ("IndexError", "index out of range in self")
    assert torch.equal(big.weight.detach(), before)  # (torch renorms rows 3, 5 and 9 first)
    big(torch.tensor([3, 5]))
    assert (big.weight.detach() != before).any(1).tolist() == [False] * 3 + [True, False, True] + [False] * 4
    # the scale is max_norm / (norm + 1e-7) in double, rounded to float once (torch's values)
    assert big.weight[3].norm().item() == 0.09999999403953552


def test_sdpa_is_causal_with_attn_mask_as_torchs_cpu_flash_kernel():
    # torch 2.13's CPU flash kernel takes is_causal and an attn_mask together (both applied) for 4-D inputs without
    # dropout; its math kernel (3-D inputs, a 3-D mask, dropout) still refuses them
    F = torch.nn.functional
    torch.manual_seed(0)
    q4 = torch.randn(2, 2, 5, 4)
    m2 = torch.rand(5, 5) > 0.3
    m2[:, 0] = True
    got = F.scaled_dot_product_attention(q4, q4, q4, attn_mask=m2, is_causal=True)
    assert got[0, 0, 0].tolist() == [-1.1258398294448853, -1.152360200881958, -0.2505785822868347, -0.4338788092136383]
    want = [0.7760363221168518, 0.6241264343261719, -0.3136044144630432, -2.0533370971679688]
    assert all(abs(a - b) < 1e-6 for a, b in zip(got[0, 0, 1].tolist(), want))
    got = F.scaled_dot_product_attention(q4, q4, q4, attn_mask=torch.zeros(5, 5), is_causal=True)
    assert torch.allclose(got, F.scaled_dot_product_attention(q4, q4, q4, is_causal=True))
    refusal = "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True"
    q3 = torch.randn(2, 5, 4)
    for fn in (lambda: F.scaled_dot_product_attention(q3, q3, q3, attn_mask=m2, is_causal=True),
               lambda: F.scaled_dot_product_attention(q4, q4, q4, attn_mask=m2.expand(2, 5, 5), is_causal=True),
               lambda: F.scaled_dot_product_attention(q4, q4, q4, attn_mask=m2, is_causal=True, dropout_p=0.2)):
        assert _message(fn) == ("RuntimeError", refusal)


def test_einsum_empty_summed_dim_is_zeros():
    # a label of size 0 in every operand is summed over nothing (a size-1 label broadcasts against it)
    assert torch.einsum("ij,ij->i", torch.zeros(2, 0), torch.zeros(2, 0)).tolist() == [0.0, 0.0]
    assert torch.einsum("ij,jk->ik", torch.zeros(2, 0), torch.zeros(0, 3)).tolist() == [[0.0] * 3] * 2
    assert torch.einsum("bij,bjk->bik", torch.ones(1, 2, 0), torch.ones(3, 0, 2)).shape == (3, 2, 2)
    assert torch.einsum("ij,kj->ikj", torch.ones(2, 0), torch.ones(3, 1)).shape == (2, 3, 0)
    assert torch.einsum("i,i->", torch.zeros(0), torch.zeros(0)).item() == 0.0
