"""Sensor profiles: vendor test vectors, DIY spec vectors, round trips, fuzzing, recognition."""
from __future__ import annotations

import copy
import math
import re
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imu.profiles import (PROFILES, DecodeError, Encoder, Samples, recognise)
from imu.profiles import diy, metawear, movesense, polar, thingy52, witmotion
from imu.profiles.base import Unwrapper, UuidMatch, normalize_uuid, snap_rate
from imu.profiles.diy import DiyProfile
from imu.profiles.metawear import MetaWearProfile
from imu.profiles.movesense import MovesenseProfile
from imu.profiles.polar import PolarProfile
from imu.profiles.thingy52 import Thingy52Profile
from imu.profiles.witmotion import WitMotionProfile

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")   # no overflow/NaN casts either


def h(text: str) -> bytes:
    return bytes.fromhex(re.sub(r"\s+", "", text))


def only(batches: list[Samples]) -> Samples:
    assert len(batches) == 1
    return batches[0]


# ------------------------------------------------------------------------------------------------
# Polar PMD: vendor AccDataTest.kt / PmdSettingTest.kt / control point vectors (reference §2)

POLAR_RAW1 = h("02 00 94 35 77 00 00 00 00 01") + h("""
F7 FF FF FF E7 03 F8 FF FE FF E5 03 F9 FF FF FF E5 03 FA FF FF FF E6 03 FA FF FE FF E6 03 F9 FF
FF FF E5 03 F8 FF FF FF E6 03 F8 FF FE FF E6 03 FA FF FF FF E5 03 FA FF FF FF E7 03 FA FF FF FF
E5 03 F8 FF FF FF E6 03 F7 FF FF FF E6 03 F8 FF FE FF E6 03 F9 FF FE FF E7 03 F9 FF 00 00 E6 03
F9 FF FF FF E6 03 F7 FF FE FF E5 03 F9 FF FF FF E5 03 F9 FF FF FF E5 03 FA FF 00 00 E6 03 F9 FF
FE FF E6 03 F8 FF FF FF E6 03 F8 FF FF FF E5 03 F9 FF FF FF E6 03 F9 FF FF FF E5 03 FA FF FF FF
E6 03 F9 FF FF FF E5 03 F9 FF FF FF E5 03 F8 FF FE FF E6 03 F9 FF FF FF E6 03 F9 FF FF FF E6 03
F9 FF 00 00 E5 03 F9 FF FE FF E6 03 F8 FF FE FF E6 03 F7 FF FE FF E6 03""")
POLAR_DELTA0 = h("02 00 94 35 77 00 00 00 00 80") + h("""
71 07 F0 6A 9E 8D 0A 38 BE 5C BE BA 2F 96 B3 EE 4B E5 AD FB 42 B9 EB BE 4C FE BA 2F 92 BF EE 4B
E4 B1 FB 12 B9 EC BD 3C 3E BB 2F 8F D3 DE 4B E3 B5 F7 D2 B8 ED BD 30 7E 7B 2F 8B E3 CE 8B E2 BA
F7 A2 B8 EE BC 20 BE 7B 2F 88 F3 CE CB E1 BD EF 52 F8 EF BC 18 FE 3B 2F 84 03 BF CB E0 C2 EF 32
B8 F0 BB 04 4E BC 2E 81 13 AF 0B E0 C6 EF F2 F7 F1 B9 FC 7D BC 2E 7D 27 9F 4B DF CA EB C2 F7 F2
B8 EC CD 7C 2E 7B 37 8F 4B DE CE E3 92 F7 F3 B8 E0 0D FD 2D 77 4B 7F CB DD D2 DF 62 37 F5 B7 D4
4D BD 2D 74 5B 6F CB DC D7 D7 32 37 F6 B5 C8 8D 7D 2D 71 6B 4F 4B DC DC D3 F2 36 F7 B4 BC DD FD
2C 6F 7B 3F 4B DB E0 CF D2 36 F8 B2 B0 2D BE 2C 6C 8F 1F CB DA E3 C7 A2 76 F9""")
POLAR_DELTA1 = h("02 65 00 00 00 00 00 00 00 81 F1 FF 14 00 F0 03 06 01 7B 0F 08")


def test_polar_raw_type1_h10_vector():
    s = only(polar.PolarDecoder(52).decode(polar.DATA, POLAR_RAW1))
    assert s.n == 36 and s.gyro_dps is None and s.seq is None
    np.testing.assert_array_equal(np.rint(s.acc_g[:2] * 1000), [[-9, -1, 999], [-8, -2, 997]])
    assert round(s.t_s[-1] * 1e9) == 2_000_000_000
    assert round(s.t_s[0] * 1e9) == 1_326_923_077
    np.testing.assert_allclose(np.diff(s.t_s), 1 / 52, atol=1e-9)


def test_polar_compressed_type0_vector():
    assert polar.parse_delta_frames(POLAR_DELTA0[10:])[:2] == [[1905, 27376, -29282],
                                                                [2095, 27271, -29367]]
    dec = polar.PolarDecoder(52, factor=2.44e-4, max_rate_error=None)    # SDK timestamps
    dec.set_previous_timestamp(0x80, 100)
    s = only(dec.decode(polar.DATA, POLAR_DELTA0))
    assert s.n == 57
    np.testing.assert_array_equal(s.acc_g[:2] * 1000, [[464, 6679, -7144], [511, 6654, -7165]])
    assert np.abs(s.acc_g).max() <= 8.0
    assert round(s.t_s[0] * 1e9) == 35_087_818 and round(s.t_s[-1] * 1e9) == 2_000_000_000


def test_polar_compressed_type1_vector():
    dec = polar.PolarDecoder(52, factor=1.0, max_rate_error=None)
    dec.set_previous_timestamp(0x81, 100)
    s = only(dec.decode(polar.DATA, POLAR_DELTA1))
    np.testing.assert_array_equal(s.acc_g * 1000, [[-15, 20, 1008], [-20, 17, 1008]])
    np.testing.assert_array_equal(np.rint(s.t_s * 1e9), [100, 101])
    s = only(PolarProfile("verity").new_decoder().decode(polar.DATA, POLAR_DELTA1))  # no FACTOR
    np.testing.assert_array_equal(s.acc_g * 1000, [[-15, 20, 1008], [-20, 17, 1008]])


def test_polar_factor_from_start_response_and_default():
    dec = PolarProfile("verity").new_decoder()
    # start response carrying FACTOR 2.44e-4 (setting 5, float32)
    assert dec.decode(polar.CP, h("F0 02 02 00 00 05 01") + struct.pack("<f", 2.44e-4)) == []
    assert dec.factor == pytest.approx(2.44e-4) and dec.last_response == (2, 2, 0)
    s = only(dec.decode(polar.DATA, POLAR_DELTA0))
    np.testing.assert_array_equal(s.acc_g[0] * 1000, [464, 6679, -7144])
    # without a start response: range/32768 -> within 0.1 % (+1 mG truncation)
    s2 = only(PolarProfile("verity").new_decoder().decode(polar.DATA, POLAR_DELTA0))
    np.testing.assert_allclose(s2.acc_g, s.acc_g, rtol=2e-3, atol=2e-3)


