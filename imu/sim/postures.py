"""Resting postures of the person and the transitions between them (degrees, metres, seconds).

Lying postures are anchored at the hip joint (xy), upright ones at the sensor/ankle (xy). A transition
is one smooth move; the graph :data:`EDGES` says which postures connect directly and what stays put
(``"pivot"``: the hip on the floor; ``"sensor"``: the foot planted on the floor).
"""
from __future__ import annotations

from collections import deque

import numpy as np

from .body import Body, Pose, two_link, wrap180
from .rotations import unit

#: Postures lying on the floor (hip pivot).
LYING = ("supine", "long_sit", "knees_bent", "side", "prone")
#: Upright postures (knee pivot).
UPRIGHT = ("squat", "standing", "seated_box")

#: (a, b) -> (min s, max s, what stays put). Undirected.
EDGES: dict[tuple[str, str], tuple[float, float, str]] = {
    ("supine", "long_sit"): (2.0, 3.5, "pivot"),
    ("supine", "knees_bent"): (1.5, 2.5, "pivot"),
    ("long_sit", "knees_bent"): (1.5, 2.5, "pivot"),
    ("supine", "side"): (1.5, 3.0, "pivot"),
    ("side", "prone"): (1.5, 3.0, "pivot"),
    ("knees_bent", "squat"): (2.0, 3.5, "sensor"),
    ("squat", "standing"): (1.5, 2.5, "sensor"),
    ("standing", "seated_box"): (2.0, 3.0, "sensor"),
}


def _straight(body: Body, beta: float, rho: float, kind: str, xy) -> Pose:
    """Straight leg lying on the floor (hip at xy)."""
    hz, sz = body.hip_z[kind], body.rest_z[kind]
    psi = float(np.degrees(np.arcsin((sz - hz) / body.leg_m)))
    return Pose(beta, psi, rho, (xy[0], xy[1], hz), body.leg_m)


def bent_pose(body: Body, beta: float, rho: float, hip, shin_deg: float, knee_flex_deg: float) -> Pose:
    """Bent knee pivoting at the hip: shin elevation ``shin_deg``, knee flexion (180 - knee angle)."""
    r, elev = two_link(body.thigh_m, body.shin_m, shin_deg + knee_flex_deg, shin_deg)
    return Pose(beta, shin_deg, rho, tuple(hip), r, elev - shin_deg)


def posture_pose(name: str, body: Body, beta: float, rng: np.random.Generator, xy=(0.0, 0.0)) -> Pose:
    """A fresh pose of posture ``name`` with heading ``beta`` at ``xy`` (hip or sensor, see module doc)."""
    x, y = xy
    s = body.side
    if name == "supine":
        return _straight(body, beta, body.roll_deg, "supine", xy)
    if name == "long_sit":
        p = _straight(body, beta, body.roll_deg + rng.uniform(-8, 8), "supine", xy)
        return p.but(psi=p.psi + rng.uniform(0, 2))
    if name == "side":
        return _straight(body, beta, s * 90 + 0.3 * body.roll_deg, "side", xy)
    if name == "prone":
        return _straight(body, beta, s * 180 + 0.3 * body.roll_deg, "prone", xy)
    if name == "knees_bent":
        shin = -rng.uniform(35, 55)
        hz, sz = body.hip_z["supine"], body.rest_z["supine"]
        sin_t = np.clip((sz - hz - body.shin_m * np.sin(np.radians(shin))) / body.thigh_m, -1, 1)
        thigh = float(np.degrees(np.arcsin(sin_t)))
        return bent_pose(body, beta, body.roll_deg, (x, y, hz), shin, thigh - shin)
    if name in ("squat", "standing", "seated_box"):
        if name == "squat":
            psi, sz = -rng.uniform(105, 125), body.stand_z
        elif name == "standing":
            psi, sz = -90 + rng.uniform(-3, 3), body.stand_z
        else:
            psi = -rng.uniform(80, 100)
            sz = body.box_knee_z + body.shin_m * np.sin(np.radians(psi))
        knee = np.array([x, y, sz]) - body.shin_m * unit(beta, psi)
        return Pose(beta, psi, body.roll_deg, tuple(float(v) for v in knee), body.shin_m)
    raise ValueError(f"unknown posture {name!r}")


def align(target: Pose, current: Pose, keep: str) -> Pose:
    """Shift ``target`` horizontally so that its pivot (``keep="pivot"``) or sensor (``"sensor"``) xy
    matches ``current``'s, and unwrap its heading to the nearest turn of ``current``'s."""
    if keep == "pivot":
        d = np.asarray(current.pivot[:2]) - np.asarray(target.pivot[:2])
    else:
        d = current.sensor()[:2] - target.sensor()[:2]
    t = target.shifted(float(d[0]), float(d[1]))
    return t.but(beta=current.beta + wrap180(t.beta - current.beta))


def edge(a: str, b: str) -> tuple[float, float, str]:
    return EDGES.get((a, b)) or EDGES[(b, a)]


def path(start: str, goals) -> list[str]:
    """Shortest posture path from ``start`` to the nearest posture in ``goals`` (inclusive of both ends)."""
    goals = {goals} if isinstance(goals, str) else set(goals)
    prev, queue = {start: None}, deque([start])
    while queue:
        a = queue.popleft()
        if a in goals:
            out = [a]
            while prev[out[-1]] is not None:
                out.append(prev[out[-1]])
            return out[::-1]
        for (u, v) in EDGES:
            for x, y in ((u, v), (v, u)):
                if x == a and y not in prev:
                    prev[y] = a
                    queue.append(y)
    raise ValueError(f"no posture path from {start} to {goals}")
