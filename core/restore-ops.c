/* gimp-restore: tensor operations (layout in restore-ops.h).
 *
 * A convolution is cut into bands of output rows, each computed on its
 * own with a single-threaded cblas_sgemm; with n threads, n bands run at
 * once (one band per thread, not threads inside BLAS: on small matrices
 * OpenBLAS's own threads spend their time synchronising; bench/README.md,
 * "How the engine spends its time").  Per band, by shape:
 *   3x3, stride 1, no dilation, at least WINO_MIN_C_IN input channels:
 *     Winograd F(2x2, 3x3), 16 products of [c_out, c_in] x [c_in, tiles]
 *     (2.25x fewer multiply-adds than im2col; see restore_wino_weights below);
 *   1x1 stride 1: the input itself is the matrix, no scratch;
 *   otherwise im2col + one product:
 *     col    [K = c_in * kernel * kernel, band]   (rows of K, band columns)
 *     output [c_out, band] = weight [c_out, K] x col [K, band].
 * Bias and activation are applied while each band is still in cache.
 * Bands have a fixed size for a given shape (BAND_FLOATS of scratch each),
 * so results do not depend on the number of threads, and the scratch
 * (restore_ops_conv2d_col_floats) holds at most COL_SLOTS bands.
 *
 * restore_ops_conv2d_runs (the sparse decoder) computes a set of output
 * pixels given as runs of rows instead: the runs are cut into chunks of a
 * fixed number of pixels (the bands of that method), each chunk gathered
 * into col [K, chunk] from the pixels' own 3x3 neighbourhoods (im2col
 * over the pieces of runs, 8 floats at a time away from the borders),
 * one product, bias and activation, then copied to its pixels; on an
 * upsampled input the 3x3 kernel folds into four 2x2 ones (fold_weights).
 * No Winograd there: it mixes the pixels of a 2x2 block, so a stale value
 * next to a needed pixel would reach it.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cblas.h>

#include "restore-ops.h"
#include "restore-winograd.h"

/* The transforms and im2col are written as plain loops along rows; let
 * GCC vectorise them at -O2 too (clang does by default; hand-written AVX2
 * gained nothing: bench/README.md). */
#if defined (__GNUC__) && ! defined (__clang__)
#pragma GCC optimize ("tree-vectorize", "vect-cost-model=dynamic")
#endif

/* scratch of one band: 512 Ki floats (2 MiB; bench/README.md) */
#define BAND_FLOATS    ((gsize) 512 * 1024)
/* bands in flight at once, i.e. the most threads a convolution uses */
#define COL_SLOTS      8
/* pixels per band of a 1x1 convolution */
#define POINTWISE_BAND 16384

typedef enum
{
  CONV_POINTWISE,   /* 1x1 stride 1: bands of pixels, no scratch */
  CONV_IM2COL,
  CONV_WINOGRAD,
  CONV_RUNS         /* im2col of a set of pixels (restore_ops_conv2d_runs) */
} ConvMethod;

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

/* threads of the convolutions */
#define THREADS_MAX          64

static int          current_threads = 1;
static GThreadPool *conv_pool = NULL;
static gboolean     winograd_enabled = TRUE;
static gboolean     threads_in_blas = FALSE;
G_LOCK_DEFINE_STATIC (pool);

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

/**
 * restore_ops_set_threads:
 * @n: threads, at least 1 (at most 64)
 * Sets the number of threads the convolutions use (bands computed side by
 * side; OpenBLAS itself is kept single-threaded).  Results do not depend
 * on it.  Returns the previous count.
 */
