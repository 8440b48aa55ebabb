/* gimp-restore: libFuzzer harness for the image readers and detection.
 *
 * Each input is written to a file and read back as an image
 * (restore_io_image_load(): PNG, JPEG or TIFF, chosen by the first bytes)
 * and as a mask of its own size (restore_io_mask_load()).  An image that
 * loads is checked for consistency (sizes, channels, depth), every sample
 * is read, and a small one (at most 96 x 96) goes through detection with
 * the random-init test detector: the probability map, the selection and
 * a second selection at other settings.  Whatever the input, a failure
 * must come as a GError with a message; a crash, a sanitizer report or an
 * abort() here is a bug (see fuzz/README.md).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "image-io.h"
#include "restore-detect.h"
#include "restore-unet.h"

/* The largest image detection runs on (the network costs time). */
#define DETECT_SIDE_MAX 96

int LLVMFuzzerInitialize   (int           *argc,
                            char        ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static char           *path = NULL;
static RestoreModel   *detector = NULL;
static RestoreContext *ctx = NULL;
static volatile float  sink;

static void
check_error (GError *error)
{
  if (error == NULL || error->message == NULL || error->message[0] == '\0')
    abort ();
}

static void
detect (const RestoreIoImage *io)
{
  RestoreImage         src = { io->data, io->width, io->height, io->channels,
                               (gsize) io->width * io->channels };
  gsize                n = (gsize) io->width * io->height;
  float               *prob = g_new (float, n);
  float               *mask = g_new (float, n);
  RestoreDetectOptions options;
  GError              *error = NULL;

  restore_detect_options_init (&options);
  options.context = ctx;
  if (! restore_detect_probability (detector, &src, prob, &options, &error))
    check_error (error);
  else
    {
      for (gsize i = 0; i < n; i++)
        if (!(prob[i] >= 0.0f && prob[i] <= 1.0f))
          abort ();
      if (restore_detect_select (prob, io->width, io->height, mask, &options, &error) < 0)
        check_error (error);
      g_clear_error (&error);
      options.sensitivity = 1.0;
      options.min_size = 1;
      options.grow = 4;
      if (restore_detect_select (prob, io->width, io->height, mask, &options, &error) < 0)
        check_error (error);
      for (gsize i = 0; i < n; i++)
        if (!(mask[i] >= 0.0f && mask[i] <= 1.0f))
          abort ();
    }
  g_clear_error (&error);
  g_free (prob);
  g_free (mask);
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  GError *error = NULL;
  int     fd;

  /* a g_return_if_fail () or a warning inside the core is a bug too */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  fd = g_file_open_tmp ("fuzz-images-XXXXXX", &path, &error);
  if (fd < 0)
    {
      fprintf (stderr, "fuzz-images: %s\n", error->message);
      abort ();
    }
  close (fd);
  detector = restore_model_load (FUZZ_DETECTOR, &error);
  if (detector == NULL)
    {
      fprintf (stderr, "fuzz-images: %s\n", error->message);
      abort ();
    }
  ctx = restore_context_new (1);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  GError         *error = NULL;
  RestoreIoImage *image, *mask;

  if (! g_file_set_contents (path, (const char *) data, (gssize) size, NULL))
    abort ();
  image = restore_io_image_load (path, &error);
  if (image == NULL)
    {
      check_error (error);
      g_clear_error (&error);
      return 0;
    }
  if (image->width < 1 || image->height < 1 || image->channels < 1 || image->channels > 4
      || (image->bit_depth != 8 && image->bit_depth != 16 && image->bit_depth != 32)
      || image->n_pages < 1 || image->data == NULL)
    abort ();
  /* every sample, so that ASan checks the buffer's extent */
  for (gsize i = 0; i < (gsize) image->width * image->height * image->channels; i++)
    sink += image->data[i];

  mask = restore_io_mask_load (path, image->width, image->height, &error);
  if (mask == NULL)
    check_error (error);
  else if (mask->width != image->width || mask->height != image->height)
    abort ();
  g_clear_error (&error);
  restore_io_image_free (mask);

  if (image->width <= DETECT_SIDE_MAX && image->height <= DETECT_SIDE_MAX)
    detect (image);
  restore_io_image_free (image);
  return 0;
}
