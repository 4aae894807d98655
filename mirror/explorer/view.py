"""The Pygame window of the latent explorer (``python -m mirror.explorer``).

Draws a ``LatentExplorer`` and turns mouse and keyboard events into its actions; holds no model
state of its own. Every frame rebuilds the list of clickable areas, so layout and hit-testing
never disagree.
"""
from __future__ import annotations

import os
import time
from typing import Callable

import numpy as np

from mirror.edit import hairloss
from mirror.explorer.state import LatentExplorer

BG = (22, 24, 29)
PANEL = (33, 36, 43)
PANEL_HI = (44, 48, 57)
LINE = (62, 67, 78)
TEXT = (232, 234, 238)
MUTED = (150, 156, 168)
ACCENT = (88, 166, 255)
WARM = (255, 178, 84)

HELP = [
    ("Up / Down", "pick a slider"),
    ("Left / Right", "move the picked slider"),
    ("R  /  X  /  I", "randomize / reset (zeros) / invert"),
    ("- / =", "randomize spread smaller / larger"),
    ("0-9, Enter", "go to a data set index"),
    ("PgUp / PgDn  , .", "previous / next data set face"),
    ("P  /  C", "next photo / grab a camera frame"),
    ("[  /  ]", "hair-loss scale: fuller / balder"),
    ("A  /  B", "set interpolation end from the shown face"),
    ("T", "ends = the shown face with two styles"),
    ("J  /  K", "move along A -> B"),
    ("N", "next donors (nearest the shown face first)"),
    ("S", "screenshot (explorer_*.png)"),
    ("H", "this help"),
    ("Q / Esc", "quit"),
    ("mouse", "drag sliders, wheel over a slider or the index,"),
    ("", "click buttons and nearest faces"),
]


