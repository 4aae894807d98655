"""The bench's report: everything measured, as one JSON-ready dict and a plain-text table,
checked against the targets."""
from __future__ import annotations

import argparse
import os
import sys
from contextlib import ExitStack, closing

from mirror.bench.harness import Preview, instrument, open_bench_source
from mirror.bench.measure import CpuMeter, machine_info, peak_rss_mb, percentiles
from mirror.bench.runs import bench_floor, bench_mirror, bench_torch
from mirror.io.source import camera_index

STAGES = ("capture", "track", "align", "encode", "segment", "decode", "edit", "render", "rebase", "place", "composite", "display")
# The speed issue's targets for a 2-core CPU machine.
TARGETS = {"throughput_fps": 60.0, "latency_p95_ms": 25.0, "ratio_to_floor": 0.4,
           "speedup_vs_torch": 1.5, "rss_mb": 1024.0}


def bench(args: argparse.Namespace, shared: dict | None = None) -> dict:
    """Runs everything; returns the JSON report. ``shared``: the tracker-only floor and the model
    against PyTorch (``floor``, ``torch``), which depend on no style, if already measured (they
    are then not measured again, and are set in it otherwise)."""
    from mirror.run.app import Pipeline
    from mirror.backends import load_model_files
    from mirror.io.source import ImageSource

    cpu = CpuMeter()
    with ExitStack() as stack:
        source = stack.enter_context(open_bench_source(args.source, args.frames, args.live))
        static = isinstance(source, ImageSource)
        pipeline = stack.enter_context(Pipeline(args.engines, args.backend, static, args.run))
        # (after the source and the model open: a bad one's error line is not under a bar)
        progress = _progress(args)
        if progress:
            stack.callback(progress.close)
        from mirror.run.pipelined import configure_threads

        threads = configure_threads(pipeline, args.threads, sequential=args.sequential)
        instrument(pipeline)
        style = pipeline.styles.get(args.style)
        preview = stack.enter_context(closing(Preview())) if not args.no_display else None
        if progress:
            progress.set_description("mirror")
        run = bench_mirror(pipeline, source, style, args.frames, args.warmup, args.sequential, preview, progress,
                           args.in_flight)
        live = None
        if args.live_frames and not args.live and not static and camera_index(args.source) is None:
            if progress:
                progress.set_description("as a camera")
            with open_bench_source(args.source, args.live_frames, live=True) as paced:
                played = bench_mirror(pipeline, paced, style, args.live_frames, 10, args.sequential, preview,
                                      progress, args.in_flight)
            live = {"source_fps": paced.fps, "frames": played.frames, "dropped": played.dropped,
                    "throughput_fps": round(played.frames / played.seconds, 2) if played.seconds > 0 else 0.0,
                    "latency_ms": percentiles(played.latency)}
        rss = peak_rss_mb()
        shared = {} if shared is None else shared
        if "floor" not in shared:
            if progress:
                progress.set_description("tracker floor")
            shared["floor"] = bench_floor(args.source, pipeline.tracker, args.floor_frames, min(args.warmup, 10), progress)
        floor = shared["floor"]
        if "torch" not in shared or (shared["torch"]["speedup"] is None and run.crops and not args.no_torch):
            if progress:
                progress.set_description("model vs torch")
            model = load_model_files(args.engines)
            shared["torch"] = {"backend_ms": {}, "torch_ms": {}, "threads": None, "speedup": None, "speedup_best": None,
                               "reason": "skipped (--no-torch)"} if args.no_torch else \
                bench_torch(model, pipeline.editor.backend.inner, args.run, run.crops, style.direction,
                            threads.get("onnxruntime") or os.cpu_count() or 1)
        torch_info = shared["torch"]
        backend_name = pipeline.backend
    throughput = run.frames / run.seconds if run.seconds > 0 else 0.0
    latency = percentiles(run.latency)
    report = {
        "source": args.source,
        "mode": "sequential" if args.sequential else "pipelined",
        "live": bool(args.live),
        "style": args.style,
        "frames": run.frames,
        "faces": run.faces,
        "bad_frames": run.bad_frames,
        "dropped": run.dropped,
        "throughput_fps": round(throughput, 2),
        "latency_ms": latency,
        "floor_fps": floor,
        "ratio_to_floor": round(throughput / floor, 3) if floor > 0 else None,
        "speedup_vs_torch": torch_info["speedup"],
        "speedup_vs_torch_reason": torch_info["reason"],
        "model_ms": {"threads": torch_info["threads"], "backend_by_threads": torch_info["backend_ms"],
                     "torch_by_threads": torch_info["torch_ms"], "speedup_best": torch_info["speedup_best"]},
        "as_camera": live,
        "rss_mb": rss,
        "cpu_ms_per_frame": round(run.cpu_seconds * 1000.0 / run.frames, 2) if run.frames else None,
        "cpu_cores_used": round(run.cpu_seconds / run.seconds, 2) if run.seconds > 0 else None,
        "stages": {name: percentiles(run.stages[name]) for name in (*STAGES, "edit_total") if name in run.stages},
        # Frames shown while the render thread was drawing, and the others: drawing in the
        # background delays no frame if their latencies are alike.
        "render_thread": None if not run.drawing else {
            "frames_while_drawing": len(run.drawing), "latency_ms_while_drawing": percentiles(run.drawing),
            "latency_ms_otherwise": percentiles(run.idle)},
        "threads": threads,
        "runner": None if args.sequential else {"max_in_flight": args.in_flight},
        "machine": {**machine_info(backend_name), "other_processes_cores_busy": cpu.other_cores(),
                    "loadavg_at_end": [round(v, 2) for v in os.getloadavg()] if hasattr(os, "getloadavg") else None},
    }
    report["targets"] = check_targets(report)
    return report


