"""The segmentation lattice: every way of cutting a line of ink into digits, scored by the classifier.

This is the recogniser of LeCun, Bottou, Bengio and Haffner (1998, "Gradient-based learning applied
to document recognition"), where the deck's ZIP-code slides come from, without the training of the
graph. Heuristic over-segmentation gives the nodes: the left edge of every component, every
candidate cut through a component, and the end of the line, in reading order. An arc u -> v is the
candidate digit made of the ink between node u and node v. The classifier gives each arc ten
log-probabilities, to which geometry adds a penalty (too wide or too short for one digit, a gap
inside), and each cut a path goes through costs more the more ink it crosses. A reading is a path
from the first node to the last; its score is the sum of its arcs' and nodes' scores, and dynamic
programming finds the best one:

- free reading: the best label on every arc, the best path of any length;
- with a length L: the best path of exactly L arcs;
- with a lexicon: for every code the best path that spells it, and the best code wins (the deck's
  "recognizer choice after lexicon expansion").

Small components (fragments, specks) may also be skipped, at a cost.
"""

import dataclasses

import numpy as np

MAX_COMPONENTS = 3  # the most components one digit may be made of
MAX_WIDTH = 1.6  # no digit is wider than 1.6 digit heights: wider arcs are not built


@dataclasses.dataclass
class Penalties:
    """The scores added to the classifier's log-probabilities, in nats.

    Lengths are in digit heights (H); the ink a cut crosses is counted in pen widths. The values
    were tuned on the `dev` split of scripts/make_read_eval.py (even-numbered MNIST test digits),
    never on the `eval` split the benchmark reports.
    """

    wide: float = 6.0  # per H of width beyond `wide_start`
    wide_start: float = 0.9
    short: float = 6.0  # per H of height below `short_below`
    short_below: float = 0.9
    gap: float = 8.0  # per H of blank columns inside one digit
    cut: float = 0.0  # each cut a reading goes through ...
    cut_ink: float = 0.5  # ... plus this per pen width of ink it crosses
    skip: float = 1.5  # leaving out a small component, plus `skip_area` times its area relative
    skip_area: float = 6.0  # to a digit's
    skip_below: float = 0.6  # only components shorter than this may be left out
    energy: float = 0.2  # weight of the classifier's energy (how digit-like the ink is) ...
    digit: float = 0.0  # ... and a bonus for each digit read (sets the free reading's length)


@dataclasses.dataclass
class Lattice:
    """Label arcs (u, v) with their scores, the cost of each node, and skip arcs (u, v, cost)."""

    n_nodes: int
    arcs: list  # [(u, v)]
    log_probs: np.ndarray  # (n_arcs, 10): classifier log-probabilities minus the arc's penalty
    node_costs: np.ndarray  # (n_nodes,): the cost of a path passing through each node (cuts)
    skips: list  # [(u, v, cost)]: arcs that read no digit


def nodes_of(page) -> list:
    """The nodes in reading order: (c, None) is the left edge of component c, (c, k) its k-th
    cut, and (len(components), None) the end of the line."""
    nodes = []
    for c, cuts in enumerate(page.cuts):
        nodes.append((c, None))
        nodes.extend((c, k) for k in range(len(cuts)))
    nodes.append((len(page.components), None))
    return nodes


def arc_ink(page, u, v) -> tuple:
    """The ink between nodes u and v: (mask, y0, x0) over the pieces' common box."""
    (cu, ku), (cv, kv) = u, v
    last = cv if kv is not None else cv - 1
    pieces = []
    for c in range(cu, last + 1):
        comp = page.components[c]
        h, w = comp.mask.shape
        left = page.cuts[c][ku].columns if (c == cu and ku is not None) else np.zeros(h, dtype=np.int64)
        right = page.cuts[c][kv].columns if (c == cv and kv is not None) else np.full(h, w)
        columns = np.arange(w)[None, :]  # (1, w)
        part = comp.mask & (columns >= left[:, None]) & (columns < right[:, None])  # (h, w)
        pieces.append((part, comp.y0, comp.x0))
    y0, x0 = min(p[1] for p in pieces), min(p[2] for p in pieces)
    y1 = max(p[1] + p[0].shape[0] for p in pieces)
    x1 = max(p[2] + p[0].shape[1] for p in pieces)
    mask = np.zeros((y1 - y0, x1 - x0), dtype=bool)
    for part, py, px in pieces:
        mask[py - y0 : py - y0 + part.shape[0], px - x0 : px - x0 + part.shape[1]] |= part
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return mask[:0, :0], y0, x0
    return mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], y0 + int(rows[0]), x0 + int(cols[0])


