/* gimp-restore: tests of the gimp-restore command and its image files.
 *
 * The command is run as a child process (its path is compiled in as
 * GIMP_RESTORE_EXE) on crops of the bundled sample (data/), converted to
 * every supported layout with the command's own writer and read back with
 * its own reader.  Models come from the source tree's weights/ folder, as
 * for any uninstalled run.
 */
#include "config.h"

#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "image-io.h"
#include "image-png-idat.h"

#define CROP_W 160
#define CROP_H 120

/* Top-left corner of the crop of the sample used as test input: the
 * first window with some damage, but not mostly damage (found once). */
static int crop_x = -1;
static int crop_y = -1;

typedef struct
{
  char *dir;      /* a fresh temporary folder */
  char *mask;     /* crop of the sample mask, 8-bit gray PNG */
} Fixture;

typedef struct
{
  const char *name;
  const char *input_name;  /* the input file's name (its format) */
  const char *output_name; /* the output file's name (its format) */
  int         channels;
  int         bit_depth;
  gboolean    exact;       /* unmasked output equals the input */
} LayoutCase;

typedef struct
{
  int   status;  /* exit status, or -1 when killed by a signal */
  char *out;
  char *err;
} RunResult;

static void
run_result_clear (RunResult *r)
{
  g_free (r->out);
  g_free (r->err);
}

static char *
sample_path (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "..", "data", name, NULL);
}

/* Runs the command with the arguments in @argv (GIMP_RESTORE_EXE is
 * put in front; the array is consumed) and waits for it. */
static RunResult
run_argv (GPtrArray *argv)
{
  RunResult   r = { 0 };
  GError     *error = NULL;
  int         wait_status = 0;

  g_ptr_array_insert (argv, 0, (gpointer) GIMP_RESTORE_EXE);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &r.out, &r.err, &wait_status, &error);
  g_assert_no_error (error);
  if (WIFEXITED (wait_status))
    r.status = WEXITSTATUS (wait_status);
  else
    r.status = -1;
  g_ptr_array_free (argv, TRUE);
  return r;
}

static void
add_args (GPtrArray  *argv,
          const char *first,
          va_list     ap)
{
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) a);
}

/* Runs the command with @args (NULL-terminated) and waits for it. */
static RunResult
run_command (const char *first, ...)
{
  GPtrArray *argv = g_ptr_array_new ();
  va_list    ap;

  va_start (ap, first);
  add_args (argv, first, ap);
  va_end (ap);
  return run_argv (argv);
}

/* Exactly one line "gimp-restore: <reason>\n" on stderr. */
static void
assert_one_error_line (const RunResult *r)
{
  const char *nl;

  g_assert_cmpint (r->status, >, 0);
  g_assert_true (g_str_has_prefix (r->err, "gimp-restore: "));
  g_assert_cmpuint (strlen (r->err), >, strlen ("gimp-restore: ") + 3);
  nl = strchr (r->err, '\n');
  g_assert_nonnull (nl);
  g_assert_cmpstr (nl, ==, "\n");
  g_assert_cmpstr (r->out, ==, "");
}

/* No file in @dir other than those named in @keep (NULL-terminated). */
static void
assert_dir_holds_only (const char *dir,
                       const char *const *keep)
{
  GDir       *d = g_dir_open (dir, 0, NULL);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      if (!g_strv_contains (keep, name))
        g_error ("unexpected file '%s' left in %s", name, dir);
    }
  g_dir_close (d);
}

static RestoreIoImage *
load_or_die (const char *path)
{
  GError         *error = NULL;
  RestoreIoImage *image = restore_io_image_load (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (image);
  return image;
}

static void
save_or_die (const RestoreIoImage *image,
             const char           *path)
{
  GError *error = NULL;

  restore_io_image_save (image, path, NULL, NULL, &error);
  g_assert_no_error (error);
}

/* A crop of the sample converted to @channels and @bit_depth.  Gray is
 * the rounded luminance; alpha a pattern; 16-bit samples get low bits of
 * their own so that 8-bit rounding anywhere would show; 32-bit (float)
 * samples hold the 8-bit values. */
static void
find_crop (const RestoreIoImage *mask)
{
  if (crop_x >= 0)
    return;
  for (int y0 = 0; y0 + CROP_H <= mask->height; y0 += 20)
    for (int x0 = 0; x0 + CROP_W <= mask->width; x0 += 20)
      {
        int masked = 0;

        for (int y = y0; y < y0 + CROP_H; y++)
          for (int x = x0; x < x0 + CROP_W; x++)
            masked += mask->data[((gsize) y * mask->width + x) * mask->channels] > 0.5f;
        if (masked > 400 && masked < CROP_W * CROP_H / 8)
          {
            crop_x = x0;
            crop_y = y0;
            return;
          }
      }
  g_error ("no window of the sample mask holds a little damage");
}

static RestoreIoImage *
make_input (int channels,
            int bit_depth)
{
  char           *path = sample_path ("sample-damaged.png");
  RestoreIoImage *sample = load_or_die (path);
  RestoreIoImage *img = restore_io_image_new (CROP_W, CROP_H, channels, bit_depth);
  double          maxv = bit_depth == 16 ? 65535.0 : 255.0;

  g_assert_cmpint (sample->channels, ==, 3);
  for (int y = 0; y < CROP_H; y++)
    for (int x = 0; x < CROP_W; x++)
      {
        const float *s = sample->data + (((gsize) (y + crop_y) * sample->width) + x + crop_x) * 3;
        float       *d = img->data + ((gsize) y * CROP_W + x) * channels;
        int          colour = channels >= 3 ? 3 : 1;

        for (int c = 0; c < colour; c++)
          {
            double v8 = colour == 3 ? s[c] * 255.0
                        : 0.299 * s[0] * 255.0 + 0.587 * s[1] * 255.0 + 0.114 * s[2] * 255.0;
            double v = bit_depth == 16
                       ? CLAMP (round (v8) * 257.0 + ((x * 31 + y * 17 + c * 7) % 200) - 100, 0, 65535)
                       : round (v8);

            d[c] = (float) (v / maxv);
          }
        if (channels == 2 || channels == 4)
          d[channels - 1] = (float) (bit_depth == 16
                                     ? (double) ((x * 911 + y * 357) % 65536) / 65535.0
                                     : (double) ((x * 7 + y * 3) % 256) / 255.0);
      }
  restore_io_image_free (sample);
  g_free (path);
  return img;
}

static void
fixture_set_up (Fixture      *f,
                gconstpointer data)
{
  GError         *error = NULL;
  char           *path = sample_path ("sample-mask.png");
  RestoreIoImage *full = load_or_die (path);
  RestoreIoImage *crop = restore_io_image_new (CROP_W, CROP_H, 1, 8);
  int             masked = 0;

  find_crop (full);
  f->dir = g_dir_make_tmp ("test-cli-XXXXXX", &error);
  g_assert_no_error (error);
  for (int y = 0; y < CROP_H; y++)
    for (int x = 0; x < CROP_W; x++)
      {
        float v = full->data[((gsize) (y + crop_y) * full->width + x + crop_x) * full->channels];

        crop->data[y * CROP_W + x] = v;
        masked += v > 0.5f;
      }
  /* The crop must hold damage to restore, but not only damage. */
  g_assert_cmpint (masked, >, 400);
  g_assert_cmpint (masked, <, CROP_W * CROP_H / 8);
  f->mask = g_build_filename (f->dir, "mask.png", NULL);
  save_or_die (crop, f->mask);
  restore_io_image_free (crop);
  restore_io_image_free (full);
  g_free (path);
}

static void
fixture_tear_down (Fixture      *f,
                   gconstpointer data)
{
  GDir       *d = g_dir_open (f->dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      char *p = g_build_filename (f->dir, name, NULL);

      g_unlink (p);
      g_free (p);
    }
  if (d != NULL)
    g_dir_close (d);
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->mask);
}

/* ------------------------------------------------------------ commands */

