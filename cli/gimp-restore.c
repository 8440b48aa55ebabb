/* gimp-restore: restore damaged photos from the command line.
 *
 *   gimp-restore [--model NAME|FILE] [--denoise X] [--sharpen X] [--grain X] [--texture X]
 *                --mask MASK INPUT OUTPUT
 *   gimp-restore --detect --mask-out MASK [--sensitivity X] [--min-size N]
 *                [--max-size N] [--grow N] [--detector NAME|FILE] INPUT
 *   gimp-restore --auto [--model ...] [--sensitivity X] ... [--mask-out MASK]
 *                INPUT OUTPUT          (detect, then restore what was found)
 *   gimp-restore --list-models
 *
 * Errors are one line on stderr, "gimp-restore: <reason>", with exit
 * status 1 (130 when interrupted).  The output is written only when the
 * whole restore succeeded.
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gi18n.h>

#include "restore-detect.h"
#include "restore-engine.h"
#include "restore-params.h"
#include "restore-registry.h"

#include "image-io.h"

#define CLI_EXIT_FAILURE   1
#define CLI_EXIT_CANCELLED 130
#define CLI_MAX_THREADS    1024

/* Set from the SIGINT/SIGTERM handler, polled by the engine and the
 * writer. */
static gint cli_cancel = 0;

/* The command offers every detection setting of the table that has a
 * field in RestoreDetectOptions (the selection operation is the
 * plug-in's). */
#define CLI_DETECT_OFFERED(id) (restore_detect_params[id].offset >= 0)

typedef struct
{
  char    *values[RESTORE_PARAM_TABLE_COUNT];  /* from the parameter table */
  char    *detect_values[RESTORE_DETECT_PARAM_COUNT];  /* by detection parameter */
  char    *mask;
  char    *mask_out;
  char    *detector;
  gboolean detect;
  gboolean automatic;
  int      threads;
  int      flips;
  gboolean list_models;
  gboolean version;
  gboolean quiet;
  char   **files;
} CliArgs;

typedef struct
{
  gboolean    shown;
  int         last_percent;
  const char *label;   /* translated; NULL for "Restoring" */
} CliProgress;

static void
cli_signal_handler (int signum)
{
  g_atomic_int_set (&cli_cancel, 1);
}

static void
cli_install_signals (void)
{
  struct sigaction action;

  memset (&action, 0, sizeof action);
  action.sa_handler = cli_signal_handler;
  sigemptyset (&action.sa_mask);
  sigaction (SIGINT, &action, NULL);
  sigaction (SIGTERM, &action, NULL);
}

/* @text with its control characters written as \xNN, so a name taken
 * from a file (a model's name, a file name) cannot break a line or send
 * a terminal escape sequence; new string. */
static char *
cli_printable (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\x%02x", c);
      else
        g_string_append_c (out, (char) c);
    }
  return g_string_free (out, FALSE);
}

/* One line on stderr; a progress line in the way is cleared first. */
static int
cli_fail (CliProgress *progress,
          int          status,
          const char  *format,
          ...) G_GNUC_PRINTF (3, 4);

static int
cli_fail (CliProgress *progress,
          int          status,
          const char  *format,
          ...)
{
  va_list args;
  char   *message;
  char   *printable;
  char   *nl;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  /* Keep it to one line whatever the message holds, and print any other
   * control character escaped. */
  while ((nl = strpbrk (message, "\r\n")) != NULL)
    *nl = ' ';
  printable = cli_printable (message);
  if (progress != NULL && progress->shown)
    fputs ("\r\033[K", stderr);
  fprintf (stderr, "gimp-restore: %s\n", printable);
  g_free (printable);
  g_free (message);
  return status;
}

/* Prints each of @warnings (image-io's: what an output is written
 * without) on a line of its own, "gimp-restore: warning: ...", as the
 * command's other warnings; --quiet, which hides the progress, keeps
 * them. */
