"""``help(Component)``: the component's own docstring, then its args (each with its docstring,
and the dicts nested in them) and its outputs.

Python keeps no attribute docstrings at run time, so they are read from the source (the same
text the component provider's schema is built from), once, the first time ``__doc__`` is asked
for: ``import patching_components`` stays cheap.
"""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap
import typing
from typing import Any, is_typeddict


def _attribute_docs(cls: type) -> list[tuple[str, str, str]]:
    """``(name, annotation, docstring)`` of each annotated attribute in the class body, in order."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError):  # no source (a frozen build): names and types only
        return [(name, getattr(kind, "__name__", str(kind)), "") for name, kind in cls.__annotations__.items()]
    (node,) = tree.body
    assert isinstance(node, ast.ClassDef)
    found = []
    body = node.body
    for index, statement in enumerate(body):
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            following = body[index + 1] if index + 1 < len(body) else None
            doc = ""
            if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
                doc = inspect.cleandoc(str(following.value.value))
            found.append((statement.target.id, ast.unparse(statement.annotation), doc))
    return found


def _shown_type(annotation: str) -> str:
    for wrapper in ("Required[", "NotRequired["):
        if annotation.startswith(wrapper) and annotation.endswith("]"):
            return annotation[len(wrapper) : -1]
    return annotation


def _nested(owner: type) -> list[type]:
    """The TypedDicts named in the annotations of a TypedDict (``dict[str, PatchSourceSettings]``, ...), from its
    module: read from the source rather than resolved (``pulumi.Input`` holds a forward reference)."""
    namespace = vars(sys.modules[owner.__module__])
    found: list[type] = []
    for _, annotation, _ in _attribute_docs(owner):
        try:
            tree = ast.parse(annotation, mode="eval")
        except SyntaxError:  # a type shown without its source
            continue
        for node in ast.walk(tree):
            value = namespace.get(node.id) if isinstance(node, ast.Name) else None
            if isinstance(value, type) and is_typeddict(value) and value not in found:
                found.append(value)
    return found


def _fields(args: type, indent: str) -> list[str]:
    required: frozenset[str] = getattr(args, "__required_keys__", frozenset())
    lines = []
    for name, annotation, doc in _attribute_docs(args):
        kind = _shown_type(annotation) + (", required" if name in required else "")
        lines.append(f"{indent}{name}: {kind}")
        lines.extend(f"{indent}    {line}" if line else "" for line in doc.splitlines())
    return lines


def render(component: type, own: str) -> str:
    """The help text of a component class whose own docstring is ``own``."""
    hints = typing.get_type_hints(component.__init__, include_extras=True)  # type: ignore[misc]
    args = hints["args"]
    lines = [inspect.cleandoc(own), "", f"Args (``args``, a dict of type {args.__name__}):"]
    lines += _fields(args, "    ")
    seen = {args}
    queue = _nested(args)
    while queue:
        nested = queue.pop(0)
        if nested in seen:
            continue
        seen.add(nested)
        lines += ["", f"{nested.__name__} (a dict inside the args):", *_fields(nested, "    ")]
        queue += _nested(nested)
    outputs = [
        (name, kind, doc)
        for name, kind, doc in _attribute_docs(component)
        if kind.startswith(("pulumi.Output", "Output"))
    ]
    lines += ["", "Outputs (attributes of the component, also its registered outputs):"]
    for name, kind, doc in outputs:
        lines.append(f"    {name}: {kind}")
        lines.extend(f"        {line}" if line else "" for line in doc.splitlines())
    return "\n".join(lines) + "\n"


class _ComponentDoc:
    """A class's ``__doc__`` computed on first use (``type.__doc__`` calls a descriptor stored there)."""

    def __init__(self, own: str):
        self.own = own
        self.text: str | None = None

    def __get__(self, instance: Any, owner: type | None = None) -> str:
        if self.text is None:
            assert owner is not None
            try:
                self.text = render(owner, self.own)
            except Exception as exc:  # help must never break the component; show why it is short
                self.text = f"{inspect.cleandoc(self.own)}\n\n(args and outputs not shown: {exc})\n"
        return self.text


def document(*components: type) -> None:
    """Make ``help()`` on each component show its args and outputs."""
    for component in components:
        component.__doc__ = _ComponentDoc(component.__dict__.get("__doc__") or "")  # type: ignore[assignment]


def own_docs(*components: type) -> None:
    """Give each component back its own docstring (the provider's schema describes args and outputs itself)."""
    for component in components:
        doc = component.__dict__.get("__doc__")
        if isinstance(doc, _ComponentDoc):
            component.__doc__ = doc.own
