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
  bool start, stop, req;
  const uint8_t rate[] = {0x03, 0x64, 0x00}, range[] = {0x04, 0x02, 0x03}, go[] = {0x01};
  int r1 = diy::apply_control(rate, 3, cfg, &start, &stop, &req);
  int r2 = diy::apply_control(range, 3, cfg, &start, &stop, &req);
  int r3 = diy::apply_control(go, 1, cfg, &start, &stop, &req);
  printf("CFG %d %d %d %u %u %u %d\n", r1, r2, r3, cfg.rate_hz, cfg.acc_code, cfg.gyro_code, start);
  const uint8_t bad[] = {0x03, 0x10, 0x00}, unk[] = {0x7F};
  printf("ERR %d %d\n", diy::apply_control(bad, 3, cfg, &start, &stop, &req),
         diy::apply_control(unk, 1, cfg, &start, &stop, &req));
  for (uint16_t hz = 25; hz <= 400; hz *= 2) {
    cfg.rate_hz = hz;
    printf("SPP %u %u %u %u\n", hz, diy::samples_per_packet(cfg, 247, true),
           diy::samples_per_packet(cfg, 185, true), diy::samples_per_packet(cfg, 23, false));
  }
  return 0;
}
