/* gimp-restore: tensor operations (layout in restore-ops.h).
 *
 * A convolution is cut into bands of output rows, each computed on its
 * own with a single-threaded cblas_sgemm; with n threads, n bands run at
 * once (one band per thread, not threads inside BLAS: on small matrices
 * OpenBLAS's own threads spend their time synchronising; bench/README.md,
 * "How the engine spends its time").  Per band, by shape:
 *   3x3, stride 1, no dilation, at least WINO_MIN_C_IN input channels:
 *     Winograd F(2x2, 3x3), 16 products of [c_out, c_in] x [c_in, tiles]
 *     (2.25x fewer multiply-adds than im2col; restore-winograd.c);
 *   1x1 stride 1: the input itself is the matrix, no scratch;
 *   otherwise im2col + one product:
 *     col    [K = c_in * kernel * kernel, band]   (rows of K, band columns)
 *     output [c_out, band] = weight [c_out, K] x col [K, band].
 * Bias and activation are applied while each band is still in cache.
 * Bands have a fixed size for a given shape (BAND_FLOATS of scratch each),
 * so results do not depend on the number of threads, and the scratch
 * (restore_ops_conv2d_col_floats) holds at most COL_SLOTS bands.
 *
 * restore_ops_conv2d_runs (the sparse decoder's layers) is
 * restore-conv-runs.c's.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cblas.h>
#if defined (__SSE2__)
#include <emmintrin.h>
#endif

#include "restore-ops.h"
#include "restore-winograd.h"
#include "restore-ops-private.h"

/* The transforms and im2col are written as plain loops along rows; let
 * GCC vectorise them at -O2 too (clang does by default; hand-written AVX2
 * gained nothing: bench/README.md). */
#if defined (__GNUC__) && ! defined (__clang__)
#pragma GCC optimize ("tree-vectorize", "vect-cost-model=dynamic")
#endif


/* below this many input channels the products are too thin to pay */
#define WINO_MIN_C_IN 8


static const char *const op_names[] =
{
  "conv2d", "conv2d_reference", "activate", "gate", "upsample2x"
};
G_STATIC_ASSERT (G_N_ELEMENTS (op_names) == RESTORE_OP_COUNT);

static const char *const activation_names[] =
{
  "relu", "leaky_relu", "elu", "none"
};
G_STATIC_ASSERT (G_N_ELEMENTS (activation_names) == RESTORE_ACT_COUNT);

static void pool_worker (gpointer data,
                         gpointer user_data);

/**
 * restore_op_get_name:
 * Returns the name of @op, or NULL when @op is out of range.
 */
const char *
restore_op_get_name (RestoreOp op)
{
  if ((guint) op >= RESTORE_OP_COUNT)
    return NULL;
  return op_names[op];
}

/**
 * restore_activation_get_name:
 * Returns the name of @act ("relu", ...), or NULL when out of range.
 */
const char *
restore_activation_get_name (RestoreActivation act)
{
  if ((guint) act >= RESTORE_ACT_COUNT)
    return NULL;
  return activation_names[act];
}

/**
 * restore_activation_from_name:
 * Sets *@act from its name; returns FALSE for an unknown name.
 */
gboolean
restore_activation_from_name (const char        *name,
                              RestoreActivation *act)
{
  g_return_val_if_fail (act != NULL, FALSE);

  if (! name)
    return FALSE;
  for (int i = 0; i < RESTORE_ACT_COUNT; i++)
    if (strcmp (name, activation_names[i]) == 0)
      {
        *act = (RestoreActivation) i;
        return TRUE;
      }
  return FALSE;
}

#define HUGE_PAGE ((gsize) 2 * 1024 * 1024)

/**
 * restore_ops_alloc:
 * See restore-ops.h.
 */