def test_polar_settings_and_cp_vectors():
    assert polar.parse_settings(h("00 01 34 00 01 01 10 00 02 04 F5 00 F4 01 E8 03 D0 07 04 01 03")) \
        == {0: [52], 1: [16], 2: [245, 500, 1000, 2000], 4: [3]}
    assert polar.parse_cp_response(h("F0 01 02 00 00 FF FF FF")) == (1, 2, 0, False, h("FF FF FF"))
    op, mtype, status, more, _ = polar.parse_cp_response(h("F0 01 06 07 00"))
    assert (op, mtype, polar.STATUS[status], more) == (1, 6, "INVALID_RESOLUTION", False)
    dec = polar.PolarDecoder(52)
    assert dec.decode(polar.CP, h("F0 01 06 07 00")) == [] and dec.factor is None
    assert dec.decode(polar.CP, h("0F 05 00")) == []        # feature bitmap read echoed as notify


def test_polar_gap_stays_visible_unless_sdk_mode():
    enc = Encoder(PolarProfile("h10"), 50)
    t = np.arange(108) / 50 + 10.0
    pkts = enc.packets(t, np.tile([0, 0, 1.0], (108, 1)))
    assert len(pkts) == 3
    dec = PolarProfile("h10").new_decoder(50)
    a = only(dec.decode(*pkts[0]))
    c = only(dec.decode(*pkts[2]))                            # frame 2 lost
    np.testing.assert_allclose(c.t_s, t[72:], atol=1e-6)       # times still right: gap visible
    assert c.t_s[0] - a.t_s[-1] == pytest.approx(37 / 50)
    sdk = polar.PolarDecoder(50, max_rate_error=None)
    sdk.decode(*pkts[0])
    stretched = only(sdk.decode(*pkts[2]))
    assert np.diff(stretched.t_s).mean() == pytest.approx(2 / 50, rel=1e-3)   # SDK behaviour
    assert dec.decode(*pkts[2]) == []                          # duplicate frame dropped


# ------------------------------------------------------------------------------------------------
# Movesense GSP (reference §1)

def test_movesense_subscribe_bytes():
    p = MovesenseProfile()
    assert p.start_commands(52) == [(movesense.COMMAND,
                                     h("01 63 2f 4d 65 61 73 2f 49 4d 55 36 2f 35 32"))]
    assert p.stop_commands() == [(movesense.COMMAND, h("02 63"))]
    assert p.start_commands(50)[0][1].endswith(b"/Meas/IMU6/52")     # snapped to 52 Hz
    assert MovesenseProfile("Acc").start_commands(13)[0][1] == bytes([1, 99]) + b"/Meas/Acc/13"


def test_movesense_synthetic_imu6_vector():
    acc = np.arange(12, dtype=np.float32).reshape(4, 3) - 5
    gyro = np.arange(12, dtype=np.float32).reshape(4, 3) * 10
    pkt = h("02 63") + struct.pack("<I", 123456) + acc.astype("<f4").tobytes() + \
        gyro.astype("<f4").tobytes()
    assert len(pkt) == 102 and pkt[:6] == h("02 63 40 e2 01 00")
    dec = MovesenseProfile().new_decoder(52)
    s = only(dec.decode(movesense.DATA, pkt))
    np.testing.assert_allclose(s.acc_g, acc / 9.80665)
    np.testing.assert_allclose(s.gyro_dps, gyro)
    np.testing.assert_allclose(s.t_s, 123.456 + np.arange(4) / 52)
    assert dec.decode(movesense.DATA, pkt) == []                 # duplicate dropped


@settings(max_examples=100, deadline=None)
@given(words=st.lists(st.integers(0, 2 ** 32 - 1) | st.sampled_from([0x7F800000, 0xFF800000, 0x7FC00000, 0x7F800001,
                                                                     0xFFFFFFFF, 0x7F7FFFFF, 0x00000001, 0x80000000]),
                      min_size=24, max_size=24))
def test_movesense_refuses_exactly_the_non_finite_values(words):
    """Movesense values are told finite from their float32 bits before the cast: a packet with an infinite or NaN
    value (signalling ones too, without a warning) raises DecodeError, any other gives each float32 exactly."""
    values = np.array(words, dtype="<u4").view("<f4")
    pkt = h("02 63") + struct.pack("<I", 1000) + values.tobytes()
    dec = MovesenseProfile().new_decoder(52)
    if not all(math.isfinite(v) for v in struct.unpack("<24f", values.tobytes())):
        with pytest.raises(DecodeError):
            dec.decode(movesense.DATA, pkt)
        return
    s = only(dec.decode(movesense.DATA, pkt))
    assert np.array_equal(s.acc_g, values[:12].astype(np.float64).reshape(4, 3) / 9.80665)
    assert np.array_equal(s.gyro_dps, values[12:].astype(np.float64).reshape(4, 3))


def test_movesense_part2_and_command_results():
    p = MovesenseProfile("IMU9")
    enc = Encoder(p, 104)
    t = 5 + np.arange(16) / 104
    pkts = enc.packets(t, np.ones((16, 3)), np.full((16, 3), 2.0))
    assert [d[0] for _, d in pkts] == [2, 3, 2, 3] and len(pkts[0][1]) == 158
    dec = p.new_decoder(104)
    assert dec.decode(*pkts[0]) == []
    s = only(dec.decode(*pkts[1]))
    assert s.n == 8 and s.acc_g == pytest.approx(np.ones((8, 3))) and s.gyro_dps[0, 0] == 2
    assert dec.decode(*pkts[3]) == [] and dec.dropped_parts == 1      # orphan part 2
    assert dec.decode(movesense.DATA, h("01 63 01 FB")) == [] and dec.last_status == 507
    assert dec.decode(movesense.DATA, h("01 63 C8 00")) == [] and dec.last_status == 200
    assert dec.decode(movesense.DATA, bytes([1, 99]) + b"Hello") == []
    assert dec.decode(movesense.DATA, h("02 07") + bytes(30)) == []   # another ref


def test_movesense_timestamp_wrap():
    dec = MovesenseProfile("Acc").new_decoder(13)
    mk = lambda ts: h("02 63") + struct.pack("<I", ts) + bytes(12)
    a = only(dec.decode(movesense.DATA, mk(2**32 - 40)))
    b = only(dec.decode(movesense.DATA, mk(37)))
    assert b.t_s[0] - a.t_s[0] == pytest.approx(0.077)


# ------------------------------------------------------------------------------------------------
# WitMotion (reference §3)

WIT_CAPTURE = h("55 61 77 02 A8 FE 92 FE 06 02 30 FE CD FF F8 F0 53 FC AB C4")
WIT_SYNTH = h("55 61 00 00 00 00 00 08 00 00 00 00 A4 00 00 00 00 00 00 40")


