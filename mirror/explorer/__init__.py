"""The latent explorer: a window over the shipped model's latent space.

    python -m mirror.explorer                                  # engines/, the packaged demo photos
    python -m mirror.explorer --data data/aligned128           # + dataset indexer, PCA, nearest faces
    python -m mirror.explorer --data data/aligned128 --photo me.jpg
    python -m mirror.explorer --camera 0                       # C grabs a camera frame
    python -m mirror.explorer --data data/aligned128 --do "index 42; slider bangs 1.5" \\
        --screenshot docs/explorer.png                         # no window: one picture, then exit

What it offers: labelled sliders for the named style directions of ``styles.json`` and for the top
principal directions of the latents (PCA of the dataset latents with ``--data``, else of the
packaged photos' latents and re-encoded random faces: the window says which); Randomize (a face
drawn from the Gaussian fitted to real faces' latents, ``latent_prior`` in styles.json, else from
N(0, I), which decodes to blobs: the window says which; ``--range`` scales its spread, larger
values distort); Reset (all zeros: the average face); Invert (negate
the latent: the opposite in every feature); the hair-loss scale; a dataset indexer (original next
to its reconstruction); a photo or the camera, reconstructed, with its nearest dataset faces in
latent space; the donor bank's hair nearest the shown latent (N steps to the next); and
interpolation between two faces (A and B are captured from what is shown) or
two styles, stopped anywhere with a slider.

Keys: Up/Down pick a slider, Left/Right move it, R randomize, X reset, I invert, digits + Enter go
to a dataset index, PageUp/PageDown (or , .) step through the data set, P next photo, C camera,
[ ] hair-loss stage, A / B set the interpolation ends, T style ends, J / K move along A->B, N next donors,
S screenshot, H help, Q / Esc quit. The mouse drags sliders, clicks buttons, scrolls sliders and
the index, and clicks a nearest face to open it.

Modules: ``data`` (the aligned set, its latents, PCA, aligning a photo), ``state``
(``LatentExplorer``: what is shown and every action, without a window), ``view`` (the Pygame
window drawing it), ``cli`` (the command line).
"""
