/* gimp-restore: finding the damage (public API of core/ for hosts).
 *
 * A detector is a U-Net model file with restore.task "detect"
 * (restore-file.h): normalised RGB in, one channel out, a sigmoid head,
 * so its output is, per pixel, the probability that the pixel belongs to
 * a defect (a light or dark scratch, dust, a hair, a crack, a small spot).
 * Detection runs over the whole image tile by tile with the model's halo
 * (the tiling of restore-tile.h, memory bounded by the tile size) and
 * blends the tiles' probabilities with the same partition-of-unity
 * weights as restore_run().
 *
 * From probabilities to a selection (restore_detect_select()):
 *   1. threshold t = 1 / (1 + exp (10 (sensitivity - 0.5))), so
 *      sensitivity 0.5 selects p >= 0.5, 0 selects p >= 0.993 (only what
 *      the network is sure of), 1 selects p >= 0.0067 (anything it
 *      suspects); t falls monotonically as sensitivity rises;
 *   2. hysteresis: a pixel with p >= @extend (below t) is selected too
 *      when it is 8-connected, through pixels with p >= @extend, to a
 *      pixel with p >= t; so a scratch the network is sure of in places
 *      and only suspects in between is selected along its whole length,
 *      and a defect takes in its faint edge, while a faint mark that
 *      touches nothing certain stays out; @extend >= t (1) turns it off;
 *   3. the 8-connected regions of the selected pixels are kept when their
 *      width lies in [min_size, max_size], the width of a region being
 *      2 r - 1 with r its largest Euclidean distance to an unselected
 *      pixel (a 1 px line has width 1, a 3 px line or a 3 px speck 3);
 *   4. the kept pixels are grown by @grow pixels with a soft edge: the
 *      selection value is clamp (grow + 1 - d, 0, 1), d the Euclidean
 *      distance to the nearest kept pixel (1 on the kept pixels and within
 *      grow pixels of them, falling to 0 over the next pixel), except on
 *      the pixels whose p is below @fringe, where it is clamp (grow - d,
 *      0, 1): the margin reaches one pixel less far where the network
 *      sees nothing of a defect, so an isolated false speck is not blown
 *      up to nine pixels; fringe 0 gives the same margin everywhere.
 *      Step 2 has already taken in the neighbours with p >= extend; the
 *      default grow 2 adds a pixel all round on top (one where p < fringe):
 *      the anti-aliased edge of a defect that the network's label leaves
 *      out (coverage < 0.5) still shows, and a fill that sees it in its
 *      surroundings carries it in as a grey ghost of the defect.
 * The defaults of sensitivity, sizes, grow, fringe and extend are in the
 * parameter table (restore_detect_params, restore-params.h).
 */
#pragma once

#include <glib.h>
#include "restore-engine.h"

G_BEGIN_DECLS

typedef struct
{
  double              sensitivity;   /* 0..1, see above */
  int                 min_size;      /* px, smallest region width kept */
  int                 max_size;      /* px, largest region width kept */
  int                 grow;          /* px, margin added around the defects */
  double              fringe;        /* 0..1, see above */
  double              extend;        /* 0.001..1, see above */
  int                 scale;         /* 1..8: the network looks at the
                                      * picture reduced this many times;
                                      * 0: automatic, 1 or 2 by region
                                      * (restore_detect_probability()) */
  int                 flips;         /* mirror images averaged per tile: 1, 2
                                      * or 4; 0 = the detector's restore.flips */
  int                 n_threads;     /* 0 = number of cores */
  int                 tile_size;     /* 0 = default; rounded to 2^depth */
  RestoreContext     *context;       /* threads, scratch and statistics to
                                      * run with (n_threads is then unused);
                                      * NULL: the run makes its own */
  RestoreProgressFunc progress;      /* may be NULL; network part only */
  gpointer            progress_data;
  const gint         *cancel;        /* polled with g_atomic_int_get; may be NULL */
} RestoreDetectOptions;

/* Fills @options with the defaults of the parameter table, all cores,
 * the default tile size, no progress callback and no cancel flag. */
void     restore_detect_options_init   (RestoreDetectOptions *options);

/* TRUE when every setting of @options lies in its range of the
 * parameter table and min_size <= max_size; else sets @error
 * (RESTORE_ERROR_INVALID) naming the setting. */
gboolean restore_detect_options_check  (const RestoreDetectOptions *options,
                                        GError                    **error);

/* TRUE when @model is a damage detector (restore.task "detect"). */
gboolean restore_model_is_detector     (const RestoreModel *model);

/* The probability threshold a sensitivity stands for (formula above). */
double   restore_detect_threshold      (double sensitivity);

/**
 * restore_detect_probability:
 * @model: a detector (restore_model_is_detector())
 * @src: the image (1..4 channels as in restore-engine.h; gray is fed as
 *       three equal channels, alpha is ignored); never written
 * @prob: (out): [height, width] floats, rows packed: the defect
 *        probability of each pixel, 0..1
 * Runs the network over the whole image.  Only @options' n_threads,
 * context, tile_size, flips, scale, progress and cancel are used.  With scale
 * f > 1 the network sees the picture reduced f times (each pixel the mean
 * of an f x f block) and its probabilities are enlarged back bilinearly:
 * the detector was trained on photos that are sharp at the pixel level,
 * and on a high-resolution scan a defect is soft and several pixels wide
 * (bench/detect-eval.py --upscale measures it); it also costs about 1 /
 * f^2 of the time.  Scale 0 chooses by region: the network runs at full
 * size and at half size, and each pixel takes max (p1, w p2), w from 0
 * where the picture around it (40 px) keeps the detail energy of a sharp
 * photo above half its resolution to 1 where it is as soft as a picture
 * enlarged twice (private/restore-softness.h); so a sharp photo
 * gets the full-size map and a soft scan the half-size one, for about
 * 1.25 times the time of scale 1.  Returns FALSE with @error set
 * (RESTORE_ERROR_INVALID for a bad argument or a model that is not a
 * detector, RESTORE_ERROR_CANCELLED) and @prob undefined on failure.
 * This is the expensive part: a preview re-runs only
 * restore_detect_select() when the sensitivity or sizes change.
 */
gboolean restore_detect_probability    (RestoreModel               *model,
                                        const RestoreImage         *src,
                                        float                      *prob,
                                        const RestoreDetectOptions *options,
                                        GError                    **error);

/**
 * restore_detect_select:
 * @prob: [height, width] probabilities from restore_detect_probability()
 * @mask: (out): [height, width] floats, rows packed, may be @prob itself:
 *        the selection, 0..1 (steps 1-4 above)
 * Uses @options' sensitivity, min_size, max_size, grow, fringe, extend and
 * cancel.
 * Returns the number of selected defect regions (after the size filter),
 * or -1 with @error set (bad option, cancelled).  Memory: about 12 bytes
 * per pixel of scratch.
 */
int      restore_detect_select         (const float                *prob,
                                        int                         width,
                                        int                         height,
                                        float                      *mask,
                                        const RestoreDetectOptions *options,
                                        GError                    **error);

/**
 * restore_detect_run:
 * restore_detect_probability() then restore_detect_select() into @mask
 * ([src->height, src->width] floats, rows packed).  Returns the number of
 * selected regions (0 when the image looks undamaged), or -1 with @error
 * set.
 */
int      restore_detect_run            (RestoreModel               *model,
                                        const RestoreImage         *src,
                                        float                      *mask,
                                        const RestoreDetectOptions *options,
                                        GError                    **error);

G_END_DECLS