def test_witmotion_vectors():
    dec = WitMotionProfile().new_decoder()
    s = only(dec.decode(witmotion.NOTIFY, WIT_CAPTURE))
    assert s.t_s is None and s.seq is None
    np.testing.assert_allclose(s.acc_g[0], [0.3081, -0.1680, -0.1787], atol=5e-5)
    np.testing.assert_allclose(s.gyro_dps[0], [31.616, -28.320, -3.113], atol=5e-4)
    np.testing.assert_allclose(dec.angles_deg[0], [-21.138, -5.169, -83.436], atol=5e-4)
    s = only(dec.decode(witmotion.NOTIFY, WIT_SYNTH))
    np.testing.assert_allclose(s.acc_g[0], [0, 0, 1])
    np.testing.assert_allclose(s.gyro_dps[0], [0, 0, 10.0098], atol=5e-5)
    np.testing.assert_allclose(dec.angles_deg[0], [0, 0, 90])


def test_witmotion_commands():
    p = WitMotionProfile()
    assert p.start_commands(50) == [(witmotion.WRITE, h("FF AA 69 88 B5")),
                                    (witmotion.WRITE, h("FF AA 03 08 00")),
                                    (witmotion.WRITE, h("FF AA 00 00 00"))]
    assert p.start_commands(10)[1][1] == h("FF AA 03 06 00")
    assert p.start_commands(200)[1][1] == h("FF AA 03 08 00")             # capped at 50 Hz
    assert WitMotionProfile(allow_fast=True).start_commands(200)[1][1] == h("FF AA 03 0B 00")
    assert p.command_gap_s >= 0.1


@settings(max_examples=150, deadline=None)
@given(garbage=st.binary(max_size=30), cuts=st.lists(st.integers(1, 25), min_size=1, max_size=20))
def test_witmotion_resync_over_arbitrary_splits(garbage, cuts):
    reply = b"\x55\x71" + bytes(range(18))                      # register reply in the stream
    stream = garbage + WIT_CAPTURE + reply + WIT_SYNTH + WIT_CAPTURE
    dec = witmotion.WitMotionDecoder()
    got, i, k = [], 0, 0
    while i < len(stream):
        n = cuts[k % len(cuts)]
        got += dec.decode(witmotion.NOTIFY, stream[i:i + n])
        i, k = i + n, k + 1
    acc = np.vstack([s.acc_g for s in got]) if got else np.zeros((0, 3))
    ref = np.vstack([witmotion.WitMotionDecoder().decode(witmotion.NOTIFY, p)[0].acc_g
                     for p in (WIT_CAPTURE, WIT_SYNTH, WIT_CAPTURE)])
    # garbage may contain a fake header that swallows bytes, but the last packets always decode
    assert len(acc) >= 2
    np.testing.assert_allclose(acc[-2:], ref[-2:])


# ------------------------------------------------------------------------------------------------
# Thingy:52 (reference §4)

def test_thingy52_vector_and_config():
    dec = Thingy52Profile().new_decoder()
    s = only(dec.decode(thingy52.RAW, h("00 00 00 00 00 04 20 00 E0 FF 00 00 A0 00 00 00 F0 FF")))
    np.testing.assert_allclose(s.acc_g[0], [0, 0, 1])
    np.testing.assert_allclose(s.gyro_dps[0], [1, -1, 0])
    np.testing.assert_allclose(dec.mag_ut[0], [10, 0, -1])
    assert s.t_s is None
    p = Thingy52Profile()
    assert p.start_commands(100) == [(thingy52.CONFIG, h("E8 03 F4 01 F4 01 64 00 01"))]
    assert p.start_commands(1000)[0][1][6:8] == struct.pack("<H", 200)
    with pytest.raises(DecodeError):
        dec.decode(thingy52.RAW, bytes(17))


# ------------------------------------------------------------------------------------------------
# MetaWear (reference §5)

def test_metawear_vendor_vectors():
    d = metawear.MetaWearDecoder("bmi160", 4, gyro=False)
    s = only(d.decode(metawear.NOTIFY, h("03 04 16 C4 94 A2 2A D0")))
    np.testing.assert_allclose(s.acc_g[0], [-1.872, -2.919, -1.495], atol=5e-4)
    d = metawear.MetaWearDecoder("bmi160", 8, gyro=False)
    s = only(d.decode(metawear.NOTIFY, h("03 1C 62 B7 53 0D E9 FD 16 D0 4D 0E 57 02 8A FF A1 05 0A 01")))
    np.testing.assert_allclose(s.acc_g, [[-4.539, 0.833, -0.131], [-2.995, 0.894, 0.146],
                                         [-0.029, 0.352, 0.065]], atol=5e-4)
    d = metawear.MetaWearDecoder("bmi270", 4, gyro=False)          # same data register on BMI270
    s = only(d.decode(metawear.NOTIFY, h("03 04 16 C4 94 A2 2A D0")))
    np.testing.assert_allclose(s.acc_g[0], [-1.872, -2.919, -1.495], atol=5e-4)
    d = metawear.MetaWearDecoder("bmi160", 8, 500, gyro=True)
    assert d.decode(metawear.NOTIFY, h("03 04 16 C4 94 A2 2A D0")) == []   # waits for gyro
    s = only(d.decode(metawear.NOTIFY, h("13 05 3E 43 FF 7F 00 80")))
    np.testing.assert_allclose(s.gyro_dps[0], [262.409, 499.497, -499.512], atol=5e-4)
    d = metawear.MetaWearDecoder("bmi160", 8, 1000, gyro=True)
    d.decode(metawear.NOTIFY, h("03 1C 62 B7 53 0D E9 FD 16 D0 4D 0E 57 02 8A FF A1 05 0A 01"))
    s = only(d.decode(metawear.NOTIFY, h("13 07 09 15 AD 26 08 DE 8A 1A 0D 26 65 E4 8D 20 AC 27 73 EC")))
    np.testing.assert_allclose(s.gyro_dps, [[164.177, 301.860, -265.122],
                                            [207.134, 296.982, -215.457],
                                            [254.055, 309.634, -152.591]], atol=5e-4)


def test_metawear_commands():
    C = metawear.COMMAND
    cmds = [c for _, c in MetaWearProfile(acc_range_g=8, gyro_range_dps=1000).start_commands(100)]
    assert cmds == [h("03 03 28 08"), h("13 03 28 01"), h("03 04 01"), h("13 05 01"),
                    h("03 02 01 00"), h("13 02 01 00"), h("03 01 01"), h("13 01 01")]
    p = MetaWearProfile(acc_range_g=8, gyro_range_dps=2000)
    cmds = [c for _, c in p.start_commands(200)]
    assert cmds[:4] == [h("03 03 29 08"), h("13 03 29 00"), h("03 1C 01"), h("13 07 01")]
    assert [c for _, c in p.stop_commands()] == [h("03 01 00"), h("13 01 00"), h("03 02 00 01"),
                                                  h("13 02 00 01"), h("03 1C 00"), h("13 07 00")]
    assert MetaWearProfile(acc_range_g=2, gyro=False).start_commands(100)[0] == (C, h("03 03 28 03"))
    assert MetaWearProfile(gyro_range_dps=250).start_commands(100)[1][1] == h("13 03 28 03")
    assert MetaWearProfile(gyro_range_dps=125).start_commands(50)[1][1] == h("13 03 27 04")
    b270 = [c for _, c in MetaWearProfile("bmi270").start_commands(100)]
    assert b270 == [h("03 03 A8 02"), h("03 04 01"), h("03 02 01 00"), h("03 01 01")]
    assert MetaWearProfile("bmi270").start_commands(200)[1][1] == h("03 05 01")
    assert all(u == C for u, _ in p.start_commands(100))