void *
restore_ops_alloc (gsize bytes)
{
  void *mem = NULL;

  if (bytes > G_MAXSIZE - HUGE_PAGE)
    return NULL;
  bytes = MAX (bytes, 1);
  if (posix_memalign (&mem, bytes >= HUGE_PAGE ? HUGE_PAGE : 64, bytes) != 0)
    return NULL;
#ifdef MADV_HUGEPAGE
  if (bytes >= HUGE_PAGE)
    madvise (mem, bytes / HUGE_PAGE * HUGE_PAGE, MADV_HUGEPAGE);
#endif
  return mem;
}

/**
 * restore_ops_alloc_floats:
 * See restore-ops.h.
 */
float *
restore_ops_alloc_floats (gsize n)
{
  if (n > G_MAXSIZE / sizeof (float) - HUGE_PAGE)
    return NULL;
  return restore_ops_alloc (MAX (n, 1) * sizeof (float));
}

/**
 * restore_ops_conv_out_size:
 * Returns the output length of a "same"-padded convolution along one axis.
 */
int
restore_ops_conv_out_size (int in,
                           int kernel,
                           int stride,
                           int dilation)
{
  int pad = dilation * (kernel - 1) / 2;

  return (in + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;
}

/* The method, band and scratch of one convolution; depends on the shape
 * only (not on the thread count), so the bands and hence the results are
 * the same whatever the number of threads.  @rows: output rows per band
 * (pixels for the 1x1 case); @share: scratch floats per band. */
static ConvMethod
conv_plan (gboolean winograd,
           int    c_in,
           int    kernel,
           int    stride,
           int    dilation,
           int    h_out,
           int    w_out,
           int   *rows,
           int   *n_bands,
           gsize *share)
{
  gsize k = (gsize) c_in * kernel * kernel;
  int   tiles_x = (w_out + 1) / 2;
  gsize pad = restore_wino_pad_floats (tiles_x);
  gsize pair = (gsize) WINO_POINTS * c_in * tiles_x;   /* V of 2 rows */

  if (kernel == 1 && stride == 1)
    {
      gsize n = (gsize) h_out * w_out;

      *rows = (int) MIN (n, (gsize) POINTWISE_BAND);
      *n_bands = (int) ((n + *rows - 1) / *rows);
      *share = 0;
      return CONV_POINTWISE;
    }
  if (winograd && kernel == 3 && stride == 1 && dilation == 1
      && c_in >= WINO_MIN_C_IN && h_out >= 2)
    {
      /* at least one pair of rows, like im2col's one row */
      gsize pairs = CLAMP ((BAND_FLOATS - MIN (pad, BAND_FLOATS)) / pair, 1,
                           (gsize) (h_out + 1) / 2);

      *rows = (int) (2 * pairs);
      *n_bands = (h_out + *rows - 1) / *rows;
      *share = pairs * pair + pad;
      return CONV_WINOGRAD;
    }
  *rows = (int) CLAMP (BAND_FLOATS / (k * (gsize) w_out), 1, (gsize) h_out);
  *n_bands = (h_out + *rows - 1) / *rows;
  *share = k * (gsize) *rows * w_out;
  return CONV_IM2COL;
}

/**
 * restore_ops_conv2d_col_floats:
 * Returns the floats of scratch restore_ops_conv2d() needs for this shape.
 */
gsize
restore_ops_conv2d_col_floats (int c_in,
                               int kernel,
                               int stride,
                               int dilation,
                               int height,
                               int width)
{
  int   h_out = restore_ops_conv_out_size (height, kernel, stride, dilation);
  int   w_out = restore_ops_conv_out_size (width, kernel, stride, dilation);
  int   rows, n_bands;
  gsize share, most = 0;

  if (h_out < 1 || w_out < 1)
    return 0;
  /* either method, whichever the context chooses */
  for (int winograd = 0; winograd <= 1; winograd++)
    {
      conv_plan (winograd, c_in, kernel, stride, dilation, h_out, w_out,
                 &rows, &n_bands, &share);
      most = MAX (most, share * MIN (n_bands, COL_SLOTS));
    }
  return most;
}

static inline float
activate_one (float             x,
              RestoreActivation act)
{
  switch (act)
    {
    case RESTORE_ACT_RELU:       return x > 0.0f ? x : 0.0f;
    case RESTORE_ACT_LEAKY_RELU: return x >= 0.0f ? x : 0.2f * x;
    case RESTORE_ACT_ELU:        return x > 0.0f ? x : expm1f (x);
    default:                     return x;
    }
}

/* ReLU and leaky ReLU (slope 0.2) of @n values, *@b added first unless @b
 * is NULL (not even 0: x + 0 would turn -0 into +0).  GCC does not
 * vectorise the selects of activate_one(), so on x86-64 they are SSE2
 * compares and masks, four values at a time, with activate_one()'s results
 * to the bit (NaN stays NaN under leaky ReLU and becomes 0 under ReLU; -0
 * stays -0 under leaky ReLU and becomes +0 under ReLU). */
static void
activate_rectifier (float             *p,
                    gsize              n,
                    const float       *b,
                    RestoreActivation  act)
{
  gsize i = 0;

#if defined (__SSE2__)
  const __m128 vb = _mm_set1_ps (b != NULL ? *b : 0.0f), zero = _mm_setzero_ps ();
  const __m128 one = _mm_set1_ps (1.0f), slope = _mm_set1_ps (0.2f);

  for (; i + 4 <= n; i += 4)
    {
      __m128 v = _mm_loadu_ps (p + i);

      if (b != NULL)
        v = _mm_add_ps (v, vb);
      if (act == RESTORE_ACT_RELU)
        v = _mm_and_ps (_mm_cmpgt_ps (v, zero), v);
      else
        {
          __m128 neg = _mm_cmplt_ps (v, zero);

          v = _mm_mul_ps (v, _mm_or_ps (_mm_and_ps (neg, slope), _mm_andnot_ps (neg, one)));
        }
      _mm_storeu_ps (p + i, v);
    }
#endif
  for (; i < n; i++)
    p[i] = activate_one (b != NULL ? p[i] + *b : p[i], act);
}

/**
 * restore_ops_activate:
 * Applies @act to @n values in place.
 */
void
restore_ops_activate (float             *data,
                      gsize              n,
                      RestoreActivation  act)
{
  switch (act)
    {
    case RESTORE_ACT_RELU:
    case RESTORE_ACT_LEAKY_RELU:
      activate_rectifier (data, n, NULL, act);
      break;
    case RESTORE_ACT_ELU:
      for (gsize i = 0; i < n; i++)
        data[i] = data[i] > 0.0f ? data[i] : expm1f (data[i]);
      break;
    default:
      break;
    }
}

/**
 * restore_ops_bias_activate:
 * @data: @channels planes, plane c at data + c * @stride
 * Adds bias[c] (when @bias is not NULL) to @plane values of each plane and
 * applies @act, in one pass.
 */
void
restore_ops_bias_activate (float             *data,
                           gsize              stride,
                           const float       *bias,
                           int                channels,
                           gsize              plane,
                           RestoreActivation  act)
{
  for (int c = 0; c < channels; c++)
    {
      float *p = data + (gsize) c * stride;
      float  b = bias ? bias[c] : 0.0f;

      switch (act)
        {
        case RESTORE_ACT_RELU:
        case RESTORE_ACT_LEAKY_RELU:
          activate_rectifier (p, plane, &b, act);   /* + 0 without a bias, as ever */
          break;
        case RESTORE_ACT_ELU:
          for (gsize i = 0; i < plane; i++)
            {
              float v = p[i] + b;
              p[i] = v > 0.0f ? v : expm1f (v);
            }
          break;
        default:
          if (b != 0.0f)
            for (gsize i = 0; i < plane; i++)
              p[i] += b;
          break;
        }
    }
}

/**
 * restore_ops_gate:
 * output[c] = act (raw[c]) * sigmoid (raw[channels + c]), c < @channels.
 */
void
restore_ops_gate (const float       *raw,
                  int                channels,
                  gsize              plane,
                  RestoreActivation  act,
                  float             *output)
{
  gsize n = (gsize) channels * plane;

  for (gsize i = 0; i < n; i++)
    {
      float a = activate_one (raw[i], act);
      float b = raw[n + i];

      output[i] = a / (1.0f + expf (-b));
    }
}

/**
 * restore_ops_upsample2x:
 * Nearest-neighbour upsampling: output (c, y, x) = input (c, y/2, x/2).
 */
void
restore_ops_upsample2x (const float *input,
                        int          channels,
                        int          height,
                        int          width,
                        float       *output)
{
  int w2 = 2 * width;

  for (int c = 0; c < channels; c++)
    for (int y = 0; y < height; y++)
      {
        const float *src = input + ((gsize) c * height + y) * width;
        float       *dst = output + ((gsize) c * 2 * height + 2 * y) * w2;

        for (int x = 0; x < width; x++)
          dst[2 * x] = dst[2 * x + 1] = src[x];
        memcpy (dst + w2, dst, (gsize) w2 * sizeof (float));
      }
}

/* col [c_in * k * k, (y1 - y0) * w_out]: rows (c, ky, kx), columns the
 * output pixels of rows y0..y1-1.  Fills the rows of channels c0..c1-1. */
static void
im2col_band (const float *input,
             int          c_in,
             int          height,
             int          width,
             int          kernel,
             int          stride,
             int          dilation,
             int          w_out,
             int          y0,
             int          y1,
             int          c0,
             int          c1,
             float       *col)
{
  int   pad = dilation * (kernel - 1) / 2;
  gsize n = (gsize) (y1 - y0) * w_out;

  for (int c = c0; c < c1; c++)
    for (int ky = 0; ky < kernel; ky++)
      for (int kx = 0; kx < kernel; kx++)
        {
          const float *plane = input + (gsize) c * height * width;
          float       *row = col + (((gsize) c * kernel + ky) * kernel + kx) * n;
          int          dx = kx * dilation - pad;
          /* output columns whose input column lies inside [0, width) */
          int          x0 = dx >= 0 ? 0 : (-dx + stride - 1) / stride;
          int          x1 = width - dx <= 0 ? 0 :
                            MIN (w_out, (width - dx + stride - 1) / stride);

          x0 = MIN (x0, w_out);
          x1 = MAX (x1, x0);
          for (int oy = y0; oy < y1; oy++)
            {
              float *dst = row + (gsize) (oy - y0) * w_out;
              int    iy = oy * stride + ky * dilation - pad;

              if (iy < 0 || iy >= height)
                {
                  memset (dst, 0, (gsize) w_out * sizeof (float));
                  continue;
                }
              const float *src = plane + (gsize) iy * width;

              if (x0 > 0)
                memset (dst, 0, (gsize) x0 * sizeof (float));
              if (stride == 1)
                {
                  if (x1 > x0)
                    memcpy (dst + x0, src + x0 + dx,
                            (gsize) (x1 - x0) * sizeof (float));
                }
              else
                {
                  for (int ox = x0; ox < x1; ox++)
                    dst[ox] = src[ox * stride + dx];
                }
              if (x1 < w_out)
                memset (dst + x1, 0, (gsize) (w_out - x1) * sizeof (float));
            }
        }
}

/* Band @band of @job, by worker @worker (its scratch: @col, and the
 * context's products of that worker). */
static void
conv_band (const ConvJob *job,
           int            band,
           int            worker,
           float         *col)
{
  gsize n = (gsize) job->h_out * job->w_out;
  int   k = job->c_in * job->kernel * job->kernel;

  if (job->method == CONV_RUNS)
    {
      restore_ops_runs_chunk (job, band, col);
      return;
    }
  if (job->method == CONV_POINTWISE)
    {
      gsize p0 = (gsize) band * job->rows;
      gsize p1 = MIN (p0 + job->rows, n);

      /* output [c_out, p0..p1) = weight [c_out, c_in] x input [c_in, p0..p1) */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans,
                   job->c_out, (int) (p1 - p0), job->c_in, 1.0f, job->weight,
                   job->c_in, job->input + p0, (int) n, 0.0f,
                   job->output + p0, (int) n);
      restore_ops_bias_activate (job->output + p0, n, job->bias, job->c_out,
                                 p1 - p0, job->act);
    }
  else if (job->method == CONV_IM2COL)
    {
      int    y0 = band * job->rows;
      int    y1 = MIN (y0 + job->rows, job->h_out);
      gsize  cols = (gsize) (y1 - y0) * job->w_out;
      float *dst = job->output + (gsize) y0 * job->w_out;

      im2col_band (job->input, job->c_in, job->height, job->width,
                   job->kernel, job->stride, job->dilation, job->w_out,
                   y0, y1, 0, job->c_in, col);
      /* dst [c_out, cols] (row stride n) = weight [c_out, k] x col [k, cols] */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans,
                   job->c_out, (int) cols, k, 1.0f, job->weight, k,
                   col, (int) cols, 0.0f, dst, (int) n);
      restore_ops_bias_activate (dst, n, job->bias, job->c_out, cols, job->act);
    }
  else
    {
      int    y0 = band * job->rows;
      int    y1 = MIN (y0 + job->rows, job->h_out);
      int    tiles_x = (job->w_out + 1) / 2;
      gsize  nt = (gsize) ((y1 - y0 + 1) / 2) * tiles_x;
      gsize  plane_v = (gsize) job->c_in * nt;
      gsize  plane_m = (gsize) job->c_out * nt;
      gsize  plane_u = (gsize) job->c_out * job->c_in;
      float *pad = col + WINO_POINTS * plane_v;
      float *m = restore_context_buffer (&job->ctx->products[worker],
                                         WINO_POINTS * plane_m);

      restore_wino_input (job->input, job->c_in, job->height, job->width, y0, y1,
                  tiles_x, nt, col, pad);
      for (int xi = 0; xi < WINO_POINTS; xi++)
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans,
                     job->c_out, (int) nt, job->c_in, 1.0f,
                     job->weight + xi * plane_u, job->c_in,
                     col + xi * plane_v, (int) nt, 0.0f,
                     m + xi * plane_m, (int) nt);
      restore_wino_output (m, job->c_out, job->h_out, job->w_out, y0, y1, tiles_x,
                   nt, job->bias, job->act, job->output, pad);
    }
}

