/* gimp-restore: tile planning over the mask (see restore-tile.h for the
 * scheme and its memory factor). */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "restore-ops.h"
#include "restore-engine.h"
#include "restore-tile.h"

#define TILE_BLEND       16    /* r: cores overlap by 2 r pixels */
#define TILE_MIN_STEP    64    /* smallest cell step S */
#define TILE_MAX_SIZE    4096  /* largest window side */

static int
round_up (int value,
          int align)
{
  return (value + align - 1) / align * align;
}

static inline gboolean
view_selects (const RestoreMaskView *view,
              int                    x,
              int                    y)
{
  const RestoreMask *mask = view->mask;
  float              v    = mask->data[(gsize) y * mask->rowstride + x];

  if (!(v > 0.0f))
    return FALSE;
  if (view->owner != NULL)
    {
      gsize ow = (gsize) (view->rect_x1 - view->rect_x0);

      return view->owner[(gsize) (y - view->rect_y0) * ow + (x - view->rect_x0)] == view->id;
    }
  return TRUE;
}

/* Cell boundaries along one dimension of size @size for the box [b0, b1). */
static int *
plan_edges (int  size,
            int  tile,
            int  step,
            int  b0,
            int  b1,
            int *n_cells)
{
  int  len = b1 - b0;
  int  n   = size <= tile ? 1 : (len + step - 1) / step;
  int *edges;
  int  i;

  n = MAX (n, 1);
  edges = g_new (int, n + 1);
  for (i = 0; i <= n; i++)
    edges[i] = b0 + (int) ((gint64) len * i / n);
  *n_cells = n;
  return edges;
}

/* Input window along one dimension for the core [c0, c1): the core plus
 * the halo, both ends on multiples of @align, cut at the image (whose
 * size is first rounded up to @align: that part is padding). */
static void
plan_window (int  size,
             int  align,
             int  halo,
             int  c0,
             int  c1,
             int *pos,
             int *len)
{
  int lo = MAX (c0 - halo, 0) / align * align;
  int hi = MIN (round_up (c1 + halo, align), round_up (size, align));

  *pos = lo;
  *len = hi - lo;
}

/* For each coordinate of the box, the first and last cell whose core
 * holds it. */
static void
plan_cover (const int *edges,
            int        n,
            int        blend,
            int        b0,
            int        b1,
            int       *lo,
            int       *hi)
{
  int i = 0;
  int v;

  for (v = b0; v < b1; v++)
    {
      while (i < n - 1 && v >= edges[i + 1])
        i++;
      lo[v - b0] = (i > 0 && v < edges[i] + blend) ? i - 1 : i;
      hi[v - b0] = (i < n - 1 && v >= edges[i + 1] - blend) ? i + 1 : i;
    }
}

/* A plan without tiles: tile size, halo, alignment and blend radius for
 * an image of @width x @height (the sizing shared by both planners). */
static RestoreTilePlan *
plan_alloc (int width,
            int height,
            int halo,
            int depth,
            int tile_size)
{
  RestoreTilePlan *plan = g_new0 (RestoreTilePlan, 1);
  int              align = 1 << depth;
  int              blend = TILE_BLEND;
  int              t, t_min;

  halo = MAX (halo, 0);
  /* A halo too large for the biggest window is cut down: the tile loses
   * some context rather than the run failing or memory exploding. */
  halo = MIN (halo, (TILE_MAX_SIZE - 2 * blend - 2 * align - MAX (TILE_MIN_STEP, align)) / 2);
  t_min = round_up (2 * halo + 2 * blend + 2 * align + MAX (TILE_MIN_STEP, align), align);
  if (tile_size > 0)
    t = round_up (MIN (tile_size, TILE_MAX_SIZE), align);
  else
    t = round_up (MAX (halo > RESTORE_TILE_WIDE_HALO ? RESTORE_TILE_DEFAULT_SIZE_WIDE
                                                     : RESTORE_TILE_DEFAULT_SIZE,
                       4 * halo + 2 * blend), align);
  t = MIN (MAX (t, t_min), round_up (TILE_MAX_SIZE, align));

  plan->tile_size = t;
  plan->halo = halo;
  plan->align = align;
  plan->blend = blend;
  plan->image_width = width;
  plan->image_height = height;
  return plan;
}

/* The cell step S: aligning both ends of a window may add up to
 * 2 (align - 1). */
static int
plan_step (const RestoreTilePlan *plan)
{
  return plan->tile_size - 2 * plan->halo - 2 * plan->blend - 2 * plan->align;
}