static void
cli_warn_all (const GPtrArray *warnings)
{
  for (guint i = 0; warnings != NULL && i < warnings->len; i++)
    {
      char *line = g_strdelimit (g_strdup (g_ptr_array_index (warnings, i)), "\r\n", ' ');
      char *printable = cli_printable (line);

      fprintf (stderr, "gimp-restore: warning: %s\n", printable);
      g_free (printable);
      g_free (line);
    }
}

static void
cli_progress (double   fraction,
              gpointer user_data)
{
  CliProgress *progress = user_data;
  int          percent = (int) (CLAMP (fraction, 0.0, 1.0) * 100.0);

  if (percent == progress->last_percent)
    return;
  progress->last_percent = percent;
  progress->shown = TRUE;
  fprintf (stderr, "\r%s %3d%%", progress->label ? progress->label : _("Restoring"),
           percent);
  fflush (stderr);
}

static char *
cli_exe_dir (void)
{
  char *exe = g_file_read_link ("/proc/self/exe", NULL);
  char *dir;

  if (exe == NULL)
    return NULL;
  dir = g_path_get_dirname (exe);
  g_free (exe);
  return dir;
}

static RestoreRegistry *
cli_registry_new (void)
{
  char            *exe_dir = cli_exe_dir ();
  char           **dirs = restore_registry_default_dirs (exe_dir,
                                                       g_getenv (RESTORE_MODEL_PATH_ENV));
  RestoreRegistry *registry = restore_registry_new ((const char *const *) dirs);

  g_strfreev (dirs);
  g_free (exe_dir);
  return registry;
}

static int
cli_list_models (void)
{
  RestoreRegistry *registry = cli_registry_new ();
  int              n = restore_registry_count (registry);
  int              width = (int) strlen ("auto");
  char           **names = g_new0 (char *, n + 1);

  /* names and descriptions come from the model files: escaped */
  for (int i = 0; i < n; i++)
    {
      names[i] = cli_printable (restore_registry_get (registry, i)->name);
      width = MAX (width, (int) strlen (names[i]));
    }
  printf ("%-*s  %s\n", width, "auto", _("Automatic: picks a model per damaged region"));
  for (int i = 0; i < n; i++)
    {
      const RestoreModelInfo *info = restore_registry_get (registry, i);
      char                   *desc = cli_printable (info->description ? info->description : "");

      printf ("%-*s  %s\n", width, names[i], desc);
      g_free (desc);
    }
  g_strfreev (names);
  restore_registry_free (registry);
  if (fflush (stdout) != 0)
    return cli_fail (NULL, CLI_EXIT_FAILURE, "cannot write the list: %s",
                     g_strerror (errno));
  return EXIT_SUCCESS;
}

/* The options of @table (@n entries) given on the command line (@values:
 * the text of each, NULL where not given) into the fields of @options
 * (whose defaults are set), each checked against its range in the table. */
