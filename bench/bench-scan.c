/* gimp-restore: scan-resolution benchmark of the engine.
 *
 * Loads a photo and a damage mask (PNG, JPEG or TIFF, as the command
 * reads them), optionally places them on a larger canvas, runs
 * restore_run() once and prints, one "key value" per line:
 *
 *   seconds, cpu_seconds   wall-clock and CPU time of restore_run()
 *   tiles                  tiles the engine's planner computes
 *   masked_fraction        pixels with mask > 0 over all pixels
 *   image_bytes            the image buffers (source, destination, mask)
 *   extra_peak_bytes       peak resident memory during the run beyond
 *                          what the process held before loading the
 *                          models (the image buffers, already touched)
 *   conv_seconds, conv_gflops   time inside restore_ops_conv2d() and the
 *                          GFLOP/s it achieved (2 flops per multiply-add
 *                          of a direct convolution)
 *   conv_gflops_done       the same counting the multiply-adds the
 *                          products really did (Winograd layers do 4/9)
 *   gemm_seconds, gemm_gflops   (--gemm) cblas_sgemm on the same matrix
 *                          shapes, each layer as one product
 *                          [c_out x c_in k^2] x [c_in k^2 x h w] with
 *                          the same thread count, timed in this run
 *   conv_vs_gemm           gemm_seconds / conv_seconds, in percent
 *   conv_done_vs_gemm      conv_gflops_done / gemm_gflops, in percent
 *
 *   bench-scan --image PHOTO --mask MASK [--canvas WxH] [--paste X,Y]...
 *              [--model NAME[,NAME...]|""] [--threads N] [--tile-size T]
 *              [--gemm] [--layers]
 *   bench-scan --forward T [--reps R] [--model NAME] [--mask MASK]
 *              [--masked] [--gemm] [--layers]
 *   either with [--conv auto|im2col] [--threading bands|blas]
 *              [--sparse auto|off|always]: the engine's alternatives
 *              (restore-context.h), the first of each its default
 *
 * --canvas makes a W x H image that repeats the photo mirrored and a mask
 * that is empty except for copies of MASK pasted at each --paste offset
 * (default 0,0), so the damage stays the same while the canvas grows.
 * --forward times R forward passes of the network on one T x T tile of a
 * smooth synthetic input with a scratch across it (a diagonal 5 px wide,
 * or with --mask the T x T centre of MASK), the whole output
 * (restore_model_forward()), or with --masked only where the mask is, as
 * the engine does (restore_model_forward_masked(), its mode from
 * --sparse).
 * scan-bench.py (see README.md) runs this with the other methods.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#include <glib.h>

#include "image-io.h"
#include "restore-engine.h"
#include "restore-ops.h"
#include "restore-registry.h"
#include "restore-tile.h"

#define BENCH_ERROR (g_quark_from_static_string ("bench-scan"))

typedef struct
{
  char    *image;
  char    *mask;
  char    *canvas;
  char   **paste;
  char    *model;
  int      threads;
  int      tile_size;
  int      forward;
  int      reps;
  gboolean gemm;
  gboolean layers;
  gboolean masked;
  gboolean plan_only;
  char    *conv;
  char    *threading;
  char    *sparse;
  RestoreContext *ctx;      /* made from the options above */
} BenchArgs;

static double
bench_cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A field of /proc/self/status in bytes ("VmRSS", "VmHWM"); 0 if absent. */
static guint64
bench_status_bytes (const char *field)
{
  char   *text = NULL;
  guint64 kb = 0;

  if (g_file_get_contents ("/proc/self/status", &text, NULL, NULL))
    {
      char *line = strstr (text, field);

      if (line != NULL && line[strlen (field)] == ':')
        kb = g_ascii_strtoull (line + strlen (field) + 1, NULL, 10);
    }
  g_free (text);
  return kb * 1024;
}