/**
 * restore_tile_plan_new:
 * @view: the mask and the pixels of it to cover
 * @halo: context in pixels a tile needs on each side
 * @depth: the model's depth; window sides are multiples of 2^depth
 * @tile_size: the largest window side, 0 for the default
 * Plans the tiles that cover every selected pixel of @view.  Returns a
 * new plan (n_tiles is 0 when nothing is selected); free it with
 * restore_tile_plan_free().
 */
RestoreTilePlan *
restore_tile_plan_new (const RestoreMaskView *view,
                       int                    halo,
                       int                    depth,
                       int                    tile_size)
{
  const RestoreMask *mask;
  RestoreTilePlan   *plan;
  int                align, blend, t, step;
  int                bx0, by0, bx1, by1;
  int                x, y, i, j, n;
  int               *col_lo, *col_hi, *row_lo, *row_hi;
  int               *cbox;

  g_return_val_if_fail (view != NULL && view->mask != NULL, NULL);
  g_return_val_if_fail (depth >= 0 && depth <= 10, NULL);
  mask = view->mask;
  g_return_val_if_fail (view->rect_x0 >= 0 && view->rect_y0 >= 0
                        && view->rect_x1 <= mask->width
                        && view->rect_y1 <= mask->height, NULL);

  plan = plan_alloc (mask->width, mask->height, halo, depth, tile_size);
  align = plan->align;
  blend = plan->blend;
  t = plan->tile_size;
  halo = plan->halo;
  step = plan_step (plan);

  /* Bounding box of the selected pixels. */
  bx0 = G_MAXINT, by0 = G_MAXINT, bx1 = -1, by1 = -1;
  for (y = view->rect_y0; y < view->rect_y1; y++)
    for (x = view->rect_x0; x < view->rect_x1; x++)
      if (view_selects (view, x, y))
        {
          bx0 = MIN (bx0, x);
          bx1 = MAX (bx1, x + 1);
          by0 = MIN (by0, y);
          by1 = y + 1;
        }
  if (bx1 < 0)
    return plan;
  plan->box_x0 = bx0, plan->box_y0 = by0, plan->box_x1 = bx1, plan->box_y1 = by1;

  plan->col_edges = plan_edges (mask->width, t, step, bx0, bx1, &plan->n_cols);
  plan->row_edges = plan_edges (mask->height, t, step, by0, by1, &plan->n_rows);

  /* Mark the cells whose core holds a selected pixel. */
  col_lo = g_new (int, bx1 - bx0);
  col_hi = g_new (int, bx1 - bx0);
  row_lo = g_new (int, by1 - by0);
  row_hi = g_new (int, by1 - by0);
  plan_cover (plan->col_edges, plan->n_cols, blend, bx0, bx1, col_lo, col_hi);
  plan_cover (plan->row_edges, plan->n_rows, blend, by0, by1, row_lo, row_hi);
  /* Per cell, the bounding box of the selected pixels in its core
   * (x0, y0, x1, y1; x1 == 0 while none). */
  cbox = g_new0 (int, 4 * (gsize) plan->n_cols * plan->n_rows);
  for (y = by0; y < by1; y++)
    {
      int r0 = row_lo[y - by0], r1 = row_hi[y - by0];

      for (x = bx0; x < bx1; x++)
        if (view_selects (view, x, y))
          {
            int c0 = col_lo[x - bx0], c1 = col_hi[x - bx0];

            for (j = r0; j <= r1; j++)
              for (i = c0; i <= c1; i++)
                {
                  int *b = cbox + 4 * ((gsize) j * plan->n_cols + i);

                  if (b[2] == 0)
                    {
                      b[0] = x, b[1] = y, b[2] = x + 1, b[3] = y + 1;
                      continue;
                    }
                  b[0] = MIN (b[0], x);
                  b[2] = MAX (b[2], x + 1);
                  b[3] = y + 1;
                }
          }
    }

  n = 0;
  for (i = 0; i < plan->n_cols * plan->n_rows; i++)
    n += cbox[4 * i + 2] > 0;
  plan->tiles = g_new0 (RestoreTile, MAX (n, 1));
  for (j = 0; j < plan->n_rows; j++)
    for (i = 0; i < plan->n_cols; i++)
      {
        const int   *b = cbox + 4 * ((gsize) j * plan->n_cols + i);
        RestoreTile *tile;

        if (b[2] == 0)
          continue;
        /* The core shrinks to the selected pixels in it: only they are
         * written, and the weights still come from the cell edges. */
        tile = &plan->tiles[plan->n_tiles++];
        tile->col = i;
        tile->row = j;
        tile->x0 = b[0];
        tile->y0 = b[1];
        tile->x1 = b[2];
        tile->y1 = b[3];
        plan_window (mask->width, align, halo, tile->x0, tile->x1,
                     &tile->x, &tile->width);
        plan_window (mask->height, align, halo, tile->y0, tile->y1,
                     &tile->y, &tile->height);
      }

  g_free (cbox);
  g_free (col_lo);
  g_free (col_hi);
  g_free (row_lo);
  g_free (row_hi);
  return plan;
}

