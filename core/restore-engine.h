/* gimp-restore: the restore pipeline (public API of core/ for hosts).
 *
 * Hosts (the GIMP plug-in, the gimp-restore command, benchmarks) hand the
 * engine a float image with an explicit row stride and a soft mask, and get
 * back a restored copy.  The engine plans tiles that cover the masked
 * pixels (halo from the model's receptive field, sizes aligned to
 * 2^depth), runs the network only there, blends overlapping tiles, applies
 * post-processing inside the mask, and composites
 *   out = m * restored + (1 - m) * original
 * then adds detail taken from the surroundings to the fill of regions
 * wider than RESTORE_TEXTURE_MIN_WIDTH (options.texture,
 * restore-texture.h) and, last, grain matched to the surroundings' film
 * grain to the pixels with m > 0 (options.grain, restore-grain.h), so
 * every pixel with m == 0 comes back bit-identical.
 */
#pragma once

#include <glib.h>
#include "restore-types.h"
#include "restore-unet.h"

G_BEGIN_DECLS

#define RESTORE_ERROR (restore_error_quark ())
GQuark restore_error_quark (void);

typedef enum
{
  RESTORE_ERROR_INVALID,    /* bad argument: sizes, ranges */
  RESTORE_ERROR_EMPTY_MASK, /* the mask selects nothing */
  RESTORE_ERROR_CANCELLED,  /* the cancel flag was set */
  RESTORE_ERROR_NO_MODEL,   /* unknown model name or none installed */
  RESTORE_ERROR_COUNT
} RestoreError;


/* Called from the calling thread with the fraction done, 0..1. */
typedef void (*RestoreProgressFunc) (double fraction, gpointer user_data);

typedef struct
{
  double              denoise;       /* 0..1 */
  double              sharpen;       /* 0..1 */
  double              grain;         /* 0..2: film grain matched to the
                                      * surroundings (restore-grain.h);
                                      * 0 = off, 1 = their level */
  double              texture;       /* 0..2: the surroundings' texture in
                                      * regions wider than
                                      * RESTORE_TEXTURE_MIN_WIDTH
                                      * (restore-texture.h); 0 = off,
                                      * 1 = the default amplitude */
  int                 n_threads;     /* 0 = number of cores */
  int                 tile_size;     /* 0 = default; rounded to 2^depth */
  int                 flips;         /* mirror images averaged per tile: 1, 2
                                      * or 4; 0 = each model's restore.flips */
  RestoreContext     *context;       /* threads, scratch and statistics to
                                      * run with (n_threads is then unused);
                                      * NULL: the run makes its own */
  RestoreProgressFunc progress;      /* may be NULL */
  gpointer            progress_data;
  const gint         *cancel;        /* polled with g_atomic_int_get; may be NULL */
} RestoreOptions;

/* Fills @options with the defaults of the parameter table. */
void     restore_options_init (RestoreOptions *options);

/* The run settings restoration and detection share: TRUE when @n_threads
 * >= 0 (0 = all cores), @tile_size >= 0 (0 = default) and @flips is a
 * valid mirror-image count (0 = the model's own, 1, 2 or 4); else FALSE
 * with @error set (RESTORE_ERROR_INVALID) naming the first bad one. */
gboolean restore_check_run_settings (int      n_threads,
                                     int      tile_size,
                                     int      flips,
                                     GError **error);

/**
 * restore_run:
 * @models: one model, or for the automatic choice the models to choose
 *          from (each damaged region goes to the model with the smallest
 *          restore.max_radius that is at least the region's half-width,
 *          from a distance transform of the mask; a model without
 *          max_radius takes everything else)
 * @src: the original; never written
 * @dst: same size and channels as @src, not overlapping it
 * Alpha is carried through (restored like colour inside the mask).  Gray
 * images are restored through three equal channels and averaged back, so
 * no colour cast appears.  On error or cancel @dst is undefined and the
 * caller must discard it.
 */
gboolean restore_run (RestoreModel *const   *models,
                      int                    n_models,
                      const RestoreImage    *src,
                      const RestoreMask     *mask,
                      RestoreImage          *dst,
                      const RestoreOptions  *options,
                      GError               **error);

/* With GIMP_RESTORE_TIMING set in the environment, prints to stderr the
 * seconds since the previous call, as "gimp-restore: @what 1.234 s"
 * (bench/README.md); @what NULL only starts the clock.  Does nothing
 * otherwise.  For one thread: the command and the plug-in time their
 * phases with it. */
void     restore_phase_time (const char *what);

G_END_DECLS