static void
test_list_models (void)
{
  RunResult r = run_command ("--list-models", NULL);
  char    **lines;
  guint     n;

  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.err, ==, "");
  lines = g_strsplit (g_strchomp (r.out), "\n", -1);
  n = g_strv_length (lines);
  /* "auto" first, then at least one installed model. */
  g_assert_cmpuint (n, >=, 2);
  g_assert_true (g_str_has_prefix (lines[0], "auto "));
  for (guint i = 1; i < n; i++)
    {
      char **tok = g_strsplit_set (lines[i], " ", 2);

      g_assert_cmpuint (strlen (tok[0]), >, 0);
      g_assert_nonnull (tok[1]);
      g_strfreev (tok);
    }
  g_strfreev (lines);
  run_result_clear (&r);
}

static void
test_version_help (void)
{
  RunResult r = run_command ("--version", NULL);

  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "gimp-restore " RESTORE_VERSION "\n");
  run_result_clear (&r);

  r = run_command ("--help", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "--denoise"));
  g_assert_nonnull (strstr (r.out, "--sharpen"));
  g_assert_nonnull (strstr (r.out, "--model"));
  g_assert_nonnull (strstr (r.out, "--mask"));
  g_assert_nonnull (strstr (r.out, "--list-models"));
  g_assert_nonnull (strstr (r.out, "--detect"));
  g_assert_nonnull (strstr (r.out, "--auto"));
  g_assert_nonnull (strstr (r.out, "--sensitivity"));
  g_assert_nonnull (strstr (r.out, "--mask-out"));
  run_result_clear (&r);
}

/* Restores an image of one layout and checks the output file: same
 * size, channels and depth; unmasked pixels equal to the input file's;
 * most fully masked pixels changed. */
static void
test_restore_layout (Fixture      *f,
                     gconstpointer data)
{
  const LayoutCase *lc = data;
  RestoreIoImage   *made = make_input (lc->channels, lc->bit_depth);
  char             *input = g_build_filename (f->dir, lc->input_name, NULL);
  char             *output = g_build_filename (f->dir, lc->output_name, NULL);
  RestoreIoImage   *in, *out, *mask_img;
  float            *mask;
  GError           *error = NULL;
  RunResult         r;
  gsize             n_masked = 0, n_changed = 0, n_unmasked = 0;
  int               out_depth;

  save_or_die (made, input);
  restore_io_image_free (made);
  in = load_or_die (input);
  g_assert_cmpint (in->channels, ==, lc->channels);

  r = run_command ("--quiet", "--threads", "2", "--mask", f->mask, input, output, NULL);
  if (r.status != 0)
    g_printerr ("%s", r.err);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.err, ==, "");
  run_result_clear (&r);

  out = load_or_die (output);
  mask_img = load_or_die (f->mask);
  mask = restore_io_mask_from_image (mask_img, in->width, in->height, &error);
  g_assert_no_error (error);

  g_assert_cmpint (in->bit_depth, ==, lc->bit_depth);
  out_depth = g_str_has_suffix (lc->output_name, ".jpg") ? 8 : in->bit_depth;
  g_assert_cmpint (out->width, ==, in->width);
  g_assert_cmpint (out->height, ==, in->height);
  g_assert_cmpint (out->channels, ==, in->channels);
  g_assert_cmpint (out->bit_depth, ==, out_depth);

  for (gsize i = 0; i < (gsize) in->width * in->height; i++)
    {
      const float *a = in->data + i * in->channels;
      const float *b = out->data + i * in->channels;
      gboolean     same = memcmp (a, b, in->channels * sizeof (float)) == 0;

      if (mask[i] == 0.0f)
        {
          n_unmasked++;
          if (lc->exact && !same)
            g_error ("unmasked pixel %" G_GSIZE_FORMAT " changed: %g -> %g",
                     i, a[0], b[0]);
        }
      else if (mask[i] == 1.0f)
        {
          n_masked++;
          n_changed += !same;
        }
    }
  g_assert_cmpuint (n_unmasked, >, 0);
  g_assert_cmpuint (n_masked, >, 100);
  g_assert_cmpuint (n_changed * 2, >, n_masked);

  g_free (mask);
  restore_io_image_free (mask_img);
  restore_io_image_free (in);
  restore_io_image_free (out);
  g_free (input);
  g_free (output);
}

/* ----------------------------------------------------------- failures */

typedef enum
{
  BAD_MISSING_INPUT,
  BAD_MISSING_MASK,
  BAD_MASK_SIZE,
  BAD_CORRUPT_PNG,
  BAD_TRUNCATED_PNG,
  BAD_TRUNCATED_JPEG,
  BAD_NOT_AN_IMAGE,
  BAD_CORRUPT_MASK,
  BAD_UNKNOWN_MODEL,
  BAD_CORRUPT_MODEL,
  BAD_MISSING_MODEL_FILE,
  BAD_DENOISE_HIGH,
  BAD_DENOISE_NEGATIVE,
  BAD_DENOISE_TEXT,
  BAD_SHARPEN_HIGH,
  BAD_THREADS,
  BAD_NO_FOLDER,
  BAD_EXTENSION,
  BAD_JPEG_ALPHA,
  BAD_NO_MASK_OPTION,
  BAD_ONE_FILE,
  BAD_EMPTY_MASK,
  BAD_COUNT
} BadCase;

static const char *const bad_names[BAD_COUNT] = {
  "missing-input", "missing-mask", "mask-size", "corrupt-png", "truncated-png",
  "truncated-jpeg", "not-an-image", "corrupt-mask", "unknown-model", "corrupt-model",
  "missing-model-file", "denoise-1.5", "denoise-negative", "denoise-text",
  "sharpen-2", "threads-negative", "no-folder", "extension", "jpeg-alpha",
  "no-mask-option", "one-file", "empty-mask",
};

G_STATIC_ASSERT (G_N_ELEMENTS (bad_names) == BAD_COUNT);

static void
write_bytes (const char *path,
             const void *data,
             gsize       size)
{
  GError *error = NULL;

  g_file_set_contents (path, data, size, &error);
  g_assert_no_error (error);
}

/* Writes the first @keep bytes of @src to @dst. */
static void
truncate_copy (const char *src,
               const char *dst,
               double      keep)
{
  char  *contents;
  gsize  size;
  GError *error = NULL;

  g_file_get_contents (src, &contents, &size, &error);
  g_assert_no_error (error);
  write_bytes (dst, contents, (gsize) (size * keep));
  g_free (contents);
}