/**
 * restore_tile_plan_new_full:
 * @width, @height: the image
 * @halo, @depth, @tile_size: as for restore_tile_plan_new()
 * Plans tiles that cover every pixel of the image (detection runs the
 * network everywhere): the same grid, windows and blend weights as a
 * plan over a mask that selects every pixel, without reading one.
 * Returns a new plan; free it with restore_tile_plan_free().
 */
RestoreTilePlan *
restore_tile_plan_new_full (int width,
                            int height,
                            int halo,
                            int depth,
                            int tile_size)
{
  RestoreTilePlan *plan;
  int              step, i, j;

  g_return_val_if_fail (width > 0 && height > 0, NULL);
  g_return_val_if_fail (depth >= 0 && depth <= 10, NULL);

  plan = plan_alloc (width, height, halo, depth, tile_size);
  step = plan_step (plan);
  plan->box_x0 = 0, plan->box_y0 = 0, plan->box_x1 = width, plan->box_y1 = height;
  plan->col_edges = plan_edges (width, plan->tile_size, step, 0, width, &plan->n_cols);
  plan->row_edges = plan_edges (height, plan->tile_size, step, 0, height, &plan->n_rows);
  plan->tiles = g_new0 (RestoreTile, (gsize) plan->n_cols * plan->n_rows);
  for (j = 0; j < plan->n_rows; j++)
    for (i = 0; i < plan->n_cols; i++)
      {
        RestoreTile *tile = &plan->tiles[plan->n_tiles++];

        /* the cell's core: the cell grown by r across inner boundaries */
        tile->col = i;
        tile->row = j;
        tile->x0 = plan->col_edges[i] - (i > 0 ? plan->blend : 0);
        tile->x1 = plan->col_edges[i + 1] + (i < plan->n_cols - 1 ? plan->blend : 0);
        tile->y0 = plan->row_edges[j] - (j > 0 ? plan->blend : 0);
        tile->y1 = plan->row_edges[j + 1] + (j < plan->n_rows - 1 ? plan->blend : 0);
        plan_window (width, plan->align, plan->halo, tile->x0, tile->x1,
                     &tile->x, &tile->width);
        plan_window (height, plan->align, plan->halo, tile->y0, tile->y1,
                     &tile->y, &tile->height);
      }
  return plan;
}

/**
 * restore_tile_plan_absorb:
 * @plan: a plan of the model @id over its pixels of @owner
 * @owner: the routing map over [@x0, @x0 + @width) x [@y0, ...), one model
 *     index per pixel (RESTORE_TILE_NO_OWNER where the mask is 0)
 * @absorbs: per model index of @owner, TRUE for the models whose pixels
 *     @id may take
 * Gives @id the pixels of the models in @absorbs that the plan's tiles
 * compute anyway: those inside the core of every tile of the plan whose
 * cell covers them (one to four cells where cores overlap), so that their
 * blend weights still sum to one and the plan itself does not change.
 */
void
restore_tile_plan_absorb (const RestoreTilePlan *plan,
                          guint8                *owner,
                          int                    x0,
                          int                    y0,
                          int                    width,
                          const gboolean        *absorbs,
                          guint8                 id)
{
  int *at;
  int  k;

  if (plan->n_tiles == 0)
    return;
  /* the tile of each cell, or -1 */
  at = g_new (int, (gsize) plan->n_cols * plan->n_rows);
  for (k = 0; k < plan->n_cols * plan->n_rows; k++)
    at[k] = -1;
  for (k = 0; k < plan->n_tiles; k++)
    at[plan->tiles[k].row * plan->n_cols + plan->tiles[k].col] = k;

  for (k = 0; k < plan->n_tiles; k++)
    {
      const RestoreTile *t = plan->tiles + k;

      for (int y = t->y0; y < t->y1; y++)
        {
          int     r0, r1;
          guint8 *row = owner + (gsize) (y - y0) * width - x0;

          plan_cover (plan->row_edges, plan->n_rows, plan->blend, y, y + 1, &r0, &r1);
          for (int x = t->x0; x < t->x1; x++)
            {
              gboolean inside = TRUE;
              int      c0, c1;

              if (row[x] == RESTORE_TILE_NO_OWNER || row[x] == id || !absorbs[row[x]])
                continue;
              plan_cover (plan->col_edges, plan->n_cols, plan->blend, x, x + 1, &c0, &c1);
              for (int j = r0; j <= r1 && inside; j++)
                for (int i = c0; i <= c1 && inside; i++)
                  {
                    int u = at[j * plan->n_cols + i];

                    inside = u >= 0 && x >= plan->tiles[u].x0 && x < plan->tiles[u].x1
                             && y >= plan->tiles[u].y0 && y < plan->tiles[u].y1;
                  }
              if (inside)
                row[x] = id;
            }
        }
    }
  g_free (at);
}

