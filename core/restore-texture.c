/* gimp-restore: the surroundings' texture in large fills (see
 * restore-texture.h for the method).
 *
 * The mask's 8-connected regions come from restore_tile_regions_new();
 * a region is measured (an exact distance transform of its box) only when
 * its box, its size and its longest run leave room for a disk of radius
 * RESTORE_TEXTURE_MIN_WIDTH / 2, so thin scratches cost one pass over
 * their runs.  Each wide region is then worked on in its own area, one
 * after the other, in the order of their first run.
 *
 * Planes are interleaved [row][column][channel] over the work area.
 */
#include "config.h"

/* The patch distance's rows are plain loops: let GCC vectorise them at -O2. */
#if defined (__GNUC__) && ! defined (__clang__)
#pragma GCC optimize ("tree-vectorize", "vect-cost-model=dynamic")
#endif

#include <math.h>
#include <string.h>

#include "restore-texture.h"
#include "restore-tile.h"

#define R            RESTORE_TEXTURE_RADIUS
#define V            RESTORE_TEXTURE_VOTE_RADIUS
#define MATCH_REACH  12         /* ceil (3 MATCH_SIGMA) */
#define DETAIL_REACH 6          /* ceil (3 DETAIL_SIGMA) */
#define MARGIN       (R + 4)    /* a source's distance to masked pixels: R + 2 DETAIL_SIGMA */
#define HALF_WIDTH   (RESTORE_TEXTURE_MIN_WIDTH / 2)
#define TEXTURE_BAND 32         /* rows of a band of the parallel scans */
#define TEXTURE_THREADS_MAX 64

G_STATIC_ASSERT (MATCH_REACH >= 3 * RESTORE_TEXTURE_MATCH_SIGMA);
G_STATIC_ASSERT (DETAIL_REACH >= 3 * RESTORE_TEXTURE_DETAIL_SIGMA);
G_STATIC_ASSERT (MARGIN >= R + 2 * RESTORE_TEXTURE_DETAIL_SIGMA);
G_STATIC_ASSERT (V <= R);

enum
{
  F_MASKED = 1,   /* mask > 0 */
  F_SOURCE = 2    /* a patch may be taken here */
};

typedef struct
{
  int           nc;             /* colour channels: 1 or 3 */
  int           ax0, ay0;       /* the work area's corner, image coordinates */
  int           aw, ah;
  float        *c;              /* [ah][aw][nc] the picture */
  float        *l;              /* [ah][aw][nc] its low-pass */
  float        *d;              /* [ah][aw][nc] its detail */
  float        *g;              /* [ah][aw][nc] the fill with detail (rounds:
                                 * l's memory, no longer needed then) */
  const float  *target;         /* masked taps of a target read this: l or g */
  const float  *source;         /* ... and compare with this: l or c */
  float        *wm;             /* [ah][aw][nc] 1 where masked, else 0 */
  guint8       *flag;           /* [ah][aw] */
  gint32       *index;          /* [ah][aw] region pixel, or -1 */
  int           n;              /* region pixels */
  int          *px, *py;        /* [n] their positions (area coordinates) */
  int          *sx, *sy;        /* [n] their sources */
  float        *best;           /* [n] their patch distances */
  float        *det;            /* [n][nc] their detail */
  gint32       *sources;        /* [n_sources] area offsets of the sources */
  gsize         n_sources;
  int           rad;            /* the random search's first distance */
  int          *band;           /* [n_bands + 1] first region pixel of each band */
  int           n_bands;
  int           threads;
  guint32       seed;
  const gint   *cancel;
} Texture;

/* A 32-bit mix of four values (the seed, a position, a step). */
static inline guint32
texture_hash (guint32 seed,
              guint32 a,
              guint32 b,
              guint32 c)
{
  guint32 h = seed ^ 0x9e3779b9u;

  h = (h ^ a) * 0x85ebca6bu;
  h ^= h >> 13;
  h = (h ^ b) * 0xc2b2ae35u;
  h ^= h >> 16;
  h = (h ^ c) * 0x27d4eb2fu;
  h ^= h >> 15;
  h *= 0x165667b1u;
  h ^= h >> 16;
  return h;
}

static inline gboolean
texture_cancelled (const gint *cancel)
{
  return cancel != NULL && g_atomic_int_get (cancel);
}

