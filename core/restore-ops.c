/* gimp-restore: tensor operations (layout in restore-ops.h).
 *
 * The convolution is im2col + one cblas_sgemm per band of output rows:
 *   col    [K = c_in * kernel * kernel, band]   (rows of K, band columns)
 *   output [c_out, band] = weight [c_out, K] x col [K, band]
 * Bands bound the scratch to COL_FLOATS_MAX floats while each sgemm stays
 * large enough to run near the library's peak.  A 1x1 stride-1 conv
 * multiplies the input directly.
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <cblas.h>

#include "restore-ops.h"

/* im2col scratch bound: 1 Mi floats (4 MiB), measured best on 3x3 64->64 */
#define COL_FLOATS_MAX ((gsize) 1024 * 1024)

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

/* threads for OpenBLAS and for im2col */
#define THREADS_MAX          64
/* below this many floats im2col stays on the calling thread */
#define PARALLEL_FLOATS_MIN  ((gsize) 64 * 1024)

static int          current_threads = 0;
static GThreadPool *im2col_pool = NULL;
G_LOCK_DEFINE_STATIC (pool);

static void im2col_worker (gpointer data,
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

/**
 * restore_ops_set_threads:
 * @n: threads, at least 1 (at most 64)
 * Sets the thread count of OpenBLAS and of the im2col workers explicitly
 * (results are deterministic for a given count).  Returns the previous
 * count.
 */
int
restore_ops_set_threads (int n)
{
  int previous = restore_ops_get_threads ();

  g_return_val_if_fail (n >= 1, previous);
  n = MIN (n, THREADS_MAX);
  openblas_set_num_threads (n);
  G_LOCK (pool);
  if (n > 1 && ! im2col_pool)
    im2col_pool = g_thread_pool_new (im2col_worker, NULL, n - 1, FALSE, NULL);
  else if (im2col_pool)
    g_thread_pool_set_max_threads (im2col_pool, MAX (n - 1, 1), NULL);
  g_atomic_int_set (&current_threads, n);
  G_UNLOCK (pool);
  return previous;
}

/**
 * restore_ops_get_threads:
 * Returns the OpenBLAS thread count in use.
 */
int
restore_ops_get_threads (void)
{
  int n = g_atomic_int_get (&current_threads);

  return n > 0 ? n : openblas_get_num_threads ();
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

static int
band_rows (int c_in,
           int kernel,
           int h_out,
           int w_out)
{
  gsize k = (gsize) c_in * kernel * kernel;
  gsize rows = COL_FLOATS_MAX / (k * (gsize) w_out);

  return (int) CLAMP (rows, 1, (gsize) h_out);
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
  int h_out = restore_ops_conv_out_size (height, kernel, stride, dilation);
  int w_out = restore_ops_conv_out_size (width, kernel, stride, dilation);

  if (kernel == 1 && stride == 1)
    return 0;
  return (gsize) c_in * kernel * kernel *
         (gsize) band_rows (c_in, kernel, h_out, w_out) * w_out;
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
      for (gsize i = 0; i < n; i++)
        data[i] = data[i] > 0.0f ? data[i] : 0.0f;
      break;
    case RESTORE_ACT_LEAKY_RELU:
      for (gsize i = 0; i < n; i++)
        data[i] = data[i] >= 0.0f ? data[i] : 0.2f * data[i];
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
          for (gsize i = 0; i < plane; i++)
            {
              float v = p[i] + b;
              p[i] = v > 0.0f ? v : 0.0f;
            }
          break;
        case RESTORE_ACT_LEAKY_RELU:
          for (gsize i = 0; i < plane; i++)
            {
              float v = p[i] + b;
              p[i] = v >= 0.0f ? v : 0.2f * v;
            }
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

/* im2col is pure data movement, so splitting it over threads by input
 * channel leaves results bit-identical.  The pool has threads - 1
 * workers; the calling thread does one share itself. */
typedef struct
{
  GMutex mutex;
  GCond  cond;
  int    pending;
} Batch;

typedef struct
{
  Batch       *batch;
  const float *input;
  int          c_in, height, width, kernel, stride, dilation, w_out;
  int          y0, y1, c0, c1;
  float       *col;
} Im2colJob;

static void
im2col_job_run (Im2colJob *job)
{
  im2col_band (job->input, job->c_in, job->height, job->width, job->kernel,
               job->stride, job->dilation, job->w_out, job->y0, job->y1,
               job->c0, job->c1, job->col);
}

static void
im2col_worker (gpointer data,
               gpointer user_data)
{
  Im2colJob *job = data;

  im2col_job_run (job);
  g_mutex_lock (&job->batch->mutex);
  if (--job->batch->pending == 0)
    g_cond_signal (&job->batch->cond);
  g_mutex_unlock (&job->batch->mutex);
}

static void
im2col_parallel (const float *input,
                 int          c_in,
                 int          height,
                 int          width,
                 int          kernel,
                 int          stride,
                 int          dilation,
                 int          w_out,
                 int          y0,
                 int          y1,
                 float       *col)
{
  Im2colJob jobs[THREADS_MAX];
  Batch     batch;
  gsize     floats = (gsize) c_in * kernel * kernel * (gsize) (y1 - y0) * w_out;
  int       n = MIN (MIN (g_atomic_int_get (&current_threads), c_in),
                     THREADS_MAX);

  if (! im2col_pool || n <= 1 || floats < PARALLEL_FLOATS_MIN)
    n = 1;
  g_mutex_init (&batch.mutex);
  g_cond_init (&batch.cond);
  batch.pending = n - 1;
  for (int i = 0; i < n; i++)
    {
      Im2colJob *job = &jobs[i];

      job->batch = &batch;
      job->input = input;
      job->c_in = c_in;
      job->height = height;
      job->width = width;
      job->kernel = kernel;
      job->stride = stride;
      job->dilation = dilation;
      job->w_out = w_out;
      job->y0 = y0;
      job->y1 = y1;
      job->c0 = (int) ((gint64) c_in * i / n);
      job->c1 = (int) ((gint64) c_in * (i + 1) / n);
      job->col = col;
      if (i > 0)
        g_thread_pool_push (im2col_pool, job, NULL);
    }
  im2col_job_run (&jobs[0]);
  g_mutex_lock (&batch.mutex);
  while (batch.pending > 0)
    g_cond_wait (&batch.cond, &batch.mutex);
  g_mutex_unlock (&batch.mutex);
  g_mutex_clear (&batch.mutex);
  g_cond_clear (&batch.cond);
}

/**
 * restore_ops_conv2d:
 * See restore-ops.h.
 */
void
restore_ops_conv2d (const float       *input,
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
  int   h_out = restore_ops_conv_out_size (height, kernel, stride, dilation);
  int   w_out = restore_ops_conv_out_size (width, kernel, stride, dilation);
  gsize n = (gsize) h_out * w_out;
  int   k = c_in * kernel * kernel;
  int   rows;

  g_return_if_fail (input != NULL && weight != NULL && output != NULL);
  g_return_if_fail (c_in > 0 && c_out > 0 && kernel > 0 && stride > 0 &&
                    dilation > 0 && h_out > 0 && w_out > 0);

  if (kernel == 1 && stride == 1)
    {
      /* output [c_out, n] = weight [c_out, c_in] x input [c_in, n] */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans,
                   c_out, (int) n, c_in, 1.0f, weight, c_in,
                   input, (int) n, 0.0f, output, (int) n);
      restore_ops_bias_activate (output, n, bias, c_out, n, act);
      return;
    }

  g_return_if_fail (col != NULL);
  rows = band_rows (c_in, kernel, h_out, w_out);
  for (int y0 = 0; y0 < h_out; y0 += rows)
    {
      int   y1 = MIN (y0 + rows, h_out);
      gsize band = (gsize) (y1 - y0) * w_out;
      float *dst = output + (gsize) y0 * w_out;

      im2col_parallel (input, c_in, height, width, kernel, stride, dilation,
                       w_out, y0, y1, col);
      /* dst [c_out, band] (row stride n) = weight [c_out, k] x col [k, band] */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans,
                   c_out, (int) band, k, 1.0f, weight, k,
                   col, (int) band, 0.0f, dst, (int) n);
      restore_ops_bias_activate (dst, n, bias, c_out, band, act);
    }
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

/* Levels of the push-pull pyramid: level 0 is the input, each next one
 * halves the size (rounded up) until 1x1. */
static int
push_pull_levels (int height,
                  int width)
{
  int n = 1;

  while (height > 1 || width > 1)
    {
      height = (height + 1) / 2;
      width = (width + 1) / 2;
      n++;
    }
  return n;
}

/**
 * restore_ops_push_pull_floats:
 * Scratch floats restore_ops_push_pull() needs: the channels and the
 * weight of every level below the input.
 */
gsize
restore_ops_push_pull_floats (int channels,
                              int height,
                              int width)
{
  gsize total = 0;
  int   levels = push_pull_levels (height, width);

  for (int l = 1; l < levels; l++)
    {
      height = (height + 1) / 2;
      width = (width + 1) / 2;
      total += (gsize) (channels + 1) * height * width;
    }
  return total;
}

/* 2x2 box sum of one plane: (a + b) + (c + d), outside cells are 0. */
static void
box_sum2 (const float *src,
          int          h,
          int          w,
          float       *dst)
{
  int h2 = (h + 1) / 2, w2 = (w + 1) / 2;

  for (int y = 0; y < h2; y++)
    {
      const float *r0 = src + (gsize) (2 * y) * w;
      const float *r1 = 2 * y + 1 < h ? r0 + w : NULL;

      for (int x = 0; x < w2; x++)
        {
          int   x0 = 2 * x, x1 = 2 * x + 1;
          float a = r0[x0], b = x1 < w ? r0[x1] : 0.0f;
          float c = r1 ? r1[x0] : 0.0f, d = r1 && x1 < w ? r1[x1] : 0.0f;

          dst[(gsize) y * w2 + x] = (a + b) + (c + d);
        }
    }
}

/* Bilinear 2x sample position along one axis (see restore-ops.h). */
static void
up_index (int    i,
          int    n_coarse,
          int   *i0,
          int   *i1,
          float *t)
{
  double s = (i + 0.5) * 0.5 - 0.5;

  if (s < 0.0)
    s = 0.0;
  if (s > n_coarse - 1)
    s = n_coarse - 1;
  *i0 = (int) s;
  *i1 = MIN (*i0 + 1, n_coarse - 1);
  *t = (float) (s - *i0);
}

/* One pull step: @p [channels, h, w] weighted sums with weights @wt become
 * the filled values, using the filled coarser level @f [channels, hc, wc]. */
static void
pull_level (float       *p,
            const float *wt,
            int          channels,
            int          h,
            int          w,
            const float *f,
            int          hc,
            int          wc)
{
  for (int y = 0; y < h; y++)
    {
      int   y0, y1;
      float ty;

      up_index (y, hc, &y0, &y1, &ty);
      for (int x = 0; x < w; x++)
        {
          gsize i = (gsize) y * w + x;
          float wv = wt[i];
          float a = wv < 1.0f ? wv : 1.0f;
          int   x0, x1;
          float tx;

          up_index (x, wc, &x0, &x1, &tx);
          for (int c = 0; c < channels; c++)
            {
              const float *fc = f + (gsize) c * hc * wc;
              float        r0 = fc[(gsize) y0 * wc + x0] * (1.0f - ty) +
                                fc[(gsize) y1 * wc + x0] * ty;
              float        r1 = fc[(gsize) y0 * wc + x1] * (1.0f - ty) +
                                fc[(gsize) y1 * wc + x1] * ty;
              float        u = r0 * (1.0f - tx) + r1 * tx;
              float       *pc = p + (gsize) c * h * w + i;

              if (wv > 0.0f)
                *pc = a * (*pc / (wv > 1e-12f ? wv : 1e-12f)) + (1.0f - a) * u;
              else
                *pc = u;
            }
        }
    }
}

/**
 * restore_ops_push_pull:
 * See restore-ops.h.
 */
void
restore_ops_push_pull (float       *values,
                       const float *weight,
                       int          channels,
                       int          height,
                       int          width,
                       float       *scratch)
{
  int    levels = push_pull_levels (height, width);
  float *pv[32];
  float *pw[32];
  int    hs[32], ws[32];
  float *pos = scratch;

  g_return_if_fail (levels <= 32);
  pv[0] = values;
  pw[0] = (float *) weight;    /* read only: level 0 is never written */
  hs[0] = height;
  ws[0] = width;
  for (int l = 1; l < levels; l++)
    {
      hs[l] = (hs[l - 1] + 1) / 2;
      ws[l] = (ws[l - 1] + 1) / 2;
      pv[l] = pos;
      pos += (gsize) channels * hs[l] * ws[l];
      pw[l] = pos;
      pos += (gsize) hs[l] * ws[l];
      for (int c = 0; c < channels; c++)
        box_sum2 (pv[l - 1] + (gsize) c * hs[l - 1] * ws[l - 1],
                  hs[l - 1], ws[l - 1], pv[l] + (gsize) c * hs[l] * ws[l]);
      box_sum2 (pw[l - 1], hs[l - 1], ws[l - 1], pw[l]);
    }

  /* coarsest level: the weighted mean, 0 where nothing is known */
  {
    int   l = levels - 1;
    gsize n = (gsize) hs[l] * ws[l];

    for (gsize i = 0; i < n; i++)
      for (int c = 0; c < channels; c++)
        {
          float *v = pv[l] + (gsize) c * n + i;
          float  wv = pw[l][i];

          *v = wv > 0.0f ? *v / (wv > 1e-12f ? wv : 1e-12f) : 0.0f;
        }
  }
  for (int l = levels - 2; l >= 0; l--)
    pull_level (pv[l], pw[l], channels, hs[l], ws[l], pv[l + 1], hs[l + 1],
                ws[l + 1]);
}
