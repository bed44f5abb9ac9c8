"""TransformerEncoderLayer/DecoderLayer, TransformerEncoder/Decoder and Transformer ("Attention Is All You
Need"), with torch's submodule names (self_attn, multihead_attn, linear1, linear2, norm1..3, dropout1..3),
post-norm by default and pre-norm with norm_first=True."""
import copy
import math
import warnings

from ... import _dtype
from ..._autocast import is_autocast_enabled
from ...autograd.grad_mode import is_grad_enabled
from ...tensor import arange, zeros
from .. import functional as F
from .. import init
from .activation import GELU, ReLU
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm


def _get_activation_fn(activation):
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _generate_square_subsequent_mask(sz, device=None, dtype=None):
    """(sz, sz) float mask: 0 on and below the diagonal, -inf above (position i sees positions <= i)."""
    above = arange(sz, device=device).unsqueeze(-1) < arange(sz, device=device)
    return zeros(sz, sz, device=device, dtype=dtype).masked_fill(above, -math.inf)


class _Layer(Module):
    """What the encoder and decoder layers share: the self-attention and feed-forward blocks, the norms."""

    def _init_common(self, d_model, dim_feedforward, dropout, activation, layer_norm_eps, norm_first, bias,
                     n_norms, kw):
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        for k in range(1, n_norms + 1):
            setattr(self, f"norm{k}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw))
        for k in range(1, n_norms + 1):
            setattr(self, f"dropout{k}", Dropout(dropout))
        if isinstance(activation, str):
            activation = _get_activation_fn(activation)
        if n_norms == 2:  # (the encoder layer's fast-path flag: a ReLU/GELU function or module; the decoder has none)
            self.activation_relu_or_gelu = (1 if activation is F.relu or isinstance(activation, ReLU) else
                                            2 if activation is F.gelu or isinstance(activation, GELU) else 0)
        self.activation = activation

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal, native=False):
        # (native: torch's fused encoder kernel, whose masked attention goes through the weights' softmax, so a
        # query with every key masked gets NaN where scaled_dot_product_attention gives 0)
        need = native and (attn_mask is not None or key_padding_mask is not None)
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=need,
                           is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x, dropout, activation=None):
        return dropout(self.linear2(self.dropout((activation or self.activation)(self.linear1(x)))))


class TransformerEncoderLayer(_Layer):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **kw)
        self._init_common(d_model, dim_feedforward, dropout, activation, layer_norm_eps, norm_first, bias, 2, kw)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        src_key_padding_mask = _canonical_mask(src_key_padding_mask, "src_key_padding_mask", src_mask, "src_mask",
                                               src.dtype)
        src_mask = _canonical_mask(src_mask, "src_mask", None, "", src.dtype)
        # torch's inference kernel applies F.relu or exact F.gelu by activation_relu_or_gelu, whatever module
        # (nn.GELU(approximate="tanh"), a subclass) self.activation is
        fast = self._fast_path(src)
        act = (F.relu if self.activation_relu_or_gelu == 1 else F.gelu) if fast else None
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal, fast)
            return x + self._ff_block(self.norm2(x), self.dropout2, act)
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal, fast))
        return self.norm2(x + self._ff_block(x, self.dropout2, act))

    def _fast_path(self, src):
        """Whether torch runs this forward as its fused inference kernel (_transformer_encoder_layer_fwd)."""
        sa = self.self_attn
        if (src.dim() != 3 or self.training or not sa.batch_first or sa.in_proj_bias is None
                or not sa._qkv_same_embed_dim or not self.activation_relu_or_gelu or self.norm1.eps != self.norm2.eps
                or sa.num_heads % 2 == 1 or is_autocast_enabled()
                or any(m._forward_hooks or m._forward_pre_hooks for m in self.modules())):
            return False
        args = (src, sa.in_proj_weight, sa.in_proj_bias, sa.out_proj.weight, sa.out_proj.bias, self.norm1.weight,
                self.norm1.bias, self.norm2.weight, self.norm2.bias, self.linear1.weight, self.linear1.bias,
                self.linear2.weight, self.linear2.bias)
        return not (is_grad_enabled() and any(t is not None and t.requires_grad for t in args))


class TransformerDecoderLayer(_Layer):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **kw)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                                 **kw)
        self._init_common(d_model, dim_feedforward, dropout, activation, layer_norm_eps, norm_first, bias, 3, kw)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                need_weights=False, is_causal=is_causal)[0]
        return self.dropout2(x)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            return x + self._ff_block(self.norm3(x), self.dropout3)
        x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
        x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
        return self.norm3(x + self._ff_block(x, self.dropout3))


_NESTED_WARNED = []


def _canonical_mask(mask, name, other, other_name, dtype):
    """torch's F._canonical_mask: a bool mask as a float one (-inf where True), after warning when the other mask
    given has another dtype."""
    if mask is None:
        return None
    if mask.dtype != _dtype.bool and not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {name} are supported")
    if other is not None and mask.dtype != other.dtype:
        warnings.warn(f"Support for mismatched {name} and {other_name} is deprecated. Use same type for both "
                      "instead.", UserWarning, stacklevel=3)
    if mask.dtype == _dtype.bool:
        mask = zeros(tuple(mask.shape), dtype=dtype, device=mask.device).masked_fill(mask, float("-inf"))
    return mask


