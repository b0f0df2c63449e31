// RepIMU reference firmware: DIY profile v1 (firmware_notes/diy_profile.md) on an
// ESP32 (Arduino-ESP32 core) or nRF52 (n-able Arduino core) with NimBLE-Arduino 2.x and an
// LSM6DS3-family or ICM-42688-P IMU on I2C.  A sketch to start from, not a product:
//   * sampling is paced by micros() and polls the IMU (configured at the next ODR at or above
//     the requested rate); for best timing use the IMU FIFO + data-ready interrupt instead and
//     stamp t0 from the interrupt time;
//   * every sample goes into a RAM ring (diy::Ring) and the notifications are cut from it; after a
//     disconnect the sketch keeps sampling for up to 60 s, and RESUME re-sends what the host missed;
//   * the packing is in diy_protocol.h, which host_selftest.cpp checks against the spec vectors.
#include <Arduino.h>
#include <NimBLEDevice.h>
#include <Wire.h>

#include "diy_protocol.h"
#include "imu_drivers.h"

static uint8_t g_imu_addr = 0;  // I2C address found by probe()

// ---- generic register access used by imu_drivers.h (swap for SPI if your board uses it) ----
bool reg_read(uint8_t reg, uint8_t* buf, size_t len) {
  Wire.beginTransmission(g_imu_addr);
  Wire.write(reg);
  if (Wire.endTransmission(false) != 0) return false;
  if (Wire.requestFrom((int)g_imu_addr, (int)len) != (int)len) return false;
  for (size_t i = 0; i < len; i++) buf[i] = Wire.read();
  return true;
}
bool reg_write(uint8_t reg, uint8_t value) {
  Wire.beginTransmission(g_imu_addr);
  Wire.write(reg);
  Wire.write(value);
  return Wire.endTransmission() == 0;
}
void delay_ms_hook(uint32_t ms) { delay(ms); }

// ---- state -----------------------------------------------------------------------------------
static Imu imu;
static diy::Config cfg;
static diy::Status status = {};
static volatile bool g_streaming = false, g_connected = false;
static volatile bool g_start = false, g_stop = false, g_send_status = false;
static volatile bool g_resume = false, g_lost = false;
static volatile uint32_t g_resume_t_us = 0;
static uint16_t g_mtu = 23, g_conn = 0;
static NimBLEServer* server;
static NimBLECharacteristic *data_chr, *status_chr;

static diy::Ring ring;                   // every sample taken; packets are cut from it
static diy::Config applied;              // the configuration the IMU runs with
static bool sampling = false;            // the IMU is running (streaming, or holding after a disconnect)
static bool holding = false;             // disconnected while streaming: sampling, not sending
static uint32_t hold_from_ms = 0;
static uint8_t batch_target = 1;
static uint32_t next_us = 0;
static uint16_t period_us = 10000, seq = 0;
static uint8_t pending_flags = 0;
static bool with_gyro = true;

static void refresh_status(uint8_t op, uint8_t res) {
  status.streaming = g_streaming;
  status.rate_hz = cfg.rate_hz;
  status.period_us = period_us;
  status.acc_code = cfg.acc_code;
  status.gyro_code = cfg.gyro_code;
  status.samples_per_packet = batch_target;
  status.imu_id = imu.id;
  status.battery_pct = 255;  // unknown: hook up your fuel gauge here
  if (op) { status.last_opcode = op; status.last_result = res; }
  uint8_t b[diy::STATUS_LEN];
  diy::pack_status(b, status);
  status_chr->setValue(b, sizeof b);
}

