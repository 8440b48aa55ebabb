/* gimp-restore: the detector's probability maps, for bench/detect-scale.py.
 *
 *   bench-detect-maps --detector FILE IMAGE PREFIX [--auto-only]
 *       reads IMAGE (PNG, JPEG or TIFF, as the command does) and writes
 *       the detector's probabilities at --scale 1, 2 and 0 (automatic) as
 *       raw float32 maps, rows packed: PREFIX.p1, PREFIX.p2, PREFIX.p0
 *       (with --auto-only, PREFIX.p0 alone); prints "width height".
 *   bench-detect-maps --select WIDTH HEIGHT PROB OUT
 *       the default selection (restore_detect_select() with the parameter
 *       table's defaults) of the raw map PROB, as a raw float32 map OUT.
 *
 * detect-scale.py combines the first two maps by other rules than the
 * core's and scores each rule through the core's own selection; the third
 * map checks its copy of the core's rule.  Errors: one line on stderr,
 * exit status 1.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

#include "image-io.h"
#include "restore-detect.h"
#include "restore-unet.h"

static gboolean
write_floats (const char  *path,
              const float *data,
              gsize        n,
              GError     **error)
{
  return g_file_set_contents (path, (const char *) data, (gssize) (n * sizeof (float)), error);
}

static int
run_select (int     width,
            int     height,
            const char *in,
            const char *out,
            GError **error)
{
  gsize                n = (gsize) width * height, len = 0;
  char                *prob = NULL;
  float               *mask;
  RestoreDetectOptions options;
  gboolean             ok;

  if (! g_file_get_contents (in, &prob, &len, error))
    return 1;
  if (width < 1 || height < 1 || len != n * sizeof (float))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s: %" G_GSIZE_FORMAT " bytes, not %d x %d floats", in, len, width, height);
      g_free (prob);
      return 1;
    }
  restore_detect_options_init (&options);
  mask = g_new (float, n);
  ok = restore_detect_select ((const float *) prob, width, height, mask, &options, error) >= 0
       && write_floats (out, mask, n, error);
  g_free (mask);
  g_free (prob);
  return ok ? 0 : 1;
}

static int
run_maps (const char *detector,
          const char *path,
          const char *prefix,
          gboolean    auto_only,
          GError    **error)
{
  RestoreModel        *model = restore_model_load (detector, error);
  RestoreIoImage      *io;
  RestoreImage         img;
  RestoreDetectOptions options;
  float               *prob;
  gboolean             ok = TRUE;
  static const int     scales[] = { 1, 2, 0 };

  if (model == NULL)
    return 1;
  io = restore_io_image_load (path, error);
  if (io == NULL)
    {
      restore_model_free (model);
      return 1;
    }
  img = (RestoreImage) { io->data, io->width, io->height, io->channels,
                         (gsize) io->width * io->channels };
  prob = g_new (float, (gsize) img.width * img.height);
  restore_detect_options_init (&options);
  options.n_threads = 1;
  for (guint i = auto_only ? G_N_ELEMENTS (scales) - 1 : 0; i < G_N_ELEMENTS (scales) && ok; i++)
    {
      char *out = g_strdup_printf ("%s.p%d", prefix, scales[i]);

      options.scale = scales[i];
      ok = restore_detect_probability (model, &img, prob, &options, error)
           && write_floats (out, prob, (gsize) img.width * img.height, error);
      g_free (out);
    }
  if (ok)
    printf ("%d %d\n", img.width, img.height);
  g_free (prob);
  restore_io_image_free (io);
  restore_model_free (model);
  return ok ? 0 : 1;
}

int
main (int    argc,
      char **argv)
{
  GError *error = NULL;
  int     rc;

  if (argc == 6 && g_str_equal (argv[1], "--select"))
    rc = run_select (atoi (argv[2]), atoi (argv[3]), argv[4], argv[5], &error);
  else if ((argc == 5 || (argc == 6 && g_str_equal (argv[5], "--auto-only")))
           && g_str_equal (argv[1], "--detector"))
    rc = run_maps (argv[2], argv[3], argv[4], argc == 6, &error);
  else
    {
      fprintf (stderr, "usage: bench-detect-maps --detector FILE IMAGE PREFIX [--auto-only] | "
                       "--select WIDTH HEIGHT PROB OUT\n");
      return 2;
    }
  if (rc != 0)
    fprintf (stderr, "bench-detect-maps: %s\n", error ? error->message : "failed");
  g_clear_error (&error);
  return rc;
}
