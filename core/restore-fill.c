/* gimp-restore: filling holes from their border, push-pull and membrane
 * (see restore-fill.h).  Used by the U-Net's pre-fill (restore-unet.c).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "restore-fill.h"

/* Levels of the push-pull pyramid: level 0 is the input, each next one
 * halves the size (rounded up) until 1x1. */
static int
push_pull_levels (int height,
                  int width)
{
  int n = 1;

  while (height > 1 || width > 1)
    {
      height = (height + 1) / 2;
      width = (width + 1) / 2;
      n++;
    }
  return n;
}

/**
 * restore_fill_push_pull_floats:
 * Scratch floats restore_fill_push_pull() needs: the channels and the
 * weight of every level below the input, and with @sweeps a copy of the
 * largest level's weighted values.
 */
gsize
restore_fill_push_pull_floats (int channels,
                              int height,
                              int width,
                              int sweeps)
{
  /* with sweeps: the weighted values' copy and the relaxed cells' list */
  gsize total = sweeps > 0 ? (gsize) (channels + 1) * height * width : 0;
  int   levels = push_pull_levels (height, width);

  for (int l = 1; l < levels; l++)
    {
      height = (height + 1) / 2;
      width = (width + 1) / 2;
      total += (gsize) (channels + 1) * height * width;
    }
  return total;
}

/* 2x2 box sum of one plane: (a + b) + (c + d), outside cells are 0. */
static void
box_sum2 (const float *src,
          int          h,
          int          w,
          float       *dst)
{
  int h2 = (h + 1) / 2, w2 = (w + 1) / 2;

  for (int y = 0; y < h2; y++)
    {
      const float *r0 = src + (gsize) (2 * y) * w;
      const float *r1 = 2 * y + 1 < h ? r0 + w : NULL;

      for (int x = 0; x < w2; x++)
        {
          int   x0 = 2 * x, x1 = 2 * x + 1;
          float a = r0[x0], b = x1 < w ? r0[x1] : 0.0f;
          float c = r1 ? r1[x0] : 0.0f, d = r1 && x1 < w ? r1[x1] : 0.0f;

          dst[(gsize) y * w2 + x] = (a + b) + (c + d);
        }
    }
}

/* Bilinear 2x sample position along one axis (see restore-ops.h). */
static void
up_index (int    i,
          int    n_coarse,
          int   *i0,
          int   *i1,
          float *t)
{
  double s = (i + 0.5) * 0.5 - 0.5;

  if (s < 0.0)
    s = 0.0;
  if (s > n_coarse - 1)
    s = n_coarse - 1;
  *i0 = (int) s;
  *i1 = MIN (*i0 + 1, n_coarse - 1);
  *t = (float) (s - *i0);
}

/* One pull step: @p [channels, h, w] weighted sums with weights @wt become
 * the filled values, using the filled coarser level @f [channels, hc, wc].
 * Where w >= 1 (a = 1) the coarser level does not count: f = p / w. */
static void
pull_level (float       *p,
            const float *wt,
            int          channels,
            int          h,
            int          w,
            const float *f,
            int          hc,
            int          wc)
{
  gsize plane = (gsize) h * w;

  for (int y = 0; y < h; y++)
    {
      int   y0, y1;
      float ty;

      up_index (y, hc, &y0, &y1, &ty);
      for (int x = 0; x < w; x++)
        {
          gsize i = (gsize) y * w + x;
          float wv = wt[i];
          float a = wv < 1.0f ? wv : 1.0f;
          int   x0, x1;
          float tx;

          if (wv >= 1.0f)
            {
              for (int c = 0; c < channels; c++)
                p[(gsize) c * plane + i] /= wv;
              continue;
            }
          up_index (x, wc, &x0, &x1, &tx);
          for (int c = 0; c < channels; c++)
            {
              const float *fc = f + (gsize) c * hc * wc;
              float        r0 = fc[(gsize) y0 * wc + x0] * (1.0f - ty) +
                                fc[(gsize) y1 * wc + x0] * ty;
              float        r1 = fc[(gsize) y0 * wc + x1] * (1.0f - ty) +
                                fc[(gsize) y1 * wc + x1] * ty;
              float        u = r0 * (1.0f - tx) + r1 * tx;
              float       *pc = p + (gsize) c * plane + i;

              if (wv > 0.0f)
                *pc = a * (*pc / (wv > 1e-12f ? wv : 1e-12f)) + (1.0f - a) * u;
              else
                *pc = u;
            }
        }
    }
}

/* The cells relax_level updates (w < 1) as flat indices into @cells: the
 * red ones ((x + y) even) from the start, their count in *@n_red, the black
 * ones from the end backwards, their count in *@n_black.  A cell on the
 * level's edge is stored as -(index + 1): its neighbours are clamped. */
