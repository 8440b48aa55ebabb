/* gimp-restore: restore_run, the pipeline (see restore-engine.h).
 *
 * Steps: validate; find the mask's bounding box (the only pass over the
 * whole mask); copy the source rows into the destination (the only pass
 * over the whole image: a memcpy per row); for several models route every
 * damaged region to one of them (restore-tile.c); plan the tiles of each
 * model over its regions, the model for the widest damage first, each
 * taking the smaller models' pixels inside its tiles' cores, which its
 * windows compute anyway (restore_tile_plan_absorb(): a window runs one
 * network, not two, and the general model fills thin damage at least as
 * well); run the network tile by tile (its decoder only
 * on the pixels that reach a masked one: restore_model_forward_masked())
 * and blend each tile straight into the destination:
 *   dst += w * (post (m * restored + (1 - m) * src) - src)
 * for the tile's core pixels with m > 0, where the blend weights w of all
 * tiles sum to one.  Pixels with m == 0 keep the copied bytes.
 *
 * A sample that is not a finite number (NaN or an infinity in a float
 * image) has no value to keep: the network sees it clamped like any
 * value outside 0..1 (NaN as 0), and where m > 0 the pixel takes the
 * restoration whole (m read as 1 in the composite, src as 0 in the blend,
 * so dst = sum of w * post (restored)); where m == 0 it is left as it is,
 * like every pixel outside the mask.  The composite's pixels outside the
 * mask, which the post-processing filters read, hold the clamped value,
 * so no NaN reaches a restored pixel.
 *
 * Per tile (window h x w, C colour channels: 1 for gray, 3 for RGB):
 *   restored = clamp ((y - offset) / scale, 0, 1), gray = mean of the
 *   three outputs; post-processing (restore-post.h) runs on the tile's
 *   composite, whose halo gives the filters real surroundings.
 * Alpha inside the mask is filled from the known alpha around it by
 * normalised convolution: the mean of a * (1 - m) over (1 - m) in the
 * smallest box (radius 2, 4, 8, ...) around the pixel that holds at least
 * one known pixel's worth of weight; 1 (opaque) when the whole window is
 * masked.  Alpha of damaged photos is almost always constant, which this
 * reproduces exactly, and it costs nothing next to the network.
 *
 * With restore.flips 2 or 4 (restore_model_forward_flipped) the network
 * runs that many times, on mirror images, and the outputs are averaged
 * before the composite: on the whole window when options.flips asks for
 * it or the model has no restore.flips_radius; else only around the
 * damage wider than that radius (engine_tile_flips: a distance transform
 * of the window's mask, 1 float per pixel more), on crops of the window
 * (the wide pixels' boxes grown by the halo), blended into the one-image
 * output over a few pixels at the boxes' edges; the whole window again
 * when the crops would cover most of it.  On a scan the wide damage is a
 * few specks and tears among thin scratches, so the extra images cost
 * little; on a large hole they run as before.
 *
 * Memory: the tiler's 28 T^2 bytes (twice that with flips), plus (C + 1) T^2 floats for the
 * composite and mask and, with alpha, 2 (T + 1)^2 doubles of summed-area
 * tables; with several models the routing map, 1 byte per pixel of the
 * mask's bounding box, plus 24 bytes per run of masked pixels while it is
 * made; after the tiles, whose memory is given back first, the grain
 * step's 3 bytes per pixel of the mask's bounding box grown by
 * RESTORE_GRAIN_REACH (restore-grain.h).  Nothing else grows with the image.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "restore-engine.h"
#include "restore-context-private.h"
#include "restore-grain.h"
#include "restore-texture.h"
#include "restore-ops.h"
#include "restore-params.h"
#include "restore-post.h"
#include "restore-tile.h"

G_DEFINE_QUARK (restore-error-quark, restore_error)

G_STATIC_ASSERT (RESTORE_ERROR_COUNT == 4);

#define ENGINE_MAX_SIDE  (1 << 20)
#define ENGINE_MAX_MODELS (RESTORE_TILE_NO_OWNER - 1)

typedef struct
{
  const RestoreImage   *src;
  RestoreImage         *dst;
  const RestoreMask    *mask;
  const RestoreOptions *options;
  RestoreContext       *ctx;
  RestoreModel         *model;
  float                 scale, offset;
  const guint8         *owner;       /* routing map over the box, or NULL */
  int                   box_x0, box_y0, box_w;
  guint8                id;
  int                   done, total;
  float                *dist;        /* [h, w] for engine_tile_flips, or NULL */
  /* per-tile scratch, sized for the largest window */
  float                *comp;        /* [C, h, w] */
  float                *m;           /* [h, w] */
  double               *sat_a;       /* [(h + 1) (w + 1)] */
  double               *sat_k;
} EngineRun;