def bench_all(args: argparse.Namespace, names: list[str]) -> dict:
    """``bench`` for each style of ``names`` in turn on the same source (the floor and the model
    against PyTorch measured once): {"styles": {name: report}, "summary": {name: the figures the
    targets are on}, ...}."""
    shared: dict = {}
    reports = {name: bench(argparse.Namespace(**{**vars(args), "style": name}), shared) for name in names}
    summary = {}
    for name, report in reports.items():
        camera = report["as_camera"]
        stages = report["stages"]
        summary[name] = {
            "throughput_fps": report["throughput_fps"], "latency_p95_ms": report["latency_ms"]["p95"],
            "as_camera_p95_ms": camera["latency_ms"]["p95"] if camera else None,
            "ratio_to_floor": report["ratio_to_floor"],
            **{f"{stage}_ms": stages[stage] for stage in ("track", "render", "place", "composite") if stage in stages},
            "met": all(target["met"] is not False for target in report["targets"].values()),
        }
    first = next(iter(reports.values()))
    return {"source": args.source, "mode": first["mode"], "frames": args.frames, "floor_fps": first["floor_fps"],
            "speedup_vs_torch": first["speedup_vs_torch"], "summary": summary, "styles": reports,
            "machine": {**first["machine"], "loadavg_at_end": [round(v, 2) for v in os.getloadavg()]
                        if hasattr(os, "getloadavg") else None}}


def format_summary(report: dict) -> str:
    """``bench_all``'s report as a table, one row per style."""
    width = max([len("style")] + [len(name) for name in report["summary"]]) + 2
    lines = [f"{report['mode']} mirror on {report['source']}, {report['frames']} frames a style; "
             f"floor {report['floor_fps']} fps, model {report['speedup_vs_torch'] or '-'}x PyTorch eager",
             f"{'style':<{width}}{'fps':>6}{'p95 ms':>9}{'camera p95':>12}{'ratio':>7}{'render p50/p95 ms':>20}  targets"]
    for name, row in report["summary"].items():
        render = row.get("render_ms")
        render = "-" if render is None else f"{render['p50']:.1f} / {render['p95']:.1f}"
        camera = "-" if row["as_camera_p95_ms"] is None else f"{row['as_camera_p95_ms']:.1f}"
        lines.append(f"{name:<{width}}{row['throughput_fps']:>6.1f}{row['latency_p95_ms']:>9.1f}{camera:>12}"
                     f"{row['ratio_to_floor']:>7.2f}{render:>20}  {'ok' if row['met'] else 'MISSED'}")
    machine = report["machine"]
    lines.append(f"machine: {machine['cpu']}, {machine['cores']} cores; load average {machine['loadavg_1min_at_start']} "
                 f"at the start, {machine['loadavg_at_end']} at the end")
    return "\n".join(lines)


