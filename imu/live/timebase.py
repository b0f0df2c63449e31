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
* :class:`ArrivalTimebase` (WitMotion, Thingy:52, MetaWear: no timestamps): samples are spaced
  at the nominal period. While every notification arrives within less than a packet's span of the
  least latency seen, a packet arriving whole spans later than that is after as many lost
  packets, and its samples are placed after the hole (one later than ``COUNTED_MAX`` spans may be
  a delivery stall: the packets after it tell); once arrivals scatter more
  (connection events batching them, delivery stalls) lost packets cannot be told from lateness and
  the time base is pulled gently towards the arrival times instead (which absorbs clock error,
  scattered loss and delivery jitter). A packet arriving more than ``tol_s`` later than expected is
  after a gap either way (a burst of lost packets or a disconnect).

:class:`LossTracker` counts missing samples from the recording times (gaps longer than 1.5
periods) and lost packets from sequence numbers where the profile has them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: sensor clock wrap periods (s) of the profiles' timestamps
WRAP_S = {"diy": 2 ** 32 * 1e-6, "movesense": 2 ** 32 * 1e-3}
JUMP_S = 1.0          #: a batch this far ahead of its arrival is a corrupt timestamp
BACK_S = 30.0         #: ... and one this far before the newest time (older data are just repeats)
REANCHOR_AFTER = 3    #: ... unless this many batches in a row agree (the clock jumped: reboot)
MAX_GAP_RECORDS = 200
COUNTED_MAX = 3       #: arrival times count up to this many packets lost in a row (later: a stall)
WARMUP_PACKETS = 20   #: packets that fix the least latency before early arrivals can end the counting
SPREAD_DECAY = 0.998  #: per packet, of the largest lateness seen (forgotten over ~500 packets)


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

    Each packet's samples follow the previous ones at the nominal period. While lost packets are
    counted (:attr:`counting`), the time base keeps the least latency seen (arrival minus the time
    of a packet's last sample) and a packet arriving whole spans later than that is after as many
    lost ones; a packet later than ``COUNTED_MAX`` spans may be a delivery stall: it follows the one
    before, and so do those after it while they catch up (a burst); one arriving at the nominal pace
    again shows packets lost before it. Without counting, a first-order loop moves the time base a
    share ``span / tau_s`` of the way towards each packet's arrival time. A packet arriving more than
    ``tol_s`` later than the time base expects starts after a gap.
    """

    method = "arrival times (no sensor timestamps)"

    def __init__(self, rate_hz: float, tau_s: float = 0.5, tol_s: float | None = None):
        self.period = 1.0 / float(rate_hz)
        self.tau_s = tau_s
        self.tol_s = max(0.15, 3 * self.period) if tol_s is None else tol_s
        self._t_last: float | None = None
        self._offset = 0.0                 # arrival minus time of a packet's last sample (s)
        self._restart = True
        self._packets = 0
        self._behind: float | None = None  # how late the last packet came, if late for a stall (s)
        self._spread = 0.0                 # how late after the least latency packets arrive anyway (s)
        self.counting = True               #: lost packets are counted from the arrival times
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
            last = arrival - self._offset
            if self._t_last is not None:
                last = max(last, self._t_last + span)
            else:
                self._offset = 0.0
            self._restart = False
            self._packets, self._spread = 0, 0.0     # how late this one came is learnt afresh
        else:
            last = self._t_last + span
            err = (arrival - self._offset) - last
            if err > self.tol_s:                 # a gap: lost packets or a dropped link
                last += err
                self.snaps += 1
            elif self.counting and self._stalled(err, span):
                self._behind = err
            elif self.counting:
                self._behind = None
                last += self._counted(err, span)
            else:                                # pulled towards the arrivals, never backwards
                last += max(-0.5 * span, min(span / self.tau_s, 1.0) * err)
        self._packets += 1
        self._t_last = last
        return last

    def _stalled(self, err: float, span: float) -> bool:
        """Whether a packet arriving ``err`` s after the least latency allows (``span``: its samples'
        span, s) is late for a delivery stall, as far as can be told yet: later than ``COUNTED_MAX``
        packets, or catching up after such a one (coming in faster than the nominal pace). The next
        packet tells: one arriving at the pace again shows packets lost before it."""
        if self._behind is None:
            return err >= (COUNTED_MAX + 1) * span
        return err < self._behind - 0.5 * span

    def _counted(self, err: float, span: float) -> float:
        """Time (s) lost before a packet arriving ``err`` s after the least latency allows (``span``:
        its samples' span, s): whole spans, counted from halfway between how late packets arrive
        anyway (``_spread``: the largest lateness, decaying; a span during the first
        ``WARMUP_PACKETS``) and a span. An earlier packet lowers the least latency. After the first
        ``WARMUP_PACKETS``, one earlier by more than half a span, or packets arriving anyway up to a
        span late, show arrivals too scattered to count by: counting ends (this packet uncounted)."""
        spread = self._spread if self._packets > WARMUP_PACKETS else span      # unknown yet: no guess
        th = 0.5 * (spread + span)
        lost = 0 if err < th else 1 + int((err - th) / span)
        early = max(0.0, lost * span - err)
        self._offset -= early
        self._spread = max(self._spread * SPREAD_DECAY + early, err - lost * span)
        if self._packets > WARMUP_PACKETS and (early > 0.5 * span or self._spread > span):
            self.counting = False
            return 0.0
        self.counted_lost += lost
        return lost * span


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
