"""Train the hair mirror's VAE.

    python -m train --data data/aligned128 --run runs/vae128                 # the shipped model
    python -m train --data data/aligned128 --run runs/vae128 --resume        # continue a stopped run
    python -m train --data data/aligned128 --run runs/vae128 --resume --epochs 40   # extend it
    python -m train --data data/aligned128 --run runs/b4 --loss betaH --beta 4 --rec-dist gaussian
    torchrun --nproc_per_node 8 -m train --data data/aligned128_full --run runs/full --batch-size 64

Then: python -m train.export runs/vae128 engines
      python -m train.styles runs/vae128 --data data/aligned128 --out engines/styles.json
      python -m train.evaluate --engines engines --data data/aligned128 --json runs/vae128/eval.json

With --resume the run's specs.json is the base; flags typed on the command line win over it
(model-shape flags cannot change). Progress, loss and images/s show in the bar; TensorBoard:
tensorboard --logdir runs
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

from mirror.face.align import SIZES
from mirror.cli import setup_logging
from mirror.errors import MirrorError
from mirror.edit.vae import MODEL_KEYS, read_specs
from train.losses import LOSSES, RECONSTRUCTIONS
from train.training import Config, train

DEFAULTS = Config()


def parse_arguments(argv=None) -> argparse.Namespace:
    """Parses the command line; options not typed stay None (so presets and specs can fill them)."""
    parser = argparse.ArgumentParser(prog="python -m train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    d = DEFAULTS

    target = [parser]

    def add(flag, help, **kwargs):
        name = flag.lstrip("-").replace("-", "_")
        default = getattr(d, name)
        target[0].add_argument(flag, default=None, help=f"{help} (default: {default})", **kwargs)

    parser.add_argument("--resume", action="store_true", help="continue the run in --run")
    add("--data", "prepared aligned folder from python -m train.prepare")
    add("--run", "run folder for checkpoint, specs.json, history and TensorBoard events")
    target[0] = parser.add_argument_group("model")
    add("--size", "image side in pixels; must match --data", type=int, choices=SIZES)
    add("--latent-dim", "latent dimensions Z", type=int)
    add("--width", "channels of the first conv stage, doubled per stage", type=int)
    add("--max-width", "channel cap", type=int)
    add("--blocks", "residual blocks per resolution at 16 px and below", type=int)
    target[0] = parser.add_argument_group("loss")
    add("--loss", "objective", choices=tuple(LOSSES))
    add("--rec-dist", "reconstruction distribution", choices=RECONSTRUCTIONS)
    add("--beta", "betaH: weight of the KL term", type=float)
    add("--warmup-steps", "vae/betaH: KL warm-up steps", type=int)
    add("--c-init", "betaB: initial capacity in nats", type=float)
    add("--c-max", "betaB: final capacity in nats", type=float)
    add("--gamma", "betaB: weight of |KL - C|", type=float)
    add("--anneal-steps", "betaB: capacity annealing steps", type=int)
    add("--hair-weight", "extra reconstruction weight on the hair region (0: off)", type=float)
    target[0] = parser.add_argument_group("optimisation")
    add("--epochs", "epochs", type=int)
    add("--batch-size", "images per step per process", type=int)
    add("--lr", "Adam learning rate (cosine decay)", type=float)
    add("--lr-min-ratio", "final learning rate / --lr", type=float)
    target[0].add_argument("--no-flip", dest="flip", action="store_const", const=False, default=None,
                        help="no left-right mirroring augmentation")
    add("--seed", "random seed", type=int)
    add("--limit", "only the first N train images", type=int)
    add("--max-steps", "stop after this many steps", type=int)
    add("--save-every", "checkpoint every N steps", type=int)
    add("--log-every", "history row every N steps", type=int)
    add("--val-images", "val images scored per epoch", type=int)
    add("--threads", "torch threads per process", type=int)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace) -> Config:
    """Defaults, then the run's specs.json (with --resume), then the flags typed: typed flags win."""
    typed = {k: v for k, v in vars(args).items()
             if v is not None and k not in ("resume", "verbose")}
    values = {}
    if args.resume:
        run = typed.get("run", DEFAULTS.run)
        specs = read_specs(run)
        values.update({k: v for k, v in Config.from_specs(specs).__dict__.items()})
        changed = [k for k in MODEL_KEYS if k in typed and typed[k] != values.get(k)]
        if changed:
            raise MirrorError(f"--resume cannot change the model shape ({', '.join(changed)})")
    values.update(typed)
    values.pop("torch_version", None)
    values.pop("world_size", None)
    return Config(**{**DEFAULTS.__dict__, **values, "torch_version": DEFAULTS.torch_version})


def main(args: argparse.Namespace) -> int:
    setup_logging(args.verbose, logging.INFO, native=True)
    rank = int(os.environ.get("RANK", "0"))
    try:
        config = build_config(args)
        last = train(config, resume=args.resume)
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: continue with --resume", file=sys.stderr)
        return 130
    if rank == 0:
        logging.getLogger("train").info("done: %s", last)
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
