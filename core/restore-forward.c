/* gimp-restore: the U-Net's forward pass over one tile (restore-unet.h).
 *
 * All scratch memory comes from one workspace owned by the context
 * (restore-context.h), grown on demand for the tile size:
 *
 *   cat[l], l < D   [2 C[l], H_l, W_l]   decoder input: channels [0, C[l])
 *                                        take dec{l+1}.conv1's output,
 *                                        [C[l], 2 C[l]) hold e_l
 *   p, q            ping-pong buffers of the largest activation
 *   raw             [2 C_out, ...] pre-gate output (gated models only)
 *   col             im2col scratch (also of the sparse decoder's layers)
 *
 * so the skip connections are never copied.  restore_model_forward_masked()
 * also keeps 3 bytes per tile pixel of maps and 12 bytes per span of
 * pixels it computes ("the sparse decoder" below).
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "restore-context-private.h"
#include "restore-fill.h"
#include "restore-unet-private.h"

/* The output pixels one decoder layer computes in a sparse forward pass:
 * all of them (full), or the spans [first, first + n) of ctx->spans. */
typedef struct
{
  gboolean full;
  gsize    first, n;
  gsize    pixels;
} PixelSet;

/* Per level l < depth: a[l] where dec{l+1}.conv2 (and at level 0
 * out.conv) computes h_l, b[l] where dec{l+1}.conv1 computes its output. */
typedef struct
{
  PixelSet a[DEPTH_MAX];
  PixelSet b[DEPTH_MAX];
} SparsePlan;

/* Offsets (floats) into the workspace for one tile size. */
typedef struct
{
  gsize cat[DEPTH_MAX];
  gsize p, q, raw, col;
  gsize pre, pre_weight, pre_scratch;   /* prefilled input, when used */
  gsize total;
} Plan;

static gsize
round_up (gsize n)
{
  return (n + FLOAT_ALIGN - 1) / FLOAT_ALIGN * FLOAT_ALIGN;
}

static void
plan_workspace (const RestoreModel *model,
                int                 width,
                int                 height,
                Plan               *plan)
{
  gsize act_max = 0, raw_max = 0, col_max = 0, pos = 0;

  for (int i = 0; i < model->n_layers; i++)
    {
      const Layer *l = &model->layers[i];
      gsize        in_level = l->stride == 2 ? l->level - 1 : l->level;
      int          w_in = width >> in_level, h_in = height >> in_level;
      gsize        pixels = (gsize) (width >> l->level) * (height >> l->level);
      gsize        col;

      act_max = MAX (act_max, (gsize) l->c_out * pixels);
      if (l->groups == 2)
        raw_max = MAX (raw_max, (gsize) 2 * l->c_out * pixels);
      col = restore_ops_conv2d_col_floats (l->c_in, l->kernel, l->stride,
                                           l->dilation, h_in, w_in);
      col_max = MAX (col_max, col);
      /* the decoder and out.conv on spans (forward_masked) */
      if (i >= model->n_layers - 2 * model->depth - 1)
        col_max = MAX (col_max, restore_ops_conv2d_runs_col_floats (
                         l->c_in, l->kernel, l->groups * l->c_out,
                         height >> l->level, width >> l->level));
    }
  /* the upsampled input of dec{i}.conv1: [C[i], H_{i-1}, W_{i-1}] */
  for (int i = 1; i <= model->depth; i++)
    act_max = MAX (act_max, (gsize) model->channels[i] *
                   (gsize) (width >> (i - 1)) * (height >> (i - 1)));

  for (int l = 0; l < model->depth; l++)
    {
      plan->cat[l] = pos;
      pos += round_up ((gsize) 2 * model->channels[l] *
                       (gsize) (width >> l) * (height >> l));
    }
  plan->p = pos;
  pos += round_up (act_max);
  plan->q = pos;
  pos += round_up (act_max);
  plan->raw = pos;
  pos += round_up (raw_max);
  plan->col = pos;
  pos += round_up (col_max);
  plan->pre = plan->pre_weight = plan->pre_scratch = 0;
  if (model->prefill)
    {
      gsize plane = (gsize) width * height;

      plan->pre = pos;
      pos += round_up (4 * plane);
      plan->pre_weight = pos;
      pos += round_up (plane);
      plan->pre_scratch = pos;
      pos += round_up (restore_fill_push_pull_floats (3, height, width,
                                                     model->sweeps));
    }
  plan->total = pos;
}

