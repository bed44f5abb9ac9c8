"""detect_anomaly / set_detect_anomaly: name the op whose backward produced NaN."""
_enabled = [False]


class detect_anomaly:
    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = _enabled[0]
        _enabled[0] = self.check_nan

    def __exit__(self, *exc):
        _enabled[0] = self._prev
        return False


class set_detect_anomaly(detect_anomaly):
    def __init__(self, mode):
        self._prev = _enabled[0]
        _enabled[0] = bool(mode)

    def __enter__(self):
        pass


def is_anomaly_enabled():
    return _enabled[0]
