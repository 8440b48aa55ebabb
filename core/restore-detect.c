/* gimp-restore: finding the damage (see restore-detect.h).
 *
 * restore_detect_probability(): tiles over the whole image
 * (restore_tile_plan_new_full(): the restore planner's grid, windows and
 * raised-cosine weights), the detector on each window, the tile's core
 * blended straight into the caller's probability map.  Memory: one input
 * tile [3, T, T] and one output tile [T, T] of floats, 16 T^2 bytes, plus
 * the network's workspace; nothing else grows with the image.  With
 * scale f > 1 the network runs on the picture reduced f times (block
 * means, detect_reduce()) and the probabilities are enlarged
 * bilinearly: (channels + 1) / f^2 floats a pixel more.  Scale 0
 * (detect_auto()) runs both the full size and the half, and blends by the
 * picture's local softness (restore_softness_weights(): the gray picture and half
 * a float a pixel more while it is measured, then per 8 x 8 cell); the
 * half-size map takes one float a pixel more.
 *
 * restore_detect_select(): threshold, 8-connected regions of the pixels
 * at or above the threshold or the extend probability as runs
 * (restore_tile_regions_new()), the hysteresis (a region holding a pixel
 * at or above the threshold is selected whole), each region's width from
 * an exact
 * distance transform (restore_tile_distance2()), the size filter, then a
 * second distance transform for the grown, soft-edged selection (one
 * pixel narrower on the pixels below the fringe probability).  Scratch:
 * 1 byte per pixel for the thresholded map and the fringe and extend
 * bits, the runs (12 bytes each) and the caller's @mask buffer as the
 * distance map.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "restore-detect.h"
#include "restore-softness.h"
#include "restore-ops.h"
#include "restore-params.h"
#include "restore-tile.h"

#define DETECT_MAX_SIDE   (1 << 20)
#define DETECT_FAR        1e20f
#define DETECT_STEEPNESS  10.0

/**
 * restore_detect_options_init:
 * @options: the options to fill
 * See restore-detect.h.
 */
void
restore_detect_options_init (RestoreDetectOptions *options)
{
  g_return_if_fail (options != NULL);

  memset (options, 0, sizeof *options);
  restore_params_set_defaults (restore_detect_params, RESTORE_DETECT_PARAM_COUNT, options);
  options->flips = 0;
  options->n_threads = 0;
  options->tile_size = 0;
  options->progress = NULL;
  options->progress_data = NULL;
  options->cancel = NULL;
}

/** restore_model_is_detector: See restore-detect.h. */
gboolean
restore_model_is_detector (const RestoreModel *model)
{
  g_return_val_if_fail (model != NULL, FALSE);
  return restore_model_get_task (model) == RESTORE_MODEL_TASK_DETECT;
}

/**
 * restore_detect_threshold:
 * @sensitivity: 0..1 (clamped)
 * Returns 1 / (1 + exp (10 (sensitivity - 0.5))).
 */
double
restore_detect_threshold (double sensitivity)
{
  double s = isnan (sensitivity) ? 0.5 : CLAMP (sensitivity, 0.0, 1.0);

  return 1.0 / (1.0 + exp (DETECT_STEEPNESS * (s - 0.5)));
}

static gboolean
detect_cancelled (const RestoreDetectOptions *options,
                  GError                    **error)
{
  if (options->cancel != NULL && g_atomic_int_get (options->cancel))
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_CANCELLED, "cancelled");
      return TRUE;
    }
  return FALSE;
}

static gboolean
detect_check_size (int      width,
                   int      height,
                   GError **error)
{
  if (width < 1 || height < 1 || width > DETECT_MAX_SIDE || height > DETECT_MAX_SIDE)
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "image size %d x %d is out of range (1 to %d pixels a side)",
                   width, height, DETECT_MAX_SIDE);
      return FALSE;
    }
  return TRUE;
}

/* Which parts of a reduced picture's map are used: @weight ([gh, gw],
 * @cell pixels a cell of the full-size picture) is where the map, enlarged
 * @f times, is weighed in; elsewhere it is multiplied by 0. */
typedef struct
{
  const float *weight;
  int          gw, gh, cell, f;
} DetectNeed;