static gboolean
ensure_workspace (RestoreContext  *ctx,
                  gsize            floats,
                  GError         **error)
{
  void *mem = NULL;

  if (floats <= ctx->workspace_floats)
    return TRUE;
  free (ctx->workspace);
  ctx->workspace = NULL;
  ctx->workspace_floats = 0;
  if (floats > G_MAXSIZE / sizeof (float) ||
      (mem = restore_ops_alloc_floats (floats)) == NULL)
    {
      g_set_error (error, RESTORE_MODEL_ERROR, RESTORE_MODEL_ERROR_IO,
                   "cannot allocate %" G_GSIZE_FORMAT " MB of workspace for "
                   "the network", floats * sizeof (float) / (1024 * 1024));
      return FALSE;
    }
  ctx->workspace = mem;
  ctx->workspace_floats = floats;
  return TRUE;
}

/* --- the sparse decoder ------------------------------------------------
 *
 * restore_model_forward_masked() only needs the output y where the mask
 * channel x[3] is > 0.  Working back from there, per level l < D (at
 * H_l x W_l = (H >> l) x (W >> l)), with dil (S) the pixels within one
 * pixel of S (the 3x3 neighbourhoods, clipped to the plane):
 *   A_0 = { m > 0 }                       out.conv and dec1.conv2 compute h_0
 *   B_l = dil (A_l)                       dec{l+1}.conv1 computes its output
 *   U_l = dil (B_l)                       the upsampled h_{l+1} it reads
 *   A_{l+1} = { (y >> 1, x >> 1) : (y, x) in U_l }
 *                                         dec{l+2}.conv2 computes h_{l+1}
 * The encoder and the bottleneck run on every pixel (they feed the
 * coarse levels, whose receptive field covers the tile).
 *
 * Why no stale value is read (the buffers hold whatever an earlier pass
 * left outside the computed pixels): a sparse layer computes each of its
 * output pixels from that pixel's own im2col column, i.e. from its 3x3
 * input neighbourhood only (restore_ops_conv2d_runs()).  Then, for p in
 * A_l, dec{l+1}.conv2 reads the cat buffer at dil ({p}): the e_l half is
 * dense, the other half is dec{l+1}.conv1's output, computed on
 * B_l = dil (A_l), which holds dil ({p}).  For p in B_l, dec{l+1}.conv1
 * reads the upsampled h_{l+1} at dil ({p}), a subset of U_l, i.e.
 * h_{l+1} at (y >> 1, x >> 1) for those pixels: inside A_{l+1}, computed
 * by dec{l+2}.conv2 just before (or h_D, the dense bottleneck, when
 * l + 1 = D).  out.conv (1x1) reads h_0 at A_0 itself.  Induction from
 * the coarsest level down: every value a computed pixel of A_0 depends on
 * was computed in this pass, so y on A_0 is the dense pass's (up to the
 * order of the sums).  tests/inference/test-sparse.c checks it with the
 * workspace filled with NaN first (restore_context_set_poison()).
 *
 * A sparse layer costs more per pixel than the dense one (Winograd) and
 * something per span: where the estimate (sparse_pays) says the dense
 * layer is cheaper, the set is computed densely ("full"); a dense layer
 * needs its whole input, so every set after it (coarser) is full too. */