// ---- BLE callbacks (run in the BLE task: only set flags here) ----------------------------------
class ServerCallbacks : public NimBLEServerCallbacks {
  void onConnect(NimBLEServer* s, NimBLEConnInfo& info) override {
    g_connected = true;
    g_conn = info.getConnHandle();
    // 7.5-15 ms interval (units of 1.25 ms), no slave latency, 4 s supervision timeout.
    s->updateConnParams(g_conn, 6, 12, 0, 400);
  }
  void onDisconnect(NimBLEServer*, NimBLEConnInfo&, int) override {
    g_connected = false;
    g_lost = true;            // stop sending, keep sampling: the host may RESUME after reconnecting
    g_mtu = 23;
    NimBLEDevice::startAdvertising();
  }
  void onMTUChange(uint16_t mtu, NimBLEConnInfo&) override { g_mtu = mtu; }
};

class ControlCallbacks : public NimBLECharacteristicCallbacks {
  void onWrite(NimBLECharacteristic* c, NimBLEConnInfo&) override {
    NimBLEAttValue v = c->getValue();
    diy::Action a;
    diy::Result r = diy::apply_control(v.data(), v.length(), cfg, a);
    if (a.start) g_start = true;
    if (a.stop) g_stop = true;
    if (a.resume) {
      g_resume_t_us = a.resume_t_us;
      g_resume = true;
    }
    status.last_opcode = v.length() ? v.data()[0] : 0;
    status.last_result = r;
    g_send_status = true;     // reply with a status notification (also for rate/range changes)
    if (r == diy::RES_OK && g_streaming && !a.start && !a.stop && !a.status_request && !a.resume)
      g_start = true;         // re-apply the configuration
  }
};

// ---- sampling ----------------------------------------------------------------------------------
// START (fresh: seq 0, empty ring), a configuration change while streaming, or RESUME (not fresh:
// seq continues, the ring keeps what it has).
static void start_streaming(bool fresh) {
  bool same = cfg.rate_hz == applied.rate_hz && cfg.acc_code == applied.acc_code &&
              cfg.gyro_code == applied.gyro_code;
  if (!sampling || !same) {              // configure() stalls sampling: only when needed
    imu.configure(cfg.rate_hz, cfg.acc_code, cfg.gyro_code);
    applied = cfg;
  }
  period_us = (uint16_t)((1000000UL + cfg.rate_hz / 2) / cfg.rate_hz);
  with_gyro = diy::max_samples(g_mtu, true) > 0;       // MTU 23: acc-only packets
  batch_target = diy::samples_per_packet(cfg, g_mtu, with_gyro);
  if (fresh) {
    seq = 0;
    ring.clear();
  }
  if (!sampling) next_us = micros();    // already sampling (holding, streaming): keep the schedule
  sampling = g_streaming = true;
  holding = false;
}

static void stop_sampling() {
  sampling = g_streaming = holding = false;
  ring.clear();
  imu.sleep();
}

// Sends the next packet from the ring if one is ready.  False if none is, or the TX queue is
// full (the samples stay in the ring and go out on a later call).
static bool send_next(bool flush) {
  if (ring.overrun) {                    // unsent samples were overwritten
    status.dropped_samples += ring.overrun;
    ring.overrun = 0;
    pending_flags |= diy::FLAG_DROPPED;
  }
  int16_t rows[diy::MAX_SAMPLES][6];
  uint32_t t0;
  uint16_t period;
  uint8_t n = ring.next_packet(batch_target, flush, period_us, &t0, &period, rows);
  if (!n) return false;
  uint8_t buf[3 + diy::HEADER_LEN + diy::MAX_SAMPLES * 12];
  size_t cap = g_mtu - 3u < sizeof buf ? g_mtu - 3u : sizeof buf;
  size_t len = diy::pack_data(buf, cap, pending_flags, seq, t0, period, cfg.acc_code,
                              cfg.gyro_code, rows, n, with_gyro);
  if (!len) {                            // does not fit (the MTU shrank): drop, flag it
    ring.sent(n);
    status.dropped_samples += n;
    pending_flags |= diy::FLAG_DROPPED;
    return false;
  }
  if (!data_chr->notify(buf, len)) return false;
  ring.sent(n);
  seq++;
  pending_flags = 0;
  return true;
}

