"""AdaptiveLogSoftmaxWithLoss: the efficient softmax of Grave et al. (2017) for large vocabularies.

The classes below cutoffs[0] (the shortlist) are scored by the head; each later range [cutoffs[i], cutoffs[i+1])
is a cluster, scored by one head column (the cluster's probability) plus its own two-layer tail (a projection to
in_features // div_value**(i+1) features, then the cluster's classes)."""
from collections import namedtuple

from ...tensor import cat, tensor
from .. import functional as F
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    def __init__(self, in_features, n_classes, cutoffs, div_value=4.0, head_bias=False, device=None, dtype=None):
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1 or \
                len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in an increasing order, "
                             "where each value is between 1 and n_classes-1")
        self.in_features, self.n_classes, self.div_value, self.head_bias = in_features, n_classes, div_value, head_bias
        self.cutoffs = cutoffs + [n_classes]
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        factory = {"device": device, "dtype": dtype}
        self.head = Linear(in_features, self.head_size, bias=head_bias, **factory)
        self.tail = ModuleList(
            Sequential(Linear(in_features, int(in_features // div_value ** (i + 1)), bias=False, **factory),
                       Linear(int(in_features // div_value ** (i + 1)), self.cutoffs[i + 1] - self.cutoffs[i],
                              bias=False, **factory))
            for i in range(self.n_clusters))

    def reset_parameters(self):
        self.head.reset_parameters()
        for projection, output in self.tail:
            projection.reset_parameters()
            output.reset_parameters()

    def forward(self, input_, target_):
        """(output, loss): each row's log-probability of its target, and their negated mean."""
        if target_.dim() == 1:
            if input_.size(0) != target_.size(0):
                raise RuntimeError("Input and target should have the same size in the batch dimension.")
            if input_.dim() != 2:
                raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with size "
                                   f"{input_.size()}")
        elif target_.dim() == 0:
            if input_.dim() != 1:
                raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with size "
                                   f"{input_.size()}")
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        batched = target_.dim() == 1
        input, target = (input_, target_) if batched else (input_.unsqueeze(0), target_.unsqueeze(0))
        if target.numel() and bool(((target < 0) | (target >= self.n_classes)).any()):
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                               f"[{target.min().item()}, {target.max().item()}] were found. ")
        # cluster of each row: 0 for the shortlist, i for [cutoffs[i-1], cutoffs[i])
        cluster = (target.unsqueeze(1) >= tensor(self.cutoffs[:-1], device=target.device)).sum(1)
        head_column = target.where(cluster == 0, cluster + (self.shortlist_size - 1))
        output = F.log_softmax(self.head(input), dim=1).gather(1, head_column.unsqueeze(1)).squeeze(1)
        for i in range(1, self.n_clusters + 1):
            rows = (cluster == i).nonzero().squeeze(1)
            if rows.numel() == 0:
                continue
            local = F.log_softmax(self.tail[i - 1](input.index_select(0, rows)), dim=1)
            relative = target.index_select(0, rows) - self.cutoffs[i - 1]
            output = output.index_add(0, rows, local.gather(1, relative.unsqueeze(1)).squeeze(1))
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def log_prob(self, input):
        """Log-probabilities of all n_classes classes, (N, n_classes)."""
        head = F.log_softmax(self.head(input), dim=1)
        return cat([head[:, :self.shortlist_size]] + [
            F.log_softmax(tail(input), dim=1) + head[:, self.shortlist_size + i:self.shortlist_size + i + 1]
            for i, tail in enumerate(self.tail)], dim=1)

    def predict(self, input):
        """The most probable class of each row: log_prob(input).argmax(dim=1)."""
        return self.log_prob(input).argmax(dim=1)