def test_metawear_pairing_lag_and_board_probe():
    d = MetaWearProfile().new_decoder()
    for _ in range(5):                                # gyro stream stalled
        d.decode(metawear.NOTIFY, h("03 1C") + bytes(18))
    assert d.pending[0] <= d.max_lag
    d2 = MetaWearProfile().new_decoder()
    out = []
    for _ in range(14):
        out += d2.decode(metawear.NOTIFY, h("03 04 00 10 00 00 00 00"))
    assert out and out[0].gyro_dps is None and out[0].n == 13
    assert d2.decode(metawear.NOTIFY, h("03 80 04 00")) == [] and d2.detected_board == "bmi270"



@pytest.mark.parametrize("packed", [False, True])
def test_metawear_pairs_scale_each_sample_like_its_own_notification(packed):
    """Pairs are read and scaled in one go (acc rows then gyro rows): the same floats as each
    notification's int16 xyz times its lsb."""
    p = MetaWearProfile(packed=packed)
    rng = np.random.default_rng(2)
    notes = p.new_encoder(100).packets(None, rng.normal(0, 3, (30, 3)), rng.normal(0, 300, (30, 3)))
    dec = p.new_decoder(100)
    out = [s for u, d in notes for s in dec.decode(u, d)]
    raw = {m: np.concatenate([np.frombuffer(d[2:], "<i2").reshape(-1, 3) for _, d in notes if d[0] == m])
           for m in (metawear.ACC, metawear.GYRO)}
    assert np.concatenate([s.acc_g for s in out]).tobytes() == (raw[metawear.ACC] * dec.acc_lsb_g).tobytes()
    assert np.concatenate([s.gyro_dps for s in out]).tobytes() == (raw[metawear.GYRO] * dec.gyro_lsb_dps).tobytes()

# ------------------------------------------------------------------------------------------------
# DIY profile: spec vectors (firmware_notes/diy_profile.md §7)

DIY_V1 = h("01 01 34 12 40 42 0F 00 10 27 02 32 00 00 00 00 00 10 CD 0C 33 F3 20 00"
           "00 F8 00 04 00 10 00 80 FF 7F 01 00")
DIY_V2 = h("01 00 FF FF 00 FF FF FF 40 9C 01 40 00 40 00 C0 00 00")
DIY_V3 = h("01 02 00 00 40 9B 00 00 40 9C 01 40 00 40 00 40 00 80")
DIY_S1 = h("01 01 64 00 10 27 32 04 03 5A 01 00 00 00 00 00")
DIY_V4 = h("01 01 42 00 80 DE 0F 00 10 27 04 32 90 01 70 FE 00 10 04 00 FC FF 00 00"
           "F4 01 0C FE 00 10 05 00 FB FF 00 00 58 02 A8 FD 00 10 06 00 FA FF 00 00"
           "BC 02 44 FD 00 10 07 00 F9 FF 00 00")
DIY_RESUME = h("07 40 42 0F 00")          # resume after t_us = 1 000 000


def test_diy_vectors():
    s = only(DiyProfile().new_decoder().decode(diy.DATA, DIY_V1))
    assert s.seq == 0x1234
    np.testing.assert_array_equal(s.t_s, [1.0, 1.01])
    np.testing.assert_array_equal(s.acc_g, [[0, 0, 1.0], [-0.5, 0.25, 1.0]])
    np.testing.assert_array_equal(s.gyro_dps, [[100.006103515625, -100.006103515625, 0.9765625],
                                               [-1000.0, 999.969482421875, 0.030517578125]])
    dec = DiyProfile().new_decoder()
    a = only(dec.decode(diy.DATA, DIY_V2))
    b = only(dec.decode(diy.DATA, DIY_V3))
    assert a.gyro_dps is None and a.seq == 0xFFFF and b.seq == 0
    assert a.t_s[0] == pytest.approx(4294.967040) and b.t_s[0] == pytest.approx(4295.007040)
    np.testing.assert_array_equal(a.acc_g, [[1, -1, 0]])
    np.testing.assert_array_equal(b.acc_g, [[1, 1, -2]])
    assert dec.dropped_flagged == 1
    assert dec.decode(diy.STATUS, DIY_S1) == []
    st_ = dec.status
    assert (st_.streaming, st_.rate_hz, st_.period_us, st_.acc_range_g, st_.gyro_range_dps,
            st_.samples_per_packet, st_.imu, st_.battery_pct, st_.last_result) == \
        (True, 100, 10000, 8, 1000, 4, "ICM-42688-P", 90, "ok")
    # the encoder side produces the same bytes
    assert diy.encode_data(0x1234, 1_000_000, 10000, 2, 3, [[0, 0, 4096], [-2048, 1024, 4096]],
                           [[3277, -3277, 32], [-32768, 32767, 1]]) == DIY_V1
    assert diy.encode_data(0xFFFF, 0xFFFFFF00, 40000, 0, 4, [[16384, -16384, 0]], None) == DIY_V2
    assert diy.encode_status(True, 100, 10000, 2, 3, 4, 3, 90, 1, 0, 0) == DIY_S1


def test_diy_commands():
    assert DiyProfile().start_commands(100) == [(diy.CONTROL, h("03 64 00")),
                                                (diy.CONTROL, h("04 02 03")),
                                                (diy.CONTROL, h("01"))]
    assert DiyProfile().stop_commands() == [(diy.CONTROL, h("02"))]
    assert DiyProfile(4, 2000).start_commands(1000)[:2] == [(diy.CONTROL, h("03 90 01")),
                                                           (diy.CONTROL, h("04 01 04"))]
    assert DiyProfile().start_commands(10)[0][1] == h("03 19 00")


def test_diy_resume_commands_are_byte_exact():
    p = DiyProfile()
    assert p.resume_commands(100, 1.0) == [(diy.CONTROL, h("03 64 00")), (diy.CONTROL, h("04 02 03")),
                                           (diy.CONTROL, DIY_RESUME)]
    # the newest sample of a packet, as the decoder gives it, back on the u32 µs clock
    last = only(DiyProfile().new_decoder().decode(diy.DATA, DIY_V1)).t_s[-1]       # 1.01 s
    assert p.resume_commands(100, last)[-1][1] == h("07 50 69 0F 00")
    dec = DiyProfile().new_decoder()
    dec.decode(diy.DATA, DIY_V2)
    after_wrap = only(dec.decode(diy.DATA, DIY_V3)).t_s[-1]                         # 4295.007040 s, unwrapped
    assert DiyProfile(2, 2000).resume_commands(25, after_wrap) == [
        (diy.CONTROL, h("03 19 00")), (diy.CONTROL, h("04 00 04")), (diy.CONTROL, h("07 40 9B 00 00"))]
    assert p.resume_commands(100, float("nan")) is None
    assert PROFILES["movesense"].resume_commands(52, 1.0) is None                   # cannot resume


