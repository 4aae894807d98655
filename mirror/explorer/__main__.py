"""``python -m mirror.explorer``: the latent explorer (see ``mirror.explorer``)."""
import sys

from mirror.explorer.cli import main, parse_arguments

sys.exit(main(parse_arguments()))