static void
test_bad_input (Fixture      *f,
                gconstpointer data)
{
  BadCase         bc = GPOINTER_TO_INT (data);
  char           *good = g_build_filename (f->dir, "in.png", NULL);
  char           *bad = NULL;
  char           *output = g_build_filename (f->dir, "out.png", NULL);
  const char     *keep[8] = { "mask.png", "in.png", NULL };
  const char     *input = good, *mask = f->mask;
  const char     *opt = "--denoise", *val = "0.5";
  const char     *out_arg = output;
  RestoreIoImage *img = make_input (3, 8);
  RunResult       r = { 0 };

  save_or_die (img, good);
  switch (bc)
    {
    case BAD_MISSING_INPUT:
      input = "/nonexistent/in.png";
      break;
    case BAD_MISSING_MASK:
      mask = "/nonexistent/mask.png";
      break;
    case BAD_MASK_SIZE:
      {
        RestoreIoImage *small = restore_io_image_new (CROP_W - 1, CROP_H, 1, 8);

        bad = g_build_filename (f->dir, "small.png", NULL);
        keep[2] = "small.png";
        small->data[0] = 1.0f;
        save_or_die (small, bad);
        restore_io_image_free (small);
        mask = bad;
      }
      break;
    case BAD_CORRUPT_PNG:
      {
        char *contents;
        gsize size;

        /* A valid header with garbage in the image data. */
        g_assert_true (g_file_get_contents (good, &contents, &size, NULL));
        for (gsize i = size / 3; i < size - 16; i++)
          contents[i] = (char) (i * 131 + 7);
        bad = g_build_filename (f->dir, "corrupt.png", NULL);
        keep[2] = "corrupt.png";
        write_bytes (bad, contents, size);
        g_free (contents);
        input = bad;
      }
      break;
    case BAD_TRUNCATED_PNG:
      bad = g_build_filename (f->dir, "cut.png", NULL);
      keep[2] = "cut.png";
      truncate_copy (good, bad, 0.5);
      input = bad;
      break;
    case BAD_TRUNCATED_JPEG:
      {
        char *jpg = g_build_filename (f->dir, "in.jpg", NULL);

        save_or_die (img, jpg);
        bad = g_build_filename (f->dir, "cut.jpg", NULL);
        keep[2] = "cut.jpg";
        keep[3] = "in.jpg";
        truncate_copy (jpg, bad, 0.5);
        g_free (jpg);
        input = bad;
      }
      break;
    case BAD_NOT_AN_IMAGE:
      bad = g_build_filename (f->dir, "text.png", NULL);
      keep[2] = "text.png";
      write_bytes (bad, "this is not an image\n", 21);
      input = bad;
      break;
    case BAD_CORRUPT_MASK:
      bad = g_build_filename (f->dir, "cutmask.png", NULL);
      keep[2] = "cutmask.png";
      truncate_copy (f->mask, bad, 0.4);
      mask = bad;
      break;
    case BAD_UNKNOWN_MODEL:
      opt = "--model";
      val = "no-such-model";
      break;
    case BAD_CORRUPT_MODEL:
      bad = g_build_filename (f->dir, "broken.grst", NULL);
      keep[2] = "broken.grst";
      write_bytes (bad, "GRST\x01\x00\x00\x00garbage garbage garbage", 31);
      opt = "--model";
      val = bad;
      break;
    case BAD_MISSING_MODEL_FILE:
      opt = "--model";
      val = "/nonexistent/model.grst";
      break;
    case BAD_DENOISE_HIGH:
      val = "1.5";
      break;
    case BAD_DENOISE_NEGATIVE:
      val = "-0.1";
      break;
    case BAD_DENOISE_TEXT:
      val = "abc";
      break;
    case BAD_SHARPEN_HIGH:
      opt = "--sharpen";
      val = "2";
      break;
    case BAD_THREADS:
      opt = "--threads";
      val = "-1";
      break;
    case BAD_NO_FOLDER:
      out_arg = "/nonexistent-folder/out.png";
      break;
    case BAD_EXTENSION:
      bad = g_build_filename (f->dir, "out.bmp", NULL);
      out_arg = bad;
      break;
    case BAD_JPEG_ALPHA:
      {
        RestoreIoImage *rgba = make_input (4, 8);

        bad = g_build_filename (f->dir, "out.jpg", NULL);
        save_or_die (rgba, good);
        restore_io_image_free (rgba);
        out_arg = bad;
      }
      break;
    case BAD_NO_MASK_OPTION:
      r = run_command ("--quiet", good, output, NULL);
      break;
    case BAD_ONE_FILE:
      r = run_command ("--quiet", "--mask", f->mask, good, NULL);
      break;
    case BAD_EMPTY_MASK:
      {
        RestoreIoImage *black = restore_io_image_new (CROP_W, CROP_H, 1, 8);

        bad = g_build_filename (f->dir, "black.png", NULL);
        keep[2] = "black.png";
        save_or_die (black, bad);
        restore_io_image_free (black);
        mask = bad;
      }
      break;
    case BAD_COUNT:
      g_assert_not_reached ();
    }

  if (r.err == NULL)
    r = run_command ("--quiet", opt, val, "--mask", mask, input, out_arg, NULL);
  if (g_test_verbose ())
    g_printerr ("%s", r.err);
  assert_one_error_line (&r);
  /* Nothing written: neither the output nor a temporary file. */
  g_assert_false (g_file_test (out_arg, G_FILE_TEST_EXISTS));
  assert_dir_holds_only (f->dir, keep);

  run_result_clear (&r);
  restore_io_image_free (img);
  g_free (good);
  g_free (bad);
  g_free (output);
}

/* -------------------------------------------------------- output files */

static char *tiny_detector (void);

typedef enum
{
  FILES_OUT_IS_INPUT,
  FILES_OUT_IS_INPUT_DOT,
  FILES_OUT_HARD_LINK,
  FILES_OUT_SYMLINK,
  FILES_OUT_IS_MASK,
  FILES_AUTO_MASK_OUT_IS_OUT,
  FILES_AUTO_MASK_OUT_IS_INPUT,
  FILES_DETECT_MASK_OUT_IS_INPUT,
  FILES_READ_ONLY_OUT,
  FILES_READ_ONLY_FOLDER,
  FILES_PIPE_OUT,
  FILES_AUTO_MASK_OUT_READ_ONLY,
  FILES_AUTO_MASK_OUT_LONG_NAME,
  FILES_COUNT
} FilesCase;

static const struct
{
  const char *name;
  const char *text;   /* in the message */
} files_cases[FILES_COUNT] = {
  { "out-is-input", "is the INPUT file" },
  { "out-is-input-dot", "is the INPUT file" },
  { "out-hard-link", "is the INPUT file" },
  { "out-symlink", "is the INPUT file" },
  { "out-is-mask", "is the MASK file" },
  { "auto-mask-out-is-out", "the mask would replace the restoration" },
  { "auto-mask-out-is-input", "is the INPUT file" },
  { "detect-mask-out-is-input", "is the INPUT file" },
  { "read-only-out", "read-only" },
  { "read-only-folder", "is not writable" },
  { "pipe-out", "not a plain file" },
  { "auto-mask-out-read-only", "is not writable" },
  { "auto-mask-out-long-name", "too long" },
};

/* The contents of @path, or NULL when it cannot be read. */
static char *
read_all (const char *path,
          gsize      *size)
{
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, size, NULL))
    return NULL;
  return contents;
}

/* An output that is a file the run reads (by any name), the other
 * output, or a file or folder that may not be written is refused before
 * any work, with one line; no file is written or changed. */
