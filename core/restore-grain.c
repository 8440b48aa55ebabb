/* gimp-restore: film grain matched into the restored pixels (see
 * restore-grain.h for the measurement and the synthesis).
 *
 * Two passes over the image, in bands of rows, so nothing but the gray
 * level map grows with the box: the first blurs the work area and gathers
 * the blocks' and the fill's statistics; the second makes the noise of a
 * band (hashed, blurred to the grain's size) and adds it where the mask is
 * set.
 */
#include "config.h"

/* The blurs are plain loops along rows: let GCC vectorise them at -O2. */
#if defined (__GNUC__) && ! defined (__clang__)
#pragma GCC optimize ("tree-vectorize", "vect-cost-model=dynamic")
#endif

#include <math.h>
#include <string.h>

#include "restore-grain.h"
#include "restore-tile.h"
#include "restore-grain-private.h"

/* Raw (non-finite read as 0) and Gaussian-blurred colour channels of
 * [rx0, rx1) x [ry0, ry1), planar [nc][rows][cols]; reads beyond the image
 * repeat its edge.  @tmp: nc * (rows + 2 HP_RADIUS) * cols floats. */
static void
grain_blur_rect (const Grain *gr,
                 int          rx0,
                 int          ry0,
                 int          rx1,
                 int          ry1,
                 float       *raw,
                 float       *out,
                 float       *tmp)
{
  const RestoreImage *im = gr->im;
  int                 cols = rx1 - rx0, rows = ry1 - ry0;
  int                 trows = rows + 2 * HP_RADIUS;
  /* one row with its reach, edges repeated: the sums below then run
   * along the row without a branch (and vectorise) */
  float              *line = g_new (float, cols + 2 * HP_RADIUS);

  for (int c = 0; c < gr->nc; c++)
    {
      float *t = tmp + (gsize) c * trows * cols;

      for (int r = 0; r < trows; r++)
        {
          int    y = CLAMP (ry0 - HP_RADIUS + r, 0, im->height - 1);
          float *tr = t + (gsize) r * cols;

          for (int i = 0; i < cols + 2 * HP_RADIUS; i++)
            line[i] = restore_image_value (im, CLAMP (rx0 - HP_RADIUS + i, 0, im->width - 1), y, c);
          for (int x = 0; x < cols; x++)
            tr[x] = 0.0f;
          for (int k = 0; k <= 2 * HP_RADIUS; k++)
            {
              float        g = gr->g[k];
              const float *l = line + k;

              for (int x = 0; x < cols; x++)
                tr[x] += g * l[x];
            }
        }
      for (int r = 0; r < rows; r++)
        {
          float *o = out + ((gsize) c * rows + r) * cols;

          for (int x = 0; x < cols; x++)
            o[x] = 0.0f;
          for (int k = 0; k <= 2 * HP_RADIUS; k++)
            {
              float        g = gr->g[k];
              const float *tk = t + (gsize) (r + k) * cols;

              for (int x = 0; x < cols; x++)
                o[x] += g * tk[x];
            }
          for (int x = 0; x < cols; x++)
            raw[((gsize) c * rows + r) * cols + x] = restore_image_value (im, rx0 + x, ry0 + r, c);
        }
    }
  g_free (line);
}

static inline float
grain_mask (const RestoreMask *mask,
            int                x,
            int                y)
{
  return mask->data[(gsize) y * mask->rowstride + x];
}

/* The nearest bin of a luminance. */
static inline int
grain_bin (double lum)
{
  int b = (int) floor (lum * NB);

  return CLAMP (b, 0, NB - 1);
}

/* Pass 1: the blocks of the work area and the fill's hp^2 per cell and
 * bin; the gray level map of the box.  FALSE when cancelled. */