static gboolean
cli_table_options (const RestoreParamSpec *table,
                   int                     n,
                   char *const            *values,
                   gpointer                options,
                   GError                **error)
{
  for (int id = 0; id < n; id++)
    {
      const RestoreParamSpec *spec = &table[id];
      const char             *text = values[id];
      char                   *end = NULL;
      double                  v;

      if (spec->offset < 0 || text == NULL)
        continue;
      v = g_ascii_strtod (text, &end);
      if (text[0] == '\0' || end == NULL || *end != '\0')
        {
          g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                       "--%s needs a %s between %g and %g, got '%s'", spec->name,
                       spec->type == RESTORE_PARAM_TYPE_INT ? "whole number" : "number",
                       spec->min, spec->max, text);
          return FALSE;
        }
      if (! restore_param_set (spec, options, v, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
cli_detect_options (const CliArgs        *args,
                    RestoreDetectOptions *options,
                    GError              **error)
{
  restore_detect_options_init (options);
  return cli_table_options (restore_detect_params, RESTORE_DETECT_PARAM_COUNT,
                            args->detect_values, options, error)
         && restore_detect_options_check (options, error);
}

static char *
cli_arg_description (const RestoreParamSpec *spec)
{
  int one, def_digits;

  if (spec->type == RESTORE_PARAM_TYPE_INT)
    return g_strdup_printf ("%d..%d (%d)", (int) spec->min, (int) spec->max, (int) spec->def);
  one = spec->digits > 0 ? 1 : 0;
  /* the default with all its digits when one decimal would hide it (0.02) */
  def_digits = fabs (spec->def * 10 - round (spec->def * 10)) > 1e-9 ? spec->digits : one;
  return g_strdup_printf ("%.*f..%.*f (%.*f)", one, spec->min, one, spec->max,
                          def_digits, spec->def);
}

static GOptionEntry *
cli_option_entries (CliArgs *args)
{
  GPtrArray *entries = g_ptr_array_new ();
  GOptionEntry fixed[] = {
    { "mask", 0, 0, G_OPTION_ARG_FILENAME, &args->mask,
      N_("Mask image, same size as INPUT: white = damaged, black = keep"), N_("MASK") },
    { "detect", 0, 0, G_OPTION_ARG_NONE, &args->detect,
      N_("Find the damage in INPUT and write it to --mask-out (no OUTPUT)"), NULL },
    { "auto", 0, 0, G_OPTION_ARG_NONE, &args->automatic,
      N_("Find the damage, then restore it (no --mask)"), NULL },
    { "mask-out", 0, 0, G_OPTION_ARG_FILENAME, &args->mask_out,
      N_("Write the detected damage as an 8-bit gray image (white = damaged)"), N_("MASK") },
    { "detector", 0, 0, G_OPTION_ARG_FILENAME, &args->detector,
      N_("Damage detector to use (default: the installed one)"), N_("NAME|FILE") },
    { "threads", 0, 0, G_OPTION_ARG_INT, &args->threads,
      N_("Threads to use (default 0 = all cores)"), N_("N") },
    { "flips", 0, 0, G_OPTION_ARG_INT, &args->flips,
      N_("Average the restoration and the detection over N mirror images, 1, 2 "
         "or 4 (default 0 = as many as the model asks for; 1 is fastest)"), N_("N") },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &args->quiet,
      N_("Do not show progress"), NULL },
    { "list-models", 0, 0, G_OPTION_ARG_NONE, &args->list_models,
      N_("List the installed models and exit"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &args->version,
      N_("Show the version and exit"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args->files,
      NULL, N_("INPUT OUTPUT") },
  };
  GOptionEntry *out;
  int           n;

  /* The settings come from the one parameter table. */
  for (int id = 0; id < RESTORE_PARAM_TABLE_COUNT; id++)
    {
      const RestoreParamSpec *spec = &restore_params[id];
      GOptionEntry           *e = g_new0 (GOptionEntry, 1);

      e->long_name = spec->name;
      e->arg = G_OPTION_ARG_STRING;
      e->arg_data = &args->values[id];
      e->description = spec->blurb;
      if (spec->type == RESTORE_PARAM_TYPE_DOUBLE)
        e->arg_description = cli_arg_description (spec);
      else
        e->arg_description = g_strdup ("NAME|FILE");
      g_ptr_array_add (entries, e);
    }
  for (int id = 0; id < RESTORE_DETECT_PARAM_COUNT; id++)
    {
      const RestoreParamSpec *spec = &restore_detect_params[id];
      GOptionEntry           *e;

      if (! CLI_DETECT_OFFERED (id))
        continue;
      e = g_new0 (GOptionEntry, 1);

      e->long_name = spec->name;
      e->arg = G_OPTION_ARG_STRING;
      e->arg_data = &args->detect_values[id];
      e->description = spec->blurb;
      e->arg_description = cli_arg_description (spec);
      g_ptr_array_add (entries, e);
    }
  n = (int) entries->len;
  out = g_new0 (GOptionEntry, n + G_N_ELEMENTS (fixed) + 1);
  for (int i = 0; i < n; i++)
    {
      out[i] = *(GOptionEntry *) g_ptr_array_index (entries, i);
      g_free (g_ptr_array_index (entries, i));
    }
  memcpy (out + n, fixed, sizeof fixed);
  g_ptr_array_free (entries, TRUE);
  return out;
}

/* Frees what cli_option_entries() made: the table's entries come first,
 * each with its own arg_description. */
static void
cli_option_entries_free (GOptionEntry *entries)
{
  int n = RESTORE_PARAM_TABLE_COUNT;

  for (int id = 0; id < RESTORE_DETECT_PARAM_COUNT; id++)
    n += CLI_DETECT_OFFERED (id);
  for (int i = 0; i < n; i++)
    g_free ((char *) entries[i].arg_description);
  g_free (entries);
}

/* Runs the detector on @image into a new [height, width] mask; sets
 * *@n_regions. */
static float *
cli_detect (const CliArgs         *args,
            const RestoreIoImage  *image,
            RestoreRegistry       *registry,
            RestoreDetectOptions  *options,
            int                   *n_regions,
            GError               **error)
{
  RestoreModel *detector;
  RestoreImage  src = { image->data, image->width, image->height, image->channels,
                        (gsize) image->width * image->channels };
  float        *mask;

  detector = restore_registry_load_detector (registry, args->detector, error);
  if (detector == NULL)
    return NULL;
  mask = g_try_new (float, (gsize) image->width * image->height);
  if (mask == NULL)
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "not enough memory for a %dx%d mask", image->width, image->height);
      restore_model_free (detector);
      return NULL;
    }
  *n_regions = restore_detect_run (detector, &src, mask, options, error);
  restore_model_free (detector);
  if (*n_regions < 0)
    {
      g_free (mask);
      return NULL;
    }
  return mask;
}

/* The mask of @image as an 8-bit gray image, white = damaged, with
 * @image's resolution, orientation and EXIF (RESTORE_IO_META_LAYOUT), so
 * it lines up with @image in other programs. */
static RestoreIoImage *
cli_mask_image (const float           *mask,
                const RestoreIoImage  *image,
                GError               **error)
{
  int             width = image->width, height = image->height;
  RestoreIoImage *out = restore_io_image_new (width, height, 1, 8);

  if (out == NULL)
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "not enough memory for a %dx%d mask", width, height);
      return NULL;
    }
  /* the writer rounds to 8 bits */
  memcpy (out->data, mask, (gsize) width * height * sizeof (float));
  restore_io_image_copy_meta (out, image, RESTORE_IO_META_LAYOUT);
  return out;
}