static void
test_output_files (Fixture      *f,
                   gconstpointer data)
{
  FilesCase       fc = GPOINTER_TO_INT (data);
  char           *input = g_build_filename (f->dir, "in.png", NULL);
  char           *output = g_build_filename (f->dir, "out.png", NULL);
  char           *sub = g_build_filename (f->dir, "sub", NULL);
  char           *detector = tiny_detector ();
  char           *model = g_test_build_filename (G_TEST_DIST, "data", "tiny-plain.grst", NULL);
  char           *other = NULL;      /* a second name made by the case */
  char           *out_arg = NULL, *mask_out = NULL;
  char           *long_name = NULL;
  const char     *keep[6] = { "mask.png", "in.png", NULL };
  const char     *watch = NULL;      /* a file that must stay as it is */
  gboolean        automatic = FALSE, detect = FALSE;
  RestoreIoImage *img = make_input (3, 8);
  GPtrArray      *argv = g_ptr_array_new ();
  char           *before, *after;
  gsize           before_size = 0, after_size = 0;
  GStatBuf        st;
  RunResult       r;

  save_or_die (img, input);
  watch = input;
  out_arg = g_strdup (output);
  switch (fc)
    {
    case FILES_OUT_IS_INPUT:
      g_free (out_arg);
      out_arg = g_strdup (input);
      break;
    case FILES_OUT_IS_INPUT_DOT:
      g_free (out_arg);
      out_arg = g_build_filename (f->dir, ".", "in.png", NULL);
      break;
    case FILES_OUT_HARD_LINK:
      other = g_build_filename (f->dir, "link.png", NULL);
      g_assert_cmpint (link (input, other), ==, 0);
      keep[2] = "link.png";
      g_free (out_arg);
      out_arg = g_strdup (other);
      break;
    case FILES_OUT_SYMLINK:
      other = g_build_filename (f->dir, "link.png", NULL);
      g_assert_cmpint (symlink ("in.png", other), ==, 0);
      keep[2] = "link.png";
      g_free (out_arg);
      out_arg = g_strdup (other);
      break;
    case FILES_OUT_IS_MASK:
      watch = f->mask;
      g_free (out_arg);
      out_arg = g_strdup (f->mask);
      break;
    case FILES_AUTO_MASK_OUT_IS_OUT:
      automatic = TRUE;
      mask_out = g_build_filename (f->dir, ".", "out.png", NULL);
      break;
    case FILES_AUTO_MASK_OUT_IS_INPUT:
      automatic = TRUE;
      mask_out = g_strdup (input);
      break;
    case FILES_DETECT_MASK_OUT_IS_INPUT:
      detect = TRUE;
      mask_out = g_build_filename (f->dir, ".", "in.png", NULL);
      break;
    case FILES_READ_ONLY_OUT:
      write_bytes (output, "an earlier result", 17);
      g_assert_cmpint (g_chmod (output, 0444), ==, 0);
      keep[2] = "out.png";
      watch = output;
      break;
    case FILES_READ_ONLY_FOLDER:
      g_assert_cmpint (g_mkdir (sub, 0555), ==, 0);
      keep[2] = "sub";
      g_free (out_arg);
      out_arg = g_build_filename (sub, "out.png", NULL);
      break;
    case FILES_PIPE_OUT:
      g_assert_cmpint (mkfifo (output, 0666), ==, 0);
      keep[2] = "out.png";
      break;
    case FILES_AUTO_MASK_OUT_READ_ONLY:
      g_assert_cmpint (g_mkdir (sub, 0555), ==, 0);
      keep[2] = "sub";
      automatic = TRUE;
      mask_out = g_build_filename (sub, "sel.png", NULL);
      break;
    case FILES_AUTO_MASK_OUT_LONG_NAME:
      /* a name no file system takes: the folder is fine, the name is not */
      long_name = g_strnfill (300, 'm');
      automatic = TRUE;
      mask_out = g_strconcat (f->dir, G_DIR_SEPARATOR_S, long_name, ".png", NULL);
      break;
    case FILES_COUNT:
      g_assert_not_reached ();
    }
  before = read_all (watch, &before_size);
  g_assert_nonnull (before);

  if (automatic)
    {
      g_ptr_array_add (argv, (gpointer) "--auto");
      g_ptr_array_add (argv, (gpointer) "--model");
      g_ptr_array_add (argv, model);
    }
  if (detect)
    g_ptr_array_add (argv, (gpointer) "--detect");
  if (automatic || detect)
    {
      /* settings under which the tiny detector finds damage (see
       * test_detect_auto()), so a run that went on would write */
      g_ptr_array_add (argv, (gpointer) "--detector");
      g_ptr_array_add (argv, detector);
      g_ptr_array_add (argv, (gpointer) "--sensitivity");
      g_ptr_array_add (argv, (gpointer) "0.5");
      g_ptr_array_add (argv, (gpointer) "--extend");
      g_ptr_array_add (argv, (gpointer) "1");
      g_ptr_array_add (argv, (gpointer) "--mask-out");
      g_ptr_array_add (argv, mask_out);
    }
  else
    {
      g_ptr_array_add (argv, (gpointer) "--mask");
      g_ptr_array_add (argv, f->mask);
    }
  g_ptr_array_add (argv, (gpointer) "-q");
  g_ptr_array_add (argv, input);
  if (!detect)
    g_ptr_array_add (argv, out_arg);
  r = run_argv (argv);
  g_test_message ("%s", r.err);
  assert_one_error_line (&r);
  g_assert_cmpint (r.status, ==, 1);
  if (!strstr (r.err, files_cases[fc].text))
    g_error ("message '%s' does not contain '%s'", r.err, files_cases[fc].text);

  /* nothing written, nothing changed */
  assert_dir_holds_only (f->dir, keep);
  after = read_all (watch, &after_size);
  g_assert_nonnull (after);
  g_assert_cmpmem (before, before_size, after, after_size);
  if (fc == FILES_READ_ONLY_OUT)
    {
      g_assert_cmpint (g_stat (output, &st), ==, 0);
      g_assert_cmpint (st.st_mode & 0777, ==, 0444);
    }
  if (fc == FILES_PIPE_OUT)
    {
      g_assert_cmpint (g_lstat (output, &st), ==, 0);
      g_assert_true (S_ISFIFO (st.st_mode));
    }
  if (g_file_test (sub, G_FILE_TEST_IS_DIR))
    {
      const char *none[] = { NULL };

      assert_dir_holds_only (sub, none);
      g_chmod (sub, 0755);
      g_rmdir (sub);
    }

  run_result_clear (&r);
  restore_io_image_free (img);
  g_free (before);
  g_free (after);
  g_free (input);
  g_free (output);
  g_free (sub);
  g_free (detector);
  g_free (model);
  g_free (other);
  g_free (out_arg);
  g_free (mask_out);
  g_free (long_name);
}

/* SIGINT while restoring: non-zero exit, one line, no output. */
static void
test_interrupt (Fixture      *f,
                gconstpointer data)
{
  char           *sample_file = sample_path ("sample-damaged.png");
  char           *input = g_build_filename (f->dir, "big.png", NULL);
  char           *mask = g_build_filename (f->dir, "white.png", NULL);
  char           *output = g_build_filename (f->dir, "out.png", NULL);
  const char     *argv[] = { GIMP_RESTORE_EXE, "--quiet", "--threads", "1", "--model", "general",
                             "--mask", mask, input, output, NULL };
  const char     *keep[] = { "mask.png", "big.png", "white.png", NULL };
  RestoreIoImage *sample = load_or_die (sample_file);
  RestoreIoImage *big, *white;
  GError         *error = NULL;
  GPid            pid;
  int             err_fd, wait_status = 0;
  char            buf[1024] = { 0 };
  gssize          got;
  const int       rep = 3;

  /* The sample three times across and down, everything to restore: many
   * tiles on one thread, so the run lasts well beyond the signal (one
   * sample-sized restore takes about a second). */
  g_assert_cmpint (sample->channels, ==, 3);
  big = restore_io_image_new (rep * sample->width, rep * sample->height, 3, 8);
  for (int y = 0; y < big->height; y++)
    for (int x = 0; x < big->width; x++)
      memcpy (big->data + 3 * ((gsize) y * big->width + x),
              sample->data + 3 * ((gsize) (y % sample->height) * sample->width
                                  + x % sample->width),
              3 * sizeof (float));
  save_or_die (big, input);
  white = restore_io_image_new (big->width, big->height, 1, 8);
  for (gsize i = 0; i < (gsize) white->width * white->height; i++)
    white->data[i] = 1.0f;
  save_or_die (white, mask);
  restore_io_image_free (white);
  restore_io_image_free (big);
  restore_io_image_free (sample);
  g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                            NULL, NULL, &pid, NULL, NULL, &err_fd, &error);
  g_assert_no_error (error);
  g_usleep (1500 * 1000);
  g_assert_cmpint (kill (pid, SIGINT), ==, 0);
  g_assert_cmpint (waitpid (pid, &wait_status, 0), ==, pid);
  got = read (err_fd, buf, sizeof buf - 1);
  close (err_fd);
  g_spawn_close_pid (pid);

  g_assert_true (WIFEXITED (wait_status));
  g_assert_cmpint (WEXITSTATUS (wait_status), !=, 0);
  g_assert_cmpint (got, >, 0);
  g_assert_cmpstr (buf, ==, "gimp-restore: cancelled\n");
  g_assert_false (g_file_test (output, G_FILE_TEST_EXISTS));
  assert_dir_holds_only (f->dir, keep);
  g_free (sample_file);
  g_free (input);
  g_free (mask);
  g_free (output);
}

/* ------------------------------------------------------- image files */

/* Every 8- and 16-bit value survives a write and a read in each format
 * that keeps it. */
