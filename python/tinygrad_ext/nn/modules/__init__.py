"""The layers (torch.nn.modules)."""
from .activation import Hardtanh, LeakyReLU, LogSoftmax, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Softmin, Tanh
from .attention import MultiheadAttention
from .container import ModuleDict, ModuleList, ParameterList, Sequential
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d
from .dropout import Dropout, Dropout1d, Dropout2d
from .flatten import Flatten, Unflatten
from .linear import Bilinear, Identity, Linear
from .loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss, GaussianNLLLoss,
                   HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss, MarginRankingLoss, NLLLoss,
                   PoissonNLLLoss, SmoothL1Loss, TripletMarginLoss)
from .module import Module
from .normalization import (BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm1d, InstanceNorm2d, LayerNorm,
                            LocalResponseNorm)
from .pixelshuffle import PixelShuffle, PixelUnshuffle
from .pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d,
                      MaxPool1d, MaxPool2d)
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .sparse import Embedding, EmbeddingBag
from .transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
                          TransformerEncoderLayer)
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = [
           "AdaptiveAvgPool1d",
           "AdaptiveAvgPool2d",
           "AdaptiveMaxPool1d",
           "AdaptiveMaxPool2d",
           "AvgPool1d",
           "AvgPool2d",
           "BCELoss",
           "BCEWithLogitsLoss",
           "BatchNorm1d",
           "BatchNorm2d",
           "Bilinear",
           "Conv1d",
           "Conv2d",
           "Conv3d",
           "ConvTranspose1d",
           "ConvTranspose2d",
           "CosineEmbeddingLoss",
           "CrossEntropyLoss",
           "Dropout",
           "Dropout1d",
           "Dropout2d",
           "Embedding",
           "EmbeddingBag",
           "Flatten",
           "GRU",
           "GRUCell",
           "GaussianNLLLoss",
           "GroupNorm",
           "Hardtanh",
           "HingeEmbeddingLoss",
           "HuberLoss",
           "Identity",
           "InstanceNorm1d",
           "InstanceNorm2d",
           "KLDivLoss",
           "L1Loss",
           "LSTM",
           "LSTMCell",
           "LayerNorm",
           "LeakyReLU",
           "Linear",
           "LocalResponseNorm",
           "LogSoftmax",
           "MSELoss",
           "MarginRankingLoss",
           "MaxPool1d",
           "MaxPool2d",
           "Module",
           "ModuleDict",
           "ModuleList",
           "MultiheadAttention",
           "NLLLoss",
           "ParameterList",
           "PixelShuffle",
           "PixelUnshuffle",
           "PoissonNLLLoss",
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
           "TripletMarginLoss",
           "Unflatten",
           "Upsample",
           "UpsamplingBilinear2d",
           "UpsamplingNearest2d",
]
