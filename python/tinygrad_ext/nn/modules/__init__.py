"""The layers (torch.nn.modules)."""
from .activation import Hardtanh, LeakyReLU, LogSoftmax, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Softmin, Tanh
from .attention import MultiheadAttention
from .container import ModuleDict, ModuleList, ParameterList, Sequential
from .conv import Conv2d
from .dropout import Dropout
from .flatten import Flatten, Unflatten
from .linear import Identity, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss, SmoothL1Loss
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .sparse import Embedding
from .transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
                          TransformerEncoderLayer)

__all__ = [
           "AdaptiveAvgPool2d",
           "AdaptiveMaxPool2d",
           "AvgPool2d",
           "BCELoss",
           "BCEWithLogitsLoss",
           "BatchNorm1d",
           "BatchNorm2d",
           "Conv2d",
           "CrossEntropyLoss",
           "Dropout",
           "Embedding",
           "Flatten",
           "GRU",
           "GRUCell",
           "Hardtanh",
           "Identity",
           "L1Loss",
           "LSTM",
           "LSTMCell",
           "LayerNorm",
           "LeakyReLU",
           "Linear",
           "LogSoftmax",
           "MSELoss",
           "MaxPool2d",
           "Module",
           "ModuleDict",
           "ModuleList",
           "MultiheadAttention",
           "NLLLoss",
           "ParameterList",
           "RNN",
           "RNNBase",
           "RNNCell",
           "RNNCellBase",
           "ReLU",
           "ReLU6",
           "Sequential",
           "SiLU",
           "Sigmoid",
           "SmoothL1Loss",
           "Softmax",
           "Softmin",
           "Tanh",
           "Transformer",
           "TransformerDecoder",
           "TransformerDecoderLayer",
           "TransformerEncoder",
           "TransformerEncoderLayer",
           "Unflatten",
]
