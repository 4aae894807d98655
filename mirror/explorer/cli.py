"""The explorer's command line: ``python -m mirror.explorer --help``."""
from __future__ import annotations

import argparse
import logging
import os
import sys

import mirror.explorer
from mirror.cli import setup_logging
from mirror.errors import MirrorError
from mirror.explorer.data import AlignedData, align_photo
from mirror.explorer.state import LatentExplorer
from mirror.paths import DEFAULT_ENGINES
from mirror.edit.styles import StyleLibrary

log = logging.getLogger(__name__)


# --- command line ----------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, like every other error of the project
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)


def parse_arguments(argv=None) -> argparse.Namespace:
    from mirror.backends import CHOICES

    parser = _Parser(prog="python -m mirror.explorer", description=mirror.explorer.__doc__,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default=DEFAULT_ENGINES, help="folder of the shipped model (default: engines/)")
    parser.add_argument("--backend", default="onnxruntime", choices=CHOICES, help="model backend (default: onnxruntime)")
    parser.add_argument("--data", help="prepared aligned set (python -m train.prepare): indexer, PCA, nearest faces")
    parser.add_argument("--encode", type=int, default=2000,
                        help="dataset faces encoded for PCA and nearest faces (default: 2000; cached)")
    parser.add_argument("--photo", action="append", default=[],
                        help="a photo to reconstruct (repeatable; default: the packaged demo photos)")
    parser.add_argument("--camera", type=int, help="camera index: C grabs a frame")
    parser.add_argument("--components", type=int, default=8, help="principal-direction sliders (default: 8)")
    parser.add_argument("--range", type=float, default=1.0,
                        help="Randomize spread, 0.1 to 5: 1 draws faces as varied as real ones from the "
                             "Gaussian fitted to them (styles.json); larger distorts (default: 1)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--window", default="1280x800", help="window size WxH (default: 1280x800)")
    parser.add_argument("--do", default="", help="commands run at start, ';'-separated (see LatentExplorer.run)")
    parser.add_argument("--screenshot", help="no window: draw once (after --do), save this PNG, exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    args = parser.parse_args(argv)
    if not 0.1 <= args.range <= 5.0:
        parser.error("--range must be between 0.1 and 5")
    if not 0 <= args.components <= 64:
        parser.error("--components must be between 0 and 64")
    if args.encode < 1:
        parser.error("--encode must be at least 1")
    try:
        width, height = (int(v) for v in args.window.lower().split("x"))
        if width < 640 or height < 480:
            raise ValueError
    except ValueError:
        parser.error(f"--window must be WxH, at least 640x480, got {args.window!r}")
    args.window = (width, height)
    return args


def build(args: argparse.Namespace) -> LatentExplorer:
    """The explorer state for the command line's options (loads the model, data and photos)."""
    from mirror.backends import create_backend, load_model_files
    from mirror.edit.donors import DonorBank
    from mirror.io.source import demo_images, read_image

    model = load_model_files(args.engines)
    data = AlignedData(args.data, model.size) if args.data else None
    images = [(os.path.basename(p), read_image(p)) for p in args.photo] if args.photo else demo_images()
    photos = [(name, align_photo(image, model.size, name)) for name, image in images]
    backend, reason = create_backend(args.backend, model)
    log.info("backend: %s", reason)
    styles = StyleLibrary(model.styles)
    if styles.prior is None:
        log.warning("random faces from %s", styles.prior_label)
    donors = DonorBank.load(model.donors) if os.path.isfile(model.donors) else None
    explorer = LatentExplorer(backend, styles, model.size, data, photos,
                              components=args.components, encode=args.encode, seed=args.seed,
                              random_range=args.range, encoder_path=model.encoder, donors=donors)
    explorer.model_label = f"{os.path.basename(os.path.normpath(args.engines))}: " \
                           f"{model.size} px, Z = {model.latent_dim}, {backend.name}"
    explorer.camera = args.camera
    if data is not None:
        explorer.show_item(0)
    elif photos:
        explorer.show_photo(0)
    explorer.run(args.do)
    return explorer


def main(args: argparse.Namespace) -> int:
    setup_logging(args.verbose)
    logging.getLogger("mirror.explorer.data").setLevel(logging.INFO)  # say what takes a while: encoding the data set
    if args.screenshot:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    try:
        from mirror.explorer.view import ExplorerWindow

        explorer = build(args)
        with ExplorerWindow(explorer, args.window) as window:
            if args.screenshot:
                window.draw()
                window.screenshot(args.screenshot)
                print(f"wrote {args.screenshot}")
            else:
                window.loop()
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0
