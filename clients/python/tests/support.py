"""Shared by the tests: the package on the path, the spec's vectors, keys and licenses made here."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Dict

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

#: spec/vectors of the repository (``LICTOR_SPEC_VECTORS`` names another copy).
VECTORS = Path(os.environ.get("LICTOR_SPEC_VECTORS", HERE.parents[2] / "spec" / "vectors"))


def vectors(name: str) -> Dict[str, Any]:
    """One vector file of spec/vectors, parsed."""
    with open(VECTORS / f"{name}.json", encoding="utf-8") as f:
        return json.load(f)