/* Whether @tile's core (in the reduced picture) feeds a pixel of the
 * full-size picture whose weight is above 0: with a margin of one reduced
 * pixel for the bilinear enlargement and one cell for the bilinear weight
 * between cell centres. */
static gboolean
detect_tile_needed (const DetectNeed  *need,
                    const RestoreTile *tile)
{
  int cx0 = MAX (need->f * (tile->x0 - 1) / need->cell - 1, 0);
  int cy0 = MAX (need->f * (tile->y0 - 1) / need->cell - 1, 0);
  int cx1 = MIN (need->f * (tile->x1 + 2) / need->cell + 1, need->gw - 1);
  int cy1 = MIN (need->f * (tile->y1 + 2) / need->cell + 1, need->gh - 1);

  for (int cy = cy0; cy <= cy1; cy++)
    for (int cx = cx0; cx <= cx1; cx++)
      if (need->weight[(gsize) cy * need->gw + cx] > 0.0f)
        return TRUE;
  return FALSE;
}

/* The network over every tile of @src, blended into @prob ([height,
 * width] of @src); the caller has checked the options.  With @need, only
 * the tiles it needs (detect_tile_needed()); the others' cores are left at
 * 0 or part of a blend. */
static gboolean
detect_tiles (RestoreModel               *model,
              const RestoreImage         *src,
              float                      *prob,
              const RestoreDetectOptions *options,
              const DetectNeed           *need,
              GError                    **error)
{
  RestoreTilePlan *plan;
  gsize            max_area = 0;
  int              max_core_w = 0, max_core_h = 0;
  float           *in, *out, *wx, *wy;
  float            scale, offset;
  gboolean         ok = TRUE;
  gboolean        *run;
  RestoreContext  *ctx = options->context, *own_ctx = NULL;
  int              k, n_run = 0, done = 0;

  scale = restore_model_get_norm_scale (model);
  offset = restore_model_get_norm_offset (model);

  plan = restore_tile_plan_new_full (src->width, src->height,
                                     restore_model_get_halo (model),
                                     restore_model_get_depth (model),
                                     options->tile_size);
  run = g_new (gboolean, plan->n_tiles);
  for (k = 0; k < plan->n_tiles; k++)
    {
      const RestoreTile *tile = &plan->tiles[k];

      run[k] = need == NULL || detect_tile_needed (need, tile);
      n_run += run[k];
      max_area = MAX (max_area, (gsize) tile->width * tile->height);
      max_core_w = MAX (max_core_w, tile->x1 - tile->x0);
      max_core_h = MAX (max_core_h, tile->y1 - tile->y0);
    }
  in = g_new (float, 3 * max_area);
  out = g_new (float, max_area);
  wx = g_new (float, max_core_w);
  wy = g_new (float, max_core_h);

  /* The weights of the tiles sum to one: accumulate from zero. */
  memset (prob, 0, (gsize) src->width * src->height * sizeof (float));
  if (ctx == NULL)
    ctx = own_ctx = restore_context_new (options->n_threads);
  if (options->progress != NULL)
    options->progress (0.0, options->progress_data);

  for (k = 0; k < plan->n_tiles && ok; k++)
    {
      const RestoreTile *tile = &plan->tiles[k];
      int                x, y;

      if (! run[k])
        continue;
      if (detect_cancelled (options, error))
        {
          ok = FALSE;
          break;
        }
      restore_tile_fill_rgb (tile, src, scale, offset, in);
      ok = restore_model_forward_flipped (model, ctx, in, out, tile->width, tile->height,
                                          options->flips > 0 ? options->flips
                                          : restore_model_get_flips (model),
                                          FALSE, error);
      if (! ok)
        break;
      restore_tile_get_weights (plan, tile, wx, wy);
      for (y = tile->y0; y < tile->y1; y++)
        {
          const float *o = out + (gsize) (y - tile->y) * tile->width - tile->x;
          float       *p = prob + (gsize) y * src->width;
          float        w = wy[y - tile->y0];

          for (x = tile->x0; x < tile->x1; x++)
            p[x] += w * wx[x - tile->x0] * o[x];
        }
      if (options->progress != NULL)
        options->progress ((double) ++done / n_run, options->progress_data);
    }
  if (n_run == 0 && options->progress != NULL)
    options->progress (1.0, options->progress_data);

  restore_context_free (own_ctx);
  restore_tile_plan_free (plan);
  g_free (in);
  g_free (out);
  g_free (wx);
  g_free (wy);
  g_free (run);
  return ok;
}