/* @dst = @src blurred by a Gaussian of @sigma (radius @reach), both
 * [h][w][nc]; the area's edges repeat.  @tmp: w * h * nc floats. */
static void
texture_blur (const float *src,
              float       *dst,
              float       *tmp,
              int          w,
              int          h,
              int          nc,
              double       sigma,
              int          reach)
{
  float k[2 * MATCH_REACH + 1];
  double sum = 0.0;

  for (int i = -reach; i <= reach; i++)
    sum += k[i + reach] = (float) exp (-0.5 * i * i / (sigma * sigma));
  for (int i = 0; i <= 2 * reach; i++)
    k[i] = (float) (k[i] / sum);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < nc; c++)
        {
          float s = 0.0f;

          for (int i = -reach; i <= reach; i++)
            s += k[i + reach] * src[((gsize) y * w + CLAMP (x + i, 0, w - 1)) * nc + c];
          tmp[((gsize) y * w + x) * nc + c] = s;
        }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < nc; c++)
        {
          float s = 0.0f;

          for (int i = -reach; i <= reach; i++)
            s += k[i + reach] * tmp[((gsize) CLAMP (y + i, 0, h - 1) * w + x) * nc + c];
          dst[((gsize) y * w + x) * nc + c] = s;
        }
}

/* One row of a patch: sum of wm (t1 - s1)^2 + KNOWN_WEIGHT (1 - wm)
 * (c_t - c_s)^2 over @n floats, in 8 independent sums (which the compiler
 * vectorises). */
static inline float
texture_row (const float *t1,
             const float *s1,
             const float *ct,
             const float *cs,
             const float *wm,
             int          n)
{
  const float kw = (float) RESTORE_TEXTURE_KNOWN_WEIGHT;
  float       acc[8] = { 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f };
  float       sum = 0.0f;
  int   i = 0;

  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; j++)
      {
        float a = t1[i + j] - s1[i + j], b = ct[i + j] - cs[i + j];

        acc[j] += wm[i + j] * a * a + (kw - kw * wm[i + j]) * b * b;
      }
  for (; i < n; i++)
    {
      float a = t1[i] - s1[i], b = ct[i] - cs[i];

      sum += wm[i] * a * a + (kw - kw * wm[i]) * b * b;
    }
  for (int j = 0; j < 8; j++)
    sum += acc[j];
  return sum;
}

/* The patch distance of region pixel (@tx, @ty) to the source (@sx, @sy),
 * given up once past @limit (a row at a time): masked taps compare
 * t->target with t->source, unmasked ones the picture itself, times
 * RESTORE_TEXTURE_KNOWN_WEIGHT.  A source's patch is always inside the
 * area; a target's is unless the area was cut by the image's edge, where
 * its taps repeat the edge. */
static float
texture_distance (const Texture *t,
                  int            tx,
                  int            ty,
                  int            sx,
                  int            sy,
                  float          limit)
{
  const int nc = t->nc;
  float     sum = 0.0f;

  if (tx >= R && ty >= R && tx + R < t->aw && ty + R < t->ah)
    {
      const int n = (2 * R + 1) * nc;

      for (int dy = -R; dy <= R; dy++)
        {
          gsize to = ((gsize) (ty + dy) * t->aw + tx - R) * nc;
          gsize so = ((gsize) (sy + dy) * t->aw + sx - R) * nc;

          sum += texture_row (t->target + to, t->source + so, t->c + to, t->c + so,
                              t->wm + to, n);
          if (sum > limit)
            return sum;
        }
      return sum;
    }
  for (int dy = -R; dy <= R; dy++)
    {
      gsize trow = (gsize) CLAMP (ty + dy, 0, t->ah - 1) * t->aw;
      gsize srow = (gsize) (sy + dy) * t->aw;

      for (int dx = -R; dx <= R; dx++)
        {
          gsize to = (trow + CLAMP (tx + dx, 0, t->aw - 1)) * nc;
          gsize so = (srow + sx + dx) * nc;

          sum += texture_row (t->target + to, t->source + so, t->c + to, t->c + so,
                              t->wm + to, nc);
        }
      if (sum > limit)
        return sum;
    }
  return sum;
}

static inline gboolean
texture_is_source (const Texture *t,
                   int            x,
                   int            y)
{
  return x >= 0 && y >= 0 && x < t->aw && y < t->ah
         && (t->flag[(gsize) y * t->aw + x] & F_SOURCE);
}