def check_targets(report: dict) -> dict:
    """Each target of the issue: its value here, the bar, and whether it is met (None: unknown)."""
    values = {"throughput_fps": report["throughput_fps"], "latency_p95_ms": report["latency_ms"]["p95"],
              "ratio_to_floor": report["ratio_to_floor"], "speedup_vs_torch": report["speedup_vs_torch"],
              "rss_mb": report["rss_mb"]}
    out = {}
    for name, bar in TARGETS.items():
        value = values[name]
        lower_is_better = name in ("latency_p95_ms", "rss_mb")
        met = None if value is None else (value <= bar if lower_is_better else value >= bar)
        out[name] = {"value": value, "target": ("<= " if lower_is_better else ">= ") + f"{bar:g}", "met": met}
    return out


def format_table(report: dict) -> str:
    """The report as a plain-text table."""
    lines = [f"{report['mode']} mirror on {report['source']}: {report['frames']} frames "
             f"({report['faces']} with a face, {report['dropped']} dropped), backend {report['machine']['backend']}",
             f"{'stage':<12}{'p50 ms':>10}{'p95 ms':>10}"]
    for name, values in report["stages"].items():
        p50, p95 = values["p50"], values["p95"]
        lines.append(f"{name:<12}{p50:>10.2f}{p95:>10.2f}")
    lines.append(f"{'latency':<12}{report['latency_ms']['p50']:>10.2f}{report['latency_ms']['p95']:>10.2f}")
    lines.append("")
    for name, target in report["targets"].items():
        mark = {True: "ok", False: "MISSED", None: "n/a"}[target["met"]]
        value = "-" if target["value"] is None else f"{target['value']:g}"
        lines.append(f"{name:<18}{value:>10}  (target {target['target']}) {mark}")
    if report.get("as_camera"):
        live = report["as_camera"]
        lines.append(f"{'as a camera':<18}{live['throughput_fps']:>10g} fps at {live['source_fps']:g} fps in, "
                     f"latency p50 {live['latency_ms']['p50']} ms, p95 {live['latency_ms']['p95']} ms, "
                     f"{live['dropped']} dropped")
    lines.append(f"{'floor_fps':<18}{report['floor_fps']:>10g}")
    lines.append(f"{'cpu per frame':<18}{report['cpu_ms_per_frame']:>10g} ms  ({report['cpu_cores_used']:g} cores busy)")
    if report["speedup_vs_torch"] is None:
        lines.append(f"speedup_vs_torch: {report['speedup_vs_torch_reason']}")
    else:
        model = report["model_ms"]
        lines.append(f"model per frame (encode 1 + decode 2), ms by threads: {report['machine']['backend']} "
                     f"{model['backend_by_threads']}, torch eager {model['torch_by_threads']}; "
                     f"speed-up {report['speedup_vs_torch']}x at {model['threads']} thread(s), "
                     f"{model['speedup_best']}x each at its best")
    machine = report["machine"]
    lines.append(f"machine: {machine['cpu']}, {machine['cores']} cores, threads {report['threads']}, "
                 f"other processes kept {machine['other_processes_cores_busy']} cores busy")
    return "\n".join(lines)


def _progress(args):
    if args.quiet:
        return None
    from tqdm import tqdm

    return tqdm(total=args.frames + args.warmup + args.floor_frames + min(args.warmup, 10) + args.live_frames + 10,
                unit="frame", file=sys.stderr, leave=False)