/* Whether computing @pixels in @runs spans of a w x h plane sparsely
 * costs less than the dense layer (c_in -> c_out, 3x3): per pixel, a
 * gathered im2col layer costs about twice the dense layer's time per
 * pixel and the folded upsampling convolution (restore_ops_conv2d_runs)
 * somewhat less than it; per span, the gathering costs the same per input
 * channel whatever the outputs (mostly cache misses), 250 / c_out pixels
 * of the dense layer, rounded up (measured: bench/README.md, "How the
 * engine spends its time"). */
static gboolean
sparse_pays (gsize pixels,
             gsize runs,
             int   w,
             int   h,
             int   c_in,
             int   c_out,
             int   up)
{
  double per_pixel = up ? 0.9 : 2.0;
  double per_run = 250.0 / c_out;

  return per_pixel * pixels + per_run * runs < (double) w * h;
}

/* dst = dil (src) on a w x h map of 0/1 bytes; @tmp the same size. */
static void
map_dilate (const guint8 *src,
            int           w,
            int           h,
            guint8       *tmp,
            guint8       *dst)
{
  for (int y = 0; y < h; y++)
    {
      const guint8 *s = src + (gsize) y * w;
      guint8       *t = tmp + (gsize) y * w;

      for (int x = 0; x < w; x++)
        t[x] = s[x] | (x > 0 ? s[x - 1] : 0) | (x + 1 < w ? s[x + 1] : 0);
    }
  for (int y = 0; y < h; y++)
    {
      const guint8 *t = tmp + (gsize) y * w;
      const guint8 *above = y > 0 ? t - w : t;
      const guint8 *below = y + 1 < h ? t + w : t;
      guint8       *d = dst + (gsize) y * w;

      for (int x = 0; x < w; x++)
        d[x] = t[x] | above[x] | below[x];
    }
}

/* dst (w/2 x h/2) = 1 where any of the 2x2 pixels of src (w x h) is. */
static void
map_halve (const guint8 *src,
           int           w,
           int           h,
           guint8       *dst)
{
  int w2 = w / 2;

  for (int y = 0; y < h / 2; y++)
    {
      const guint8 *r0 = src + (gsize) (2 * y) * w;
      const guint8 *r1 = r0 + w;
      guint8       *d = dst + (gsize) y * w2;

      for (int x = 0; x < w2; x++)
        d[x] = r0[2 * x] | r0[2 * x + 1] | r1[2 * x] | r1[2 * x + 1];
    }
}

/* The set of a map as spans appended to ctx->spans; full (and no
 * spans) when the layer (c_in -> c_out, @up as for
 * restore_ops_conv2d_runs) is cheaper dense, unless @always.  FALSE when
 * the memory for the spans is not there. */
static gboolean
map_to_set (RestoreContext *ctx,
            const guint8 *map,
            int           w,
            int           h,
            int           c_in,
            int           c_out,
            int           up,
            gboolean      always,
            PixelSet     *set)
{
  set->first = ctx->n_spans;
  set->n = 0;
  set->pixels = 0;
  set->full = FALSE;
  for (int y = 0; y < h; y++)
    {
      const guint8 *row = map + (gsize) y * w;
      int           x = 0;

      while (x < w)
        {
          int x0;

          while (x < w && ! row[x])
            x++;
          if (x == w)
            break;
          x0 = x;
          while (x < w && row[x])
            x++;
          if (ctx->n_spans == ctx->spans_alloc)
            {
              gsize        n = MAX (1024, 2 * ctx->spans_alloc);
              RestoreSpan *spans = g_try_renew (RestoreSpan, ctx->spans, n);

              if (spans == NULL)
                return FALSE;
              ctx->spans = spans;
              ctx->spans_alloc = n;
            }
          ctx->spans[ctx->n_spans].y = y;
          ctx->spans[ctx->n_spans].x0 = x0;
          ctx->spans[ctx->n_spans].x1 = x;
          ctx->n_spans++;
          set->n++;
          set->pixels += (gsize) (x - x0);
        }
    }
  if (! always && set->pixels > 0 &&
      ! sparse_pays (set->pixels, set->n, w, h, c_in, c_out, up))
    {
      set->full = TRUE;
      set->n = 0;
      ctx->n_spans = set->first;
    }
  return TRUE;
}