static inline void
texture_try (Texture *t,
             int      i,
             int      sx,
             int      sy)
{
  float e;

  if ((sx == t->sx[i] && sy == t->sy[i]) || !texture_is_source (t, sx, sy))
    return;
  e = texture_distance (t, t->px[i], t->py[i], sx, sy, t->best[i]);
  if (e < t->best[i])
    {
      t->best[i] = e;
      t->sx[i] = sx;
      t->sy[i] = sy;
    }
}

/* One scan over the region pixels [@i0, @i1) (one band of rows), forwards
 * (@step 1) or backwards (-1): each tries its scan neighbours' sources
 * shifted by one pixel, then random sources around its own at halving
 * distances.  A band reads the sources of the band before or after it,
 * which no thread writes meanwhile (see texture_search). */
static void
texture_scan (Texture *t,
              int      i0,
              int      i1,
              int      step,
              int      pass)
{
  for (int k = i0; k < i1; k++)
    {
      int i = step > 0 ? k : i1 - 1 - (k - i0);
      int x = t->px[i], y = t->py[i];
      int step_no = 0;

      if (x - step >= 0 && x - step < t->aw)
        {
          gint32 j = t->index[(gsize) y * t->aw + x - step];

          if (j >= 0)
            texture_try (t, i, t->sx[j] + step, t->sy[j]);
        }
      if (y - step >= 0 && y - step < t->ah)
        {
          gint32 j = t->index[(gsize) (y - step) * t->aw + x];

          if (j >= 0)
            texture_try (t, i, t->sx[j], t->sy[j] + step);
        }
      for (int rad = t->rad; rad >= 1; rad /= 2, step_no++)
        {
          guint32 h = texture_hash (t->seed, (guint32) (t->ax0 + x),
                                    (guint32) (t->ay0 + y),
                                    ((guint32) pass << 8) | (guint32) step_no);
          int     dx = (int) ((h & 0xffffu) % (guint32) (2 * rad + 1)) - rad;
          int     dy = (int) ((h >> 16) % (guint32) (2 * rad + 1)) - rad;

          texture_try (t, i, t->sx[i] + dx, t->sy[i] + dy);
        }
    }
}

typedef struct
{
  Texture *t;
  int      parity;     /* the bands of this phase: 0 even, 1 odd */
  int      step, pass;
  gint     next;       /* the next band to take (atomic) */
} TexturePhase;

static gpointer
texture_phase_worker (gpointer data)
{
  TexturePhase *ph = data;
  Texture      *t = ph->t;
  int           b;

  while ((b = g_atomic_int_add (&ph->next, 1)) * 2 + ph->parity < t->n_bands)
    {
      int band = b * 2 + ph->parity;

      if (texture_cancelled (t->cancel))
        break;
      texture_scan (t, t->band[band], t->band[band + 1], ph->step, ph->pass);
    }
  return NULL;
}

/* @iters scans over the region from the current sources, alternately
 * forwards and backwards; @pass numbers the scans of the whole run for the
 * hash.  FALSE when cancelled.  The
 * region's rows are cut into bands of TEXTURE_BAND rows; each scan does the
 * even bands, then the odd ones, the bands of one phase on the threads at
 * once.  Bands of one phase never touch, so what a band reads of its
 * neighbours is settled: the result is the same for any number of threads. */
static gboolean
texture_search (Texture *t,
                int      iters,
                int      pass)
{
  for (int i = 0; i < t->n; i++)
    t->best[i] = texture_distance (t, t->px[i], t->py[i], t->sx[i], t->sy[i], G_MAXFLOAT);
  for (int it = 0; it < iters; it++, pass++)
    for (int parity = 0; parity < 2; parity++)
      {
        TexturePhase ph = { t, parity, it % 2 == 0 ? 1 : -1, pass, 0 };
        int          bands = (t->n_bands + 1 - parity) / 2;
        int          n_threads = MIN (t->threads, bands);
        GThread     *threads[TEXTURE_THREADS_MAX];

        if (texture_cancelled (t->cancel))
          return FALSE;
        for (int k = 1; k < n_threads; k++)
          threads[k] = g_thread_new ("texture", texture_phase_worker, &ph);
        texture_phase_worker (&ph);
        for (int k = 1; k < n_threads; k++)
          g_thread_join (threads[k]);
      }
  return !texture_cancelled (t->cancel);
}

