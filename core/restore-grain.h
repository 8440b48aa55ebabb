/* gimp-restore: film grain matched into the restored pixels.
 *
 * The network's fill is smooth; on a grainy scan it shows as a clean patch
 * once one zooms in.  restore_grain_apply() measures the picture's grain
 * around the damage and adds synthetic grain of the same amplitude, size
 * and colour character to the restored pixels, so the fill's fine detail
 * matches its surroundings.
 *
 * The quantity matched is the high-pass
 *   hp = v - G (v),   G a Gaussian blur of sigma RESTORE_GRAIN_HP_SIGMA,
 * per colour channel (gray: one channel; alpha is never touched).
 *
 * Measuring (the surroundings): the work area is the mask's box grown by
 * RESTORE_GRAIN_REACH pixels.  It is cut into 8 x 8 blocks; a block counts
 * when no pixel within 4 px of it is masked (the blur of G reaches no
 * restored pixel) and all its samples are finite.  Per block: its mean
 * luminance (mean of the blurred colour channels), hence one of
 * RESTORE_GRAIN_BINS gray-level bins; the variance of hp per channel;
 * the channels' covariances; the lag-1 products of hp (across and down).
 *   - Amplitude, per bin and channel, locally: the image's box is cut into
 *     32 px cells; each cell takes the median block variance of the bin
 *     among the blocks within 64 px of its centre, doubling the distance
 *     up to 256 px until 6 blocks of that bin are found (else the whole
 *     work area's median).  Picture texture (grass, fur, edges) raises
 *     block variances where grain does not, so the local value is capped
 *     at 1.5 x a floor: the work area's 10 % quantile of the bin's block
 *     variances, from the blocks without a sample at 0 or 1 (clipping
 *     cuts grain off).  Grain covers the whole picture at each gray level
 *     and changes slowly with it, texture does not, so no bin's floor may
 *     exceed 2 x the lowest one measured.  Bins without blocks take the
 *     value of their neighbours (linear between bins, constant beyond).
 *     A block's variance scatters around the true one, the more the
 *     coarser the grain (fewer independent values per block): the floor
 *     and the medians are divided by what the quantile and the median
 *     give on noise of the measured size (hashed noise, 576 blocks), so
 *     they estimate the grain's variance itself.
 *   - Size: the grain is modelled as white noise blurred by a Gaussian of
 *     sigma s (s = 0: white).  The measured lag-1 autocorrelation of hp,
 *     over the blocks under the cap (the grain-like ones), picks s from
 *     the autocorrelation each s gives (exact, from the kernels).
 *   - Colour: rho = sum of the channels' hp covariances over the sum of
 *     sqrt (var_i var_j), over the same blocks, clamped to 0..1 (1 =
 *     monochrome grain, 0 = independent per channel).
 * Measuring (the fill): the mean of hp^2 over the pixels with mask >= 0.5,
 * per cell, bin and channel, pooled over the 3 x 3 cells around when a
 * cell holds fewer than 32 such pixels, else the whole fill's.
 *
 * Adding: only the variance the fill lacks,
 *   add = sqrt (max (0, ring^2 - fill^2))   per cell, bin and channel,
 * interpolated bilinearly between cell centres and linearly between bins
 * (by the pixel's blurred luminance before any grain is added).  The
 * noise is
 *   n_c (x, y) = K_s * (sqrt (rho) u (x, y, 3) + sqrt (1 - rho) u (x, y, c))
 * with u a unit-variance, zero-mean value from a hash of (x, y, channel,
 * seed) (image coordinates) and K_s the Gaussian of sigma s normalised to
 * unit output variance, so it depends on nothing but the pixel: not on the
 * tiling, the threads or the order of work.  Each pixel with mask m > 0
 * gets
 *   v += m * strength * add / sqrt (H_s) * n_c (x, y),
 * H_s the variance hp keeps of unit-variance noise of size s, and stays in
 * 0..1 when it was there.  Pixels with m == 0 are never written.
 *
 * On a grain-free photo the floor is the picture's flattest detail (a
 * fraction of a gray level on clean scans), so the fill is left almost as
 * it was.
 *
 * Memory: one byte per pixel of the mask's box (the gray level of each
 * pixel), 120 bytes per block of the work area (about 3 bytes per pixel
 * in all), 8 x 4 numbers per cell, and bands of rows of the area's width
 * for the blur and the noise.
 */
#pragma once

#include <glib.h>

#include "restore-types.h"

G_BEGIN_DECLS

#define RESTORE_GRAIN_BINS     8     /* gray-level bins over 0..1 */
#define RESTORE_GRAIN_HP_SIGMA 1.5   /* the high-pass: v - Gaussian (v) */
#define RESTORE_GRAIN_REACH    48    /* pixels around the mask's box measured */
#define RESTORE_GRAIN_SEED     0x6a09e667u /* the engine's noise seed */

/* What restore_grain_apply() measured, for tests and benchmarks. */
typedef struct
{
  int    channels;                   /* colour channels: 1 or 3 */
  int    blocks;                     /* blocks of the surroundings used */
  double size;                       /* s, in pixels (0 = white) */
  double rho;                        /* channel correlation, 0..1 */
  double floor[RESTORE_GRAIN_BINS][3]; /* per bin: the floor's variance of hp */
} RestoreGrainStats;

/*
 * Adds grain to @image inside @mask (same size), in place.
 * @image: the restored picture (outside the mask the original), channels
 *         1 to 4 (alpha, channel 2 or 4, untouched)
 * @x0, @y0, @x1, @y1: the box of the pixels with mask > 0 ([x0, x1) x
 *         [y0, y1)); @x1 <= @x0 makes the function find it
 * @strength: 0 = nothing added, 1 = the surroundings' level; more scales
 *         the added grain up
 * @seed: of the noise; the engine passes RESTORE_GRAIN_SEED
 * @cancel: polled with g_atomic_int_get; may be NULL
 * @stats: filled when not NULL
 * Returns FALSE only when cancelled (@image then holds grain in part of
 * the mask).  Pixels with mask 0 are never written.
 */
gboolean restore_grain_apply (RestoreImage      *image,
                              const RestoreMask *mask,
                              int                x0,
                              int                y0,
                              int                x1,
                              int                y1,
                              double             strength,
                              guint32            seed,
                              const gint        *cancel,
                              RestoreGrainStats *stats);

G_END_DECLS
