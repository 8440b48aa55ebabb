/* gimp-restore: tile planning over the mask (private to core/).
 *
 * The tiling scheme.  The bounding box of the masked pixels (mask > 0) is
 * cut into a grid of cells: along a dimension that fits in one tile
 * (image size <= tile size) there is a single cell spanning the box,
 * otherwise ceil (box / S) cells of nearly equal size, where the step
 * S = T - 2 halo - 2 r - 2 align (T the tile size, r the blend radius).  Each
 * cell grows by r pixels across every boundary it shares with a
 * neighbouring cell: its core.  Across a shared boundary the two cores
 * overlap by 2 r pixels and blend with a
 * raised-cosine ramp, w = 0.5 - 0.5 cos (pi t), whose two halves sum to
 * exactly one; the 2-D weight is the product of the two 1-D ramps, so the
 * weights of all tiles form a partition of unity and no normalising pass
 * is needed.  A cell whose core holds no mask pixel is skipped; every
 * masked pixel still gets total weight one, because any tile with a
 * non-zero weight there has that pixel in its core.  A tile's core then
 * shrinks to the bounding box of the selected pixels in it (the only
 * pixels it writes); its weights still come from the cell edges.
 *
 * A tile's input window is its core plus the model's halo on each side,
 * with both ends on multiples of 2^depth (so the network's stride-2
 * sampling grid is the same in every tile and a tiled run equals a
 * whole-image run), cut at the image edges, where the network's zero
 * padding stands in for the missing context exactly as in a whole-image
 * run.  Small defects get small windows.  Where the image size is not a
 * multiple of 2^depth the last window reaches past it and the missing
 * pixels replicate the edge (pixel and mask alike).
 *
 * Planning is O(pixels of the mask's bounding box) plus one pass over the
 * search rectangle for the box; each masked pixel marks the (at most four)
 * cores that contain it.
 *
 * Memory factor.  Planning keeps one flag per cell.  Running a plan keeps
 * one input tile [4, T, T] and one output tile [3, T, T] of floats, i.e.
 * 28 T^2 bytes (28 MiB for T = 1024), whatever the image size; the caller's
 * sink blends each tile straight into its destination.
 */
#pragma once

#include <math.h>

#include <glib.h>
#include "restore-types.h"

G_BEGIN_DECLS

/* Default window side: large windows waste less on the halo (the share
 * of a window that is context, computed but not used, is about
 * 1 - ((T - 2 halo - 2 r) / T)^2), small ones need less memory; the
 * sizes below were measured on a 12 MP scan with dense scratches
 * (bench/README.md, "How the engine spends its time"). */
#define RESTORE_TILE_DEFAULT_SIZE       1024
/* for models whose halo exceeds RESTORE_TILE_WIDE_HALO (wider networks) */
#define RESTORE_TILE_DEFAULT_SIZE_WIDE  768
#define RESTORE_TILE_WIDE_HALO          64

/* Network on one tile: @in [4, h, w], @out [3, h, w]. */
typedef gboolean (*RestoreTileFunc) (const float *in,
                                     float       *out,
                                     int          w,
                                     int          h,
                                     gpointer     data,
                                     GError     **error);

/* A mask as the planner sees it: @mask, restricted to the pixels whose
 * @owner entry equals @id when @owner is not NULL.  @owner is a
 * [rect_y1 - rect_y0, rect_x1 - rect_x0] map over the search rectangle.
 * Only the search rectangle [rect_x0, rect_x1) x [rect_y0, rect_y1) is
 * looked at. */
typedef struct
{
  const RestoreMask *mask;
  int                rect_x0, rect_y0, rect_x1, rect_y1;
  const guint8      *owner;
  guint8             id;
} RestoreMaskView;

typedef struct
{
  int x, y, width, height;  /* input window; may reach past the image */
  int x0, y0, x1, y1;       /* core [x0, x1) x [y0, y1): the selected
                             * pixels' box within the cell's core */
  int col, row;             /* the cell in the plan's grid */
} RestoreTile;

typedef struct
{
  int          tile_size;      /* T, a multiple of align */
  int          halo;
  int          align;          /* 2^depth */
  int          blend;          /* r: cores overlap by 2 r */
  int          box_x0, box_y0, box_x1, box_y1; /* masked pixels' bounding box */
  int          n_cols, n_rows;
  int         *col_edges;      /* n_cols + 1 cell boundaries in x */
  int         *row_edges;      /* n_rows + 1 cell boundaries in y */
  int          image_width, image_height;
  int          n_tiles;        /* tiles to run, row by row */
  RestoreTile *tiles;
} RestoreTilePlan;