def candidate_arcs(page) -> tuple:
    """Every stretch of ink between two nodes that could be one digit, with its geometry.

    Returns (arcs [(u, v)] as node indices, inks [(mask, y0, x0)], features {name: (n_arcs,)})
    with the features, in digit heights: "width", "height", "gap" (blank columns inside), and
    "whole": whether the arc is exactly one component, uncut.
    """
    nodes = nodes_of(page)
    height = page.height
    arcs, inks, widths, heights, gaps, whole = [], [], [], [], [], []
    for a, u in enumerate(nodes[:-1]):
        for b in range(a + 1, len(nodes)):
            v = nodes[b]
            spanned = (v[0] if v[1] is not None else v[0] - 1) - u[0] + 1
            if spanned > MAX_COMPONENTS:
                break
            mask, y0, x0 = arc_ink(page, u, v)
            if mask.size == 0:
                continue
            if mask.shape[1] > MAX_WIDTH * height:
                # Every component is still offered whole (a thick 2 or a 5 with a long bar can be
                # wider than MAX_WIDTH), and so is the first piece after a cut, so that a path of
                # every length the pieces allow exists; anything wider is not.
                if u[1] is None and v[1] is not None and v[0] == u[0]:
                    continue  # a wide part of u's component: skip on to the whole component
                one_component = u[1] is None and v[1] is None and v[0] == u[0] + 1
                if b > a + 1 and not one_component:
                    break  # wider still with more ink
            arcs.append((a, b))
            inks.append((mask, y0, x0))
            widths.append(mask.shape[1] / height)
            heights.append(mask.shape[0] / height)
            gaps.append(float((~mask.any(axis=0)).sum()) / height)
            whole.append(u[1] is None and v[1] is None and v[0] == u[0] + 1)
    features = {
        "width": np.array(widths),
        "height": np.array(heights),
        "gap": np.array(gaps),
        "whole": np.array(whole, dtype=bool),
    }
    return arcs, inks, features


def arc_penalties(features: dict, penalties: Penalties) -> np.ndarray:
    """Each arc's penalty: too wide, too short, or with a gap, to be one digit; less digit-like
    (lower energy) than the page's uncut components are, on the median; minus the digit bonus."""
    energy = features.get("energy", np.zeros(len(features["width"])))
    whole = features["whole"]
    reference = np.median(energy[whole]) if whole.any() else np.median(energy)
    return (
        penalties.wide * np.maximum(0.0, features["width"] - penalties.wide_start)
        + penalties.short * np.maximum(0.0, penalties.short_below - features["height"])
        + penalties.gap * features["gap"]
        - penalties.energy * (energy - reference)
        - penalties.digit
    )


def node_penalties(page, penalties: Penalties) -> np.ndarray:
    """(n_nodes,): a cut costs `cut` plus `cut_ink` per pen width of ink it crosses; edges are free."""
    return np.array(
        [
            0.0 if k is None else penalties.cut + penalties.cut_ink * page.cuts[c][k].ink / page.stroke
            for c, k in nodes_of(page)
        ]
    )


