"""tf.errors: the exceptions a Session raises while running a graph, as TensorFlow names them."""


class OpError(Exception):
    """An error raised while running an op: `message`, and the op (`op`) it was raised for."""

    error_code = 2

    def __init__(self, node_def, op, message, error_code=None):
        super().__init__(message)
        self.node_def, self.op, self.message = node_def, op, message
        if error_code is not None:
            self.error_code = error_code

    def __str__(self):
        return self.message


class InvalidArgumentError(OpError):
    """An op got an invalid argument: an unfed placeholder, incompatible shapes at run time, ..."""

    error_code = 3

    def __init__(self, node_def, op, message, *args):
        super().__init__(node_def, op, message)


class FailedPreconditionError(OpError):
    """The graph's state does not allow the op to run: reading an uninitialized Variable."""

    error_code = 9

    def __init__(self, node_def, op, message, *args):
        super().__init__(node_def, op, message)


class UnimplementedError(OpError):
    error_code = 12

    def __init__(self, node_def, op, message, *args):
        super().__init__(node_def, op, message)