static void
test_io_round_trip (Fixture      *f,
                    gconstpointer data)
{
  static const char *const names[] = { "rt.png", "rt.tif" };
  const int                depths[] = { 8, 16 };

  for (guint k = 0; k < G_N_ELEMENTS (names); k++)
    for (guint d = 0; d < G_N_ELEMENTS (depths); d++)
      {
        int             maxv = depths[d] == 16 ? 65535 : 255;
        RestoreIoImage *img = restore_io_image_new (256, 256, 4, depths[d]);
        char           *path = g_build_filename (f->dir, names[k], NULL);
        RestoreIoImage *back;

        for (int i = 0; i < 256 * 256 * 4; i++)
          img->data[i] = (float) ((i / 4 + (i % 4) * 12345) % (maxv + 1)) / (float) maxv;
        save_or_die (img, path);
        back = load_or_die (path);
        g_assert_cmpint (back->bit_depth, ==, depths[d]);
        g_assert_cmpint (back->channels, ==, 4);
        for (int i = 0; i < 256 * 256 * 4; i++)
          {
            g_assert_cmpfloat (back->data[i], ==, img->data[i]);
            g_assert_cmpint ((int) lrintf (back->data[i] * maxv), ==,
                             (i / 4 + (i % 4) * 12345) % (maxv + 1));
          }
        restore_io_image_free (img);
        restore_io_image_free (back);
        g_unlink (path);
        g_free (path);
      }
}

/* PNG pixel data of several parts (image-png-idat.h): noise and smooth
 * rows, every layout, back bit for bit through libpng's reader. */
static void
test_io_png_parts (Fixture      *f,
                   gconstpointer data)
{
  GRand *rand = g_rand_new_with_seed (7);

  for (int channels = 1; channels <= 4; channels++)
    for (int depth = 8; depth <= 16; depth += 8)
      {
        int             maxv = depth == 16 ? 65535 : 255;
        /* 2.5 to 10 parts; an odd width */
        int             w = 601, h = (int) (2.5 * IO_IDAT_PART_BYTES / (w * channels * depth / 8)) + 1;
        RestoreIoImage *img = restore_io_image_new (w, h, channels, depth);
        char           *path = g_build_filename (f->dir, "parts.png", NULL);
        RestoreIoImage *back;
        gsize           n = (gsize) w * h * channels;

        for (gsize i = 0; i < n; i++)
          {
            /* noise in the top half, a ramp below */
            int v = i < n / 2 ? (int) g_rand_int_range (rand, 0, maxv + 1)
                              : (int) ((i / channels) % w * 7 + (i % channels) * 1000) % (maxv + 1);

            img->data[i] = (float) v / (float) maxv;
          }
        save_or_die (img, path);
        back = load_or_die (path);
        g_assert_cmpint (back->width, ==, w);
        g_assert_cmpint (back->height, ==, h);
        g_assert_cmpint (back->channels, ==, channels);
        g_assert_cmpint (back->bit_depth, ==, depth);
        g_assert_cmpmem (back->data, n * sizeof (float), img->data, n * sizeof (float));
        restore_io_image_free (img);
        restore_io_image_free (back);
        g_unlink (path);
        g_free (path);
      }
  g_rand_free (rand);
}

/* The same image written with 1, 2 and 5 threads: the same bytes. */
static void
idat_row (gpointer data,
          int      y,
          guint8  *row)
{
  for (int x = 0; x < 3 * 900; x++)
    row[x] = (guint8) ((x * 31 + y * 17 + (x * y) % 251) & 0xff);
}

static void
idat_write (png_structp  png,
            png_bytep    bytes,
            png_size_t   len)
{
  g_byte_array_append (png_get_io_ptr (png), bytes, (guint) len);
}

static void
idat_flush (png_structp png)
{
}

static GByteArray *
idat_file (int threads)
{
  GByteArray   *out = g_byte_array_new ();
  png_structp   png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop     info = png_create_info_struct (png);
  IoIdatWriter *writer = io_idat_writer_new (1500, 3 * 900, 3, 4, threads, idat_row, NULL);
  const char   *failed = NULL;

  png_set_write_fn (png, out, idat_write, idat_flush);
  png_set_IHDR (png, info, 900, 1500, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info (png, info);
  g_assert_true (io_idat_writer_run (writer, png, NULL, &failed));
  g_assert_null (failed);
  io_idat_writer_free (writer);
  png_destroy_write_struct (&png, &info);
  return out;
}

static void
test_io_png_threads (void)
{
  GByteArray *one = idat_file (1);

  for (int threads = 2; threads <= 5; threads += 3)
    {
      GByteArray *more = idat_file (threads);

      g_assert_cmpmem (more->data, more->len, one->data, one->len);
      g_byte_array_unref (more);
    }
  g_byte_array_unref (one);
}

/* 32-bit float TIFF keeps its samples as they are. */
static void
test_io_float_tiff (Fixture      *f,
                    gconstpointer data)
{
  RestoreIoImage *img = restore_io_image_new (33, 17, 3, 32);
  char           *path = g_build_filename (f->dir, "float.tiff", NULL);
  RestoreIoImage *back;

  for (int i = 0; i < 33 * 17 * 3; i++)
    img->data[i] = (float) i / 1000.0f + 1e-7f * (i % 13);
  save_or_die (img, path);
  back = load_or_die (path);
  g_assert_cmpint (back->bit_depth, ==, 32);
  g_assert_cmpmem (back->data, 33 * 17 * 3 * sizeof (float),
                   img->data, 33 * 17 * 3 * sizeof (float));
  restore_io_image_free (img);
  restore_io_image_free (back);
  g_unlink (path);
  g_free (path);
}

/* Several outputs are written all or none: when the last one fails (here
 * because it outgrows the file size limit), the first is not left behind,
 * and a file it would have replaced keeps its contents. */
static void
test_io_save_all (Fixture      *f,
                  gconstpointer data)
{
  RestoreIoImage       *small = restore_io_image_new (8, 8, 1, 8);
  RestoreIoImage       *big = restore_io_image_new (256, 256, 3, 16);
  char                 *a = g_build_filename (f->dir, "a.png", NULL);
  char                 *b = g_build_filename (f->dir, "b.png", NULL);
  const RestoreIoImage *images[2] = { small, big };
  const char           *paths[2] = { a, b };
  const char           *keep_none[] = { "mask.png", NULL };
  const char           *keep_a[] = { "mask.png", "a.png", NULL };
  struct rlimit         old, lim;
  void                (*old_handler) (int);
  GError               *error = NULL;
  char                 *contents;
  gsize                 size;

  /* noise: the big image cannot be compressed below the limit */
  for (gsize i = 0; i < (gsize) 256 * 256 * 3; i++)
    big->data[i] = (float) g_test_rand_double ();
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &old), ==, 0);
  lim = old;
  lim.rlim_cur = 64 * 1024;
  old_handler = signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &lim), ==, 0);

  g_assert_false (restore_io_image_save_all (images, paths, 2, NULL, NULL, &error));
  g_assert_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_WRITE);
  g_clear_error (&error);
  assert_dir_holds_only (f->dir, keep_none);

  write_bytes (a, "an earlier result", 17);
  g_assert_false (restore_io_image_save_all (images, paths, 2, NULL, NULL, &error));
  g_clear_error (&error);
  assert_dir_holds_only (f->dir, keep_a);
  g_assert_true (g_file_get_contents (a, &contents, &size, NULL));
  g_assert_cmpmem (contents, size, "an earlier result", 17);
  g_free (contents);

  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &old), ==, 0);
  signal (SIGXFSZ, old_handler);

  /* without the limit both are written */
  g_assert_true (restore_io_image_save_all (images, paths, 2, NULL, NULL, &error));
  g_assert_no_error (error);
  restore_io_image_free (load_or_die (a));
  restore_io_image_free (load_or_die (b));

  restore_io_image_free (small);
  restore_io_image_free (big);
  g_free (a);
  g_free (b);
}