int
restore_ops_set_threads (int n)
{
  int previous = restore_ops_get_threads ();

  g_return_val_if_fail (n >= 1, previous);
  n = MIN (n, THREADS_MAX);
  G_LOCK (pool);
  {
    /* development switches for measuring the alternatives (scan-bench) */
    const char *conv = g_getenv ("GIMP_RESTORE_CONV");
    const char *threading = g_getenv ("GIMP_RESTORE_THREADING");

    winograd_enabled = conv == NULL || strcmp (conv, "im2col") != 0;
    threads_in_blas = threading != NULL && strcmp (threading, "blas") == 0;
  }
  openblas_set_num_threads (threads_in_blas ? n : 1);
  if (n > 1 && ! conv_pool)
    conv_pool = g_thread_pool_new (pool_worker, NULL, n - 1, FALSE, NULL);
  else if (conv_pool)
    g_thread_pool_set_max_threads (conv_pool, MAX (n - 1, 1), NULL);
  g_atomic_int_set (&current_threads, threads_in_blas ? 1 : n);
  G_UNLOCK (pool);
  return previous;
}

/**
 * restore_ops_get_threads:
 * Returns the number of threads the convolutions use.
 */
int
restore_ops_get_threads (void)
{
  return threads_in_blas ? openblas_get_num_threads ()
                         : g_atomic_int_get (&current_threads);
}

#define HUGE_PAGE ((gsize) 2 * 1024 * 1024)

/**
 * restore_ops_alloc_floats:
 * See restore-ops.h.
 */
