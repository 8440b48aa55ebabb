/* gimp-restore: sparse-mask benchmark.
 *
 * Times restore_run() on a synthetic photo-sized image (4000x3000 by
 * default) with two masks:
 *   sparse  a few short scratches in one 256x256 patch, touching under
 *           2 % of the tiles a full mask would need
 *   dense   a thin grid of scratches over the whole image, touching every
 *           tile
 * and prints both times, the tiles each run computed and the ratio.  The
 * cost should follow the tiles touched, not the image size.
 *
 *   meson compile -C build bench-sparse && ./build/bench/bench-sparse
 *
 * Options: --width, --height, --model (a name or .grst file, default
 * "scratch"), --threads (0 = all cores), --tile-size (0 = default).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "restore-engine.h"
#include "restore-registry.h"
#include "restore-tile.h"

typedef struct
{
  const char *name;
  double      seconds;
  double      cpu_seconds; /* this process's CPU time, all threads */
  int         tiles;
  double      masked;  /* fraction of pixels with mask > 0 */
} BenchResult;

/* Deterministic pseudo-random numbers (xorshift32). */
static guint32
bench_random (guint32 *state)
{
  guint32 x = *state;

  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}

static double
bench_uniform (guint32 *state)
{
  return bench_random (state) / 4294967296.0;
}

/**
 * bench_image_new:
 * A synthetic RGB picture: smooth gradients, a few frequencies of
 * texture and a little noise, values 0..1.  Free with g_free().
 */
static float *
bench_image_new (int width,
                 int height)
{
  float  *data = g_new (float, (gsize) width * height * 3);
  guint32 seed = 12345;

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        float *p = data + ((gsize) y * width + x) * 3;
        double u = (double) x / width, v = (double) y / height;
        double tex = 0.08 * sin (x * 0.05) * cos (y * 0.031)
                     + 0.05 * sin ((x + 2 * y) * 0.013);

        for (int c = 0; c < 3; c++)
          {
            double base = 0.2 + 0.5 * (c == 0 ? u : c == 1 ? v : 1.0 - 0.5 * (u + v));
            double n = (bench_uniform (&seed) - 0.5) * 0.02;

            p[c] = (float) CLAMP (base + tex + n, 0.0, 1.0);
          }
      }
  return data;
}

/* Draws a straight scratch of @thickness pixels from (x0, y0) to
 * (x1, y1) into @mask. */
static void
bench_mask_line (float *mask,
                 int    width,
                 int    height,
                 double x0,
                 double y0,
                 double x1,
                 double y1,
                 int    thickness)
{
  double len = hypot (x1 - x0, y1 - y0);
  int    steps = (int) ceil (len * 2) + 1;

  for (int s = 0; s <= steps; s++)
    {
      double t = (double) s / steps;
      int    cx = (int) lround (x0 + t * (x1 - x0));
      int    cy = (int) lround (y0 + t * (y1 - y0));

      for (int dy = 0; dy < thickness; dy++)
        for (int dx = 0; dx < thickness; dx++)
          {
            int x = cx + dx - thickness / 2, y = cy + dy - thickness / 2;

            if (x >= 0 && x < width && y >= 0 && y < height)
              mask[(gsize) y * width + x] = 1.0f;
          }
    }
}

/**
 * bench_mask_sparse:
 * A few short scratches (@n of them, 40-120 px, 2 px wide) at random
 * places inside one @patch x @patch square at a random spot: a local
 * defect, as on a photo with one scratched corner.  Free with g_free().
 */
static float *
bench_mask_sparse (int width,
                   int height,
                   int n,
                   int patch)
{
  float  *mask = g_new0 (float, (gsize) width * height);
  guint32 seed = 777;
  double  px = bench_uniform (&seed) * (width - patch);
  double  py = bench_uniform (&seed) * (height - patch);

  for (int i = 0; i < n; i++)
    {
      double a = bench_uniform (&seed) * G_PI;
      double len = 40 + bench_uniform (&seed) * 80;
      double dx = cos (a) * len, dy = sin (a) * len;
      /* Both ends inside the patch. */
      double x = px + MAX (0.0, -dx) + bench_uniform (&seed) * (patch - fabs (dx));
      double y = py + bench_uniform (&seed) * (patch - dy);

      bench_mask_line (mask, width, height, x, y, x + dx, y + dy, 2);
    }
  return mask;
}