static gboolean
engine_cancelled (const RestoreOptions *options,
                  GError              **error)
{
  if (options->cancel != NULL && g_atomic_int_get (options->cancel))
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_CANCELLED,
                   "cancelled");
      return TRUE;
    }
  return FALSE;
}

/* Mirror images where they pay (see the top of the file): wide damage is
 * grouped by cells of FLIP_CELL pixels; each cell's wide pixels, grown by
 * the damage's own reach and FLIP_RAMP, make a box; boxes that touch are
 * merged.  More than FLIP_MAX_BOXES boxes, or crops (boxes grown by the
 * halo) covering more than FLIP_WHOLE of the window: the whole window
 * runs on its mirror images instead. */
#define FLIP_CELL      32
#define FLIP_RAMP      8
#define FLIP_MAX_BOXES 64
#define FLIP_WHOLE     0.5

typedef struct
{
  int x0, y0, x1, y1;
} FlipBox;

/* How the tile runs on its mirror images: *@flips of them; on the whole
 * window (returns 0), or only on the @boxes around its wide damage
 * (returns their number).  @flips is options.flips when set; else the
 * model's restore.flips, where the window holds damage wider than the
 * model's restore.flips_radius (a masked pixel farther than that, plus
 * 0.5, from every unmasked one, as the routing measures a region), 1
 * elsewhere. */
static int
engine_tile_flips (EngineRun   *run,
                   const float *in,
                   int          w,
                   int          h,
                   int         *flips,
                   FlipBox     *boxes)
{
  double radius = restore_model_get_flips_radius (run->model);
  int    halo = restore_model_get_halo (run->model);
  int    margin = (int) ceil (radius + 1.5) + FLIP_RAMP;
  int    cols = (w + FLIP_CELL - 1) / FLIP_CELL, rows = (h + FLIP_CELL - 1) / FLIP_CELL;
  gsize  plane = (gsize) w * h, i;
  float  core2 = (float) ((radius + 0.5) * (radius + 0.5));
  FlipBox *cell;
  gint64  area = 0;
  int     n = 0, k, j, x, y;
  gboolean merged;

  *flips = restore_model_get_flips (run->model);
  if (run->options->flips > 0)
    {
      *flips = run->options->flips;
      return 0;
    }
  if (*flips == 1 || !(radius > 0.0) || run->dist == NULL)
    return 0;
  for (i = 0; i < plane; i++)
    run->dist[i] = in[3 * plane + i] > 0.0f ? 1e20f : 0.0f;
  if (!restore_tile_distance2 (run->dist, w, h, run->options->cancel))
    {
      *flips = 1;   /* cancelled: engine_forward reports it */
      return 0;
    }

  /* the wide pixels' bounding box per cell */
  cell = g_new (FlipBox, (gsize) cols * rows);
  for (k = 0; k < cols * rows; k++)
    cell[k] = (FlipBox) { G_MAXINT, G_MAXINT, -1, -1 };
  for (y = 0; y < h; y++)
    for (x = 0; x < w; x++)
      if (run->dist[(gsize) y * w + x] > core2)
        {
          FlipBox *c = cell + (y / FLIP_CELL) * cols + x / FLIP_CELL;

          c->x0 = MIN (c->x0, x);
          c->y0 = MIN (c->y0, y);
          c->x1 = MAX (c->x1, x + 1);
          c->y1 = MAX (c->y1, y + 1);
        }
  for (k = 0; k < cols * rows && n <= FLIP_MAX_BOXES; k++)
    if (cell[k].x1 >= 0 && n++ < FLIP_MAX_BOXES)
      boxes[n - 1] = (FlipBox) { MAX (cell[k].x0 - margin, 0), MAX (cell[k].y0 - margin, 0),
                                 MIN (cell[k].x1 + margin, w), MIN (cell[k].y1 + margin, h) };
  g_free (cell);
  if (n == 0)
    {
      *flips = 1;
      return 0;
    }
  if (n > FLIP_MAX_BOXES)   /* too many to be worth cropping */
    return 0;

  /* merge boxes that overlap or touch, until none do */
  do
    {
      merged = FALSE;
      for (k = 0; k < n; k++)
        for (j = k + 1; j < n; j++)
          if (boxes[j].x0 <= boxes[k].x1 && boxes[k].x0 <= boxes[j].x1
              && boxes[j].y0 <= boxes[k].y1 && boxes[k].y0 <= boxes[j].y1)
            {
              boxes[k].x0 = MIN (boxes[k].x0, boxes[j].x0);
              boxes[k].y0 = MIN (boxes[k].y0, boxes[j].y0);
              boxes[k].x1 = MAX (boxes[k].x1, boxes[j].x1);
              boxes[k].y1 = MAX (boxes[k].y1, boxes[j].y1);
              boxes[j--] = boxes[--n];
              merged = TRUE;
            }
    }
  while (merged);
  for (k = 0; k < n; k++)
    area += (gint64) (MIN (boxes[k].x1 + halo, w) - MAX (boxes[k].x0 - halo, 0))
            * (MIN (boxes[k].y1 + halo, h) - MAX (boxes[k].y0 - halo, 0));
  return area > FLIP_WHOLE * w * h ? 0 : n;
}