typedef enum
{
  PLAN_SPARSE,
  PLAN_EMPTY,       /* nothing masked: no output pixel is needed */
  PLAN_NO_MEMORY    /* for the maps or the spans: run densely */
} PlanResult;

/* Fills @sp from the mask channel of @input (width x height); dense
 * levels where sparse_pays() says so, unless @always. */
static PlanResult
sparse_plan (const RestoreModel *model,
             RestoreContext     *ctx,
             const float  *input,
             int           width,
             int           height,
             gboolean      always,
             SparsePlan   *sp)
{
  gsize        plane = (gsize) width * height;
  const float *m = input + 3 * plane;
  guint8      *a, *b, *t;
  gboolean     full = FALSE;

  if (ctx->maps_bytes < 3 * plane)
    {
      g_free (ctx->maps);
      ctx->maps = g_try_malloc (3 * plane);
      ctx->maps_bytes = ctx->maps ? 3 * plane : 0;
      if (ctx->maps == NULL)
        return PLAN_NO_MEMORY;
    }
  a = ctx->maps;
  b = a + plane;
  t = b + plane;
  ctx->n_spans = 0;
  for (gsize i = 0; i < plane; i++)
    a[i] = m[i] > 0.0f;

  for (int l = 0; l < model->depth; l++)
    {
      int w = width >> l, h = height >> l;
      int c_l = model->channels[l], c_up = model->channels[l + 1];

      memset (&sp->a[l], 0, sizeof sp->a[l]);
      memset (&sp->b[l], 0, sizeof sp->b[l]);
      sp->a[l].full = sp->b[l].full = full;
      if (full)
        continue;
      /* dec{l+1}.conv2: 2 C[l] -> C[l] */
      if (! map_to_set (ctx, a, w, h, 2 * c_l, c_l, 0, always, &sp->a[l]))
        return PLAN_NO_MEMORY;
      if (l == 0 && sp->a[0].pixels == 0)
        return PLAN_EMPTY;
      full = sp->a[l].full;
      if (full)
        {
          sp->b[l].full = TRUE;
          continue;
        }
      map_dilate (a, w, h, t, b);
      /* dec{l+1}.conv1: C[l+1] -> C[l] on the upsampled h_{l+1} */
      if (! map_to_set (ctx, b, w, h, c_up, c_l, 1, always, &sp->b[l]))
        return PLAN_NO_MEMORY;
      full = sp->b[l].full;
      if (! full && l + 1 < model->depth)
        {
          map_dilate (b, w, h, t, a);     /* U_l */
          map_halve (a, w, h, t);         /* A_{l+1} */
          memcpy (a, t, (gsize) (w / 2) * (h / 2));
        }
    }
  return PLAN_SPARSE;
}

static void
fill_nan (float *data,
          gsize  n)
{
  for (gsize i = 0; i < n; i++)
    data[i] = NAN;
}

/* One decoder layer (or out.conv) on the pixels of @set. */
static void
run_layer_spans (RestoreContext     *ctx,
                 const Layer        *l,
                 const float        *input,
                 int                 width,
                 int                 height,
                 int                 up,
                 float              *output,
                 float              *col,
                 const PixelSet     *set)
{
  restore_ops_conv2d_runs (ctx, input, l->c_in, height, width, up, l->weight,
                           l->bias, l->c_out, l->groups, l->kernel, l->act,
                           ctx->spans + set->first, (int) set->n, output,
                           col);
}