/**
 * bench_mask_grid:
 * Thin scratches (2 px) every @spacing pixels, across and down the whole
 * image.  Free with g_free().
 */
static float *
bench_mask_grid (int width,
                 int height,
                 int spacing)
{
  float *mask = g_new0 (float, (gsize) width * height);

  for (int y = spacing / 2; y < height; y += spacing)
    bench_mask_line (mask, width, height, 0, y, width - 1, y, 2);
  for (int x = spacing / 2; x < width; x += spacing)
    bench_mask_line (mask, width, height, x, 0, x, height - 1, 2);
  return mask;
}

/* Tiles restore_run() computes for @mask with @model: the engine's own
 * planner with the same arguments. */
static int
bench_count_tiles (const RestoreMask  *mask,
                   RestoreModel       *model,
                   int                 tile_size)
{
  RestoreMaskView  view = { mask, 0, 0, mask->width, mask->height, NULL, 0 };
  RestoreTilePlan *plan = restore_tile_plan_new (&view, restore_model_get_halo (model),
                                                 restore_model_get_depth (model),
                                                 tile_size);
  int              n = plan->n_tiles;

  restore_tile_plan_free (plan);
  return n;
}

static double
bench_cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
bench_masked_fraction (const float *mask,
                       gsize        n)
{
  gsize count = 0;

  for (gsize i = 0; i < n; i++)
    count += mask[i] > 0.0f;
  return (double) count / n;
}

/**
 * bench_time_restore:
 * Runs restore_run() once with @model on @src and @mask; fills @result.
 * Returns FALSE with @error set when the run fails.
 */
static gboolean
bench_time_restore (RestoreModel       *model,
                    const RestoreImage *src,
                    float              *mask_data,
                    int                 n_threads,
                    int                 tile_size,
                    BenchResult        *result,
                    GError            **error)
{
  RestoreMask    mask = { mask_data, src->width, src->height, src->width };
  RestoreImage   dst = *src;
  RestoreOptions options;
  gint64         t0;
  double         c0;
  gboolean       ok;

  restore_options_init (&options);
  options.n_threads = n_threads;
  options.tile_size = tile_size;
  dst.data = g_new (float, (gsize) src->height * src->rowstride);

  result->tiles = bench_count_tiles (&mask, model, tile_size);
  result->masked = bench_masked_fraction (mask_data, (gsize) src->width * src->height);
  t0 = g_get_monotonic_time ();
  c0 = bench_cpu_seconds ();
  ok = restore_run (&model, 1, src, &mask, &dst, &options, error);
  result->seconds = (g_get_monotonic_time () - t0) / 1e6;
  result->cpu_seconds = bench_cpu_seconds () - c0;
  g_free (dst.data);
  return ok;
}

static RestoreModel *
bench_load_model (const char *name,
                  GError    **error)
{
  char            *exe = g_file_read_link ("/proc/self/exe", NULL);
  char            *exe_dir = exe ? g_path_get_dirname (exe) : NULL;
  char           **dirs = restore_registry_default_dirs (exe_dir,
                                                              g_getenv (RESTORE_MODEL_PATH_ENV));
  RestoreRegistry *registry = restore_registry_new ((const char *const *) dirs);
  RestoreModel   **models = NULL;
  RestoreModel    *model = NULL;
  int              n;

  n = restore_registry_load (registry, name, &models, error);
  if (n > 0)
    {
      model = models[0];
      for (int i = 1; i < n; i++)
        restore_model_free (models[i]);
    }
  g_free (models);
  restore_registry_free (registry);
  g_strfreev (dirs);
  g_free (exe_dir);
  g_free (exe);
  return model;
}