def test_diy_resume_answer_and_control_results():
    p = DiyProfile()

    def status(op: int, result: int) -> bytes:
        return diy.encode_status(False, 100, 10000, 2, 3, 4, last_opcode=op, last_result=result)

    assert p.resume_answer(status(diy.CMD_RESUME, 0)) is True
    assert p.resume_answer(status(diy.CMD_RESUME, 1)) is False              # a firmware from before RESUME
    assert p.resume_answer(status(diy.CMD_RANGE, 0)) is None                # not answered yet
    assert p.resume_answer(DIY_S1) is None and p.resume_answer(b"\x01\x07") is None   # malformed: no answer
    assert diy.control_result(DIY_RESUME) == diy.RES_OK
    assert diy.control_result(DIY_RESUME, resume=False) == diy.RES_UNKNOWN_OPCODE
    assert diy.control_result(DIY_RESUME[:4]) == diy.RES_BAD_LENGTH
    assert diy.control_result(h("03 10 00")) == diy.RES_BAD_VALUE and diy.control_result(b"") == diy.RES_BAD_LENGTH
    (uuid, reply), = Encoder(p, 100).responses(diy.CONTROL, DIY_RESUME)
    assert uuid == diy.STATUS and p.resume_answer(reply) is True


def test_diy_resume_vector_v4():
    s = only(DiyProfile().new_decoder().decode(diy.DATA, DIY_V4))
    assert s.seq == 0x42                                                    # seq goes on after RESUME
    np.testing.assert_allclose(s.t_s, [1.04, 1.05, 1.06, 1.07])
    k = np.arange(4, 8)
    assert diy.encode_data(0x42, 1_040_000, 10000, 2, 3, np.column_stack([100 * k, -100 * k, 4096 + 0 * k]),
                           np.column_stack([k, -k, 0 * k])) == DIY_V4


def test_diy_spec_document_lists_the_tested_vectors():
    text = (ROOT / "firmware_notes" / "diy_profile.md").read_text()
    flat = re.sub(r"\s+", " ", text)
    for vec in (DIY_V1, DIY_V2, DIY_V3, DIY_S1, DIY_V4, DIY_RESUME):
        assert vec.hex(" ").upper() in flat


