/* The board's identity and trust anchors, and the notices the scenario's responder answers
 * with: generated at build time by vectors.sh with the host's recall tool (vectors.c). */
#ifndef RECALL_M3_VECTORS_H
#define RECALL_M3_VECTORS_H

#include <stddef.h>
#include <stdint.h>

#define M3_VENDOR    "acme" /* canonical forms of "Acme", "Sensor-M3" */
#define M3_MODEL     "sensor-m3"
#define M3_FW_OLD    "1.0.0"     /* the recalled build */
#define M3_FW_NEW    "1.0.1"     /* the update, outside the notice's range */
#define M3_WALL_BASE 1780000000u /* 2026-05-28: inside the notice's validity */

/* Anchor set: alice, bob, carol, k = 2 (what the firmware ships). */
extern const uint8_t m3_anchors[];
extern const size_t m3_anchors_len;
/* RC-2026-0017 for acme/sensor-m3 [1.0.0, 1.0.1), signed by alice and carol. */
extern const uint8_t m3_genuine[];
extern const size_t m3_genuine_len;
/* The same with one byte of carol's signature flipped. */
extern const uint8_t m3_forged[];
extern const size_t m3_forged_len;
/* The same signed by alice only (1 of k = 2). */
extern const uint8_t m3_below[];
extern const size_t m3_below_len;
/* RC-2026-0018 for acme/sensor-m4, signed by alice and bob. */
extern const uint8_t m3_other[];
extern const size_t m3_other_len;

#endif
