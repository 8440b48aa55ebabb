/* Tests of tile planning, blending and routing (core/restore-tile.c),
 * with toy tile functions in place of the network. */
#include "config.h"

#include <math.h>
#include <string.h>
#include <sys/resource.h>

#include "restore-tile.h"

typedef struct
{
  int     width, height;
  float  *mask;
  float  *pixels;   /* gray */
  RestoreMask  m;
  RestoreImage img;
} Scene;

static Scene *
scene_new (int width,
           int height,
           guint32 seed)
{
  Scene  *s = g_new0 (Scene, 1);
  GRand  *rand = g_rand_new_with_seed (seed);
  gsize   i, n = (gsize) width * height;

  s->width = width;
  s->height = height;
  s->mask = g_new0 (float, n);
  s->pixels = g_new (float, n);
  for (i = 0; i < n; i++)
    s->pixels[i] = (float) g_rand_double (rand);
  s->m = (RestoreMask) { s->mask, width, height, width };
  s->img = (RestoreImage) { s->pixels, width, height, 1, width };
  g_rand_free (rand);
  return s;
}

static void
scene_free (Scene *s)
{
  g_free (s->mask);
  g_free (s->pixels);
  g_free (s);
}

static void
scene_disc (Scene *s, double cx, double cy, double r, float value)
{
  int x, y;

  for (y = 0; y < s->height; y++)
    for (x = 0; x < s->width; x++)
      if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r)
        s->mask[(gsize) y * s->width + x] = value;
}

static RestoreTilePlan *
scene_plan (Scene *s, int halo, int depth, int tile_size)
{
  RestoreMaskView view = { &s->m, 0, 0, s->width, s->height, NULL, 0 };

  return restore_tile_plan_new (&view, halo, depth, tile_size);
}

/* Checks the invariants of a plan against its mask: window sizes,
 * cores inside windows and the image, every tile touching the mask and
 * the weights summing to one at every masked pixel. */
static void
check_plan (const RestoreTilePlan *plan,
            const Scene           *s,
            int                    depth,
            int                    tile_size)
{
  int     align = 1 << depth;
  double *wsum = g_new0 (double, (gsize) s->width * s->height);
  int     k, x, y;

  g_assert_cmpint (plan->tile_size % align, ==, 0);
  if (tile_size > 0)
    g_assert_cmpint (plan->tile_size, >=, tile_size);
  for (k = 0; k < plan->n_tiles; k++)
    {
      const RestoreTile *t = &plan->tiles[k];
      float    *wx = g_new (float, t->x1 - t->x0);
      float    *wy = g_new (float, t->y1 - t->y0);
      gboolean  touches = FALSE;

      g_assert_cmpint (t->width % align, ==, 0);
      g_assert_cmpint (t->height % align, ==, 0);
      g_assert_cmpint (t->width, <=, plan->tile_size);
      g_assert_cmpint (t->height, <=, plan->tile_size);
      g_assert_cmpint (t->x, >=, 0);
      g_assert_cmpint (t->y, >=, 0);
      /* Windows sit on the 2^depth grid and reach past the image only
       * to round its size up to that grid. */
      g_assert_cmpint (t->x % align, ==, 0);
      g_assert_cmpint (t->y % align, ==, 0);
      g_assert_cmpint (t->x + t->width, <=, (s->width + align - 1) / align * align);
      g_assert_cmpint (t->y + t->height, <=, (s->height + align - 1) / align * align);
      g_assert_cmpint (t->x0, >=, 0);
      g_assert_cmpint (t->y0, >=, 0);
      g_assert_cmpint (t->x1, <=, s->width);
      g_assert_cmpint (t->y1, <=, s->height);
      g_assert_cmpint (t->x0, >=, t->x);
      g_assert_cmpint (t->y0, >=, t->y);
      g_assert_cmpint (t->x1, <=, t->x + t->width);
      g_assert_cmpint (t->y1, <=, t->y + t->height);
      restore_tile_get_weights (plan, t, wx, wy);
      for (y = t->y0; y < t->y1; y++)
        for (x = t->x0; x < t->x1; x++)
          {
            float w = wx[x - t->x0] * wy[y - t->y0];

            g_assert_cmpfloat (w, >, 0.0f);
            g_assert_cmpfloat (w, <=, 1.0f);
            wsum[(gsize) y * s->width + x] += w;
            touches |= s->mask[(gsize) y * s->width + x] > 0.0f;
          }
      g_assert_true (touches);   /* tiles off the mask are skipped */
      g_free (wx);
      g_free (wy);
    }
  for (y = 0; y < s->height; y++)
    for (x = 0; x < s->width; x++)
      if (s->mask[(gsize) y * s->width + x] > 0.0f)
        g_assert_cmpfloat_with_epsilon (wsum[(gsize) y * s->width + x], 1.0, 1e-6);
  g_free (wsum);
}