/* The crop [*@c0, *@c0 + *@len) of a window side of @size (a multiple of
 * @align) around [@b0, @b1) grown by @halo: a multiple of @align long,
 * inside the window. */
static void
flip_crop (int  b0,
           int  b1,
           int  halo,
           int  size,
           int  align,
           int *c0,
           int *len)
{
  int lo = MAX (b0 - halo, 0), hi = MIN (b1 + halo, size);

  *len = MIN ((hi - lo + align - 1) / align * align, size);
  *c0 = MIN (lo, size - *len);
}

/* Replaces the output in each box with the average over @flips mirror
 * images of a crop around it (the box grown by the model's halo), blended
 * in over FLIP_RAMP pixels at the box's edges inside the window; only
 * where the mask is set (the only output engine_sink reads). */
static gboolean
engine_flip_boxes (EngineRun     *run,
                   const float   *in,
                   float         *out,
                   int            w,
                   int            h,
                   int            flips,
                   const FlipBox *boxes,
                   int            n,
                   GError       **error)
{
  int    halo = restore_model_get_halo (run->model);
  int    align = 1 << restore_model_get_depth (run->model);
  int    cin = restore_model_get_in_channels (run->model);
  int    cout = restore_model_get_out_channels (run->model);
  gsize  plane = (gsize) w * h;

  for (int k = 0; k < n; k++)
    {
      const FlipBox *b = boxes + k;
      int      cx0, cy0, cw, ch;
      float   *cin_buf, *cout_buf;
      gboolean ok;

      flip_crop (b->x0, b->x1, halo, w, align, &cx0, &cw);
      flip_crop (b->y0, b->y1, halo, h, align, &cy0, &ch);
      cin_buf = g_new (float, (gsize) cin * cw * ch);
      cout_buf = g_new (float, (gsize) cout * cw * ch);
      for (int c = 0; c < cin; c++)
        for (int y = 0; y < ch; y++)
          memcpy (cin_buf + ((gsize) c * ch + y) * cw,
                  in + c * plane + (gsize) (y + cy0) * w + cx0, (gsize) cw * sizeof (float));
      ok = restore_model_forward_flipped (run->model, run->ctx, cin_buf, cout_buf, cw, ch,
                                          flips, TRUE, error);
      if (ok)
        for (int y = b->y0; y < b->y1; y++)
          for (int x = b->x0; x < b->x1; x++)
            {
              gsize i = (gsize) y * w + x;
              gsize o = (gsize) (y - cy0) * cw + (x - cx0);
              /* distance to the box's edges that are not the window's */
              int   e = G_MAXINT;
              float t;

              if (!(in[3 * plane + i] > 0.0f))
                continue;
              if (b->x0 > 0)
                e = MIN (e, x - b->x0);
              if (b->x1 < w)
                e = MIN (e, b->x1 - 1 - x);
              if (b->y0 > 0)
                e = MIN (e, y - b->y0);
              if (b->y1 < h)
                e = MIN (e, b->y1 - 1 - y);
              t = e >= FLIP_RAMP ? 1.0f : (float) (e + 1) / (FLIP_RAMP + 1);
              for (int c = 0; c < cout; c++)
                out[c * plane + i] += t * (cout_buf[c * (gsize) cw * ch + o] - out[c * plane + i]);
            }
      g_free (cin_buf);
      g_free (cout_buf);
      if (!ok || engine_cancelled (run->options, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
engine_forward (const float *in,
                float       *out,
                int          w,
                int          h,
                gpointer     data,
                GError     **error)
{
  EngineRun *run = data;
  FlipBox    boxes[FLIP_MAX_BOXES];
  int        flips, n;

  if (engine_cancelled (run->options, error))
    return FALSE;
  n = engine_tile_flips (run, in, w, h, &flips, boxes);
  /* only the output where the mask is > 0 is used (engine_sink) */
  if (!restore_model_forward_flipped (run->model, run->ctx, in, out, w, h,
                                      n > 0 ? 1 : flips, TRUE, error))
    return FALSE;
  if (n > 0 && !engine_flip_boxes (run, in, out, w, h, flips, boxes, n, error))
    return FALSE;
  return !engine_cancelled (run->options, error);
}

static inline float
clamp01 (float v)
{
  return v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
}

static double
box_sum (const double *sat,
         int           sw,
         int           x0,
         int           y0,
         int           x1,
         int           y1)
{
  return sat[(gsize) y1 * sw + x1] - sat[(gsize) y0 * sw + x1]
         - sat[(gsize) y1 * sw + x0] + sat[(gsize) y0 * sw + x0];
}

static gboolean
engine_sink (const RestoreTilePlan *plan,
             const RestoreTile     *tile,
             const float           *in,
             const float           *out,
             const float           *wx,
             const float           *wy,
             gpointer               data,
             GError               **error)
{
  EngineRun          *run = data;
  const RestoreImage *src = run->src;
  RestoreImage       *dst = run->dst;
  int                 ch = src->channels;
  int                 nc = ch < 3 ? 1 : 3;
  int                 alpha = (ch == 2 || ch == 4) ? ch - 1 : -1;
  int                 cx0 = tile->x, cy0 = tile->y;
  int                 cw = MIN (tile->x + tile->width, src->width) - cx0;
  int                 chh = MIN (tile->y + tile->height, src->height) - cy0;
  gsize               plane = (gsize) tile->width * tile->height;
  gsize               cn = (gsize) cw * chh;
  int                 x, y, c;

  /* Composite of the restored tile over the original, [nc, chh, cw]. */
  for (y = 0; y < chh; y++)
    {
      const float *s = src->data + (gsize) (y + cy0) * src->rowstride;

      for (x = 0; x < cw; x++)
        {
          gsize        o = (gsize) y * tile->width + x;
          gsize        i = (gsize) y * cw + x;
          float        m = restore_mask_value (run->mask, x + cx0, y + cy0);
          const float *p = s + (gsize) (x + cx0) * ch;
          float        r[3];

          for (c = 0; c < 3; c++)
            r[c] = clamp01 ((out[c * plane + o] - run->offset) / run->scale);
          run->m[i] = m;
          if (nc == 1)
            r[0] = (r[0] + r[1] + r[2]) / 3.0f;
          for (c = 0; c < nc; c++)
            {
              float v = p[c];

              /* a non-finite sample: the restoration where the mask is
               * set, else the value the network saw (see above) */
              if (!isfinite (v))
                v = m > 0.0f ? r[c] : clamp01 (v);
              run->comp[c * cn + i] = m * r[c] + (1.0f - m) * v;
            }
        }
    }
  restore_post_apply (run->comp, run->m, nc, cw, chh,
                      run->options->denoise, run->options->sharpen);

  /* Summed-area tables of a * (1 - m) and (1 - m) for the alpha fill. */
  if (alpha >= 0)
    {
      int sw = cw + 1;

      memset (run->sat_a, 0, sizeof (double) * sw);
      memset (run->sat_k, 0, sizeof (double) * sw);
      for (y = 0; y < chh; y++)
        {
          const float *s = src->data + (gsize) (y + cy0) * src->rowstride;
          double       ra = 0.0, rk = 0.0;

          run->sat_a[(gsize) (y + 1) * sw] = 0.0;
          run->sat_k[(gsize) (y + 1) * sw] = 0.0;
          for (x = 0; x < cw; x++)
            {
              double k = 1.0 - run->m[(gsize) y * cw + x];

              ra += k * clamp01 (s[(gsize) (x + cx0) * ch + alpha]);
              rk += k;
              run->sat_a[(gsize) (y + 1) * sw + x + 1] = run->sat_a[(gsize) y * sw + x + 1] + ra;
              run->sat_k[(gsize) (y + 1) * sw + x + 1] = run->sat_k[(gsize) y * sw + x + 1] + rk;
            }
        }
    }

  /* Blend the core into the destination where this model's mask is set. */
  for (y = tile->y0; y < tile->y1; y++)
    {
      const float *s = src->data + (gsize) y * src->rowstride;
      float       *d = dst->data + (gsize) y * dst->rowstride;
      int          ty = y - cy0;

      for (x = tile->x0; x < tile->x1; x++)
        {
          gsize  i = (gsize) ty * cw + (x - cx0);
          float  m = run->m[i];
          float  w;

          if (!(m > 0.0f))
            continue;
          if (run->owner != NULL
              && run->owner[(gsize) (y - run->box_y0) * run->box_w + (x - run->box_x0)] != run->id)
            continue;
          w = wx[x - tile->x0] * wy[y - tile->y0];
          for (c = 0; c < nc; c++)
            {
              float sv = s[(gsize) x * ch + c];

              /* a non-finite source counts as 0: dst starts there at the
               * first tile and sums the weighted restorations */
              if (!isfinite (sv))
                {
                  sv = 0.0f;
                  if (!isfinite (d[(gsize) x * ch + c]))
                    d[(gsize) x * ch + c] = 0.0f;
                }
              d[(gsize) x * ch + c] += w * (run->comp[c * cn + i] - sv);
            }
          if (alpha >= 0)
            {
              int    tx = x - cx0, sw = cw + 1, rad;
              double fill = 1.0;
              float  a = s[(gsize) x * ch + alpha];

              for (rad = 2;; rad *= 2)
                {
                  int    bx0 = MAX (tx - rad, 0), bx1 = MIN (tx + rad + 1, cw);
                  int    by0 = MAX (ty - rad, 0), by1 = MIN (ty + rad + 1, chh);
                  double k = box_sum (run->sat_k, sw, bx0, by0, bx1, by1);

                  if (k >= 1.0)
                    {
                      fill = box_sum (run->sat_a, sw, bx0, by0, bx1, by1) / k;
                      break;
                    }
                  if (bx0 == 0 && by0 == 0 && bx1 == cw && by1 == chh)
                    break;
                }
              if (isfinite (a))
                d[(gsize) x * ch + alpha] += w * m * ((float) fill - clamp01 (a));
              else
                {
                  /* as the colour: a non-finite alpha takes the fill */
                  if (!isfinite (d[(gsize) x * ch + alpha]))
                    d[(gsize) x * ch + alpha] = 0.0f;
                  d[(gsize) x * ch + alpha] += w * (float) fill;
                }
            }
        }
    }

  run->done++;
  if (run->options->progress != NULL)
    run->options->progress ((double) run->done / run->total,
                            run->options->progress_data);
  return !engine_cancelled (run->options, error);
}

/**
 * restore_check_run_settings:
 * See restore-engine.h.
 */
gboolean
restore_check_run_settings (int      n_threads,
                            int      tile_size,
                            int      flips,
                            GError **error)
{
  if (n_threads < 0)
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "the number of threads must be 0 (all cores) or more, got %d",
                   n_threads);
      return FALSE;
    }
  if (tile_size < 0)
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "the tile size must be 0 (default) or more, got %d", tile_size);
      return FALSE;
    }
  if (flips != 0 && flips != 1 && flips != 2 && flips != 4)
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "flips must be 0 (the model's own), 1, 2 or 4, got %d", flips);
      return FALSE;
    }
  return TRUE;
}