/* @dst: a new image of @src's channels, ceil (width / f) x ceil (height /
 * f), each pixel the mean of its f x f block of @src (the blocks on the
 * right and bottom edges may be smaller). */
static void
detect_reduce (const RestoreImage *src,
               int                 f,
               RestoreImage       *dst)
{
  int     c = src->channels;
  double *acc;

  dst->width = (src->width + f - 1) / f;
  dst->height = (src->height + f - 1) / f;
  dst->channels = c;
  dst->rowstride = (gsize) dst->width * c;
  dst->data = g_new (float, dst->rowstride * dst->height);
  acc = g_new (double, dst->rowstride);
  for (int y = 0; y < dst->height; y++)
    {
      int y0 = y * f, y1 = MIN (y0 + f, src->height);

      memset (acc, 0, dst->rowstride * sizeof (double));
      for (int sy = y0; sy < y1; sy++)
        {
          const float *row = src->data + (gsize) sy * src->rowstride;

          for (int sx = 0; sx < src->width; sx++)
            for (int k = 0; k < c; k++)
              acc[(gsize) (sx / f) * c + k] += row[(gsize) sx * c + k];
        }
      for (int x = 0; x < dst->width; x++)
        {
          int    n = (MIN (x * f + f, src->width) - x * f) * (y1 - y0);
          float *o = dst->data + (gsize) y * dst->rowstride + (gsize) x * c;

          for (int k = 0; k < c; k++)
            o[k] = (float) (acc[(gsize) x * c + k] / n);
        }
    }
  g_free (acc);
}

/* Row @y of the bilinear enlargement of @small (sw x sh, the reduction
 * by @f of a picture @w pixels wide) into @row: pixel (x, y) of the
 * picture lies at ((x + 0.5) / f - 0.5, (y + 0.5) / f - 0.5) in @small,
 * edges clamped. */
static void
detect_enlarge_row (const float *small,
                    int          sw,
                    int          sh,
                    int          f,
                    int          y,
                    float       *row,
                    int          w)
{
  int          y0, y1;
  float        ay = (float) restore_reduced_position (y, f, sh, &y0, &y1);
  const float *r0 = small + (gsize) y0 * sw, *r1 = small + (gsize) y1 * sw;

  for (int x = 0; x < w; x++)
    {
      int    x0, x1;
      float  ax = (float) restore_reduced_position (x, f, sw, &x0, &x1);
      float  top = r0[x0] + ax * (r0[x1] - r0[x0]);
      float  bottom = r1[x0] + ax * (r1[x1] - r1[x0]);

      row[x] = top + ay * (bottom - top);
    }
}

/* Bilinear enlargement of @small (sw x sh, the reduction by @f of a w x h
 * picture) to @prob (detect_enlarge_row()). */
static void
detect_enlarge (const float *small,
                int          sw,
                int          sh,
                int          f,
                float       *prob,
                int          w,
                int          h)
{
  for (int y = 0; y < h; y++)
    detect_enlarge_row (small, sw, sh, f, y, prob + (gsize) y * w, w);
}

static gboolean
detect_reduced (RestoreModel               *model,
                const RestoreImage         *src,
                int                         f,
                float                      *prob,
                const RestoreDetectOptions *options,
                const DetectNeed           *need,
                GError                    **error)
{
  RestoreImage small;
  float       *small_prob;
  gboolean     ok;

  detect_reduce (src, f, &small);
  small_prob = g_new (float, (gsize) small.width * small.height);
  ok = detect_tiles (model, &small, small_prob, options, need, error);
  if (ok)
    detect_enlarge (small_prob, small.width, small.height, f, prob,
                    src->width, src->height);
  g_free (small_prob);
  g_free (small.data);
  return ok;
}

typedef struct
{
  const RestoreDetectOptions *options;
  double                      from, span;
} DetectStage;

static void
detect_stage_progress (double   fraction,
                       gpointer data)
{
  DetectStage *stage = data;

  stage->options->progress (stage->from + stage->span * fraction,
                            stage->options->progress_data);
}