static void
test_tile_coverage (void)
{
  static const struct { int w, h, halo, depth, tile; } cases[] = {
    { 640, 480, 20, 3, 0 },
    { 700, 530, 8, 3, 128 },
    { 1030, 260, 30, 4, 160 },
    { 300, 900, 0, 2, 96 },
    { 257, 129, 5, 5, 64 },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Scene           *s = scene_new (cases[i].w, cases[i].h, 10 + i);
      GRand           *rand = g_rand_new_with_seed (i);
      RestoreTilePlan *plan;
      int              k;

      /* Scattered discs, some at the borders, plus a soft-edged one. */
      for (k = 0; k < 12; k++)
        scene_disc (s, g_rand_int_range (rand, -10, s->width + 10),
                    g_rand_int_range (rand, -10, s->height + 10),
                    g_rand_double_range (rand, 0.5, 40.0), 1.0f);
      scene_disc (s, s->width / 2, s->height / 2, 3.0, 0.25f);
      s->mask[0] = 0.5f;
      s->mask[(gsize) s->width * s->height - 1] = 1.0f;

      plan = scene_plan (s, cases[i].halo, cases[i].depth, cases[i].tile);
      g_assert_cmpint (plan->n_tiles, >, 0);
      check_plan (plan, s, cases[i].depth, cases[i].tile);
      restore_tile_plan_free (plan);
      g_rand_free (rand);
      scene_free (s);
    }
}

static void
test_tile_skip (void)
{
  Scene           *s = scene_new (2000, 1500, 1);
  RestoreTilePlan *plan;
  RestoreMaskView  view;

  /* Two small defects far apart: one tile each, sized to the defect. */
  scene_disc (s, 100, 100, 4, 1.0f);
  scene_disc (s, 1800, 1300, 4, 1.0f);
  plan = scene_plan (s, 24, 3, 256);
  check_plan (plan, s, 3, 256);
  g_assert_cmpint (plan->n_tiles, ==, 2);
  g_assert_cmpint (plan->tiles[0].width, <=, 9 + 2 * 24 + 2 * 8);
  restore_tile_plan_free (plan);

  /* Nothing selected: no tiles. */
  memset (s->mask, 0, sizeof (float) * 2000 * 1500);
  plan = scene_plan (s, 24, 3, 256);
  g_assert_cmpint (plan->n_tiles, ==, 0);
  restore_tile_plan_free (plan);

  /* An owner map restricts the plan to one region. */
  scene_disc (s, 100, 100, 4, 1.0f);
  scene_disc (s, 110, 100, 2, 1.0f);
  {
    guint8 *owner = g_new0 (guint8, 30 * 30);
    int     x, y;

    for (y = 0; y < 30; y++)
      for (x = 0; x < 30; x++)
        owner[y * 30 + x] = x + 90 < 106 ? 0 : 1;
    view = (RestoreMaskView) { &s->m, 90, 90, 120, 120, owner, 1 };
    plan = restore_tile_plan_new (&view, 4, 2, 64);
    g_assert_cmpint (plan->n_tiles, ==, 1);
    g_assert_cmpint (plan->box_x0, ==, 108);
    g_assert_cmpint (plan->box_x1, ==, 113);
    restore_tile_plan_free (plan);
    g_free (owner);
  }
  scene_free (s);
}