static gboolean
engine_check_args (const RestoreImage   *src,
                   const RestoreMask    *mask,
                   const RestoreImage   *dst,
                   const RestoreOptions *options,
                   GError              **error)
{
  gsize src_end, dst_end;

  if (src->width < 1 || src->height < 1
      || src->width > ENGINE_MAX_SIDE || src->height > ENGINE_MAX_SIDE)
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "image size %d x %d is out of range (1 to %d pixels a side)",
                   src->width, src->height, ENGINE_MAX_SIDE);
      return FALSE;
    }
  if (src->channels < 1 || src->channels > 4)
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "images must have 1 to 4 channels, got %d", src->channels);
      return FALSE;
    }
  if (src->rowstride < (gsize) src->width * src->channels)
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "image row stride %" G_GSIZE_FORMAT " is less than width x channels (%d x %d)",
                   src->rowstride, src->width, src->channels);
      return FALSE;
    }
  if (dst->width != src->width || dst->height != src->height
      || dst->channels != src->channels)
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "the output (%d x %d, %d channels) does not match the input (%d x %d, %d channels)",
                   dst->width, dst->height, dst->channels,
                   src->width, src->height, src->channels);
      return FALSE;
    }
  if (dst->rowstride < (gsize) dst->width * dst->channels)
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "output row stride %" G_GSIZE_FORMAT " is less than width x channels (%d x %d)",
                   dst->rowstride, dst->width, dst->channels);
      return FALSE;
    }
  if (mask->width != src->width || mask->height != src->height)
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "the mask is %d x %d but the image is %d x %d",
                   mask->width, mask->height, src->width, src->height);
      return FALSE;
    }
  if (mask->rowstride < (gsize) mask->width)
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "mask row stride %" G_GSIZE_FORMAT " is less than its width %d",
                   mask->rowstride, mask->width);
      return FALSE;
    }
  if (src->rowstride > G_MAXSIZE / sizeof (float) / src->height
      || dst->rowstride > G_MAXSIZE / sizeof (float) / dst->height
      || mask->rowstride > G_MAXSIZE / sizeof (float) / mask->height)
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "row stride too large");
      return FALSE;
    }
  src_end = (gsize) (src->height - 1) * src->rowstride + (gsize) src->width * src->channels;
  dst_end = (gsize) (dst->height - 1) * dst->rowstride + (gsize) dst->width * dst->channels;
  if ((const float *) dst->data < src->data + src_end
      && (const float *) src->data < dst->data + dst_end)
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "the output buffer overlaps the input");
      return FALSE;
    }
  if (!restore_param_check_double (RESTORE_PARAM_DENOISE, options->denoise, error)
      || !restore_param_check_double (RESTORE_PARAM_SHARPEN, options->sharpen, error)
      || !restore_param_check_double (RESTORE_PARAM_GRAIN, options->grain, error)
      || !restore_param_check_double (RESTORE_PARAM_TEXTURE, options->texture, error))
    return FALSE;
  if (! restore_check_run_settings (options->n_threads, options->tile_size,
                                    options->flips, error))
    return FALSE;
  return TRUE;
}

