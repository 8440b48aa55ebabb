/* gimp-restore: how soft a picture is, region by region (see
 * restore-softness.h): the automatic scale of damage detection.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "restore-softness.h"

/* Automatic scale (scale 0): where the picture is soft, the network at
 * half size is trusted too.  The softness around a pixel is measured per
 * axis: e2 = g - the picture reduced twice along that axis (pair means)
 * and enlarged back (linear), e4 the same with 4; a picture as sharp as
 * the training photos keeps a good share of its detail energy above half
 * its resolution (sum e2^2 / sum e4^2), a picture enlarged twice almost
 * none (the measured ratios: weights/recipe/README.md "Automatic scale").
 * Sums over cells of SOFT_CELL x SOFT_CELL pixels, windows of (2
 * SOFT_REACH + 1)^2 cells (40 px), the larger ratio of the two axes (a
 * photo blurred by motion along one axis stays sharp along the other),
 * the weight 1 at or below SOFT_LOW, 0 at or above SOFT_HIGH, linear
 * between (the thresholds chosen on the 13 held-out training photos;
 * bench/detect-scale.py, weights/recipe/README.md "Automatic scale").
 * Noise would make any picture look sharp, and film grain (noise blurred
 * over a pixel or two) more so, so each sum first loses the share of the
 * picture's noise, measured where the picture is flattest: per 32 x 32
 * block (whole blocks only), the mean of each of the four energies and of
 * the gray; per eighth of the gray range, SOFT_NOISE_SCALE times the 10th
 * percentile of the blocks' energies (with at least SOFT_NOISE_MIN blocks
 * there); for a window, that floor at the window's mean gray, linear
 * between the centres of the eighths (grain is strongest in the mid-tones
 * and a scanner's noise grows with the light), held beyond the outer
 * ones. */
#define SOFT_REACH        2
#define SOFT_LOW          0.17
#define SOFT_HIGH         0.19
#define SOFT_EPS          1e-6        /* per pixel, in squared 0..1 gray units */
#define SOFT_NOISE_BLOCK  32          /* a multiple of SOFT_CELL */
#define SOFT_NOISE_SCALE  1.1
#define SOFT_NOISE_BINS   8
#define SOFT_NOISE_MIN    3

