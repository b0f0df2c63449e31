"""Rotation helpers (pure numpy). Angles are radians unless a name ends in ``_deg``.

Quaternions are ``(w, x, y, z)``; matrices rotate body (leg/sensor) coordinates into the world frame.
"""
from __future__ import annotations

import numpy as np


def leg_matrices(beta: np.ndarray, psi: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Leg orientation ``R = Rz(beta) @ Ry(-psi) @ Rx(rho)`` for arrays of angles (rad) -> ``(N, 3, 3)``.

    Columns are the leg axes in the world: x along the segment (pivot -> sensor), y the horizontal
    rotation axis of ``psi`` (the elevation), z = x cross y (the shin's front when ``rho`` = 0 and the
    leg lies flat on its back).
    """
    cb, sb = np.cos(beta), np.sin(beta)
    cp, sp = np.cos(psi), np.sin(psi)
    cr, sr = np.cos(rho), np.sin(rho)
    R = np.empty(np.shape(beta) + (3, 3))
    R[..., 0, 0] = cb * cp
    R[..., 0, 1] = -cb * sp * sr - sb * cr
    R[..., 0, 2] = -cb * sp * cr + sb * sr
    R[..., 1, 0] = sb * cp
    R[..., 1, 1] = -sb * sp * sr + cb * cr
    R[..., 1, 2] = -sb * sp * cr - cb * sr
    R[..., 2, 0] = sp
    R[..., 2, 1] = cp * sr
    R[..., 2, 2] = cp * cr
    return R


def unit(beta_deg, elev_deg) -> np.ndarray:
    """World unit vector with heading ``beta_deg`` (from +x toward +y) and elevation ``elev_deg`` -> (..., 3)."""
    b, e = np.radians(beta_deg), np.radians(elev_deg)
    return np.stack([np.cos(e) * np.cos(b), np.cos(e) * np.sin(b), np.sin(e)], axis=-1)


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    """A rotation matrix drawn uniformly from SO(3)."""
    return quat_to_matrix(random_quat(rng))


def random_quat(rng: np.random.Generator) -> np.ndarray:
    q = rng.standard_normal(4)
    return q / np.linalg.norm(q)


def quat_to_matrix(q: np.ndarray) -> np.ndarray:
    """Unit quaternion(s) ``(..., 4)`` -> rotation matrices ``(..., 3, 3)``."""
    w, x, y, z = np.moveaxis(np.asarray(q, float), -1, 0)
    R = np.empty(np.shape(w) + (3, 3))
    R[..., 0, 0] = 1 - 2 * (y * y + z * z)
    R[..., 0, 1] = 2 * (x * y - w * z)
    R[..., 0, 2] = 2 * (x * z + w * y)
    R[..., 1, 0] = 2 * (x * y + w * z)
    R[..., 1, 1] = 1 - 2 * (x * x + z * z)
    R[..., 1, 2] = 2 * (y * z - w * x)
    R[..., 2, 0] = 2 * (x * z - w * y)
    R[..., 2, 1] = 2 * (y * z + w * x)
    R[..., 2, 2] = 1 - 2 * (x * x + y * y)
    return R


def matrix_to_quat(R: np.ndarray) -> np.ndarray:
    """One rotation matrix -> unit quaternion (w, x, y, z)."""
    K = np.array([
        [R[0, 0] - R[1, 1] - R[2, 2], R[1, 0] + R[0, 1], R[2, 0] + R[0, 2], R[2, 1] - R[1, 2]],
        [R[1, 0] + R[0, 1], R[1, 1] - R[0, 0] - R[2, 2], R[2, 1] + R[1, 2], R[0, 2] - R[2, 0]],
        [R[2, 0] + R[0, 2], R[2, 1] + R[1, 2], R[2, 2] - R[0, 0] - R[1, 1], R[1, 0] - R[0, 1]],
        [R[2, 1] - R[1, 2], R[0, 2] - R[2, 0], R[1, 0] - R[0, 1], R[0, 0] + R[1, 1] + R[2, 2]],
    ]) / 3.0
    vals, vecs = np.linalg.eigh(K)
    x, y, z, w = vecs[:, np.argmax(vals)]
    q = np.array([w, x, y, z])
    return q if w >= 0 else -q


def slerp(q0: np.ndarray, q1: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Spherical interpolation between unit quaternions (shortest arc) at fractions ``s`` -> (N, 4)."""
    q0, q1 = np.asarray(q0, float), np.asarray(q1, float)
    d = float(np.dot(q0, q1))
    if d < 0:
        q1, d = -q1, -d
    s = np.asarray(s, float)[:, None]
    if d > 0.9995:
        q = q0 + s * (q1 - q0)
        return q / np.linalg.norm(q, axis=1, keepdims=True)
    om = np.arccos(d)
    return (np.sin((1 - s) * om) * q0 + np.sin(s * om) * q1) / np.sin(om)