/* Each region pixel's detail: what the patches of the region pixels
 * within V say of it, weighted cos^2 per axis. */
static void
texture_vote (Texture *t)
{
  float wv[2 * V + 1];
  const int nc = t->nc;

  for (int k = -V; k <= V; k++)
    {
      double c = cos (G_PI * k / (2 * V + 2));

      wv[k + V] = (float) (c * c);
    }
  for (int i = 0; i < t->n; i++)
    {
      int   x = t->px[i], y = t->py[i];
      float acc[3] = { 0.0f, 0.0f, 0.0f }, wsum = 0.0f;

      for (int dy = -V; dy <= V; dy++)
        {
          if (y + dy < 0 || y + dy >= t->ah)
            continue;
          for (int dx = -V; dx <= V; dx++)
            {
              gint32 j;
              int    qx, qy;
              float  w;
              gsize  s;

              if (x + dx < 0 || x + dx >= t->aw)
                continue;
              j = t->index[(gsize) (y + dy) * t->aw + x + dx];
              if (j < 0)
                continue;
              /* within the source patch of j: inside the area, unmasked */
              qx = x + t->sx[j] - t->px[j];
              qy = y + t->sy[j] - t->py[j];
              w = wv[dy + V] * wv[dx + V];
              s = ((gsize) qy * t->aw + qx) * nc;
              for (int c = 0; c < nc; c++)
                acc[c] += w * t->d[s + c];
              wsum += w;
            }
        }
      for (int c = 0; c < nc; c++)
        t->det[(gsize) i * nc + c] = wsum > 0.0f ? acc[c] / wsum : 0.0f;
    }
}

/* What brings the voted detail back to the amplitude of the detail its
 * sources hold: sqrt (sum over the region of D (s (p))^2 over that of
 * det (p)^2), within 1..RESTORE_TEXTURE_GAIN_MAX.  Where the patches
 * agree the mean keeps the amplitude (gain 1); where they disagree it
 * lowers it, and the gain makes up for that. */
static float
texture_gain (const Texture *t)
{
  const int nc = t->nc;
  double    src = 0.0, det = 0.0;

  for (int i = 0; i < t->n; i++)
    {
      gsize s = ((gsize) t->sy[i] * t->aw + t->sx[i]) * nc;

      for (int c = 0; c < nc; c++)
        {
          double a = t->d[s + c], b = t->det[(gsize) i * nc + c];

          src += a * a;
          det += b * b;
        }
    }
  if (!(det > 0.0))
    return 1.0f;
  return (float) CLAMP (sqrt (src / det), 1.0, RESTORE_TEXTURE_GAIN_MAX);
}

/* The region made of runs @order[0..n_runs-1] of @regions, box [@rx0,
 * @rx1) x [@ry0, @ry1), @n_pixels pixels: texture into @image.  FALSE
 * when cancelled. */
