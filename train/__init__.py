"""Training package: aligned data (prepare.py, data.py), models, losses, the loop, export,
style library, evaluation and report figures. Run ``python -m train --help``."""
import mirror  # noqa: F401,E402  (sets the runtime's privacy settings, e.g. ONNX Runtime telemetry off)