def skip_arcs(page, penalties: Penalties) -> list:
    """[(u, v, cost)]: leaving out a whole small component (a speck or fragment) without cuts."""
    height = page.height
    nodes = nodes_of(page)
    index = {node: i for i, node in enumerate(nodes)}
    full = [c.mask.sum() for c in page.components if c.mask.shape[0] >= penalties.skip_below * height]
    digit_area = float(np.median(full)) if full else 1.0
    return [
        (
            index[(c, None)],
            index[(c + 1, None)],
            penalties.skip + penalties.skip_area * float(comp.mask.sum()) / digit_area,
        )
        for c, comp in enumerate(page.components)
        if comp.mask.shape[0] < penalties.skip_below * height and not page.cuts[c]
    ]


# -- decoding ---------------------------------------------------------------------------------------


def best_free(lattice: Lattice) -> tuple:
    """The best path of any length: (score, [(arc index, digit)])."""
    n = lattice.n_nodes
    best = np.full(n, -np.inf)
    back = [None] * n  # (previous node, arc index or None for a skip)
    best[0] = 0.0
    labels = lattice.log_probs.argmax(axis=1)
    top = lattice.log_probs.max(axis=1)
    incoming = _incoming(lattice)
    for j in range(1, n):
        for i, k, score in incoming[j]:
            gain = top[k] if k is not None else -score
            if best[i] + gain > best[j]:
                best[j], back[j] = best[i] + gain, (i, k)
        best[j] -= lattice.node_costs[j]
    path, j = [], n - 1
    while j > 0 and back[j] is not None:
        i, k = back[j]
        if k is not None:
            path.append((k, int(labels[k])))
        j = i
    return best[-1], path[::-1]


def best_coded(lattice: Lattice, codes: np.ndarray) -> tuple:
    """For each code (row of `codes`, (N, L) ints; -1 = any digit), the best path spelling it.

    Dynamic programming over nodes j and positions p, vectorised over the N codes:
        F[j, p] = max( max over label arcs (i, j):  F[i, p - 1] + s(arc, code[p - 1]),
                       max over skip arcs (i, j):   F[i, p] - skip cost ) - node cost of j
    Returns (scores (N,), the best code's path [(arc index, digit)]); scores are -inf where no
    path spells the code.
    """
    n_codes, length = codes.shape
    n = lattice.n_nodes
    wild = codes < 0
    top = lattice.log_probs.max(axis=1)
    labels = lattice.log_probs.argmax(axis=1)
    per_arc = np.where(wild[None], top[:, None, None], lattice.log_probs[:, np.where(wild, 0, codes)])  # (arcs, N, L)
    table = np.full((n, length + 1, n_codes), -np.inf)
    back = np.full((n, length + 1, n_codes, 2), -1, dtype=np.int64)  # (previous node, arc or -2 for a skip)
    table[0, 0] = 0.0
    incoming = _incoming(lattice)
    for j in range(1, n):
        for i, k, score in incoming[j]:
            if k is not None:
                candidate = np.full((length + 1, n_codes), -np.inf)
                candidate[1:] = table[i, :-1] + per_arc[k].T  # (L, N): arriving at positions 1..L
            else:
                candidate = table[i] - score
            better = candidate > table[j]
            table[j] = np.where(better, candidate, table[j])
            back[j][better] = (i, -2 if k is None else k)
        table[j] -= lattice.node_costs[j]
    scores = table[n - 1, length]
    winner = int(np.argmax(scores))
    if not np.isfinite(scores[winner]):
        return scores, []
    path, j, pos = [], n - 1, length
    while j > 0:
        i, k = back[j, pos, winner]
        if k >= 0:
            digit = int(labels[k]) if wild[winner, pos - 1] else int(codes[winner, pos - 1])
            path.append((int(k), digit))
            pos -= 1
        j = int(i)
    return scores, path[::-1]


def _incoming(lattice: Lattice) -> list:
    """incoming[j]: [(i, arc index or None for a skip, skip cost)] for every arc ending at node j."""
    incoming = [[] for _ in range(lattice.n_nodes)]
    for k, (i, j) in enumerate(lattice.arcs):
        incoming[j].append((i, k, 0.0))
    for i, j, cost in lattice.skips:
        incoming[j].append((i, None, cost))
    return incoming
