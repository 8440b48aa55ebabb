/* gimp-restore: how soft a picture is, region by region; internal to
 * core/ (restore-detect.c's automatic scale, restore-softness.c).
 */
#pragma once

#include <glib.h>

#include "restore-types.h"

G_BEGIN_DECLS

/* pixels per side of a cell of the softness grid */
#define SOFT_CELL 8

/* Where sample @j of a line lies in that line reduced @f times (@m
 * samples; pixel centres aligned, edges clamped): between samples @t0 and
 * @t1, the returned fraction of the way from @t0. */
static inline double
restore_reduced_position (int  j,
                          int  f,
                          int  m,
                          int *t0,
                          int *t1)
{
  double t = CLAMP ((j + 0.5) / f - 0.5, 0.0, (double) (m - 1));

  *t0 = (int) t;
  *t1 = MIN (*t0 + 1, m - 1);
  return t - *t0;
}

/* The softness weights of @src on the cell grid ([*gh_out, *gw_out],
 * SOFT_CELL pixels a cell; g_free() them): 1 where the picture is as soft
 * as one enlarged twice, 0 where it is as sharp as the training photos,
 * its noise taken off (restore-softness.c explains the measure). */
float *restore_softness_weights (const RestoreImage *src,
                                 int                *gw_out,
                                 int                *gh_out);

G_END_DECLS