static gboolean
grain_measure (Grain      *gr,
               const gint *cancel)
{
  int    cols = gr->wx1 - gr->wx0;
  int    nc = gr->nc;
  /* GROUP block rows blurred at once: the blur's reach is computed once
   * for them all, not for each */
  int    group = GROUP * BLOCK;
  float *raw = g_new (float, (gsize) nc * group * cols);
  float *blur = g_new (float, (gsize) nc * group * cols);
  float *tmp = g_new (float, (gsize) nc * (group + 2 * HP_RADIUS) * cols);
  float *hp = g_new (float, (gsize) nc * group * cols);
  int    gy0 = 0, grows = 0;   /* the rows blurred */

  for (int by = 0; by < gr->nby; by++)
    {
      int ry0 = gr->wy0 + by * BLOCK, ry1 = MIN (ry0 + BLOCK, gr->wy1);
      int rows = ry1 - ry0, off;

      if (cancel != NULL && g_atomic_int_get (cancel))
        {
          g_free (raw);
          g_free (blur);
          g_free (tmp);
          g_free (hp);
          return FALSE;
        }
      if (by % GROUP == 0)
        {
          gy0 = ry0;
          grows = MIN (group, gr->wy1 - gy0);
          grain_blur_rect (gr, gr->wx0, gy0, gr->wx1, gy0 + grows, raw, blur, tmp);
          for (gsize i = 0; i < (gsize) nc * grows * cols; i++)
            hp[i] = raw[i] - blur[i];
        }
      off = ry0 - gy0;

      /* Which blocks of the row have a masked pixel near them, or a
       * sample that is not a number. */
      for (int bx = 0; bx < gr->nbx; bx++)
        {
          Block *b = &gr->blocks[(gsize) by * gr->nbx + bx];
          int    cx0 = MAX (gr->wx0 + bx * BLOCK - CLEAR, 0);
          int    cx1 = MIN (gr->wx0 + bx * BLOCK + BLOCK + CLEAR, gr->im->width);
          int    cy0 = MAX (ry0 - CLEAR, 0), cy1 = MIN (ry1 + CLEAR, gr->im->height);

          for (int y = cy0; y < cy1 && !b->bad; y++)
            for (int x = cx0; x < cx1; x++)
              if (grain_mask (gr->mask, x, y) > 0.0f)
                {
                  b->bad = 1;
                  break;
                }
        }

      for (int r = 0; r < rows; r++)
        {
          int y = ry0 + r;

          for (int x = gr->wx0; x < gr->wx1; x++)
            {
              int    i = x - gr->wx0;
              Block *b = &gr->blocks[(gsize) by * gr->nbx + i / BLOCK];
              double lum = 0.0;
              float  h[3];

              for (int c = 0; c < nc; c++)
                {
                  gsize o = ((gsize) c * grows + off + r) * cols + i;

                  h[c] = hp[o];
                  lum += blur[o];
                  if (!isfinite (gr->im->data[(gsize) y * gr->im->rowstride
                                              + (gsize) x * gr->im->channels + c]))
                    b->bad = 1;
                  if (!(raw[o] > 0.0f && raw[o] < 1.0f))
                    b->clipped = 1;
                }
              lum /= nc;

              b->n++;
              b->lum += lum;
              for (int c = 0; c < nc; c++)
                {
                  b->s[c] += h[c];
                  b->s2[c] += (double) h[c] * h[c];
                }
              if (nc == 3)
                {
                  b->cross[0] += (double) h[0] * h[1];
                  b->cross[1] += (double) h[0] * h[2];
                  b->cross[2] += (double) h[1] * h[2];
                }
              /* lag-1 pairs inside the block: across and down */
              if (i % BLOCK != BLOCK - 1 && x + 1 < gr->wx1)
                {
                  for (int c = 0; c < nc; c++)
                    b->lag += (double) h[c] * hp[((gsize) c * grows + off + r) * cols + i + 1];
                  b->pairs++;
                }
              if (r + 1 < rows)
                {
                  for (int c = 0; c < nc; c++)
                    b->lag += (double) h[c] * hp[((gsize) c * grows + off + r + 1) * cols + i];
                  b->pairs++;
                }

              /* the box: gray level map and the fill's high-pass */
              if (x >= gr->x0 && x < gr->x1 && y >= gr->y0 && y < gr->y1)
                {
                  float  m = grain_mask (gr->mask, x, y);
                  gsize  bi = (gsize) (y - gr->y0) * gr->bw + (x - gr->x0);
                  double lc = CLAMP (lum, 0.0, 1.0);

                  gr->gray[bi] = (guint8) (lc * 255.0 + 0.5);
                  if (m > 0.0f)
                    {
                      /* the cells and bins the synthesis interpolates */
                      double fx = (x - gr->x0 + 0.5) / CELL - 0.5;
                      double fy = (y - gr->y0 + 0.5) / CELL - 0.5;
                      double fb = gr->gray[bi] / 255.0 * NB - 0.5;
                      int    cx = (int) floor (fx), cy = (int) floor (fy);
                      int    b0 = (int) floor (fb);
                      guint8 bits = 0;

                      for (int k = b0; k <= b0 + 1; k++)
                        bits |= 1u << CLAMP (k, 0, NB - 1);
                      for (int dy = 0; dy <= 1; dy++)
                        for (int dx = 0; dx <= 1; dx++)
                          gr->needed[(gsize) CLAMP (cy + dy, 0, gr->ncy - 1) * gr->ncx
                                     + CLAMP (cx + dx, 0, gr->ncx - 1)] |= bits;
                      gr->row_has[y - gr->y0] = 1;
                    }
                  if (m >= 0.5f)
                    {
                      gsize cell = (gsize) ((y - gr->y0) / CELL) * gr->ncx + (x - gr->x0) / CELL;
                      int   bin = grain_bin (lc);

                      for (int c = 0; c < nc; c++)
                        gr->fill_s2[(cell * NB + bin) * 3 + c] += (double) h[c] * h[c];
                      gr->fill_n[cell * NB + bin]++;
                    }
                }
            }
        }
    }

  for (gsize k = 0; k < (gsize) gr->nbx * gr->nby; k++)
    {
      Block *b = &gr->blocks[k];

      b->bin = -1;
      if (b->bad || b->n < MIN_BLOCK_N)
        continue;
      for (int c = 0; c < nc; c++)
        {
          double mean = b->s[c] / b->n;

          b->var[c] = (float) MAX (b->s2[c] / b->n - mean * mean, 0.0);
        }
      b->bin = grain_bin (b->lum / b->n);
    }
  g_free (raw);
  g_free (blur);
  g_free (tmp);
  g_free (hp);
  return TRUE;
}

