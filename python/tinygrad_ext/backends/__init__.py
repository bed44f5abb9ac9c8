from . import cuda, cudnn, mps