/* Scale 0: the network at full size into @prob and at half size, and,
 * per pixel, prob = max (p1, w p2) with w the softness weight
 * (restore_softness_weights(), bilinear between cell centres).  Where the picture
 * is sharp this is the full-size map; where it is soft, where the
 * network at full size finds next to nothing, the half-size map. */
static gboolean
detect_auto (RestoreModel               *model,
             const RestoreImage         *src,
             float                      *prob,
             const RestoreDetectOptions *options,
             GError                    **error)
{
  RestoreDetectOptions stage_options = *options;
  /* cost: 1 for the full size, 1/4 for the half */
  DetectStage          stage = { options, 0.0, 0.8 };
  float               *half, *weight;
  DetectNeed           need;
  int                  w = src->width, h = src->height, gw, gh;
  gboolean             ok;
  float                soft = 0.0f;

  weight = restore_softness_weights (src, &gw, &gh);
  for (gsize c = 0; c < (gsize) gw * gh; c++)
    soft = MAX (soft, weight[c]);
  if (soft == 0.0f)
    {
      /* sharp all over: the full-size map alone */
      g_free (weight);
      return detect_tiles (model, src, prob, options, NULL, error);
    }
  if (options->progress != NULL)
    {
      stage_options.progress = detect_stage_progress;
      stage_options.progress_data = &stage;
    }
  ok = detect_tiles (model, src, prob, &stage_options, NULL, error);
  if (! ok)
    {
      g_free (weight);
      return FALSE;
    }
  stage.from = 0.8;
  stage.span = 0.2;
  need = (DetectNeed) { weight, gw, gh, SOFT_CELL, 2 };
  half = g_new (float, (gsize) w * h);
  ok = detect_reduced (model, src, 2, half, &stage_options, &need, error);
  if (ok)
    {
      float *wrow = g_new (float, w);

      for (int y = 0; y < h; y++)
        {
          float       *p = prob + (gsize) y * w;
          const float *q = half + (gsize) y * w;

          detect_enlarge_row (weight, gw, gh, SOFT_CELL, y, wrow, w);
          for (int x = 0; x < w; x++)
            p[x] = MAX (p[x], wrow[x] * q[x]);
        }
      g_free (wrow);
    }
  g_free (half);
  g_free (weight);
  return ok;
}

/* A pixel whose colour holds a sample that is not a finite number (NaN
 * or an infinity in a float image) has lost its value: probability 1,
 * whatever the network made of it (it sees such a sample clamped, NaN as
 * 0).  Alpha is not looked at, as detection ignores it. */
static void
detect_mark_non_finite (const RestoreImage *src,
                        float              *prob)
{
  int nc = src->channels >= 3 ? 3 : 1;

  for (int y = 0; y < src->height; y++)
    {
      const float *row = src->data + (gsize) y * src->rowstride;
      float       *p = prob + (gsize) y * src->width;

      for (int x = 0; x < src->width; x++)
        for (int c = 0; c < nc; c++)
          if (!isfinite (row[(gsize) x * src->channels + c]))
            {
              p[x] = 1.0f;
              break;
            }
    }
}

/**
 * restore_detect_probability:
 * See restore-detect.h.
 */
gboolean
restore_detect_probability (RestoreModel               *model,
                            const RestoreImage         *src,
                            float                      *prob,
                            const RestoreDetectOptions *options,
                            GError                    **error)
{
  RestoreDetectOptions defaults;
  int                  f;
  gboolean             ok;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (src != NULL && src->data != NULL, FALSE);
  g_return_val_if_fail (prob != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (options == NULL)
    {
      restore_detect_options_init (&defaults);
      options = &defaults;
    }
  if (! restore_model_is_detector (model))
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "model '%s' is not a damage detector (restore.task is not "
                   "'detect')", restore_model_get_name (model));
      return FALSE;
    }
  if (! detect_check_size (src->width, src->height, error))
    return FALSE;
  if (src->channels < 1 || src->channels > 4)
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "images must have 1 to 4 channels, got %d", src->channels);
      return FALSE;
    }
  if (src->rowstride < (gsize) src->width * src->channels
      || src->rowstride > G_MAXSIZE / sizeof (float) / src->height)
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "image row stride %" G_GSIZE_FORMAT " does not fit width x "
                   "channels (%d x %d)", src->rowstride, src->width, src->channels);
      return FALSE;
    }
  if (! restore_check_run_settings (options->n_threads, options->tile_size,
                                    options->flips, error))
    return FALSE;
  if (! restore_detect_param_check (RESTORE_DETECT_PARAM_SCALE, options->scale, error))
    return FALSE;
  if (detect_cancelled (options, error))
    return FALSE;
  f = options->scale;
  if (f == 0)
    ok = detect_auto (model, src, prob, options, error);
  else if (f == 1)
    ok = detect_tiles (model, src, prob, options, NULL, error);
  else
    /* The picture reduced f times (each pixel the mean of an f x f
     * block), the network on that, its probabilities scaled back up. */
    ok = detect_reduced (model, src, f, prob, options, NULL, error);
  if (ok)
    detect_mark_non_finite (src, prob);
  return ok;
}

