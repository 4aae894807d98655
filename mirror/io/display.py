"""The Pygame preview: mirrored view, before/after split, HUD and key help.

Keys: Left/Right style, Up/Down strength, R random style, N another real head of hair for a look,
[ / ] along the hair-loss scale, L a man's or a woman's hair loss, 0 original, B before/after, F
fullscreen, S snapshot, H help, Q/Esc quit (in kiosk mode only the kiosk quit key quits, and the
other keys work as usual: any key ends the kiosk's idle mode). A photo dropped on the window
becomes the style: the hair in it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import cv2
import numpy as np

REFERENCE = "reference:"   # the action of a file dropped on the window: this, then its path

HELP = [
    ("Left / Right", "previous / next style"),
    ("Up / Down", "stronger / weaker"),
    ("R", "random style"),
    ("N", "another head of hair (looks)"),
    ("0", "your own hair"),
    ("B", "before / after split"),
    ("[ / ]", "hair-loss scale (hairloss style)"),
    ("L", "a man's / a woman's hair loss"),
    ("F", "fullscreen"),
    ("S", "snapshot (saved only then)"),
    ("H", "this help"),
    ("Q / Esc", "quit"),
]


@dataclass
class Hud:
    """What the heads-up display shows."""

    style: str
    strength: float
    backend: str
    fps: float
    face: bool = True
    message: str = ""
    extra: list[str] = field(default_factory=list)


def has_display() -> bool:
    """True where a window can open (an X or Wayland display, or an SDL driver chosen)."""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                or os.environ.get("SDL_VIDEODRIVER"))


class Display:
    """A Pygame window.

    Args:
        size: initial window size (width, height).
        fullscreen: start fullscreen.
        kiosk: fullscreen (F does not leave it), no cursor, only ``quit_key`` quits.
        quit_key: the kiosk's quit key, a Pygame key name (default ``f12``).
        mirror: flip the image left-right, as a mirror does.
    """

    def __init__(self, size: tuple[int, int] = (960, 720), fullscreen: bool = False,
                 kiosk: bool = False, quit_key: str = "f12", mirror: bool = True):
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        import pygame

        self._pg = pygame
        pygame.display.init()
        pygame.font.init()
        self.kiosk = kiosk
        self.mirror = mirror
        self.split = False
        self.help = False
        self._quit_key = pygame.key.key_code(quit_key)
        self._size = size
        self._fullscreen = fullscreen or kiosk
        self._open()
        pygame.display.set_caption("Hair Mirror")
        if kiosk:
            pygame.mouse.set_visible(False)
        self._font = pygame.font.Font(None, 26)
        self._small = pygame.font.Font(None, 22)

    def _open(self) -> None:
        pg = self._pg
        flags = pg.FULLSCREEN if self._fullscreen else pg.RESIZABLE
        self.screen = pg.display.set_mode((0, 0) if self._fullscreen else self._size, flags)

    def events(self) -> list[str]:
        """Drains Pygame's events into actions: next, prev, stronger, weaker, random, original,
        split, fullscreen, snapshot, help, scale_up, scale_down, scale_kind, another, quit, ``wake`` for any
        other key (someone is there: the kiosk's idle mode ends), and ``reference:PATH`` for a
        file dropped on the window (``REFERENCE``). In kiosk mode only the kiosk's quit key
        quits; every other key works as usual."""
        pg = self._pg
        keys = {pg.K_RIGHT: "next", pg.K_LEFT: "prev", pg.K_UP: "stronger", pg.K_DOWN: "weaker",
                pg.K_r: "random", pg.K_0: "original", pg.K_KP0: "original", pg.K_b: "split",
                pg.K_f: "fullscreen", pg.K_s: "snapshot", pg.K_h: "help",
                pg.K_RIGHTBRACKET: "scale_up", pg.K_LEFTBRACKET: "scale_down", pg.K_l: "scale_kind",
                pg.K_n: "another"}
        actions = []
        for event in pg.event.get():
            if event.type == pg.QUIT and not self.kiosk:
                actions.append("quit")
            elif event.type == pg.KEYDOWN:
                quit_keys = (self._quit_key,) if self.kiosk else (pg.K_q, pg.K_ESCAPE)
                if event.key in quit_keys:
                    actions.append("quit")
                else:
                    action = keys.get(event.key, "wake")
                    actions.append("wake" if self.kiosk and action == "fullscreen" else action)
            elif event.type == pg.DROPFILE:
                actions.append(REFERENCE + event.file)
        for action in actions:
            if action == "split":
                self.split = not self.split
            elif action == "help":
                self.help = not self.help
            elif action == "fullscreen":
                self._fullscreen = not self._fullscreen
                self._open()
        return actions

    def compose_view(self, before: np.ndarray, after: np.ndarray) -> np.ndarray:
        """The picture shown, before the HUD: (H, W, 3) uint8 BGR, mirrored, split if asked."""
        view = after
        if self.split:
            view = after.copy()
            half = view.shape[1] // 2
            # On the mirrored screen the left half shows "before".
            if self.mirror:
                view[:, half:] = before[:, half:]
            else:
                view[:, :half] = before[:, :half]
        # (OpenCV's flip: one vectorised pass; NumPy's copy of the reversed view costs 1 ms on a
        # 720p preview. Pygame takes the BGR bytes as they are.)
        return cv2.flip(view, 1) if self.mirror else np.ascontiguousarray(view)

    def show(self, before: np.ndarray, after: np.ndarray, hud: Hud) -> None:
        """Draws one frame: BGR ``before`` and ``after`` of the same size, and the HUD."""
        pg = self._pg
        height, width = after.shape[:2]
        screen_w, screen_h = self.screen.get_size()
        scale = min(screen_w / width, screen_h / height)
        target = (max(1, int(width * scale)), max(1, int(height * scale)))
        offset = ((screen_w - target[0]) // 2, (screen_h - target[1]) // 2)
        # Mirrored on the smaller of the frame and the picture shown: scaled down first, up last
        # (a 512-px frame on a 720-px window: 1.4 against 3.0 ms a frame alone; the bench's
        # display stage on such a clip, 3.0-3.1 against 3.4-3.7 ms).
        interpolation = cv2.INTER_AREA if scale < 0.5 else cv2.INTER_LINEAR
        if scale < 1.0:
            after = cv2.resize(after, target, interpolation=interpolation)
            before = cv2.resize(before, target, interpolation=interpolation) if self.split else after
        view = self.compose_view(before, after)
        if view.shape[1::-1] != target:
            view = cv2.resize(view, target, interpolation=interpolation)
        self.screen.fill((0, 0, 0))
        self.screen.blit(pg.image.frombuffer(view, target, "BGR"), offset)
        if self.split:
            x = offset[0] + target[0] // 2
            pg.draw.line(self.screen, (255, 255, 255), (x, offset[1]), (x, offset[1] + target[1]), 2)
            self._text("before", (x - 80, offset[1] + 8))
            self._text("after", (x + 12, offset[1] + 8))
        self._hud(hud)
        pg.display.flip()

    def _text(self, text: str, position: tuple[int, int], font=None, color=(255, 255, 255)) -> None:
        font = font or self._font
        shadow = font.render(text, True, (0, 0, 0))
        self.screen.blit(shadow, (position[0] + 1, position[1] + 1))
        self.screen.blit(font.render(text, True, color), position)

    def _hud(self, hud: Hud) -> None:
        lines = [f"style: {hud.style}", f"strength: {hud.strength:.1f}x",
                 f"backend: {hud.backend}", f"{hud.fps:.0f} fps", *hud.extra]
        if not hud.face:
            lines.append("no face: plain mirror")
        box_h = 24 * len(lines) + 12
        box_w = max(self._font.size(line)[0] for line in lines) + 16
        panel = self._pg.Surface((box_w, box_h), self._pg.SRCALPHA)
        panel.fill((0, 0, 0, 140))
        self.screen.blit(panel, (8, 8))
        for i, line in enumerate(lines):
            self._text(line, (16, 14 + 24 * i))
        height = self.screen.get_height()
        if hud.message:
            self._text(hud.message, (16, height - 60), color=(255, 210, 80))
        if not self.kiosk:
            self._text("H: help", (16, height - 30), self._small, (220, 220, 220))
        if self.help:
            panel = self._pg.Surface((420, 26 * len(HELP) + 16), self._pg.SRCALPHA)
            panel.fill((0, 0, 0, 190))
            x = self.screen.get_width() - 430
            self.screen.blit(panel, (x, 8))
            for i, (key, what) in enumerate(HELP):
                self._text(key, (x + 12, 16 + 26 * i), self._small, (255, 220, 120))
                self._text(what, (x + 140, 16 + 26 * i), self._small)

    def screenshot(self, path: str) -> None:
        """Saves what the window shows (tests)."""
        self._pg.image.save(self.screen, path)

    def close(self) -> None:
        self._pg.display.quit()

    def __enter__(self) -> "Display":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
