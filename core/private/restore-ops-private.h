/* gimp-restore: the convolutions' shared machinery, internal to core/
 * (restore-ops.c: dense convolutions, threads and scratch;
 * restore-conv-runs.c: convolutions of a set of pixels).
 */
#pragma once

#include <glib.h>

#include "restore-context-private.h"
#include "restore-ops.h"

G_BEGIN_DECLS

/* scratch of one band: 512 Ki floats (2 MiB; bench/README.md) */
#define BAND_FLOATS    ((gsize) 512 * 1024)
/* pixels per band of a 1x1 convolution */
#define POINTWISE_BAND 16384

typedef enum
{
  CONV_POINTWISE,   /* 1x1 stride 1: bands of pixels, no scratch */
  CONV_IM2COL,
  CONV_WINOGRAD,
  CONV_RUNS         /* im2col of a set of pixels (restore_ops_conv2d_runs) */
} ConvMethod;

/* One convolution split into bands of output rows.  Worker w of n takes
 * bands w, w + n, w + 2n, ... with its own share of the scratch, and
 * every band is computed the same way whoever computes it (single-threaded
 * sgemm), so results do not depend on the number of threads. */
typedef struct
{
  RestoreContext    *ctx;       /* its threads and Winograd products */
  ConvMethod         method;
  const float       *input;
  int                c_in, height, width;
  const float       *weight;    /* Winograd: the transformed weights */
  const float       *bias;
  int                c_out, kernel, stride, dilation;
  RestoreActivation  act;
  float             *output;
  int                h_out, w_out;
  float             *col;
  gsize              share;     /* scratch floats per worker */
  int                rows;      /* output rows per band (pixels for 1x1
                                 * and runs) */
  int                n_bands;
  /* CONV_RUNS: band b is pixels [b rows, (b + 1) rows) of the runs in
   * order; it starts at pixel chunk_offset[b] of run chunk_run[b] */
  const RestoreSpan *runs;
  const int         *chunk_run;
  const int         *chunk_offset;
  gsize              pixels;    /* of all the runs */
  int                up;
  int                groups;
} ConvJob;

/* Runs the bands of @job on at most @slots threads of job->ctx (the
 * caller and the context's pool) and returns when all are done. */
void   restore_ops_job_run     (const ConvJob *job,
                                int            slots);
/* Adds one convolution to @ctx's per-shape statistics (benchmarks). */
void   restore_ops_stats_add   (RestoreContext *ctx,
                                int            m,
                                int            k,
                                int            n,
                                double         pixels,
                                double         macs_done,
                                double         seconds);
/* Band @band of a CONV_RUNS job (restore-conv-runs.c). */
void   restore_ops_runs_chunk  (const ConvJob *job,
                                int            band,
                                float         *col);

G_END_DECLS
