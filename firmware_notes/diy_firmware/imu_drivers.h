// Minimal 6-axis IMU drivers on top of a generic register read/write function (I2C or SPI),
// returning samples in the DIY profile's units: int16, 1 LSB = full scale / 32768.
//   * ST LSM6DS3 / LSM6DS3TR-C / LSM6DSL / LSM6DSO (same control registers for what we use)
//   * TDK InvenSense ICM-42688-P
// Datasheet register maps; check them against your part before relying on this sketch.
#pragma once
#include <stddef.h>
#include <stdint.h>

// Provided by the sketch: read len bytes starting at reg, write one register.
typedef bool (*RegRead)(uint8_t reg, uint8_t* buf, size_t len);
typedef bool (*RegWrite)(uint8_t reg, uint8_t value);
void delay_ms_hook(uint32_t ms);   // provided by the sketch (Arduino: delay(ms))

struct Imu {
  uint8_t id = 0;                // diy::ImuId
  RegRead rd = nullptr;
  RegWrite wr = nullptr;
  float gyro_gain = 1.0f;        // chip LSB -> profile LSB
  uint16_t odr_hz = 0;           // output data rate actually configured

  // Detects the chip from WHO_AM_I.  Returns false if neither family answers.
  bool begin(RegRead r, RegWrite w);
  // rate_hz: 25-400; acc_code 0-3 (2/4/8/16 g); gyro_code 0-4 (125..2000 dps).
  bool configure(uint16_t rate_hz, uint8_t acc_code, uint8_t gyro_code);
  // out = {ax, ay, az, gx, gy, gz} in profile units.
  bool read(int16_t out[6]);
  void sleep();
};

static inline int16_t sat16(float v) {
  return v > 32767.f ? 32767 : v < -32768.f ? -32768 : (int16_t)(v >= 0 ? v + 0.5f : v - 0.5f);
}

// ---- ST LSM6DS3 family -------------------------------------------------------------------
namespace lsm6 {
static const uint8_t WHO_AM_I = 0x0F, CTRL1_XL = 0x10, CTRL2_G = 0x11, CTRL3_C = 0x12,
                     OUTX_L_G = 0x22;  // gyro x,y,z then accel x,y,z (0x28), little-endian
// ODR field (bits 7:4) for 26/52/104/208/416 Hz: the next rate at or above the request.
static uint8_t odr_bits(uint16_t hz, uint16_t* actual) {
  static const uint16_t rates[] = {26, 52, 104, 208, 416};
  for (uint8_t i = 0; i < 5; i++)
    if (rates[i] >= hz) { *actual = rates[i]; return (uint8_t)(2 + i); }
  *actual = 416; return 6;
}
static const uint8_t FS_XL[4] = {0x0, 0x2, 0x3, 0x1};            // 2, 4, 8, 16 g -> FS_XL[1:0]
static const uint8_t FS_G[5] = {0x02, 0x00, 0x04, 0x08, 0x0C};   // 125(FS_125), 250, 500, 1000, 2000
// ST gyro sensitivity is 8.75 mdps/LSB at 250 dps (not 250/32768 = 7.629): x1.1469 for all ranges.
static const float GYRO_GAIN = 8.75f / (250.0f * 1000.0f / 32768.0f);
}  // namespace lsm6

// ---- ICM-42688-P -------------------------------------------------------------------------
namespace icm {
static const uint8_t WHO_AM_I = 0x75, DEVICE_CONFIG = 0x11, PWR_MGMT0 = 0x4E, GYRO_CONFIG0 = 0x4F,
                     ACCEL_CONFIG0 = 0x50, ACCEL_DATA_X1 = 0x1F;  // accel then gyro, big-endian
static uint8_t odr_bits(uint16_t hz, uint16_t* actual) {
  static const uint16_t rates[] = {25, 50, 100, 200, 500};
  static const uint8_t bits[] = {0x0A, 0x09, 0x08, 0x07, 0x0F};
  for (uint8_t i = 0; i < 5; i++)
    if (rates[i] >= hz) { *actual = rates[i]; return bits[i]; }
  *actual = 500; return 0x0F;
}
}  // namespace icm

inline bool Imu::begin(RegRead r, RegWrite w) {
  rd = r; wr = w;
  uint8_t who = 0;
  if (rd(lsm6::WHO_AM_I, &who, 1) && (who == 0x69 || who == 0x6A || who == 0x6C)) {
    id = who == 0x6C ? 2 : 1;                 // LSM6DSO : LSM6DS3/DS3TR-C/DSL
    gyro_gain = lsm6::GYRO_GAIN;
    return wr(lsm6::CTRL3_C, 0x44);           // BDU + register auto-increment
  }
  if (rd(icm::WHO_AM_I, &who, 1) && who == 0x47) {
    id = 3;
    gyro_gain = 1.0f;                         // 16.4 LSB/dps vs 16.384: 0.1 %, ignored
    bool ok = wr(icm::DEVICE_CONFIG, 0x01);   // soft reset
    delay_ms_hook(2);
    return ok;
  }
  return false;
}

inline bool Imu::configure(uint16_t rate_hz, uint8_t acc_code, uint8_t gyro_code) {
  if (acc_code > 3 || gyro_code > 4) return false;
  if (id == 1 || id == 2) {
    uint8_t odr = lsm6::odr_bits(rate_hz, &odr_hz);
    return wr(lsm6::CTRL1_XL, (uint8_t)(odr << 4 | lsm6::FS_XL[acc_code] << 2)) &&
           wr(lsm6::CTRL2_G, (uint8_t)(odr << 4 | lsm6::FS_G[gyro_code]));
  }
  if (id == 3) {
    uint8_t odr = icm::odr_bits(rate_hz, &odr_hz);
    bool ok = wr(icm::GYRO_CONFIG0, (uint8_t)((4 - gyro_code) << 5 | odr)) &&   // FS_SEL 0 = 2000 dps
              wr(icm::ACCEL_CONFIG0, (uint8_t)((3 - acc_code) << 5 | odr)) &&   // FS_SEL 0 = 16 g
              wr(icm::PWR_MGMT0, 0x0F);                                      // gyro + accel low-noise
    delay_ms_hook(50);                                                       // gyro start-up
    return ok;
  }
  return false;
}

inline bool Imu::read(int16_t out[6]) {
  uint8_t b[12];
  if (id == 1 || id == 2) {
    if (!rd(lsm6::OUTX_L_G, b, 12)) return false;
    for (int k = 0; k < 3; k++) {
      out[k] = (int16_t)(b[6 + 2 * k] | b[7 + 2 * k] << 8);                     // accel
      out[3 + k] = sat16((int16_t)(b[2 * k] | b[2 * k + 1] << 8) * gyro_gain);  // gyro
    }
    return true;
  }
  if (id == 3) {
    if (!rd(icm::ACCEL_DATA_X1, b, 12)) return false;
    for (int k = 0; k < 6; k++) out[k] = (int16_t)(b[2 * k] << 8 | b[2 * k + 1]);
    return true;
  }
  return false;
}

inline void Imu::sleep() {
  if (id == 1 || id == 2) { wr(lsm6::CTRL1_XL, 0); wr(lsm6::CTRL2_G, 0); }
  if (id == 3) wr(icm::PWR_MGMT0, 0);
}
