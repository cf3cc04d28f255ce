"""rearrange: einops's pattern language for reshapes and transposes (Keras's ops.rearrange).

"b (h p1) (w p2) c -> b h w (p1 p2 c)" is three steps on the input: split the grouped axes
(reshape), reorder the elementary axes (transpose), merge the output groups (reshape); the
gradient is theirs. Sizes of split axes come from the input and from `axes_lengths`.
"""

import math
import re

from neuronio.autodiff.tensor import Tensor, as_tensor
from neuronio.errors import ShapeError
from neuronio.ops.shape import reshape, transpose


def _groups(side: str, who: str) -> list[list[str]]:
    """'b (h w) c' -> [['b'], ['h', 'w'], ['c']]."""
    groups = []
    for token in re.findall(r"\([^)]*\)|\S+", side):
        if token.startswith("("):
            groups.append(token[1:-1].split())
        elif token in ("(", ")") or "(" in token or ")" in token:
            raise ValueError(f"{who}: unbalanced parentheses in {side!r}.")
        else:
            groups.append([token])
    return groups


def rearrange(tensor, pattern: str, **axes_lengths) -> Tensor:
    """Reorder, split and merge axes as `pattern` says, e.g. 'b h w c -> b (h w) c'."""
    who = f"rearrange({pattern!r})"
    x = as_tensor(tensor)
    if pattern.count("->") != 1:
        raise ValueError(f"{who}: the pattern needs exactly one '->'.")
    left, right = (_groups(side, who) for side in pattern.split("->"))
    if len(left) != x.ndim:
        raise ShapeError(f"{who}: the left side names {len(left)} axes; the input has shape {x.shape}.")
    sizes = {}
    # 1. Each input axis: its groups' sizes, one unknown solved from the axis length.
    for group, length in zip(left, x.shape, strict=True):
        unknown = [name for name in group if name not in axes_lengths]
        known = math.prod(int(axes_lengths[name]) for name in group if name in axes_lengths)
        if len(unknown) > 1:
            raise ValueError(f"{who}: give the sizes of all but one of {group} in axes_lengths.")
        if (length % known if known else 1) or (not unknown and known != length):
            raise ShapeError(f"{who}: axis of length {length} cannot be split as {group} with {axes_lengths}.")
        for name in group:
            sizes[name] = int(axes_lengths[name]) if name in axes_lengths else length // known
    names = [name for group in left for name in group]
    out_names = [name for group in right for name in group]
    if sorted(names) != sorted(out_names) or len(set(names)) != len(names):
        raise ValueError(f"{who}: both sides must name the same axes once each; received {names} and {out_names}.")
    # 2. Split, 3. reorder, 4. merge.
    split = reshape(x, tuple(sizes[name] for name in names))
    moved = transpose(split, tuple(names.index(name) for name in out_names))
    return reshape(moved, tuple(math.prod(sizes[name] for name in group) for group in right))