@pytest.mark.skipif(shutil.which("g++") is None, reason="no C++ compiler")
def test_diy_reference_firmware_packs_the_spec_vectors(tmp_path):
    src = ROOT / "firmware_notes" / "diy_firmware" / "host_selftest.cpp"
    exe = tmp_path / "selftest"
    subprocess.run(["g++", "-std=c++11", "-Wall", "-Werror", "-o", str(exe), str(src)], check=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    rows = [line.split(" ", 1) for line in out.splitlines()]
    lines = {k: v for k, v in rows if k != "SPP"}
    assert h(lines["V1"]) == DIY_V1 and h(lines["V2"]) == DIY_V2
    assert h(lines["V3"]) == DIY_V3 and h(lines["S1"]) == DIY_S1
    assert lines["CFG"] == "0 0 0 100 2 3 1"             # parses what DiyProfile sends
    assert lines["ERR"] == "3 1"                         # bad rate -> bad value; unknown opcode
    assert lines["RESUME"] == "0 1 1000000 0 2"          # 07 40 42 0F 00: resume after 1 s; cut short: bad length
    assert DiyProfile().resume_commands(100, 1.0)[-1][1] == DIY_RESUME
    assert h(lines["V4"]) == DIY_V4                      # the first packet re-sent from the ring
    assert lines["RING"] == "6 4 0 2 1080000"            # 6 after t_us; 4 sent; 2 wait for live ones
    assert lines["WRAP"] == "4 2 79744 40000"            # across the clock wrap; a time jump ends a packet
    assert lines["FULL"] == f"{diy.RING_SAMPLES} 5 25000 3"   # the ring keeps the newest; overruns counted
    spp = [tuple(map(int, v.split())) for k, v in rows if k == "SPP"]
    assert [r[0] for r in spp] == [25, 50, 100, 200, 400]
    for hz, at247, at185, at23 in spp:                    # same batching as the host encoder
        assert Encoder(DiyProfile(), hz).samples_per_packet == at247
        assert at185 == min(at247, 14) and at23 == 1


# ------------------------------------------------------------------------------------------------
# Round trips: encoder -> decoder returns the samples within quantisation

def _signal(n: int, rate: float, t0: float = 12.5, acc_amp: float = 1.5, gyro_amp: float = 300):
    t = t0 + np.arange(n) / rate
    w = 2 * np.pi * 0.7 * t
    acc = np.column_stack([np.cos(w), np.sin(w), 0.3 * np.sin(3 * w)]) * acc_amp
    gyro = np.column_stack([np.sin(w), -np.cos(2 * w), 0.5 * np.cos(w)]) * gyro_amp
    return t, acc, gyro


ROUND_TRIPS = [  # profile, rate, acc tolerance g, gyro tolerance dps, time tolerance s
    (DiyProfile(), 100, 8 / 65536 + 1e-12, 1000 / 65536 + 1e-9, 1e-6),
    (DiyProfile(16, 2000), 400, 16 / 65536 + 1e-12, 2000 / 65536 + 1e-9, 1e-6),
    (MovesenseProfile(), 52, 1e-6, 1e-4, 1e-3),
    (MovesenseProfile(), 104, 1e-6, 1e-4, 1e-3),        # DATA + DATA_PART2
    (MovesenseProfile("Acc"), 208, 1e-6, None, 1e-3),
    (MovesenseProfile("IMU9"), 104, 1e-6, 1e-4, 1e-3),
    (PolarProfile("h10"), 200, 5e-4, None, 1e-6),
    (PolarProfile("verity"), 52, 2.44e-4 / 2 + 1e-3, None, 1e-6),
    (WitMotionProfile(), 50, 16 / 65536, 2000 / 65536, None),
    (Thingy52Profile(), 100, 1 / 2048, 1 / 64, None),
    (MetaWearProfile(), 100, 8 / 65536, 0.5 / 32.8, None),
    (MetaWearProfile(acc_range_g=16, gyro_range_dps=2000), 400, 16 / 65536, 0.5 / 16.4, None),
    (MetaWearProfile("bmi270"), 200, 8 / 65536, None, None),
]


@pytest.mark.parametrize("profile,rate,acc_tol,gyro_tol,t_tol", ROUND_TRIPS,
                         ids=[f"{p.name}-{r}" for p, r, *_ in ROUND_TRIPS])
def test_round_trip(profile, rate, acc_tol, gyro_tol, t_tol):
    profile = copy.copy(profile)                 # start_commands() remembers the rate
    n = 301
    t, acc, gyro = _signal(n, profile.device_rate_hz(rate))
    cmds = profile.start_commands(rate)
    assert cmds
    enc = Encoder(profile)
    dec = profile.new_decoder()
    for uuid, data in cmds:                          # device replies (Polar FACTOR, DIY status)
        for ru, rd in enc.responses(uuid, data):
            assert dec.decode(ru, rd) == []
    pkts = enc.packets(t[:150], acc[:150], gyro[:150], flush=False) + \
        enc.packets(t[150:], acc[150:], gyro[150:])
    assert all(len(d) <= 244 for _, d in pkts)
    batches = [s for u, d in pkts for s in dec.decode(u, d)]
    for b in batches:                   # built unchecked (Samples.trusted): as the constructor makes them
        ref = Samples(b.t_s, b.acc_g, b.gyro_dps, b.seq)
        for got, want in ((b.t_s, ref.t_s), (b.acc_g, ref.acc_g), (b.gyro_dps, ref.gyro_dps)):
            assert (got is None and want is None) or (got.dtype == np.float64 and got.shape == want.shape)
    got_acc = np.vstack([b.acc_g for b in batches])
    assert got_acc.shape == (n, 3)
    np.testing.assert_allclose(got_acc, acc, atol=acc_tol)
    if gyro_tol is None:
        assert all(b.gyro_dps is None for b in batches)
    else:
        np.testing.assert_allclose(np.vstack([b.gyro_dps for b in batches]), gyro, atol=gyro_tol)
    if t_tol is None:
        assert all(b.t_s is None for b in batches) and not profile.has_timestamps
    else:
        np.testing.assert_allclose(np.concatenate([b.t_s for b in batches]), t, atol=t_tol)
    if profile.seq_modulus:
        seqs = [b.seq for b in batches]
        assert seqs == [i % profile.seq_modulus for i in range(len(seqs))]


def test_round_trip_saturates_out_of_range_values():
    p = DiyProfile(2, 125)
    s = only(p.new_decoder().decode(*Encoder(p, 25).packets([0.0], [[5.0, -5, 0]], [[900, 0, 0]])[0]))
    np.testing.assert_allclose(s.acc_g[0], [2 * 32767 / 32768, -2, 0])
    assert s.gyro_dps[0, 0] == pytest.approx(125 * 32767 / 32768)


# ------------------------------------------------------------------------------------------------
# Fuzzing: decoders raise only DecodeError (checked with the safety net off)

def _valid_packets() -> list[tuple[str, str, bytes]]:
    out = []
    for profile, rate, *_ in ROUND_TRIPS:
        t, acc, gyro = _signal(40, profile.device_rate_hz(rate))
        enc = Encoder(profile, rate)
        out += [(profile.name, u, d) for u, d in enc.packets(t, acc, gyro)][:6]
        for uuid, data in profile.start_commands(rate):
            out += [(profile.name, u, d) for u, d in enc.responses(uuid, data)]
    out += [("polar", polar.DATA, POLAR_RAW1), ("polar", polar.DATA, POLAR_DELTA0),
            ("polar", polar.DATA, POLAR_DELTA1), ("witmotion", witmotion.NOTIFY, WIT_CAPTURE),
            ("diy", diy.DATA, DIY_V1), ("diy", diy.STATUS, DIY_S1),
            ("metawear", metawear.NOTIFY, h("03 80 01 00"))]
    return out


VALID = _valid_packets()
DECODER_FACTORIES = {
    "diy": lambda: DiyProfile().new_decoder(),
    "movesense": lambda: MovesenseProfile("IMU9").new_decoder(104),
    "movesense6": lambda: MovesenseProfile().new_decoder(52),
    "polar": lambda: PolarProfile("verity").new_decoder(),
    "polar_h10": lambda: PolarProfile("h10").new_decoder(200),
    "witmotion": lambda: WitMotionProfile().new_decoder(),
    "thingy52": lambda: Thingy52Profile().new_decoder(),
    "metawear": lambda: MetaWearProfile().new_decoder(),
    "metawear270": lambda: MetaWearProfile("bmi270").new_decoder(),
}
PROFILE_OF = {"diy": DiyProfile(), "movesense": MovesenseProfile(), "movesense6": MovesenseProfile(),
              "polar": PolarProfile(), "polar_h10": PolarProfile(), "witmotion": WitMotionProfile(),
              "thingy52": Thingy52Profile(), "metawear": MetaWearProfile(),
              "metawear270": MetaWearProfile("bmi270")}
FOREIGN_UUID = "00002a37-0000-1000-8000-00805f9b34fb"


def _feed(name: str, packets: list[tuple[str, bytes]]) -> None:
    dec = DECODER_FACTORIES[name]()
    dec.safety_net = False
    for k, (uuid, data) in enumerate(packets):
        try:
            out = dec.decode(uuid, bytearray(data) if k % 2 else data)   # bleak gives bytearray
        except DecodeError:
            continue
        assert isinstance(out, list)
        for s in out:
            assert isinstance(s, Samples) and s.acc_g.ndim == 2 and s.acc_g.shape[1] == 3
            assert np.isfinite(s.acc_g).all()
            if s.t_s is not None:
                assert np.isfinite(s.t_s).all()


@pytest.mark.parametrize("name", sorted(DECODER_FACTORIES))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_random_bytes(name, data):
    uuids = PROFILE_OF[name].notify_uuids + [FOREIGN_UUID]
    packets = data.draw(st.lists(st.tuples(st.sampled_from(uuids), st.binary(max_size=260)),
                                 max_size=8))
    _feed(name, packets)


@pytest.mark.parametrize("name", sorted(DECODER_FACTORIES))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_truncated_and_mutated_valid_packets(name, data):
    own = [(u, d) for _, u, d in VALID if u in PROFILE_OF[name].notify_uuids]
    assert own
    picks = data.draw(st.lists(st.tuples(
        st.sampled_from(own), st.integers(0, 300),
        st.lists(st.tuples(st.integers(0, 300), st.integers(0, 255)), max_size=4),
        st.booleans()), min_size=1, max_size=8))
    packets = []
    for (uuid, pkt), cut, mutations, truncate in picks:
        b = bytearray(pkt[:cut] if truncate else pkt)
        for pos, val in mutations:
            if b:
                b[pos % len(b)] = val
        packets.append((uuid, bytes(b)))
    _feed(name, packets)


def test_decode_error_is_the_only_exception_with_safety_net():
    class Broken(polar.PolarDecoder):
        def _decode(self, char_uuid, data):
            raise KeyError("bug")
    with pytest.raises(DecodeError):
        Broken(52).decode(polar.DATA, b"x")
    assert issubclass(DecodeError, ValueError)


@pytest.mark.parametrize("uuid,data", [
    (diy.DATA, DIY_V1[:-1]), (diy.DATA, b"\x02" + DIY_V1[1:]), (diy.DATA, DIY_V1[:11]),
    (movesense.DATA, h("02")), (movesense.DATA, h("05 63 00 00")),
    (movesense.DATA, h("02 63") + struct.pack("<I", 1) + struct.pack("<6f", *[np.nan] * 6) + bytes(24)),
    (polar.DATA, POLAR_RAW1[:9]), (polar.DATA, POLAR_RAW1[:-1]), (polar.DATA, POLAR_DELTA0[:-3]),
    (polar.DATA, POLAR_RAW1[:9] + b"\x7f" + bytes(6)), (polar.DATA, POLAR_RAW1[:10]),
    (polar.DATA, POLAR_DELTA0[:13]), (polar.DATA, POLAR_DELTA0[:16] + h("0A")),
    (polar.DATA, POLAR_DELTA0[:16] + h("21 01 00")),
    (thingy52.RAW, bytes(19)), (metawear.NOTIFY, h("03 04 00 00")), (metawear.NOTIFY, h("03")),
])
def test_bad_packets_raise_decode_error(uuid, data):
    name = {diy.DATA: "diy", movesense.DATA: "movesense6", polar.DATA: "polar_h10",
            thingy52.RAW: "thingy52", metawear.NOTIFY: "metawear"}[uuid]
    dec = DECODER_FACTORIES[name]()
    dec.safety_net = False
    with pytest.raises(DecodeError):
        dec.decode(uuid, data)


def test_simulated_device_replies():
    enc = Encoder(PolarProfile("h10"))
    (uuid, rsp), = enc.responses(polar.CP, h("01 02"))
    op, mtype, status, _, params = polar.parse_cp_response(rsp)
    assert (uuid, op, mtype, status) == (polar.CP, 1, 2, 0)
    assert polar.parse_settings(params) == {0: [25, 50, 100, 200], 1: [16], 2: [2, 4, 8]}
    assert enc.responses(polar.CP, h("02 05 00 01 34 00"))[0][1][3] == 3      # NOT_SUPPORTED
    dec = PolarProfile("h10").new_decoder(50)
    t = np.arange(72) / 50
    p1, p2 = enc.packets(t, np.zeros((72, 3)))
    dec.decode(*p1)
    assert dec.decode(*enc.responses(polar.CP, h("03 02"))[0]) == [] and not dec._prev_ts
    assert only(dec.decode(*p2)).n == 36
    mw = MetaWearProfile("bmi270")
    (u, probe), = mw.probe_commands()
    d = mw.new_decoder()
    d.decode(*Encoder(mw).responses(u, probe)[0])
    assert d.detected_board == "bmi270"
    assert Encoder(MovesenseProfile()).responses(movesense.COMMAND, h("00 63")) == \
        [(movesense.DATA, h("01 63") + b"Hello")]


def test_polar_verity_frames_shrink_to_fit_the_mtu():
    acc = np.tile([[7.9, -7.9, 7.9], [-7.9, 7.9, -7.9]], (40, 1))   # 17-bit deltas
    enc = Encoder(PolarProfile("verity"), 52)
    pkts = enc.packets(np.arange(80) / 52, acc)
    assert all(len(d) <= 229 for _, d in pkts) and len(pkts) > 3
    dec = PolarProfile("verity").new_decoder()
    dec.decode(*enc.responses(polar.CP, PolarProfile("verity").start_commands(52)[0][1])[0])
    got = np.vstack([only(dec.decode(u, d)).acc_g for u, d in pkts])
    np.testing.assert_allclose(got, acc, atol=2e-3)


# ------------------------------------------------------------------------------------------------
# Recognition from advertisements

@pytest.mark.parametrize("name,uuids,expected", [
    ("RepIMU-3A7F", [], "diy"),
    (None, ["14d50001-3b2b-44ed-a09d-30c1f4b5b25b"], "diy"),
    ("Movesense 174630000192", [], "movesense"),
    (None, ["34802252-7185-4D5D-B431-630E7050E8F0"], "movesense"),
    ("Polar H10 A1B2C3D4", ["0000180d-0000-1000-8000-00805f9b34fb"], "polar"),
    ("Polar Sense B5D6E7F8", [], "polar"),
    (None, ["FB005C80-02E7-F387-1CAD-8ACD2D8DF0C8"], "polar"),
    ("WT901BLE68", [], "witmotion"),
    ("BWT901BLECL5.0", [], "witmotion"),
    (None, ["0000ffe5-0000-1000-8000-00805f9a34fb"], "witmotion"),
    ("Thingy", ["ef680100-9b35-4933-9b10-52ffa9740042"], "thingy52"),
    ("MetaWear", ["326a9000-85cb-9195-d9dd-464cfbbae75a"], "metawear"),
    ("MetaWear", [], "metawear"),
    ("MetaMotion S", [], "metawear"),
    ("Polar H9 12345678", [], None),
    ("Mi Smart Band 6", ["0000fee0-0000-1000-8000-00805f9b34fb"], None),
    (None, [], None),
    ("", ["180d"], None),
])
def test_recognise(name, uuids, expected):
    p = recognise(name, uuids)
    assert (p.name if p else None) == expected
    if p is not None:
        assert p is not PROFILES[p.name]                  # a fresh copy per device


def test_recognise_picks_polar_model_and_uuid_wins():
    assert recognise("Polar H10 A1B2C3D4", []).model == "h10"
    assert recognise("Polar Sense B5D6E7F8", []).model == "verity"
    v = recognise("Polar Sense B5D6E7F8", [])
    assert v.start_commands(52)[0][1] == h("02 02 00 01 34 00 01 01 10 00 02 01 08 00 04 01 03")
    # a DIY sensor someone named "Movesense-ish" still goes to diy by its service UUID
    assert recognise("Movesense clone", [diy.SERVICE]).name == "diy"


def test_polar_start_command_h10():
    p = PolarProfile("h10")
    assert p.start_commands(200) == [(polar.CP, h("02 02 00 01 C8 00 01 01 10 00 02 01 08 00"))]
    assert p.stop_commands() == [(polar.CP, h("03 02"))]
    assert p.start_commands(100)[0][1] == h("02 02 00 01 64 00 01 01 10 00 02 01 08 00")
    assert p.start_commands(400)[0][1][4:6] == h("C8 00")         # capped at 200 Hz
    assert PolarProfile("h10", range_g=2).start_commands(25)[0][1] == \
        h("02 02 00 01 19 00 01 01 10 00 02 01 02 00")
    assert p.notify_uuids == [polar.CP, polar.DATA]


# ------------------------------------------------------------------------------------------------
# Profile API details

def test_every_profile_has_the_documented_api():
    assert set(PROFILES) == {"diy", "movesense", "polar", "witmotion", "thingy52", "metawear"}
    for name, p in PROFILES.items():
        assert p.name == name and isinstance(p.has_gyro, bool) and p.notify_uuids
        assert all(u == normalize_uuid(u) for u in p.notify_uuids)
        q = p.for_device(None)
        for rate in (25, 50, 100, 200, 400):
            cmds = q.start_commands(rate)
            assert all(isinstance(u, str) and isinstance(b, bytes) for u, b in cmds)
        assert all(isinstance(b, bytes) for _, b in q.stop_commands())
        assert q.new_decoder().decode("00002a37-0000-1000-8000-00805f9b34fb", b"\x00\x48") == []


def test_decoder_uses_rate_of_last_start_commands():
    p = MovesenseProfile().for_device("Movesense 1")
    p.start_commands(100)                       # -> 104 Hz
    assert p.new_decoder().rate_hz == 104
    assert p.new_decoder(26).rate_hz == 26
    assert MovesenseProfile().new_decoder().rate_hz == 52


def test_helpers():
    assert snap_rate(25, (13, 26, 52)) == 26 and snap_rate(25, (25, 50)) == 25
    assert snap_rate(26, (25, 50)) == 25 and snap_rate(1000, (25, 50)) == 50
    assert normalize_uuid("2A37") == "00002a37-0000-1000-8000-00805f9b34fb"
    assert normalize_uuid("0x180D") == "0000180d-0000-1000-8000-00805f9b34fb"
    u = Unwrapper(16)
    assert [u(v) for v in (65530, 65535, 3, 65534, 10)] == [65530, 65535, 65539, 65534, 65546]
    is_hr = UuidMatch("2a37")
    spellings = ["0x2A37", "00002A37-0000-1000-8000-00805F9B34FB", "2a38", "2A37", "2a38", "2A37", "180d"]
    assert [is_hr(u) for u in spellings] == [normalize_uuid(u) == normalize_uuid("2a37") for u in spellings]
    assert polar.encode_delta_frames([[0, 0, 0], [1, -1, 0], [-1, 2, 3]]) and \
        polar.parse_delta_frames(polar.encode_delta_frames([[0, 0, 0], [1, -1, 0], [-1, 2, 3]])) \
        == [[0, 0, 0], [1, -1, 0], [-1, 2, 3]]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(-32768, 32767), st.integers(-32768, 32767),
                          st.integers(-32768, 32767)), min_size=1, max_size=60))
