"""Sample times for the recording, and loss accounting.

Recording time ``t`` (the ``t`` column of ``recording.csv``) is seconds since the session started
on the host's clock, with the sensor's own clock keeping the spacing where it has one:

* :class:`SensorTimebase` (DIY, Movesense, Polar): ``t = sensor time - offset``; the offset is
  fixed by the first packet (its last sample at its arrival time). The 32-bit sensor clocks are
  unwrapped across reconnects too (a new decoder starts its own unwrap; the arrival times say
  how many wraps happened meanwhile). A batch whose time runs ahead of what its arrival allows,
  or lies far before the newest time, is rejected (a corrupt timestamp); if that persists the
  sensor clock restarted (reboot) and is re-anchored. Older data (a sensor re-sending what it
  buffered during a disconnect) are accepted and the stream keeps only what is new.
* :class:`ArrivalTimebase` (WitMotion, Thingy:52, MetaWear: no timestamps): samples lie on a grid
  of the nominal period, the sensor's own clock, and a packet is expected the mean lateness after
  its newest sample's grid time. A packet arriving later than the arrivals scatter anyway is after
  as many lost packets, and its samples are placed after the hole; a loss the scatter hides (the
  sensor's sampling jitter and the link's latency can spread arrivals over more than a period) shows
  when the following packets all come about a period late, and the hole is then placed before the
  packet that showed it (the few samples before it were a period early). The mean lateness follows a
  drifting clock, and the grid follows it beyond a small dead band. One later than ``COUNTED_MAX``
  packets may be a delivery stall: the packets after it tell. A packet arriving more than ``tol_s``
  later than expected is after a gap either way (a burst of lost packets or a disconnect).

:class:`LossTracker` counts missing samples from the recording times (gaps longer than 1.5
periods) and lost packets from sequence numbers where the profile has them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

#: sensor clock wrap periods (s) of the profiles' timestamps
WRAP_S = {"diy": 2 ** 32 * 1e-6, "movesense": 2 ** 32 * 1e-3}
JUMP_S = 1.0          #: a batch this far ahead of its arrival is a corrupt timestamp
BACK_S = 30.0         #: ... and one this far before the newest time (older data are just repeats)
REANCHOR_AFTER = 3    #: ... unless this many batches in a row agree (the clock jumped: reboot)
MAX_GAP_RECORDS = 200
COUNTED_MAX = 3       #: arrival times count up to this many packets lost in a row (later: a stall)
WARMUP_PACKETS = 16   #: confirmed packets that fix the arrivals' scatter before it is relied on
HI_WARMUP = 0.9       #: meanwhile, periods of lateness that prove a lost packet
HI_MARGIN = 0.05      #: then, periods beyond the largest residual seen (or midway to the smallest plus a period)
HI_SIGMA = 2.0        #: ... and at least this many standard deviations of the residuals
SPREAD_DECAY = 0.999  #: per packet, of the largest and smallest residual seen (forgotten over ~1000 packets)
WINDOW_WARMUP = 8     #: packets not yet learnt from while the scatter is learnt
WINDOW_MAX = 16       #: most packets whose mean lateness shows a loss their scatter hid
DEADBAND = 0.3        #: periods the grid may lag the mean lateness (a drifting clock) before it follows


class SensorTimebase:
    """Recording times from sensor timestamps (see the module docstring)."""

    method = "sensor timestamps"

    def __init__(self, wrap_s: float | None = None):
        self.wrap_s = wrap_s
        self.offset: float | None = None
        self._k = 0
        self._new_conn = False
        self._last_rec: float | None = None
        self._last_arrival: float | None = None
        self._odd = 0
        self._odd_off = 0.0
        self.rejected_batches = 0
        self.clock_resets = 0

    def new_connection(self) -> None:
        self._new_conn = True

    @staticmethod
    def column(stamps: list[np.ndarray], counts: list[int], out: np.ndarray) -> None:
        """Writes the recording times (s) of batches, in order (what :meth:`stamp` gave each), into ``out``."""
        if len(stamps) > 1:
            np.concatenate(stamps, out=out)
        elif stamps:
            out[...] = stamps[0]

    def stamp(self, t_s: np.ndarray, n: int, arrival: float) -> np.ndarray | None:
        """The recording times (s) of a decoded batch, or None to reject it (as :meth:`times`)."""
        return self.times(t_s, n, arrival)

    def times(self, t_s: np.ndarray, n: int, arrival: float) -> np.ndarray | None:
        """Recording times of a decoded batch, or None to reject it."""
        t_s = np.asarray(t_s, dtype=np.float64)
        if self.offset is None:
            self.offset = float(t_s[-1]) - arrival
        elif self._new_conn and self.wrap_s and self._last_rec is not None:
            predicted = self._last_rec + (arrival - self._last_arrival) + self.offset
            self._k = int(round((predicted - float(t_s[-1])) / self.wrap_s))
        self._new_conn = False
        # t_s + 0.0 is t_s (sensor times are never -0.0): the addition only when there are wraps
        t = t_s + self._k * self.wrap_s - self.offset if self._k else t_s - self.offset
        if self._last_rec is not None:
            expected = self._last_rec + (arrival - self._last_arrival)
            off = float(t[-1]) - expected
            if off > JUMP_S or float(t[-1]) < self._last_rec - BACK_S:
                same = self._odd and abs(off - self._odd_off) < JUMP_S     # agrees with the last odd one
                self._odd = self._odd + 1 if same else 1
                self._odd_off = off
                if self._odd < REANCHOR_AFTER:
                    self.rejected_batches += 1
                    return None
                self.clock_resets += 1            # the sensor clock really jumped: re-anchor
                self.offset += off
                t = t - off
                self._last_rec = None
        self._odd = 0
        if self._last_rec is None or float(t[-1]) > self._last_rec:
            self._last_rec, self._last_arrival = float(t[-1]), arrival
        return t


class ArrivalTimebase:
    """Recording times from arrival times and the nominal rate (see the module docstring).

    The samples lie on a grid of the nominal period; a packet's newest sample is expected to arrive
    the mean lateness (``_lat``) after its grid time, and its *residual* is how much later than that
    it came. Each packet follows the one before, after as many lost packets as its residual proves
    beyond the scatter of the arrivals (:meth:`_bounds`: beyond the largest residual seen, decaying,
    and ``HI_SIGMA`` standard deviations; midway between the largest and the smallest plus a period
    when they lie less than a period apart, so that each packet is counted alone: :attr:`counting`;
    ``HI_WARMUP`` periods until ``WARMUP_PACKETS`` residuals are learnt). A loss the scatter hides
    shows when the mean residual of the last ``W`` packets (more the wider the scatter, up to
    ``WINDOW_MAX``) exceeds half a period: the hole goes before the current packet; a mean below minus
    half a period undoes a loss counted wrongly (the grid steps back, half a packet's span at a time,
    never backwards). Residuals are learnt (mean lateness with gain ``span / tau_s``, scatter,
    envelope) only once ``W`` packets followed them, so that a loss not yet seen does not pull them.
    The grid follows the mean lateness beyond ``DEADBAND`` periods (a drifting sensor clock), so that
    a steady clock keeps the exact spacing. A packet later than ``COUNTED_MAX`` lost ones beyond the
    scatter may be a delivery stall: it follows the one before, and so do those after it while they
    catch up (a burst); one arriving at the nominal pace again shows packets lost before it. A packet
    arriving more than ``tol_s`` late starts after a gap (the packets lost are counted from its
    residual).
    """

    method = "arrival times (no sensor timestamps)"

    def __init__(self, rate_hz: float, tau_s: float = 0.5, tol_s: float | None = None):
        self.period = 1.0 / float(rate_hz)
        self.tau_s = tau_s
        self.tol_s = max(0.15, 3 * self.period) if tol_s is None else tol_s
        self._t_last: float | None = None
        self._restart = True
        self._lat = 0.0                    # mean lateness: arrival minus grid time of a packet's newest sample (s)
        self._lat_ref = 0.0                # ... when the grid was last anchored (the dead band's centre)
        self._var = (0.25 * self.period) ** 2   # scatter of the residuals (s^2)
        self._hi = 0.0                     # largest confirmed residual (decaying), s
        self._lo = 0.0                     # smallest (decaying), s
        self._confirmed = 0                # residuals confirmed (learnt from)
        self._res: list[float] = []        # residuals (s) of the packets not yet confirmed, oldest first
        self._res_n: list[int] = []        # ... and their numbers of samples
        self._th = self._wn = 0            # what :meth:`_bounds` sets (from what was learnt)
        self._bounds()
        self._behind: float | None = None  # residual of the last packet, if late for a stall (s)
        self.counting = True               #: the arrivals scatter less than a period: each packet is counted alone
        self.snaps = 0
        self.counted_lost = 0              #: packets counted lost from their followers' arrival times

    def new_connection(self) -> None:
        self._restart = True

    def times(self, t_s, n: int, arrival: float) -> np.ndarray:
        """Recording times (s) of a batch of ``n`` samples arriving at ``arrival`` (s, host clock)."""
        out = np.empty(n)
        self.column([self.stamp(t_s, n, arrival)], [n], out)
        return out

    def column(self, stamps: list[float], counts: list[int], out: np.ndarray) -> None:
        """Writes the recording times (s) of batches, in order, into ``out``, from each one's
        :meth:`stamp` (its newest sample's time, s) and number of samples (``counts``): a batch's
        samples end at its stamp a period apart. The same floats as :meth:`times` batch by batch."""
        if counts.count(1) == len(counts):    # one sample per batch (the usual case): the stamps
            out[...] = stamps
            return
        t = np.repeat(np.array(stamps, dtype=np.float64), counts)
        ends = np.cumsum(counts)
        back = np.repeat(ends, counts) - 1 - np.arange(len(t))   # samples after each one in its batch
        np.subtract(t, self.period * back.astype(np.float64), out=out)

    def stamp(self, t_s, n: int, arrival: float) -> float:
        """The recording time (s) of the newest of a batch of ``n`` samples arriving at ``arrival``
        (s, host clock; ``t_s`` is ignored: there are none); the time base moves on past the batch."""
        p = self.period
        span = n * p
        if self._t_last is None or self._restart:
            last = arrival - self._lat
            if self._t_last is not None:
                last = max(last, self._t_last + span)
            self._lat_ref = self._lat = arrival - last
            self._restart = False
            self._forget()
            self._behind = None
            self._t_last = last
            return last
        last = self._t_last + span
        r = arrival - self._lat - last          # how much later than expected
        if r > self.tol_s:                      # a gap: lost packets or a dropped link
            lost = max(0, int(round(r / p)))
            self.snaps += 1
            self._forget()
            self._behind = None
        else:
            th = self._th                       # (neither test below changes it)
            if self._stalled(r, span, th):
                self._behind = r
                lost = 0
            else:
                self._behind = None
                lost = self._count(r, n, th)
        last += lost * p
        # the grid follows the mean lateness beyond the dead band (a drifting clock), never backwards
        d = self._lat - self._lat_ref
        db = DEADBAND * p
        if (d > db or -d > db) and self._confirmed >= WARMUP_PACKETS:
            step = d - db if d > 0 else d + db
            if -0.5 * span > step:              # (max(step, -span / 2))
                step = -0.5 * span
            last += step
            self._lat -= step
        self._t_last = last
        return last

    def _forget(self) -> None:
        """Drops the residuals not yet confirmed (after a gap or a new connection)."""
        self._res.clear()
        self._res_n.clear()

    def _bounds(self) -> None:
        """Sets what depends only on the residuals learnt (so, computed once per :meth:`_learn`):
        ``_th``, the residual (s) beyond which a packet is after a lost one for sure; ``_wn``, the packets
        whose mean residual tells a hidden loss (the scatter over the window's mean within a sixth of a
        period)."""
        p = self.period
        if self._confirmed < WARMUP_PACKETS:
            self._th, self._wn = HI_WARMUP * p, WINDOW_WARMUP
            return
        th = 0.5 * (self._hi + self._lo + p)      # the largest of three (as max(), plain comparisons: cheaper)
        x = self._hi + HI_MARGIN * p
        if x > th:
            th = x
        x = HI_SIGMA * self._var ** 0.5
        self._th = x if x > th else th
        w = math.ceil(self._var * (6.0 / p) ** 2)
        self._wn = WINDOW_MAX if w > WINDOW_MAX else (w if w > 1 else 1)

    def _stalled(self, r: float, span: float, th: float) -> bool:
        """Whether a packet ``r`` s later than expected (``span``: its samples' span, s) is late for a
        delivery stall, as far as can be told yet: later than ``COUNTED_MAX`` packets beyond the
        scatter (``th``: :meth:`_bounds`), or catching up after such a one (coming in faster than the
        nominal pace)."""
        if self._behind is None:
            return r >= COUNTED_MAX * self.period + th
        return r < self._behind - 0.5 * span

    def _count(self, r: float, n: int, th: float) -> int:
        """Packets lost before a packet ``r`` s later than expected (``n`` samples): those its residual
        proves (beyond ``th``, :meth:`_bounds`), and those the window's mean residual shows (``_wn`` packets);
        the window's oldest residuals are learnt."""
        p = self.period
        lost = 0 if r <= th else math.ceil((r - th) / p)
        res = self._res
        res.append(r - lost * p)
        self._res_n.append(n)
        w = self._wn
        if len(res) >= w:
            mean = (res[-1] if w == 1 else sum(res[-w:])) / w     # (sum([x]) is x: 0.0 + x)
            if mean > 0.5 * p:                    # the last w packets all came late: a hidden loss
                extra = int(round(mean / p))
                lost += extra
                res[:] = [x - extra * p if x > 0.5 * extra * p else x for x in res]
            elif mean < -0.5 * p and self._confirmed >= WARMUP_PACKETS:   # all early: counted one too many
                extra = int(round(-mean / p))
                self._lat -= extra * p          # the grid follows back (never backwards: the dead band)
                self.counted_lost -= extra
                res[:] = [x + extra * p if x < -0.5 * extra * p else x for x in res]
        while len(res) > w:
            self._learn(res.pop(0), self._res_n.pop(0))
        self.counted_lost += lost
        return lost

    def _learn(self, r: float, n: int) -> None:
        """A confirmed residual ``r`` (s) of a packet of ``n`` samples updates the mean lateness, its
        scatter and envelope."""
        self._confirmed += 1
        g = n * self.period / self.tau_s         # max(min(that, 1), 1 / confirmed), in plain comparisons
        if g > 1.0:
            g = 1.0
        if 1.0 / self._confirmed > g:
            g = 1.0 / self._confirmed
        dl = g * r
        self._lat += dl
        res = self._res
        if res:                                  # measured against the lateness before
            res[:] = [x - dl for x in res]
        self._var += g * (r * r - self._var)
        hi, lo = self._hi * SPREAD_DECAY, self._lo * SPREAD_DECAY
        self._hi = r if r > hi else hi
        self._lo = r if r < lo else lo
        if self._confirmed == WARMUP_PACKETS:    # the first packet's lateness was one draw: the grid keeps it
            self._lat_ref = self._lat
        self.counting = self._confirmed < WARMUP_PACKETS or self._hi - self._lo < self.period
        self._bounds()


@dataclass
class LossTracker:
    """Counts what is missing in one stream (see the module docstring)."""

    rate_hz: float
    seq_modulus: int | None = None
    received_samples: int = 0
    lost_samples: int = 0
    lost_packets_seq: int = 0       #: from sequence numbers (profiles that have them)
    gaps: int = 0
    disconnect_gaps: int = 0
    longest_gap_s: float = 0.0
    gap_records: list = field(default_factory=list)
    _last_t: float | None = None
    _last_seq: int | None = None
    data_packets: int = 0           #: notifications that carried samples (set by the stream)

    def new_connection(self) -> None:
        self._last_seq = None

    def seq(self, seq: int | None) -> None:
        if seq is None or self.seq_modulus is None:
            return
        if self._last_seq is not None:
            d = (seq - self._last_seq) % self.seq_modulus
            if 1 < d < self.seq_modulus // 2:
                self.lost_packets_seq += d - 1
        self._last_seq = seq

    def samples(self, t: np.ndarray, conn_starts: np.ndarray | None = None, steps=None) -> None:
        """Accepted samples (strictly increasing recording times, in arrival order);
        ``conn_starts``: indices into ``t`` of the first sample of a new connection; ``steps``:
        ``np.diff(t)`` if already computed."""
        n = len(t)
        if not n:
            return
        self.received_samples += n
        step = 1.5 / self.rate_hz
        first_gap = self._last_t is not None and float(t[0]) - self._last_t > step
        if n > 1:
            steps = np.diff(t) if steps is None else steps
            within = np.flatnonzero(steps > step) + 1 if steps.max() > step else ()
        else:
            within = ()
        if first_gap or len(within):
            starts = set() if conn_starts is None else {int(i) for i in conn_starts}
            for i in ([0] if first_gap else []) + [int(k) for k in within]:
                a = self._last_t if i == 0 else float(t[i - 1])
                self._gap(a, float(t[i]), "disconnect" if i in starts else "loss")
        self._last_t = float(t[-1])

    def samples_few(self, t: list[float]) -> None:
        """:meth:`samples` for a few samples (their times in a list), none the first of a connection: the
        same gaps from the same float operations."""
        self.received_samples += len(t)
        step = 1.5 / self.rate_hz
        prev = self._last_t
        for x in t:
            if prev is not None and x - prev > step:
                self._gap(prev, x, "loss")
            prev = x
        self._last_t = t[-1]

    def _gap(self, a: float, b: float, cause: str) -> None:
        gap = b - a
        missing = int(round(gap * self.rate_hz)) - 1
        if missing < 1:
            return
        self.lost_samples += missing
        self.gaps += 1
        self.disconnect_gaps += cause == "disconnect"
        self.longest_gap_s = max(self.longest_gap_s, gap)
        if len(self.gap_records) < MAX_GAP_RECORDS and (gap >= 0.1 or cause == "disconnect"):
            self.gap_records.append({"start_s": round(a, 6), "end_s": round(b, 6), "duration_s": round(gap, 6),
                                     "missing_samples": missing, "cause": cause})

    def as_dict(self) -> dict:
        total = self.received_samples + self.lost_samples
        per_batch = self.received_samples / self.data_packets if self.data_packets else 1.0
        lost_packets = self.lost_packets_seq if self.seq_modulus else int(round(self.lost_samples / max(per_batch, 1.0)))
        return {
            "received_samples": self.received_samples,
            "lost_samples": self.lost_samples,
            "loss_fraction": round(self.lost_samples / total, 6) if total else 0.0,
            "lost_packets": lost_packets,
            "lost_packets_method": "sequence numbers" if self.seq_modulus else "estimated from missing samples",
            "gaps": self.gaps,
            "disconnect_gaps": self.disconnect_gaps,
            "longest_gap_s": round(self.longest_gap_s, 6),
            "gap_list": list(self.gap_records),
            "gap_list_truncated": self.gaps > len(self.gap_records) and len(self.gap_records) >= MAX_GAP_RECORDS,
        }
