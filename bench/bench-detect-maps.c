/* gimp-restore: the detector's probability maps, for bench/detect-scale.py.
 *
 *   bench-detect-maps --detector FILE IMAGE PREFIX [--scales LIST]
 *       reads IMAGE (PNG, JPEG or TIFF, as the command does) and writes
 *       the detector's probabilities at each --scale of LIST
 *       (comma-separated; default 1,2,4,0, 0 the automatic scale) as raw
 *       float32 maps, rows packed: PREFIX.p1, PREFIX.p2, PREFIX.p4,
 *       PREFIX.p0; prints "width height".
 *   bench-detect-maps --select WIDTH HEIGHT PROB OUT [SENSITIVITY EXTEND]
 *       the default selection (restore_detect_select() with the parameter
 *       table's defaults, or with this sensitivity and extend) of the raw
 *       map PROB, as a raw float32 map OUT.
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
run_select (int          width,
            int          height,
            const char  *in,
            const char  *out,
            char       **settings,
            GError     **error)
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
  if (settings != NULL)
    {
      options.sensitivity = g_ascii_strtod (settings[0], NULL);
      options.extend = g_ascii_strtod (settings[1], NULL);
    }
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
          const char *list,
          GError    **error)
{
  RestoreModel        *model = restore_model_load (detector, error);
  RestoreIoImage      *io;
  RestoreImage         img;
  RestoreDetectOptions options;
  float               *prob;
  gboolean             ok = TRUE;
  char               **scales;

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
  scales = g_strsplit (list, ",", -1);
  for (guint i = 0; scales[i] != NULL && ok; i++)
    {
      char *out = g_strdup_printf ("%s.p%d", prefix, atoi (scales[i]));

      options.scale = atoi (scales[i]);
      ok = restore_detect_probability (model, &img, prob, &options, error)
           && write_floats (out, prob, (gsize) img.width * img.height, error);
      g_free (out);
    }
  g_strfreev (scales);
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

  if ((argc == 6 || argc == 8) && g_str_equal (argv[1], "--select"))
    rc = run_select (atoi (argv[2]), atoi (argv[3]), argv[4], argv[5],
                     argc == 8 ? argv + 6 : NULL, &error);
  else if ((argc == 5 || (argc == 7 && g_str_equal (argv[5], "--scales")))
           && g_str_equal (argv[1], "--detector"))
    rc = run_maps (argv[2], argv[3], argv[4], argc == 7 ? argv[6] : "1,2,4,0", &error);
  else
    {
      fprintf (stderr, "usage: bench-detect-maps --detector FILE IMAGE PREFIX [--scales LIST] | "
                       "--select WIDTH HEIGHT PROB OUT [SENSITIVITY EXTEND]\n");
      return 2;
    }
  if (rc != 0)
    fprintf (stderr, "bench-detect-maps: %s\n", error ? error->message : "failed");
  g_clear_error (&error);
  return rc;
}
