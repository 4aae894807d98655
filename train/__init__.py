"""Training package: aligned data (prepare.py, data.py), models, losses, the loop, export,
style library, evaluation and report figures. Run ``python -m train --help``."""
