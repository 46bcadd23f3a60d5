"""The documented Bitrix24 payloads of shared/bitrix24/samples, and their encoding.

Bitrix24 sends installs and events form-encoded with PHP bracket keys; the samples
hold the decoded form, so tests encode them back exactly as the platform does.
"""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SAMPLES = SHARED / "bitrix24" / "samples"


def sample(name: str) -> dict[str, Any]:
    """A sample payload without its `_about` note."""
    data: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text("utf-8"))
    data.pop("_about", None)
    return data


def bracket_pairs(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Flatten nested data into PHP bracket keys: `{"a": {"b": 1}}` → `a[b]=1`."""
    pairs: list[tuple[str, str]] = []
    for key, value in data.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, Mapping):
            pairs.extend(bracket_pairs(value, name))
        else:
            pairs.append((name, str(value)))
    return pairs


def encode_form(data: Mapping[str, Any]) -> bytes:
    """The body Bitrix24 would send for `data`."""
    return urlencode(bracket_pairs(data)).encode()