typedef struct
{
  GMutex mutex;
  GCond  cond;
  int    pending;
} Batch;

typedef struct
{
  Batch         *batch;
  const ConvJob *job;
  int            worker, n_workers;
} WorkerTask;

static void
worker_task_run (const WorkerTask *task)
{
  const ConvJob *job = task->job;
  float         *col = job->col ? job->col + task->worker * job->share : NULL;

  for (int b = task->worker; b < job->n_bands; b += task->n_workers)
    conv_band (job, b, task->worker, col);
}

static void
pool_worker (gpointer data,
             gpointer user_data)
{
  WorkerTask *task = data;

  worker_task_run (task);
  g_mutex_lock (&task->batch->mutex);
  if (--task->batch->pending == 0)
    g_cond_signal (&task->batch->cond);
  g_mutex_unlock (&task->batch->mutex);
}

/* Runs the bands of @job on at most @slots workers: the caller and the
 * helpers of the context's pool (started here on first use), or only the
 * caller when OpenBLAS has the threads; returns when all are done. */
void
restore_ops_job_run (const ConvJob *job,
                     int            slots)
{
  RestoreContext *ctx = job->ctx;
  WorkerTask      tasks[COL_SLOTS];
  Batch           batch;
  int             n_workers = ctx->blas_threads ? 1 : MIN (ctx->threads, slots);

  n_workers = CLAMP (MIN (n_workers, job->n_bands), 1, COL_SLOTS);
  if (n_workers > 1 && ctx->pool == NULL)
    {
      ctx->pool = g_thread_pool_new (pool_worker, NULL, ctx->threads - 1, FALSE, NULL);
      if (ctx->pool == NULL)
        n_workers = 1;
    }
  g_mutex_init (&batch.mutex);
  g_cond_init (&batch.cond);
  batch.pending = n_workers - 1;
  for (int i = 0; i < n_workers; i++)
    {
      tasks[i].batch = &batch;
      tasks[i].job = job;
      tasks[i].worker = i;
      tasks[i].n_workers = n_workers;
      if (i > 0)
        g_thread_pool_push (ctx->pool, &tasks[i], NULL);
    }
  worker_task_run (&tasks[0]);
  g_mutex_lock (&batch.mutex);
  while (batch.pending > 0)
    g_cond_wait (&batch.cond, &batch.mutex);
  g_mutex_unlock (&batch.mutex);
  g_mutex_clear (&batch.mutex);
  g_cond_clear (&batch.cond);
}

