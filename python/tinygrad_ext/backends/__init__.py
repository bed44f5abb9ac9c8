from . import cuda, cudnn