/* The widest damage a model is made for: restore.max_radius, unbounded
 * for a model without one (the general model). */
static double
engine_reach (RestoreModel *model)
{
  double r = restore_model_get_max_radius (model);

  return r > 0.0 ? r : G_MAXDOUBLE;
}

/**
 * restore_run:
 * See restore-engine.h.  Cost follows the damaged area: the network runs
 * only on tiles whose core holds a masked pixel; the rest of the image is
 * one memcpy per row and one read of the mask.
 */
gboolean
restore_run (RestoreModel *const   *models,
             int                    n_models,
             const RestoreImage    *src,
             const RestoreMask     *mask,
             RestoreImage          *dst,
             const RestoreOptions  *options,
             GError               **error)
{
  RestoreOptions    defaults;
  RestoreTilePlan **plans;
  EngineRun         run;
  guint8           *owner = NULL;
  int               bx0 = G_MAXINT, by0 = G_MAXINT, bx1 = -1, by1 = -1;
  int               y, k, total = 0;
  gsize             max_area = 0;
  gboolean          ok = TRUE;
  RestoreContext   *own_ctx = NULL;

  g_return_val_if_fail (models != NULL && n_models >= 1, FALSE);
  g_return_val_if_fail (src != NULL && src->data != NULL, FALSE);
  g_return_val_if_fail (dst != NULL && dst->data != NULL, FALSE);
  g_return_val_if_fail (mask != NULL && mask->data != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  for (k = 0; k < n_models; k++)
    g_return_val_if_fail (models[k] != NULL, FALSE);

  if (options == NULL)
    {
      restore_options_init (&defaults);
      options = &defaults;
    }
  if (!engine_check_args (src, mask, dst, options, error))
    return FALSE;
  for (k = 0; k < n_models; k++)
    if (restore_model_get_task (models[k]) != RESTORE_MODEL_TASK_INPAINT)
      {
        g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                     "model '%s' is a damage detector, not a restoration model",
                     restore_model_get_name (models[k]));
        return FALSE;
      }
  if (n_models > ENGINE_MAX_MODELS)
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "at most %d models can be chosen from, got %d",
                   ENGINE_MAX_MODELS, n_models);
      return FALSE;
    }

  /* Bounding box of the mask: the one read of the whole mask. */
  if (!restore_mask_box (mask, &bx0, &by0, &bx1, &by1))
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_EMPTY_MASK,
                   "the selection is empty: select the damaged area first");
      return FALSE;
    }
  if (engine_cancelled (options, error))
    return FALSE;

  /* Every pixel starts as an exact copy of the source. */
  for (y = 0; y < src->height; y++)
    {
      if (y % 256 == 0 && engine_cancelled (options, error))
        return FALSE;
      memcpy (dst->data + (gsize) y * dst->rowstride,
              src->data + (gsize) y * src->rowstride,
              (gsize) src->width * src->channels * sizeof (float));
    }

  if (n_models > 1)
    {
      double *radius = g_new (double, n_models);

      for (k = 0; k < n_models; k++)
        radius[k] = restore_model_get_max_radius (models[k]);
      owner = restore_tile_route (mask, bx0, by0, bx1, by1, radius, n_models,
                                  options->cancel);
      g_free (radius);
      if (owner == NULL)   /* only when cancelled */
        {
          g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_CANCELLED, "cancelled");
          return FALSE;
        }
    }

  /* Plans from the model made for the widest damage down: each takes the
   * pixels of the smaller models inside its tiles' cores, which it
   * computes anyway (engine_reach), so a window runs one network, not
   * two; the smaller models plan what is left. */
  plans = g_new0 (RestoreTilePlan *, n_models);
  {
    int      *order = g_new (int, n_models);
    gboolean *absorbs = g_new0 (gboolean, n_models);
    int       o, j;

    for (k = 0; k < n_models; k++)
      order[k] = k;
    for (o = 1; o < n_models; o++)   /* insertion sort, widest first */
      for (j = o; j > 0 && engine_reach (models[order[j]]) > engine_reach (models[order[j - 1]]); j--)
        {
          int t = order[j];

          order[j] = order[j - 1];
          order[j - 1] = t;
        }
    for (o = 0; o < n_models; o++)
      {
        RestoreMaskView view = { mask, bx0, by0, bx1, by1, owner, 0 };
        /* The filters of post-processing reach a little further. */
        gboolean        post = options->denoise > 0.0 || options->sharpen > 0.0;
        int             halo, i;

        k = order[o];
        view.id = (guint8) k;
        halo = restore_model_get_halo (models[k]) + (post ? RESTORE_POST_MARGIN : 0);
        plans[k] = restore_tile_plan_new (&view, halo,
                                          restore_model_get_depth (models[k]),
                                          options->tile_size);
        total += plans[k]->n_tiles;
        for (i = 0; i < plans[k]->n_tiles; i++)
          max_area = MAX (max_area, (gsize) plans[k]->tiles[i].width * plans[k]->tiles[i].height);
        if (owner != NULL && o < n_models - 1)
          {
            for (j = 0; j < n_models; j++)
              absorbs[j] = engine_reach (models[j]) < engine_reach (models[k]);
            restore_tile_plan_absorb (plans[k], owner, bx0, by0, bx1 - bx0, absorbs, (guint8) k);
          }
      }
    g_free (order);
    g_free (absorbs);
  }

  memset (&run, 0, sizeof run);
  run.ctx = options->context;
  if (run.ctx == NULL)
    run.ctx = own_ctx = restore_context_new (options->n_threads);
  run.src = src;
  run.dst = dst;
  run.mask = mask;
  run.options = options;
  run.owner = owner;
  run.box_x0 = bx0;
  run.box_y0 = by0;
  run.box_w = bx1 - bx0;
  run.total = total;
  run.comp = g_new (float, 3 * max_area);
  for (k = 0; k < n_models; k++)
    if (options->flips == 0 && restore_model_get_flips (models[k]) > 1
        && restore_model_get_flips_radius (models[k]) > 0.0 && run.dist == NULL)
      run.dist = g_new (float, max_area);
  run.m = g_new (float, max_area);
  if (src->channels == 2 || src->channels == 4)
    {
      /* (w + 1) (h + 1) <= area + w + h + 1 <= 3 area + 1 */
      run.sat_a = g_new (double, 3 * max_area + 1);
      run.sat_k = g_new (double, 3 * max_area + 1);
    }

  if (options->progress != NULL)
    options->progress (0.0, options->progress_data);
  for (k = 0; k < n_models && ok; k++)
    {
      if (plans[k]->n_tiles == 0)
        continue;
      run.model = models[k];
      run.id = (guint8) k;
      run.scale = restore_model_get_norm_scale (models[k]);
      run.offset = restore_model_get_norm_offset (models[k]);
      if (!(fabsf (run.scale) > 0.0f) || !isfinite (run.scale) || !isfinite (run.offset))
        {
          g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                       "model '%s' has an unusable normalisation (scale %g, offset %g)",
                       restore_model_get_name (models[k]), run.scale, run.offset);
          ok = FALSE;
          break;
        }
      ok = restore_tile_plan_run (plans[k], src, mask, run.scale, run.offset,
                                  engine_forward, &run, engine_sink, &run, error);
    }
  /* The tiles' memory goes back before the grain step takes its own. */
  if (own_ctx != NULL)
    restore_context_free (own_ctx);
  else
    restore_context_release (run.ctx);
  for (k = 0; k < n_models; k++)
    restore_tile_plan_free (plans[k]);
  g_free (plans);
  g_free (owner);
  g_free (run.comp);
  g_free (run.dist);
  g_free (run.m);
  g_free (run.sat_a);
  g_free (run.sat_k);

  /* Then the surroundings' texture into the wide regions' fill
   * (restore-texture.h), and last their film grain (restore-grain.h), which
   * adds only the fine detail the fill still lacks: the whole fill is known
   * by now, and the grain's noise depends on the pixel alone, so the tiling
   * and the threads do not change it. */
  if (ok && options->texture > 0.0
      && !restore_texture_apply (dst, mask, bx0, by0, bx1, by1, options->texture,
                                 RESTORE_TEXTURE_SEED, options->n_threads, options->cancel,
                                 NULL))
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_CANCELLED, "cancelled");
      ok = FALSE;
    }
  if (ok && options->grain > 0.0
      && !restore_grain_apply (dst, mask, bx0, by0, bx1, by1, options->grain,
                               RESTORE_GRAIN_SEED, options->cancel, NULL))
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_CANCELLED, "cancelled");
      ok = FALSE;
    }
  if (ok && options->progress != NULL && run.done == run.total)
    options->progress (1.0, options->progress_data);
  return ok;
}

void
restore_phase_time (const char *what)
{
  static gint64 last = 0;
  static int    enabled = -1;
  gint64        now;

  if (enabled < 0)
    enabled = g_getenv ("GIMP_RESTORE_TIMING") != NULL;
  if (! enabled)
    return;
  now = g_get_monotonic_time ();
  if (what != NULL && last != 0)
    g_printerr ("gimp-restore: %-12s %.3f s\n", what, (now - last) / 1e6);
  last = now;
}