/**
 * restore_tile_plan_free:
 * @plan: (nullable): a plan from restore_tile_plan_new()
 */
void
restore_tile_plan_free (RestoreTilePlan *plan)
{
  if (plan == NULL)
    return;
  g_free (plan->col_edges);
  g_free (plan->row_edges);
  g_free (plan->tiles);
  g_free (plan);
}

static double
ramp (double t)
{
  if (t <= 0.0)
    return 0.0;
  if (t >= 1.0)
    return 1.0;
  return 0.5 - 0.5 * cos (G_PI * t);
}

static void
weights_1d (const int *edges,
            int        n,
            int        blend,
            int        cell,
            int        v0,
            int        v1,
            float     *w)
{
  int v;

  for (v = v0; v < v1; v++)
    {
      double f = 1.0;

      if (cell > 0)
        f *= ramp ((v + 0.5 - (edges[cell] - blend)) / (2.0 * blend));
      if (cell < n - 1)
        f *= 1.0 - ramp ((v + 0.5 - (edges[cell + 1] - blend)) / (2.0 * blend));
      w[v - v0] = (float) f;
    }
}

/**
 * restore_tile_get_weights:
 * @wx: (out): [tile->x1 - tile->x0] blend weights along x
 * @wy: (out): [tile->y1 - tile->y0] blend weights along y
 * The weight of the tile's output at core pixel (x, y) is
 * wx[x - x0] * wy[y - y0]; over all tiles of a plan they sum to one at
 * every selected pixel.
 */
void
restore_tile_get_weights (const RestoreTilePlan *plan,
                          const RestoreTile     *tile,
                          float                 *wx,
                          float                 *wy)
{
  weights_1d (plan->col_edges, plan->n_cols, plan->blend, tile->col,
              tile->x0, tile->x1, wx);
  weights_1d (plan->row_edges, plan->n_rows, plan->blend, tile->row,
              tile->y0, tile->y1, wy);
}

/* The network input of a tile: 3 channels of (pixel * scale + offset),
 * times (1 - m) and followed by m when @mask is not NULL. */
static void
fill_input (const RestoreTile  *tile,
            const RestoreImage *src,
            const RestoreMask  *mask,
            float               scale,
            float               offset,
            float              *in)
{
  gsize plane = (gsize) tile->width * tile->height;
  int   gray  = src->channels < 3;
  int   xx, yy;

  for (yy = 0; yy < tile->height; yy++)
    {
      int          sy  = CLAMP (tile->y + yy, 0, src->height - 1);
      const float *row = src->data + (gsize) sy * src->rowstride;
      float       *o   = in + (gsize) yy * tile->width;

      for (xx = 0; xx < tile->width; xx++)
        {
          int          sx = CLAMP (tile->x + xx, 0, src->width - 1);
          const float *p  = row + (gsize) sx * src->channels;
          float        m  = mask != NULL ? restore_mask_value (mask, sx, sy) : 0.0f;
          float        keep = 1.0f - m;
          int          c;

          for (c = 0; c < 3; c++)
            {
              float v = p[gray ? 0 : c];

              v = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
              o[c * plane + xx] = (v * scale + offset) * keep;
            }
          if (mask != NULL)
            o[3 * plane + xx] = m;
        }
    }
}

/**
 * restore_tile_fill_input:
 * @in: (out): [4, tile->height, tile->width] network input
 * Builds the network input of a tile as restore-unet.h specifies:
 * channels 0..2 = (pixel * @scale + @offset) * (1 - m), channel 3 = m.
 * Gray is replicated to three channels, alpha is not used, pixels are
 * clamped to 0..1 and the window's part outside the image replicates the
 * nearest edge pixel.
 */
void
restore_tile_fill_input (const RestoreTile  *tile,
                         const RestoreImage *src,
                         const RestoreMask  *mask,
                         float               scale,
                         float               offset,
                         float              *in)
{
  g_return_if_fail (mask != NULL);
  fill_input (tile, src, mask, scale, offset, in);
}

/**
 * restore_tile_fill_rgb:
 * @in: (out): [3, tile->height, tile->width] network input
 * A detector's input: channels 0..2 = pixel * @scale + @offset, gray
 * replicated, alpha unused, pixels clamped to 0..1, the window's part
 * outside the image replicating the nearest edge pixel (as
 * restore_tile_fill_input() without a mask).
 */