/* Resets the peak resident size (VmHWM) to the current one. */
static void
bench_reset_peak (void)
{
  FILE *f = fopen ("/proc/self/clear_refs", "w");

  if (f != NULL)
    {
      fputs ("5", f);
      fclose (f);
    }
}

static int
bench_load_models (const char      *names,
                   RestoreModel  ***models,
                   GError         **error)
{
  char            *exe = g_file_read_link ("/proc/self/exe", NULL);
  char            *exe_dir = exe ? g_path_get_dirname (exe) : NULL;
  char           **dirs = restore_registry_default_dirs (exe_dir,
                                                              g_getenv (RESTORE_MODEL_PATH_ENV));
  RestoreRegistry *registry = restore_registry_new ((const char *const *) dirs);
  char           **list = g_strsplit (names, ",", -1);
  GPtrArray       *all = g_ptr_array_new ();
  int              n = 0;

  /* "" is the automatic choice among all installed models */
  for (char **p = list; *p != NULL || all->len == 0; p++)
    {
      RestoreModel **some = NULL;
      int            k = restore_registry_load (registry, *p ? *p : "", &some, error);

      if (k == 0)
        {
          for (guint i = 0; i < all->len; i++)
            restore_model_free (all->pdata[i]);
          all->len = 0;
          break;
        }
      for (int i = 0; i < k; i++)
        g_ptr_array_add (all, some[i]);
      g_free (some);
      if (*p == NULL)
        break;
    }
  n = all->len;
  *models = (RestoreModel **) g_ptr_array_free (all, n == 0);
  g_strfreev (list);
  restore_registry_free (registry);
  g_strfreev (dirs);
  g_free (exe_dir);
  g_free (exe);
  return n;
}

/* Mirrored repetition: coordinate @v of a canvas on an image of size @n. */
static int
bench_mirror (int v,
              int n)
{
  int period = 2 * n;

  v %= period;
  return v < n ? v : period - 1 - v;
}

/* Copies @photo onto a @width x @height canvas, repeated mirrored. */
static float *
bench_canvas_image (const RestoreIoImage *photo,
                    int                   width,
                    int                   height)
{
  int    ch = photo->channels;
  float *data = g_new (float, (gsize) width * height * ch);

  for (int y = 0; y < height; y++)
    {
      const float *row = photo->data
                         + (gsize) bench_mirror (y, photo->height) * photo->width * ch;
      float       *dst = data + (gsize) y * width * ch;

      for (int x = 0; x < width; x++)
        memcpy (dst + (gsize) x * ch, row + (gsize) bench_mirror (x, photo->width) * ch,
                sizeof (float) * ch);
    }
  return data;
}

static gboolean
bench_parse_pair (const char *text,
                  char        sep,
                  int        *a,
                  int        *b)
{
  char *end;

  *a = (int) strtol (text, &end, 10);
  if (*end != sep)
    return FALSE;
  *b = (int) strtol (end + 1, &end, 10);
  return *end == '\0';
}

/* Times cblas_sgemm on the recorded conv shapes (with all the threads)
 * and prints the totals next to the convolutions' own.  Shapes with the
 * same m and k (one layer over tiles of different sizes) share one
 * measurement, taken at the n that carried most of their work. */