/* Runs one layer: input at its input resolution -> output. */
static void
run_layer (RestoreContext *ctx,
           const Layer *l,
           const float *input,
           int          width,
           int          height,
           float       *output,
           float       *raw,
           float       *col,
           gboolean     reference)
{
  int                c = l->groups * l->c_out;
  float             *dst = l->groups == 2 ? raw : output;
  RestoreActivation  act = l->groups == 2 ? RESTORE_ACT_NONE : l->act;

  if (reference)
    restore_ops_conv2d_reference (input, l->c_in, height, width, l->weight,
                                  l->bias, c, l->kernel, l->stride,
                                  l->dilation, act, dst);
  else
    restore_ops_conv2d (ctx, input, l->c_in, height, width, l->weight, l->bias, c,
                        l->kernel, l->stride, l->dilation, act, dst, col);

  if (l->groups == 2)
    {
      int   h_out = restore_ops_conv_out_size (height, l->kernel, l->stride,
                                               l->dilation);
      int   w_out = restore_ops_conv_out_size (width, l->kernel, l->stride,
                                               l->dilation);

      restore_ops_gate (raw, l->c_out, (gsize) h_out * w_out, l->act, output);
    }
}

/* @masked: only the output where the mask channel is > 0 is needed
 * (restore_model_forward_masked()). */
