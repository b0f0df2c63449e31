"""One sensor's stream in the live loop: queued notifications -> decoded samples -> recording
times -> the recording file -> the rep engine.

:meth:`SideStream.process` takes what the link queued (``(arrival, connection, characteristic,
bytes)``) and, for each notification: drops an exact repeat of the previous notification on the
same characteristic (doubled callbacks, bleak #2002), decodes it with the connection's decoder
(a new one per connection), counts and skips malformed ones (:class:`~imu.profiles.DecodeError`)
and gives the samples recording times (:mod:`imu.live.timebase`). Plain data notifications of profiles that
send a sample or a few per notification (WitMotion, Thingy:52, MetaWear's pairs) are queued in the decoder
(:meth:`~imu.profiles.base.Decoder.queue`) and decoded together, in one numpy call per group: the same
samples, without the fixed cost of a decode per notification. Then, once per call, the
samples are rounded as the file stores them, cleaned (non-finite values, values the reader would
refuse as absurd, times not after the previous sample are dropped and counted), appended to the
recording and handed to the engine feeder: **the engine sees exactly the rows on disk**, so
``imu analyze recording.csv`` gives the same reps.

A device with a gyroscope that sends an accelerometer-only batch (MetaWear when its gyro stream
stalls) gets the last gyro value repeated, on disk and in the engine alike.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from imu.profiles import DecodeError, Profile
from imu.profiles.base import HELD, normalize_uuid
from imu.recording import MAX_ACC_G, MAX_GYRO_DPS

from .feeder import EngineFeeder
from .timebase import WRAP_S, ArrivalTimebase, LossTracker, SensorTimebase
from .writer import RecordingWriter, quantize

FEW_ROWS = 16  #: up to this many rows per call are checked in plain floats (numpy's fixed cost is more)


@dataclass
class StreamStats:
    notifications: int = 0
    duplicate_notifications: int = 0   #: exact repeats of the previous notification, dropped
    malformed: int = 0                 #: notifications the decoder refused, skipped
    no_samples: int = 0                #: control responses, halves of pairs, decoder-suppressed repeats
    rejected_batches: int = 0          #: decoded batches with an impossible timestamp
    stale_samples: int = 0             #: samples not after the previous one (repeats, overlaps)
    implausible_samples: int = 0       #: non-finite or absurd values (over 64 g / 4000 deg/s)
    gyro_filled: int = 0               #: accelerometer samples given the last gyro value
    samples: int = 0                   #: samples written and counted
    decode_s: float = 0.0              #: CPU time (this thread's): decoding and time assignment
    write_s: float = 0.0               #: CPU time (this thread's): rounding, cleaning and writing
    feed_s: float = 0.0                #: CPU time (this thread's): the feeder's own (when to feed, the live count)

    def as_dict(self) -> dict:
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


class SideStream:
    """Decode, time, write and count one sensor's notifications (see the module docstring)."""

    def __init__(self, side: str, profile: Profile, rate_hz: float, writer: RecordingWriter | None,
                 feeder: EngineFeeder | None, t0: float, **feeder_kw):
        self.side, self.profile = side, profile
        self.rate_hz = profile.device_rate_hz(rate_hz)
        self.has_gyro = bool(profile.has_gyro)
        self.writer, self.feeder = writer, feeder
        self.t0 = t0
        if profile.has_timestamps:
            self.timebase = SensorTimebase(WRAP_S.get(profile.name))
        else:
            self.timebase = ArrivalTimebase(self.rate_hz)
        self.loss = LossTracker(self.rate_hz, profile.seq_modulus)
        self.stats = StreamStats()
        self.decoder = None
        self.conn = 0
        self._prev: dict[str, bytes] = {}
        self._last_t: float | None = None
        self._last_gyro = np.zeros(3)
        self._byte_stream = profile.name == "witmotion"
        self._width = 7 if self.has_gyro else 4
        self._limits = np.array([MAX_ACC_G] * 3 + ([MAX_GYRO_DPS] * 3 if self.has_gyro else []))
        self._conn_pending = False
        self.last_t: float | None = None          #: newest recording time written
        self.sensor_t_s: float | None = None      #: decoder time of the newest sample received (resume point)
        self._sensor_rec_t = -np.inf              # ... and its recording time

    def _new_connection(self, conn: int) -> None:
        self.conn = conn
        self.decoder = self.profile.new_decoder()
        self.timebase.new_connection()
        self.loss.new_connection()
        self._conn_pending = True
        self._prev = {}

    def process(self, items) -> list:
        """Handles queued notifications; returns the engine events they completed."""
        c0 = time.thread_time()
        st = self.stats
        ts, counts, accs, gyros, starts, ends = [], [], [], [], [], []
        n_rows = 0
        prev, stamp, t0 = self._prev, self.timebase.stamp, self.t0
        has_gyro, loss = self.has_gyro, self.loss
        last_g = None                              # the newest gyro batch (its last row is kept)
        queued = 0                                 # samples of notifications queued in the decoder
        for arrival, conn, uuid, data in items:
            if conn != self.conn:
                if queued:
                    last_g = self._take_queued(accs, gyros)
                    queued = 0
                self._new_connection(conn)
                prev = self._prev
            if prev.get(uuid) == data:
                st.duplicate_notifications += 1
                continue
            prev[uuid] = data
            n = self.decoder.queue(uuid, data)
            if n == HELD:                          # taken in, its samples come with its partner's
                st.no_samples += 1
                continue
            if n:                                  # a plain data notification: decoded with the others below
                loss.data_packets += 1
                t = stamp(None, n, arrival - t0)   # (a time base from arrivals: never rejected)
                if self._conn_pending:
                    starts.append(n_rows)
                    self._conn_pending = False
                ts.append(t)
                counts.append(n)
                queued += n
                n_rows += n
                ends.append(n_rows)
                continue
            if queued:                             # what was queued goes first
                last_g = self._take_queued(accs, gyros)
                queued = 0
            if self._byte_stream and (len(data) % 20 or data[:1] != b"\x55"):
                st.malformed += 1                  # a partial packet would poison the byte stream
                self.decoder = self.profile.new_decoder()
                continue
            try:
                batches = self.decoder.decode(uuid, data)
            except DecodeError:
                st.malformed += 1
                continue
            if not batches:
                st.no_samples += 1
                continue
            loss.data_packets += 1
            for b in batches:
                n = len(b.acc_g)
                t = stamp(b.t_s, n, arrival - t0)    # the batch's times, or its newest one's
                if t is None:
                    st.rejected_batches += 1
                    continue
                if b.seq is not None:
                    loss.seq(b.seq)
                if b.t_s is not None and t[-1] > self._sensor_rec_t:
                    self._sensor_rec_t, self.sensor_t_s = float(t[-1]), float(b.t_s[-1])
                if self._conn_pending:
                    starts.append(n_rows)
                    self._conn_pending = False
                ts.append(t)
                counts.append(n)
                accs.append(b.acc_g)
                if has_gyro:
                    g = b.gyro_dps
                    if g is None:
                        if last_g is not None:
                            self._last_gyro, last_g = last_g[-1], None
                        g = np.repeat(self._last_gyro[None, :], n, axis=0)
                        st.gyro_filled += n
                    elif n:
                        last_g = g
                    gyros.append(g)
                n_rows += n
            if not ends or ends[-1] != n_rows:
                ends.append(n_rows)
        if queued:
            last_g = self._take_queued(accs, gyros)
        if last_g is not None:
            self._last_gyro = last_g[-1]
        st.notifications += len(items)
        c1 = time.thread_time()
        st.decode_s += c1 - c0
        if not n_rows:
            return []
        rows, index = self._clean((ts, counts), accs, gyros, starts, n_rows)
        st.write_s += time.thread_time() - c1
        if rows is None or self.feeder is None:
            return []
        if index is not None:                      # rows were dropped: map the notification ends
            kept = np.unique(np.searchsorted(index, np.asarray(ends, dtype=np.int64)))
            ends = kept[kept > 0]
        c2, e0 = time.thread_time(), self.feeder.engine_s
        events = self.feeder.add(rows[:, 0], rows[:, 1:4], rows[:, 4:7] if self.has_gyro else None, ends)
        st.feed_s += time.thread_time() - c2 - (self.feeder.engine_s - e0)   # (the engine's own: feeder.engine_s)
        return events

    def _take_queued(self, accs: list, gyros: list) -> np.ndarray | None:
        """Appends the samples queued in the decoder (:meth:`imu.profiles.base.Decoder.queue`) to ``accs``
        and ``gyros``; returns their gyro rows (None without a gyroscope)."""
        b = self.decoder.take_queued()
        accs.append(b.acc_g)
        if self.has_gyro:
            gyros.append(b.gyro_dps)
            return b.gyro_dps
        return None

    def _rows(self, stamps, accs, gyros, n: int) -> np.ndarray:
        """The decoded batches as (n, 4 or 7) rows ``t, ax, ay, az[, gx, gy, gz]``, quantized;
        ``stamps``: what the time base's ``stamp`` gave each batch, and the batches' sizes."""
        rows = np.empty((n, self._width))
        self.timebase.column(*stamps, rows[:, 0])
        for col, parts in ((rows[:, 1:4], accs), (rows[:, 4:7], gyros if self.has_gyro else ())):
            if len(parts) > 1:
                np.concatenate(parts, out=col)
            elif parts:
                col[...] = parts[0]
        return quantize(rows, out=rows)

    def _clean(self, stamps, accs, gyros, starts, n: int):
        """(rows kept, their indices among the decoded rows or None if all were kept), or (None, None)."""
        st = self.stats
        rows = self._rows(stamps, accs, gyros, n)
        if n <= FEW_ROWS and not starts:
            flat = rows.ravel().tolist()
            if self._all_new_and_sane(flat):       # the usual case, told in plain floats
                self.loss.samples_few(flat[:: self._width])
                self._last_t = self.last_t = flat[-self._width]
                st.samples += n
                if self.writer is not None:
                    self.writer.append(rows, flat)
                return rows, None
        sane = np.abs(rows[:, 1:]) <= self._limits               # NaN compares False
        tq = rows[:, 0]
        last = -np.inf if self._last_t is None else self._last_t
        index = None
        steps = np.subtract(tq[1:], tq[:-1]) if n > 1 else None
        if tq.item(0) > last and sane.all() and (steps is None or np.minimum.reduce(steps) > 0):
            pass                                    # the usual case: everything is new and sane
        else:
            steps = None
            index = np.flatnonzero(sane.all(axis=1))
            st.implausible_samples += n - len(index)
            tq = tq[index]
            prior = np.empty(len(tq))
            if len(tq):
                prior[0] = last
                prior[1:] = tq[:-1]
                keep = tq > np.maximum.accumulate(prior)
                st.stale_samples += len(tq) - int(keep.sum())
                index = index[keep]
            rows = rows[index]
        if not len(rows):
            return None, None
        new_conn = None
        if starts:
            new_conn = np.asarray(starts, dtype=np.int64) if index is None else \
                np.searchsorted(index, np.asarray(starts, dtype=np.int64))
        self.loss.samples(rows[:, 0], new_conn, steps)
        self._last_t = self.last_t = rows.item(-1, 0)
        st.samples += len(rows)
        if self.writer is not None:
            self.writer.append(rows)
        return rows, index

    def _all_new_and_sane(self, flat: list) -> bool:
        """Whether rows (``flat``: row after row) are all kept by :meth:`_clean`: times strictly increasing
        after the last one written, every value within the limits (the checks of its numpy path, in plain
        floats: a few rows cost less so)."""
        w, last = self._width, -np.inf if self._last_t is None else self._last_t
        for i in range(0, len(flat), w):
            t = flat[i]
            if not t > last:
                return False
            last = t
            if not (abs(flat[i + 1]) <= MAX_ACC_G and abs(flat[i + 2]) <= MAX_ACC_G and abs(flat[i + 3]) <= MAX_ACC_G):
                return False
            if w == 7 and not (abs(flat[i + 4]) <= MAX_GYRO_DPS and abs(flat[i + 5]) <= MAX_GYRO_DPS
                               and abs(flat[i + 6]) <= MAX_GYRO_DPS):
                return False
        return True

    def link_report(self) -> dict:
        tb = self.timebase
        out = {"time_base": tb.method, "rate_hz": self.rate_hz, **self.stats.as_dict(), **self.loss.as_dict()}
        if isinstance(tb, SensorTimebase):
            out["clock_resets"] = tb.clock_resets
        else:
            out.update(arrival_gaps=tb.snaps, arrival_counting=tb.counting, arrival_lost_packets=tb.counted_lost)
        return out


def data_uuids(profile: Profile) -> set[str]:
    return {normalize_uuid(u) for u in profile.notify_uuids}
