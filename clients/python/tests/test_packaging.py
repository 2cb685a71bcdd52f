"""The in-tree build backend: a wheel of the package with its metadata, without a package index
(and the same [project] read with or without tomllib)."""

from __future__ import annotations

import builtins
import importlib
import sys
import tempfile
import unittest
import zipfile
from pathlib import Path

import support  # noqa: F401  (puts the package on the path)

import lictor_runtime

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_build"))
backend = importlib.import_module("backend")


class Packaging(unittest.TestCase):
    def test_project_read_without_tomllib_as_with_it(self) -> None:
        real_import = builtins.__import__

        def no_tomllib(name, *args, **kwargs):  # type: ignore[no-untyped-def]
            if name == "tomllib":
                raise ImportError(name)
            return real_import(name, *args, **kwargs)

        builtins.__import__ = no_tomllib
        try:
            fallback = backend._project()
        finally:
            builtins.__import__ = real_import
        self.assertEqual(fallback["name"], "lictor-runtime")
        self.assertEqual(fallback["dependencies"], ["cryptography>=3.1"])
        try:
            import tomllib  # noqa: F401
        except ImportError:
            return
        self.assertEqual(fallback, backend._project())

    def test_the_version_is_the_package_s(self) -> None:
        self.assertEqual(backend._project()["version"], lictor_runtime.__version__)

    def test_wheel(self) -> None:
        self.assertEqual(backend.get_requires_for_build_wheel(), [])
        with tempfile.TemporaryDirectory() as out:
            name = backend.build_wheel(out)
            self.assertEqual(name, f"lictor_runtime-{lictor_runtime.__version__}-py3-none-any.whl")
            with zipfile.ZipFile(Path(out) / name) as whl:
                names = whl.namelist()
                metadata = whl.read(f"lictor_runtime-{lictor_runtime.__version__}.dist-info/METADATA").decode()
        for module in ("__init__", "client", "license", "proof", "transport", "canonical", "encoding", "errors"):
            self.assertIn(f"lictor_runtime/{module}.py", names)
        self.assertIn("lictor_runtime/py.typed", names)
        self.assertFalse([n for n in names if "__pycache__" in n or n.startswith("tests/")])
        self.assertIn("Requires-Dist: cryptography>=3.1", metadata)
        self.assertIn("Requires-Python: >=3.9", metadata)


if __name__ == "__main__":
    unittest.main()
