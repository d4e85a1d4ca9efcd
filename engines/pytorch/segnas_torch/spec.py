"""Architecture specs as the TypeScript engine reads them (main/nas/spec.ts, blockMatrix.ts, train/plan.ts):
the op table, the block's edges in evaluation order, the legality rule and the network plan."""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple

# code -> ("conv", kernel, dilation) | ("skip",) | ("none",)   (paper Table 1)
OPS = {
    0: ("none",),
    1: ("conv", 1, 1),
    2: ("conv", 3, 1),
    3: ("conv", 5, 1),
    4: ("conv", 3, 2),
    5: ("conv", 5, 2),
    6: ("skip",),
}


def op_positions(nodes: int) -> List[Tuple[int, int]]:
    """(from, to) of each ops-vector position, column by column: (0,1), (0,2), (1,2), (0,3), ..."""
    return [(f, t) for t in range(1, nodes) for f in range(t)]


def block_edges(block: dict) -> List[Tuple[int, int, int]]:
    """Non-zero entries of the operation matrix as (from, to, op), ordered by target node then source."""
    nodes, ops = block["nodes"], list(block["ops"])
    if nodes not in (2, 3, 4):
        raise ValueError(f"block nodes must be an integer in 2..4, got {nodes}")
    if len(ops) != nodes * (nodes - 1) // 2:
        raise ValueError(f"a block of {nodes} nodes uses {nodes * (nodes - 1) // 2} ops, got {len(ops)}")
    for i, op in enumerate(ops):
        if op not in OPS:
            raise ValueError(f"block op {i} must be an op code 0..6, got {op}")
    return [(f, t, op) for (f, t), op in zip(op_positions(nodes), ops) if op != 0]


def check_block(block: dict) -> None:
    """Only node 0 may be a source and only the last node a sink; raises naming the node otherwise."""
    edges = block_edges(block)
    last = block["nodes"] - 1
    problems = []
    for node in range(1, last + 1):
        if not any(t == node for _, t, _ in edges):
            problems.append(f"node {node} is a source: it has no input; only node 0 may be a source")
    for node in range(0, last):
        if not any(f == node for f, _, _ in edges):
            problems.append(f"node {node} is a sink: its output is never used; only node {last} may be a sink")
    if problems:
        raise ValueError("spec.block is illegal: " + "; ".join(problems))


@dataclass
class MegaBlockPlan:
    path: str  # "enc" | "dec"
    level: int
    in_channels: int
    channels: int
    side: int


@dataclass
class EdgeLayer:
    kind: str  # "conv" | "projection" | "identity"
    in_channels: int = 0
    channels: int = 0
    kernel: int = 0
    dilation: int = 0


def level_channels(spec: dict, level: int) -> int:
    return spec["n"] * 2**level


def assert_buildable(spec: dict, size: int) -> None:
    n, p = spec["n"], spec["p"]
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"spec.n must be a positive integer, got {n}")
    if not isinstance(p, int) or p < 0:
        raise ValueError(f"spec.p must be a non-negative integer, got {p}")
    check_block(spec["block"])
    cell = 2**p
    if size < cell or size % cell != 0:
        raise ValueError(
            f"size {size} must be a positive multiple of 2^p = {cell} (p = {p} max-poolings halve it p times)"
        )


def plan_network(spec: dict, size: int, in_channels: int) -> Tuple[List[MegaBlockPlan], List[int]]:
    """MegaBlocks (encoder 0..p, decoder p-1..0) and the deep-supervision levels (p-1..1 when sup)."""
    assert_buildable(spec, size)
    p = spec["p"]
    blocks = []
    for level in range(p + 1):
        cin = in_channels if level == 0 else level_channels(spec, level - 1)
        blocks.append(MegaBlockPlan("enc", level, cin, level_channels(spec, level), size // 2**level))
    for level in range(p - 1, -1, -1):
        cin = level_channels(spec, level + 1) + level_channels(spec, level)
        blocks.append(MegaBlockPlan("dec", level, cin, level_channels(spec, level), size // 2**level))
    aux = list(range(p - 1, 0, -1)) if spec["sup"] else []
    return blocks, aux


def edge_layer(edge: Tuple[int, int, int], mb: MegaBlockPlan) -> EdgeLayer:
    f, _, op = edge
    info = OPS[op]
    cin = mb.in_channels if f == 0 else mb.channels
    if info[0] == "conv":
        return EdgeLayer("conv", cin, mb.channels, info[1], info[2])
    if info[0] == "skip" and cin != mb.channels:
        return EdgeLayer("projection", cin, mb.channels)
    return EdgeLayer("identity")


def residual_layer(spec: dict, mb: MegaBlockPlan) -> Optional[EdgeLayer]:
    if not spec["res"]:
        return None
    if mb.in_channels == mb.channels:
        return EdgeLayer("identity")
    return EdgeLayer("projection", mb.in_channels, mb.channels)