static void
test_tile_tiny (void)
{
  static const struct { int w, h; } sizes[] = { { 1, 1 }, { 3, 5 }, { 5, 3 }, { 1, 40 } };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      Scene           *s = scene_new (sizes[i].w, sizes[i].h, 3);
      RestoreTilePlan *plan;
      float           *in;
      const RestoreTile *t;
      int              x, y;

      s->mask[(gsize) s->width * s->height / 2] = 1.0f;
      plan = scene_plan (s, 16, 3, 0);
      g_assert_cmpint (plan->n_tiles, ==, 1);
      check_plan (plan, s, 3, 0);
      t = &plan->tiles[0];
      g_assert_cmpint (t->x, ==, 0);
      g_assert_cmpint (t->y, ==, 0);
      g_assert_cmpint (t->width, ==, 8 * ((sizes[i].w + 7) / 8));
      g_assert_cmpint (t->height, ==, 8 * ((sizes[i].h + 7) / 8));

      /* The padding replicates the edge pixels and the mask. */
      in = g_new (float, 4 * t->width * t->height);
      restore_tile_fill_input (t, &s->img, &s->m, 2.0f, -1.0f, in);
      for (y = 0; y < t->height; y++)
        for (x = 0; x < t->width; x++)
          {
            int   sx = MIN (x, s->width - 1), sy = MIN (y, s->height - 1);
            float m = s->mask[sy * s->width + sx];
            float p = s->pixels[sy * s->width + sx];
            gsize o = (gsize) y * t->width + x, plane = (gsize) t->width * t->height;

            g_assert_cmpfloat (in[3 * plane + o], ==, m);
            g_assert_cmpfloat_with_epsilon (in[o], (p * 2.0f - 1.0f) * (1.0f - m), 1e-6);
            g_assert_cmpfloat (in[o], ==, in[plane + o]);
            g_assert_cmpfloat (in[o], ==, in[2 * plane + o]);
          }
      g_free (in);
      restore_tile_plan_free (plan);
      scene_free (s);
    }
}

static void
test_tile_huge (void)
{
  /* A 16000 x 12000 mask whose rows all alias one row (row stride 0):
   * a thin vertical scratch.  Planning must not allocate anything the
   * size of the image (it would be 192 M entries). */
  int              w = 16000, h = 12000;
  float           *row = g_new0 (float, w);
  RestoreMask      mask = { row, w, h, 0 };
  RestoreMaskView  view = { &mask, 0, 0, w, h, NULL, 0 };
  RestoreTilePlan *plan;
  struct rusage    before, after;
  gint64           t0;
  int              k;

  row[5000] = row[5001] = 1.0f;
  getrusage (RUSAGE_SELF, &before);
  t0 = g_get_monotonic_time ();
  plan = restore_tile_plan_new (&view, 40, 4, 512);
  getrusage (RUSAGE_SELF, &after);
  g_test_message ("huge plan: %d tiles in %.3f s, max RSS grew %ld KiB",
                  plan->n_tiles, (g_get_monotonic_time () - t0) / 1e6,
                  after.ru_maxrss - before.ru_maxrss);
  g_assert_cmpint (after.ru_maxrss - before.ru_maxrss, <, 16 * 1024);
  /* One column of tiles covering the scratch's full height. */
  g_assert_cmpint (plan->n_cols, ==, 1);
  g_assert_cmpint (plan->n_tiles, ==, plan->n_rows);
  g_assert_cmpint (plan->tiles[0].y0, ==, 0);
  g_assert_cmpint (plan->tiles[plan->n_tiles - 1].y1, ==, h);
  for (k = 0; k < plan->n_tiles; k++)
    {
      g_assert_cmpint (plan->tiles[k].x0, ==, 5000);
      g_assert_cmpint (plan->tiles[k].x1, ==, 5002);
      g_assert_cmpint (plan->tiles[k].width, <=, 2 + 2 * 40 + 2 * 16);
      g_assert_cmpint (plan->tiles[k].height, <=, plan->tile_size);
    }
  restore_tile_plan_free (plan);
  g_free (row);
}

/* Toy network: a 5 x 5 box blur of the RGB channels (zero padding) plus
 * a blur of the mask channel, so the output depends on context. */
static gboolean
toy_blur (const float *in, float *out, int w, int h, gpointer data, GError **error)
{
  gsize plane = (gsize) w * h;
  int   c, x, y, dx, dy;

  for (c = 0; c < 3; c++)
    for (y = 0; y < h; y++)
      for (x = 0; x < w; x++)
        {
          double sum = 0.0;

          for (dy = -2; dy <= 2; dy++)
            for (dx = -2; dx <= 2; dx++)
              {
                int sx = x + dx, sy = y + dy;

                if (sx >= 0 && sy >= 0 && sx < w && sy < h)
                  sum += in[c * plane + (gsize) sy * w + sx]
                         + 0.1 * in[3 * plane + (gsize) sy * w + sx];
              }
          out[c * plane + (gsize) y * w + x] = (float) (sum / 25.0);
        }
  if (data != NULL)
    (*(int *) data)++;
  return TRUE;
}