/* A colour mask gives its luminance; alpha multiplies in; sizes must
 * agree. */
static void
test_io_mask (void)
{
  RestoreIoImage *m = restore_io_image_new (2, 1, 4, 8);
  GError         *error = NULL;
  float          *soft;

  m->data[0] = m->data[1] = m->data[2] = 1.0f;
  m->data[3] = 1.0f;
  m->data[4] = m->data[5] = m->data[6] = 1.0f;
  m->data[7] = 0.0f;  /* white but transparent */
  soft = restore_io_mask_from_image (m, 2, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (soft[0], ==, 1.0f);
  g_assert_cmpfloat (soft[1], ==, 0.0f);
  g_free (soft);

  soft = restore_io_mask_from_image (m, 3, 1, &error);
  g_assert_null (soft);
  g_assert_error (error, RESTORE_IO_ERROR, RESTORE_IO_ERROR_SIZE);
  g_assert_cmpstr (error->message, ==, "mask is 2x1 but image is 3x1");
  g_clear_error (&error);
  restore_io_image_free (m);
}

static const LayoutCase layouts[] = {
  { "png8-rgb",        "in.png",  "out.png",  3, 8,  TRUE },
  { "png16-rgb",       "in.png",  "out.png",  3, 16, TRUE },
  { "png8-gray",       "in.png",  "out.png",  1, 8,  TRUE },
  { "png8-gray-alpha", "in.png",  "out.png",  2, 8,  TRUE },
  { "png16-rgba",      "in.png",  "out.png",  4, 16, TRUE },
  { "jpeg-rgb",        "in.jpg",  "out.png",  3, 8,  TRUE },
  { "jpeg-gray",       "in.jpg",  "out.png",  1, 8,  TRUE },
  { "jpeg-out",        "in.png",  "out.jpg",  3, 8,  FALSE },
  { "tiff16-rgb",      "in.tif",  "out.tif",  3, 16, TRUE },
  { "tiff8-gray",      "in.tiff", "out.tiff", 1, 8,  TRUE },
  { "tiff32-rgba",     "in.tif",  "out.tif",  4, 32, TRUE },
};

/* ------------------------------------------------------------ detection */

static char *
tiny_detector (void)
{
  return g_test_build_filename (G_TEST_DIST, "data", "tiny-detect.grst", NULL);
}

static int
count_above (const RestoreIoImage *m, float v)
{
  int n = 0;

  for (gsize i = 0; i < (gsize) m->width * m->height; i++)
    n += m->data[i] > v;
  return n;
}

/* Runs "--detect -q --detector @detector ARGS --mask-out @out @input"
 * (ARGS: NULL-terminated), checks that it succeeds and returns the mask. */
static RestoreIoImage *
detect_quiet (const char *detector,
              const char *input,
              const char *out,
              const char *first,
              ...)
{
  GPtrArray *argv = g_ptr_array_new ();
  RunResult  r;
  va_list    ap;

  g_ptr_array_add (argv, (gpointer) "--detect");
  g_ptr_array_add (argv, (gpointer) "-q");
  g_ptr_array_add (argv, (gpointer) "--detector");
  g_ptr_array_add (argv, (gpointer) detector);
  va_start (ap, first);
  add_args (argv, first, ap);
  va_end (ap);
  g_ptr_array_add (argv, (gpointer) "--mask-out");
  g_ptr_array_add (argv, (gpointer) out);
  g_ptr_array_add (argv, (gpointer) input);
  r = run_argv (argv);
  if (r.status != 0)
    g_test_message ("stderr: %s", r.err);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.err, ==, "");
  run_result_clear (&r);
  return load_or_die (out);
}

/* --detect writes an 8-bit gray mask of the input's size, the same every
 * time; sensitivity and grow move it the documented way. */
static void
test_detect_mask (Fixture      *f,
                  gconstpointer data)
{
  char           *input = g_build_filename (f->dir, "in.png", NULL);
  char           *m1 = g_build_filename (f->dir, "m1.png", NULL);
  char           *m2 = g_build_filename (f->dir, "m2.png", NULL);
  char           *detector = tiny_detector ();
  RestoreIoImage *img = make_input (3, 8);
  RestoreIoImage *a, *b;
  RunResult       r;
  char           *ca, *cb;
  gsize           la, lb;
  int             n_default, n_grown;

  save_or_die (img, input);
  /* --extend 1: the threshold alone (this random network's p hardly
   * varies, so at the default extend every pixel would join one region
   * too wide to keep; that is checked below); --sensitivity 0.5, p >= 0.5,
   * where this network's p lies (the default threshold is above it) */
  r = run_command ("--detect", "--detector", detector, "--sensitivity", "0.5",
                   "--grow", "0", "--extend", "1",
                   "--mask-out", m1, input, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "");
  g_assert_nonnull (strstr (r.err, "damaged region"));
  run_result_clear (&r);
  r = run_command ("--detect", "-q", "--detector", detector, "--sensitivity", "0.5",
                   "--grow", "0", "--extend", "1",
                   "--mask-out", m2, input, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.err, ==, "");
  run_result_clear (&r);
  g_file_get_contents (m1, &ca, &la, NULL);
  g_file_get_contents (m2, &cb, &lb, NULL);
  g_assert_cmpmem (ca, la, cb, lb);
  g_free (ca);
  g_free (cb);

  a = load_or_die (m1);
  g_assert_cmpint (a->width, ==, CROP_W);
  g_assert_cmpint (a->height, ==, CROP_H);
  g_assert_cmpint (a->channels, ==, 1);
  g_assert_cmpint (a->bit_depth, ==, 8);
  n_default = count_above (a, 0.5f);
  g_test_message ("default: %d of %d pixels selected", n_default, CROP_W * CROP_H);
  g_assert_cmpint (n_default, >, 0);
  g_assert_cmpint (n_default, <, CROP_W * CROP_H);

  /* grown by 3: a superset, strictly larger */
  b = detect_quiet (detector, input, m2, "--sensitivity", "0.5", "--grow", "3",
                    "--extend", "1", NULL);
  n_grown = count_above (b, 0.5f);
  for (gsize i = 0; i < CROP_W * CROP_H; i++)
    if (a->data[i] > 0.5f)
      g_assert_cmpfloat (b->data[i], ==, 1.0f);
  g_assert_cmpint (n_grown, >, n_default);
  restore_io_image_free (b);

  /* sensitivity 0 selects nothing this network is unsure of; 1 with no
   * size limit selects everything */
  b = detect_quiet (detector, input, m2, "--sensitivity", "0", NULL);
  g_assert_cmpint (count_above (b, 0.0f), ==, 0);
  restore_io_image_free (b);
  b = detect_quiet (detector, input, m2, "--sensitivity", "1", "--max-size", "1024", NULL);
  g_assert_cmpint (count_above (b, 0.99f), ==, CROP_W * CROP_H);
  restore_io_image_free (b);

  /* --extend: the pixels touching a selected one through p >= 0.001 join
   * it, a strict superset here; at the default max-size that one region
   * is too wide and nothing is kept */
  b = detect_quiet (detector, input, m2, "--sensitivity", "0.5", "--grow", "0",
                    "--extend", "0.001", "--max-size", "1024", NULL);
  for (gsize i = 0; i < CROP_W * CROP_H; i++)
    if (a->data[i] > 0.5f)
      g_assert_cmpfloat (b->data[i], ==, 1.0f);
  g_assert_cmpint (count_above (b, 0.5f), >, n_default);
  restore_io_image_free (b);
  b = detect_quiet (detector, input, m2, "--sensitivity", "0.5", "--grow", "0",
                    "--extend", "0.001", NULL);
  g_assert_cmpint (count_above (b, 0.0f), ==, 0);
  restore_io_image_free (b);

  /* --scale 2: the network looks at the picture reduced twice; the mask
   * still has the input's size, and differs from full resolution's */
  b = detect_quiet (detector, input, m2, "--sensitivity", "0.5", "--grow", "0",
                    "--extend", "1", "--scale", "2", NULL);
  g_assert_cmpint (b->width, ==, CROP_W);
  g_assert_cmpint (b->height, ==, CROP_H);
  g_assert_cmpint (count_above (b, 0.5f), >, 0);
  g_assert_false (memcmp (a->data, b->data, sizeof (float) * CROP_W * CROP_H) == 0);
  restore_io_image_free (b);

  restore_io_image_free (a);
  restore_io_image_free (img);
  g_free (input);
  g_free (m1);
  g_free (m2);
  g_free (detector);
}