void
restore_tile_fill_rgb (const RestoreTile  *tile,
                       const RestoreImage *src,
                       float               scale,
                       float               offset,
                       float              *in)
{
  fill_input (tile, src, NULL, scale, offset, in);
}

/**
 * restore_tile_plan_run:
 * @func: runs the network on one tile
 * @sink: receives each tile's output and blend weights
 * Runs @plan tile by tile, in order: fills the input from @src and
 * @mask, calls @func, then @sink.  Returns FALSE with @error set as soon
 * as @func or @sink fails.
 */
gboolean
restore_tile_plan_run (const RestoreTilePlan *plan,
                       const RestoreImage    *src,
                       const RestoreMask     *mask,
                       float                  scale,
                       float                  offset,
                       RestoreTileFunc        func,
                       gpointer               func_data,
                       RestoreTileSink        sink,
                       gpointer               sink_data,
                       GError               **error)
{
  gsize     max_area = 0;
  int       max_core_w = 0, max_core_h = 0;
  float    *in, *out, *wx, *wy;
  gboolean  ok = TRUE;
  int       k;

  g_return_val_if_fail (plan != NULL && src != NULL && mask != NULL, FALSE);
  g_return_val_if_fail (func != NULL && sink != NULL, FALSE);

  for (k = 0; k < plan->n_tiles; k++)
    {
      const RestoreTile *tile = &plan->tiles[k];

      max_area = MAX (max_area, (gsize) tile->width * tile->height);
      max_core_w = MAX (max_core_w, tile->x1 - tile->x0);
      max_core_h = MAX (max_core_h, tile->y1 - tile->y0);
    }
  if (plan->n_tiles == 0)
    return TRUE;

  /* huge pages: a 1024 tile is 28 MiB touched at once */
  in = restore_ops_alloc_floats (4 * max_area);
  out = restore_ops_alloc_floats (3 * max_area);
  if (in == NULL || out == NULL)
    {
      free (in);
      free (out);
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "cannot allocate %" G_GSIZE_FORMAT " MB for the tiles",
                   28 * max_area / (1024 * 1024));
      return FALSE;
    }
  wx = g_new (float, max_core_w);
  wy = g_new (float, max_core_h);

  for (k = 0; k < plan->n_tiles && ok; k++)
    {
      const RestoreTile *tile = &plan->tiles[k];

      restore_tile_fill_input (tile, src, mask, scale, offset, in);
      ok = func (in, out, tile->width, tile->height, func_data, error);
      if (ok)
        {
          restore_tile_get_weights (plan, tile, wx, wy);
          ok = sink (plan, tile, in, out, wx, wy, sink_data, error);
        }
    }

  free (in);
  free (out);
  g_free (wx);
  g_free (wy);
  return ok;
}

/* Squared Euclidean distance transform of one line (Felzenszwalb and
 * Huttenlocher's lower envelope of parabolas): @f in, @d out, both
 * [n] with stride @stride; @v [n] and @z [n + 1] are scratch. */
static void
edt_1d (const float *f,
        int          n,
        gsize        stride,
        float       *d,
        int         *v,
        double      *z)
{
  int k = 0, q;

  v[0] = 0;
  z[0] = -G_MAXDOUBLE;
  z[1] = G_MAXDOUBLE;
  for (q = 1; q < n; q++)
    {
      double fq = (double) f[q * stride] + (double) q * q;
      double s;

      for (;;)
        {
          int p = v[k];

          s = (fq - ((double) f[p * stride] + (double) p * p)) / (2.0 * (q - p));
          if (s > z[k])
            break;
          k--;   /* z[0] is -inf, so k stays >= 0 */
        }
      k++;
      v[k] = q;
      z[k] = s;
      z[k + 1] = G_MAXDOUBLE;
    }
  k = 0;
  for (q = 0; q < n; q++)
    {
      while (z[k + 1] < q)
        k++;
      d[q] = (float) ((double) (q - v[k]) * (q - v[k]) + f[v[k] * stride]);
    }
}

