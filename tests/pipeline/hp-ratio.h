/* The high-pass ratio of bench/quality.py for the pipeline tests of the
 * fine detail added to a fill (grain, texture). */
#pragma once

#include <math.h>

#include <glib.h>

#include "restore-types.h"

/* The benchmark's measure: rms of hp = v - Gaussian (v, sigma 1.5) over
 * the pixels with m > 0, over that over the ring of pixels within 4 px
 * (square) of them, all colour channels. */
static double
hp_ratio (const RestoreImage *img, const float *m)
{
  const int W = img->width, H = img->height;
  int     r = 5;
  double  k[11], sum = 0, fill = 0, ring = 0;
  int     nf = 0, nr = 0;
  float  *t = g_new (float, W * H), *b = g_new (float, W * H);

  for (int i = -r; i <= r; i++)
    sum += k[i + r] = exp (-0.5 * i * i / 2.25);
  for (int i = 0; i <= 2 * r; i++)
    k[i] /= sum;
  for (int c = 0; c < img->channels; c++)
    {
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
          {
            double v = 0;

            for (int i = -r; i <= r; i++)
              v += k[i + r] * img->data[(gsize) y * img->rowstride
                                        + (gsize) CLAMP (x + i, 0, W - 1) * img->channels + c];
            t[y * W + x] = (float) v;
          }
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
          {
            double v = 0;

            for (int i = -r; i <= r; i++)
              v += k[i + r] * t[CLAMP (y + i, 0, H - 1) * W + x];
            b[y * W + x] = (float) v;
          }
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
          {
            double hp = img->data[(gsize) y * img->rowstride + (gsize) x * img->channels + c]
                        - b[y * W + x];
            gboolean near = FALSE;

            if (m[y * W + x] > 0)
              {
                fill += hp * hp;
                nf++;
                continue;
              }
            for (int dy = -4; dy <= 4 && !near; dy++)
              for (int dx = -4; dx <= 4 && !near; dx++)
                {
                  int xx = x + dx, yy = y + dy;

                  near = xx >= 0 && xx < W && yy >= 0 && yy < H && m[yy * W + xx] > 0;
                }
            if (near)
              {
                ring += hp * hp;
                nr++;
              }
          }
    }
  g_free (t);
  g_free (b);
  return sqrt (fill / nf) / sqrt (ring / nr);
}