/* Per-shape time of the convolutions, for benchmarks; called by the
 * thread that runs the job, after it. */
void
restore_ops_stats_add (RestoreContext *ctx,
                       int             m,
                       int             k,
                       int             n,
                       double          pixels,
                       double          macs_done,
                       double          seconds)
{
  RestoreConvShape *stats = ctx->stats;
  int               i;

  for (i = 0; i < ctx->n_stats; i++)
    if (stats[i].m == m && stats[i].k == k && stats[i].n == n)
      break;
  if (i == ctx->n_stats && ctx->n_stats < RESTORE_CONV_SHAPES_MAX)
    {
      memset (&stats[i], 0, sizeof stats[i]);
      stats[i].m = m;
      stats[i].k = k;
      stats[i].n = n;
      ctx->n_stats++;
    }
  if (i < ctx->n_stats)
    {
      stats[i].calls++;
      stats[i].pixels += pixels;
      stats[i].seconds += seconds;
      stats[i].macs_done += macs_done;
    }
  else
    ctx->stats_other += seconds;
}

static double conv2d_run (RestoreContext    *ctx,
                        const float       *input,
                        int                c_in,
                        int                height,
                        int                width,
                        const float       *weight,
                        const float       *bias,
                        int                c_out,
                        int                kernel,
                        int                stride,
                        int                dilation,
                        RestoreActivation  act,
                        float             *output,
                        float             *col);