/* Fills the bins of @val ([NB][3]) whose @have is FALSE from their
 * neighbours: linear between two bins that have a value, constant beyond
 * the outermost.  FALSE when no bin has one. */
static gboolean
grain_fill_bins (double         val[NB][3],
                 const gboolean have[NB])
{
  int prev = -1;

  for (int b = 0; b < NB; b++)
    if (have[b])
      {
        for (int k = prev + 1; k < b; k++)
          for (int c = 0; c < 3; c++)
            val[k][c] = prev < 0 ? val[b][c]
                                 : val[prev][c] + (val[b][c] - val[prev][c])
                                                  * (k - prev) / (double) (b - prev);
        prev = b;
      }
  if (prev < 0)
    return FALSE;
  for (int k = prev + 1; k < NB; k++)
    for (int c = 0; c < 3; c++)
      val[k][c] = val[prev][c];
  return TRUE;
}

/** restore_grain_apply: See restore-grain.h. */
gboolean
restore_grain_apply (RestoreImage      *image,
                     const RestoreMask *mask,
                     int                x0,
                     int                y0,
                     int                x1,
                     int                y1,
                     double             strength,
                     guint32            seed,
                     const gint        *cancel,
                     RestoreGrainStats *stats)
{
  Grain     gr;
  int       nc, ncell, nvalid = 0;
  double    floor_v[NB][3], gmed[NB][3], gfill[NB][3];
  gboolean  have[NB], have_floor[NB];
  double    lag = 0.0, hp2 = 0.0, cov = 0.0, norm = 0.0, size, rho, hvar, rho1;
  double    q_ratio, med_ratio;
  int       pairs = 0, n = 0, used = 0;
  float    *vals = NULL, kern[2 * 9 + 1];
  double   *amp = NULL;
  gboolean  ok = TRUE;
  int       rk;

  g_return_val_if_fail (image != NULL && mask != NULL, FALSE);
  g_return_val_if_fail (mask->width == image->width && mask->height == image->height, FALSE);

  if (stats != NULL)
    memset (stats, 0, sizeof *stats);
  nc = image->channels < 3 ? 1 : 3;
  if (stats != NULL)
    stats->channels = nc;
  if (!(strength > 0.0))
    return TRUE;
  if (x1 <= x0 && !restore_mask_box (mask, &x0, &y0, &x1, &y1))
    return TRUE;

  memset (&gr, 0, sizeof gr);
  gr.im = image;
  gr.mask = mask;
  gr.nc = nc;
  gr.x0 = x0;
  gr.y0 = y0;
  gr.x1 = x1;
  gr.y1 = y1;
  gr.bw = x1 - x0;
  gr.bh = y1 - y0;
  gr.wx0 = MAX (x0 - RESTORE_GRAIN_REACH, 0);
  gr.wy0 = MAX (y0 - RESTORE_GRAIN_REACH, 0);
  gr.wx1 = MIN (x1 + RESTORE_GRAIN_REACH, image->width);
  gr.wy1 = MIN (y1 + RESTORE_GRAIN_REACH, image->height);
  gr.nbx = (gr.wx1 - gr.wx0 + BLOCK - 1) / BLOCK;
  gr.nby = (gr.wy1 - gr.wy0 + BLOCK - 1) / BLOCK;
  gr.ncx = (gr.bw + CELL - 1) / CELL;
  gr.ncy = (gr.bh + CELL - 1) / CELL;
  ncell = gr.ncx * gr.ncy;
  {
    double e = 0.0;

    for (int i = -HP_RADIUS; i <= HP_RADIUS; i++)
      e += gr.g[i + HP_RADIUS] = (float) exp (-0.5 * i * i
                                              / (RESTORE_GRAIN_HP_SIGMA * RESTORE_GRAIN_HP_SIGMA));
    for (int i = 0; i <= 2 * HP_RADIUS; i++)
      gr.g[i] = (float) (gr.g[i] / e);
  }
  gr.blocks = g_new0 (Block, (gsize) gr.nbx * gr.nby);
  gr.fill_s2 = g_new0 (double, (gsize) ncell * NB * 3);
  gr.fill_n = g_new0 (int, (gsize) ncell * NB);
  gr.needed = g_new0 (guint8, ncell);
  gr.gray = g_new0 (guint8, (gsize) gr.bw * gr.bh);
  gr.row_has = g_new0 (guint8, gr.bh);

  if (!grain_measure (&gr, cancel))
    {
      ok = FALSE;
      goto out;
    }

  /* The whole area's floor and median per bin and channel. */
  for (gsize k = 0; k < (gsize) gr.nbx * gr.nby; k++)
    nvalid += gr.blocks[k].bin >= 0;
  if (nvalid == 0)
    goto out;   /* nothing to measure the grain on: leave the fill */
  /* The floor comes from the blocks whose grain is not cut off at black
   * or white; the medians from all. */
  vals = g_new (float, nvalid);
  for (int b = 0; b < NB; b++)
    {
      int cnt = 0;

      for (int c = 0; c < nc; c++)
        {
          cnt = 0;
          for (gsize k = 0; k < (gsize) gr.nbx * gr.nby; k++)
            if (gr.blocks[k].bin == b)
              vals[cnt++] = gr.blocks[k].var[c];
          if (cnt > 0)
            gmed[b][c] = grain_quantile (vals, cnt, 0.5);
        }
      have[b] = cnt >= MIN_BLOCKS;
      for (int c = 0; c < nc; c++)
        {
          cnt = 0;
          for (gsize k = 0; k < (gsize) gr.nbx * gr.nby; k++)
            if (gr.blocks[k].bin == b && !gr.blocks[k].clipped)
              vals[cnt++] = gr.blocks[k].var[c];
          if (cnt > 0)
            floor_v[b][c] = grain_quantile (vals, cnt, FLOOR_Q) / FLOOR_BIAS;
        }
      have_floor[b] = cnt >= MIN_BLOCKS;
    }
  if (!grain_fill_bins (gmed, have))
    {
      /* too few blocks in every bin: all of them pooled, for every bin */
      for (int c = 0; c < nc; c++)
        {
          int cnt = 0;

          for (gsize k = 0; k < (gsize) gr.nbx * gr.nby; k++)
            if (gr.blocks[k].bin >= 0)
              vals[cnt++] = gr.blocks[k].var[c];
          for (int b = 0; b < NB; b++)
            gmed[b][c] = grain_quantile (vals, cnt, 0.5);
        }
    }
  if (!grain_fill_bins (floor_v, have_floor))
    {
      /* the same for the floor, from the unclipped blocks or else all */
      for (int c = 0; c < nc; c++)
        {
          int cnt = 0;

          for (int pass = 0; pass < 2 && cnt == 0; pass++)
            for (gsize k = 0; k < (gsize) gr.nbx * gr.nby; k++)
              if (gr.blocks[k].bin >= 0 && (pass == 1 || !gr.blocks[k].clipped))
                vals[cnt++] = gr.blocks[k].var[c];
          for (int b = 0; b < NB; b++)
            floor_v[b][c] = grain_quantile (vals, cnt, FLOOR_Q) / FLOOR_BIAS;
        }
    }
  else
    {
      /* A picture textured all over one gray level (foliage, fur) raises
       * that bin's floor; grain changes slowly with the gray level, so no
       * bin's floor exceeds SPREAD x the lowest measured one. */
      for (int c = 0; c < nc; c++)
        {
          double low = G_MAXDOUBLE;

          for (int b = 0; b < NB; b++)
            if (have_floor[b])
              low = MIN (low, floor_v[b][c]);
          for (int b = 0; b < NB; b++)
            floor_v[b][c] = MIN (floor_v[b][c], SPREAD * low);
        }
    }

  /* Size and colour from the blocks under the cap: the grain-like ones. */
  for (gsize k = 0; k < (gsize) gr.nbx * gr.nby; k++)
    {
      const Block *b = &gr.blocks[k];
      gboolean     flat = b->bin >= 0;

      for (int c = 0; c < nc && flat; c++)
        flat = b->var[c] <= CAP * floor_v[b->bin][c];
      if (!flat)
        continue;
      used++;
      lag += b->lag;
      pairs += b->pairs;
      for (int c = 0; c < nc; c++)
        hp2 += b->s2[c];
      n += b->n;
      if (nc == 3)
        {
          static const int pi[3] = { 0, 0, 1 }, pj[3] = { 1, 2, 2 };

          for (int p = 0; p < 3; p++)
            {
              cov += b->cross[p] / b->n - (b->s[pi[p]] / b->n) * (b->s[pj[p]] / b->n);
              norm += sqrt ((double) b->var[pi[p]] * b->var[pj[p]]);
            }
        }
    }
  rho1 = pairs > 0 && hp2 > 0.0 ? (lag / pairs) / (hp2 / n) : -1.0;
  size = grain_size_from_rho (&gr, rho1);
  rho = nc == 3 && norm > 0.0 ? CLAMP (cov / norm, 0.0, 1.0) : 1.0;
  grain_size_response (&gr, size, &hvar, &rho1);
  rk = grain_size_kernel (size, kern);

  /* The floor and the medians so far assumed FLOOR_BIAS and no bias; now
   * that the size is known, the bias of noise of that size replaces them. */
  grain_calibrate (&gr, kern, rk, hvar, &q_ratio, &med_ratio);
  for (int b = 0; b < NB; b++)
    for (int c = 0; c < nc; c++)
      {
        floor_v[b][c] *= FLOOR_BIAS / q_ratio;
        gmed[b][c] /= med_ratio;
      }
  if (stats != NULL)
    {
      stats->blocks = used;
      stats->size = size;
      stats->rho = rho;
      for (int b = 0; b < NB; b++)
        for (int c = 0; c < 3; c++)
          stats->floor[b][c] = c < nc ? floor_v[b][c] : 0.0;
    }

  /* The whole fill's hp^2 per bin (where a cell's neighbourhood has too
   * few pixels). */
  {
    double all[3] = { 0, 0, 0 };
    int    all_n = 0;

    memset (have, 0, sizeof have);
    for (int b = 0; b < NB; b++)
      {
        double s[3] = { 0, 0, 0 };
        int    cnt = 0;

        for (int k = 0; k < ncell; k++)
          {
            cnt += gr.fill_n[k * NB + b];
            for (int c = 0; c < nc; c++)
              s[c] += gr.fill_s2[((gsize) k * NB + b) * 3 + c];
          }
        for (int c = 0; c < nc; c++)
          {
            gfill[b][c] = cnt > 0 ? s[c] / cnt : 0.0;
            all[c] += s[c];
          }
        all_n += cnt;
        have[b] = cnt > 0;
      }
    if (!grain_fill_bins (gfill, have))
      for (int b = 0; b < NB; b++)
        for (int c = 0; c < nc; c++)
          gfill[b][c] = all_n > 0 ? all[c] / all_n : 0.0;
  }

  /* Per cell and bin: the amplitude of unit noise to add. */
  amp = g_new0 (double, (gsize) ncell * NB * 3);
  for (int cy = 0; cy < gr.ncy && ok; cy++)
    for (int cx = 0; cx < gr.ncx; cx++)
      {
        int    cell = cy * gr.ncx + cx;
        double ring[NB][3];
        guint8 todo = gr.needed[cell];
        double ccx = gr.x0 + (cx + 0.5) * CELL, ccy = gr.y0 + (cy + 0.5) * CELL;

        if (cancel != NULL && g_atomic_int_get (cancel))
          {
            ok = FALSE;
            break;
          }
        if (todo == 0)
          continue;
        memcpy (ring, gmed, sizeof ring);
        for (int reach = LOCAL_REACH; reach <= LOCAL_MAX && todo != 0; reach *= 2)
          {
            int bx0 = MAX ((int) floor ((ccx - reach - gr.wx0) / BLOCK), 0);
            int bx1 = MIN ((int) ceil ((ccx + reach - gr.wx0) / BLOCK), gr.nbx);
            int by0 = MAX ((int) floor ((ccy - reach - gr.wy0) / BLOCK), 0);
            int by1 = MIN ((int) ceil ((ccy + reach - gr.wy0) / BLOCK), gr.nby);

            for (int b = 0; b < NB; b++)
              {
                int cnt = 0;

                if (!(todo & (1u << b)))
                  continue;
                for (int c = 0; c < nc; c++)
                  {
                    cnt = 0;
                    for (int by = by0; by < by1; by++)
                      for (int bx = bx0; bx < bx1; bx++)
                        {
                          const Block *blk = &gr.blocks[(gsize) by * gr.nbx + bx];

                          if (blk->bin == b)
                            vals[cnt++] = blk->var[c];
                        }
                    if (cnt < MIN_BLOCKS)
                      break;
                    ring[b][c] = grain_quantile (vals, cnt, 0.5) / med_ratio;
                  }
                if (cnt >= MIN_BLOCKS)
                  todo &= ~(1u << b);
              }
            if (bx0 == 0 && by0 == 0 && bx1 == gr.nbx && by1 == gr.nby)
              break;
          }

        for (int b = 0; b < NB; b++)
          {
            double fill[3] = { 0, 0, 0 };
            int    fn = gr.fill_n[cell * NB + b];

            if (!(gr.needed[cell] & (1u << b)))
              continue;
            if (fn >= MIN_FILL)
              for (int c = 0; c < nc; c++)
                fill[c] = gr.fill_s2[((gsize) cell * NB + b) * 3 + c] / fn;
            else
              {
                /* the 3 x 3 cells around, else the whole fill */
                fn = 0;
                for (int dy = -1; dy <= 1; dy++)
                  for (int dx = -1; dx <= 1; dx++)
                    {
                      int ny = cy + dy, nx = cx + dx;
                      gsize k;

                      if (ny < 0 || ny >= gr.ncy || nx < 0 || nx >= gr.ncx)
                        continue;
                      k = (gsize) ny * gr.ncx + nx;
                      fn += gr.fill_n[k * NB + b];
                      for (int c = 0; c < nc; c++)
                        fill[c] += gr.fill_s2[(k * NB + b) * 3 + c];
                    }
                for (int c = 0; c < nc; c++)
                  fill[c] = fn >= MIN_FILL ? fill[c] / fn : gfill[b][c];
              }
            for (int c = 0; c < nc; c++)
              {
                double want = MIN (ring[b][c], CAP * floor_v[b][c]);

                amp[((gsize) cell * NB + b) * 3 + c] = sqrt (MAX (want - fill[c], 0.0) / hvar);
              }
          }
      }
  if (!ok)
    goto out;

  /* Pass 2: the noise, band by band, added where the mask is set; in each
   * band only over the runs of SPAN-column spans that hold a masked pixel
   * (the noise of a pixel depends on its position alone, so where it is
   * made does not change it). */
  {
    int     maxcols = gr.bw + 2 * rk;
    int     nspan = (gr.bw + SPAN - 1) / SPAN;
    float  *u = g_new (float, (gsize) nc * (BAND + 2 * rk) * maxcols);
    float  *t = g_new (float, (gsize) nc * BAND * maxcols);
    float  *nz = g_new (float, (gsize) nc * BAND * gr.bw);
    guint8 *span = g_new (guint8, nspan);
    float   ws = (float) sqrt (rho), wi = (float) sqrt (1.0 - rho);

    for (int r0 = 0; r0 < gr.bh && ok; r0 += BAND)
      {
        int r1 = MIN (r0 + BAND, gr.bh), rows = r1 - r0, urows = rows + 2 * rk;
        int any = 0;

        for (int r = r0; r < r1; r++)
          any |= gr.row_has[r];
        if (!any)
          continue;
        if (cancel != NULL && g_atomic_int_get (cancel))
          {
            ok = FALSE;
            break;
          }
        memset (span, 0, nspan);
        for (int r = r0; r < r1; r++)
          if (gr.row_has[r])
            for (int i = 0; i < gr.bw; i++)
              if (grain_mask (mask, gr.x0 + i, gr.y0 + r) > 0.0f)
                span[i / SPAN] = 1;
        for (int s0 = 0; s0 < nspan; s0++)
          {
            int s1 = s0, i0, i1, cols, w;

            if (!span[s0])
              continue;
            while (s1 + 1 < nspan && span[s1 + 1])
              s1++;
            i0 = s0 * SPAN;
            i1 = MIN ((s1 + 1) * SPAN, gr.bw);
            w = i1 - i0;
            cols = w + 2 * rk;
            s0 = s1;

            /* unit noise of the run and its margin, mixed across channels */
            for (int r = 0; r < urows; r++)
              for (int i = 0; i < cols; i++)
                {
                  int   x = gr.x0 + i0 - rk + i, y = gr.y0 + r0 - rk + r;
                  float shared = nc == 3 ? grain_unit (x, y, 3, seed) : 0.0f;

                  for (int c = 0; c < nc; c++)
                    u[((gsize) c * urows + r) * cols + i]
                      = nc == 3 ? ws * shared + wi * grain_unit (x, y, c, seed)
                                : grain_unit (x, y, c, seed);
                }
            /* blurred to the grain's size: down, then across */
            for (int c = 0; c < nc; c++)
              {
                for (int r = 0; r < rows; r++)
                  for (int i = 0; i < cols; i++)
                    {
                      float sum = 0.0f;

                      for (int k = 0; k <= 2 * rk; k++)
                        sum += kern[k] * u[((gsize) c * urows + r + k) * cols + i];
                      t[((gsize) c * BAND + r) * cols + i] = sum;
                    }
                for (int r = 0; r < rows; r++)
                  for (int i = 0; i < w; i++)
                    {
                      float sum = 0.0f;

                      for (int k = 0; k <= 2 * rk; k++)
                        sum += kern[k] * t[((gsize) c * BAND + r) * cols + i + k];
                      nz[((gsize) c * BAND + r) * gr.bw + i0 + i] = sum;
                    }
              }
          }
        for (int r = r0; r < r1; r++)
          {
            int    y = gr.y0 + r;
            float *row = image->data + (gsize) y * image->rowstride;
            double fy = (r + 0.5) / CELL - 0.5;
            int    cy0 = (int) floor (fy);
            double wy = fy - cy0;
            int    cya = CLAMP (cy0, 0, gr.ncy - 1), cyb = CLAMP (cy0 + 1, 0, gr.ncy - 1);

            for (int i = 0; i < gr.bw; i++)
              {
                int    x = gr.x0 + i;
                float  m = grain_mask (mask, x, y);
                double fx, fb, wx, wb;
                int    cx0, b0, cxa, cxb, ba, bb;

                if (!(m > 0.0f))
                  continue;
                fx = (i + 0.5) / CELL - 0.5;
                cx0 = (int) floor (fx);
                wx = fx - cx0;
                cxa = CLAMP (cx0, 0, gr.ncx - 1);
                cxb = CLAMP (cx0 + 1, 0, gr.ncx - 1);
                fb = gr.gray[(gsize) r * gr.bw + i] / 255.0 * NB - 0.5;
                b0 = (int) floor (fb);
                wb = fb - b0;
                ba = CLAMP (b0, 0, NB - 1);
                bb = CLAMP (b0 + 1, 0, NB - 1);
                for (int c = 0; c < nc; c++)
                  {
#define AMP(cyy, cxx, bin) amp[(((gsize) (cyy) * gr.ncx + (cxx)) * NB + (bin)) * 3 + c]
                    double at = (1 - wb) * AMP (cya, cxa, ba) + wb * AMP (cya, cxa, bb);
                    double bt = (1 - wb) * AMP (cya, cxb, ba) + wb * AMP (cya, cxb, bb);
                    double ab = (1 - wb) * AMP (cyb, cxa, ba) + wb * AMP (cyb, cxa, bb);
                    double bbv = (1 - wb) * AMP (cyb, cxb, ba) + wb * AMP (cyb, cxb, bb);
#undef AMP
                    double a = (1 - wy) * ((1 - wx) * at + wx * bt)
                               + wy * ((1 - wx) * ab + wx * bbv);
                    float *p = row + (gsize) x * image->channels + c;
                    float  v = *p;
                    float  nv = v + (float) (m * strength * a)
                                    * nz[((gsize) c * BAND + (r - r0)) * gr.bw + i];

                    if (!isfinite (v))
                      continue;
                    if (v >= 0.0f && v <= 1.0f)
                      nv = CLAMP (nv, 0.0f, 1.0f);
                    *p = nv;
                  }
              }
          }
      }
    g_free (u);
    g_free (t);
    g_free (nz);
    g_free (span);
  }

out:
  g_free (vals);
  g_free (amp);
  g_free (gr.blocks);
  g_free (gr.fill_s2);
  g_free (gr.fill_n);
  g_free (gr.needed);
  g_free (gr.gray);
  g_free (gr.row_has);
  return ok;
}
