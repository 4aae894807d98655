"""``python -m mirror.bench``: benchmarks the whole mirror (see ``mirror.bench``)."""
import sys

from mirror.bench.cli import main, parse_arguments

sys.exit(main(parse_arguments()))