static gboolean
texture_region (RestoreImage         *image,
                const RestoreMask    *mask,
                const RestoreRegions *regions,
                const gint32         *order,
                int                   n_runs,
                int                   rx0,
                int                   ry0,
                int                   rx1,
                int                   ry1,
                int                   n_pixels,
                double                strength,
                guint32               seed,
                int                   threads,
                const gint           *cancel,
                RestoreTextureStats  *stats)
{
  Texture   t;
  int       reach = RESTORE_TEXTURE_WINDOW + R + MATCH_REACH;
  int       wx0, wy0, wx1, wy1, pass = 0;
  float     gain;
  gsize     area, k;
  float    *dist, *tmp;
  gboolean  ok = TRUE;
  const int nc = image->channels < 3 ? 1 : 3;

  memset (&t, 0, sizeof t);
  t.nc = nc;
  t.seed = seed;
  t.cancel = cancel;
  t.ax0 = MAX (rx0 - reach, 0);
  t.ay0 = MAX (ry0 - reach, 0);
  t.aw = MIN (rx1 + reach, image->width) - t.ax0;
  t.ah = MIN (ry1 + reach, image->height) - t.ay0;
  area = (gsize) t.aw * t.ah;
  if (area > RESTORE_TEXTURE_MAX_AREA)
    return TRUE;   /* left smooth: see RESTORE_TEXTURE_MAX_AREA */

  /* the large planes, or no texture for this region when the memory is
   * not there (the fill stays as it is) */
  t.c = g_try_new (float, area * nc);
  t.l = g_try_new (float, area * nc);
  t.d = g_try_new (float, area * nc);
  t.wm = g_try_new (float, area * nc);
  t.flag = g_try_new0 (guint8, area);
  t.index = g_try_new (gint32, area);
  if (t.c == NULL || t.l == NULL || t.d == NULL || t.wm == NULL || t.flag == NULL
      || t.index == NULL)
    goto out;
  for (int y = 0; y < t.ah; y++)
    for (int x = 0; x < t.aw; x++)
      {
        gsize o = (gsize) y * t.aw + x;

        for (int c = 0; c < nc; c++)
          t.c[o * nc + c] = restore_image_value (image, t.ax0 + x, t.ay0 + y, c);
        if (restore_mask_value (mask, t.ax0 + x, t.ay0 + y) > 0.0f)
          t.flag[o] = F_MASKED;
        t.index[o] = -1;
      }
  tmp = t.wm;   /* the blurs' scratch, before wm is set */
  texture_blur (t.c, t.l, tmp, t.aw, t.ah, nc, RESTORE_TEXTURE_DETAIL_SIGMA, DETAIL_REACH);
  for (k = 0; k < area * nc; k++)
    t.d[k] = t.c[k] - t.l[k];
  texture_blur (t.c, t.l, tmp, t.aw, t.ah, nc, RESTORE_TEXTURE_MATCH_SIGMA, MATCH_REACH);
  for (k = 0; k < area; k++)
    for (int c = 0; c < nc; c++)
      t.wm[k * nc + c] = (t.flag[k] & F_MASKED) ? 1.0f : 0.0f;

  /* Sources: within the window, their patch inside the area, far enough
   * from every masked pixel. */
  dist = g_new (float, area);
  for (k = 0; k < area; k++)
    dist[k] = (t.flag[k] & F_MASKED) ? 0.0f : 1e20f;
  if (!restore_tile_distance2 (dist, t.aw, t.ah, cancel))
    {
      g_free (dist);
      ok = FALSE;
      goto out;
    }
  wx0 = MAX (rx0 - RESTORE_TEXTURE_WINDOW - t.ax0, R);
  wy0 = MAX (ry0 - RESTORE_TEXTURE_WINDOW - t.ay0, R);
  wx1 = MIN (rx1 + RESTORE_TEXTURE_WINDOW - t.ax0, t.aw - R);
  wy1 = MIN (ry1 + RESTORE_TEXTURE_WINDOW - t.ay0, t.ah - R);
  for (int y = wy0; y < wy1; y++)
    for (int x = wx0; x < wx1; x++)
      if (dist[(gsize) y * t.aw + x] > (float) (MARGIN * MARGIN))
        {
          t.flag[(gsize) y * t.aw + x] |= F_SOURCE;
          t.n_sources++;
        }
  g_free (dist);
  if (t.n_sources == 0)
    goto out;   /* nothing around to take texture from */
  t.sources = g_new (gint32, t.n_sources);
  t.n_sources = 0;
  for (k = 0; k < area; k++)
    if (t.flag[k] & F_SOURCE)
      t.sources[t.n_sources++] = (gint32) k;
  t.rad = MAX (wx1 - wx0, wy1 - wy0);

  /* The region's pixels in scan order, each from a hashed source. */
  t.n = n_pixels;
  t.px = g_new (int, t.n);
  t.py = g_new (int, t.n);
  t.sx = g_new (int, t.n);
  t.sy = g_new (int, t.n);
  t.best = g_new (float, t.n);
  t.det = g_new (float, (gsize) t.n * nc);
  {
    int i = 0;

    for (int r = 0; r < n_runs; r++)
      {
        const RestoreSpan *run = &regions->runs[order[r]];

        for (int x = run->x0; x < run->x1; x++, i++)
          {
            gint32 s = t.sources[texture_hash (seed, (guint32) x, (guint32) run->y, 0xffffffu)
                                 % t.n_sources];

            t.px[i] = x - t.ax0;
            t.py[i] = run->y - t.ay0;
            t.index[(gsize) t.py[i] * t.aw + t.px[i]] = i;
            t.sx[i] = s % t.aw;
            t.sy[i] = s / t.aw;
          }
      }
    g_assert (i == t.n);
  }
  /* the bands of the parallel scans, counted from the region's first row */
  t.threads = CLAMP (threads, 1, TEXTURE_THREADS_MAX);
  t.band = g_new (int, (ry1 - ry0) / TEXTURE_BAND + 2);
  for (int i = 0; i < t.n; i++)
    if (i == 0 || (t.ay0 + t.py[i] - ry0) / TEXTURE_BAND
                  != (t.ay0 + t.py[i - 1] - ry0) / TEXTURE_BAND)
      t.band[t.n_bands++] = i;
  t.band[t.n_bands] = t.n;

  /* The first search: the fill's low-pass against the sources'. */
  t.target = t.l;
  t.source = t.l;
  if (!texture_search (&t, RESTORE_TEXTURE_ITERS, pass))
    {
      ok = FALSE;
      goto out;
    }
  pass += RESTORE_TEXTURE_ITERS;
  texture_vote (&t);

  /* Rounds: the fill with its detail against the sources' pixels.  Only
   * the region's pixels of g differ from the picture. */
  t.g = t.l;
  t.l = NULL;
  t.target = t.g;
  t.source = t.c;
  memcpy (t.g, t.c, area * nc * sizeof (float));
  for (int round = 0; round < RESTORE_TEXTURE_ROUNDS; round++)
    {
      for (int i = 0; i < t.n; i++)
        for (int c = 0; c < nc; c++)
          {
            gsize o = ((gsize) t.py[i] * t.aw + t.px[i]) * nc + c;

            t.g[o] = t.c[o] + t.det[(gsize) i * nc + c];
          }
      if (!texture_search (&t, RESTORE_TEXTURE_ROUND_ITERS, pass))
        {
          ok = FALSE;
          goto out;
        }
      pass += RESTORE_TEXTURE_ROUND_ITERS;
      texture_vote (&t);
    }

  /* The detail into the picture. */
  gain = texture_gain (&t);
  for (int i = 0; i < t.n; i++)
    {
      int    x = t.ax0 + t.px[i], y = t.ay0 + t.py[i];
      float  m = restore_mask_value (mask, x, y);
      float *v = image->data + (gsize) y * image->rowstride + (gsize) x * image->channels;
      float  a = (float) (m * strength * gain);

      for (int c = 0; c < nc; c++)
        {
          float old = v[c], nv;

          if (!isfinite (old))
            continue;
          nv = old + a * t.det[(gsize) i * nc + c];
          if (old >= 0.0f && old <= 1.0f)
            nv = CLAMP (nv, 0.0f, 1.0f);
          v[c] = nv;
        }
    }
  if (stats != NULL)
    {
      double e = 0.0;

      for (int i = 0; i < t.n; i++)
        e += t.best[i];
      stats->distance = (stats->distance * (double) stats->pixels + e / ((2 * R + 1) * (2 * R + 1) * nc))
                        / (double) (stats->pixels + t.n);
      stats->regions++;
      stats->pixels += t.n;
      stats->sources += t.n_sources;
    }

out:
  g_free (t.c);
  g_free (t.l);
  g_free (t.d);
  g_free (t.g);
  g_free (t.flag);
  g_free (t.wm);
  g_free (t.index);
  g_free (t.px);
  g_free (t.py);
  g_free (t.sx);
  g_free (t.sy);
  g_free (t.best);
  g_free (t.det);
  g_free (t.sources);
  g_free (t.band);
  return ok;
}

