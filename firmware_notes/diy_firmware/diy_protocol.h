// RepIMU DIY BLE profile, version 1: constants and byte-exact packing.
// Specification: firmware_notes/diy_profile.md.  Plain C++ (no Arduino or BLE headers) so that
// host_selftest.cpp can check the bytes against the spec's test vectors on a PC.
// All multi-byte fields are little-endian, written byte by byte (independent of the MCU).
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace diy {

// 128-bit UUIDs: base 14d5xxxx-3b2b-44ed-a09d-30c1f4b5b25b
static const char* const SERVICE_UUID = "14d50001-3b2b-44ed-a09d-30c1f4b5b25b";
static const char* const DATA_UUID    = "14d50002-3b2b-44ed-a09d-30c1f4b5b25b";  // notify
static const char* const CONTROL_UUID = "14d50003-3b2b-44ed-a09d-30c1f4b5b25b";  // write, write w/o resp
static const char* const STATUS_UUID  = "14d50004-3b2b-44ed-a09d-30c1f4b5b25b";  // read, notify

static const uint8_t VERSION = 1;
static const size_t HEADER_LEN = 12;
static const size_t STATUS_LEN = 16;
static const uint8_t FLAG_GYRO = 0x01;     // samples carry gyro (12 bytes each, else 6)
static const uint8_t FLAG_DROPPED = 0x02;  // samples were dropped before this packet

// Range codes (1 LSB = full scale / 32768)
static const uint16_t ACC_RANGE_G[4] = {2, 4, 8, 16};
static const uint16_t GYRO_RANGE_DPS[5] = {125, 250, 500, 1000, 2000};

enum Opcode : uint8_t { CMD_START = 1, CMD_STOP = 2, CMD_RATE = 3, CMD_RANGE = 4,
                        CMD_BATCH = 5, CMD_STATUS = 6, CMD_RESUME = 7 };
enum Result : uint8_t { RES_OK = 0, RES_UNKNOWN_OPCODE = 1, RES_BAD_LENGTH = 2,
                        RES_BAD_VALUE = 3, RES_BUSY = 4 };
enum ImuId : uint8_t { IMU_UNKNOWN = 0, IMU_LSM6DS3 = 1, IMU_LSM6DSO = 2, IMU_ICM42688 = 3,
                       IMU_BMI270 = 4, IMU_MPU6050 = 5 };
static const uint16_t MIN_RATE_HZ = 25, MAX_RATE_HZ = 400;
static const uint8_t MAX_SAMPLES = 19;     // (247 - 3 - 12) / 12
static const uint16_t RING_SAMPLES = 4096;  // sample ring for RESUME: >= 10 s at 400 Hz (64 KiB)
static const uint32_t RESUME_HOLD_MS = 60000;  // after a disconnect, keep sampling this long

inline uint8_t* put_u8(uint8_t* p, uint8_t v) { *p++ = v; return p; }
inline uint8_t* put_u16(uint8_t* p, uint16_t v) { *p++ = v & 0xFF; *p++ = v >> 8; return p; }
inline uint8_t* put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) *p++ = (v >> (8 * i)) & 0xFF;
  return p;
}
inline uint16_t get_u16(const uint8_t* p) { return (uint16_t)(p[0] | (p[1] << 8)); }
inline uint32_t get_u32(const uint8_t* p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

// Samples that fit in one notification of (mtu - 3) bytes.
inline uint8_t max_samples(uint16_t mtu, bool gyro) {
  if (mtu < 3 + HEADER_LEN) return 0;
  size_t n = (mtu - 3 - HEADER_LEN) / (gyro ? 12 : 6);
  return n > MAX_SAMPLES ? MAX_SAMPLES : (uint8_t)n;
}

// Data notification.  samples: n rows of int16 {ax, ay, az, gx, gy, gz} (gyro ignored when
// !gyro).  Returns the length written, 0 if it does not fit in cap.
inline size_t pack_data(uint8_t* out, size_t cap, uint8_t flags, uint16_t seq, uint32_t t0_us,
                        uint16_t period_us, uint8_t acc_code, uint8_t gyro_code,
                        const int16_t (*samples)[6], uint8_t n, bool gyro) {
  size_t len = HEADER_LEN + (size_t)n * (gyro ? 12 : 6);
  if (len > cap || n == 0) return 0;
  flags = gyro ? (flags | FLAG_GYRO) : (flags & ~FLAG_GYRO);
  uint8_t* p = out;
  p = put_u8(p, VERSION);
  p = put_u8(p, flags);
  p = put_u16(p, seq);
  p = put_u32(p, t0_us);
  p = put_u16(p, period_us);
  p = put_u8(p, n);
  p = put_u8(p, (uint8_t)(acc_code | (gyro_code << 4)));
  for (uint8_t i = 0; i < n; i++)
    for (int k = 0; k < (gyro ? 6 : 3); k++) p = put_u16(p, (uint16_t)samples[i][k]);
  return len;
}

struct Status {
  bool streaming;
  uint16_t rate_hz, period_us;
  uint8_t acc_code, gyro_code, samples_per_packet, imu_id, battery_pct;  // 255 = unknown
  uint8_t last_opcode, last_result;
  uint32_t dropped_samples;
};

inline size_t pack_status(uint8_t* out, const Status& s) {
  uint8_t* p = out;
  p = put_u8(p, VERSION);
  p = put_u8(p, s.streaming ? 1 : 0);
  p = put_u16(p, s.rate_hz);
  p = put_u16(p, s.period_us);
  p = put_u8(p, (uint8_t)(s.acc_code | (s.gyro_code << 4)));
  p = put_u8(p, s.samples_per_packet);
  p = put_u8(p, s.imu_id);
  p = put_u8(p, s.battery_pct);
  p = put_u8(p, s.last_opcode);
  p = put_u8(p, s.last_result);
  p = put_u32(p, s.dropped_samples);
  return STATUS_LEN;
}

// Requested configuration, changed by control writes.
struct Config {
  uint16_t rate_hz = 100;
  uint8_t acc_code = 2;     // +-8 g
  uint8_t gyro_code = 3;    // +-1000 dps
  uint8_t batch = 0;        // 0 = auto (about 25 packets/s)
};

// What a control write asks the main loop to do (besides changing the Config).
struct Action {
  bool start, stop, status_request, resume;
  uint32_t resume_t_us;     // RESUME: re-send the samples taken after this time
};

// Applies one control write to cfg and fills act.  Returns the Result code reported in the
// status characteristic.
inline Result apply_control(const uint8_t* d, size_t len, Config& cfg, Action& act) {
  act = Action();
  if (len == 0) return RES_BAD_LENGTH;
  switch (d[0]) {
    case CMD_START: if (len != 1) return RES_BAD_LENGTH; act.start = true; return RES_OK;
    case CMD_STOP: if (len != 1) return RES_BAD_LENGTH; act.stop = true; return RES_OK;
    case CMD_STATUS: if (len != 1) return RES_BAD_LENGTH; act.status_request = true; return RES_OK;
    case CMD_RESUME:
      if (len != 5) return RES_BAD_LENGTH;
      act.resume = true;
      act.resume_t_us = get_u32(d + 1);
      return RES_OK;
    case CMD_RATE: {
      if (len != 3) return RES_BAD_LENGTH;
      uint16_t hz = get_u16(d + 1);
      if (hz < MIN_RATE_HZ || hz > MAX_RATE_HZ) return RES_BAD_VALUE;
      cfg.rate_hz = hz;
      return RES_OK;
    }
    case CMD_RANGE:
      if (len != 3) return RES_BAD_LENGTH;
      if (d[1] > 3 || d[2] > 4) return RES_BAD_VALUE;
      cfg.acc_code = d[1];
      cfg.gyro_code = d[2];
      return RES_OK;
    case CMD_BATCH:
      if (len != 2) return RES_BAD_LENGTH;
      if (d[1] > MAX_SAMPLES) return RES_BAD_VALUE;
      cfg.batch = d[1];
      return RES_OK;
    default: return RES_UNKNOWN_OPCODE;
  }
}

// Samples per packet: the configured batch, or auto = rate/25 (about 40 ms per packet),
// limited by what fits the negotiated MTU.
inline uint8_t samples_per_packet(const Config& cfg, uint16_t mtu, bool gyro) {
  uint16_t n = cfg.batch ? cfg.batch : (uint16_t)((cfg.rate_hz + 12) / 25);
  if (n < 1) n = 1;
  uint8_t fit = max_samples(mtu, gyro);
  return n > fit ? fit : (uint8_t)n;
}

// Every sample taken, newest RING_SAMPLES kept with their times.  Packets are cut from it: live
// ones, and after RESUME the backlog of samples taken while the host was away.  A sample stays
// unsent until its notification is queued, so a full TX queue delays samples instead of losing
// them; when the unsent samples fill the whole ring the oldest are overwritten (overrun).
struct RingEntry {
  uint32_t t_us;
  int16_t v[6];             // ax ay az gx gy gz, profile units
};

struct Ring {
  RingEntry e[RING_SAMPLES];
  uint16_t next;            // where the next sample goes
  uint16_t count;           // samples stored (<= RING_SAMPLES)
  uint16_t unsent;          // the newest `unsent` samples are not sent yet (<= count)
  uint32_t overrun;         // unsent samples overwritten since the caller last reset it

  void clear() { next = count = unsent = 0; overrun = 0; }

  // k-th newest sample (0 = the newest), k < count.
  const RingEntry& newest(uint16_t k) const {
    return e[(next + RING_SAMPLES - 1 - k) % RING_SAMPLES];
  }

  void push(uint32_t t_us, const int16_t v[6]) {
    RingEntry& x = e[next];
    x.t_us = t_us;
    for (int i = 0; i < 6; i++) x.v[i] = v[i];
    next = (uint16_t)((next + 1) % RING_SAMPLES);
    if (count < RING_SAMPLES) count++;
    if (unsent < RING_SAMPLES) unsent++;
    else overrun++;
  }

  // RESUME: marks every stored sample taken after t_us (wrap-safe) as unsent.  Returns how many.
  // What was overwritten while nothing was sent (disconnected) is a gap, not an overrun.
  uint16_t resend_after(uint32_t t_us) {
    uint16_t n = 0;
    while (n < count && (int32_t)(newest(n).t_us - t_us) > 0) n++;
    unsent = n;
    overrun = 0;
    return n;
  }

  // The next packet: up to max_n of the oldest unsent samples, evenly spaced (a packet ends at a
  // change of period or a jump in time).  Returns its sample count, or 0 when fewer than max_n
  // samples wait at that spacing and more could follow (flush: send them anyway).  Copies the
  // samples to out and their first time and spacing to *t0_us / *period_us (period_default for a
  // single sample).  Call sent(n) once the packet is queued.
  uint8_t next_packet(uint8_t max_n, bool flush, uint16_t period_default, uint32_t* t0_us,
                      uint16_t* period_us, int16_t (*out)[6]) const {
    if (unsent == 0 || max_n == 0) return 0;
    const RingEntry& first = newest(unsent - 1);
    uint32_t period = period_default;
    uint8_t n = 1;
    while (n < max_n && n < unsent) {
      uint32_t step = newest(unsent - 1 - n).t_us - newest(unsent - n).t_us;
      if (n == 1 && step > 0 && step <= 0xFFFF) period = step;
      else if (n == 1 || step != period) break;
      n++;
    }
    bool complete = n == max_n || n < unsent || flush;   // n < unsent: the spacing broke
    if (!complete) return 0;
    *t0_us = first.t_us;
    *period_us = (uint16_t)period;
    for (uint8_t i = 0; i < n; i++)
      for (int k = 0; k < 6; k++) out[i][k] = newest(unsent - 1 - i).v[k];
    return n;
  }

  void sent(uint8_t n) { unsent = n < unsent ? (uint16_t)(unsent - n) : 0; }
};

}  // namespace diy