int
main (int    argc,
      char **argv)
{
  int             width = 4000, height = 3000, n_threads = 0, tile_size = 0;
  char           *model_name = NULL;
  GOptionEntry    entries[] = {
    { "width", 0, 0, G_OPTION_ARG_INT, &width, "Image width (4000)", "W" },
    { "height", 0, 0, G_OPTION_ARG_INT, &height, "Image height (3000)", "H" },
    { "model", 0, 0, G_OPTION_ARG_STRING, &model_name, "Model name or .grst file (scratch)", "NAME" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &n_threads, "Threads, 0 = all cores (0)", "N" },
    { "tile-size", 0, 0, G_OPTION_ARG_INT, &tile_size, "Tile size, 0 = default (0)", "T" },
    { NULL }
  };
  GOptionContext *context = g_option_context_new ("- time restore_run on sparse and dense masks");
  GError         *error = NULL;
  RestoreModel   *model;
  RestoreImage    src;
  BenchResult     res[2] = { { "sparse" }, { "dense" } };
  float          *masks[2];
  int             full_tiles;
  int             status = EXIT_SUCCESS;
  char            threads_text[16];

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "bench-sparse: %s\n", error->message);
      return EXIT_FAILURE;
    }
  g_option_context_free (context);
  if (width < 256 || height < 256 || width > 20000 || height > 20000)
    {
      fprintf (stderr, "bench-sparse: the image must be 256 to 20000 pixels a side\n");
      return EXIT_FAILURE;
    }

  model = bench_load_model (model_name ? model_name : "scratch", &error);
  if (model == NULL)
    {
      fprintf (stderr, "bench-sparse: %s\n", error->message);
      g_clear_error (&error);
      g_free (model_name);
      return EXIT_FAILURE;
    }

  src.width = width;
  src.height = height;
  src.channels = 3;
  src.rowstride = (gsize) width * 3;
  src.data = bench_image_new (width, height);
  masks[0] = bench_mask_sparse (width, height, 4, 256);
  masks[1] = bench_mask_grid (width, height, 256);
  {
    float      *all = g_new (float, (gsize) width * height);
    RestoreMask m = { all, width, height, width };

    for (gsize i = 0; i < (gsize) width * height; i++)
      all[i] = 1.0f;
    full_tiles = bench_count_tiles (&m, model, tile_size);
    g_free (all);
  }

  if (n_threads > 0)
    g_snprintf (threads_text, sizeof threads_text, "%d", n_threads);
  else
    g_strlcpy (threads_text, "all", sizeof threads_text);
  printf ("image %dx%d RGB, model %s (halo %d, depth %d), %s threads\n",
          width, height, restore_model_get_name (model), restore_model_get_halo (model),
          restore_model_get_depth (model), threads_text);
  printf ("a full mask needs %d tiles\n", full_tiles);
  for (int k = 0; k < 2 && status == EXIT_SUCCESS; k++)
    {
      if (!bench_time_restore (model, &src, masks[k], n_threads, tile_size, &res[k], &error))
        {
          fprintf (stderr, "bench-sparse: %s: %s\n", res[k].name, error->message);
          g_clear_error (&error);
          status = EXIT_FAILURE;
          break;
        }
      printf ("%-6s  %8.3f s (CPU %8.3f s)  %4d of %d tiles (%5.2f %%)  %6.3f %% of pixels masked\n",
              res[k].name, res[k].seconds, res[k].cpu_seconds, res[k].tiles, full_tiles,
              100.0 * res[k].tiles / full_tiles, 100.0 * res[k].masked);
      fflush (stdout);
    }
  if (status == EXIT_SUCCESS)
    {
      printf ("ratio dense / sparse: %.1fx time, %.1fx CPU time, %.1fx tiles\n",
              res[1].seconds / MAX (res[0].seconds, 1e-9),
              res[1].cpu_seconds / MAX (res[0].cpu_seconds, 1e-9),
              (double) res[1].tiles / MAX (res[0].tiles, 1));
      if (res[0].tiles * 50 >= full_tiles)
        printf ("note: the sparse mask touches %d tiles, not under 2 %% of %d\n",
                res[0].tiles, full_tiles);
    }

  restore_model_free (model);
  g_free (masks[0]);
  g_free (masks[1]);
  g_free (src.data);
  g_free (model_name);
  return status;
}