static void
bench_report_conv (const RestoreContext *ctx,
                   gboolean              gemm,
                   gboolean              layers)
{
  static RestoreConvShape shapes[RESTORE_CONV_SHAPES_MAX];
  double           other = 0.0;
  int              threads = restore_context_get_threads (ctx);
  int              n = restore_context_stats_get (ctx, shapes, RESTORE_CONV_SHAPES_MAX, &other);
  double           conv_s = other, gemm_s = 0.0, flops = 0.0, done = 0.0;
  gboolean        *measured = g_new0 (gboolean, n);

  n = MIN (n, RESTORE_CONV_SHAPES_MAX);
  /* the reference: OpenBLAS on all the threads the engine had (the
   * engine itself keeps OpenBLAS single-threaded) */
  if (gemm)
    openblas_set_num_threads (threads);
  for (int i = 0; i < n; i++)
    {
      double f = 0.0, t = 0.0, d = 0.0, g = 0.0, best = -1.0;
      int    m = shapes[i].m, k = shapes[i].k, nref = 0;
      guint  calls = 0;

      if (measured[i])
        continue;
      for (int j = i; j < n; j++)
        if (shapes[j].m == m && shapes[j].k == k)
          {
            double fj = 2.0 * m * (double) k * shapes[j].pixels;
            /* the sparse decoder's calls (n = 0): their mean size */
            int    nj = shapes[j].n > 0 ? shapes[j].n :
                        (int) MAX (1.0, shapes[j].pixels / MAX (shapes[j].calls, 1));

            measured[j] = TRUE;
            f += fj;
            t += shapes[j].seconds;
            d += 2.0 * shapes[j].macs_done;
            calls += shapes[j].calls;
            if (fj > best)
              {
                best = fj;
                nref = nj;
              }
          }
      if (gemm)
        {
          /* a fresh [k, n] operand, like a real im2col result; one
           * warm-up product, then enough to last 0.2 s */
          float *a = g_new (float, (gsize) m * k);
          float *b = g_new (float, (gsize) k * nref);
          float *c = g_new (float, (gsize) m * nref);
          int    reps = 0;
          gint64 t0;

          for (gsize j = 0; j < (gsize) m * k; j++)
            a[j] = (float) ((int) (j & 15) - 8) * 0.01f;
          for (gsize j = 0; j < (gsize) k * nref; j++)
            b[j] = (float) ((int) (j & 7) - 4) * 0.1f;
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, m, nref,
                       k, 1.0f, a, k, b, nref, 0.0f, c, nref);
          t0 = g_get_monotonic_time ();
          do
            {
              cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, m, nref,
                           k, 1.0f, a, k, b, nref, 0.0f, c, nref);
              reps++;
            }
          while (g_get_monotonic_time () - t0 < 200000);
          /* seconds sgemm needs for this class's flops at that rate */
          g = (g_get_monotonic_time () - t0) / 1e6 / reps
              / (2.0 * m * (double) k * nref) * f;
          g_free (a);
          g_free (b);
          g_free (c);
        }
      if (layers)
        printf ("layer m %d k %d (n %d) calls %u conv %.3f s %.1f GFLOP/s"
                " (done %.1f) gemm %.3f s %.1f GFLOP/s\n",
                m, k, nref, calls, t, f / MAX (t, 1e-9) / 1e9, d / MAX (t, 1e-9) / 1e9,
                g, gemm ? f / MAX (g, 1e-9) / 1e9 : 0.0);
      conv_s += t;
      gemm_s += g;
      flops += f;
      done += d;
    }
  g_free (measured);
  printf ("conv_shapes %d\n", n);
  printf ("conv_seconds %.3f\n", conv_s);
  printf ("conv_gflop %.1f\n", flops / 1e9);
  printf ("conv_gflops %.2f\n", flops / MAX (conv_s, 1e-9) / 1e9);
  /* what the products really computed (Winograd does fewer) */
  printf ("conv_gflop_done %.1f\n", done / 1e9);
  printf ("conv_gflops_done %.2f\n", done / MAX (conv_s, 1e-9) / 1e9);
  if (gemm)
    {
      printf ("gemm_seconds %.3f\n", gemm_s);
      printf ("gemm_gflops %.2f\n", flops / MAX (gemm_s, 1e-9) / 1e9);
      printf ("conv_vs_gemm %.1f\n", 100.0 * gemm_s / MAX (conv_s, 1e-9));
      printf ("conv_done_vs_gemm %.1f\n",
              100.0 * (done / MAX (conv_s, 1e-9)) / (flops / MAX (gemm_s, 1e-9)));
      openblas_set_num_threads (1);
    }
}

