/* gimp-restore: what one job runs with (restore-context.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "restore-context-private.h"
#include "restore-ops.h"


/**
 * restore_context_new:
 * See restore-context.h.
 */
RestoreContext *
restore_context_new (int threads)
{
  RestoreContext *ctx;

  g_return_val_if_fail (threads >= 0, NULL);

  ctx = g_new0 (RestoreContext, 1);
  if (threads == 0)
    threads = (int) g_get_num_processors ();
  ctx->threads = CLAMP (threads, 1, CONTEXT_THREADS_MAX);
  ctx->sparse = RESTORE_SPARSE_AUTO;
  ctx->conv = RESTORE_CONV_AUTO;
  /* the bands are the threads; OpenBLAS runs each product on one */
  openblas_set_num_threads (1);
  return ctx;
}

/**
 * restore_context_free:
 * @ctx: (nullable): a context from restore_context_new(), not running
 */
void
restore_context_free (RestoreContext *ctx)
{
  if (ctx == NULL)
    return;
  if (ctx->pool != NULL)
    g_thread_pool_free (ctx->pool, FALSE, TRUE);
  if (ctx->blas_threads)
    openblas_set_num_threads (1);
  restore_context_release (ctx);
  g_free (ctx);
}

/**
 * restore_context_release:
 * @ctx: a context, not running
 * Gives back the scratch memory of the forward passes (activations,
 * maps, spans, Winograd products and weights); the next pass allocates
 * it again.  The threads, switches and statistics stay.
 */
void
restore_context_release (RestoreContext *ctx)
{
  free (ctx->workspace);
  ctx->workspace = NULL;
  ctx->workspace_floats = 0;
  g_free (ctx->maps);
  ctx->maps = NULL;
  ctx->maps_bytes = 0;
  g_free (ctx->spans);
  ctx->spans = NULL;
  ctx->spans_alloc = ctx->n_spans = 0;
  for (int i = 0; i < COL_SLOTS; i++)
    {
      free (ctx->products[i].data);
      ctx->products[i] = (ContextBuffer) { NULL, 0 };
    }
  free (ctx->weights.data);
  ctx->weights = (ContextBuffer) { NULL, 0 };
}

/**
 * restore_context_get_threads:
 * Returns the threads the convolutions of @ctx use.
 */
int
restore_context_get_threads (const RestoreContext *ctx)
{
  g_return_val_if_fail (ctx != NULL, 1);
  return ctx->threads;
}

/**
 * restore_context_set_sparse:
 * See restore-context.h.
 */
void
restore_context_set_sparse (RestoreContext    *ctx,
                            RestoreSparseMode  mode)
{
  g_return_if_fail (ctx != NULL);
  g_return_if_fail ((guint) mode < RESTORE_SPARSE_COUNT);
  ctx->sparse = mode;
}

/**
 * restore_context_get_sparse:
 * Returns the decoder mode of @ctx.
 */
RestoreSparseMode
restore_context_get_sparse (const RestoreContext *ctx)
{
  g_return_val_if_fail (ctx != NULL, RESTORE_SPARSE_AUTO);
  return ctx->sparse;
}

/**
 * restore_context_set_conv:
 * See restore-context.h.
 */
void
restore_context_set_conv (RestoreContext    *ctx,
                          RestoreConvMethod  method)
{
  g_return_if_fail (ctx != NULL);
  g_return_if_fail ((guint) method < RESTORE_CONV_COUNT);
  ctx->conv = method;
}

/**
 * restore_context_set_blas_threads:
 * See restore-context.h.
 */
void
restore_context_set_blas_threads (RestoreContext *ctx,
                                  gboolean        blas)
{
  g_return_if_fail (ctx != NULL);
  ctx->blas_threads = blas;
  openblas_set_num_threads (blas ? ctx->threads : 1);
}

/**
 * restore_context_set_poison:
 * See restore-context.h.
 */
void
restore_context_set_poison (RestoreContext *ctx,
                            gboolean        poison)
{
  g_return_if_fail (ctx != NULL);
  ctx->poison = poison;
}

/**
 * restore_context_stats_reset:
 * Forgets the shapes and times collected so far.
 */
void
restore_context_stats_reset (RestoreContext *ctx)
{
  g_return_if_fail (ctx != NULL);
  ctx->n_stats = 0;
  ctx->stats_other = 0.0;
}

/**
 * restore_context_stats_get:
 * See restore-context.h.
 */
int
restore_context_stats_get (const RestoreContext *ctx,
                           RestoreConvShape     *shapes,
                           int                   max,
                           double               *other_seconds)
{
  g_return_val_if_fail (ctx != NULL, 0);
  if (shapes != NULL)
    memcpy (shapes, ctx->stats, sizeof (RestoreConvShape) * MIN (MAX (max, 0), ctx->n_stats));
  if (other_seconds != NULL)
    *other_seconds = ctx->stats_other;
  return ctx->n_stats;
}

/**
 * restore_context_buffer:
 * See restore-context-private.h.
 */
float *
restore_context_buffer (ContextBuffer *buffer,
                        gsize          floats)
{
  if (buffer->floats < floats)
    {
      free (buffer->data);
      buffer->data = restore_ops_alloc_floats (floats);
      buffer->floats = floats;
      if (buffer->data == NULL)
        g_error ("cannot allocate %" G_GSIZE_FORMAT " bytes of convolution scratch",
                 floats * sizeof (float));
    }
  return buffer->data;
}
