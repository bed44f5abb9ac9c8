"""torch.optim: SGD, Adam, AdamW, Adagrad, RMSprop and lr_scheduler. Steps run under no_grad as in-place
_C ops on the parameters, following torch's single-tensor formulas."""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