/** restore_detect_options_check: See restore-detect.h. */
gboolean
restore_detect_options_check (const RestoreDetectOptions *options,
                              GError                    **error)
{
  if (! restore_params_check (restore_detect_params, RESTORE_DETECT_PARAM_COUNT, options,
                              error))
    return FALSE;
  if (options->min_size > options->max_size)
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   _("The minimum size (%d) is larger than the maximum size (%d)."),
                   options->min_size, options->max_size);
      return FALSE;
    }
  return TRUE;
}

/* Hysteresis: sets bit 0 of @sel (p >= threshold) on every run of
 * @regions (the 8-connected regions of the pixels with p >= extend or
 * p >= threshold) whose region holds a pixel that already has it. */
static void
detect_extend (guint8         *sel,
               int             width,
               RestoreRegions *regions)
{
  guint8 *seeded = g_new0 (guint8, MAX (regions->n_runs, 1));
  int     r, x;

  for (r = 0; r < regions->n_runs; r++)
    {
      const RestoreSpan *run = &regions->runs[r];
      const guint8     *row = sel + (gsize) run->y * width;

      for (x = run->x0; x < run->x1; x++)
        if (row[x] & 1)
          {
            seeded[restore_tile_regions_root (regions, r)] = 1;
            break;
          }
    }
  for (r = 0; r < regions->n_runs; r++)
    if (seeded[restore_tile_regions_root (regions, r)])
      {
        const RestoreSpan *run = &regions->runs[r];
        guint8           *row = sel + (gsize) run->y * width;

        for (x = run->x0; x < run->x1; x++)
          row[x] |= 1;
      }
  g_free (seeded);
}

/**
 * restore_detect_select:
 * See restore-detect.h.
 */
