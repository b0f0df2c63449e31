"""BLE transport for the ankle sensors, on bleak 3.x.

* :mod:`imu.ble.scan`: find sensors (``scan``, ``find``) and recognise their profile.
* :mod:`imu.ble.link`: one sensor connection that survives link failures (fresh ``BleakClient``
  per attempt, backoff, start commands re-sent, or RESUME where the profile has it); the
  notification callback only queues bytes.
* :mod:`imu.ble.clock`: host clocks (real, scaled, as fast as possible).
* Simulated sensors behind bleak's public API (``backend=``): :mod:`imu.ble.sim_world` (the world
  and its catalogue of named sensors), :mod:`imu.ble.sim_backend` (scanner and client backends),
  :mod:`imu.ble.sim_device` (a sensor streaming a simulated session in its profile's byte format),
  :mod:`imu.ble.sim_gatt` (each sensor's GATT table and firmware behaviour) and
  :mod:`imu.ble.faults` (loss, bursts, duplicates, corruption, disconnects, clock drift).
"""
