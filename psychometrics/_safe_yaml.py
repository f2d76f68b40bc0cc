"""A YAML reader for files from users: safe tags only, no duplicate keys, bounded size and alias expansion.

``yaml.safe_load`` silently keeps the last of two equal keys and accepts an "alias bomb" (a few lines whose
aliases expand to billions of nodes, which exhaust memory once the value is copied, validated or printed).
:func:`load_yaml` refuses both with a :class:`~psychometrics.errors.SpecError` naming the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import SpecError

__all__ = ["load_yaml", "read_text", "MAX_YAML_CHARS", "MAX_YAML_NODES"]

MAX_YAML_CHARS = 10_000_000  # 10 MB of text: far above any spec, instrument or tolerances file
MAX_YAML_NODES = 200_000  # scalars, lists and mappings after every alias is expanded

_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when libyaml is available


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_expansion(root: yaml.Node, source: str) -> None:
    """Refuse a document whose aliases expand to more than MAX_YAML_NODES nodes or refer to themselves.

    Counts the expanded tree without building it: size(node) = 1 + sum of its children's sizes, each node's size
    computed once (an alias is the same node object as its anchor), depth-first without recursion.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            if sizes[key] > MAX_YAML_NODES:
                raise SpecError(
                    f"{source}: the YAML expands to more than {MAX_YAML_NODES} values (aliases repeat "
                    f"the anchor near line {node.start_mark.line + 1}); write the document out plainly."
                )
        elif key not in sizes:
            if key in open_nodes:
                raise SpecError(f"{source}: the YAML alias near line {node.start_mark.line + 1} refers to itself.")
            open_nodes.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))


class _StrictLoader(_BASE):  # type: ignore[valid-type,misc]  # _BASE is chosen at import time
    """SafeLoader that refuses duplicate mapping keys."""

    source = "the YAML document"

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key, line = self.construct_object(key_node, deep=True), key_node.start_mark.line + 1
            try:
                first = seen.setdefault(key, line)
            except TypeError:  # an unhashable key: SafeConstructor reports it
                continue
            if first != line:
                raise SpecError(
                    f"{self.source}: the key {str(key)[:80]!r} appears twice (lines {first} and {line}); keep one."
                )
        return super().construct_mapping(node, deep=deep)

    def get_single_data(self):
        node = self.get_single_node()
        if node is None:
            return None
        _check_expansion(node, self.source)
        return self.construct_document(node)


def load_yaml(text: str, source: str) -> Any:
    """Parse ``text`` (from ``source``, named in errors) with the checks above; SpecError on any problem."""
    if len(text) > MAX_YAML_CHARS:
        raise SpecError(f"{source} has {len(text)} characters; YAML files of at most {MAX_YAML_CHARS} are read.")
    loader = _StrictLoader(text)
    loader.source = source
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise SpecError(f"{source} is not valid YAML: {str(exc)[:500]}") from None
    except RecursionError:
        raise SpecError(f"{source} nests too deeply to be read; flatten the document.") from None
    finally:
        loader.dispose()


def read_text(path: str | Path, what: str) -> str:
    """The UTF-8 text of ``path`` (a ``what``: "instrument", ...); SpecError for binary or non-UTF-8 files."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        byte = exc.object[exc.start : exc.start + 1]
        raise SpecError(
            f"the {what} {path} is not UTF-8 text (byte {exc.start}: {byte!r}); save it as UTF-8."
        ) from None