typedef struct
{
  float *acc;   /* [3, H, W] */
  int    width, height;
} Accum;

static gboolean
accumulate (const RestoreTilePlan *plan, const RestoreTile *tile,
            const float *in, const float *out, const float *wx, const float *wy,
            gpointer data, GError **error)
{
  Accum *a = data;
  gsize  plane = (gsize) tile->width * tile->height;
  gsize  aplane = (gsize) a->width * a->height;
  int    c, x, y;

  for (c = 0; c < 3; c++)
    for (y = tile->y0; y < tile->y1; y++)
      for (x = tile->x0; x < tile->x1; x++)
        a->acc[c * aplane + (gsize) y * a->width + x]
          += wx[x - tile->x0] * wy[y - tile->y0]
             * out[c * plane + (gsize) (y - tile->y) * tile->width + (x - tile->x)];
  return TRUE;
}

/* Runs @func over the whole image in one window and over the plan, and
 * returns the largest difference at masked pixels. */
static double
tiled_vs_whole (Scene *s, int halo, int depth, int tile_size, int *n_tiles)
{
  RestoreTilePlan *plan = scene_plan (s, halo, depth, tile_size);
  RestoreTile      whole = { 0, 0, s->width, s->height, 0, 0, s->width, s->height, 0, 0 };
  gsize            n = (gsize) s->width * s->height;
  float           *in = g_new (float, 4 * n), *ref = g_new (float, 3 * n);
  Accum            a = { g_new0 (float, 3 * n), s->width, s->height };
  double           worst = 0.0;
  int              calls = 0, c;
  gsize            i;

  g_assert_cmpint (s->width % (1 << depth), ==, 0);
  g_assert_cmpint (s->height % (1 << depth), ==, 0);
  restore_tile_fill_input (&whole, &s->img, &s->m, 1.0f, 0.0f, in);
  toy_blur (in, ref, s->width, s->height, NULL, NULL);
  g_assert_true (restore_tile_plan_run (plan, &s->img, &s->m, 1.0f, 0.0f,
                                        toy_blur, &calls, accumulate, &a, NULL));
  g_assert_cmpint (calls, ==, plan->n_tiles);
  for (c = 0; c < 3; c++)
    for (i = 0; i < n; i++)
      if (s->mask[i] > 0.0f)
        worst = MAX (worst, fabs (a.acc[c * n + i] - ref[c * n + i]));
  *n_tiles = plan->n_tiles;
  restore_tile_plan_free (plan);
  g_free (in);
  g_free (ref);
  g_free (a.acc);
  return worst;
}

static void
test_tile_whole (void)
{
  Scene *s = scene_new (256, 192, 7);
  int    n_tiles;
  double err;

  /* Fits one tile: tiled and whole agree. */
  scene_disc (s, 60, 50, 30, 1.0f);
  scene_disc (s, 200, 150, 10, 0.6f);
  err = tiled_vs_whole (s, 8, 3, 512, &n_tiles);
  g_assert_cmpint (n_tiles, ==, 1);
  g_assert_cmpfloat (err, <, 1e-5);
  scene_free (s);

  /* Many overlapping tiles: with a halo covering the blur's reach the
   * blended result equals the whole-image result, so there are no seams. */
  s = scene_new (704, 520, 8);
  scene_disc (s, 350, 260, 240, 1.0f);
  scene_disc (s, 10, 10, 30, 0.3f);
  err = tiled_vs_whole (s, 4, 3, 128, &n_tiles);
  g_test_message ("%d tiles, max difference %g", n_tiles, err);
  g_assert_cmpint (n_tiles, >, 9);
  g_assert_cmpfloat (err, <, 1e-5);
  scene_free (s);
}

/* Toy network that returns one constant per tile: the worst case for
 * seams.  The blend must turn the steps into gentle ramps. */