/* TRUE when the region (runs @order[0..n_runs-1], box [@rx0, @rx1) x
 * [@ry0, @ry1)) holds a pixel farther than HALF_WIDTH from every pixel
 * outside it.  *@cancelled is set when the transform was cut short. */
static gboolean
texture_region_is_wide (const RestoreRegions *regions,
                        const gint32         *order,
                        int                   n_runs,
                        int                   rx0,
                        int                   ry0,
                        int                   rx1,
                        int                   ry1,
                        const gint           *cancel,
                        gboolean             *cancelled)
{
  int      bw = rx1 - rx0 + 2, bh = ry1 - ry0 + 2;
  float   *f = g_new0 (float, (gsize) bw * bh);
  float    far2 = 0.0f;

  for (int r = 0; r < n_runs; r++)
    {
      const RestoreSpan *run = &regions->runs[order[r]];

      for (int x = run->x0; x < run->x1; x++)
        f[(gsize) (run->y - ry0 + 1) * bw + (x - rx0 + 1)] = 1e20f;
    }
  if (!restore_tile_distance2 (f, bw, bh, cancel))
    *cancelled = TRUE;
  else
    for (gsize k = 0; k < (gsize) bw * bh; k++)
      far2 = MAX (far2, f[k]);
  g_free (f);
  return far2 > (float) (HALF_WIDTH * HALF_WIDTH);
}

