"""Live counting: sensor notifications -> recording on disk -> the rep engine -> the terminal.

* :mod:`imu.live.session`: a live session with one or two sensors (``LiveSession``).
* :mod:`imu.live.stream`: one sensor's decode -> time -> write -> count path (``SideStream``).
* :mod:`imu.live.timebase`: recording times from sensor timestamps or arrival times; loss counts.
* :mod:`imu.live.writer`: the raw recording, appended and fsynced at least twice a second.
* :mod:`imu.live.feeder`: when to call the engine (cheaply, yet promptly when a rep can end).
* :mod:`imu.live.view`: the rich live view and the plain printer.
* :mod:`imu.live.outputs`: the ``imu analyze`` files and ``link.json`` at the end.
* :mod:`imu.live.simrun`: a whole session against simulated sensors, from Python.

The command-line entry points are in :mod:`imu.live_commands`.
"""