def test_polar_delta_codec_round_trip(samples):
    assert polar.parse_delta_frames(polar.encode_delta_frames(samples)) == [list(s) for s in samples]


# ------------------------------------------------------------------------------------------------
# Vectorised decoding paths agree with the general ones

def _batch_arrays(batches):
    return [np.vstack([getattr(b, k) for b in batches]) if batches else None for k in ("acc_g", "gyro_dps")]


@settings(max_examples=60, deadline=None)
@given(kinds=st.lists(st.sampled_from([0x61, 0x61, 0x71]), min_size=1, max_size=12), data=st.data())
def test_witmotion_whole_packets_decode_as_the_byte_by_byte_resync(kinds, data):
    stream = b"".join(bytes([0x55, k]) + data.draw(st.binary(min_size=18, max_size=18)) for k in kinds)
    fast = witmotion.WitMotionDecoder().decode(witmotion.NOTIFY, stream)      # aligned: the numpy path
    slow_dec = witmotion.WitMotionDecoder()
    slow = [b for i in range(len(stream)) for b in slow_dec.decode(witmotion.NOTIFY, stream[i:i + 1])]
    assert len(fast) == (0x61 in kinds)
    for a, b in zip(_batch_arrays(fast), _batch_arrays(slow)):
        assert (a is None and b is None) or np.array_equal(a, b)


