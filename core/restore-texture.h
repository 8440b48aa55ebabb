/* gimp-restore: the surroundings' texture in large fills.
 *
 * The network fills a wide hole with a smooth picture: the right colours
 * and shapes, but grass, fur or foliage come back as a soft gradient.
 * restore_texture_apply() keeps that fill as the structure and adds detail
 * taken from the picture around the hole, where a patch search finds
 * surroundings that look like the fill:
 *
 *   out = fill + m * strength * gain * detail
 *
 * per colour channel (gray: one channel; alpha is never touched), for the
 * pixels of each 8-connected region of mask > 0 whose largest distance to
 * an unmasked pixel exceeds RESTORE_TEXTURE_MIN_WIDTH / 2 (narrower
 * regions are left as they are).  The fill's low frequencies stay, so the
 * restored picture moves little on average while its fine detail comes to
 * the level of its surroundings.
 *
 * Per region (coordinates of its work area: the region's box grown by
 * RESTORE_TEXTURE_WINDOW plus the patch radius and the blur's reach):
 *   C = the restored picture (the fill inside the mask, the original
 *       outside), L = C blurred by a Gaussian of sigma
 *       RESTORE_TEXTURE_MATCH_SIGMA (what a fill can be trusted with),
 *       D = C - C blurred by RESTORE_TEXTURE_DETAIL_SIGMA (the detail).
 *   Sources: pixels within RESTORE_TEXTURE_WINDOW of the region's box,
 *       farther than the patch radius plus twice the detail sigma from
 *       every pixel with mask > 0 (so neither their patch nor their detail
 *       holds any filled pixel).
 *   Patch distance of a region pixel t to a source s, over the
 *       (2 R + 1)^2 offsets k (R = RESTORE_TEXTURE_RADIUS):
 *         sum_k  K C(t+k) - C(s+k) K^2 * KNOWN_WEIGHT   where t+k is unmasked,
 *                K G(t+k) - S(s+k) K^2                  where it is masked,
 *       with G = L, S = L in the first search (the fill's low-pass against
 *       the source's) and G = the fill with its current detail, S = C in
 *       the later rounds (so the detail joins up with itself and with the
 *       border).
 *   Search (PatchMatch): each region pixel starts at a source drawn from
 *       a hash of its position and the seed; then scans, alternately
 *       forwards and backwards, in which a pixel tries its scan
 *       neighbours' sources shifted by one pixel and random sources around
 *       its own at halving distances (again from the hash), keeping the
 *       nearest.
 *   Detail of a region pixel p: the mean of D (p + s(q) - q) over the
 *       region pixels q within RESTORE_TEXTURE_VOTE_RADIUS (a square;
 *       weights cos^2 (pi d / (2 V + 2)) per axis), i.e. what the patches
 *       that cover p say of it.
 *   Rounds: after the first search, RESTORE_TEXTURE_ROUNDS times: the
 *       fill plus its detail becomes G, the search goes on from the
 *       sources found, and the detail is taken again.
 * The mean over patches lowers the detail's amplitude where neighbouring
 * patches disagree; a gain per region brings it back to that of the
 * detail the sources hold: sqrt (sum of D (s (p))^2 over the sum of
 * detail (p)^2), within 1..RESTORE_TEXTURE_GAIN_MAX.
 *
 * Everything depends on the pixels and the seed alone: the result is the
 * same on every run, whatever the threads or the tiling of the fill.
 * Values that were within 0..1 stay within 0..1.  Pixels with mask 0 are
 * never written.
 *
 * Cost: per region pixel, (RESTORE_TEXTURE_ITERS + RESTORE_TEXTURE_ROUNDS
 * x RESTORE_TEXTURE_ROUND_ITERS) scans of about 2 + log2 (window) patch
 * distances each, cut short once they pass the best, on the threads.
 * Memory, per region: 4 planes of floats per colour channel and 5 bytes
 * per pixel of its work area (53 bytes for colour), 20 + 4 x channels
 * bytes per region pixel.  A region whose work area exceeds
 * RESTORE_TEXTURE_MAX_AREA pixels (a hole wider than about 1,800 px), or
 * whose planes cannot be had, keeps its smooth fill.
 */
#pragma once

#include <glib.h>

#include "restore-types.h"

G_BEGIN_DECLS

#define RESTORE_TEXTURE_MIN_WIDTH    32    /* regions wider than this get texture, px */
#define RESTORE_TEXTURE_WINDOW       96    /* sources this far around the region's box */
#define RESTORE_TEXTURE_RADIUS       4     /* patches of (2 R + 1)^2 pixels */
#define RESTORE_TEXTURE_MATCH_SIGMA  4.0   /* the low-pass the first search matches */
#define RESTORE_TEXTURE_DETAIL_SIGMA 2.0   /* detail = picture - this blur */
#define RESTORE_TEXTURE_KNOWN_WEIGHT 4.0   /* of the unmasked pixels of a patch */
#define RESTORE_TEXTURE_ITERS        4     /* scans of the first search */
#define RESTORE_TEXTURE_ROUNDS       2     /* searches on the fill with detail */
#define RESTORE_TEXTURE_ROUND_ITERS  2     /* scans of each of those */
#define RESTORE_TEXTURE_VOTE_RADIUS  2     /* patches a pixel's detail comes from */
#define RESTORE_TEXTURE_GAIN_MAX     3.0   /* the most the mean's loss is made up */
#define RESTORE_TEXTURE_MAX_AREA     (1 << 22) /* work-area pixels, at most 220 MB */
#define RESTORE_TEXTURE_SEED         0xbb67ae85u /* the engine's seed */

/* What restore_texture_apply() did, for tests and benchmarks. */
typedef struct
{
  int    regions;        /* regions given texture */
  gsize  pixels;         /* their pixels */
  gsize  sources;        /* source pixels, summed over the regions */
  double distance;       /* mean final patch distance per offset and channel */
} RestoreTextureStats;

/*
 * Adds the surroundings' texture to the wide regions of @mask in @image,
 * in place (see above).
 * @image: the restored picture (outside the mask the original), channels
 *         1 to 4 (alpha, channel 2 or 4, untouched)
 * @x0, @y0, @x1, @y1: the box of the pixels with mask > 0 ([x0, x1) x
 *         [y0, y1)); @x1 <= @x0 makes the function find it
 * @strength: 0 = nothing added, 1 = the default amplitude, up to 2
 * @seed: of the search; the engine passes RESTORE_TEXTURE_SEED
 * @threads: threads of the search (0 = one per core); the result is the
 *         same for any number
 * @cancel: polled with g_atomic_int_get; may be NULL
 * @stats: filled when not NULL
 * Returns FALSE only when cancelled (@image then holds texture in part of
 * the mask).  Pixels with mask 0 are never written.
 */
gboolean restore_texture_apply (RestoreImage        *image,
                                const RestoreMask   *mask,
                                int                  x0,
                                int                  y0,
                                int                  x1,
                                int                  y1,
                                double               strength,
                                guint32              seed,
                                int                  threads,
                                const gint          *cancel,
                                RestoreTextureStats *stats);

G_END_DECLS