/* --forward: R passes over one T x T tile. */
static int
bench_forward (RestoreModel *model,
               const BenchArgs *args)
{
  int     t = args->forward;
  gsize   plane = (gsize) t * t;
  float  *in = g_new (float, 4 * plane);
  float  *out = g_new (float, 3 * plane);
  GError *error = NULL;
  gint64  t0;
  double  c0, seconds;
  gboolean (*forward) (const RestoreModel *, RestoreContext *, const float *,
                       float *, int, int, GError **) =
    args->masked ? restore_model_forward_masked : restore_model_forward;

  float  *crop = NULL;

  if (args->mask != NULL)
    {
      /* the T x T centre of the mask instead of the diagonal */
      RestoreIoImage *image = restore_io_image_load (args->mask, &error);
      float          *mask = image ? restore_io_mask_from_image (image, image->width,
                                                                 image->height, &error) : NULL;

      if (mask == NULL || image->width < t || image->height < t)
        {
          fprintf (stderr, "bench-scan: %s\n", error ? error->message : "mask smaller than the tile");
          g_clear_error (&error);
          restore_io_image_free (image);
          g_free (mask);
          g_free (in);
          g_free (out);
          return EXIT_FAILURE;
        }
      crop = g_new (float, plane);
      for (int y = 0; y < t; y++)
        memcpy (crop + (gsize) y * t,
                mask + (gsize) ((image->height - t) / 2 + y) * image->width
                + (image->width - t) / 2, sizeof (float) * t);
      restore_io_image_free (image);
      g_free (mask);
    }
  for (int y = 0; y < t; y++)
    for (int x = 0; x < t; x++)
      {
        gsize i = (gsize) y * t + x;
        float m = crop ? crop[i] : abs (x - y) < 3 ? 1.0f : 0.0f;

        for (int c = 0; c < 3; c++)
          in[c * plane + i] = (0.3f + 0.2f * sinf (x * 0.05f + c) * cosf (y * 0.03f)) * (1.0f - m);
        in[3 * plane + i] = m;
      }
  if (! forward (model, args->ctx, in, out, t, t, &error))
    {
      fprintf (stderr, "bench-scan: %s\n", error->message);
      g_error_free (error);
      return EXIT_FAILURE;
    }
  restore_context_stats_reset (args->ctx);
  t0 = g_get_monotonic_time ();
  c0 = bench_cpu_seconds ();
  for (int r = 0; r < args->reps; r++)
    forward (model, args->ctx, in, out, t, t, NULL);
  seconds = (g_get_monotonic_time () - t0) / 1e6;
  printf ("model %s\n", restore_model_get_name (model));
  printf ("tile %d\n", t);
  printf ("masked %s\n", args->masked ? "yes" : "no");
  if (crop != NULL)
    {
      gsize count = 0;

      for (gsize i = 0; i < plane; i++)
        count += crop[i] > 0.0f;
      printf ("masked_fraction %.5f\n", (double) count / plane);
    }
  printf ("threads %d\n", restore_context_get_threads (args->ctx));
  printf ("seconds_per_pass %.4f\n", seconds / args->reps);
  printf ("cpu_seconds_per_pass %.4f\n", (bench_cpu_seconds () - c0) / args->reps);
  printf ("forward_gflops %.2f\n",
          2.0 * restore_model_get_flops (model, t, t) * args->reps / seconds / 1e9);
  bench_report_conv (args->ctx, args->gemm, args->layers);
  g_free (crop);
  g_free (in);
  g_free (out);
  return EXIT_SUCCESS;
}

/* Tiles the planner makes for @mask (the largest count over the models:
 * with several, each region goes to one of them) and the pixels of their
 * windows, through which the network runs. */