@settings(max_examples=100, deadline=None)
@given(notes=st.lists(st.tuples(st.sampled_from([b"\x55\x61", b"\x55\x61", b"\x55\x71", b"\x61\x55", b"\x55\x55"]),
                                st.binary(min_size=18, max_size=18), st.integers(1, 3),
                                st.sampled_from([witmotion.NOTIFY, witmotion.NOTIFY.upper(), "2a37"])),
                      min_size=1, max_size=12))
def test_witmotion_queues_exactly_the_notifications_of_whole_data_packets(notes):
    """Decoder.queue takes a notification iff it is whole ``55 61`` packets on FFE4 (any spelling; one packet is
    told by two byte reads, the uuid last seen without normalising); the queued ones give the samples that
    decoding them one by one gives."""
    dec, ref = witmotion.WitMotionDecoder(), witmotion.WitMotionDecoder()
    taken, decoded = [], []
    for head, body, k, uuid in notes:
        data = (head + body) * k
        whole = normalize_uuid(uuid) == witmotion.NOTIFY and all(data[i:i + 2] == b"\x55\x61" for i in range(0, len(data), 20))
        n = dec.queue(uuid, data)
        assert n == (k if whole else 0)
        if n:
            decoded += ref.decode(uuid, data)
            taken.append(dec.take_queued())
    for a, b in zip(_batch_arrays(taken), _batch_arrays(decoded)):
        assert (a is None and b is None) or np.array_equal(a, b)


@pytest.mark.parametrize("frame_type", [0x00, 0x01])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_polar_raw_frames_decode_as_sign_extended_values(frame_type, data):
    step = frame_type + 1
    content = data.draw(st.binary(min_size=3 * step, max_size=36 * step).filter(lambda b: len(b) % (3 * step) == 0))
    ref = [polar.sign_extend(int.from_bytes(content[i:i + step], "little"), 8 * step)
           for i in range(0, len(content), step)]
    got = polar.PolarDecoder(100.0)._acc_mg(frame_type, content)
    assert got.dtype == np.float64 and got.tolist() == np.reshape(ref, (-1, 3)).tolist()


@settings(max_examples=60, deadline=None)
@given(prev=st.integers(0, 2 ** 63), gap=st.integers(1, 10 ** 9), n=st.integers(1, 40))
def test_polar_timestamps_are_the_sdk_rounding(prev, gap, n):
    dec = polar.PolarDecoder(100.0, max_rate_error=None)
    dec.set_previous_timestamp(1, prev)
    ts = prev + gap
    delta = (ts - prev) / n if prev else 1e9 / 100.0
    first = prev + delta if prev else ts - delta * (n - 1)
    ref = [round(first + delta * i) for i in range(n - 1)] + [ts]
    assert dec._timestamps(1, ts, n).tolist() == np.asarray(ref, dtype=np.float64).tolist()


@pytest.mark.parametrize("gyro_first", [False, True])
def test_metawear_keeps_acc_and_gyro_of_the_same_sample_together_across_lost_notifications(gyro_first):
    # sample i reads i LSB on each acc and gyro axis; the gyro notification of sample 15 and the acc one of
    # sample 31 are lost: every sample still comes out with its own gyro, or alone (gyro None), or with
    # the acc before it
    d = MetaWearProfile(acc_range_g=8, gyro_range_dps=1000).new_decoder()
    acc_lsb, gyr_lsb = 8 / 32768, 1 / 32.8
    notes = []
    for i in range(1, 60):
        a = h("03 04") + np.full(3, i, "<i2").tobytes()
        g = h("13 05") + np.full(3, i, "<i2").tobytes()
        notes += [g, a] if gyro_first else [a, g]
    lost = {28, 61} if gyro_first else {29, 60}  # the gyro of sample 15, the acc of sample 31
    out = [s for k, n in enumerate(notes) if k not in lost for s in d.decode(metawear.NOTIFY, n)]
    pairs = [(round(s.acc_g[j, 0] / acc_lsb), None if s.gyro_dps is None else round(s.gyro_dps[j, 0] / gyr_lsb))
             for s in out for j in range(s.n)]
    assert [a for a, g in pairs if g is None] == [15]  # alone: the stream holds the last gyro
    assert [(a, g) for a, g in pairs if g is not None and g != a] == [(30, 31)]  # the acc before it held
    assert len(pairs) == 59
