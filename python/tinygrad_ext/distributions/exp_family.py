"""torch.distributions.exp_family.ExponentialFamily: the base of the distributions with density
exp(<t(x), theta> - F(theta) + k(x)); entropy and the same-family KL come from the log normalizer F by autograd
(Bregman divergences, Nielsen and Nock)."""
from ..autograd import grad
from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """A distribution of an exponential family: subclasses give `_natural_params` (theta), `_log_normalizer(*theta)`
    (F) and `_mean_carrier_measure` (E[k(x)])."""

    @property
    def _natural_params(self):
        """The natural parameters theta, a tuple of tensors."""
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        """The log normalizer F(theta)."""
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        """The expected carrier measure E[k(x)] (needed for the entropy)."""
        raise NotImplementedError

    def entropy(self):
        """-E[k(x)] + F(theta) - <theta, grad F(theta)>, the gradient by autograd."""
        result = -self._mean_carrier_measure
        nparams = [p.detach().requires_grad_() for p in self._natural_params]
        log_normalizer = self._log_normalizer(*nparams)
        gradients = grad(log_normalizer.sum(), nparams, create_graph=True)
        result = result + log_normalizer
        for theta, g in zip(nparams, gradients):
            result = result - (theta * g).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result