static void sample_if_due() {
  uint32_t now = micros();
  if ((int32_t)(now - next_us) < 0) return;   // not time yet (wrap-safe)
  uint32_t t = next_us;                       // scheduled time of this sample, µs
  next_us += period_us;
  if ((int32_t)(now - next_us) > (int32_t)(4 * period_us)) {   // fell far behind: resync
    status.dropped_samples += (now - next_us) / period_us;
    pending_flags |= diy::FLAG_DROPPED;
    next_us = now + period_us;
  }
  int16_t v[6];
  if (imu.read(v)) ring.push(t, v);
}

static void probe_imu() {
  const uint8_t addrs[] = {0x6A, 0x6B, 0x68, 0x69};
  for (uint8_t a : addrs) {
    g_imu_addr = a;
    if (imu.begin(reg_read, reg_write)) return;
  }
  g_imu_addr = 0;
}

void setup() {
  Serial.begin(115200);
  Wire.begin();
  Wire.setClock(400000);
  probe_imu();
  Serial.printf("IMU id %u at 0x%02X\n", imu.id, g_imu_addr);

  NimBLEDevice::init("RepIMU");             // GAP device name; adverts carry RepIMU-XXXX
  std::string addr = NimBLEDevice::getAddress().toString();   // "aa:bb:cc:dd:ee:ff"
  char name[16];
  snprintf(name, sizeof name, "RepIMU-%c%c%c%c", toupper(addr[12]), toupper(addr[13]),
           toupper(addr[15]), toupper(addr[16]));
  NimBLEDevice::setMTU(247);

  server = NimBLEDevice::createServer();
  server->setCallbacks(new ServerCallbacks());
  NimBLEService* svc = server->createService(diy::SERVICE_UUID);
  data_chr = svc->createCharacteristic(diy::DATA_UUID, NIMBLE_PROPERTY::NOTIFY);
  NimBLECharacteristic* ctrl = svc->createCharacteristic(
      diy::CONTROL_UUID, NIMBLE_PROPERTY::WRITE | NIMBLE_PROPERTY::WRITE_NR);
  ctrl->setCallbacks(new ControlCallbacks());
  status_chr = svc->createCharacteristic(diy::STATUS_UUID,
                                         NIMBLE_PROPERTY::READ | NIMBLE_PROPERTY::NOTIFY);
  refresh_status(0, 0);
  svc->start();

  NimBLEAdvertising* adv = NimBLEDevice::getAdvertising();
  adv->addServiceUUID(diy::SERVICE_UUID);   // 128-bit UUID in the advertisement
  adv->setName(name);                       // the name goes into the scan response
  adv->enableScanResponse(true);
  adv->setMinInterval(160);                 // 100 ms (units of 0.625 ms)
  adv->setMaxInterval(160);
  adv->start();
}

void loop() {
  if (g_lost) {                             // link dropped: keep sampling into the ring a while
    g_lost = false;
    if (g_streaming) {
      g_streaming = false;
      holding = true;
      hold_from_ms = millis();
    }
  }
  if (g_stop) {
    g_stop = false;
    while (g_connected && g_streaming && send_next(true)) {}   // flush what is waiting
    stop_sampling();
  }
  if (g_start) {
    g_start = false;
    start_streaming(!g_streaming);          // while streaming: a configuration change
  }
  if (g_resume) {
    g_resume = false;
    start_streaming(false);
    ring.resend_after(g_resume_t_us);       // the backlog goes out first, then live
  }
  if (holding && millis() - hold_from_ms >= diy::RESUME_HOLD_MS) stop_sampling();  // nobody came
  if (g_send_status) {
    g_send_status = false;
    refresh_status(status.last_opcode, status.last_result);
    if (g_connected) status_chr->notify();
  }
  if (!sampling) { delay(2); return; }

  sample_if_due();
  if (g_streaming && g_connected)
    for (int i = 0; i < 4 && send_next(false); i++) {}   // a few per pass: drains a backlog fast
}
