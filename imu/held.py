"""Without a gyroscope: what a live view can read in the latest readings, some still held back.

While the accelerometer-only bridge (:mod:`imu.bridge`) holds a swing back until its direction is settled
(about half a second after the leg is back, longer in continuous swinging), the state machine cannot see
the rep end; once they are released, the low-passed tilt it reads lags the leg by ~0.1 s. The readings
can show the end already: where the leg is back and still, the unfiltered accelerometer reads gravity.
:func:`reps_landed` counts the reps that ended there, for the live count only (the reps themselves, with
their tempo and flags, come from the state machine once it has seen them). The latest released readings are
looked at too, so that the count does not drop back while the state machine catches up.
"""
from __future__ import annotations

import numpy as np

from imu.bridge import PAUSE_G
from imu.orientation import leg_angle_deg, norm, unit

STILL_N = 4  #: readings of a pause in which the leg is seen back (80 ms on the 50 Hz grid)
STILL_SPREAD_DEG = 4.0  #: ... each within PAUSE_G of 1 g and this close to their mean direction
KNOCK_S = 0.3  #: a swing starting this soon after a rep ended is the knock of its landing, not a new swing


def reps_landed(t_s: np.ndarray, raw_g: np.ndarray, lowpass_g: np.ndarray, home: np.ndarray, axis: np.ndarray,
                rest_max_deg: float, swing_g: float, away_since_s: float | None, last_end_s: float,
                min_rep_s: float, up_min_deg: float = np.inf, rest_min_deg: float = -np.inf) -> int:
    """Reps that the latest readings (times ``t_s``, unfiltered ``raw_g`` and low-passed ``lowpass_g``
    acceleration, g) show ended: each the leg away (since ``away_since_s``, s: an excursion in progress
    before them; or from a swing in them, the low-passed acceleration ``swing_g`` off 1 g; or seen
    still at least ``up_min_deg`` up; either starting at least ``KNOCK_S`` after the last rep ended at
    ``last_end_s``, s) and then, ``min_rep_s`` or more after it left (or after it was seen still up: no
    twitch), back and still (``STILL_N`` readings that read gravity) at most ``rest_max_deg`` up in the set's
    frame (``home``, ``axis``), and not below ``rest_min_deg`` (a leg turned on over the top as the person sits
    up, suite #107, reads as far below the rest as the angle folds: no landing).

    Seen still up: a rep of a set not swung hard (heel taps of ~0.4 g) is held back whole while the bridge
    interpolates across its readings off 1 g, so the state machine sees neither its start nor its end, and no
    swing marked it away; the readings show it held at its top (Polar heel taps, suite #53: 52 deg up, back 1.6 s
    later) and counted it only once released, 0.4-0.5 s after it ended."""
    if len(t_s) < STILL_N:
        return 0
    windows = np.lib.stride_tricks.sliding_window_view(unit(raw_g), STILL_N, axis=0)  # (m, 3, STILL_N)
    mean = unit(windows.mean(axis=2))
    still = np.einsum("ij,ijk->ik", mean, windows).min(axis=1) > np.cos(np.radians(STILL_SPREAD_DEG))
    still &= np.lib.stride_tricks.sliding_window_view(np.abs(norm(raw_g) - 1.0) < PAUSE_G, STILL_N).all(axis=1)
    angle_deg = leg_angle_deg(mean, home, axis)
    back = still & (angle_deg <= rest_max_deg) & (angle_deg >= rest_min_deg)
    up = still & (angle_deg >= up_min_deg)
    off = np.abs(norm(lowpass_g) - 1.0) > swing_g
    swing = np.lib.stride_tricks.sliding_window_view(off, STILL_N).any(axis=1)
    count, held_up = 0, False
    for k in np.flatnonzero(back | swing | up).tolist():  # (window k: samples k .. k + STILL_N - 1)
        end_s = float(t_s[k + STILL_N - 1])
        if back[k]:
            if away_since_s is not None and (held_up or end_s - away_since_s >= min_rep_s):
                count, away_since_s, last_end_s, held_up = count + 1, None, end_s, False
            continue
        if away_since_s is None and t_s[k] >= last_end_s + KNOCK_S:
            away_since_s = float(t_s[k])
        held_up |= bool(up[k]) and away_since_s is not None
    return count


def kicks_landed(t_s: np.ndarray, angle_deg: np.ndarray, rest_max_deg: float, turn_max_deg: float, rise_deg: float,
                 away_min_deg: float, away_since_s: float | None, last_end_s: float, min_rep_s: float) -> int:
    """Reps that the leg angles ``angle_deg`` (deg, at times ``t_s``, s) fitted through continuous swinging
    still held back (:meth:`imu.bridge.AccOnlyBridge.open_window`) show ended: each the leg away (since
    ``away_since_s``, s: an excursion in progress before them; or up ``away_min_deg`` or more after them) and
    then back: at most ``rest_max_deg`` up, or turned up by ``rise_deg`` from a lowest point at most
    ``turn_max_deg`` up (a trough stays one however the fit moves), that lowest point ``min_rep_s`` or more
    after the last rep ended at ``last_end_s`` (s). Flutter kicks never pause at the bottom, so the still
    readings :func:`reps_landed` looks for never come; the fitted angle shows each kick's return.

    The fit's free end counts too: its smoothness makes it lag a leg coming down (it flattens out above where
    the leg is: 3 deg up where the window fitted on read -1), so it shows the leg back later rather than
    earlier than the complete window does. Reading it only up to 0.1 s before the newest reading left kicks that the next
    0.18 s notification was too late for (Polar flutter kicks, suite #13, #81, #85: counted within 300 ms
    132 -> 145 of 174, nothing more taken back)."""
    if not len(t_s):
        return 0
    count, low, low_s = 0, np.inf, -np.inf
    for k, angle in enumerate(angle_deg.tolist()):
        if away_since_s is None:
            if angle >= away_min_deg:
                away_since_s, low = float(t_s[k]), np.inf
            continue
        if angle < low:
            low, low_s = angle, float(t_s[k])
        back = angle <= rest_max_deg or (low <= turn_max_deg and angle >= low + rise_deg)
        if back and low_s - last_end_s >= min_rep_s:
            count, away_since_s, last_end_s = count + 1, None, low_s
    return count
