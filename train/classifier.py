"""The attribute classifier that judges edits: a small CNN for the 40 CelebA attributes.

    python -m train.classifier --data data/aligned128 --out engines/classifier.onnx
    python -m train.classifier --data data/aligned128 --out /tmp/c.onnx --epochs 1 --limit 500

Trained on the train split only (val picks nothing; the test split is scored once, at the end,
and written to classifier.json beside the ONNX file). It is independent of the VAE: input the
same crops as the encoder, (B, 3, S, S) float32 BGR in [0, 1]; output ``logits`` (B, 40). Inside,
the crop is average-pooled to 64x64. Half of each training batch is blurred with a random
Gaussian (sigma 0.5-2.5 px at 128) so that the judge looks at hair shape and colour rather than
at sharpness: the VAE's decodes are softer than photos, and a classifier that only knows sharp
photos calls anything soft "not X". Also used by the hair-loss scale (Bald, Receding_Hairline).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from mirror.cli import setup_logging
from mirror.edit.attributes import Classifier as AttributeClassifier
from mirror.errors import MirrorError

log = logging.getLogger(__name__)


class AttributeNet(nn.Module):
    """(B, 3, S, S) float32 in [0, 1] -> (B, A) logits."""

    def __init__(self, size: int = 128, attributes: int = 40, width: int = 32):
        super().__init__()
        pool = size // 64
        layers: list[nn.Module] = [nn.AvgPool2d(pool)] if pool > 1 else []
        channels = 3
        for out in (width, width * 2, width * 4, width * 8):
            layers += [nn.Conv2d(channels, out, 3, padding=1, bias=False), nn.BatchNorm2d(out),
                       nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            channels = out
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(channels * 16, attributes))

    def forward(self, image):
        return self.head(self.features(image * 2 - 1))


def random_blur(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Blurs the second half of the batch with one random Gaussian sigma in [0.5, 2.5] px."""
    half = len(images) // 2
    sigma = 0.5 + 2.0 * float(torch.rand(1, generator=generator))
    radius = int(np.ceil(2.5 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-x ** 2 / (2 * sigma ** 2))
    kernel = kernel / kernel.sum()
    blurred = images[half:]
    blurred = F.conv2d(F.pad(blurred, (radius, radius, 0, 0), mode="replicate"),
                       kernel.view(1, 1, 1, -1).repeat(3, 1, 1, 1), groups=3)
    blurred = F.conv2d(F.pad(blurred, (0, 0, radius, radius), mode="replicate"),
                       kernel.view(1, 1, -1, 1).repeat(3, 1, 1, 1), groups=3)
    return torch.cat([images[:half], blurred])


def train_classifier(data: str, out: str, epochs: int = 8, batch_size: int = 128,
                     lr: float = 2e-3, limit: int | None = None, seed: int = 0) -> dict:
    """Trains on the train split, exports ONNX to ``out``, scores the test split; returns the
    report also written to ``out`` with .json in place of .onnx."""
    from tqdm import tqdm

    from train.data import AlignedSet

    torch.manual_seed(seed)
    start = time.time()
    train_set = AlignedSet(data, "train", limit, masks=False)
    test_set = AlignedSet(data, "test", limit, masks=False)
    model = AttributeNet(train_set.size, len(train_set.names))
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * (len(train_set) // batch_size)
    if steps == 0:
        raise MirrorError(f"{len(train_set)} train images are fewer than one batch of {batch_size}")
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, lr, total_steps=steps)
    labels = torch.from_numpy((train_set.attributes > 0).astype(np.float32))
    generator = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    bar = tqdm(total=steps, unit="step", desc="classifier", mininterval=2)
    model.train()
    for epoch in range(epochs):
        order = rng.permutation(len(train_set))
        for i in range(len(train_set) // batch_size):
            rows = order[i * batch_size:(i + 1) * batch_size]
            images, _ = train_set.batch(rows, flip=rng.random(len(rows)) < 0.5)
            images = random_blur(images, generator)
            loss = F.binary_cross_entropy_with_logits(model(images), labels[rows])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            bar.update(1)
            bar.set_postfix(epoch=epoch, loss=f"{loss.item():.3f}")
    bar.close()
    model.eval()
    export_classifier(model, out, train_set.size, train_set.names)
    classifier = Classifier(out)
    predicted = classifier.predict_crops(test_set.crops) > 0.5
    truth = test_set.attributes > 0
    accuracy = {name: round(float((predicted[:, i] == truth[:, i]).mean()), 4)
                for i, name in enumerate(test_set.names)}
    report = {"attributes": train_set.names, "test_accuracy": accuracy,
              "mean_test_accuracy": round(float(np.mean(list(accuracy.values()))), 4),
              "train_images": len(train_set), "test_images": len(test_set), "epochs": epochs,
              "batch_size": batch_size, "lr": lr, "seconds": round(time.time() - start, 1),
              "command": f"python -m train.classifier --data {data} --out {out} --epochs {epochs}"}
    with open(_sidecar(out), "w") as f:
        json.dump(report, f, indent=4, sort_keys=True)
    return report


def _sidecar(path: str) -> str:
    return os.path.splitext(path)[0] + ".json"


def export_classifier(model: AttributeNet, path: str, size: int, names: list[str]) -> None:
    import onnx

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(model, (torch.rand(2, 3, size, size),), path, input_names=["image"],
                          output_names=["logits"], dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
                          opset_version=17, dynamo=False, external_data=False)
    proto = onnx.load(path)
    entry = proto.metadata_props.add()
    entry.key, entry.value = "attributes", json.dumps(names)
    onnx.checker.check_model(proto)
    onnx.save(proto, path)


class Classifier(AttributeClassifier):
    """The mirror's attribute classifier with the instruments' view of it: the features its
    linear head reads (``embed``)."""

    def __init__(self, path: str, threads: int = 2):
        super().__init__(path, threads)
        self.path = path
        self._embedding = None    # the same graph with the head's input as a second output

    def embed(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, 3, S, S) float32 in [0, 1] -> ((N, A) probabilities, (N, F) float32 penultimate
        activations: the last feature map, pooled and flattened, that the linear head reads).

        The ONNX graph is loaded once more with that tensor added as an output (the file and
        ``predict`` are unchanged), so the features are exactly those behind the probabilities.
        """
        if self._embedding is None:
            self._embedding = self._embedding_session()
        probs, features = [], []
        for i in range(0, len(images), 256):
            logits, flat = self._embedding.run(None, {"image": np.ascontiguousarray(images[i:i + 256], np.float32)})
            probs.append(1 / (1 + np.exp(-logits)))
            features.append(flat.reshape(len(flat), -1))
        return np.concatenate(probs), np.concatenate(features)

    def _embedding_session(self):
        import onnx
        import onnxruntime

        proto = onnx.load(self.path)
        heads = [n for n in proto.graph.node if n.op_type == "Gemm" and "logits" in n.output]
        if len(heads) != 1:
            raise MirrorError(f"{self.path} has no single linear head giving the logits")
        del proto.graph.output[1:]
        proto.graph.output.append(onnx.helper.make_empty_tensor_value_info(heads[0].input[0]))
        return onnxruntime.InferenceSession(proto.SerializeToString(), self.session.get_session_options(),
                                            providers=self.session.get_providers())


class FusedClassifier(nn.Module):
    """classifier.onnx rebuilt in PyTorch (its batch norms fused into the convolutions), for
    gradients through the judge and for its features.

    ``forward`` gives the logits (B, A) like the ONNX file; ``features`` the activations after
    each ReLU, ``embedding`` (B, 8 x width) their last map averaged over space.
    """

    def __init__(self, pool: int, convs: list[tuple[np.ndarray, np.ndarray]], head: tuple[np.ndarray, np.ndarray]):
        super().__init__()
        self.pool = nn.AvgPool2d(pool) if pool > 1 else nn.Identity()
        self.convs = nn.ModuleList()
        for weight, bias in convs:
            conv = nn.Conv2d(weight.shape[1], weight.shape[0], weight.shape[2], padding=weight.shape[2] // 2)
            conv.weight.data, conv.bias.data = torch.from_numpy(weight.copy()), torch.from_numpy(bias.copy())
            self.convs.append(conv)
        self.head = nn.Linear(head[0].shape[1], head[0].shape[0])
        self.head.weight.data, self.head.bias.data = torch.from_numpy(head[0].copy()), torch.from_numpy(head[1].copy())
        self.requires_grad_(False)
        self.eval()

    def features(self, image: torch.Tensor) -> list[torch.Tensor]:
        """(B, 3, S, S) in [0, 1] -> post-ReLU maps, full size then halved per layer."""
        h, out = self.pool(image * 2 - 1), []
        for i, conv in enumerate(self.convs):
            h = torch.relu(conv(h if i == 0 else F.max_pool2d(h, 2)))
            out.append(h)
        return out

    def embedding(self, image: torch.Tensor) -> torch.Tensor:
        return self.features(image)[-1].mean(dim=(2, 3))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.head(F.max_pool2d(self.features(image)[-1], 2).flatten(1))


def load_fused_classifier(path: str) -> FusedClassifier:
    """FusedClassifier from the weights in ``path`` (classifier.onnx as export_classifier writes it).

    Raises:
        MirrorError: for a missing file or a graph of another shape.
    """
    import onnx
    from onnx import numpy_helper

    if not os.path.isfile(path):
        raise MirrorError(f"classifier not found: {path}")
    graph = onnx.load(path).graph
    weights = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    pools = [n for n in graph.node if n.op_type == "AveragePool"]
    convs = [n for n in graph.node if n.op_type == "Conv"]
    gemms = [n for n in graph.node if n.op_type == "Gemm"]
    if not convs or len(gemms) != 1 or any(len(n.input) != 3 for n in convs):
        raise MirrorError(f"{path} is not the attribute classifier's graph (fused convs + one Gemm)")
    pool = next((a.ints[0] for n in pools for a in n.attribute if a.name == "kernel_shape"), 1)
    return FusedClassifier(pool, [(weights[n.input[1]], weights[n.input[2]]) for n in convs],
                           (weights[gemms[0].input[1]], weights[gemms[0].input[2]]))


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.classifier", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="prepared aligned folder")
    parser.add_argument("--out", required=True, help="classifier .onnx to write (+ .json report)")
    parser.add_argument("--epochs", type=int, default=8, help="epochs (default: 8)")
    parser.add_argument("--batch-size", type=int, default=128, help="batch size (default: 128)")
    parser.add_argument("--lr", type=float, default=2e-3, help="peak one-cycle learning rate (default: 2e-3)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N images per split")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default: 2)")
    return parser.parse_args(argv)


def main(args: argparse.Namespace) -> int:
    setup_logging(False, logging.INFO, native=True)
    torch.set_num_threads(args.threads)
    try:
        report = train_classifier(args.data, args.out, args.epochs, args.batch_size, args.lr, args.limit)
    except MirrorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps({"mean_test_accuracy": report["mean_test_accuracy"],
                      "test_accuracy": report["test_accuracy"]}, indent=4))
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_arguments()))