/**
 * restore_texture_apply:
 * See restore-texture.h.
 */
gboolean
restore_texture_apply (RestoreImage        *image,
                       const RestoreMask   *mask,
                       int                  x0,
                       int                  y0,
                       int                  x1,
                       int                  y1,
                       double               strength,
                       guint32              seed,
                       int                  threads,
                       const gint          *cancel,
                       RestoreTextureStats *stats)
{
  RestoreRegions *regions;
  gint32         *root, *count, *first, *order;
  gboolean        ok = TRUE;
  int             n;

  g_return_val_if_fail (image != NULL && mask != NULL, FALSE);
  g_return_val_if_fail (mask->width == image->width && mask->height == image->height, FALSE);

  if (stats != NULL)
    memset (stats, 0, sizeof *stats);
  if (threads <= 0)
    threads = (int) g_get_num_processors ();
  if (!(strength > 0.0))
    return TRUE;
  if (x1 <= x0 && !restore_mask_box (mask, &x0, &y0, &x1, &y1))
    return TRUE;
  if (x1 - x0 <= RESTORE_TEXTURE_MIN_WIDTH || y1 - y0 <= RESTORE_TEXTURE_MIN_WIDTH)
    return TRUE;
  if (texture_cancelled (cancel))
    return FALSE;

  /* The runs of each region together, regions in the order of their
   * first run (a region's root is its first run). */
  regions = restore_tile_regions_new (mask, x0, y0, x1, y1);
  n = regions->n_runs;
  root = g_new (gint32, MAX (n, 1));
  count = g_new0 (gint32, MAX (n, 1));
  first = g_new (gint32, MAX (n, 1) + 1);
  order = g_new (gint32, MAX (n, 1));
  for (int r = 0; r < n; r++)
    {
      root[r] = restore_tile_regions_root (regions, r);
      count[root[r]]++;
    }
  first[0] = 0;
  for (int r = 0; r < n; r++)
    first[r + 1] = first[r] + count[r];
  memset (count, 0, MAX (n, 1) * sizeof (gint32));
  for (int r = 0; r < n; r++)
    order[first[root[r]] + count[root[r]]++] = r;

  for (int r = 0; r < n && ok; r++)
    {
      int      rx0 = G_MAXINT, ry0 = G_MAXINT, rx1 = -1, ry1 = -1, longest = 0, pixels = 0;
      gboolean cancelled = FALSE;

      if (count[r] == 0)
        continue;   /* not a root */
      for (int k = first[r]; k < first[r] + count[r]; k++)
        {
          const RestoreSpan *run = &regions->runs[order[k]];

          rx0 = MIN (rx0, run->x0);
          rx1 = MAX (rx1, run->x1);
          ry0 = MIN (ry0, run->y);
          ry1 = MAX (ry1, run->y + 1);
          longest = MAX (longest, run->x1 - run->x0);
          pixels += run->x1 - run->x0;
        }
      /* A pixel farther than HALF_WIDTH from the outside has its row and
       * column in the region for HALF_WIDTH pixels each side. */
      if (longest <= 2 * HALF_WIDTH || ry1 - ry0 <= 2 * HALF_WIDTH)
        continue;
      if (!texture_region_is_wide (regions, order + first[r], count[r],
                                   rx0, ry0, rx1, ry1, cancel, &cancelled))
        {
          ok = !cancelled;
          continue;
        }
      ok = texture_region (image, mask, regions, order + first[r], count[r],
                           rx0, ry0, rx1, ry1, pixels, strength, seed, threads, cancel,
                           stats);
    }

  restore_tile_regions_free (regions);
  g_free (root);
  g_free (count);
  g_free (first);
  g_free (order);
  return ok;
}
