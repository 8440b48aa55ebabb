/* gimp-restore: what one job runs with.
 *
 * A context owns everything a forward pass changes besides its output:
 * the threads of the convolutions, the scratch memory (the workspace of
 * the network's activations, the sparse decoder's maps and spans, the
 * per-thread products of the Winograd convolutions), the statistics of
 * the convolutions it ran, and the switches that choose between the
 * engine's methods.  A loaded model is read-only, so two jobs can share a
 * model at once as long as each has its own context; one context serves
 * one job at a time.  Nothing in core/ is process-wide apart from
 * OpenBLAS's own thread count, which every context keeps at one (the
 * convolutions spread their bands over the context's threads) unless
 * restore_context_set_blas_threads() is used.
 */
#pragma once

#include <glib.h>

#include "restore-types.h"

G_BEGIN_DECLS

typedef struct _RestoreContext RestoreContext;

/* How restore_model_forward_masked() runs the decoder. */
typedef enum
{
  RESTORE_SPARSE_AUTO,     /* sparse, dense from the level on where the
                            * dense layers are estimated cheaper (default) */
  RESTORE_SPARSE_OFF,      /* the dense forward pass */
  RESTORE_SPARSE_ALWAYS,   /* sparse at every level (tests, benchmarks) */
  RESTORE_SPARSE_COUNT
} RestoreSparseMode;

/* Which product the 3x3 convolutions use. */
typedef enum
{
  RESTORE_CONV_AUTO,       /* Winograd F(2x2, 3x3) where it pays (default) */
  RESTORE_CONV_IM2COL,     /* im2col + sgemm for every layer (benchmarks) */
  RESTORE_CONV_COUNT
} RestoreConvMethod;

/**
 * restore_context_new:
 * @threads: threads of the convolutions, 1..64; 0 = the number of cores
 * Returns a new context with the default switches; free with
 * restore_context_free().  The threads are started on first use.
 */
RestoreContext *restore_context_new          (int                threads);
void            restore_context_free         (RestoreContext    *ctx);

/* Results do not depend on the thread count. */
int             restore_context_get_threads  (const RestoreContext *ctx);

void            restore_context_set_sparse   (RestoreContext    *ctx,
                                              RestoreSparseMode  mode);
RestoreSparseMode restore_context_get_sparse (const RestoreContext *ctx);

void            restore_context_set_conv     (RestoreContext    *ctx,
                                              RestoreConvMethod  method);

/* TRUE: one band at a time with the threads inside OpenBLAS instead of
 * bands side by side on single-threaded OpenBLAS (benchmarks only:
 * OpenBLAS's thread count is process-wide, so this context must then be
 * the only one running). */
void            restore_context_set_blas_threads (RestoreContext *ctx,
                                                  gboolean        blas);

/* TRUE: restore_model_forward_masked() fills the workspace, and each
 * sparse layer's output before it runs, with NaN, so a stale value read
 * at a needed pixel shows (tests). */
void            restore_context_set_poison   (RestoreContext    *ctx,
                                              gboolean           poison);

/* What the convolutions of this context did since it was made or last
 * reset, for benchmarks: one entry per distinct layer shape, as the
 * single matrix product [m = c_out] x [k = c_in * kernel^2] x
 * [n = h_out * w_out] it amounts to.  The convolutions of a set of pixels
 * (restore_ops_conv2d_runs()) count with n = 0, one entry per m and k
 * whatever their pixels.  Collection costs two clock reads per
 * convolution. */
typedef struct
{
  int    m, k, n;
  guint  calls;
  double pixels;        /* output pixels of all the calls (n calls, or
                         * the pixels of the runs) */
  double seconds;       /* wall-clock time inside the calls */
  double macs_done;     /* multiply-adds the products really did (fewer
                         * than m k n per call with Winograd) */
} RestoreConvShape;

#define RESTORE_CONV_SHAPES_MAX 512

void            restore_context_stats_reset  (RestoreContext    *ctx);
/* Copies up to @max shapes into @shapes; returns how many there are.
 * Calls whose shape did not fit the table are counted only by time
 * (*@other_seconds, may be NULL). */
int             restore_context_stats_get    (const RestoreContext *ctx,
                                              RestoreConvShape  *shapes,
                                              int                max,
                                              double            *other_seconds);

G_END_DECLS
