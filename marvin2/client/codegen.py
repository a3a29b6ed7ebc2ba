"""Typed stubs and modules generated from a spec, for IDEs and type checkers.

Two outputs, both deterministic (APIs and parameters sorted, no timestamps,
so the same spec always gives byte-identical text):

- ``pyi``: a stub declaring ``class CloudStackAPI(API)`` with one method per
  API, keyword-only parameters typed from listApis, docstrings from the spec;
  annotate with it (``api: CloudStackAPI = marvin2.connect(...)`` under
  ``typing.cast``) and the IDE completes ``api.deployVirtualMachine(``.
- ``module``: the same class as real code calling ``self.call(...)``, plus a
  ``connect()`` that returns it, so completion and help() work at run time.
"""
from __future__ import annotations

import ast
import keyword
import textwrap
from typing import Iterable

from marvin2.client.spec import ApiSpec, ParamSpec, ResponseField, Spec

__all__ = ["generate", "FORMATS", "type_annotation"]

FORMATS = ("pyi", "module")

_TYPES = {
    "string": "str",
    "object": "Any",
    "uuid": "str | UUID",
    "integer": "int | str",
    "long": "int | str",
    "short": "int | str",
    "float": "float | str",
    "double": "float | str",
    "boolean": "bool | str",
    "date": "date | str",
    "tzdate": "datetime | str",
    "list": "Sequence[str | int | UUID] | str",
    "map": "Mapping[str, Any] | Sequence[Mapping[str, Any]]",
}
# Keywords of the generated methods themselves.
_RESERVED = frozenset({"self", "wait", "job_timeout", "validate"})


def type_annotation(param: ParamSpec) -> str:
    return _TYPES.get(param.type, "Any")


def _usable(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name) and name not in _RESERVED


def _doc_text(text: str) -> str:
    """Spec text made safe inside a triple-quoted docstring."""
    cleaned = " ".join(text.split())
    return cleaned.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _wrap(text: str, indent: str, width: int = 100) -> list[str]:
    return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=indent + "    ", break_on_hyphens=False) or [indent]


def _returns(api: ApiSpec) -> str:
    return "list[Record]" if api.is_list else "Record"


def _response_summary(fields: Iterable[ResponseField]) -> str:
    return ", ".join(f.name for f in fields)


def _docstring(api: ApiSpec, indent: str) -> list[str]:
    lines = [f'{indent}"""{_doc_text(api.description) or api.name}']
    lines.append("")
    facts = []
    if api.isasync:
        facts.append("Async: waits for the job and returns its result unless wait=False (then the job record).")
    if api.since:
        facts.append(f"Since CloudStack {api.since}.")
    for fact in facts:
        lines.extend(_wrap(fact, indent))
    if facts:
        lines.append("")
    if api.params:
        lines.append(f"{indent}Args:")
        for p in _ordered(api.params):
            flag = "required" if p.required else "optional"
            since = f", since {p.since}" if p.since else ""
            lines.extend(_wrap(f"{p.name} ({p.type}, {flag}{since}): {_doc_text(p.description)}", indent + "    "))
        lines.append("")
    if api.response:
        lines.append(f"{indent}Returns:")
        kind = "A list of records" if api.is_list else "A record"
        lines.extend(_wrap(f"{kind} with: {_response_summary(api.response)}", indent + "    "))
    while lines[-1] == "":
        lines.pop()
    lines.append(f'{indent}"""')
    return [line.rstrip() for line in lines]


def _ordered(params: Iterable[ParamSpec]) -> list[ParamSpec]:
    return sorted(params, key=lambda p: (not p.required, p.name.lower(), p.name))


def _signature(api: ApiSpec) -> tuple[list[str], list[ParamSpec], bool]:
    params = _ordered(api.params)
    usable = [p for p in params if _usable(p.name)]
    needs_extra = len(usable) != len(params)
    parts = ["self"]
    if usable or api.isasync or needs_extra:
        parts.append("*")
    for p in usable:
        annotation = type_annotation(p)
        parts.append(f"{p.name}: {annotation}" if p.required else f"{p.name}: {annotation} | None = None")
    if api.isasync:
        parts.append("wait: bool = True")
        parts.append("job_timeout: float | None = None")
    if needs_extra:
        parts.append("**extra: Any")
    return parts, usable, needs_extra


def _method(api: ApiSpec, fmt: str) -> list[str]:
    parts, usable, needs_extra = _signature(api)
    if len(parts) == 1:
        lines = [f"    def {api.name}(self) -> {_returns(api)}:"]
    else:
        lines = [f"    def {api.name}("]
        lines.extend(f"        {part}," for part in parts)
        lines.append(f"    ) -> {_returns(api)}:")
    lines.extend(_docstring(api, "        "))
    if fmt == "pyi":
        lines.append("        ...")
    else:
        mapping = ", ".join(f'"{p.name}": {p.name}' for p in usable)
        params = f"{{{mapping}}}"
        if needs_extra:
            params = f"{{{mapping}{', ' if mapping else ''}**extra}}"
        extra = ", wait=wait, job_timeout=job_timeout" if api.isasync else ""
        lines.append(f'        return self.call("{api.name}", {params}{extra})')
    alias = api.snake_name
    if alias != api.name:
        lines.append(f"    {alias} = {api.name}")
    return lines


def generate(spec: Spec, fmt: str = "pyi", *, class_name: str = "CloudStackAPI") -> str:
    """The text of a stub (``pyi``) or a module (``module``) for every API of ``spec``."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if not class_name.isidentifier() or keyword.iskeyword(class_name):
        raise ValueError(f"class name must be a Python identifier, got {class_name!r}")
    version = spec.version or "unknown version"
    out = [
        f"# Generated by `marvin2 codegen` from the listApis of CloudStack {version} ({len(spec)} APIs).",
        "# Do not edit: regenerate it from the server (or a listApis file) instead.",
        f'"""Typed CloudStack API for CloudStack {version}: one method per API, with its parameters."""',
        "from __future__ import annotations",
        "",
        "from datetime import date, datetime",
        "from typing import Any, Mapping, Sequence",
        "from uuid import UUID",
        "",
        "from marvin2.client.api import API",
        "from marvin2.client.record import Record",
        "",
        f'__all__ = ["{class_name}", "SPEC_VERSION", "connect"]',
        "",
        f"SPEC_VERSION: str = {version!r}" if fmt == "pyi" else f"SPEC_VERSION = {version!r}",
        "",
        "",
        f"class {class_name}(API):",
        f'    """The API of CloudStack {version}; every method is also reachable by its snake_case name."""',
    ]
    for api in spec:  # Spec iterates in sorted name order
        out.append("")
        out.extend(_method(api, fmt))
    out.append("")
    out.append("")
    if fmt == "pyi":
        out.append(f"def connect(*args: Any, **kwargs: Any) -> {class_name}: ...")
    else:
        out.extend(
            [
                f"def connect(*args: Any, **kwargs: Any) -> {class_name}:",
                f'    """``marvin2.connect`` returning a {class_name}."""',
                "    import marvin2",
                "",
                f'    kwargs.setdefault("api_class", {class_name})',
                "    return marvin2.connect(*args, **kwargs)  # type: ignore[return-value]",
            ]
        )
    text = "\n".join(out) + "\n"
    ast.parse(text)  # never write something that does not parse
    return text