/* --auto restores what it finds: pixels outside the written selection
 * come back unchanged, and an undamaged result is the input itself. */
static void
test_detect_auto (Fixture      *f,
                  gconstpointer data)
{
  char           *input = g_build_filename (f->dir, "in.png", NULL);
  char           *output = g_build_filename (f->dir, "out.png", NULL);
  char           *sel = g_build_filename (f->dir, "sel.png", NULL);
  char           *detector = tiny_detector ();
  char           *model = g_test_build_filename (G_TEST_DIST, "data", "tiny-plain.grst", NULL);
  RestoreIoImage *img = make_input (3, 8);
  RestoreIoImage *in, *out, *m;
  RunResult       r;
  int             changed = 0, selected = 0;

  save_or_die (img, input);
  /* --sensitivity 0.5: p >= 0.5, where this random network's p lies */
  r = run_command ("--auto", "-q", "--detector", detector, "--model", model,
                   "--sensitivity", "0.5", "--extend", "1", "--mask-out", sel, input, output,
                   NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.err, ==, "");
  run_result_clear (&r);
  in = load_or_die (input);
  out = load_or_die (output);
  m = load_or_die (sel);
  g_assert_cmpint (out->width, ==, CROP_W);
  g_assert_cmpint (out->channels, ==, 3);
  for (gsize i = 0; i < CROP_W * CROP_H; i++)
    {
      gboolean differs = FALSE;

      for (int c = 0; c < 3; c++)
        differs |= in->data[3 * i + c] != out->data[3 * i + c];
      if (m->data[i] == 0.0f)
        g_assert_false (differs);
      selected += m->data[i] == 1.0f;
      changed += differs && m->data[i] == 1.0f;
    }
  g_test_message ("%d pixels selected, %d of them changed", selected, changed);
  g_assert_cmpint (selected, >, 0);
  g_assert_cmpint (changed, >, selected / 2);
  restore_io_image_free (out);
  restore_io_image_free (m);

  /* nothing found: the output is the input */
  r = run_command ("--auto", "--detector", detector, "--model", model,
                   "--sensitivity", "0", input, output, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "0 damaged regions"));
  run_result_clear (&r);
  out = load_or_die (output);
  g_assert_cmpmem (in->data, (gsize) CROP_W * CROP_H * 3 * sizeof (float),
                   out->data, (gsize) CROP_W * CROP_H * 3 * sizeof (float));
  restore_io_image_free (out);

  restore_io_image_free (in);
  restore_io_image_free (img);
  g_free (input);
  g_free (output);
  g_free (sel);
  g_free (detector);
  g_free (model);
}

/* A float TIFF holding NaN and infinities, inside and outside the mask:
 * a restore, --detect and --auto all succeed; every pixel the mask
 * restores comes out finite, every other one as it was (NaN included);
 * detection selects the non-finite pixels, so --auto restores them. */
static void
test_non_finite (Fixture      *f,
                 gconstpointer data)
{
  char           *input = g_build_filename (f->dir, "in.tif", NULL);
  char           *output = g_build_filename (f->dir, "out.tif", NULL);
  char           *sel = g_build_filename (f->dir, "sel.png", NULL);
  char           *detector = tiny_detector ();
  char           *model = g_test_build_filename (G_TEST_DIST, "data", "tiny-plain.grst", NULL);
  RestoreIoImage *img = make_input (3, 32);
  RestoreIoImage *mask_img = load_or_die (f->mask);
  const float     values[] = { NAN, INFINITY, -INFINITY };
  gsize           bad_in[3], bad_out[3];
  int             n_in = 0, n_out = 0;
  RestoreIoImage *out, *m;
  RunResult       r;

  /* three non-finite pixels in the mask, three outside it, apart */
  for (gsize i = 0; i < (gsize) CROP_W * CROP_H && (n_in < 3 || n_out < 3); i += 397)
    {
      if (mask_img->data[i] == 1.0f && n_in < 3)
        bad_in[n_in++] = i;
      else if (mask_img->data[i] == 0.0f && n_out < 3)
        bad_out[n_out++] = i;
    }
  g_assert_cmpint (n_in, ==, 3);
  g_assert_cmpint (n_out, ==, 3);
  for (int k = 0; k < 3; k++)
    {
      img->data[bad_in[k] * 3 + k] = values[k];
      img->data[bad_out[k] * 3 + (k + 1) % 3] = values[k];
    }
  save_or_die (img, input);

  /* a restore with the mask */
  r = run_command ("-q", "--model", model, "--denoise", "0.5", "--sharpen", "0.5",
                   "--mask", f->mask, input, output, NULL);
  g_test_message ("%s", r.err);
  g_assert_cmpint (r.status, ==, 0);
  run_result_clear (&r);
  out = load_or_die (output);
  for (gsize i = 0; i < (gsize) CROP_W * CROP_H; i++)
    if (mask_img->data[i] == 0.0f)
      g_assert_true (memcmp (out->data + 3 * i, img->data + 3 * i, 3 * sizeof (float)) == 0);
    else
      for (int c = 0; c < 3; c++)
        g_assert_true (isfinite (out->data[3 * i + c]));
  restore_io_image_free (out);

  /* detection selects them */
  r = run_command ("--detect", "-q", "--detector", detector, "--max-size", "1024",
                   "--mask-out", sel, input, NULL);
  g_test_message ("%s", r.err);
  g_assert_cmpint (r.status, ==, 0);
  run_result_clear (&r);
  m = load_or_die (sel);
  for (int k = 0; k < 3; k++)
    {
      g_assert_cmpfloat (m->data[bad_in[k]], ==, 1.0f);
      g_assert_cmpfloat (m->data[bad_out[k]], ==, 1.0f);
    }
  restore_io_image_free (m);

  /* and --auto restores them: nothing non-finite is left */
  r = run_command ("--auto", "-q", "--detector", detector, "--model", model,
                   "--max-size", "1024", "--mask-out", sel, input, output, NULL);
  g_test_message ("%s", r.err);
  g_assert_cmpint (r.status, ==, 0);
  run_result_clear (&r);
  out = load_or_die (output);
  m = load_or_die (sel);
  for (gsize i = 0; i < (gsize) CROP_W * CROP_H; i++)
    if (m->data[i] == 0.0f)
      g_assert_true (memcmp (out->data + 3 * i, img->data + 3 * i, 3 * sizeof (float)) == 0);
  for (gsize i = 0; i < (gsize) CROP_W * CROP_H * 3; i++)
    g_assert_true (isfinite (out->data[i]));
  restore_io_image_free (out);
  restore_io_image_free (m);

  restore_io_image_free (img);
  restore_io_image_free (mask_img);
  g_free (input);
  g_free (output);
  g_free (sel);
  g_free (detector);
  g_free (model);
}

typedef struct
{
  const char *name;
  const char *args[10];   /* before INPUT; "@D" = the tiny detector, "@M" = --mask-out path */
  gboolean    output;     /* pass OUTPUT too */
  const char *text;       /* in the message */
} DetectBadCase;