/**
 * restore_ops_conv2d:
 * See restore-ops.h.
 */
void
restore_ops_conv2d (RestoreContext    *ctx,
                    const float       *input,
                    int                c_in,
                    int                height,
                    int                width,
                    const float       *weight,
                    const float       *bias,
                    int                c_out,
                    int                kernel,
                    int                stride,
                    int                dilation,
                    RestoreActivation  act,
                    float             *output,
                    float             *col)
{
  gint64 t0 = g_get_monotonic_time ();
  int    h_out = restore_ops_conv_out_size (height, kernel, stride, dilation);
  int    w_out = restore_ops_conv_out_size (width, kernel, stride, dilation);
  double macs;

  g_return_if_fail (ctx != NULL);
  macs = conv2d_run (ctx, input, c_in, height, width, weight, bias, c_out, kernel,
                     stride, dilation, act, output, col);
  restore_ops_stats_add (ctx, c_out, c_in * kernel * kernel, h_out * w_out,
                         (double) h_out * w_out, macs,
                         (g_get_monotonic_time () - t0) / 1e6);
}

/* Returns the multiply-adds of the products. */
static double
conv2d_run (RestoreContext    *ctx,
            const float       *input,
            int                c_in,
            int                height,
            int                width,
            const float       *weight,
            const float       *bias,
            int                c_out,
            int                kernel,
            int                stride,
            int                dilation,
            RestoreActivation  act,
            float             *output,
            float             *col)
{
  ConvJob job;
  int     slots;

  g_return_val_if_fail (input != NULL && weight != NULL && output != NULL, 0.0);
  g_return_val_if_fail (c_in > 0 && c_out > 0 && kernel > 0 && stride > 0 &&
                        dilation > 0, 0.0);

  memset (&job, 0, sizeof job);
  job.h_out = restore_ops_conv_out_size (height, kernel, stride, dilation);
  job.w_out = restore_ops_conv_out_size (width, kernel, stride, dilation);
  g_return_val_if_fail (job.h_out > 0 && job.w_out > 0, 0.0);
  job.ctx = ctx;
  job.method = conv_plan (ctx->conv != RESTORE_CONV_IM2COL, c_in, kernel,
                          stride, dilation, job.h_out, job.w_out, &job.rows,
                          &job.n_bands, &job.share);
  g_return_val_if_fail (job.method == CONV_POINTWISE || col != NULL, 0.0);
  job.input = input;
  job.c_in = c_in;
  job.height = height;
  job.width = width;
  job.weight = weight;
  job.bias = bias;
  job.c_out = c_out;
  job.kernel = kernel;
  job.stride = stride;
  job.dilation = dilation;
  job.act = act;
  job.output = output;
  job.col = job.method == CONV_POINTWISE ? NULL : col;
  slots = MIN (job.n_bands, COL_SLOTS);
  if (job.method == CONV_WINOGRAD)
    {
      float *u = restore_context_buffer (&ctx->weights,
                                         (gsize) WINO_POINTS * c_out * c_in);

      restore_wino_weights (weight, c_out, c_in, u);
      job.weight = u;
    }
  restore_ops_job_run (&job, slots);
  if (job.method == CONV_WINOGRAD)
    return (double) WINO_POINTS * c_out * c_in * ((job.h_out + 1) / 2)
           * ((job.w_out + 1) / 2);
  return (double) c_out * c_in * kernel * kernel * job.h_out * job.w_out;
}