static gboolean
forward (const RestoreModel  *model,
          RestoreContext      *ctx,
          const float         *input,
          float               *output,
          int                  width,
          int                  height,
          gboolean             reference,
          gboolean             masked,
          GError             **error)
{
  const int   *c = model->channels;
  int          d = model->depth;
  int          multiple = 1 << d;
  const Layer *layer = model->layers;
  const float *x = input;
  Plan         plan;
  SparsePlan   sparse, *sp = NULL;
  gboolean     poison = FALSE;
  float       *ws, *p, *q, *raw, *col, *h;
  gsize        plane0;

  g_return_val_if_fail (model != NULL && ctx != NULL && input != NULL &&
                        output != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (width <= 0 || height <= 0 || width > TILE_MAX || height > TILE_MAX ||
      width % multiple != 0 || height % multiple != 0)
    {
      g_set_error (error, RESTORE_MODEL_ERROR, RESTORE_MODEL_ERROR_FORMAT,
                   "tile size %dx%d is not a positive multiple of %d up to %d",
                   width, height, multiple, TILE_MAX);
      return FALSE;
    }

  plane0 = (gsize) width * height;
  if (masked && model->in_channels == 4 && ! reference)
    {
      RestoreSparseMode mode = ctx->sparse;
      PlanResult        result = PLAN_NO_MEMORY;

      if (mode != RESTORE_SPARSE_OFF)
        result = sparse_plan (model, ctx, input, width, height,
                              mode == RESTORE_SPARSE_ALWAYS, &sparse);
      if (result == PLAN_EMPTY)
        {
          /* no output pixel is needed */
          memcpy (output, input, 3 * plane0 * sizeof (float));
          return TRUE;
        }
      if (result == PLAN_SPARSE)
        sp = &sparse;
    }

  plan_workspace (model, width, height, &plan);
  if (! ensure_workspace (ctx, plan.total, error))
    return FALSE;
  ws = ctx->workspace;
  poison = sp != NULL && ctx->poison;
  if (poison)
    fill_nan (ws, plan.total);
  p = ws + plan.p;
  q = ws + plan.q;
  raw = ws + plan.raw;
  col = ws + plan.col;

  if (model->prefill)
    {
      /* the hole filled by push-pull (relaxed to a membrane for
       * "harmonic") from the known pixels around it */
      float *pre = ws + plan.pre, *weight = ws + plan.pre_weight;

      memcpy (pre, input, 4 * plane0 * sizeof (float));
      for (gsize i = 0; i < plane0; i++)
        weight[i] = 1.0f - input[3 * plane0 + i];
      restore_fill_push_pull (pre, weight, 3, height, width, model->sweeps,
                             ws + plan.pre_scratch);
      input = pre;
    }

#define E(i) ((i) < d ? ws + plan.cat[i] + \
              (gsize) c[i] * (gsize) (width >> (i)) * (height >> (i)) : q)

  /* encoder: e_i lands in the second half of cat[i] (q for i = D) */
  run_layer (ctx, layer++, input, width, height, p, raw, col, reference);
  run_layer (ctx, layer++, p, width, height, E (0), raw, col, reference);
  for (int i = 1; i <= d; i++)
    {
      int w = width >> (i - 1), hh = height >> (i - 1);

      run_layer (ctx, layer++, E (i - 1), w, hh, p, raw, col, reference);
      run_layer (ctx, layer++, p, w / 2, hh / 2, E (i), raw, col, reference);
    }
#undef E

  /* bottleneck: h ping-pongs between q and p */
  h = q;
  for (int k = 0; k < model->n_dilations; k++)
    {
      float *other = h == q ? p : q;

      run_layer (ctx, layer++, h, width >> d, height >> d, other, raw, col,
                 reference);
      h = other;
    }

  /* decoder */
  for (int i = d; i >= 1; i--)
    {
      float *other = h == q ? p : q;
      float *cat = ws + plan.cat[i - 1];
      int    w = width >> (i - 1), hh = height >> (i - 1);

      if (sp == NULL || sp->b[i - 1].full)
        {
          restore_ops_upsample2x (h, c[i], hh / 2, w / 2, other);
          run_layer (ctx, layer++, other, w, hh, cat, raw, col, reference);
        }
      else
        {
          /* reads h through the upsampling, at B_{i-1} dilated; with
           * the context's poison switch, the pixels it does not compute are NaN
           * (the whole workspace is, but the buffers are reused) */
          if (poison)
            fill_nan (cat, (gsize) c[i - 1] * w * hh);
          run_layer_spans (ctx, layer++, h, w, hh, 1, cat, col,
                           &sp->b[i - 1]);
        }
      if (sp == NULL || sp->a[i - 1].full)
        {
          run_layer (ctx, layer++, cat, w, hh, h, raw, col, reference);
        }
      else
        {
          if (poison)
            fill_nan (h, (gsize) c[i - 1] * w * hh);
          run_layer_spans (ctx, layer++, cat, w, hh, 0, h, col,
                           &sp->a[i - 1]);
        }
    }

  if (sp != NULL && ! sp->a[0].full)
    {
      const RestoreSpan *s = ctx->spans + sp->a[0].first;

      /* unneeded pixels: the input's own (finite, never used) */
      memcpy (output, x, 3 * plane0 * sizeof (float));
      run_layer_spans (ctx, layer++, h, width, height, 0, output, col,
                       &sp->a[0]);
      g_assert (layer == model->layers + model->n_layers);
      if (model->residual)
        for (gsize k = 0; k < sp->a[0].n; k++)
          for (int ch = 0; ch < 3; ch++)
            {
              gsize o = ch * plane0 + (gsize) s[k].y * width;

              for (int xx = s[k].x0; xx < s[k].x1; xx++)
                output[o + xx] += input[o + xx];
            }
      return TRUE;
    }

  run_layer (ctx, layer++, h, width, height, output, raw, col, reference);
  g_assert (layer == model->layers + model->n_layers);

  if (model->residual)
    for (gsize i = 0; i < 3 * plane0; i++)
      output[i] += input[i];
  if (model->sigmoid)
    for (gsize i = 0; i < (gsize) model->out_channels * plane0; i++)
      output[i] = 1.0f / (1.0f + expf (-output[i]));
  return TRUE;
}

/**
 * restore_model_forward:
 * See restore-unet.h.
 */
gboolean
restore_model_forward (const RestoreModel  *model,
                        RestoreContext      *ctx,
                        const float         *input,
                        float               *output,
                        int                  width,
                        int                  height,
                        GError             **error)
{
  return forward (model, ctx, input, output, width, height, FALSE, FALSE, error);
}

