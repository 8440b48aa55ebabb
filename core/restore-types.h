/* gimp-restore: the core's small shared types, at the bottom of its
 * headers (no other core header is included here).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Pixels: non-linear (gamma) colour values 0..1, channels interleaved.
 * channels: 1 = gray, 2 = gray + alpha, 3 = RGB, 4 = RGBA.
 * rowstride is in floats (>= width * channels). */
typedef struct
{
  float *data;
  int    width;
  int    height;
  int    channels;
  gsize  rowstride;
} RestoreImage;

/* Soft mask, 0 = keep, 1 = restore; rowstride in floats (>= width). */
typedef struct
{
  const float *data;
  int          width;
  int          height;
  gsize        rowstride;
} RestoreMask;

typedef enum
{
  RESTORE_ACT_RELU,
  RESTORE_ACT_LEAKY_RELU,  /* slope 0.2 */
  RESTORE_ACT_ELU,         /* alpha 1 */
  RESTORE_ACT_NONE,
  RESTORE_ACT_COUNT
} RestoreActivation;

/* Pixels (y, x0) .. (y, x1 - 1) of one row of a plane: a run of masked
 * pixels, or of pixels a layer computes. */
typedef struct
{
  int y, x0, x1;
} RestoreSpan;

G_END_DECLS
