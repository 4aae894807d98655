"""The hair renderer and the compositor: the model's plan drawn with the person's own pixels,
and put back into the frame.

    from mirror.render import HairRenderer
    edited = HairRenderer(video=True).render(aligned, plan, plate, frame)

- ``renderer``: ``HairRenderer``, which picks the effect for the plan's kind from ``EFFECTS``.
- effects, each with its frozen parameter dataclass: ``recolor`` (colour), ``reshape`` (new hair
  and hair taken away: ``grow``, ``remove``, ``scalp``), ``texture`` (gain and waves).
- what they share: ``base`` (Effect, Scene), ``masks``, ``matte``, ``color`` and ``lab`` (colour
  maths), ``colortable``, ``beyond`` (past the crop), ``memory`` (between video frames),
  ``imaging``, ``lend`` (the frame's fine detail), ``eyebrows``, ``texture_bank``.
- after the renderer: ``carry`` (an edit on a later frame), ``plate`` (the wall), ``compositor``.
"""
from mirror.render.renderer import EFFECTS, HairRenderer

__all__ = ["EFFECTS", "HairRenderer"]
