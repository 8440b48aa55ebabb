/* gimp-restore: libFuzzer harness for the model loader.
 *
 * Feeds each input to restore_file_load_from_data() and
 * restore_model_load_from_data(), reads back everything a loaded file
 * offers, and runs one small forward pass when a mutated input still
 * forms a valid network.  Built only with -Dfuzz=true, where
 * RESTORE_FUZZING skips the checksum comparison so mutated files reach
 * the structural checks (see fuzz/README.md).
 */
#include <stdint.h>
#include <stdlib.h>
#include <glib.h>

#include "restore-file.h"
#include "restore-ops.h"
#include "restore-unet.h"

/* The threads and scratch of the forward passes below. */
static RestoreContext *ctx = NULL;

/* Forward passes larger than this many multiply-adds are skipped. */
#define FORWARD_FLOPS_MAX 2e6

int LLVMFuzzerInitialize   (int           *argc,
                            char        ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static const char *const string_keys[] =
{
  "general.architecture", "general.name", "general.description",
  "general.license", "general.training", "unet.activation", "vector.model",
};

static const char *const number_keys[] =
{
  "unet.in_channels", "unet.out_channels", "unet.gated", "unet.residual",
  "unet.receptive_field", "norm.scale", "norm.offset", "restore.max_radius",
  "restore.flips",
};

static volatile float sink;

static void
touch_file (const RestoreFile *file)
{
  guint n = restore_file_get_n_tensors (file);

  for (guint i = 0; i < n; i++)
    {
      const RestoreTensor *t = restore_file_get_tensor_nth (file, i);
      gsize                count = 1;

      for (int d = 0; d < t->n_dims; d++)
        count *= t->dims[d];
      if (count != t->n_elements ||
          restore_file_get_tensor (file, t->name) != t)
        abort ();
      /* Reading the first and the last element lets ASan check the
       * extent of the tensor. */
      sink += t->data[0] + t->data[t->n_elements - 1];
    }
  for (gsize i = 0; i < G_N_ELEMENTS (string_keys); i++)
    {
      const char *s = restore_file_get_string (file, string_keys[i]);

      if (s && ! g_utf8_validate (s, -1, NULL))
        abort ();
    }
  for (gsize i = 0; i < G_N_ELEMENTS (number_keys); i++)
    {
      guint32 u;
      float   f;

      if (restore_file_get_u32 (file, number_keys[i], &u))
        sink += (float) u;
      if (restore_file_get_f32 (file, number_keys[i], &f))
        sink += f;
    }
  {
    guint32        count = 0;
    const guint32 *array = restore_file_get_u32_array (file, "unet.channels",
                                                       &count);

    if (array && count > 0)
      sink += (float) array[count - 1];
  }
}

static void
touch_model (RestoreModel *model)
{
  int     depth = restore_model_get_depth (model);
  int     side = 1 << depth;
  float  *input, *output;
  GError *error = NULL;

  sink += (float) restore_model_get_halo (model);
  sink += (float) restore_model_get_max_radius (model);
  if (! restore_model_get_name (model) ||
      ! restore_model_get_description (model))
    abort ();
  if (restore_model_get_flops (model, side, side) > FORWARD_FLOPS_MAX)
    return;

  input = g_new0 (float, (gsize) 4 * side * side);
  output = g_new0 (float, (gsize) 3 * side * side);
  for (int i = 0; i < 4 * side * side; i++)
    input[i] = (float) (i % 7) * 0.125f;
  /* with the file's own restore.flips: its mirror images too */
  if (! restore_model_forward_flipped (model, ctx, input, output, side, side,
                                       restore_model_get_flips (model), FALSE,
                                       &error))
    abort ();
  /* A width that is not a multiple of 2^depth must fail cleanly. */
  if (depth > 0 &&
      restore_model_forward (model, ctx, input, output, side - 1, side, &error))
    abort ();
  g_clear_error (&error);
  sink += output[0];
  g_free (input);
  g_free (output);
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  /* a g_return_if_fail () or a warning inside the core is a bug too */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  ctx = restore_context_new (1);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  GError       *error = NULL;
  RestoreFile  *file;
  RestoreModel *model;

  file = restore_file_load_from_data (data, size, &error);
  if (file)
    {
      touch_file (file);
      restore_file_free (file);
    }
  else if (! error || ! error->message || ! error->message[0])
    abort ();
  g_clear_error (&error);

  model = restore_model_load_from_data (data, size, &error);
  if (model)
    {
      touch_model (model);
      restore_model_free (model);
    }
  else if (! error || ! error->message || ! error->message[0])
    abort ();
  g_clear_error (&error);
  return 0;
}
