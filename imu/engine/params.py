"""The detection engine's parameters (see :mod:`imu.engine`)."""
from imu.block import GRID_HZ

STILL_S = 0.4  #: stillness that establishes a home position
STILL_DPS = 10.0  #: slower than this counts as still
AFRESH_RETRIES = 3  #: excursions measured afresh in a row without the search moving past the latest one
AFRESH_BRISK_DPS = 80.0  #: without a gyroscope, a movement this fast that leaves a plane kept from earlier ones
#: is measured afresh (rest movements measured afresh made sets of them from 50 deg/s on; from 100 on, two
#: brisk sets were still lost whole, and a swung one with none: their pauses are too short for a new home)
AFRESH_WINDOW_S = 1.0  #: ... its speed taken over this long before it left the plane (s)
REHOME_STILL_S = 1.0  #: a plateau this long inside an excursion may be a new resting position
#: ... still by the median turn rate over the preset's ``quiet_median_s`` (0.2 s): without a gyroscope the
#: accelerometer's noise makes single turn rates of 10-15 deg/s every ~0.6 s on a still leg (suite #57, 26 Hz),
#: so a 3 s hold after a move into position was no plateau and the move ran into the first rep ...
QUIET_DRIFT_FRACTION = 0.15  #: ... and coming less far over the plateau's REHOME_STILL_S than this share of its height
QUIET_DRIFT_MIN_DEG = 1.0  #: above the resting level, within these bounds (deg): partial plank and prone reps of 5-10 deg
QUIET_DRIFT_DEG = 4.0  #: turn slower than STILL_DPS throughout and come 3-4 deg in 1 s (suite #4, #21, #66, #104, the
#: Polar plank session #123 at its live rate); a posture change's plateau 30-100 deg up settles by up to ~3 deg (a flat
#: 4 deg: suite 94.4 % exact, but #123 lost two reps; 3 deg: a swung side-lift set confirmed two reps late)
DIP_FRACTION = 0.25  #: a plateau above the target range is left by dipping this share of its height and coming
#: back half way: a heel tap from the tabletop a set began in (see Search._leaves_plateau)
GAP_STILL_DEG = 3.0  #: ... also across a long gap, if the leg rested this close to the same angle on both sides
GAP_REST_LOOK_S = 2.0  #: without a gyroscope, a set's first rep whose rest a long gap hid (and that rose again at
#: once, its next rep under way: flutter kicks, suite #13 set 3, #81 set 2) rests where the leg was last seen still,
#: this long (s) before the gap at most (their legs were still 0.3-4 s before the sets began)
LEAD_IN_ROM_FRACTION = 0.5  #: a set's first candidate cut by a long gap, topped before it or come down by its end, that
#: ranges less than this share of the set's measured reps (median) was a movement before the set joined to it across
#: the gap (suite #119: 0.1, #69: 0.25; reps whose tops the gap hid read 0.23-0.42 and began in the gap or came down
#: after it: suite #38, #87, #101, #114)
MISREAD_DPS = 1500.0  #: without a gyroscope, a tilt turning faster than this (deg/s) was misread, not a leg's turn:
#: the suite's fastest reps peak at 464 deg/s (acc-only) and 546 (gyroscope); flutter kicks bridged across lost frames
#: read 1700-8400 deg/s for a sample or two (suite #13, #81, Polar)
SETTLE_S = 0.12  #: slow for this long at the bottom ends a rep
SETTLE_MIN_DPS = 4.0  #: ... and slower than this, or than SETTLE_FRACTION of the rep's peak speed
SETTLE_FRACTION = 0.05
REST_WINDOW_S = 0.3  #: where the leg rests is its median angle over this long (s)
READY_N = int(REST_WINDOW_S * GRID_HZ)  #: grid samples before a set's first rep that say where the leg was held ready
END_EXTRAPOLATION = 0.1  #: a settled rep's fitted down ramp may end after its lowest sample by this share of
#: the time from its peak: the rep is decided when the leg is slower than SETTLE_FRACTION of its peak speed,
#: before a slow eccentric's last degrees are done (its end was put ~0.2 s early)
PAUSE_LOOK_S = 3.0  #: a rep of a set may start from where the leg rested lower this long before it left (s)
EXIT_FRACTION = 0.35  #: back within this share of the excursion counts as "coming back"
LIKE_SET_FACTOR = 1.5  #: a tentative set is counted as its next rep lands only if that went at most this times the
#: reps' median range (a posture change after two big fidgets, 135 deg after 99 and 58, was counted and taken back)
#: (see RHYTHM_FACTOR for their durations)
RHYTHM_FACTOR = 2.0  #: ... and if its reps took at most this times as long as each other (a shift of the leg straight
#: after a rep, 1.1 s after 3.9 s, say: over the suite 33 -> 15 reps counted and taken back, one fewer counted within
#: 300 ms, with 1.5). A set's first rep often takes longer than the next, from a slow start (1.85 s then 0.94 s, Polar
#: reverse leg lifts, suite #43): 1.5 counted their third 0.3-0.44 s after it ended (suite #43, #73); 2.0 took nothing
#: more back over the latency probe
LANDED_FRACTION = 0.1  #: back within this share of the excursion, a rep of a set is counted in a live view before
#: it settles (its tempo and flags follow then: without a gyroscope the settle can take ~0.5 s longer)
STOP_LANDED_FRACTION = 0.25  #: ... or stopped within this share of it: turning slower than STOP_LANDED_PEAK_FRACTION of
STOP_LANDED_PEAK_FRACTION = 0.15  #: the rep's peak speed (and SETTLE_MIN_DPS) for STOP_LANDED_S (a leg coming to rest
STOP_LANDED_S = 0.1  #: a little above the set's level, or turning back up at once from there in a brisk set: suite
#: #3 and #79, Polar, counted 0.69 and 0.57 s late; 0.2 left #79 late; the lever check of such a landing takes the
#: set's HALF_LEVER_RATIO, its way down having slowed: with LIVE_HALF_LEVER_RATIO a heel-tap set's way out, stopped at
#: 20 % of its height, was counted and taken back, suite #74)
KICK_LANDED_FRACTION = 0.2  #: without a gyroscope, a kick of continuous swinging read back within this share of the
#: set's range in the open window's fit (imu.held.kicks_landed) is counted: the fit's free end flattens out ~3 deg
#: above a leg coming down (10 % of a 30 deg kick), and 0.1 counted 10 of Polar flutter kicks 0.31-0.39 s late (suite
#: #13: 55 -> 64 of 65 within 300 ms; 0.3 took one counted kick back)
JOLT_G = 1.5  #: a jolt above this (heel strike) is not a still home; a foot knocking the floor reaches ~0.9 g
SETTLED_COS = 0.995  #: with a gyroscope a home needs the fused gravity direction within ~5.7 deg (this cosine) of the
#: accelerometer's, which reads gravity alone where the leg is still: after re-strapping the sensor the fusion may be
#: off by tens of deg and take seconds to converge (suite #40 set 2: a home found 18 deg off drifted 16 deg while the
#: leg hovered still, and the set was counted from the floor). At rest they agree within 1-3 deg (bias, tremor)
BELOW_REST_DEG = 25.0  #: this far below the resting level is not a leg lift
ABNORMAL_S = 0.3  #: ... when it lasts this long
OUT_OF_PLANE_DEG = 30.0  #: this far out of the set's plane of motion ends the set
LONE_OUT_OF_PLANE_DEG = 15.0  #: ... or, without a gyroscope, while at most one tentative rep fixed that plane, this
#: far (with one, a lone rep's plane is judged by its axis: 15 deg cut a set of alternating lifts after a knee bend)
AXIS_AGREE_DEG = 35.0  #: reps of a set turn about axes within this angle
FOREIGN_REST_DEG = 45.0  #: a rep unlike its set that rests this far from the frame's home is measured afresh
TRACE_HZ = 10.0  #: rate of the kept leg-angle trace (for plots)
LEVER_ROM_DEG = 20.0  #: a rep's fitted lever tells the axis apart from this range up (smaller: too little acceleration)
GYRO_LEVER_FACTOR = 2.0  #: with a gyroscope a set's reps turn about an axis at least this times the preset's
#: ``min_lever_m`` away: fitted to the whole movement (:func:`imu.ramp_fit.lever_fit`), bending the knees, its
#: pivot moving from the ankle up the shin, reads 0.19-0.33 m; straight-leg raises 0.62-0.96 m (suite), 0.5-0.6 (real)
HALF_LEVER_RATIO = 2.5  #: with a gyroscope, a rep whose way up or down turned about an axis this many times nearer or
#: further than its set's reps' did is a posture change at the set's edge (see SetBuilder._turned_otherwise)
HALF_LEVER_DPS = 25.0  #: ... judged on the ways that turned this fast (deg/s) at their fastest
HALF_LEVER_SPREAD = 1.6  #: ... and whose fits on the set's reps agree within this factor (slow lowerings' do not)
HALF_LEVER_BOTH_RATIO = 1.7  #: ... or whose ways both did, nearer (or both further), by this factor on geometric
#: average (in sets of seeds 0-7 at most 1.56, 1.33 at the 99.9th percentile; posture changes at their edges up to 3)
KEPT_REPS = 8  #: ... against the set's latest this many reps
LIVE_HALF_LEVER_RATIO = 4.0  #: ... and in the live view, judging a rep as it lands, its way down so far (which lacks
#: its slowing: a heel tap's read 0.11-0.15 m against its set's 0.38, its set's way out 0.14-0.15 against 0.7)
LEVER_LEAD_S = 0.3  #: with a gyroscope the lever is fitted from this long before a rep's start (s: the filter settles)
WINDOW = 256  #: grid samples added to the buffer per step of the state machine
ACC_ONLY_DURATION_SCALE = 0.85  #: without a gyroscope duration limits are scaled by this: the ramps the readings do
#: not refine (imu.ramp_fit) look up to ~30 % shorter (the leg's acceleration tilts the accelerometer against the
#: motion as it starts and with it as it stops); rushed precision 0.98, recall 0.92 on the acc-only suite
INVERTED_LOOKBACK_S = 12.0  #: how far before a tentative set's first rep its real bottom may lie (s)
ANKLE_LOW_MARGIN = 0.1  #: ... unless, without a gyroscope, its reps' own acceleration shows the ankle lower at its home
#: than at their tops (for a preset whose reps lift it) by this much (imu.swing.ankle_lower_at; over seeds 0-3 the
#: acc-only tentative sets started again were right side up 61 times, 44 of them beyond this, and inside out 45 times,
#: none beyond it (at most 0.07); started again from a rest that lay at the reps' top level by chance, such a set was
#: counted top to top: seed 0 #97 set 3, 12 of 11). With a gyroscope the restart re-anchors a right-side-up set's
#: home where the leg really rested (a recorded bent-knee set's first rep 0.2 s nearer its true start) and turned
#: none inside out on seeds 0-7
KEPT_S = INVERTED_LOOKBACK_S + 2.0  #: the buffer always holds at least this much before the current position (s)
HOME_KEEP_S = 45.0  #: at most this much is kept while the leg stays at home (s): a tentative set's first 3 reps and the
#: INVERTED_LOOKBACK_S before them (alternating leg lifts, a rep of this leg every ~14 s, span ~30 s before that)
MIN_REP_S = 0.5  #: a leg lift and lowering faster than this is a twitch (reps take >= 0.58 s in the suite)
KICK_MIN_S = 0.4  #: continuous kicks quicker than this (s, median) are twitching: a flutter kick's cycle takes
#: 0.45-1.2 s in the suite; a twitching leg in a rest, 6 deg in 0.3 s, made a set of flutter kicks with no exercise
#: named (suite #22)
KICK_MAX_S = 2.0  #: ... and "kicks" slower than this (s, median) are no flutter kicks (the suites' take 0.5-1.33 s):
#: with a gyroscope's smaller least range a leg shifted every 6 s in a rest made a set of 3-9 deg "kicks" (seed 0 #92)
GAIT_PAUSE_S = 0.15  #: reps with shorter holds and pauses than this ...
UPRIGHT_COS = 0.7  #: the centripetal pull within ~45 deg of "up": the shin hangs below its pivot (walking)
GAIT_CYCLE_S = 1.6  #: ... and shorter than this are gait (walking), unless the preset is flutter kicks
BACKTRACK_RAISED = 0.5  #: a first rep bigger than the rest began a posture change when the reps rest higher by at
#: least this share of the difference (a first rep only bigger, suite #83: 92 vs 82 deg from the same rest, is none)
BACKTRACK_HOLD_RATIO = 1.8  #: a first rep held this many times as long as any other rep of its set ...
BACKTRACK_HOLD_S = 1.0  #: ... and this much longer (s) was a posture change merged with the first rep: its "top
#: hold" is the set's starting hold (2-5 s in the suite; top holds within a set differ by < 0.6 s)
PASSED_STILL_S = 1.5  #: an excursion held still this long (s) at a plateau and then gone on past its rest to the far
#: side, by PASSED_FRACTION of the plateau's height, was a posture change: the plateau is a new rest (a set starts
#: with a 2-5 s hold; a top hold is ~1 s, and a leg let down onto the floor past its hover goes 2-12 deg and stops)
PASSED_FRACTION = 0.5
SLOWER_LOWERING_FACTOR = 2.5  #: a rep lowered this many times slower (peak speed) than its confirmed set's reps is
#: none of them (suite: the reps of a set, tiring or not, 1.5-2.2 times at most; the leg let down as the person sits
#: up or bends the knees straight after the last rep 3-7.7 times)
FIT_BEYOND_TILT = 3.0  #: without a gyroscope, reps whose readings fitted as turns about a pivot (imu.ramp_fit) range
#: this many times their tilt's (median) are no turns of the leg: rolling over into a posture read 3.6-3.8 and made
#: false sets (suite #15, #57 at the live Polar rate); the suite's sets 0.7-1.4, a flutter-kick set across lost
#: packets 2.0. A single rep fitted beyond this times its tilt's range (and min_rom_deg) is no rep of a set
#: (RepEngine._fit_beyond_tilt: walking steps)
SHIFT_ROM_FRACTION = 0.3  #: reps all smaller than this share of the target range and not held at the top: fidgeting
HELD_TOP_S = 0.3  #: ... held, with a gyroscope, where they turned slowly near the top this long (s, median; the ramps'
#: fits find no hold on reps of a few degrees: partial prone and plank lifts of 3-7 deg, held ~1 s, read 0.4-1.2 s so
#: and 0-0.5 s by the fits; sharp turns 0.1-0.12 s)

SEEK, HOME, EXCURSION, SETTLE = "seek", "home", "excursion", "settle"