static gboolean
toy_constant (const float *in, float *out, int w, int h, gpointer data, GError **error)
{
  GRand *rand = data;
  float  v = (float) g_rand_double (rand);
  gsize  i;

  for (i = 0; i < 3 * (gsize) w * h; i++)
    out[i] = v;
  return TRUE;
}

static void
test_tile_seamless (void)
{
  Scene           *s = scene_new (600, 500, 9);
  RestoreTilePlan *plan;
  GRand           *rand = g_rand_new_with_seed (5);
  Accum            a = { g_new0 (float, 3 * 600 * 500), 600, 500 };
  double           step = 0.0;
  int              x, y;

  for (x = 0; x < 600 * 500; x++)
    s->mask[x] = 1.0f;
  plan = scene_plan (s, 8, 3, 96);
  g_assert_cmpint (plan->n_tiles, >, 20);
  g_assert_true (restore_tile_plan_run (plan, &s->img, &s->m, 1.0f, 0.0f,
                                        toy_constant, rand, accumulate, &a, NULL));
  for (y = 0; y < 500; y++)
    for (x = 0; x < 600; x++)
      {
        float v = a.acc[y * 600 + x];

        g_assert_cmpfloat (v, >=, -1e-6);
        g_assert_cmpfloat (v, <=, 1.0 + 1e-6);
        if (x > 0)
          step = MAX (step, fabs (v - a.acc[y * 600 + x - 1]));
        if (y > 0)
          step = MAX (step, fabs (v - a.acc[(y - 1) * 600 + x]));
      }
  /* Raised cosine over 2 r = 32 pixels: slope at most pi / 64 per unit step. */
  g_test_message ("largest step between neighbours: %g", step);
  g_assert_cmpfloat (step, <, G_PI / (4.0 * plan->blend) + 1e-4);
  restore_tile_plan_free (plan);
  g_rand_free (rand);
  g_free (a.acc);
  scene_free (s);
}

static gboolean
toy_fail (const float *in, float *out, int w, int h, gpointer data, GError **error)
{
  g_set_error_literal (error, g_quark_from_static_string ("toy"), 7, "toy failure");
  return FALSE;
}

static void
test_tile_error (void)
{
  Scene           *s = scene_new (64, 64, 1);
  RestoreTilePlan *plan;
  Accum            a = { g_new0 (float, 3 * 64 * 64), 64, 64 };
  GError          *error = NULL;

  scene_disc (s, 30, 30, 5, 1.0f);
  plan = scene_plan (s, 8, 3, 0);
  g_assert_false (restore_tile_plan_run (plan, &s->img, &s->m, 1.0f, 0.0f,
                                         toy_fail, NULL, accumulate, &a, &error));
  g_assert_error (error, g_quark_from_static_string ("toy"), 7);
  g_error_free (error);
  restore_tile_plan_free (plan);
  g_free (a.acc);
  scene_free (s);
}

static void
test_tile_choose (void)
{
  const double radii[] = { 8.0, 0.0, 2.0, 0.0 };
  const double only_small[] = { 3.0, 6.0 };

  g_assert_cmpint (restore_tile_choose (radii, 4, 0.5), ==, 2);
  g_assert_cmpint (restore_tile_choose (radii, 4, 2.0), ==, 2);
  g_assert_cmpint (restore_tile_choose (radii, 4, 2.5), ==, 0);
  g_assert_cmpint (restore_tile_choose (radii, 4, 8.5), ==, 1);
  g_assert_cmpint (restore_tile_choose (only_small, 2, 10.0), ==, 1);
}