/* Writes the mask to @path as cli_mask_image() makes it; what it is
 * written without goes to @warnings. */
static gboolean
cli_save_mask (const float           *mask,
               const RestoreIoImage  *image,
               const char            *path,
               GPtrArray             *warnings,
               GError               **error)
{
  RestoreIoImage *out = cli_mask_image (mask, image, error);
  gboolean        ok;

  if (out == NULL)
    return FALSE;
  ok = restore_io_image_save (out, path, &cli_cancel, warnings, error);
  restore_io_image_free (out);
  return ok;
}

/* The files of a run checked against each other and for writing before
 * anything is read: no output may be a file the run reads (a hard or
 * symbolic link, or another spelling of its name, included) or the other
 * output, and each output must be writable (restore_io_check_output()).
 * The files are only named here; the alpha channel is checked against
 * the output format once the input is read. */
static gboolean
cli_check_files (const CliArgs *args,
                 GError       **error)
{
  const char *input = args->files[0];
  const char *output = args->detect ? NULL : args->files[1];

  if (output != NULL && restore_io_same_file (output, input))
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "OUTPUT '%s' is the INPUT file '%s'; the original would be "
                   "overwritten: choose another OUTPUT name", output, input);
      return FALSE;
    }
  if (output != NULL && args->mask != NULL && restore_io_same_file (output, args->mask))
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "OUTPUT '%s' is the MASK file '%s'; the mask would be "
                   "overwritten: choose another OUTPUT name", output, args->mask);
      return FALSE;
    }
  if (args->mask_out != NULL && restore_io_same_file (args->mask_out, input))
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "--mask-out '%s' is the INPUT file '%s'; the original would be "
                   "overwritten: choose another --mask-out name", args->mask_out, input);
      return FALSE;
    }
  if (args->mask_out != NULL && output != NULL
      && restore_io_same_file (args->mask_out, output))
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "--mask-out '%s' is OUTPUT '%s'; the mask would replace the "
                   "restoration: give them different names", args->mask_out, output);
      return FALSE;
    }
  return (output == NULL || restore_io_check_output (output, 0, error))
         && (args->mask_out == NULL || restore_io_check_output (args->mask_out, 1, error));
}