class ExplorerWindow:
    """A Pygame window over a ``LatentExplorer``.

    Args:
        explorer: the state to show and act on.
        size: window size (width, height).
    """

    def __init__(self, explorer: LatentExplorer, size: tuple[int, int] = (1280, 800)):
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        import pygame

        self.pg = pygame
        self.state = explorer
        pygame.display.init()
        pygame.font.init()
        self.screen = pygame.display.set_mode(size, pygame.RESIZABLE)
        pygame.display.set_caption("Hair Mirror - latent explorer")
        self.fonts = {n: _font(pygame, s, b) for n, s, b in
                      (("title", 22, True), ("body", 16, False), ("bold", 16, True), ("small", 13, False))}
        self.hits: list[tuple[object, str, object, str]] = []  # (rect, kind, payload, name)
        self.drag: Callable[[float], None] | None = None
        self.drag_rect = None
        self.typed = ""
        self.help = False
        self.running = True
        self.shots = 0

    # --- events ---

    def loop(self, fps: int = 30) -> None:
        clock = self.pg.time.Clock()
        while self.running:
            for event in self.pg.event.get():
                self.handle(event)
            if not self.running:
                break
            self.draw()
            clock.tick(fps)

    def handle(self, event) -> None:
        """One Pygame event -> explorer actions."""
        pg = self.pg
        if event.type == pg.QUIT:
            self.running = False
        elif event.type == pg.VIDEORESIZE:
            self.screen = pg.display.set_mode((max(event.w, 960), max(event.h, 640)), pg.RESIZABLE)
        elif event.type == pg.KEYDOWN:
            self.key(event.key, getattr(event, "unicode", ""))
        elif event.type == pg.MOUSEBUTTONDOWN and event.button == 1:
            self.click(event.pos)
        elif event.type == pg.MOUSEMOTION and self.drag is not None:
            self._drag_to(event.pos)
        elif event.type == pg.MOUSEBUTTONUP and event.button == 1:
            self.drag = None
        elif event.type == pg.MOUSEWHEEL:
            self.wheel(pg.mouse.get_pos(), event.y)

    def key(self, key: int, char: str = "") -> None:
        """A key press: digits type an item index, Enter shows it, other keys act (see help)."""
        pg, s = self.pg, self.state
        if char.isdigit():
            self.typed = (self.typed + char)[-7:]
            s.message = f"index: {self.typed}  (Enter to go)"
            return
        if key in (pg.K_RETURN, pg.K_KP_ENTER):
            if self.typed:
                s.show_item(int(self.typed))
            self.typed = ""
            return
        if key == pg.K_BACKSPACE:
            self.typed = self.typed[:-1]
            return
        if key == pg.K_ESCAPE and self.typed:
            self.typed = ""
            return
        actions = {
            pg.K_q: self.quit, pg.K_ESCAPE: self.quit,
            pg.K_UP: lambda: s.select(-1), pg.K_DOWN: lambda: s.select(1),
            pg.K_LEFT: lambda: s.nudge(-1), pg.K_RIGHT: lambda: s.nudge(1),
            pg.K_r: s.randomize, pg.K_x: s.reset, pg.K_i: s.invert,
            pg.K_MINUS: lambda: s.set_range(s.random_range - 0.25),
            pg.K_EQUALS: lambda: s.set_range(s.random_range + 0.25),
            pg.K_PAGEUP: lambda: s.step_item(-1), pg.K_PAGEDOWN: lambda: s.step_item(1),
            pg.K_COMMA: lambda: s.step_item(-1), pg.K_PERIOD: lambda: s.step_item(1),
            pg.K_p: s.next_photo, pg.K_c: self.camera,
            pg.K_LEFTBRACKET: lambda: s.set_stage(s.stage - 1),
            pg.K_RIGHTBRACKET: lambda: s.set_stage(s.stage + 1),
            pg.K_a: lambda: s.set_end("a"), pg.K_b: lambda: s.set_end("b"),
            pg.K_t: s.set_style_ends,
            pg.K_j: lambda: s.interpolate(s.t - 0.1), pg.K_k: lambda: s.interpolate(s.t + 0.1),
            pg.K_s: self.snapshot, pg.K_h: self.toggle_help, pg.K_n: s.next_donors,
        }
        if key in actions:
            actions[key]()

    def hit(self, name: str):
        """The clickable rectangle called ``name`` in the last drawn frame (tests, scripts)."""
        for rect, _, _, hit_name in self.hits:
            if hit_name == name:
                return rect
        raise KeyError(f"nothing called {name!r} on screen")

    def click(self, pos) -> None:
        for rect, kind, payload, _ in reversed(self.hits):
            if not rect.collidepoint(pos) or kind == "row":
                continue
            if kind == "slider":
                self.drag, self.drag_rect = payload
                self._drag_to(pos)
            elif kind == "button":
                payload()
            elif kind == "index":
                self.state.message = "type an index, then Enter (wheel steps)"
            return

    def wheel(self, pos, amount: int) -> None:
        for rect, kind, payload, _ in reversed(self.hits):
            if rect.collidepoint(pos):
                if kind == "row":
                    payload(amount)
                    return
                if kind == "index":
                    self.state.step_item(-amount)
                    return

    def _drag_to(self, pos) -> None:
        rect = self.drag_rect
        self.drag(min(max((pos[0] - rect.x) / max(rect.w, 1), 0.0), 1.0))

    def quit(self) -> None:
        self.running = False

    def toggle_help(self) -> None:
        self.help = not self.help

    def camera(self) -> None:
        """Grabs a frame from ``--camera``, aligns the face and shows its reconstruction."""
        s = self.state
        if getattr(s, "camera", None) is None:
            s.message = "no camera: start with --camera N"
            return
        from mirror.errors import MirrorError
        from mirror.explorer.data import align_photo
        from mirror.io.source import CameraSource

        try:
            with CameraSource(s.camera) as source:
                for _ in range(5):  # let exposure settle
                    frame = source.read()
            s.add_photo(f"camera {time.strftime('%H:%M:%S')}", align_photo(frame.image, s.size, "the camera frame"))
        except MirrorError as error:
            s.message = str(error)

    def snapshot(self) -> None:
        self.draw()
        path = time.strftime("explorer_%Y%m%d_%H%M%S") + (f"_{self.shots}" if self.shots else "") + ".png"
        self.shots += 1
        self.screenshot(path)
        self.state.message = f"saved {path}"

    def screenshot(self, path: str, max_bytes: int = 290_000) -> None:
        """Saves what the window shows; a PNG larger than ``max_bytes`` is quantized to 256 colours."""
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        self.pg.image.save(self.screen, path)
        if path.lower().endswith(".png") and os.path.getsize(path) > max_bytes:
            from PIL import Image

            with Image.open(path) as image:
                small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
            small.save(path, optimize=True)

    # --- drawing ---

    def draw(self) -> None:
        pg, s = self.pg, self.state
        self.hits = []
        width, height = self.screen.get_size()
        self.screen.fill(BG)
        # title bar
        pg.draw.rect(self.screen, PANEL, (0, 0, width, 44))
        self.text("Hair Mirror", (16, 11), "title", ACCENT)
        self.text("latent explorer", (146, 14), "body", TEXT)
        label = getattr(s, "model_label", "")
        self.text(label, (width - 16 - self.fonts["small"].size(label)[0], 16), "small", MUTED)

        right_w = max(420, int(width * 0.40))
        left_w = width - right_w - 24
        self.draw_faces(pg.Rect(12, 56, left_w, height - 56 - 40))
        self.draw_controls(pg.Rect(width - right_w - 12, 56, right_w, height - 56 - 40))
        # status bar
        pg.draw.rect(self.screen, PANEL, (0, height - 32, width, 32))
        self.text(s.message, (16, height - 24), "body", WARM)
        self.text("H: help   Q: quit", (width - 140, height - 23), "small", MUTED)
        if self.help:
            self.draw_help()
        pg.display.flip()

    def draw_faces(self, area) -> None:
        pg, s = self.pg, self.state
        gap = 16
        side = int(min((area.w - gap) / 2 - 8, area.h * 0.46))
        y = area.y + 26
        shown = s.image()
        recon_title = s.title
        self.card(pg.Rect(area.x, area.y, side + 8, side + 52), "original", s.original,
                  s.original_label if s.original is not None else "none: " + s.original_label)
        latent = s.latent
        self.card(pg.Rect(area.x + side + 8 + gap, area.y, side + 8, side + 52), recon_title, shown,
                  f"|z| = {np.linalg.norm(latent):.1f}   hair loss: {s.stage_label}")
        y = area.y + side + 64

        # data set and photo row
        x = area.x
        if s.data is not None:
            self.button(pg.Rect(x, y, 30, 28), "<", lambda: s.step_item(-1), name="previous item")
            box = pg.Rect(x + 36, y, 92, 28)
            pg.draw.rect(self.screen, PANEL_HI, box, border_radius=5)
            pg.draw.rect(self.screen, ACCENT if self.typed else LINE, box, 1, border_radius=5)
            shown_index = self.typed or ("-" if s.index is None else str(s.index))
            self.text(shown_index + ("|" if self.typed else ""), (box.x + 8, box.y + 6), "bold",
                      ACCENT if self.typed else TEXT)
            self.hits.append((box, "index", None, "index"))
            self.button(pg.Rect(x + 134, y, 30, 28), ">", lambda: s.step_item(1), name="next item")
            self.text(f"of {len(s.data)} aligned faces", (x + 172, y + 6), "body", MUTED)
            x += 390
        else:
            self.text("no data set (--data DIR)", (x, y + 6), "body", MUTED)
            x += 200
        if s.photos:
            self.button(pg.Rect(x, y, 110, 28), "next photo", s.next_photo)
            x += 118
        self.button(pg.Rect(x, y, 84, 28), "camera", self.camera,
                    enabled=getattr(s, "camera", None) is not None)
        y += 44

        # nearest faces
        near = s.nearest(6)
        thumb = int(min(96, (area.w - 5 * 10) / 6))
        if near:
            self.text("nearest data set faces in latent space (click to open)", (area.x, y), "bold", TEXT)
            for i, (index, distance) in enumerate(near):
                rect = pg.Rect(area.x + i * (thumb + 10), y + 22, thumb, thumb)
                self.image(s.data.crop(index), rect)
                pg.draw.rect(self.screen, LINE, rect, 1)
                self.text(f"#{index}  d={distance:.1f}", (rect.x, rect.bottom + 3), "small", MUTED)
                self.hits.append((rect, "button", lambda index=index: s.show_item(index), f"nearest:{i}"))
        else:
            self.text("nearest data set faces: start with --data DIR", (area.x, y), "body", MUTED)
        y += thumb + 48

        # the donors the shown latent chooses (as the mirror chooses a look's donor)
        donors = s.nearest_donors(6)
        if donors:
            self.text(f"donor hair nearest in latent space, {s.donor_start + 1}-{s.donor_start + len(donors)}"
                      f" of {len(s.donors)} (N: next)", (area.x, y), "bold", TEXT)
            for i, donor in enumerate(donors):
                rect = pg.Rect(area.x + i * (thumb + 10), y + 22, thumb, thumb)
                self.image(donor.crop, rect)
                pg.draw.rect(self.screen, LINE, rect, 1)
                self.text(donor.look or "-", (rect.x, rect.bottom + 3), "small", MUTED)
            self.button(pg.Rect(area.x + 6 * (thumb + 10), y + 22, 70, 28), "next", s.next_donors,
                        name="next donors")
            y += thumb + 48

        # interpolation
        self.draw_interpolation(pg.Rect(area.x, y, area.w, area.bottom - y))

    def draw_interpolation(self, area) -> None:
        pg, s = self.pg, self.state
        if area.h < 90:
            return
        pg.draw.rect(self.screen, PANEL, area, border_radius=8)
        self.text("interpolation A -> B", (area.x + 12, area.y + 8), "bold", TEXT)
        thumb = min(area.h - 44, 96)
        ends = s.end_images()
        for i, (image, name) in enumerate(zip(ends, "AB")):
            x = area.x + 12 if i == 0 else area.right - 12 - thumb
            rect = pg.Rect(x, area.y + 34, thumb, thumb)
            if image is not None:
                self.image(image, rect)
            else:
                pg.draw.rect(self.screen, PANEL_HI, rect)
                self.text("press " + name, (rect.x + 8, rect.centery - 8), "small", MUTED)
            pg.draw.rect(self.screen, LINE, rect, 1)
            badge = pg.Rect(rect.x, rect.y, 20, 20)
            pg.draw.rect(self.screen, BG, badge, border_bottom_right_radius=6)
            self.text(name, (rect.x + 5, rect.y + 1), "bold", WARM)
        inner_x = area.x + 24 + thumb
        inner_w = area.w - 2 * (24 + thumb)
        y = area.y + 34
        track = pg.Rect(inner_x + 8, y + 8, inner_w - 70, 10)
        ready = s.end_a is not None and s.end_b is not None
        self.track(track, s.t, 0.0, 1.0, s.interpolate, zero=0.0, enabled=ready, name="t")
        self.text(f"t = {s.t:.2f}", (track.right + 10, y + 4), "body", TEXT if ready else MUTED)
        y += 30
        bw = (inner_w - 24) // 2
        self.button(pg.Rect(inner_x + 8, y, bw, 26), "A = shown face", lambda: s.set_end("a"))
        self.button(pg.Rect(inner_x + 16 + bw, y, bw, 26), "B = shown face", lambda: s.set_end("b"))
        y += 32
        if s.style_ends[0]:
            sw = (inner_w - 40) // 3
            for i in range(2):
                x = inner_x + 8 + i * (sw + 8)
                self.button(pg.Rect(x, y, 22, 26), "<", lambda i=i: s.cycle_style_end(i, -1), name=f"style end {i} <")
                self.text(s.style_ends[i], (x + 28, y + 5), "body", TEXT)
                self.button(pg.Rect(x + sw - 22, y, 22, 26), ">", lambda i=i: s.cycle_style_end(i, 1),
                            name=f"style end {i} >")
            self.button(pg.Rect(inner_x + 8 + 2 * (sw + 8), y, sw, 26), "styles as ends",
                        lambda: s.set_style_ends())
        labels = [l or "-" for l in s.end_labels]
        if y + 36 < area.bottom:
            self.text(f"A: {labels[0]}    B: {labels[1]}", (inner_x + 8, y + 34), "small", MUTED)

    def draw_controls(self, area) -> None:
        pg, s = self.pg, self.state
        pg.draw.rect(self.screen, PANEL, area, border_radius=8)
        x, y, w = area.x + 12, area.y + 10, area.w - 24
        bw = (w - 3 * 8) // 4
        for i, (label, action) in enumerate((("Randomize", s.randomize), ("Reset", s.reset),
                                             ("Invert", s.invert), ("Screenshot", self.snapshot))):
            self.button(pg.Rect(x + i * (bw + 8), y, bw, 30), label, action, primary=i < 3)
        y += 40
        rows = [("header", "Randomize spread (x the prior's; larger distorts)")]
        rows.append(("note", f"random faces from {s.styles.prior_label}"))
        rows.append(("range", None))
        styles = [c for c in s.controls if c.group == "style"]
        pcs = [c for c in s.controls if c.group == "pca"]
        if styles:
            rows.append(("header", "Styles (x default strength)"))
            rows += [("control", c) for c in styles]
        rows.append(("header", f"Hair-loss scale: {s.stage_label}"))
        rows.append(("hairloss", None))
        rows.append(("note", f"fuller hair ({hairloss.FIRST}), today (0) ... {hairloss.STAGES[-1][1]} "
                             f"(+{hairloss.LAST}): a picture, not a medical prediction"))
        if pcs:
            rows.append(("header", "Top directions by variance (in sd)"))
            rows.append(("note", s.pca_label))
            rows += [("control", c) for c in pcs]
        row_h = int(min(27, (area.bottom - y - 8) / max(len(rows), 1)))
        label_w = 118
        for kind, item in rows:
            if kind == "header":
                self.text(_fit(self.fonts["bold"], item, w), (x, y + row_h - 19), "bold", ACCENT)
            elif kind == "note":
                self.text(_fit(self.fonts["small"], item, w), (x, y + row_h // 2 - 9), "small", MUTED)
            else:
                row = pg.Rect(x - 6, y, w + 12, row_h)
                track = pg.Rect(x + label_w, y + row_h // 2 - 4, w - label_w - 64, 8)
                if kind == "range":
                    self.text("spread r", (x, y + row_h // 2 - 9), "body", TEXT)
                    self.track(track, s.random_range, 0.1, 5.0, lambda f: s.set_range(0.1 + 4.9 * f), zero=0.1, name="range")
                    self.text(f"{s.random_range:.2f}", (track.right + 12, y + row_h // 2 - 9), "body", TEXT)
                    self.hits.append((row, "row", lambda a: s.set_range(s.random_range + 0.25 * a), "row:range"))
                elif kind == "hairloss":
                    steps = hairloss.LAST - hairloss.FIRST
                    self.text("stage", (x, y + row_h // 2 - 9), "body", TEXT if s.hairloss else MUTED)
                    self.track(track, s.stage, hairloss.FIRST, hairloss.LAST,
                               lambda f: s.set_stage(round(hairloss.FIRST + f * steps)), zero=0,
                               ticks=steps, enabled=s.hairloss, name="hairloss")
                    self.text(f"{s.stage:+d}" if s.stage else "0", (track.right + 12, y + row_h // 2 - 9),
                              "body", TEXT)
                    self.hits.append((row, "row", lambda a: s.set_stage(s.stage + a), "row:hairloss"))
                else:
                    index = s.controls.index(item)
                    if index == s.selected:
                        pg.draw.rect(self.screen, PANEL_HI, row, border_radius=4)
                        pg.draw.rect(self.screen, ACCENT, (row.x, row.y + 3, 3, row.h - 6))
                    name = item.label if not item.note or item.group == "style" else f"{item.label}  {item.note}"
                    self.text(name, (x + 4, y + row_h // 2 - 9), "body", TEXT)

                    def set_fraction(f, c=item, i=index):
                        s.selected = i
                        s.set_value(c.key, c.low + f * (c.high - c.low))

                    self.track(track, item.value, item.low, item.high, set_fraction, name=item.key)
                    self.text(f"{item.value:+.2f}" if item.value else "0", (track.right + 12, y + row_h // 2 - 9),
                              "body", TEXT if item.value else MUTED)
                    self.hits.append((row, "row", lambda a, c=item: s.nudge(a, c.key), f"row:{item.key}"))
                    label_rect = pg.Rect(row.x, row.y, label_w, row.h)
                    self.hits.append((label_rect, "button", lambda i=index: setattr(s, "selected", i),
                                      f"select:{item.key}"))
            y += row_h

    def draw_help(self) -> None:
        pg = self.pg
        width, height = self.screen.get_size()
        box = pg.Rect(0, 0, 560, 34 + 24 * len(HELP))
        box.center = (width // 2, height // 2)
        panel = pg.Surface(box.size, pg.SRCALPHA)
        panel.fill((10, 12, 16, 235))
        self.screen.blit(panel, box.topleft)
        pg.draw.rect(self.screen, ACCENT, box, 1, border_radius=6)
        self.text("keys", (box.x + 16, box.y + 10), "bold", ACCENT)
        for i, (keys, what) in enumerate(HELP):
            self.text(keys, (box.x + 16, box.y + 34 + 24 * i), "bold", WARM)
            self.text(what, (box.x + 190, box.y + 34 + 24 * i), "body", TEXT)

    # --- widgets ---

    def text(self, text: str, position, font: str = "body", color=TEXT) -> None:
        if text:
            self.screen.blit(self.fonts[font].render(text, True, color), position)

    def image(self, bgr: np.ndarray, rect) -> None:
        rgb = np.ascontiguousarray(bgr[..., ::-1])
        surface = self.pg.image.frombuffer(rgb.tobytes(), (rgb.shape[1], rgb.shape[0]), "RGB")
        self.screen.blit(self.pg.transform.smoothscale(surface, rect.size), rect.topleft)

    def card(self, rect, title: str, image: np.ndarray | None, caption: str) -> None:
        pg = self.pg
        pg.draw.rect(self.screen, PANEL, rect, border_radius=8)
        self.text(title, (rect.x + 6, rect.y + 4), "bold", TEXT)
        inner = pg.Rect(rect.x + 4, rect.y + 26, rect.w - 8, rect.w - 8)
        if image is not None:
            self.image(image, inner)
        else:
            pg.draw.rect(self.screen, PANEL_HI, inner)
            self.text("no original for a generated face", (inner.x + 16, inner.centery - 8), "body", MUTED)
        self.text(_fit(self.fonts["small"], caption, rect.w - 12), (rect.x + 6, inner.bottom + 6), "small", MUTED)

    def button(self, rect, label: str, action, primary: bool = False, enabled: bool = True,
               name: str | None = None) -> None:
        pg = self.pg
        hover = enabled and rect.collidepoint(pg.mouse.get_pos()) and pg.mouse.get_focused()
        color = (ACCENT if primary else PANEL_HI) if enabled else PANEL
        if hover:
            color = tuple(min(255, c + 25) for c in color)
        pg.draw.rect(self.screen, color, rect, border_radius=6)
        pg.draw.rect(self.screen, LINE, rect, 1, border_radius=6)
        font = self.fonts["bold"]
        surface = font.render(label, True, (12, 14, 18) if primary and enabled else (TEXT if enabled else MUTED))
        self.screen.blit(surface, surface.get_rect(center=rect.center))
        if enabled:
            self.hits.append((rect, "button", action, name or label))

    def track(self, rect, value: float, low: float, high: float, setter, zero: float = 0.0,
              ticks: int = 0, enabled: bool = True, name: str = "") -> None:
        pg = self.pg
        span = max(high - low, 1e-9)
        fx = lambda v: rect.x + (min(max(v, low), high) - low) / span * rect.w  # noqa: E731
        pg.draw.rect(self.screen, PANEL_HI if enabled else PANEL, rect, border_radius=4)
        pg.draw.rect(self.screen, LINE, rect, 1, border_radius=4)
        for i in range(1, ticks):
            tx = rect.x + rect.w * i / ticks
            pg.draw.line(self.screen, LINE, (tx, rect.y - 2), (tx, rect.bottom + 1))
        z, v = fx(zero), fx(value)
        if abs(v - z) >= 1:
            pg.draw.rect(self.screen, ACCENT if enabled else LINE,
                         (min(z, v), rect.y + 1, abs(v - z), rect.h - 2), border_radius=3)
        if low < zero < high:
            pg.draw.line(self.screen, MUTED, (z, rect.y - 3), (z, rect.bottom + 2))
        pg.draw.circle(self.screen, TEXT if enabled else MUTED, (int(v), rect.centery), rect.h // 2 + 4)
        if enabled:
            hit = rect.inflate(12, 14)
            self.hits.append((hit, "slider", (setter, rect), name))

    def close(self) -> None:
        self.pg.display.quit()

    def __enter__(self) -> "ExplorerWindow":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _font(pygame, size: int, bold: bool):
    path = pygame.font.match_font("dejavusans,notosans,liberationsans,arial,helvetica", bold=bold)
    font = pygame.font.Font(path, size) if path else pygame.font.Font(None, int(size * 1.35))
    return font


def _fit(font, text: str, width: int) -> str:
    """Cuts ``text`` with an ellipsis to fit ``width`` pixels."""
    if font.size(text)[0] <= width:
        return text
    while text and font.size(text + "...")[0] > width:
        text = text[:-1]
    return text + "..."
