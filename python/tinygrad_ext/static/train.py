"""tf.train: optimizers that add their update ops to the graph (`minimize` = gradients + apply_gradients).

Each update is an assignment node (`v.assign(v - lr * g)`), so a Session plans it with the rest of the step
and computes it in the variable's own tensor where it can (see _passes.py). Slots (momentum accumulators,
Adam's moments) are Variables created beside each trained variable and initialized by
global_variables_initializer, as TensorFlow's.
"""
from ._gradients import gradients
from ._graph import get_default_graph, int64
from ._ops import UNARY_API, cast, convert_to_tensor, zeros_like
from ._variables import Variable, assign_add, group, trainable_variables

_sqrt = UNARY_API["sqrt"]


class Optimizer:
    """tf.train.Optimizer: compute_gradients, apply_gradients and minimize; subclasses give `_apply(g, var)`."""

    def __init__(self, use_locking, name):
        self._name = name
        self._slots = {}

    def get_name(self):
        return self._name

    def compute_gradients(self, loss, var_list=None, gate_gradients=1, aggregation_method=None,
                          colocate_gradients_with_ops=False, grad_loss=None):
        var_list = trainable_variables() if var_list is None else list(var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        return list(zip(gradients(loss, var_list, grad_ys=grad_loss), var_list))

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        grads_and_vars = [(g, v) for g, v in grads_and_vars]
        if all(g is None for g, _ in grads_and_vars):
            raise ValueError(f"No gradients provided for any variable: {[v.name for _, v in grads_and_vars]}.")
        self._prepare([v for g, v in grads_and_vars if g is not None])
        updates = [self._apply(convert_to_tensor(g), v) for g, v in grads_and_vars if g is not None]
        updates += self._finish()
        if global_step is not None:
            updates.append(assign_add(global_step, 1))
        return group(*updates, name=name or self._name)

    def minimize(self, loss, global_step=None, var_list=None, gate_gradients=1, aggregation_method=None,
                 colocate_gradients_with_ops=False, name=None, grad_loss=None):
        grads_and_vars = self.compute_gradients(loss, var_list, grad_loss=grad_loss)
        if all(g is None for g, _ in grads_and_vars):
            raise ValueError("No gradients provided for any variable, check your graph for ops that do not support "
                             f"gradients, between variables {[v.name for _, v in grads_and_vars]} and loss {loss}.")
        return self.apply_gradients(grads_and_vars, global_step, name)

    def get_slot(self, var, name):
        return self._slots.get((var, name))

    def _slot(self, var, name, initial=None):
        slot = self._slots.get((var, name))
        if slot is None:
            init = zeros_like(var.initial_value) if initial is None else initial
            slot = self._slots[(var, name)] = Variable(init, trainable=False, name=f"{var.name}/{self._name}/{name}")
        return slot

    def _prepare(self, var_list):
        pass

    def _finish(self):
        return []


class GradientDescentOptimizer(Optimizer):
    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        super().__init__(use_locking, name)
        self._lr = learning_rate

    def _apply(self, g, var):
        return var.assign(var - self._lr * g)


class MomentumOptimizer(Optimizer):
    """accum = momentum * accum + g; var -= lr * accum (Nesterov: var -= lr * (g + momentum * accum))."""

    def __init__(self, learning_rate, momentum, use_locking=False, name="Momentum", use_nesterov=False):
        super().__init__(use_locking, name)
        self._lr, self._momentum, self._nesterov = learning_rate, momentum, use_nesterov

    def _apply(self, g, var):
        accum = self._slot(var, "momentum")
        new = accum.assign(accum * self._momentum + g)
        step = g + self._momentum * new if self._nesterov else new
        return var.assign(var - self._lr * step)


class AdamOptimizer(Optimizer):
    """TensorFlow's Adam: lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t); var -= lr_t * m / (sqrt(v) + epsilon)."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-08, use_locking=False, name="Adam"):
        super().__init__(use_locking, name)
        self._lr, self._beta1, self._beta2, self._epsilon = learning_rate, beta1, beta2, epsilon
        self._powers = None

    def _prepare(self, var_list):
        if self._powers is None:  # (in the first variable's dtype, as TensorFlow's)
            dtype = var_list[0].dtype
            self._powers = (Variable(convert_to_tensor(self._beta1, dtype), trainable=False, name="beta1_power"),
                            Variable(convert_to_tensor(self._beta2, dtype), trainable=False, name="beta2_power"))

    def _apply(self, g, var):
        b1, b2 = self._beta1, self._beta2
        b1_power, b2_power = self._powers
        lr_t = cast(self._lr * _sqrt(1.0 - b2_power) / (1.0 - b1_power), var.dtype)
        m, v = self._slot(var, "m"), self._slot(var, "v")
        m_t = m.assign(m * b1 + g * (1 - b1))
        v_t = v.assign(v * b2 + g * g * (1 - b2))
        return var.assign(var - lr_t * m_t / (_sqrt(v_t) + self._epsilon))

    def _finish(self):
        # (a run reads each variable once, before any assignment: the updates above saw the old powers)
        b1_power, b2_power = self._powers
        return [b1_power.assign(b1_power * self._beta1), b2_power.assign(b2_power * self._beta2)]


def create_global_step(graph=None):
    graph = graph or get_default_graph()
    with graph.as_default():
        step = Variable(convert_to_tensor(0, int64), trainable=False, name="global_step")
    graph._global_step = step
    return step


def get_global_step(graph=None):
    return getattr(graph or get_default_graph(), "_global_step", None)


def get_or_create_global_step(graph=None):
    step = get_global_step(graph)
    return step if step is not None else create_global_step(graph)