def _get_clones(module, N):
    return ModuleList([copy.deepcopy(module) for _ in range(N)])


def _why_no_nested_tensor(layer):
    """torch's reason for not using nested tensors (warned about when enable_nested_tensor=True)."""
    name = "encoder_layer"
    if not isinstance(layer, TransformerEncoderLayer):
        return f"{name} was not TransformerEncoderLayer"
    if layer.norm_first:
        return f"{name}.norm_first was True"
    if not layer.self_attn.batch_first:
        return f"{name}.self_attn.batch_first was not True(use batch_first for better inference performance)"
    if not layer.self_attn._qkv_same_embed_dim:
        return f"{name}.self_attn._qkv_same_embed_dim was not True"
    if layer.self_attn.in_proj_bias is None:
        return f"{name}.self_attn was passed bias=False"
    if not layer.activation_relu_or_gelu:
        return f"{name}.activation_relu_or_gelu was not True"
    if layer.norm1.eps != layer.norm2.eps:
        return f"{name}.norm1.eps was not equal to {name}.norm2.eps"
    if layer.self_attn.num_heads % 2 == 1:
        return f"{name}.self_attn.num_heads is odd"
    return ""


class TransformerEncoder(Module):
    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        self.layers = _get_clones(encoder_layer, num_layers)
        self.num_layers, self.norm = num_layers, norm
        self.enable_nested_tensor, self.mask_check = enable_nested_tensor, mask_check
        why = _why_no_nested_tensor(encoder_layer)
        if enable_nested_tensor and why:
            warnings.warn(f"enable_nested_tensor is True, but self.use_nested_tensor is False because {why}",
                          UserWarning, stacklevel=2)
        self.use_nested_tensor = enable_nested_tensor and not why

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        pad = _canonical_mask(src_key_padding_mask, "src_key_padding_mask", mask, "mask", src.dtype)
        mask = _canonical_mask(mask, "mask", None, "", src.dtype)
        output = src
        causal = bool(is_causal)
        keep = self._nested_keep(src, mask, pad)
        if keep is not None:  # torch's nested tensor holds the first keep.sum(1) tokens of each row
            if not bool(keep.any()):  # (torch's to_padded_tensor of a nested tensor without a token)
                raise RuntimeError("to_padded_tensor: at least one constituent tensor should have non-zero numel")
            keep = arange(src.shape[1], device=src.device) < keep.sum(1, keepdim=True)
            pad = zeros(tuple(keep.shape), dtype=src.dtype, device=src.device).masked_fill(~keep, float("-inf"))
        for mod in self.layers:
            output = mod(output, src_mask=mask, is_causal=causal, src_key_padding_mask=pad)
        if keep is not None:
            output = output.masked_fill(~keep.unsqueeze(-1), 0.0)
        return output if self.norm is None else self.norm(output)

    def _nested_keep(self, src, mask, pad):
        """Where torch's inference path packs the batch into a nested tensor (eval, no grad, batch_first, a padding
        mask aligned left): the tokens it keeps, (N, S) bool; else None. NOTE: the values of the kept tokens are the
        same without nested tensors (padded keys are masked out either way), but torch's output is zero at the
        padded tokens (before the final norm), so these are zeroed here too."""
        first = self.layers[0]
        if not (self.use_nested_tensor and not first.training and src.dim() == 3 and pad is not None
                and mask is None and not is_autocast_enabled()):
            return None
        if is_grad_enabled() and (src.requires_grad or any(p.requires_grad for p in first.parameters())):
            return None
        keep = pad == 0  # (pad is a float mask here: 0 where a token is kept)
        if self.mask_check and bool((keep[:, 1:] & ~keep[:, :-1]).any()):  # (a kept token after a padded one)
            return None
        if not _NESTED_WARNED:
            _NESTED_WARNED.append(True)  # (torch warns once a process)
            warnings.warn("The PyTorch API of nested tensors is in prototype stage and will change in the near "
                          "future. We recommend specifying layout=torch.jagged when constructing a nested tensor, as "
                          "this layout receives active development, has better operator coverage, and works with "
                          "torch.compile.", UserWarning, stacklevel=3)
        return keep


class TransformerDecoder(Module):
    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _get_clones(decoder_layer, num_layers)
        self.num_layers, self.norm = num_layers, norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        output = tgt
        for mod in self.layers:
            output = mod(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                         tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                         tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)
        return output if self.norm is None else self.norm(output)


class Transformer(Module):
    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
                 dropout=0.1, activation=F.relu, custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first,
                      bias)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(TransformerEncoderLayer(*layer_args, **kw), num_encoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(TransformerDecoderLayer(*layer_args, **kw), num_decoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw))
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        batched = src.dim() == 3
        if not self.batch_first and src.shape[1] != tgt.shape[1] and batched:
            raise RuntimeError("the batch number of src and tgt must be equal")
        if self.batch_first and src.shape[0] != tgt.shape[0] and batched:
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        return _generate_square_subsequent_mask(sz, device, dtype)

    def _reset_parameters(self):
        for p in self.parameters():
            if p.dim() > 1:
                init.xavier_uniform_(p)
