// Host-side check of diy_protocol.h against the test vectors of diy_profile.md.
//   g++ -std=c++11 -Wall -o selftest host_selftest.cpp && ./selftest
// Prints one line per vector: "<name> <hex bytes>".  tests/test_profiles.py compiles this and
// compares every line with the Python encoder and the spec.
#include <stdio.h>
#include "diy_protocol.h"

static void dump(const char* name, const uint8_t* b, size_t n) {
  printf("%s", name);
  for (size_t i = 0; i < n; i++) printf(" %02X", b[i]);
  printf("\n");
}

int main() {
  uint8_t buf[244];
  const int16_t v1[2][6] = {{0, 0, 4096, 3277, -3277, 32}, {-2048, 1024, 4096, -32768, 32767, 1}};
  dump("V1", buf, diy::pack_data(buf, sizeof buf, 0, 0x1234, 1000000, 10000, 2, 3, v1, 2, true));
  const int16_t v2[1][6] = {{16384, -16384, 0, 0, 0, 0}};
  dump("V2", buf, diy::pack_data(buf, sizeof buf, 0, 0xFFFF, 0xFFFFFF00u, 40000, 0, 4, v2, 1, false));
  const int16_t v3[1][6] = {{16384, 16384, -32768, 0, 0, 0}};
  dump("V3", buf, diy::pack_data(buf, sizeof buf, diy::FLAG_DROPPED, 0x0000, 0x00009B40u, 40000,
                                 0, 4, v3, 1, false));
  diy::Status s = {true, 100, 10000, 2, 3, 4, diy::IMU_ICM42688, 90, diy::CMD_START, diy::RES_OK, 0};
  dump("S1", buf, diy::pack_status(buf, s));
  // Control writes: parse what the host sends for rate 100 Hz, +-8 g, +-1000 dps, then start.
  diy::Config cfg;
  cfg.rate_hz = 25; cfg.acc_code = 0; cfg.gyro_code = 0;
  diy::Action a;
  const uint8_t rate[] = {0x03, 0x64, 0x00}, range[] = {0x04, 0x02, 0x03}, go[] = {0x01};
  int r1 = diy::apply_control(rate, 3, cfg, a);
  int r2 = diy::apply_control(range, 3, cfg, a);
  int r3 = diy::apply_control(go, 1, cfg, a);
  printf("CFG %d %d %d %u %u %u %d\n", r1, r2, r3, cfg.rate_hz, cfg.acc_code, cfg.gyro_code, a.start);
  const uint8_t bad[] = {0x03, 0x10, 0x00}, unk[] = {0x7F};
  printf("ERR %d %d\n", diy::apply_control(bad, 3, cfg, a), diy::apply_control(unk, 1, cfg, a));
  // RESUME after 1 000 000 µs, then the same bytes cut short.
  const uint8_t resume[] = {0x07, 0x40, 0x42, 0x0F, 0x00};
  int r4 = diy::apply_control(resume, 5, cfg, a);
  printf("RESUME %d %d %u %d", r4, a.resume, a.resume_t_us, a.start);
  printf(" %d\n", diy::apply_control(resume, 4, cfg, a));
  for (uint16_t hz = 25; hz <= 400; hz *= 2) {
    cfg.rate_hz = hz;
    printf("SPP %u %u %u %u\n", hz, diy::samples_per_packet(cfg, 247, true),
           diy::samples_per_packet(cfg, 185, true), diy::samples_per_packet(cfg, 23, false));
  }
  // V4: ten samples at 100 Hz in the ring, all sent, then RESUME after the 4th: the first packet
  // re-sent (seq continues at 0x42), and the rest waiting for the next live samples.
  static diy::Ring ring;
  ring.clear();
  for (int k = 0; k < 10; k++) {
    const int16_t v[6] = {(int16_t)(100 * k), (int16_t)(-100 * k), 4096, (int16_t)k, (int16_t)-k, 0};
    ring.push(1000000u + 10000u * k, v);
  }
  ring.sent(10);
  int16_t rows[diy::MAX_SAMPLES][6];
  uint32_t t0;
  uint16_t period;
  unsigned resent = ring.resend_after(1030000u);
  uint8_t n = ring.next_packet(4, false, 10000, &t0, &period, rows);
  dump("V4", buf, diy::pack_data(buf, sizeof buf, 0, 0x0042, t0, period, 2, 3, rows, n, true));
  ring.sent(n);
  unsigned waiting = ring.next_packet(4, false, 10000, &t0, &period, rows);   // 2 < 4: wait
  unsigned flushed = ring.next_packet(4, true, 10000, &t0, &period, rows);
  printf("RING %u %u %u %u %u\n", resent, n, waiting, flushed, t0);
  // The clock wraps between the samples; a jump in time ends a packet; RESUME from before the
  // oldest sample gets the whole ring, and a full ring of unsent samples overruns.
  ring.clear();
  const int16_t z[6] = {0, 0, 0, 0, 0, 0};
  for (int k = 0; k < 6; k++) ring.push(0xFFFFFF00u + 40000u * k + (k >= 4 ? 40000u : 0u), z);
  unsigned after_wrap = ring.resend_after(0xFFFFFF00u + 40000u);     // k = 2..5 (4 samples)
  uint8_t m = ring.next_packet(8, false, 40000, &t0, &period, rows);  // k = 2, 3: then a jump
  printf("WRAP %u %u %u %u\n", after_wrap, m, t0, period);
  ring.clear();
  for (unsigned k = 0; k < diy::RING_SAMPLES + 5u; k++) ring.push(5000u * k, z);
  unsigned overrun = ring.overrun, whole = ring.resend_after(0);
  printf("FULL %u %u %u", whole, overrun, ring.newest(diy::RING_SAMPLES - 1).t_us);
  for (int k = 0; k < 3; k++) ring.push(0, z);       // no sending: the unsent samples overrun
  printf(" %u\n", (unsigned)ring.overrun);
  return 0;
}