int
restore_detect_select (const float                *prob,
                       int                         width,
                       int                         height,
                       float                      *mask,
                       const RestoreDetectOptions *options,
                       GError                    **error)
{
  RestoreDetectOptions defaults;
  RestoreRegions      *regions;
  RestoreMask          view;
  guint8              *sel;
  float               *region_r2;
  guint8              *keep;
  gsize                n, i;
  float                t, fringe, extend;
  double               lo, hi;
  int                  x, r, kept = 0;

  g_return_val_if_fail (prob != NULL && mask != NULL, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  if (options == NULL)
    {
      restore_detect_options_init (&defaults);
      options = &defaults;
    }
  if (! detect_check_size (width, height, error) || ! restore_detect_options_check (options, error))
    return -1;
  if (detect_cancelled (options, error))
    return -1;

  n = (gsize) width * height;
  t = (float) restore_detect_threshold (options->sensitivity);
  fringe = (float) options->fringe;
  extend = (float) options->extend;

  /* 1. Threshold (read before @mask, which may be @prob, is written):
   * bit 0 of sel, p >= t; bit 1, p >= fringe (for step 4); bit 2,
   * p >= extend. */
  sel = g_new (guint8, n);
  for (i = 0; i < n; i++)
    sel[i] = (prob[i] >= t) | ((prob[i] >= fringe) << 1) | ((prob[i] >= extend) << 2);

  /* 2. Regions: the 8-connected regions of the pixels with p >= t or
   * p >= extend.  With extend >= t they are those of p >= t; with extend
   * below t (hysteresis) a region holding a pixel with p >= t is
   * selected whole and the others not at all, so these are the regions
   * of the selection as well. */
  for (i = 0; i < n; i++)
    mask[i] = (sel[i] & 5) ? 1.0f : 0.0f;
  view.data = mask;
  view.width = width;
  view.height = height;
  view.rowstride = width;
  regions = restore_tile_regions_new (&view, 0, 0, width, height);
  if (extend < t)
    detect_extend (sel, width, regions);

  /* 3. Widths: the distance of each selected pixel to the nearest
   * unselected one, the outside of the image counting as unselected.
   * A region left unselected by step 2 has distance 0 everywhere, so
   * radius 0, below any min_size's, and is not kept. */
  for (i = 0; i < n; i++)
    mask[i] = (sel[i] & 1) ? DETECT_FAR : 0.0f;
  if (! restore_tile_distance2 (mask, width, height, options->cancel))
    {
      restore_tile_regions_free (regions);
      g_free (sel);
      detect_cancelled (options, error);
      return -1;
    }
  region_r2 = g_new0 (float, MAX (regions->n_runs, 1));
  keep = g_new0 (guint8, MAX (regions->n_runs, 1));
  for (r = 0; r < regions->n_runs; r++)
    {
      const RestoreSpan *run = &regions->runs[r];
      gint32            root = restore_tile_regions_root (regions, r);
      const float      *row = mask + (gsize) run->y * width;

      for (x = run->x0; x < run->x1; x++)
        {
          float edge = (float) MIN (MIN (x + 1, width - x),
                                    MIN (run->y + 1, height - run->y));
          float d2 = MIN (row[x], edge * edge);

          region_r2[root] = MAX (region_r2[root], d2);
        }
    }
  /* width = 2 r - 1 in [min, max]  <=>  r in [(min + 1) / 2, (max + 1) / 2] */
  lo = (options->min_size + 1) / 2.0;
  hi = (options->max_size + 1) / 2.0;
  for (r = 0; r < regions->n_runs; r++)
    if (restore_tile_regions_root (regions, r) == r)
      {
        double radius = sqrt (region_r2[r]);

        /* a small tolerance: a diagonal line's radius is not whole */
        keep[r] = radius >= lo - 1e-3 && radius <= hi + 1e-3;
        kept += keep[r];
      }

  /* 4. Grow the kept regions with a soft edge. */
  for (i = 0; i < n; i++)
    mask[i] = DETECT_FAR;
  for (r = 0; r < regions->n_runs; r++)
    if (keep[restore_tile_regions_root (regions, r)])
      {
        const RestoreSpan *run = &regions->runs[r];

        for (x = run->x0; x < run->x1; x++)
          mask[(gsize) run->y * width + x] = 0.0f;
      }
  restore_tile_regions_free (regions);
  g_free (region_r2);
  g_free (keep);
  if (kept == 0)
    {
      g_free (sel);
      memset (mask, 0, n * sizeof (float));
      return 0;
    }
  if (! restore_tile_distance2 (mask, width, height, options->cancel))
    {
      g_free (sel);
      detect_cancelled (options, error);
      return -1;
    }
  for (i = 0; i < n; i++)
    {
      /* the kept pixels themselves (d = 0) stay whole whatever their p */
      float reach = (float) options->grow + ((sel[i] & 2) || mask[i] == 0.0f ? 1.0f : 0.0f);
      float v = reach - sqrtf (mask[i]);

      mask[i] = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
    }
  g_free (sel);
  return kept;
}

/**
 * restore_detect_run:
 * See restore-detect.h.
 */
int
restore_detect_run (RestoreModel               *model,
                    const RestoreImage         *src,
                    float                      *mask,
                    const RestoreDetectOptions *options,
                    GError                    **error)
{
  RestoreDetectOptions defaults;

  g_return_val_if_fail (src != NULL && mask != NULL, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  if (options == NULL)
    {
      restore_detect_options_init (&defaults);
      options = &defaults;
    }
  /* Bad selection options fail before the network runs. */
  if (! restore_detect_options_check (options, error))
    return -1;
  if (! restore_detect_probability (model, src, mask, options, error))
    return -1;
  return restore_detect_select (mask, src->width, src->height, mask, options, error);
}