static int
cli_restore (const CliArgs *args)
{
  const char          *input = args->files[0];
  const char          *output = args->detect ? NULL : args->files[1];
  const char          *model_name = args->values[RESTORE_PARAM_MODEL];
  gboolean             detect = args->detect || args->automatic;
  RestoreIoImage      *image = NULL;
  RestoreIoImage      *mask_image = NULL;
  RestoreIoImage      *result = NULL;
  float               *mask = NULL;
  RestoreRegistry     *registry = NULL;
  RestoreModel       **models = NULL;
  int                  n_models = 0, n_regions = -1;
  RestoreOptions       options;
  RestoreDetectOptions detect_options;
  CliProgress          progress = { FALSE, -1, NULL };
  GPtrArray           *warnings = g_ptr_array_new_with_free_func (g_free);
  GError              *error = NULL;
  int                  status = EXIT_SUCCESS;

  restore_options_init (&options);
  if (!cli_table_options (restore_params, RESTORE_PARAM_TABLE_COUNT, args->values, &options,
                          &error)
      || !cli_detect_options (args, &detect_options, &error))
    goto fail;
  if (args->threads < 0 || args->threads > CLI_MAX_THREADS)
    {
      g_set_error (&error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "--threads must be between 0 and %d, got %d",
                   CLI_MAX_THREADS, args->threads);
      goto fail;
    }
  options.n_threads = detect_options.n_threads = args->threads;
  restore_io_set_threads (args->threads);
  options.flips = detect_options.flips = args->flips;
  options.cancel = detect_options.cancel = &cli_cancel;
  if (!args->quiet && isatty (STDERR_FILENO))
    {
      options.progress = detect_options.progress = cli_progress;
      options.progress_data = detect_options.progress_data = &progress;
    }

  /* Everything that can be checked cheaply is checked before the work. */
  if (model_name != NULL && strcmp (model_name, "auto") == 0)
    model_name = "";
  if (!cli_check_files (args, &error))
    goto fail;
  restore_phase_time (NULL);
  image = restore_io_image_load (input, &error);
  if (image == NULL)
    goto fail;
  restore_phase_time ("read image");
  if (image->n_pages > 1)
    {
      RestoreIoFormat format = RESTORE_IO_FORMAT_PNG;

      /* A TIFF output keeps the other pages as they are, after the first
       * one restored; any other output (a --detect mask too) holds the
       * first page only, which is said, though not an error: the first
       * page is what a viewer shows */
      if (output != NULL)
        restore_io_format_from_name (output, &format, NULL);
      if (output == NULL || format != RESTORE_IO_FORMAT_TIFF)
        {
          char *name = cli_printable (input);

          fprintf (stderr, ngettext ("gimp-restore: warning: '%s' has %d page; only the first "
                                     "is read, and the output holds only that one\n",
                                     "gimp-restore: warning: '%s' has %d pages; only the first "
                                     "is read, and the output holds only that one\n",
                                     image->n_pages), name, image->n_pages);
          g_free (name);
        }
    }
  /* what reading left out, which the output will lack (a --detect mask
   * holds no more than the layout anyway) */
  if (output != NULL)
    cli_warn_all (image->warnings);
  if (output != NULL && !restore_io_check_output (output, image->channels, &error))
    goto fail;
  if (!detect)
    {
      mask_image = restore_io_mask_load (args->mask, image->width, image->height, &error);
      if (mask_image == NULL)
        goto fail;
      mask = restore_io_mask_from_image (mask_image, image->width, image->height, &error);
      if (mask == NULL)
        goto fail;
      g_clear_pointer (&mask_image, restore_io_image_free);
      restore_phase_time ("read mask");
    }

  registry = cli_registry_new ();
  if (!args->detect)
    {
      /* the models first: a bad --model fails before the detector runs */
      n_models = restore_registry_load (registry, model_name, &models, &error);
      if (n_models == 0)
        goto fail;
      restore_phase_time ("load models");
    }
  if (detect)
    {
      progress.label = _("Detecting");
      mask = cli_detect (args, image, registry, &detect_options, &n_regions, &error);
      if (mask == NULL)
        goto fail;
      restore_phase_time ("detect");
      if (progress.shown)
        fputs ("\r\033[K", stderr);
      progress.shown = FALSE;
      progress.last_percent = -1;
      progress.label = NULL;
      if (args->detect
          && !cli_save_mask (mask, image, args->mask_out, warnings, &error))
        goto fail;
      if (!args->quiet)
        {
          char *name = cli_printable (input);

          fprintf (stderr, ngettext ("%s: %d damaged region found\n",
                                     "%s: %d damaged regions found\n", n_regions),
                   name, n_regions);
          g_free (name);
        }
    }
  if (args->detect)
    goto done;

  result = restore_io_image_new (image->width, image->height, image->channels,
                                 image->bit_depth);
  if (result == NULL)
    {
      g_set_error (&error, RESTORE_ERROR, RESTORE_ERROR_INVALID,
                   "not enough memory for a %dx%d result", image->width, image->height);
      goto fail;
    }
  /* the scan comes back as it went in: resolution, profile, EXIF, a
   * TIFF's further pages (see image-io.h) */
  restore_io_image_copy_meta (result, image, RESTORE_IO_META_ALL);
  if (n_regions == 0)
    {
      /* --auto on an undamaged photo: the output is the input, unchanged */
      memcpy (result->data, image->data,
              (gsize) image->width * image->height * image->channels * sizeof (float));
    }
  else
    {
      RestoreImage src = { image->data, image->width, image->height, image->channels,
                           (gsize) image->width * image->channels };
      RestoreImage dst = { result->data, result->width, result->height, result->channels,
                           (gsize) result->width * result->channels };
      RestoreMask  m = { mask, image->width, image->height, image->width };

      if (!restore_run ((RestoreModel *const *) models, n_models, &src, &m, &dst,
                        &options, &error))
        goto fail;
    }
  restore_phase_time ("restore");
  if (progress.shown)
    fputs ("\r\033[K", stderr);
  progress.shown = FALSE;
  if (args->mask_out == NULL)
    {
      if (!restore_io_image_save (result, output, &cli_cancel, warnings, &error))
        goto fail;
    }
  else
    {
      /* --auto --mask-out: the restoration and the selection it restored,
       * both or neither */
      RestoreIoImage *sel = cli_mask_image (mask, image, &error);
      const RestoreIoImage *images[2] = { result, sel };
      const char           *paths[2] = { output, args->mask_out };
      gboolean              saved;

      if (sel == NULL)
        goto fail;
      saved = restore_io_image_save_all (images, paths, 2, &cli_cancel, warnings, &error);
      restore_io_image_free (sel);
      if (!saved)
        goto fail;
    }
  restore_phase_time ("write");
  goto done;

fail:
  if (g_atomic_int_get (&cli_cancel))
    status = cli_fail (&progress, CLI_EXIT_CANCELLED, "cancelled");
  else if (g_error_matches (error, RESTORE_ERROR, RESTORE_ERROR_EMPTY_MASK))
    status = cli_fail (&progress, CLI_EXIT_FAILURE,
                       "mask '%s' is empty: paint the damage white", args->mask);
  else
    status = cli_fail (&progress, CLI_EXIT_FAILURE, "%s",
                       error ? error->message : "unknown error");

done:
  if (status == EXIT_SUCCESS)
    cli_warn_all (warnings);
  g_ptr_array_unref (warnings);
  g_clear_error (&error);
  for (int i = 0; i < n_models; i++)
    restore_model_free (models[i]);
  g_free (models);
  if (registry != NULL)
    restore_registry_free (registry);
  g_free (mask);
  restore_io_image_free (mask_image);
  restore_io_image_free (image);
  restore_io_image_free (result);
  return status;
}

