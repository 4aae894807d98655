"""Benchmarks the whole mirror headless: per-stage times, latency, throughput, the tracker-only
floor, the same model on PyTorch eager, and peak memory.

    python -m mirror.bench --source ../shared/data/videos/d13.mp4 --frames 300 --json bench.json
    python -m mirror.bench --source ../shared/data/videos/d13.mp4 --sequential   # the plain loop
    python -m mirror.bench --source demo --frames 60 --engines /tmp/fake_engines
    python -m mirror.bench --source clip.mp4 --live     # paced like a 30 fps camera, drops allowed

What it runs, in one process:

1. The mirror, as ``run_mirror.py`` runs it (the pipelined loop of ``mirror.run.pipelined``, or with
   ``--sequential`` the one-frame-at-a-time ``Pipeline.process``), headless, followed on the
   caller's thread by the preview's own drawing code on an offscreen SDL window (``display``).
   ``--warmup`` frames first, then ``--frames`` measured ones. A short video is looped.
2. The tracker-only floor: capture + MediaPipe face mesh alone, on the same source.
3. The model alone: one encode and one two-latent decode (what the editor runs per frame) on
   crops from the run, on the chosen backend and on PyTorch eager (the same weights, or ``--run``).

Stages (milliseconds per frame): ``capture`` (reading/decoding the frame), ``track`` (face
mesh), ``align`` (the model's crop and the renderer's detail crop), ``encode``, ``segment``
(the student hair and person segmenter), ``decode``, ``edit`` (the rest of the editor: latent
move, segmenting decodes, shape regions), ``render`` (the renderer and the background plate),
``place`` (the edit warped onto the frame's boxes, on the edit's thread), ``composite`` (laid
over the frame), ``display`` (preview drawing). Latency:
from the frame in hand to the preview drawn. Throughput: frames out per second of wall time.
The main run feeds frames as fast as the mirror takes them (its latency includes the wait of a
saturated pipeline); ``as_camera`` then plays the video in real time, as a camera would deliver
it, and reports the latency a person in front of the mirror sees.


Modules: ``harness`` (what the bench wraps around the mirror: timed model calls, the offscreen
preview, a video paced like a camera), ``measure`` (percentiles, memory, CPU, the machine),
``runs`` (the runs: the mirror, the tracker-only floor, the model against PyTorch), ``report``
(all of it as one JSON report and its table, against the targets), ``cli`` (the command line).
"""