static void
relax_cells (const float *wt,
             int          h,
             int          w,
             gint32      *cells,
             gsize       *n_red,
             gsize       *n_black)
{
  gsize  plane = (gsize) h * w;
  gsize  r = 0, b = 0;

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        gsize  i = (gsize) y * w + x;
        gint32 e;

        if (! (wt[i] < 1.0f))
          continue;
        e = (gint32) i;
        if (y == 0 || y == h - 1 || x == 0 || x == w - 1)
          e = -e - 1;
        if (((x + y) & 1) == 0)
          cells[r++] = e;
        else
          cells[plane - 1 - b++] = e;
      }
  *n_red = r;
  *n_black = b;
}

/* @sweeps red-black Gauss-Seidel sweeps, in place, of
 *   f = p + (1 - w) * ((up + down) + (left + right)) * 0.25
 * on the cells with w < 1 (edges replicated); the other cells are held.
 * A cell of one colour reads only cells of the other colour (or itself, at
 * an edge), so the in-place update equals model.py's vectorised one, in
 * whatever order the cells of a colour come.  @cells: h * w indices of
 * scratch for relax_cells(). */
static void
relax_level (float       *f,
             const float *p,
             const float *wt,
             int          channels,
             int          h,
             int          w,
             int          sweeps,
             gint32      *cells)
{
  gsize plane = (gsize) h * w;
  gsize n[2];

  relax_cells (wt, h, w, cells, &n[0], &n[1]);
  for (int s = 0; s < sweeps; s++)
    for (int colour = 0; colour < 2; colour++)
      {
        const gint32 *list = colour == 0 ? cells : cells + plane - n[1];

        for (gsize j = 0; j < n[colour]; j++)
          {
            gint32 e = list[j];
            gsize  i, up, down, left, right;
            float  k;

            if (e >= 0)
              {
                i = (gsize) e;
                up = i - w;
                down = i + w;
                left = i - 1;
                right = i + 1;
              }
            else
              {
                gsize y, x;

                i = (gsize) (-(e + 1));
                y = i / w;
                x = i % w;
                up = y > 0 ? i - w : i;
                down = y < (gsize) h - 1 ? i + w : i;
                left = x > 0 ? i - 1 : i;
                right = x < (gsize) w - 1 ? i + 1 : i;
              }
            k = 1.0f - wt[i];
            for (int c = 0; c < channels; c++)
              {
                float *fc = f + (gsize) c * plane;
                float  m = ((fc[up] + fc[down]) + (fc[left] + fc[right])) * 0.25f;

                fc[i] = p[(gsize) c * plane + i] + k * m;
              }
          }
      }
}

/**
 * restore_fill_push_pull:
 * See restore-ops.h.
 */
void
restore_fill_push_pull (float       *values,
                       const float *weight,
                       int          channels,
                       int          height,
                       int          width,
                       int          sweeps,
                       float       *scratch)
{
  int    levels = push_pull_levels (height, width);
  float *pv[32];
  float *pw[32];
  int    hs[32], ws[32];
  float *keep = NULL;    /* the level's weighted values, for relax_level */
  gint32 *cells = NULL;  /* its relaxed cells */
  float *pos = scratch;

  g_return_if_fail (levels <= 32);
  if (sweeps > 0)
    {
      keep = pos;
      pos += (gsize) channels * height * width;
      cells = (gint32 *) pos;    /* sizeof (gint32) == sizeof (float) */
      pos += (gsize) height * width;
    }
  pv[0] = values;
  pw[0] = (float *) weight;    /* read only: level 0 is never written */
  hs[0] = height;
  ws[0] = width;
  for (int l = 1; l < levels; l++)
    {
      hs[l] = (hs[l - 1] + 1) / 2;
      ws[l] = (ws[l - 1] + 1) / 2;
      pv[l] = pos;
      pos += (gsize) channels * hs[l] * ws[l];
      pw[l] = pos;
      pos += (gsize) hs[l] * ws[l];
      for (int c = 0; c < channels; c++)
        box_sum2 (pv[l - 1] + (gsize) c * hs[l - 1] * ws[l - 1],
                  hs[l - 1], ws[l - 1], pv[l] + (gsize) c * hs[l] * ws[l]);
      box_sum2 (pw[l - 1], hs[l - 1], ws[l - 1], pw[l]);
    }

  for (int l = levels - 1; l >= 0; l--)
    {
      gsize n = (gsize) hs[l] * ws[l];

      if (keep)
        memcpy (keep, pv[l], (gsize) channels * n * sizeof (float));
      if (l == levels - 1)
        {
          /* coarsest level: the weighted mean, 0 where nothing is known */
          for (gsize i = 0; i < n; i++)
            for (int c = 0; c < channels; c++)
              {
                float *v = pv[l] + (gsize) c * n + i;
                float  wv = pw[l][i];

                *v = wv > 0.0f ? *v / (wv > 1e-12f ? wv : 1e-12f) : 0.0f;
              }
        }
      else
        pull_level (pv[l], pw[l], channels, hs[l], ws[l], pv[l + 1],
                    hs[l + 1], ws[l + 1]);
      if (keep)
        relax_level (pv[l], keep, pw[l], channels, hs[l], ws[l], sweeps, cells);
    }
}