static void
test_tile_route (void)
{
  Scene        *s = scene_new (300, 200, 2);
  const double  radii[] = { 0.0, 3.0 };   /* general, scratch */
  guint8       *owner;
  int           x, y;

  /* A 3-pixel-wide diagonal scratch and a 60-pixel blob. */
  for (x = 10; x < 150; x++)
    for (y = x / 2; y < x / 2 + 3; y++)
      s->mask[y * 300 + x] = 1.0f;
  scene_disc (s, 220, 120, 30, 1.0f);
  owner = restore_tile_route (&s->m, 0, 0, 300, 200, radii, 2, NULL);
  g_assert_nonnull (owner);
  for (y = 0; y < 200; y++)
    for (x = 0; x < 300; x++)
      {
        guint8 o = owner[y * 300 + x];

        if (s->mask[y * 300 + x] == 0.0f)
          g_assert_cmpint (o, ==, RESTORE_TILE_NO_OWNER);
        else if (x < 150)
          g_assert_cmpint (o, ==, 1);
        else
          g_assert_cmpint (o, ==, 0);
      }
  g_free (owner);

  /* A 9-pixel-wide band (half-width 4.5) is too wide for radius 3 ... */
  memset (s->mask, 0, sizeof (float) * 300 * 200);
  for (y = 50; y < 59; y++)
    for (x = 20; x < 280; x++)
      s->mask[y * 300 + x] = 1.0f;
  owner = restore_tile_route (&s->m, 20, 50, 280, 59, radii, 2, NULL);
  g_assert_cmpint (owner[4 * 260 + 100], ==, 0);
  g_free (owner);
  /* ... a 7-pixel one (half-width 3.5) too, a 5-pixel one (2.5) is not. */
  for (x = 20; x < 280; x++)
    s->mask[50 * 300 + x] = s->mask[58 * 300 + x] = 0.0f;
  owner = restore_tile_route (&s->m, 20, 50, 280, 59, radii, 2, NULL);
  g_assert_cmpint (owner[4 * 260 + 100], ==, 0);
  g_free (owner);
  for (x = 20; x < 280; x++)
    s->mask[51 * 300 + x] = s->mask[57 * 300 + x] = 0.0f;
  owner = restore_tile_route (&s->m, 20, 50, 280, 59, radii, 2, NULL);
  g_assert_cmpint (owner[4 * 260 + 100], ==, 1);
  g_free (owner);

  /* Cancelled before it starts: NULL. */
  {
    gint cancel = 1;

    g_assert_null (restore_tile_route (&s->m, 20, 50, 280, 59, radii, 2, &cancel));
  }
  scene_free (s);
}

/* The half-width from the distance transform matches a brute-force
 * search on random masks: a region is routed to the small model exactly
 * when its largest distance to an unmasked pixel, minus 0.5, is <= 1.9. */
static void
test_tile_route_exact (void)
{
  Scene        *s = scene_new (40, 30, 4);
  GRand        *rand = g_rand_new_with_seed (11);
  const double  radii[] = { 1.9, 0.0 };
  int           trial;

  for (trial = 0; trial < 20; trial++)
    {
      guint8 *owner;
      int     x, y, k;

      memset (s->mask, 0, sizeof (float) * 40 * 30);
      scene_disc (s, g_rand_int_range (rand, 5, 35), g_rand_int_range (rand, 5, 25),
                  g_rand_double_range (rand, 0.5, 5.0), 1.0f);
      for (k = 0; k < 40; k++)
        s->mask[g_rand_int_range (rand, 0, 40 * 30)] = 1.0f;
      owner = restore_tile_route (&s->m, 0, 0, 40, 30, radii, 2, NULL);
      /* Check each isolated single pixel (no masked neighbour): its
       * distance is 1, half-width 0.5, so it goes to the small model. */
      for (y = 1; y < 29; y++)
        for (x = 1; x < 39; x++)
          {
            int dx, dy, nb = 0;

            if (s->mask[y * 40 + x] == 0.0f)
              continue;
            for (dy = -1; dy <= 1; dy++)
              for (dx = -1; dx <= 1; dx++)
                nb += (dx || dy) && s->mask[(y + dy) * 40 + x + dx] > 0.0f;
            if (nb == 0)
              g_assert_cmpint (owner[y * 40 + x], ==, 0);
          }
      /* Brute force for the pixel farthest inside: recompute the maximum
       * distance over all masked pixels of the region of the disc centre. */
      {
        double best = 0.0;
        int    bx = -1, by = -1;

        for (y = 0; y < 30; y++)
          for (x = 0; x < 40; x++)
            if (s->mask[y * 40 + x] > 0.0f)
              {
                double d = G_MAXDOUBLE;
                int    u, v;

                for (v = -1; v <= 30; v++)
                  for (u = -1; u <= 40; u++)
                    if (u < 0 || v < 0 || u >= 40 || v >= 30 || s->mask[v * 40 + u] == 0.0f)
                      d = MIN (d, (double) (u - x) * (u - x) + (v - y) * (v - y));
                if (d > best)
                  best = d, bx = x, by = y;
              }
        g_assert_cmpint (owner[by * 40 + bx], ==, sqrt (best) - 0.5 <= 1.9 ? 0 : 1);
      }
      g_free (owner);
    }
  g_rand_free (rand);
  scene_free (s);
}