/**
 * restore_ops_conv2d_reference:
 * See restore-ops.h.
 */
void
restore_ops_conv2d_reference (const float       *input,
                              int                c_in,
                              int                height,
                              int                width,
                              const float       *weight,
                              const float       *bias,
                              int                c_out,
                              int                kernel,
                              int                stride,
                              int                dilation,
                              RestoreActivation  act,
                              float             *output)
{
  int pad = dilation * (kernel - 1) / 2;
  int h_out = restore_ops_conv_out_size (height, kernel, stride, dilation);
  int w_out = restore_ops_conv_out_size (width, kernel, stride, dilation);

  g_return_if_fail (input != NULL && weight != NULL && output != NULL);

  for (int co = 0; co < c_out; co++)
    for (int oy = 0; oy < h_out; oy++)
      for (int ox = 0; ox < w_out; ox++)
        {
          double sum = bias ? bias[co] : 0.0;

          for (int ci = 0; ci < c_in; ci++)
            for (int ky = 0; ky < kernel; ky++)
              {
                int iy = oy * stride + ky * dilation - pad;

                if (iy < 0 || iy >= height)
                  continue;
                for (int kx = 0; kx < kernel; kx++)
                  {
                    int ix = ox * stride + kx * dilation - pad;

                    if (ix < 0 || ix >= width)
                      continue;
                    sum += (double) weight[(((gsize) co * c_in + ci) * kernel + ky) * kernel + kx] *
                           input[((gsize) ci * height + iy) * width + ix];
                  }
              }
          output[((gsize) co * h_out + oy) * w_out + ox] =
            activate_one ((float) sum, act);
        }
}