/* Called after each tile with its output; weights @wx [x1 - x0] and
 * @wy [y1 - y0] blend the core.  Returning FALSE (with @error set) stops
 * the run. */
typedef gboolean (*RestoreTileSink) (const RestoreTilePlan *plan,
                                     const RestoreTile     *tile,
                                     const float           *in,
                                     const float           *out,
                                     const float           *wx,
                                     const float           *wy,
                                     gpointer               data,
                                     GError               **error);

RestoreTilePlan *restore_tile_plan_new   (const RestoreMaskView *view,
                                          int                    halo,
                                          int                    depth,
                                          int                    tile_size);
/* Tiles over the whole image, for detection (restore-tile.c). */
RestoreTilePlan *restore_tile_plan_new_full (int                 width,
                                             int                 height,
                                             int                 halo,
                                             int                 depth,
                                             int                 tile_size);
void             restore_tile_plan_free  (RestoreTilePlan       *plan);
void             restore_tile_plan_absorb (const RestoreTilePlan *plan,
                                           guint8                *owner,
                                           int                    x0,
                                           int                    y0,
                                           int                    width,
                                           const gboolean        *absorbs,
                                           guint8                 id);

void             restore_tile_get_weights (const RestoreTilePlan *plan,
                                           const RestoreTile     *tile,
                                           float                 *wx,
                                           float                 *wy);

void             restore_tile_fill_input (const RestoreTile     *tile,
                                          const RestoreImage    *src,
                                          const RestoreMask     *mask,
                                          float                  scale,
                                          float                  offset,
                                          float                 *in);

void             restore_tile_fill_rgb   (const RestoreTile     *tile,
                                          const RestoreImage    *src,
                                          float                  scale,
                                          float                  offset,
                                          float                 *in);

gboolean         restore_tile_plan_run   (const RestoreTilePlan *plan,
                                          const RestoreImage    *src,
                                          const RestoreMask     *mask,
                                          float                  scale,
                                          float                  offset,
                                          RestoreTileFunc        func,
                                          gpointer               func_data,
                                          RestoreTileSink        sink,
                                          gpointer               sink_data,
                                          GError               **error);

/* The box [*x0, *x1) x [*y0, *y1) of the pixels whose mask value is above
 * 0 (a read of the whole mask); FALSE, the box untouched, when there are
 * none. */
gboolean restore_mask_box (const RestoreMask *mask,
                           int               *x0,
                           int               *y0,
                           int               *x1,
                           int               *y1);

/* A sample of @im, channel @c of pixel (@x, @y); a non-finite one reads
 * as 0 (the grain and texture steps' measurements). */
static inline float
restore_image_value (const RestoreImage *im,
                     int                 x,
                     int                 y,
                     int                 c)
{
  float v = im->data[(gsize) y * im->rowstride + (gsize) x * im->channels + c];

  return isfinite (v) ? v : 0.0f;
}

/* The mask value used everywhere: clamped to 0..1, NaN read as 0. */
static inline float
restore_mask_value (const RestoreMask *mask,
                    int                x,
                    int                y)
{
  float v = mask->data[(gsize) y * mask->rowstride + x];

  return v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
}

G_END_DECLS

G_BEGIN_DECLS

#define RESTORE_TILE_NO_OWNER 255

guint8 *restore_tile_route (const RestoreMask *mask,
                            int                x0,
                            int                y0,
                            int                x1,
                            int                y1,
                            const double      *max_radius,
                            int                n_models,
                            const gint        *cancel);

/* Runs of masked pixels (RestoreSpan: [x0, x1) of row y) and their
 * 8-connected regions (restore-tile.c). */

typedef struct
{
  RestoreSpan *runs;       /* [n_runs], row by row */
  int         n_runs;
  int        *row_first;  /* [y1 - y0 + 1]: first run of each row, then n_runs */
  gint32     *parent;     /* [n_runs] union-find forest */
  int         y0;
} RestoreRegions;

RestoreRegions *restore_tile_regions_new  (const RestoreMask *mask,
                                           int                x0,
                                           int                y0,
                                           int                x1,
                                           int                y1);
gint32          restore_tile_regions_root (RestoreRegions    *regions,
                                           gint32             run);
void            restore_tile_regions_free (RestoreRegions    *regions);

gboolean        restore_tile_distance2    (float             *f,
                                           int                width,
                                           int                height,
                                           const gint        *cancel);

int     restore_tile_choose (const double *max_radius,
                             int           n_models,
                             double        half_width);

G_END_DECLS