static int
bench_count_tiles (RestoreModel *const *models,
                   int                  n_models,
                   const RestoreMask   *mask,
                   int                  tile_size,
                   double              *window_pixels)
{
  RestoreMaskView view = { mask, 0, 0, mask->width, mask->height, NULL, 0 };
  int             total = 0;

  *window_pixels = 0.0;
  for (int k = 0; k < n_models; k++)
    {
      RestoreTilePlan *plan = restore_tile_plan_new (&view, restore_model_get_halo (models[k]),
                                                     restore_model_get_depth (models[k]),
                                                     tile_size);
      double           area = 0.0;

      for (int i = 0; i < plan->n_tiles; i++)
        area += (double) plan->tiles[i].width * plan->tiles[i].height;
      if (plan->n_tiles > total)
        {
          total = plan->n_tiles;
          *window_pixels = area;
        }
      restore_tile_plan_free (plan);
    }
  return total;
}

static int
bench_restore (const BenchArgs *args)
{
  RestoreIoImage *photo, *mask_image;
  float          *mask_small, *mask_data;
  RestoreModel  **models = NULL;
  RestoreImage    src, dst;
  RestoreMask     mask;
  RestoreOptions  options;
  GError         *error = NULL;
  int             width, height, n_models, status = EXIT_SUCCESS;
  guint64         rss0, hwm;
  gsize           count = 0;
  gint64          t0;
  double          c0, seconds, cpu;

  photo = restore_io_image_load (args->image, &error);
  if (photo == NULL)
    goto fail;
  mask_image = restore_io_image_load (args->mask, &error);
  if (mask_image == NULL)
    goto fail;
  mask_small = restore_io_mask_from_image (mask_image, photo->width, photo->height, &error);
  restore_io_image_free (mask_image);
  if (mask_small == NULL)
    goto fail;

  width = photo->width;
  height = photo->height;
  if (args->canvas != NULL
      && (! bench_parse_pair (args->canvas, 'x', &width, &height)
          || width < photo->width || height < photo->height || width > 100000 || height > 100000))
    {
      g_set_error (&error, BENCH_ERROR, 0, "--canvas %s: expected WxH at least the photo's size",
                   args->canvas);
      goto fail;
    }
  src.width = width;
  src.height = height;
  src.channels = photo->channels;
  src.rowstride = (gsize) width * photo->channels;
  if (args->canvas != NULL)
    {
      src.data = bench_canvas_image (photo, width, height);
      mask_data = g_new0 (float, (gsize) width * height);
      for (int i = 0; args->paste == NULL ? i < 1 : args->paste[i] != NULL; i++)
        {
          int px = 0, py = 0;

          if (args->paste != NULL
              && (! bench_parse_pair (args->paste[i], ',', &px, &py)
                  || px < 0 || py < 0 || px + photo->width > width
                  || py + photo->height > height))
            {
              g_set_error (&error, BENCH_ERROR, 0, "--paste %s: expected X,Y inside the canvas",
                           args->paste[i]);
              goto fail;
            }
          for (int y = 0; y < photo->height; y++)
            for (int x = 0; x < photo->width; x++)
              {
                float v = mask_small[(gsize) y * photo->width + x];
                float *d = &mask_data[(gsize) (y + py) * width + x + px];

                *d = MAX (*d, v);
              }
        }
      g_free (mask_small);
      restore_io_image_free (photo);
    }
  else
    {
      src.data = photo->data;
      photo->data = NULL;
      restore_io_image_free (photo);
      mask_data = mask_small;
    }
  photo = NULL;
  mask.data = mask_data;
  mask.width = width;
  mask.height = height;
  mask.rowstride = width;
  dst = src;
  dst.data = g_new (float, (gsize) height * src.rowstride);
  memset (dst.data, 0, sizeof (float) * (gsize) height * src.rowstride);
  for (gsize i = 0; i < (gsize) width * height; i++)
    count += mask_data[i] > 0.0f;

  /* Everything from here on is beyond the image buffers. */
  rss0 = bench_status_bytes ("VmRSS");
  bench_reset_peak ();
  n_models = bench_load_models (args->model ? args->model : "scratch", &models, &error);
  if (n_models == 0)
    goto fail;

  if (args->plan_only)
    {
      double area;
      int    tiles = bench_count_tiles (models, n_models, &mask, args->tile_size, &area);

      printf ("tiles %d\nwindow_megapixels %.2f\n", tiles, area / 1e6);
      return EXIT_SUCCESS;
    }
  restore_options_init (&options);
  options.tile_size = args->tile_size;
  options.context = args->ctx;
  restore_context_stats_reset (args->ctx);
  t0 = g_get_monotonic_time ();
  c0 = bench_cpu_seconds ();
  if (! restore_run (models, n_models, &src, &mask, &dst, &options, &error))
    goto fail;
  seconds = (g_get_monotonic_time () - t0) / 1e6;
  cpu = bench_cpu_seconds () - c0;
  hwm = bench_status_bytes ("VmHWM");

  printf ("image %dx%d\n", width, height);
  printf ("megapixels %.1f\n", (double) width * height / 1e6);
  printf ("models");
  for (int k = 0; k < n_models; k++)
    printf (" %s", restore_model_get_name (models[k]));
  printf ("\n");
  printf ("threads %d\n", restore_context_get_threads (args->ctx));
  printf ("seconds %.3f\n", seconds);
  printf ("cpu_seconds %.3f\n", cpu);
  {
    double area;
    int    tiles = bench_count_tiles (models, n_models, &mask, args->tile_size, &area);

    printf ("tiles %d\n", tiles);
    printf ("window_megapixels %.2f\n", area / 1e6);
  }
  printf ("masked_fraction %.5f\n", (double) count / ((double) width * height));
  printf ("tile_size %d\n", args->tile_size);
  printf ("image_bytes %" G_GUINT64_FORMAT "\n",
          (guint64) sizeof (float) * ((guint64) 2 * height * src.rowstride
                                      + (guint64) width * height));
  printf ("rss_before_bytes %" G_GUINT64_FORMAT "\n", rss0);
  printf ("extra_peak_bytes %" G_GUINT64_FORMAT "\n", hwm > rss0 ? hwm - rss0 : 0);
  bench_report_conv (args->ctx, args->gemm, args->layers);

  for (int k = 0; k < n_models; k++)
    restore_model_free (models[k]);
  g_free (models);
  g_free (src.data);
  g_free (dst.data);
  g_free (mask_data);
  return status;

fail:
  fprintf (stderr, "bench-scan: %s\n", error ? error->message : "failed");
  g_clear_error (&error);
  return EXIT_FAILURE;
}

