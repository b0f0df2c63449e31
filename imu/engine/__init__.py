"""The detection engine: one incremental rep counter for live streams and for files.

Feed it raw samples in chunks of any size (:meth:`RepEngine.feed`); it returns what happened as
:class:`Event` objects and gives the same reps whatever the chunking (it works on a fixed 50 Hz grid,
its filters keep state across chunks, and every decision depends only on the samples, never on where a
chunk ended). Memory is bounded by the current rep: samples are dropped once a rep is decided.

How reps are found (all on the ankle's gravity direction, so the strap may sit any way round):

1. **Home.** The leg must be still for ``STILL_S`` somewhere; that direction is the home of a possible
   set.
2. **Excursion.** The leg tilts away from its resting level by more than half the preset's smallest
   range of motion, reaches a peak and comes back to within 35 % of that excursion.
3. **Settle.** The rep ends when the leg is back at the bottom: it slows down, or the next rep starts.
   Its phases come from minimum-jerk fits of both ramps (:mod:`imu.phases`); without a gyroscope a
   controlled rep is then fitted to the accelerometer's readings, the leg's own acceleration included
   (:mod:`imu.ramp_fit`), for the times and range it reports (the search goes on by the tilt's); other
   reps report their range up to the angle held at the top (:func:`imu.phases.held_top_deg`).
4. **Set.** The first rep of a set fixes the plane of motion (a movement too small for a rep only
   provisionally: the next one fixes it again); later reps must turn about the same axis and rest at
   the same level. Only ``min_set_reps`` consistent reps in a row make a set: single leg movements
   during rests (bending a knee, shifting, re-strapping) are not reps, nor are small shifts never held
   at the top, and neither is continuous swinging without pauses (walking; flutter kicks are told
   from walking by where the centripetal pull points). A posture change that ran into the first rep
   is undone by starting the set again from the plateau it ended on; a set found inside out (its home
   was the first rep's top hold, so it ran from top to top) starts again from the rest its reps really
   began from, unless (without a gyroscope) the reps' own acceleration shows the ankle lower at the
   set's home than at their tops (:func:`imu.swing.ankle_lower_at`; the other way round for heel taps).
   Staying far below the resting level or out of the plane, implausible excursions (too long, too big
   for the preset) and long stillness elsewhere end the search; a pause longer than ``set_gap_s`` ends
   a set.

The engine is one class, :class:`RepEngine` (:mod:`imu.engine.core`), written in parts: the search for a rep
(:mod:`imu.engine.search`), measuring it (:mod:`imu.engine.measure`), building sets (:mod:`imu.engine.sets`) and
what a live view reads (:mod:`imu.engine.live_view`); its parameters are in :mod:`imu.engine.params`.
"""
from imu.engine.core import RepEngine
from imu.engine.state import Event

__all__ = ["Event", "RepEngine"]
