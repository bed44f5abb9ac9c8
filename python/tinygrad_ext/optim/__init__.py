"""torch.optim: SGD, Adam, AdamW, Adamax, NAdam, RAdam, Adadelta, Adagrad, RMSprop, Rprop, ASGD, LBFGS, Muon,
lr_scheduler and swa_utils.
Steps run under no_grad as in-place _C ops on the parameters, following torch's single-tensor formulas."""
from . import lr_scheduler, swa_utils
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .muon import Muon
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["ASGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS", "Muon", "NAdam", "Optimizer", "RAdam",
           "RMSprop", "Rprop", "SGD", "lr_scheduler", "swa_utils"]
