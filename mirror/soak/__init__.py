"""Soak tests: many frames, counting what breaks, what leaks and what slows down.

    python -m mirror.soak --frames 20000 --json soak.json                     # Pipeline.process
    python -m mirror.soak --live --faults 500 --frames 10000 --json live.json # the kiosk's loop

``mirror.soak.frames`` runs frames one at a time through ``Pipeline.process``;
``mirror.soak.live`` runs the live loop itself (threads, render thread, window, keys) with faults
injected through its seams (``mirror.soak.faults``).
"""
from mirror.soak.frames import passed, soak
from mirror.soak.memory import rss_mb

__all__ = ["passed", "rss_mb", "soak"]