/* Routing on a mask wider than the distance blocks, against a brute-force
 * reference: flood-fill regions, capped distance by direct search. */
static void
test_tile_route_brute (void)
{
  const int     w = 700, h = 420, cap = 8;
  const double  radii[] = { 1.0, 0.0, 2.5, 4.0 };
  Scene        *s = scene_new (w, h, 21);
  GRand        *rand = g_rand_new_with_seed (21);
  int          *label = g_new (int, w * h), *stack = g_new (int, w * h);
  double       *region_max = g_new0 (double, w * h);
  guint8       *owner;
  int           k, x, y, n_regions = 0;

  for (k = 0; k < 25; k++)
    scene_disc (s, g_rand_int_range (rand, 0, w), g_rand_int_range (rand, 0, h),
                g_rand_double_range (rand, 0.5, 7.0), 1.0f);
  for (k = 0; k < 6; k++)   /* long lines of width 1..6 across block edges */
    {
      int width = 1 + k, y0 = g_rand_int_range (rand, 0, h - 8);

      for (y = y0; y < y0 + width; y++)
        for (x = 30 * k; x < w - 20; x++)
          s->mask[y * w + x] = 0.5f;
    }
  owner = restore_tile_route (&s->m, 0, 0, w, h, radii, 4, NULL);

  for (k = 0; k < w * h; k++)
    label[k] = -1;
  for (k = 0; k < w * h; k++)
    if (s->mask[k] > 0.0f && label[k] < 0)
      {
        int top = 0;

        label[k] = n_regions;
        stack[top++] = k;
        while (top > 0)
          {
            int p = stack[--top], px = p % w, py = p / w, dx, dy;
            double d2 = (double) cap * cap;

            for (dy = -cap; dy <= cap; dy++)
              for (dx = -cap; dx <= cap; dx++)
                {
                  int qx = px + dx, qy = py + dy;

                  if (qx < 0 || qy < 0 || qx >= w || qy >= h || s->mask[qy * w + qx] == 0.0f)
                    d2 = MIN (d2, (double) dx * dx + dy * dy);
                }
            region_max[n_regions] = MAX (region_max[n_regions], d2);
            for (dy = -1; dy <= 1; dy++)
              for (dx = -1; dx <= 1; dx++)
                {
                  int qx = px + dx, qy = py + dy;

                  if (qx >= 0 && qy >= 0 && qx < w && qy < h
                      && s->mask[qy * w + qx] > 0.0f && label[qy * w + qx] < 0)
                    {
                      label[qy * w + qx] = n_regions;
                      stack[top++] = qy * w + qx;
                    }
                }
          }
        n_regions++;
      }
  g_test_message ("%d regions", n_regions);
  g_assert_cmpint (n_regions, >, 10);
  for (k = 0; k < w * h; k++)
    if (label[k] < 0)
      g_assert_cmpint (owner[k], ==, RESTORE_TILE_NO_OWNER);
    else
      g_assert_cmpint (owner[k], ==,
                       restore_tile_choose (radii, 4, sqrt (region_max[label[k]]) - 0.5));
  g_free (owner);
  g_free (label);
  g_free (stack);
  g_free (region_max);
  g_rand_free (rand);
  scene_free (s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* First, so that the peak memory it measures is its own. */
  g_test_add_func ("/pipeline/tile/huge", test_tile_huge);
  g_test_add_func ("/pipeline/tile/coverage", test_tile_coverage);
  g_test_add_func ("/pipeline/tile/skip", test_tile_skip);
  g_test_add_func ("/pipeline/tile/tiny", test_tile_tiny);
  g_test_add_func ("/pipeline/tile/whole", test_tile_whole);
  g_test_add_func ("/pipeline/tile/seamless", test_tile_seamless);
  g_test_add_func ("/pipeline/tile/error", test_tile_error);
  g_test_add_func ("/pipeline/tile/choose", test_tile_choose);
  g_test_add_func ("/pipeline/tile/route", test_tile_route);
  g_test_add_func ("/pipeline/tile/route-exact", test_tile_route_exact);
  g_test_add_func ("/pipeline/tile/route-brute", test_tile_route_brute);
  return g_test_run ();
}