float *
restore_ops_alloc_floats (gsize n)
{
  void  *mem = NULL;
  gsize  bytes;

  if (n > G_MAXSIZE / sizeof (float) - HUGE_PAGE)
    return NULL;
  bytes = MAX (n, 1) * sizeof (float);
  if (posix_memalign (&mem, bytes >= HUGE_PAGE ? HUGE_PAGE : 64, bytes) != 0)
    return NULL;
#ifdef MADV_HUGEPAGE
  if (bytes >= HUGE_PAGE)
    madvise (mem, bytes / HUGE_PAGE * HUGE_PAGE, MADV_HUGEPAGE);
#endif
  return mem;
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
conv_plan (int    c_in,
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
  if (winograd_enabled && kernel == 3 && stride == 1 && dilation == 1
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
  gsize share;

  if (h_out < 1 || w_out < 1)
    return 0;
  conv_plan (c_in, kernel, stride, dilation, h_out, w_out, &rows, &n_bands,
             &share);
  return share * MIN (n_bands, COL_SLOTS);
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

/* Scratch a thread keeps between calls (grown on demand, freed with the
 * thread): the Winograd products of its bands, and the caller's
 * transformed weights. */
typedef struct
{
  float *data;
  gsize  floats;
} Scratch;

static void
scratch_free (gpointer data)
{
  Scratch *s = data;

  free (s->data);
  g_free (s);
}

static GPrivate scratch_products = G_PRIVATE_INIT (scratch_free);
static GPrivate scratch_weights = G_PRIVATE_INIT (scratch_free);

static float *
scratch_get (GPrivate *key,
             gsize     floats)
{
  Scratch *s = g_private_get (key);

  if (s == NULL)
    {
      s = g_new0 (Scratch, 1);
      g_private_set (key, s);
    }
  if (s->floats < floats)
    {
      free (s->data);
      s->data = restore_ops_alloc_floats (floats);
      s->floats = floats;
      if (s->data == NULL)
        g_error ("cannot allocate %" G_GSIZE_FORMAT " bytes of convolution scratch",
                 floats * sizeof (float));
    }
  return s->data;
}

/* One convolution split into bands of output rows.  Worker w of n takes
 * bands w, w + n, w + 2n, ... with its own share of the scratch, and
 * every band is computed the same way whoever computes it (single-threaded
 * sgemm), so results do not depend on the number of threads. */
typedef struct
{
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

/* A piece of a run inside one chunk of restore_ops_conv2d_runs(): pixels
 * (y, x) .. (y, x + len - 1), columns j .. j + len - 1 of the chunk; edge
 * when the kernel reaches past the plane there, or the fast copy below
 * could read past it. */
typedef struct
{
  int j, len, y, x, edge;
} RunSeg;

/* floats a fast copy may write past the end of col (run_copy) */
#define RUNS_SLACK 8

/* Copies @len floats in blocks of 8, so it reads and writes up to 7 more:
 * within a row of col the next piece (or row) overwrites them later. */
static inline void
run_copy (float       *dst,
          const float *src,
          int          len)
{
  for (int t = 0; t < len; t += 8)
    memcpy (dst + t, src + t, 8 * sizeof (float));
}

/* dst[t] = src[(x + t) / 2] for t < @len, x >= 0: pairs of equal values */
static inline void
run_copy_up (float       *restrict dst,
             const float *restrict src,
             int                   x,
             int                   len)
{
  int t = 0, pairs;

  if (len > 0 && (x & 1))
    {
      dst[0] = src[x >> 1];
      t = 1;
    }
  src += (x + t) >> 1;
  dst += t;
  pairs = (len - t) / 2;
  for (int i = 0; i < pairs; i++)
    {
      dst[2 * i] = src[i];
      dst[2 * i + 1] = src[i];
    }
  if ((len - t) & 1)
    dst[2 * pairs] = src[pairs];
}

/* The pieces of the @n pixels of the runs from pixel @offset of run @run
 * on; returns how many. */
static int
run_segs (const RestoreSpan *runs,
          int                run,
          int                offset,
          gsize              n,
          int                height,
          int                width,
          int                kernel,
          RunSeg            *segs)
{
  gsize j = 0;
  int   count = 0;

  while (j < n)
    {
      const RestoreSpan *rr = runs + run;
      RunSeg            *sg = segs + count++;

      sg->j = (int) j;
      sg->y = rr->y;
      sg->x = rr->x0 + offset;
      sg->len = (int) MIN ((gsize) (rr->x1 - sg->x), n - j);
      /* kernel 3: the row below must not be the last (the copy may read
       * 7 floats past it, into the row after); kernel 1: the own row */
      if (width < RUNS_SLACK)
        sg->edge = TRUE;
      else if (kernel == 3)
        sg->edge = sg->y == 0 || sg->y >= height - 2 || sg->x == 0 ||
                   sg->x + sg->len >= width;
      else
        sg->edge = sg->y >= height - 1;
      j += sg->len;
      run++;
      offset = 0;
    }
  return count;
}

/* col [c_in * kernel^2, n]: the input patches of the pixels of @segs,
 * input [c_in, height >> up, width >> up] read as its 2^up
 * nearest-neighbour upsampling, zero outside the height x width plane.
 * Writes up to RUNS_SLACK floats past col [k, n] (the next row, or the
 * slack after the last). */
static void
im2col_runs (const float  *input,
             int           c_in,
             int           height,
             int           width,
             int           up,
             int           kernel,
             const RunSeg *segs,
             int           n_segs,
             gsize         n,
             float        *col)
{
  int   pad = (kernel - 1) / 2;
  int   w_in = width >> up;
  gsize plane = (gsize) (height >> up) * w_in;

  for (int c = 0; c < c_in; c++)
    for (int ky = 0; ky < kernel; ky++)
      for (int kx = 0; kx < kernel; kx++)
        {
          const float *src_c = input + (gsize) c * plane;
          float       *row = col + (((gsize) c * kernel + ky) * kernel + kx) * n;
          int          dy = ky - pad, dx = kx - pad;

          for (int s = 0; s < n_segs; s++)
            {
              const RunSeg *sg = segs + s;
              float        *dst = row + sg->j;
              int           iy = sg->y + dy;

              if (! sg->edge && up == 0)
                {
                  run_copy (dst, src_c + (gsize) iy * w_in + sg->x + dx,
                            sg->len);
                }
              else if (! sg->edge)
                {
                  run_copy_up (dst, src_c + (gsize) (iy >> 1) * w_in,
                               sg->x + dx, sg->len);
                }
              else if (iy < 0 || iy >= height)
                {
                  memset (dst, 0, (gsize) sg->len * sizeof (float));
                }
              else
                {
                  const float *src = src_c + (gsize) (iy >> up) * w_in;
                  int          xa = sg->x, len = sg->len;
                  /* columns whose input column lies inside [0, width) */
                  int          a = MAX (0, -dx - xa);
                  int          b = MIN (len, width - dx - xa);

                  b = MAX (a, b);
                  if (a > 0)
                    memset (dst, 0, (gsize) a * sizeof (float));
                  for (int t = a; t < b; t++)
                    dst[t] = src[(xa + dx + t) >> up];
                  if (b < len)
                    memset (dst + b, 0, (gsize) (len - b) * sizeof (float));
                }
            }
        }
}

/* Floats of one worker's share of scratch for chunks of @p pixels: col,
 * the slack, the product and the pieces (twice: conv_runs_chunk_up). */
static gsize
runs_share_floats (int k,
                   int m,
                   int p)
{
  G_STATIC_ASSERT (sizeof (RunSeg) % sizeof (float) == 0);
  return ((gsize) k + m) * p + RUNS_SLACK +
         2 * (gsize) p * (sizeof (RunSeg) / sizeof (float));
}

/* A 3x3 convolution of the nearest-neighbour 2x upsampling of a coarse
 * input reads, for output pixel (y, x), upsampled rows y - 1 .. y + 1,
 * i.e. coarse rows r = (y - 1) >> 1 and r + 1: upsampled row y - 1 is
 * coarse row r, and so is row y when y is odd, else row y lies in r + 1
 * like row y + 1.  Likewise for columns.  So per parity (y & 1, x & 1)
 * the layer is a 2x2 convolution of the coarse input with the kernel rows
 * (and columns) folded: { w0, w1 + w2 } for even, { w0 + w1, w2 } for odd;
 * 4 instead of 9 multiply-adds per input channel (as many as Winograd
 * does), the same zero padding (the upsampled plane's border is the
 * coarse one's, the sizes being even).  Fills u [4][m][c_in][2][2], the
 * folded kernels of parities 0 (even y, even x), 1 (even, odd), 2, 3. */
static void
fold_weights (const float *weight,
              int          m,
              int          c_in,
              float       *u)
{
  gsize n = (gsize) m * c_in;

  for (int parity = 0; parity < 4; parity++)
    {
      int   py = parity >> 1, px = parity & 1;
      float *dst = u + (gsize) parity * n * 4;

      for (gsize i = 0; i < n; i++)
        {
          const float *g = weight + 9 * i;
          float        r[2][3];

          /* rows folded */
          for (int kx = 0; kx < 3; kx++)
            {
              r[0][kx] = py ? g[kx] + g[3 + kx] : g[kx];
              r[1][kx] = py ? g[6 + kx] : g[3 + kx] + g[6 + kx];
            }
          /* then columns */
          for (int a = 0; a < 2; a++)
            {
              dst[4 * i + 2 * a] = px ? r[a][0] + r[a][1] : r[a][0];
              dst[4 * i + 2 * a + 1] = px ? r[a][2] : r[a][1] + r[a][2];
            }
        }
    }
}

/* Bias and activation of a CONV_RUNS product prod [groups * c_out, n];
 * a gated layer ends with its c_out gated values in the first rows. */
static void
runs_bias_activate (const ConvJob *job,
                    float         *prod,
                    gsize          n)
{
  int m = job->groups * job->c_out;

  if (job->groups == 2)
    {
      restore_ops_bias_activate (prod, n, job->bias, m, n, RESTORE_ACT_NONE);
      restore_ops_gate (prod, job->c_out, n, job->act, prod);
    }
  else
    {
      restore_ops_bias_activate (prod, n, job->bias, m, n, job->act);
    }
}

/* One chunk of a CONV_RUNS job with up = 1 and kernel 3: its pixels split
 * by parity, each class gathered from the coarse input (2x2 patches: the
 * pixels x, x + 2, ... of a piece read consecutive coarse columns) and
 * multiplied by its folded kernel (fold_weights), then copied to every
 * other pixel of the output. */
static void
conv_runs_chunk_up (const ConvJob *job,
                    const RunSeg  *segs,
                    int            n_segs,
                    float         *col,
                    float         *prod,
                    RunSeg        *cls)
{
  int   hc = job->height / 2, wc = job->width / 2;
  int   k = 4 * job->c_in, m = job->groups * job->c_out;
  gsize plane_in = (gsize) hc * wc;
  gsize plane = (gsize) job->h_out * job->w_out;

  for (int parity = 0; parity < 4; parity++)
    {
      int   py = parity >> 1, px = parity & 1;
      int   n_cls = 0;
      gsize n = 0;

      /* the pieces of this class: x = first, first + 2, ... (len of them),
       * reading coarse columns x0 .. x0 + len from row y0 and y0 + 1 */
      for (int sgi = 0; sgi < n_segs; sgi++)
        {
          const RunSeg *sg = segs + sgi;
          int           first = sg->x + ((px - sg->x) & 1);
          RunSeg       *c;
          int           r0, c0;

          if ((sg->y & 1) != py || first >= sg->x + sg->len)
            continue;
          c = cls + n_cls++;
          c->j = (int) n;
          c->len = (sg->x + sg->len - first + 1) / 2;
          c->y = sg->y;
          c->x = first;
          r0 = (sg->y - 1) >> 1;
          c0 = (first - 1) >> 1;
          /* the fast copy reads up to 7 floats past row r0 + 1 */
          c->edge = r0 < 0 || r0 + 1 >= hc - 1 || c0 < 0 ||
                    c0 + c->len >= wc || wc < RUNS_SLACK;
          n += c->len;
        }
      if (n == 0)
        continue;

      /* col [(c, dy, dx), n] */
      for (int ch = 0; ch < job->c_in; ch++)
        for (int dy = 0; dy < 2; dy++)
          for (int dx = 0; dx < 2; dx++)
            {
              const float *src_c = job->input + (gsize) ch * plane_in;
              float       *row = col + ((gsize) (ch * 2 + dy) * 2 + dx) * n;

              for (int ci = 0; ci < n_cls; ci++)
                {
                  const RunSeg *c = cls + ci;
                  int           r = ((c->y - 1) >> 1) + dy;
                  int           c0 = ((c->x - 1) >> 1) + dx;
                  float        *dst = row + c->j;

                  if (! c->edge)
                    {
                      run_copy (dst, src_c + (gsize) r * wc + c0, c->len);
                    }
                  else if (r < 0 || r >= hc)
                    {
                      memset (dst, 0, (gsize) c->len * sizeof (float));
                    }
                  else
                    {
                      const float *src = src_c + (gsize) r * wc;

                      for (int t = 0; t < c->len; t++)
                        dst[t] = c0 + t >= 0 && c0 + t < wc ? src[c0 + t] : 0.0f;
                    }
                }
            }
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, m, (int) n, k,
                   1.0f, job->weight + (gsize) parity * m * k, k, col,
                   (int) n, 0.0f, prod, (int) n);
      runs_bias_activate (job, prod, n);
      for (int ch = 0; ch < job->c_out; ch++)
        for (int ci = 0; ci < n_cls; ci++)
          {
            const float *src = prod + ch * n + cls[ci].j;
            float       *dst = job->output + ch * plane
                               + (gsize) cls[ci].y * job->w_out + cls[ci].x;

            for (int t = 0; t < cls[ci].len; t++)
              dst[2 * t] = src[t];
          }
    }
}

/* One chunk of a CONV_RUNS job: gather, one product, bias and activation
 * (or the gate), then the values go to their pixels of the output. */
static void
conv_runs_chunk (const ConvJob *job,
                 int            chunk,
                 float         *col)
{
  gsize   p0 = (gsize) chunk * job->rows;
  gsize   n = MIN (p0 + job->rows, job->pixels) - p0;
  int     k = job->c_in * job->kernel * job->kernel;
  int     m = job->groups * job->c_out;
  float  *prod = col + (gsize) k * job->rows + RUNS_SLACK;
  RunSeg *segs = (RunSeg *) (prod + (gsize) m * job->rows);
  gsize   plane = (gsize) job->h_out * job->w_out;
  int     n_segs;

  n_segs = run_segs (job->runs, job->chunk_run[chunk],
                     job->chunk_offset[chunk], n, job->height, job->width,
                     job->kernel, segs);
  if (job->up && job->kernel == 3)
    {
      conv_runs_chunk_up (job, segs, n_segs, col, prod,
                          segs + job->rows);
      return;
    }
  im2col_runs (job->input, job->c_in, job->height, job->width, job->up,
               job->kernel, segs, n_segs, n, col);
  /* prod [m, n] = weight [m, k] x col [k, n]: column j of prod is computed
   * from column j of col alone */
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, m, (int) n, k,
               1.0f, job->weight, k, col, (int) n, 0.0f, prod, (int) n);
  runs_bias_activate (job, prod, n);
  for (int c = 0; c < job->c_out; c++)
    for (int s = 0; s < n_segs; s++)
      memcpy (job->output + c * plane + (gsize) segs[s].y * job->w_out
              + segs[s].x, prod + c * n + segs[s].j,
              (gsize) segs[s].len * sizeof (float));
}

static void
conv_band (const ConvJob *job,
           int            band,
           float         *col)
{
  gsize n = (gsize) job->h_out * job->w_out;
  int   k = job->c_in * job->kernel * job->kernel;

  if (job->method == CONV_RUNS)
    {
      conv_runs_chunk (job, band, col);
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
      float *m = scratch_get (&scratch_products, WINO_POINTS * plane_m);

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
    conv_band (job, b, col);
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

/* Runs the bands of @job on @n_workers threads (the caller and n - 1 of
 * the pool) and returns when all are done. */
static void
conv_job_run (const ConvJob *job,
              int            n_workers)
{
  WorkerTask tasks[THREADS_MAX];
  Batch      batch;

  if (conv_pool == NULL)
    n_workers = 1;
  n_workers = CLAMP (MIN (n_workers, job->n_bands), 1, THREADS_MAX);
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
        g_thread_pool_push (conv_pool, &tasks[i], NULL);
    }
  worker_task_run (&tasks[0]);
  g_mutex_lock (&batch.mutex);
  while (batch.pending > 0)
    g_cond_wait (&batch.cond, &batch.mutex);
  g_mutex_unlock (&batch.mutex);
  g_mutex_clear (&batch.mutex);
  g_cond_clear (&batch.cond);
}

/* Per-shape time of the convolutions, for benchmarks. */
static RestoreConvShape conv_stats[RESTORE_CONV_SHAPES_MAX];
static int              conv_stats_n = 0;
static double           conv_stats_other = 0.0;
G_LOCK_DEFINE_STATIC (stats);

static void
conv_stats_add (int    m,
                int    k,
                int    n,
                double pixels,
                double macs_done,
                double seconds)
{
  int i;

  G_LOCK (stats);
  for (i = 0; i < conv_stats_n; i++)
    if (conv_stats[i].m == m && conv_stats[i].k == k && conv_stats[i].n == n)
      break;
  if (i == conv_stats_n && conv_stats_n < RESTORE_CONV_SHAPES_MAX)
    {
      conv_stats[i].m = m;
      conv_stats[i].k = k;
      conv_stats[i].n = n;
      conv_stats[i].calls = 0;
      conv_stats[i].pixels = 0.0;
      conv_stats[i].seconds = 0.0;
      conv_stats[i].macs_done = 0.0;
      conv_stats_n++;
    }
  if (i < conv_stats_n)
    {
      conv_stats[i].calls++;
      conv_stats[i].pixels += pixels;
      conv_stats[i].seconds += seconds;
      conv_stats[i].macs_done += macs_done;
    }
  else
    conv_stats_other += seconds;
  G_UNLOCK (stats);
}

/**
 * restore_ops_conv_stats_reset:
 * Forgets the shapes and times collected so far.
 */
void
restore_ops_conv_stats_reset (void)
{
  G_LOCK (stats);
  conv_stats_n = 0;
  conv_stats_other = 0.0;
  G_UNLOCK (stats);
}

/**
 * restore_ops_conv_stats_get:
 * See restore-ops.h.
 */
int
restore_ops_conv_stats_get (RestoreConvShape *shapes,
                            int               max,
                            double           *other_seconds)
{
  int n;

  G_LOCK (stats);
  n = conv_stats_n;
  if (shapes != NULL)
    memcpy (shapes, conv_stats, sizeof (RestoreConvShape) * MIN (MAX (max, 0), n));
  if (other_seconds != NULL)
    *other_seconds = conv_stats_other;
  G_UNLOCK (stats);
  return n;
}

static double conv2d_run (const float       *input,
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
  gint64 t0 = g_get_monotonic_time ();
  int    h_out = restore_ops_conv_out_size (height, kernel, stride, dilation);
  int    w_out = restore_ops_conv_out_size (width, kernel, stride, dilation);
  double macs;

  macs = conv2d_run (input, c_in, height, width, weight, bias, c_out, kernel,
                     stride, dilation, act, output, col);
  conv_stats_add (c_out, c_in * kernel * kernel, h_out * w_out,
                  (double) h_out * w_out, macs,
                  (g_get_monotonic_time () - t0) / 1e6);
}

/* Returns the multiply-adds of the products. */
static double
conv2d_run (const float       *input,
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
  job.method = conv_plan (c_in, kernel, stride, dilation, job.h_out,
                          job.w_out, &job.rows, &job.n_bands, &job.share);
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
      float *u = scratch_get (&scratch_weights,
                              (gsize) WINO_POINTS * c_out * c_in);

      restore_wino_weights (weight, c_out, c_in, u);
      job.weight = u;
    }
  conv_job_run (&job, MIN (g_atomic_int_get (&current_threads), slots));
  if (job.method == CONV_WINOGRAD)
    return (double) WINO_POINTS * c_out * c_in * ((job.h_out + 1) / 2)
           * ((job.w_out + 1) / 2);
  return (double) c_out * c_in * kernel * kernel * job.h_out * job.w_out;
}

/* Pixels per chunk of restore_ops_conv2d_runs(): the gathered matrix
 * and the product within BAND_FLOATS, at least RUNS_CHUNK_MIN, a multiple
 * of 16, and no more than the plane has; depends on the shape only, so
 * the chunks (and the results) do not depend on the threads. */
#define RUNS_CHUNK_MIN 64
#define RUNS_CHUNK_MAX 4096

static int
runs_chunk_pixels (int c_in,
                   int kernel,
                   int c_out,
                   int height,
                   int width)
{
  gsize per_pixel = (gsize) c_in * kernel * kernel + c_out;
  gsize p = BAND_FLOATS / per_pixel / 16 * 16;

  p = CLAMP (p, RUNS_CHUNK_MIN, RUNS_CHUNK_MAX);
  return (int) MIN (p, (gsize) height * width);
}

/**
 * restore_ops_conv2d_runs_col_floats:
 * See restore-ops.h: a share per thread, for at most COL_SLOTS threads.
 */
gsize
restore_ops_conv2d_runs_col_floats (int c_in,
                                    int kernel,
                                    int c_out,
                                    int height,
                                    int width)
{
  int   p = runs_chunk_pixels (c_in, kernel, c_out, height, width);
  gsize chunks = ((gsize) height * width + p - 1) / p;

  return runs_share_floats (c_in * kernel * kernel, c_out, p) *
         MIN (chunks, (gsize) COL_SLOTS);
}

/**
 * restore_ops_conv2d_runs:
 * See restore-ops.h.
 */
void
restore_ops_conv2d_runs (const float       *input,
                         int                c_in,
                         int                height,
                         int                width,
                         int                up,
                         const float       *weight,
                         const float       *bias,
                         int                c_out,
                         int                groups,
                         int                kernel,
                         RestoreActivation  act,
                         const RestoreSpan *runs,
                         int                n_runs,
                         float             *output,
                         float             *col)
{
  gint64  t0 = g_get_monotonic_time ();
  ConvJob job;
  int    *chunk_run, *chunk_offset;
  gsize   pixels = 0, pos = 0;
  int     k = c_in * kernel * kernel;

  g_return_if_fail (input != NULL && weight != NULL && output != NULL &&
                    col != NULL && (runs != NULL || n_runs == 0));
  g_return_if_fail (c_in > 0 && c_out > 0 && (groups == 1 || groups == 2) &&
                    (kernel == 1 || kernel == 3) && (up == 0 || up == 1));
  g_return_if_fail (height > 0 && width > 0 &&
                    height % (1 << up) == 0 && width % (1 << up) == 0);

  for (int r = 0; r < n_runs; r++)
    {
      g_return_if_fail (runs[r].y >= 0 && runs[r].y < height &&
                        runs[r].x0 >= 0 && runs[r].x0 < runs[r].x1 &&
                        runs[r].x1 <= width);
      pixels += (gsize) (runs[r].x1 - runs[r].x0);
    }
  if (pixels == 0)
    return;

  memset (&job, 0, sizeof job);
  job.method = CONV_RUNS;
  job.input = input;
  job.c_in = c_in;
  job.height = job.h_out = height;
  job.width = job.w_out = width;
  job.up = up;
  job.weight = weight;
  job.bias = bias;
  job.c_out = c_out;
  job.groups = groups;
  job.kernel = kernel;
  job.stride = job.dilation = 1;
  job.act = act;
  job.output = output;
  job.runs = runs;
  job.pixels = pixels;
  job.rows = runs_chunk_pixels (c_in, kernel, groups * c_out, height, width);
  job.n_bands = (int) ((pixels + job.rows - 1) / job.rows);
  job.share = runs_share_floats (k, groups * c_out, job.rows);
  job.col = col;

  /* where each chunk starts */
  chunk_run = g_new (int, job.n_bands);
  chunk_offset = g_new (int, job.n_bands);
  for (int r = 0, b = 0; r < n_runs; r++)
    {
      gsize len = (gsize) (runs[r].x1 - runs[r].x0);

      while (b < job.n_bands && (gsize) b * job.rows < pos + len)
        {
          chunk_run[b] = r;
          chunk_offset[b] = (int) ((gsize) b * job.rows - pos);
          b++;
        }
      pos += len;
    }
  job.chunk_run = chunk_run;
  job.chunk_offset = chunk_offset;
  if (up && kernel == 3)
    {
      float *u = scratch_get (&scratch_weights, (gsize) 16 * job.groups *
                              c_out * c_in);

      fold_weights (weight, job.groups * c_out, c_in, u);
      job.weight = u;
    }

  conv_job_run (&job, MIN (g_atomic_int_get (&current_threads), COL_SLOTS));
  g_free (chunk_run);
  g_free (chunk_offset);
  conv_stats_add (groups * c_out, k, 0, (double) pixels,
                  (double) groups * c_out * (up && kernel == 3 ? 4 * c_in : k)
                  * pixels,
                  (g_get_monotonic_time () - t0) / 1e6);
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