static int
soft_compare (const void *a,
              const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* The 10th percentile of @v (@n > 0 values, sorted here), linear between
 * ranks. */
static double
soft_percentile10 (double *v,
                   int     n)
{
  double pos = 0.1 * (n - 1);
  int    i = (int) pos;

  qsort (v, n, sizeof (double), soft_compare);
  return v[i] + (i + 1 < n ? (pos - i) * (v[i + 1] - v[i]) : 0.0);
}

/* The sum over whole block (@bx, @by) of the [gh, gw] cell sums @cell_sum. */
static double
soft_block_sum (const double *cell_sum,
                int           gw,
                int           bx,
                int           by)
{
  const int k = SOFT_NOISE_BLOCK / SOFT_CELL;
  double    sum = 0.0;

  for (int cy = by * k; cy < (by + 1) * k; cy++)
    for (int cx = bx * k; cx < (bx + 1) * k; cx++)
      sum += cell_sum[(gsize) cy * gw + cx];
  return sum;
}

/* Each of the @bw x @bh whole blocks' eighth of the gray range, from the
 * gray's cell sums @gray_sum (the same for all four energies). */
static int *
soft_block_bins (const double *gray_sum,
                 int           gw,
                 int           bw,
                 int           bh)
{
  int   *bin = g_new (int, (gsize) bw * bh);
  double area = (double) SOFT_NOISE_BLOCK * SOFT_NOISE_BLOCK;

  for (int by = 0; by < bh; by++)
    for (int bx = 0; bx < bw; bx++)
      bin[by * bw + bx] = CLAMP ((int) (soft_block_sum (gray_sum, gw, bx, by) / area
                                        * SOFT_NOISE_BINS), 0, SOFT_NOISE_BINS - 1);
  return bin;
}

/* The noise floors of one energy (see above): @cell_sum its sums over
 * the [gh, gw] cells, @bin the blocks' gray bins (soft_block_bins()), for
 * @bw x @bh whole blocks; into @floors (SOFT_NOISE_BINS values, per
 * pixel) and @valid (whether a bin has its own; with too few blocks in
 * every bin, one floor for all, kept in bin 0). */
static void
soft_noise_floors (const double *cell_sum,
                   const int    *bin,
                   int           gw,
                   int           bw,
                   int           bh,
                   double       *floors,
                   gboolean     *valid)
{
  double  *v = g_new (double, (gsize) bw * bh);
  double  *mine = g_new (double, (gsize) bw * bh);
  double   area = (double) SOFT_NOISE_BLOCK * SOFT_NOISE_BLOCK;
  gboolean any = FALSE;

  for (int by = 0; by < bh; by++)
    for (int bx = 0; bx < bw; bx++)
      v[by * bw + bx] = soft_block_sum (cell_sum, gw, bx, by) / area;
  for (int b = 0; b < SOFT_NOISE_BINS; b++)
    {
      int n = 0;

      for (int i = 0; i < bw * bh; i++)
        if (bin[i] == b)
          mine[n++] = v[i];
      valid[b] = n >= SOFT_NOISE_MIN;
      floors[b] = valid[b] ? SOFT_NOISE_SCALE * soft_percentile10 (mine, n) : 0.0;
      any = any || valid[b];
    }
  if (! any)
    {
      /* too few blocks to tell the gray levels apart: one floor */
      double all = SOFT_NOISE_SCALE * soft_percentile10 (v, bw * bh);

      for (int b = 0; b < SOFT_NOISE_BINS; b++)
        floors[b] = all, valid[b] = b == 0;
    }
  g_free (v);
  g_free (mine);
}

/* The floor at mean gray @g: linear between the centres of the valid
 * bins, held beyond the outer ones. */
static double
soft_floor_at (const double   *floors,
               const gboolean *valid,
               double          g)
{
  int    lo = -1, hi = -1;
  double x = g * SOFT_NOISE_BINS - 0.5;   /* in bins, centres at whole numbers */

  for (int b = 0; b < SOFT_NOISE_BINS; b++)
    if (valid[b])
      {
        if (b <= x)
          lo = b;
        if (b >= x && hi < 0)
          hi = b;
      }
  if (lo < 0 && hi < 0)
    return 0.0;   /* no valid bin (cannot happen with a finite @g) */
  if (lo < 0)
    return floors[hi];
  if (hi < 0 || hi == lo)
    return floors[lo];
  return floors[lo] + (x - lo) / (hi - lo) * (floors[hi] - floors[lo]);
}

/* @line (@n values) reduced @f times (means of @f, the last block
 * smaller) into @red, then each value's residual from the linear
 * enlargement of @red, squared, into @res. */
static void
soft_residual (const float *line,
               int          n,
               int          f,
               float       *red,
               float       *res)
{
  int m = (n + f - 1) / f;

  for (int i = 0; i < m; i++)
    {
      int    i0 = i * f, i1 = MIN (i0 + f, n);
      double sum = 0.0;

      for (int j = i0; j < i1; j++)
        sum += line[j];
      red[i] = (float) (sum / (i1 - i0));
    }
  for (int j = 0; j < n; j++)
    {
      int    t0, t1;
      double a = restore_reduced_position (j, f, m, &t0, &t1);
      double e = line[j] - (red[t0] + a * (red[t1] - red[t0]));

      res[j] = (float) (e * e);
    }
}

/* @dst: each cell of @src summed with its neighbours within SOFT_REACH
 * along one axis (@n cells along it, @stride apart), for @lines lines of
 * cells @pitch apart. */
static void
soft_box (const double *src,
          double       *dst,
          int           n,
          gsize         stride,
          int           lines,
          gsize         pitch)
{
  for (int l = 0; l < lines; l++)
    for (int i = 0; i < n; i++)
      {
        double acc = 0.0;

        for (int j = MAX (i - SOFT_REACH, 0); j <= MIN (i + SOFT_REACH, n - 1); j++)
          acc += src[l * pitch + j * stride];
        dst[l * pitch + i * stride] = acc;
      }
}

/* The softness weights of @src on the cell grid ([gh, gw], SOFT_CELL
 * pixels a cell): 1 where the picture is as soft as one enlarged twice, 0
 * where it is sharp (see above). */
float *
restore_softness_weights (const RestoreImage *src,
                 int                *gw_out,
                 int                *gh_out)
{
  int     w = src->width, h = src->height;
  int     gw = (w + SOFT_CELL - 1) / SOFT_CELL, gh = (h + SOFT_CELL - 1) / SOFT_CELL;
  gsize   cells = (gsize) gw * gh;
  int     nc = MIN (src->channels, 3) == 2 ? 1 : MIN (src->channels, 3);
  float  *gray = g_new (float, (gsize) w * h);
  float  *red = g_new (float, w), *r2 = g_new (float, w), *r4 = g_new (float, w);
  /* e2 x, e4 x, e2 y, e4 y, gray */
  double *sum = g_new0 (double, 5 * cells);
  double *win = g_new (double, 5 * cells);
  float  *weight = g_new (float, cells);
  int      bw = w / SOFT_NOISE_BLOCK, bh = h / SOFT_NOISE_BLOCK;
  double   floors[4][SOFT_NOISE_BINS];
  gboolean valid[4][SOFT_NOISE_BINS];

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        const float *p = src->data + (gsize) y * src->rowstride + (gsize) x * src->channels;
        float        v = 0.0f;

        /* each sample as the network sees it, clamped to 0..1 (NaN as
         * 0), so a sample that is not a finite number measures like any
         * other */
        for (int c = 0; c < nc; c++)
          v += p[c] > 0.0f ? (p[c] < 1.0f ? p[c] : 1.0f) : 0.0f;
        gray[(gsize) y * w + x] = v / nc;
        sum[4 * cells + (gsize) (y / SOFT_CELL) * gw + x / SOFT_CELL] += v / nc;
      }
  for (int y = 0; y < h; y++)
    {
      const float *row = gray + (gsize) y * w;
      double      *s = sum + (gsize) (y / SOFT_CELL) * gw;

      soft_residual (row, w, 2, red, r2);
      soft_residual (row, w, 4, red, r4);
      for (int x = 0; x < w; x++)
        {
          s[x / SOFT_CELL] += r2[x];
          s[cells + x / SOFT_CELL] += r4[x];
        }
    }
  /* along y, row by row: the picture reduced 2 and 4 times along y */
  for (int k = 0; k < 2; k++)
    {
      int    f = k == 0 ? 2 : 4, m = (h + f - 1) / f;
      float *rows = g_new0 (float, (gsize) m * w);

      for (int y = 0; y < h; y++)
        {
          const float *row = gray + (gsize) y * w;
          float       *r = rows + (gsize) (y / f) * w;

          for (int x = 0; x < w; x++)
            r[x] += row[x];
        }
      for (int i = 0; i < m; i++)
        {
          float inv = 1.0f / (MIN (i * f + f, h) - i * f);

          for (int x = 0; x < w; x++)
            rows[(gsize) i * w + x] *= inv;
        }
      for (int y = 0; y < h; y++)
        {
          int          t0, t1;
          float        a = (float) restore_reduced_position (y, f, m, &t0, &t1);
          const float *row = gray + (gsize) y * w;
          const float *u = rows + (gsize) t0 * w, *v = rows + (gsize) t1 * w;
          double      *s = sum + (2 + k) * cells + (gsize) (y / SOFT_CELL) * gw;

          for (int x = 0; x < w; x++)
            {
              float e = row[x] - (u[x] + a * (v[x] - u[x]));

              s[x / SOFT_CELL] += e * e;
            }
        }
      g_free (rows);
    }

  if (bw * bh > 0)
    {
      int *bin = soft_block_bins (sum + 4 * cells, gw, bw, bh);

      for (int k = 0; k < 4; k++)
        soft_noise_floors (sum + k * cells, bin, gw, bw, bh, floors[k], valid[k]);
      g_free (bin);
    }
  else
    for (int k = 0; k < 4; k++)
      for (int b = 0; b < SOFT_NOISE_BINS; b++)
        floors[k][b] = 0.0, valid[k][b] = TRUE;
  /* noise is the same along both axes, stripes and other texture along
   * one are not: the smaller floor of the two (the bins are the same) */
  for (int k = 0; k < 2; k++)
    for (int b = 0; b < SOFT_NOISE_BINS; b++)
      floors[k][b] = floors[k + 2][b] = MIN (floors[k][b], floors[k + 2][b]);

  /* window sums, separably: along x into win, then along y back into sum */
  for (int k = 0; k < 5; k++)
    {
      soft_box (sum + k * cells, win + k * cells, gw, 1, gh, (gsize) gw);
      soft_box (win + k * cells, sum + k * cells, gh, (gsize) gw, gw, 1);
    }
  for (int cy = 0; cy < gh; cy++)
    for (int cx = 0; cx < gw; cx++)
      {
        gsize  c = (gsize) cy * gw + cx;
        /* the pixels in the window, for the floor of the denominator */
        int    px = MIN ((cx + SOFT_REACH + 1) * SOFT_CELL, w) - MAX (cx - SOFT_REACH, 0) * SOFT_CELL;
        int    py = MIN ((cy + SOFT_REACH + 1) * SOFT_CELL, h) - MAX (cy - SOFT_REACH, 0) * SOFT_CELL;
        double area = (double) px * py, floor_ = SOFT_EPS * area;
        double g = sum[4 * cells + c] / area, r = 0.0;

        for (int axis = 0; axis < 2; axis++)
          {
            double e2 = sum[2 * axis * cells + c]
                        - area * soft_floor_at (floors[2 * axis], valid[2 * axis], g);
            double e4 = sum[(2 * axis + 1) * cells + c]
                        - area * soft_floor_at (floors[2 * axis + 1], valid[2 * axis + 1], g);

            r = MAX (r, MAX (e2, 0.0) / (MAX (e4, 0.0) + floor_));
          }

        weight[c] = (float) CLAMP ((SOFT_HIGH - r) / (SOFT_HIGH - SOFT_LOW), 0.0, 1.0);
      }
  g_free (gray);
  g_free (red);
  g_free (r2);
  g_free (r4);
  g_free (sum);
  g_free (win);
  *gw_out = gw;
  *gh_out = gh;
  return weight;
}

/* The network on @src reduced @f times, its probabilities enlarged into
 * @prob. */