int
main (int    argc,
      char **argv)
{
  CliArgs         args = { { NULL } };
  GOptionContext *context;
  GOptionEntry   *entries;
  GError         *error = NULL;
  int             status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("gimp-restore");
  cli_install_signals ();

  entries = cli_option_entries (&args);
  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
    _("Restores the damaged areas of a photo that MASK marks (scratches, dust,\n"
      "tears) and writes the result to OUTPUT (.png, .jpg or .tif).\n"
      "\n"
      "  gimp-restore [--model NAME|FILE] [--denoise X] [--sharpen X] [--grain X] [--texture X]\n"
      "               --mask MASK INPUT OUTPUT\n"
      "  gimp-restore --detect --mask-out MASK [--sensitivity X] INPUT\n"
      "  gimp-restore --auto [--model NAME|FILE] [--sensitivity X] INPUT OUTPUT\n"
      "  gimp-restore --list-models"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    status = cli_fail (NULL, CLI_EXIT_FAILURE, "%s (see --help)", error->message);
  else if (args.version)
    {
      printf ("gimp-restore %s\n", RESTORE_VERSION);
      status = EXIT_SUCCESS;
    }
  else if (args.list_models)
    status = cli_list_models ();
  else if (args.detect && args.automatic)
    status = cli_fail (NULL, CLI_EXIT_FAILURE, "--detect and --auto exclude each other (see --help)");
  else if ((args.detect || args.automatic) && args.mask != NULL)
    status = cli_fail (NULL, CLI_EXIT_FAILURE, "--%s finds the damage itself: leave out --mask",
                       args.detect ? "detect" : "auto");
  else if (args.detect && args.mask_out == NULL)
    status = cli_fail (NULL, CLI_EXIT_FAILURE, "--detect needs --mask-out MASK (see --help)");
  else if (args.detect && (args.files == NULL || g_strv_length (args.files) != 1))
    status = cli_fail (NULL, CLI_EXIT_FAILURE,
                       "--detect expects INPUT only, got %u file names (see --help)",
                       args.files ? g_strv_length (args.files) : 0);
  else if (!args.detect && !args.automatic && args.mask_out != NULL)
    status = cli_fail (NULL, CLI_EXIT_FAILURE, "--mask-out goes with --detect or --auto (see --help)");
  else if (args.detect)
    status = cli_restore (&args);
  else if (args.files == NULL || g_strv_length (args.files) != 2)
    status = cli_fail (NULL, CLI_EXIT_FAILURE,
                       "expected INPUT and OUTPUT, got %u file name%s (see --help)",
                       args.files ? g_strv_length (args.files) : 0,
                       args.files && g_strv_length (args.files) == 1 ? "" : "s");
  else if (args.mask == NULL && !args.automatic)
    status = cli_fail (NULL, CLI_EXIT_FAILURE, "--mask MASK is required (see --help)");
  else
    status = cli_restore (&args);

  g_clear_error (&error);
  g_option_context_free (context);
  cli_option_entries_free (entries);
  for (int i = 0; i < RESTORE_PARAM_TABLE_COUNT; i++)
    g_free (args.values[i]);
  for (guint i = 0; i < RESTORE_DETECT_PARAM_COUNT; i++)
    g_free (args.detect_values[i]);
  g_free (args.mask);
  g_free (args.mask_out);
  g_free (args.detector);
  g_strfreev (args.files);
  return status;
}