static const DetectBadCase detect_bad[] = {
  { "no-mask-out", { "--detect" }, FALSE, "--detect needs --mask-out" },
  { "with-mask", { "--detect", "--mask", "@K", "--mask-out", "@M" }, FALSE, "leave out --mask" },
  { "two-files", { "--detect", "--mask-out", "@M" }, TRUE, "--detect expects INPUT only" },
  { "both-modes", { "--detect", "--auto", "--mask-out", "@M" }, FALSE, "exclude each other" },
  { "mask-out-alone", { "--mask", "@K", "--mask-out", "@M" }, TRUE, "--mask-out goes with" },
  { "sensitivity-range", { "--detect", "--sensitivity", "1.5", "--mask-out", "@M" }, FALSE,
    "sensitivity must be between 0 and 1, got 1.5" },
  { "sensitivity-text", { "--detect", "--sensitivity", "high", "--mask-out", "@M" }, FALSE,
    "--sensitivity needs a number between 0 and 1, got 'high'" },
  { "min-size-fraction", { "--detect", "--min-size", "2.5", "--mask-out", "@M" }, FALSE,
    "min-size must be a whole number" },
  { "extend-range", { "--detect", "--extend", "0", "--mask-out", "@M" }, FALSE,
    "extend must be between 0.001 and 1, got 0" },
  { "scale-range", { "--detect", "--scale", "9", "--mask-out", "@M" }, FALSE,
    "scale must be a whole number between 0 and 8, got 9" },
  { "sizes-crossed", { "--detect", "--min-size", "9", "--max-size", "4", "--mask-out", "@M" }, FALSE,
    "The minimum size (9) is larger than the maximum size (4)." },
  { "unknown-detector", { "--detect", "--detector", "nosuch", "--mask-out", "@M" }, FALSE,
    "unknown damage detector 'nosuch'" },
  { "restoration-model", { "--detect", "--detector", "@P", "--mask-out", "@M" }, FALSE,
    "is a restoration model, not a damage detector" },
  { "detector-as-model", { "--auto", "--detector", "@D", "--model", "@D" }, TRUE,
    "is a damage detector, not a restoration model" },
  { "mask-out-format", { "--detect", "--detector", "@D", "--mask-out", "@X" }, FALSE, "" },
  { "auto-bad-model", { "--auto", "--detector", "@D", "--model", "nosuch", "--mask-out", "@M" }, TRUE,
    "unknown model 'nosuch'" },
};

/* Each bad call: one error line, exit 1, and no mask or output file. */
static void
test_detect_bad (Fixture      *f,
                 gconstpointer data)
{
  const DetectBadCase *bc = data;
  char                *input = g_build_filename (f->dir, "in.png", NULL);
  char                *output = g_build_filename (f->dir, "out.png", NULL);
  char                *mask_out = g_build_filename (f->dir, "sel.png", NULL);
  char                *bad_out = g_build_filename (f->dir, "sel.bmp", NULL);
  char                *detector = tiny_detector ();
  char                *plain = g_test_build_filename (G_TEST_DIST, "data", "tiny-plain.grst", NULL);
  const char          *keep[] = { "mask.png", "in.png", NULL };
  GPtrArray           *argv = g_ptr_array_new ();
  RestoreIoImage      *img = make_input (3, 8);
  RunResult            r = { 0 };
  GError              *error = NULL;
  int                  wait_status = 0;

  save_or_die (img, input);
  g_ptr_array_add (argv, (gpointer) GIMP_RESTORE_EXE);
  for (int i = 0; i < (int) G_N_ELEMENTS (bc->args) && bc->args[i] != NULL; i++)
    {
      const char *a = bc->args[i];

      g_ptr_array_add (argv, (gpointer) (strcmp (a, "@D") == 0 ? detector
                                         : strcmp (a, "@M") == 0 ? mask_out
                                         : strcmp (a, "@X") == 0 ? bad_out
                                         : strcmp (a, "@K") == 0 ? f->mask
                                         : strcmp (a, "@P") == 0 ? plain : a));
    }
  g_ptr_array_add (argv, input);
  if (bc->output)
    g_ptr_array_add (argv, output);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &r.out, &r.err, &wait_status, &error);
  g_assert_no_error (error);
  r.status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
  g_test_message ("%s", r.err);
  assert_one_error_line (&r);
  g_assert_cmpint (r.status, ==, 1);
  if (!strstr (r.err, bc->text))
    g_error ("message '%s' does not contain '%s'", r.err, bc->text);
  assert_dir_holds_only (f->dir, keep);

  run_result_clear (&r);
  g_ptr_array_free (argv, TRUE);
  restore_io_image_free (img);
  g_free (input);
  g_free (output);
  g_free (mask_out);
  g_free (bad_out);
  g_free (detector);
  g_free (plain);
}

/* Detectors are never offered as restoration models. */
static void
test_detect_not_listed (void)
{
  char      *data_dir = g_test_build_filename (G_TEST_DIST, "data", NULL);
  char      *old = g_strdup (g_getenv ("GIMP_RESTORE_MODEL_PATH"));
  RunResult  r;

  g_setenv ("GIMP_RESTORE_MODEL_PATH", data_dir, TRUE);
  r = run_command ("--list-models", NULL);
  if (old != NULL)
    g_setenv ("GIMP_RESTORE_MODEL_PATH", old, TRUE);
  else
    g_unsetenv ("GIMP_RESTORE_MODEL_PATH");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "\ntiny-plain "));
  g_assert_null (strstr (r.out, "tiny-detect"));
  g_assert_null (strstr (r.out, "\ndetector "));
  run_result_clear (&r);
  g_free (data_dir);
  g_free (old);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/list-models", test_list_models);
  g_test_add_func ("/cli/version-help", test_version_help);
  for (guint i = 0; i < G_N_ELEMENTS (layouts); i++)
    {
      char *path = g_strdup_printf ("/cli/restore/%s", layouts[i].name);

      g_test_add (path, Fixture, &layouts[i], fixture_set_up,
                  test_restore_layout, fixture_tear_down);
      g_free (path);
    }
  for (int i = 0; i < BAD_COUNT; i++)
    {
      char *path = g_strdup_printf ("/cli/bad/%s", bad_names[i]);

      g_test_add (path, Fixture, GINT_TO_POINTER (i), fixture_set_up,
                  test_bad_input, fixture_tear_down);
      g_free (path);
    }
  for (int i = 0; i < FILES_COUNT; i++)
    {
      char *path = g_strdup_printf ("/cli/files/%s", files_cases[i].name);

      g_test_add (path, Fixture, GINT_TO_POINTER (i), fixture_set_up,
                  test_output_files, fixture_tear_down);
      g_free (path);
    }
  g_test_add ("/cli/interrupt", Fixture, NULL, fixture_set_up, test_interrupt,
              fixture_tear_down);
  g_test_add ("/cli/io/round-trip", Fixture, NULL, fixture_set_up,
              test_io_round_trip, fixture_tear_down);
  g_test_add ("/cli/io/float-tiff", Fixture, NULL, fixture_set_up,
              test_io_float_tiff, fixture_tear_down);
  g_test_add ("/cli/io/png-parts", Fixture, NULL, fixture_set_up,
              test_io_png_parts, fixture_tear_down);
  g_test_add_func ("/cli/io/png-threads", test_io_png_threads);
  g_test_add ("/cli/io/save-all", Fixture, NULL, fixture_set_up,
              test_io_save_all, fixture_tear_down);
  g_test_add_func ("/cli/io/mask", test_io_mask);
  g_test_add ("/cli/detect/mask", Fixture, NULL, fixture_set_up, test_detect_mask,
              fixture_tear_down);
  g_test_add ("/cli/detect/auto", Fixture, NULL, fixture_set_up, test_detect_auto,
              fixture_tear_down);
  for (guint i = 0; i < G_N_ELEMENTS (detect_bad); i++)
    {
      char *path = g_strdup_printf ("/cli/detect/bad/%s", detect_bad[i].name);

      g_test_add (path, Fixture, &detect_bad[i], fixture_set_up, test_detect_bad,
                  fixture_tear_down);
      g_free (path);
    }
  g_test_add_func ("/cli/detect/not-listed", test_detect_not_listed);
  g_test_add ("/cli/non-finite", Fixture, NULL, fixture_set_up, test_non_finite,
              fixture_tear_down);
  return g_test_run ();
}
