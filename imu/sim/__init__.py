"""Physically based simulator of an ankle-worn IMU during leg lifts / leg raises, with ground truth.

>>> from imu.sim import simulate_session, SessionSpec, SetSpec
>>> sim = simulate_session(SessionSpec("lying-leg-raise", [SetSpec("textbook", 12)], rate_hz=100, seed=3))

Modules: :mod:`.exercises` (geometry per exercise), :mod:`.tempo` (rep styles), :mod:`.profiles`
(motion profiles), :mod:`.sets` (a set on the timeline), :mod:`.rest` / :mod:`.gait` / :mod:`.postures`
(non-exercise movement), :mod:`.timeline` (motion pieces -> trajectory), :mod:`.kinematics`
(trajectory -> ideal acc/gyro), :mod:`.sensor` (sampling and errors), :mod:`.session` (composition),
:mod:`.suite` (benchmark), :mod:`.recording` (CSV + truth JSON).
"""
from .exercises import EXERCISES, ExerciseDef
from .recording import write_sim_recording
from .rest import REST_KINDS
from .session import SimSession, simulate_session
from .spec import SessionSpec, SetSpec
from .suite import benchmark_suite
from .tempo import STYLES
from .truth import RepTruth, RestTruth, SetTruth

__all__ = ["simulate_session", "SessionSpec", "SetSpec", "SimSession", "RepTruth", "SetTruth", "RestTruth",
           "EXERCISES", "STYLES", "REST_KINDS", "benchmark_suite", "write_sim_recording", "ExerciseDef"]