int
main (int    argc,
      char **argv)
{
  BenchArgs       args = { 0 };
  GOptionEntry    entries[] = {
    { "image", 0, 0, G_OPTION_ARG_FILENAME, &args.image, "Photo (PNG, JPEG, TIFF)", "FILE" },
    { "mask", 0, 0, G_OPTION_ARG_FILENAME, &args.mask, "Damage mask, white = damaged", "FILE" },
    { "canvas", 0, 0, G_OPTION_ARG_STRING, &args.canvas, "Canvas size (the photo's)", "WxH" },
    { "paste", 0, 0, G_OPTION_ARG_STRING_ARRAY, &args.paste, "Mask offset on the canvas (0,0)", "X,Y" },
    { "model", 0, 0, G_OPTION_ARG_STRING, &args.model,
      "Model names, comma separated, \"\" = automatic (scratch)", "NAME" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &args.threads, "Threads, 0 = all cores (0)", "N" },
    { "tile-size", 0, 0, G_OPTION_ARG_INT, &args.tile_size, "Tile size, 0 = default (0)", "T" },
    { "forward", 0, 0, G_OPTION_ARG_INT, &args.forward, "Time forward passes on a T x T tile", "T" },
    { "reps", 0, 0, G_OPTION_ARG_INT, &args.reps, "Forward passes (3)", "R" },
    { "masked", 0, 0, G_OPTION_ARG_NONE, &args.masked,
      "--forward: only the output at the scratch (the engine's way)", NULL },
    { "gemm", 0, 0, G_OPTION_ARG_NONE, &args.gemm, "Also time cblas_sgemm on the conv shapes", NULL },
    { "layers", 0, 0, G_OPTION_ARG_NONE, &args.layers, "Print every conv shape", NULL },
    { "plan-only", 0, 0, G_OPTION_ARG_NONE, &args.plan_only, "Only count the tiles", NULL },
    { "conv", 0, 0, G_OPTION_ARG_STRING, &args.conv,
      "3x3 products: auto (Winograd where it pays) or im2col", "METHOD" },
    { "threading", 0, 0, G_OPTION_ARG_STRING, &args.threading,
      "bands (side by side, the engine's) or blas (threads inside OpenBLAS)", "HOW" },
    { "sparse", 0, 0, G_OPTION_ARG_STRING, &args.sparse,
      "The masked decoder: auto, off or always", "MODE" },
    { NULL }
  };
  GOptionContext *context = g_option_context_new ("- time restore_run at scan resolution");
  GError         *error = NULL;
  int             status;

  args.reps = 3;
  g_option_context_add_main_entries (context, entries, NULL);
  if (! g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "bench-scan: %s\n", error->message);
      return EXIT_FAILURE;
    }
  g_option_context_free (context);
  if (args.threads < 0
      || (args.conv && strcmp (args.conv, "auto") != 0 && strcmp (args.conv, "im2col") != 0)
      || (args.threading && strcmp (args.threading, "bands") != 0
          && strcmp (args.threading, "blas") != 0)
      || (args.sparse && strcmp (args.sparse, "auto") != 0 && strcmp (args.sparse, "off") != 0
          && strcmp (args.sparse, "always") != 0))
    {
      fprintf (stderr, "bench-scan: bad --threads, --conv, --threading or --sparse\n");
      return EXIT_FAILURE;
    }
  args.ctx = restore_context_new (args.threads);
  if (g_strcmp0 (args.conv, "im2col") == 0)
    restore_context_set_conv (args.ctx, RESTORE_CONV_IM2COL);
  if (g_strcmp0 (args.threading, "blas") == 0)
    restore_context_set_blas_threads (args.ctx, TRUE);
  if (g_strcmp0 (args.sparse, "off") == 0)
    restore_context_set_sparse (args.ctx, RESTORE_SPARSE_OFF);
  else if (g_strcmp0 (args.sparse, "always") == 0)
    restore_context_set_sparse (args.ctx, RESTORE_SPARSE_ALWAYS);
  if (args.forward > 0)
    {
      RestoreModel **models = NULL;
      int            n = bench_load_models (args.model ? args.model : "scratch", &models, &error);

      if (n == 0)
        {
          fprintf (stderr, "bench-scan: %s\n", error->message);
          return EXIT_FAILURE;
        }
      if (args.forward % (1 << restore_model_get_depth (models[0])) != 0 || args.reps < 1)
        {
          fprintf (stderr, "bench-scan: --forward must be a multiple of %d, --reps at least 1\n",
                   1 << restore_model_get_depth (models[0]));
          return EXIT_FAILURE;
        }
      status = bench_forward (models[0], &args);
      for (int k = 0; k < n; k++)
        restore_model_free (models[k]);
      g_free (models);
    }
  else if (args.image == NULL || args.mask == NULL)
    {
      fprintf (stderr, "bench-scan: give --image and --mask, or --forward T\n");
      status = EXIT_FAILURE;
    }
  else
    status = bench_restore (&args);
  g_free (args.image);
  g_free (args.mask);
  g_free (args.canvas);
  g_strfreev (args.paste);
  g_free (args.model);
  g_free (args.conv);
  g_free (args.threading);
  g_free (args.sparse);
  restore_context_free (args.ctx);
  return status;
}