/**
 * restore_model_forward_masked:
 * See restore-unet.h.
 */
gboolean
restore_model_forward_masked (const RestoreModel  *model,
                               RestoreContext      *ctx,
                               const float         *input,
                               float               *output,
                               int                  width,
                               int                  height,
                               GError             **error)
{
  return forward (model, ctx, input, output, width, height, FALSE, TRUE, error);
}

/* dst[c] (+)= src[c] mirrored left-right (@fx) and/or upside down (@fy),
 * for @planes planes of @width x @height. */
static void
mirror_planes (const float *src,
               float       *dst,
               int          planes,
               int          width,
               int          height,
               gboolean     fx,
               gboolean     fy,
               gboolean     add)
{
  for (int c = 0; c < planes; c++)
    for (int y = 0; y < height; y++)
      {
        const float *s = src + ((gsize) c * height + (fy ? height - 1 - y : y)) * width;
        float       *d = dst + ((gsize) c * height + y) * width;

        if (fx && add)
          for (int x = 0; x < width; x++)
            d[x] += s[width - 1 - x];
        else if (fx)
          for (int x = 0; x < width; x++)
            d[x] = s[width - 1 - x];
        else if (add)
          for (int x = 0; x < width; x++)
            d[x] += s[x];
        else
          memcpy (d, s, sizeof (float) * width);
      }
}

/**
 * restore_model_forward_flipped:
 * See restore-unet.h.
 */
gboolean
restore_model_forward_flipped (const RestoreModel  *model,
                                RestoreContext      *ctx,
                                const float         *input,
                                float               *output,
                                int                  width,
                                int                  height,
                                int                  n_flips,
                                gboolean             masked,
                                GError             **error)
{
  gsize    plane = (gsize) width * height;
  float   *in, *out;
  gboolean ok;

  g_return_val_if_fail (model != NULL && ctx != NULL && input != NULL &&
                        output != NULL, FALSE);
  g_return_val_if_fail (n_flips == 1 || n_flips == 2 || n_flips == 4, FALSE);

  ok = forward (model, ctx, input, output, width, height, FALSE, masked, error);
  if (! ok || n_flips == 1)
    return ok;

  in = restore_ops_alloc_floats ((gsize) model->in_channels * plane);
  out = restore_ops_alloc_floats ((gsize) model->out_channels * plane);
  if (in == NULL || out == NULL)
    {
      free (in);
      free (out);
      g_set_error (error, RESTORE_MODEL_ERROR, RESTORE_MODEL_ERROR_IO,
                   "cannot allocate the mirrored tile (%d x %d)", width, height);
      return FALSE;
    }
  /* 1: left-right; 2: upside down; 3: both */
  for (int f = 1; f < n_flips && ok; f++)
    {
      gboolean fx = (f & 1) != 0, fy = (f & 2) != 0;

      mirror_planes (input, in, model->in_channels, width, height, fx, fy, FALSE);
      ok = forward (model, ctx, in, out, width, height, FALSE, masked, error);
      if (ok)
        mirror_planes (out, output, model->out_channels, width, height, fx, fy, TRUE);
    }
  if (ok)
    for (gsize i = 0; i < (gsize) model->out_channels * plane; i++)
      output[i] /= (float) n_flips;
  free (in);
  free (out);
  return ok;
}

/**
 * restore_model_forward_reference:
 * See restore-unet.h; uses restore_ops_conv2d_reference().
 */
gboolean
restore_model_forward_reference (const RestoreModel  *model,
                                  RestoreContext      *ctx,
                                  const float         *input,
                                  float               *output,
                                  int                  width,
                                  int                  height,
                                  GError             **error)
{
  return forward (model, ctx, input, output, width, height, TRUE, FALSE, error);
}
