"""Which packages ``pip install .`` ships; everything else is in pyproject.toml.

Found, not listed, so that a module moved into a new sub-package of ``mirror/`` or ``train/`` ships
with no change here. This lives in a setup.py because pyproject.toml cannot say it:
``[tool.setuptools.packages.find]`` names packages by their folder's path, so it never finds
``mirror.engines``, the shipped model, which is the top-level ``engines/`` folder (``package-dir``
in pyproject.toml), and pyproject.toml takes either a search or a list, not both.
"""
from setuptools import find_namespace_packages, setup

setup(packages=[*find_namespace_packages(include=["mirror*", "train*"], exclude=["*.__pycache__"]),
                "mirror.engines"])