static int
uf_find (gint32 *parent,
         gint32  i)
{
  while (parent[i] != i)
    {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
  return i;
}

static void
uf_union (gint32 *parent,
          gint32  a,
          gint32  b)
{
  a = uf_find (parent, a);
  b = uf_find (parent, b);
  if (a < b)
    parent[b] = a;
  else if (b < a)
    parent[a] = b;
}

/**
 * restore_tile_regions_new:
 * @x0, @y0, @x1, @y1: the rectangle of @mask to look at
 * The 8-connected regions of pixels with mask > 0 in the rectangle, as
 * runs of pixels row by row joined by union-find (a run joins the runs of
 * the row above that overlap it or touch it diagonally).  Memory: 12
 * bytes per run plus 4 per row.  Free with restore_tile_regions_free().
 */
RestoreRegions *
restore_tile_regions_new (const RestoreMask *mask,
                          int                x0,
                          int                y0,
                          int                x1,
                          int                y1)
{
  RestoreRegions *regions;
  GArray         *run_array;
  int             bh = y1 - y0, x, y, r, prev_a = 0, prev_b = 0;

  g_return_val_if_fail (mask != NULL, NULL);
  g_return_val_if_fail (x0 >= 0 && y0 >= 0 && x1 <= mask->width && y1 <= mask->height, NULL);
  g_return_val_if_fail (x1 > x0 && y1 > y0, NULL);

  regions = g_new0 (RestoreRegions, 1);
  regions->y0 = y0;
  /* Runs of masked pixels, row by row. */
  run_array = g_array_new (FALSE, FALSE, sizeof (RestoreSpan));
  regions->row_first = g_new (int, bh + 1);
  for (y = y0; y < y1; y++)
    {
      const float *row = mask->data + (gsize) y * mask->rowstride;

      regions->row_first[y - y0] = (int) run_array->len;
      for (x = x0; x < x1; x++)
        if (row[x] > 0.0f)
          {
            RestoreSpan run = { y, x, x + 1 };

            while (run.x1 < x1 && row[run.x1] > 0.0f)
              run.x1++;
            g_array_append_val (run_array, run);
            x = run.x1;
          }
    }
  regions->row_first[bh] = (int) run_array->len;
  regions->n_runs = (int) run_array->len;
  regions->runs = (RestoreSpan *) g_array_free (run_array, FALSE);

  /* 8-connected regions: a run joins the runs of the row above that
   * overlap it or touch it diagonally. */
  regions->parent = g_new (gint32, MAX (regions->n_runs, 1));
  for (y = 0; y < bh; y++)
    {
      int a = regions->row_first[y], b = regions->row_first[y + 1], i = prev_a;

      for (r = a; r < b; r++)
        {
          int j;

          regions->parent[r] = r;
          while (i < prev_b && regions->runs[i].x1 < regions->runs[r].x0)
            i++;
          for (j = i; j < prev_b && regions->runs[j].x0 <= regions->runs[r].x1; j++)
            uf_union (regions->parent, r, j);
        }
      prev_a = a;
      prev_b = b;
    }
  return regions;
}

/**
 * restore_tile_regions_root:
 * Returns the region of run @run: the smallest run index in it.
 */
gint32
restore_tile_regions_root (RestoreRegions *regions,
                           gint32          run)
{
  return uf_find (regions->parent, run);
}

/** restore_tile_regions_free: @regions: (nullable) */
void
restore_tile_regions_free (RestoreRegions *regions)
{
  if (regions == NULL)
    return;
  g_free (regions->runs);
  g_free (regions->row_first);
  g_free (regions->parent);
  g_free (regions);
}

/**
 * restore_tile_distance2:
 * @f: [height, width] floats, rows packed: 0 at the source pixels, a
 *     large value (1e20) elsewhere; replaced by each pixel's squared
 *     Euclidean distance to the nearest source pixel (the large value
 *     stays where there is none)
 * Exact two-pass transform (Felzenszwalb-Huttenlocher per column, then
 * per row).  Scratch: one line of floats, ints and doubles.  Returns
 * FALSE, with @f undefined, when @cancel is set meanwhile.
 */
gboolean
restore_tile_distance2 (float      *f,
                        int         width,
                        int         height,
                        const gint *cancel)
{
  int     n = MAX (width, height);
  float  *line = g_new (float, n);
  int    *v = g_new (int, n);
  double *z = g_new (double, n + 1);
  int     x, y;
  gboolean ok = TRUE;

  for (x = 0; x < width && ok; x++)
    {
      if (x % 64 == 0 && cancel != NULL && g_atomic_int_get (cancel))
        ok = FALSE;
      edt_1d (f + x, height, (gsize) width, line, v, z);
      for (y = 0; y < height; y++)
        f[(gsize) y * width + x] = line[y];
    }
  for (y = 0; y < height && ok; y++)
    {
      if (y % 64 == 0 && cancel != NULL && g_atomic_int_get (cancel))
        ok = FALSE;
      edt_1d (f + (gsize) y * width, width, 1, line, v, z);
      memcpy (f + (gsize) y * width, line, width * sizeof (float));
    }
  g_free (line);
  g_free (v);
  g_free (z);
  return ok;
}

/**
 * restore_tile_choose:
 * @max_radius: [n_models] each model's restore.max_radius, 0 if unset
 * @half_width: a region's half-width in pixels
 * Returns the index of the model with the smallest max_radius that is at
 * least @half_width, else the first model without max_radius (the general
 * one), else the model with the largest max_radius.
 */
int
restore_tile_choose (const double *max_radius,
                     int           n_models,
                     double        half_width)
{
  int best = -1, general = -1, largest = 0, i;

  for (i = 0; i < n_models; i++)
    {
      if (max_radius[i] > 0.0)
        {
          if (max_radius[i] >= half_width
              && (best < 0 || max_radius[i] < max_radius[best]))
            best = i;
        }
      else if (general < 0)
        general = i;
      if (max_radius[i] > max_radius[largest])
        largest = i;
    }
  if (best >= 0)
    return best;
  if (general >= 0)
    return general;
  return largest;
}

typedef RestoreSpan Run;

#define ROUTE_BLOCK   256
#define ROUTE_MAX_CAP 1024

/* Largest squared distance (capped at @cap^2) to an unmasked pixel over
 * the pixels of each region, kept at the region's root run.  Blocks of
 * ROUTE_BLOCK x ROUTE_BLOCK pixels that hold a run are transformed with a
 * border of @cap pixels: a distance up to @cap is found within the
 * border, a longer one comes out longer than @cap either way. */
static gboolean
route_distances (const RestoreMask *mask,
                 int                x0,
                 int                x1,
                 const Run         *runs,
                 const int         *row_first,
                 int                y0,
                 int                y1,
                 gint32            *parent,
                 float             *region_max,
                 int                cap,
                 const gint        *cancel)
{
  int      side = ROUTE_BLOCK + 2 * cap;
  int      n_cols = (x1 - x0 + ROUTE_BLOCK - 1) / ROUTE_BLOCK;
  float    cap2 = (float) cap * cap;
  float   *f = g_new (float, (gsize) side * side);
  float   *line = g_new (float, side);
  int     *v = g_new (int, side);
  double  *z = g_new (double, side + 1);
  guint8  *active = g_new (guint8, n_cols);
  gboolean ok = TRUE;
  int      band, col, r;

  for (band = y0; band < y1 && ok; band += ROUTE_BLOCK)
    {
      int band_end = MIN (band + ROUTE_BLOCK, y1);
      int ra = row_first[band - y0], rb = row_first[band_end - y0];

      if (ra == rb)
        continue;
      memset (active, 0, n_cols);
      for (r = ra; r < rb; r++)
        {
          int c;

          for (c = (runs[r].x0 - x0) / ROUTE_BLOCK; c <= (runs[r].x1 - 1 - x0) / ROUTE_BLOCK; c++)
            active[c] = 1;
        }
      for (col = 0; col < n_cols && ok; col++)
        {
          int bx = x0 + col * ROUTE_BLOCK, bx_end = MIN (bx + ROUTE_BLOCK, x1);
          int ex = bx - cap, ey = band - cap;
          int ew = bx_end - bx + 2 * cap, eh = band_end - band + 2 * cap;
          int x, y;

          if (!active[col])
            continue;
          if (cancel != NULL && g_atomic_int_get (cancel))
            {
              ok = FALSE;
              break;
            }
          /* Outside the image counts as unmasked, as for the planner. */
          for (y = 0; y < eh; y++)
            for (x = 0; x < ew; x++)
              {
                int sx = x + ex, sy = y + ey;

                f[(gsize) y * ew + x] =
                  (sx >= 0 && sy >= 0 && sx < mask->width && sy < mask->height
                   && mask->data[(gsize) sy * mask->rowstride + sx] > 0.0f)
                    ? 1e20f : 0.0f;
              }
          for (x = 0; x < ew; x++)
            {
              edt_1d (f + x, eh, (gsize) ew, line, v, z);
              for (y = 0; y < eh; y++)
                f[(gsize) y * ew + x] = line[y];
            }
          for (y = cap; y < eh - cap; y++)
            {
              edt_1d (f + (gsize) y * ew, ew, 1, line, v, z);
              memcpy (f + (gsize) y * ew, line, ew * sizeof (float));
            }
          for (r = ra; r < rb; r++)
            {
              int    lo = MAX (runs[r].x0, bx), hi = MIN (runs[r].x1, bx_end);
              gint32 root;

              if (lo >= hi)
                continue;
              root = uf_find (parent, r);
              for (x = lo; x < hi; x++)
                {
                  float d = f[(gsize) (runs[r].y - ey) * ew + (x - ex)];

                  region_max[root] = MAX (region_max[root], MIN (d, cap2));
                }
            }
        }
    }
  g_free (f);
  g_free (line);
  g_free (v);
  g_free (z);
  g_free (active);
  return ok;
}

/**
 * restore_tile_route:
 * @x0, @y0, @x1, @y1: a rectangle holding every pixel with mask > 0
 * @max_radius: [n_models] each model's restore.max_radius, 0 if unset
 * @n_models: 1..254
 * The automatic choice: finds the 8-connected regions of masked pixels
 * (mask > 0) as runs joined by union-find, measures each region's
 * half-width as its largest exact Euclidean distance to an unmasked pixel
 * minus 0.5, and routes it with restore_tile_choose().  Distances only
 * matter up to the largest max_radius, so they are computed capped, in
 * blocks around the runs (Felzenszwalb-Huttenlocher per block).  Returns
 * a new [y1 - y0, x1 - x0] map of model indices, RESTORE_TILE_NO_OWNER
 * where the mask is 0; free with g_free().  Memory: that map (1 byte per
 * pixel of the rectangle), 24 bytes per run and one block of floats.
 * Returns NULL when @cancel is set meanwhile.
 */
guint8 *
restore_tile_route (const RestoreMask *mask,
                    int                x0,
                    int                y0,
                    int                x1,
                    int                y1,
                    const double      *max_radius,
                    int                n_models,
                    const gint        *cancel)
{
  int             bw = x1 - x0, bh = y1 - y0;
  RestoreRegions *regions;
  Run            *runs;
  int            *row_first;
  int             n_runs, r;
  double  rmax = 0.0;
  gint32 *parent;
  float  *region_max;
  guint8 *region_owner, *owner;

  g_return_val_if_fail (mask != NULL && max_radius != NULL, NULL);
  g_return_val_if_fail (n_models >= 1 && n_models < RESTORE_TILE_NO_OWNER, NULL);
  g_return_val_if_fail (bw > 0 && bh > 0, NULL);
  g_return_val_if_fail (x0 >= 0 && y0 >= 0 && x1 <= mask->width && y1 <= mask->height, NULL);

  if (cancel != NULL && g_atomic_int_get (cancel))
    return NULL;

  regions = restore_tile_regions_new (mask, x0, y0, x1, y1);
  n_runs = regions->n_runs;
  runs = regions->runs;
  row_first = regions->row_first;
  parent = regions->parent;

  region_max = g_new0 (float, MAX (n_runs, 1));
  for (r = 0; r < n_models; r++)
    if (isfinite (max_radius[r]))
      rmax = MAX (rmax, max_radius[r]);
  if (rmax > 0.0
      && !route_distances (mask, x0, x1, runs, row_first, y0, y1, parent,
                           region_max, (int) MIN (ceil (rmax + 0.5) + 1.0, ROUTE_MAX_CAP),
                           cancel))
    {
      restore_tile_regions_free (regions);
      g_free (region_max);
      return NULL;
    }

  region_owner = g_new (guint8, MAX (n_runs, 1));
  owner = g_new (guint8, (gsize) bw * bh);
  memset (owner, RESTORE_TILE_NO_OWNER, (gsize) bw * bh);
  for (r = 0; r < n_runs; r++)
    {
      gint32 root = uf_find (parent, r);

      if (root == r)
        region_owner[r] = (guint8) restore_tile_choose (max_radius, n_models,
                                                        sqrt (region_max[r]) - 0.5);
      /* Roots have the smallest index of their region: already chosen. */
      memset (owner + (gsize) (runs[r].y - y0) * bw + (runs[r].x0 - x0),
              region_owner[root], runs[r].x1 - runs[r].x0);
    }

  restore_tile_regions_free (regions);
  g_free (region_max);
  g_free (region_owner);
  return owner;
}

/**
 * restore_mask_box:
 * See restore-tile.h.
 */
gboolean
restore_mask_box (const RestoreMask *mask,
                  int               *x0,
                  int               *y0,
                  int               *x1,
                  int               *y1)
{
  int bx0 = G_MAXINT, by0 = G_MAXINT, bx1 = -1, by1 = -1;

  for (int y = 0; y < mask->height; y++)
    {
      const float *row = mask->data + (gsize) y * mask->rowstride;

      for (int x = 0; x < mask->width; x++)
        if (row[x] > 0.0f)
          {
            bx0 = MIN (bx0, x);
            bx1 = MAX (bx1, x + 1);
            by0 = MIN (by0, y);
            by1 = y + 1;
          }
    }
  if (bx1 < 0)
    return FALSE;
  *x0 = bx0;
  *y0 = by0;
  *x1 = bx1;
  *y1 = by1;
  return TRUE;
}
