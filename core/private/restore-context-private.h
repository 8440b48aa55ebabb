/* gimp-restore: the fields of a RestoreContext (restore-context.h),
 * shared by the convolutions (restore-ops.c, restore-conv-runs.c) and the
 * forward pass (restore-forward.c); internal to core/.
 */
#pragma once

#include "restore-context.h"

G_BEGIN_DECLS

/* threads of one context */
#define CONTEXT_THREADS_MAX 64
/* bands in flight at once, i.e. the most threads one convolution uses */
#define COL_SLOTS           8

/* A buffer grown on demand (64-byte aligned, restore_ops_alloc_floats). */
typedef struct
{
  float *data;
  gsize  floats;
} ContextBuffer;

struct _RestoreContext
{
  int                threads;
  GThreadPool       *pool;       /* threads - 1 helpers; started on first use */
  RestoreSparseMode  sparse;
  RestoreConvMethod  conv;
  gboolean           blas_threads;
  gboolean           poison;

  /* the forward pass (restore-forward.c): activations and im2col scratch,
   * and restore_model_forward_masked()'s maps (3 bytes per tile pixel)
   * and the spans of every sparse layer */
  float             *workspace;
  gsize              workspace_floats;
  guint8            *maps;
  gsize              maps_bytes;
  RestoreSpan       *spans;
  gsize              spans_alloc;
  gsize              n_spans;

  /* the convolutions: the Winograd products of worker w's bands, and the
   * transformed weights of the layer running */
  ContextBuffer      products[COL_SLOTS];
  ContextBuffer      weights;

  RestoreConvShape   stats[RESTORE_CONV_SHAPES_MAX];
  int                n_stats;
  double             stats_other;
};

/* At least @floats of @buffer; aborts when the memory is not there (the
 * sizes are bounded by the band size, a few MiB). */
float *restore_context_buffer (ContextBuffer *buffer,
                               gsize          floats);
void   restore_context_release (RestoreContext *ctx);

G_END_DECLS
