"""Write docs/api-reference.md from the docstrings and signatures of the
public Python API (``chaintrail.open`` and the objects it hands out), so
the reference never drifts from the code. A test checks the file is current.

    python scripts/api_reference.py          # rewrite docs/api-reference.md
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "api-reference.md"

# (module, names): the objects a notebook user meets, in reading order
PUBLIC = [
    ("chaintrail.chain", ["open", "Chain", "Table"]),
    ("chaintrail.objects", ["Block", "Tx", "TxInput", "TxOutput", "Address"]),
    ("chaintrail.cluster.objects", ["Cluster"]),
    ("chaintrail.trace.result", ["TraceResult"]),
    ("chaintrail.trace.exposure", ["ExposureReport", "SideExposure", "Figure"]),
    ("chaintrail.trace.audit", ["AuditReport"]),
]


def _doc(obj) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.split("\n\n")[0].replace("\n", " ").strip()


def _signature(name: str, obj) -> str:
    try:
        sig = str(inspect.signature(obj))
    except (TypeError, ValueError):
        return name
    return f"{name}{sig.replace('self, ', '').replace('(self)', '()')}"


def _members(cls) -> list[tuple[str, object]]:
    out = []
    for name, member in vars(cls).items():
        if name.startswith("_") and name not in ("__len__", "__contains__", "__iter__"):
            continue
        if isinstance(member, (staticmethod, classmethod)):
            member = member.__func__
        if isinstance(member, (property, type(getattr(cls, name, None)))) or callable(member) \
                or hasattr(member, "__get__"):
            out.append((name, member))
    return out


def render() -> str:
    """The reference as Markdown."""
    import importlib

    lines = ["# Python API reference", "",
             "Generated from the docstrings by `python scripts/api_reference.py`; the worked",
             "example is in [python-api.md](python-api.md).", ""]
    for module_name, names in PUBLIC:
        module = importlib.import_module(module_name)
        for name in names:
            obj = getattr(module, name)
            if inspect.isclass(obj):
                lines += [f"## `{name}`", "", _doc(obj), ""]
                fields, items = [], []
                for mname, member in _members(obj):
                    getter = member.fget if isinstance(member, property) else member
                    doc = _doc(getter)
                    if callable(member) and not isinstance(member, property) and not hasattr(member, "attrname"):
                        items.append(f"- `.{_signature(mname, member)}`: {doc}".rstrip(": "))
                    elif doc:
                        items.append(f"- `.{mname}`: {doc}")
                    else:  # a plain field: its name says what it is
                        fields.append(f"`{mname}`")
                if fields:
                    lines += [f"Fields: {', '.join(fields)}.", ""]
                lines += items + [""]
            else:
                lines += [f"## `chaintrail.{_signature(name, obj)}`", "", _doc(obj), ""]
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    OUT.write_text(render())
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()
