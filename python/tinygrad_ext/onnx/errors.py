"""torch.onnx.errors: what the exporter raises."""


class OnnxExporterError(RuntimeError):
    """Errors raised by the ONNX exporter."""


class UnsupportedOperatorError(OnnxExporterError):
    """An operator the exporter has no ONNX translation for (named in the message)."""

    def __init__(self, name, version, supported_version=None, detail=""):
        if supported_version is not None:
            msg = (f"Exporting the operator '{name}' to ONNX opset version {version} is not supported. Support for "
                   f"this operator was added in version {supported_version}, try exporting with this version.")
        else:
            msg = (f"Exporting the operator '{name}' to ONNX opset version {version} is not supported by "
                   "tinygrad_ext.onnx." + (f" {detail}" if detail else ""))
        super().__init__(msg)
