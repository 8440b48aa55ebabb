/* gimp-restore: the U-Net's model file (network in restore-unet.h):
 * loading and describing it.
 *
 * Loading checks every metadata key the network needs and every tensor's
 * name and shape, and binds the layers to the file's tensors.  The forward
 * pass is restore-forward.c's.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "restore-unet.h"

#include "restore-unet-private.h"

#define metadata_error(error, ...) \
  restore_model_error (error, RESTORE_MODEL_ERROR_METADATA, __VA_ARGS__)

static gboolean
get_u32 (const RestoreFile  *file,
         const char         *key,
         guint32             min,
         guint32             max,
         guint32            *value,
         GError            **error)
{
  if (! restore_file_get_u32 (file, key, value))
    return metadata_error (error, "metadata '%s' (u32) is missing or has "
                           "another type", key);
  if (*value < min || *value > max)
    return metadata_error (error, "metadata '%s' is %u, expected %u..%u",
                           key, *value, min, max);
  return TRUE;
}

/* An optional radius in pixels: 0 when @key is absent; when present it
 * must be a finite f32 >= 0. */
static gboolean
get_optional_radius (const RestoreFile  *file,
                     const char         *key,
                     float              *value,
                     GError            **error)
{
  *value = 0.0f;
  if (restore_file_get_f32 (file, key, value))
    {
      if (! isfinite (*value) || *value < 0.0f)
        return metadata_error (error, "metadata '%s' must be a finite number >= 0", key);
    }
  else if (restore_file_has_key (file, key))
    {
      return metadata_error (error, "metadata '%s' must be f32", key);
    }
  return TRUE;
}

static gboolean
get_string (const RestoreFile  *file,
            const char         *key,
            gboolean            non_empty,
            const char        **value,
            GError            **error)
{
  *value = restore_file_get_string (file, key);
  if (! *value)
    return metadata_error (error, "metadata '%s' (string) is missing or has "
                           "another type", key);
  if (non_empty && ! **value)
    return metadata_error (error, "metadata '%s' is empty", key);
  return TRUE;
}

static gboolean
get_finite (const RestoreFile  *file,
            const char         *key,
            float              *value,
            GError            **error)
{
  if (! restore_file_get_f32 (file, key, value))
    return metadata_error (error, "metadata '%s' (f32) is missing or has "
                           "another type", key);
  if (! isfinite (*value))
    return metadata_error (error, "metadata '%s' is not a finite number", key);
  return TRUE;
}

/* Adds which kind of model was being read to a channel-count error. */
static gboolean
task_error (RestoreModelTask   task,
            GError           **error)
{
  if (task == RESTORE_MODEL_TASK_DETECT)
    g_prefix_error (error, "detect model: ");
  return FALSE;
}

static gboolean
read_metadata (RestoreModel  *model,
               GError       **error)
{
  const RestoreFile *file = model->file;
  const char        *arch, *act_name, *training;
  const guint32     *channels, *dilations;
  guint32            n_channels, n_dilations, value, want_in, want_out;
  gboolean           detect;

  arch = restore_file_get_string (file, "general.architecture");
  if (! arch)
    return metadata_error (error, "metadata 'general.architecture' (string) "
                           "is missing or has another type");
  if (strcmp (arch, "unet") != 0)
    return metadata_error (error, "architecture is '%s', expected 'unet'%s",
                           arch, strcmp (arch, "test-vector") == 0 ?
                           " (this is a test-vector file, not a model)" : "");

  if (! get_string (file, "general.name", TRUE, &model->name, error) ||
      ! get_string (file, "general.description", FALSE, &model->description, error) ||
      ! get_string (file, "general.license", FALSE, &model->license, error) ||
      ! get_string (file, "general.training", FALSE, &training, error))
    return FALSE;

  /* optional: "inpaint" (the default) or "detect"; it fixes the channels */
  model->task = RESTORE_MODEL_TASK_INPAINT;
  if (restore_file_has_key (file, "restore.task"))
    {
      const char *task;

      if (! get_string (file, "restore.task", TRUE, &task, error))
        return FALSE;
      if (strcmp (task, "detect") == 0)
        model->task = RESTORE_MODEL_TASK_DETECT;
      else if (strcmp (task, "inpaint") != 0)
        return metadata_error (error, "metadata 'restore.task' is '%s', "
                               "expected 'inpaint' or 'detect'", task);
    }
  /* an inpainting model: RGB + mask -> RGB; a detector: RGB -> p */
  detect = model->task == RESTORE_MODEL_TASK_DETECT;
  want_in = detect ? 3 : 4;
  want_out = detect ? 1 : 3;
  if (! get_u32 (file, "unet.in_channels", want_in, want_in, &value, error))
    return task_error (model->task, error);
  model->in_channels = (int) value;
  if (! get_u32 (file, "unet.out_channels", want_out, want_out, &value, error))
    return task_error (model->task, error);
  model->out_channels = (int) value;

  /* optional: "none" (the default) or "sigmoid" (detectors only, required) */
  model->sigmoid = FALSE;
  if (restore_file_has_key (file, "unet.output"))
    {
      const char *output;

      if (! get_string (file, "unet.output", TRUE, &output, error))
        return FALSE;
      if (strcmp (output, "sigmoid") == 0)
        model->sigmoid = TRUE;
      else if (strcmp (output, "none") != 0)
        return metadata_error (error, "metadata 'unet.output' is '%s', "
                               "expected 'none' or 'sigmoid'", output);
    }
  if (model->sigmoid != (model->task == RESTORE_MODEL_TASK_DETECT))
    return metadata_error (error, "metadata 'unet.output' is '%s' but a%s "
                           "model needs '%s'", model->sigmoid ? "sigmoid" : "none",
                           model->task == RESTORE_MODEL_TASK_DETECT ?
                           " detect" : "n inpaint",
                           model->sigmoid ? "none" : "sigmoid");

  channels = restore_file_get_u32_array (file, "unet.channels", &n_channels);
  if (! channels)
    return metadata_error (error, "metadata 'unet.channels' (u32 array) is "
                           "missing or has another type");
  if (n_channels < 2 || n_channels > DEPTH_MAX + 1)
    return metadata_error (error, "metadata 'unet.channels' has %u entries, "
                           "expected 2..%d", n_channels, DEPTH_MAX + 1);
  for (guint32 i = 0; i < n_channels; i++)
    {
      if (channels[i] < 1 || channels[i] > CHANNELS_MAX)
        return metadata_error (error, "metadata 'unet.channels' entry %u is "
                               "%u, expected 1..%d", i, channels[i],
                               CHANNELS_MAX);
      model->channels[i] = (int) channels[i];
    }
  model->depth = (int) n_channels - 1;

  dilations = restore_file_get_u32_array (file, "unet.dilations", &n_dilations);
  if (! dilations)
    return metadata_error (error, "metadata 'unet.dilations' (u32 array) is "
                           "missing or has another type");
  if (n_dilations > DILATIONS_MAX)
    return metadata_error (error, "metadata 'unet.dilations' has %u entries, "
                           "expected 0..%d", n_dilations, DILATIONS_MAX);
  for (guint32 i = 0; i < n_dilations; i++)
    {
      if (dilations[i] < 1 || dilations[i] > DILATION_MAX)
        return metadata_error (error, "metadata 'unet.dilations' entry %u is "
                               "%u, expected 1..%d", i, dilations[i],
                               DILATION_MAX);
      model->dilations[i] = (int) dilations[i];
    }
  model->n_dilations = (int) n_dilations;

  if (! get_u32 (file, "unet.gated", 0, 1, &value, error))
    return FALSE;
  model->gated = value != 0;
  if (! get_u32 (file, "unet.residual", 0, 1, &value, error))
    return FALSE;
  model->residual = value != 0;
  if (! get_u32 (file, "unet.receptive_field", 0, HALO_MAX, &value, error))
    return FALSE;
  model->halo = (int) value;

  if (! get_string (file, "unet.activation", TRUE, &act_name, error))
    return FALSE;
  if (! restore_activation_from_name (act_name, &model->act) ||
      model->act == RESTORE_ACT_NONE)
    return metadata_error (error, "metadata 'unet.activation' is '%s', "
                           "expected 'relu', 'leaky_relu' or 'elu'", act_name);

  if (! get_finite (file, "norm.scale", &model->scale, error) ||
      ! get_finite (file, "norm.offset", &model->offset, error))
    return FALSE;
  if (model->scale == 0.0f)
    return metadata_error (error, "metadata 'norm.scale' is 0");

  /* optional: "none" (the default), "pushpull" or "harmonic" */
  model->prefill = FALSE;
  model->sweeps = 0;
  if (restore_file_has_key (file, "unet.prefill"))
    {
      const char *prefill;

      if (! get_string (file, "unet.prefill", TRUE, &prefill, error))
        return FALSE;
      if (strcmp (prefill, "pushpull") == 0)
        model->prefill = TRUE;
      else if (strcmp (prefill, "harmonic") == 0)
        {
          model->prefill = TRUE;
          model->sweeps = RESTORE_HARMONIC_SWEEPS;
        }
      else if (strcmp (prefill, "none") != 0)
        return metadata_error (error, "metadata 'unet.prefill' is '%s', "
                               "expected 'none', 'pushpull' or 'harmonic'",
                               prefill);
    }

  /* optional, "harmonic" only: how many relaxation sweeps per level */
  if (restore_file_has_key (file, "unet.prefill_sweeps"))
    {
      if (model->sweeps == 0)
        return metadata_error (error, "metadata 'unet.prefill_sweeps' needs "
                               "unet.prefill 'harmonic'");
      if (! get_u32 (file, "unet.prefill_sweeps", 1, RESTORE_MAX_SWEEPS, &value, error))
        return FALSE;
      model->sweeps = (int) value;
    }

  /* a detector's input has no mask channel to fill or add back */
  if (model->task == RESTORE_MODEL_TASK_DETECT && model->prefill)
    return metadata_error (error, "metadata 'unet.prefill' must be 'none' "
                           "for a detect model");
  if (model->task == RESTORE_MODEL_TASK_DETECT && model->residual)
    return metadata_error (error, "metadata 'unet.residual' must be 0 for a "
                           "detect model");

  if (! get_optional_radius (file, "restore.max_radius", &model->max_radius, error))
    return FALSE;

  /* optional: 1 (the default), 2 or 4 mirror images averaged */
  model->flips = 1;
  if (restore_file_has_key (file, "restore.flips"))
    {
      if (! get_u32 (file, "restore.flips", 1, 4, &value, error))
        return FALSE;
      if (value == 3)
        return metadata_error (error, "metadata 'restore.flips' is 3, "
                               "expected 1, 2 or 4");
      model->flips = (int) value;
    }
  if (! get_optional_radius (file, "restore.flips_radius", &model->flips_radius, error))
    return FALSE;
  return TRUE;
}

static char *
shape_string (const guint32 *dims,
              int            n_dims)
{
  GString *s = g_string_new ("[");

  for (int i = 0; i < n_dims; i++)
    g_string_append_printf (s, "%s%u", i ? ", " : "", dims[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

static const float *
get_tensor (const RestoreFile  *file,
            const char         *layer,
            const char         *suffix,
            const guint32      *dims,
            int                 n_dims,
            GError            **error)
{
  char                *name = g_strconcat (layer, ".", suffix, NULL);
  const RestoreTensor *t = restore_file_get_tensor (file, name);
  const float         *data = NULL;
  char                *want = shape_string (dims, n_dims);

  if (! t)
    {
      g_set_error (error, RESTORE_MODEL_ERROR, RESTORE_MODEL_ERROR_TENSOR,
                   "tensor '%s' %s is missing", name, want);
    }
  else if (t->n_dims != n_dims ||
           memcmp (t->dims, dims, (gsize) n_dims * sizeof (guint32)) != 0)
    {
      char *got = shape_string (t->dims, t->n_dims);

      g_set_error (error, RESTORE_MODEL_ERROR, RESTORE_MODEL_ERROR_TENSOR,
                   "tensor '%s' has shape %s, expected %s", name, got, want);
      g_free (got);
    }
  else
    {
      gsize n = 1;

      for (int i = 0; i < n_dims; i++)
        n *= dims[i];
      data = t->data;
      /* a NaN or an infinity would spread through every pixel the
       * weight reaches and fill with garbage: refuse the file */
      for (gsize i = 0; i < n && data != NULL; i++)
        if (! isfinite (t->data[i]))
          {
            g_set_error (error, RESTORE_MODEL_ERROR, RESTORE_MODEL_ERROR_TENSOR,
                         "tensor '%s' holds a value that is not a finite number "
                         "(%g at index %" G_GSIZE_FORMAT ")", name, t->data[i], i);
            data = NULL;
          }
    }
  g_free (want);
  g_free (name);
  return data;
}

static void
add_layer (RestoreModel      *model,
           const char        *name,
           int                c_in,
           int                c_out,
           int                kernel,
           int                stride,
           int                dilation,
           int                level,
           RestoreActivation  act)
{
  Layer *l = &model->layers[model->n_layers++];

  g_strlcpy (l->name, name, sizeof l->name);
  l->c_in = c_in;
  l->c_out = c_out;
  l->groups = act == RESTORE_ACT_NONE ? 1 : (model->gated ? 2 : 1);
  l->kernel = kernel;
  l->stride = stride;
  l->dilation = dilation;
  l->level = level;
  l->act = act;
}

/* The layers in execution order (restore-unet.h). */
static void
build_layers (RestoreModel *model)
{
  const int *c = model->channels;
  int        d = model->depth;
  char       name[32];

  model->layers = g_new0 (Layer, 2 * (d + 1) + model->n_dilations + 2 * d + 1);
  add_layer (model, "enc0.conv1", model->in_channels, c[0], 3, 1, 1, 0,
             model->act);
  add_layer (model, "enc0.conv2", c[0], c[0], 3, 1, 1, 0, model->act);
  for (int i = 1; i <= d; i++)
    {
      g_snprintf (name, sizeof name, "enc%d.conv1", i);
      add_layer (model, name, c[i - 1], c[i], 3, 2, 1, i, model->act);
      g_snprintf (name, sizeof name, "enc%d.conv2", i);
      add_layer (model, name, c[i], c[i], 3, 1, 1, i, model->act);
    }
  for (int k = 0; k < model->n_dilations; k++)
    {
      g_snprintf (name, sizeof name, "mid%d.conv", k);
      add_layer (model, name, c[d], c[d], 3, 1, model->dilations[k], d,
                 model->act);
    }
  for (int i = d; i >= 1; i--)
    {
      g_snprintf (name, sizeof name, "dec%d.conv1", i);
      add_layer (model, name, c[i], c[i - 1], 3, 1, 1, i - 1, model->act);
      g_snprintf (name, sizeof name, "dec%d.conv2", i);
      add_layer (model, name, 2 * c[i - 1], c[i - 1], 3, 1, 1, i - 1,
                 model->act);
    }
  add_layer (model, "out.conv", c[0], model->out_channels, 1, 1, 1, 0,
             RESTORE_ACT_NONE);
}

static gboolean
bind_tensors (RestoreModel  *model,
              GError       **error)
{
  guint n_file = restore_file_get_n_tensors (model->file);

  for (int i = 0; i < model->n_layers; i++)
    {
      Layer  *l = &model->layers[i];
      guint32 out = (guint32) (l->groups * l->c_out);
      guint32 wdims[4] = { out, (guint32) l->c_in,
                           (guint32) l->kernel, (guint32) l->kernel };

      l->weight = get_tensor (model->file, l->name, "weight", wdims, 4, error);
      if (! l->weight)
        return FALSE;
      l->bias = get_tensor (model->file, l->name, "bias", &out, 1, error);
      if (! l->bias)
        return FALSE;
    }

  if (n_file != (guint) (2 * model->n_layers))
    {
      /* every expected tensor is present, so some other one is extra */
      for (guint i = 0; i < n_file; i++)
        {
          const RestoreTensor *t = restore_file_get_tensor_nth (model->file, i);
          gboolean             expected = FALSE;

          for (int j = 0; j < model->n_layers && ! expected; j++)
            {
              gsize len = strlen (model->layers[j].name);

              expected = strncmp (t->name, model->layers[j].name, len) == 0 &&
                         (strcmp (t->name + len, ".weight") == 0 ||
                          strcmp (t->name + len, ".bias") == 0);
            }
          if (! expected)
            {
              g_set_error (error, RESTORE_MODEL_ERROR,
                           RESTORE_MODEL_ERROR_TENSOR,
                           "unexpected tensor '%s' for a depth-%d %s network "
                           "with %d bottleneck convs", t->name, model->depth,
                           model->gated ? "gated" : "plain",
                           model->n_dilations);
              return FALSE;
            }
        }
    }
  return TRUE;
}

static RestoreModel *
model_from_file (RestoreFile  *file,
                 GError      **error)
{
  RestoreModel *model = g_new0 (RestoreModel, 1);

  model->file = file;
  if (! read_metadata (model, error))
    {
      restore_model_free (model);
      return NULL;
    }
  build_layers (model);
  if (! bind_tensors (model, error))
    {
      restore_model_free (model);
      return NULL;
    }
  return model;
}

/**
 * restore_model_load_from_data:
 * @data: the whole model file, copied by the call
 * @size: its length
 * @error: return location for a RESTORE_MODEL_ERROR
 * Returns a new model (free with restore_model_free()) or NULL with
 * @error set.
 */
RestoreModel *
restore_model_load_from_data (const guint8  *data,
                              gsize          size,
                              GError       **error)
{
  RestoreFile *file = restore_file_load_from_data (data, size, error);

  return file ? model_from_file (file, error) : NULL;
}

/**
 * restore_model_load:
 * @path: a .grst model file
 * @error: return location for a RESTORE_MODEL_ERROR
 * Returns a new model (free with restore_model_free()) or NULL with
 * @error set; the message names the file.
 */
RestoreModel *
restore_model_load (const char  *path,
                    GError     **error)
{
  RestoreFile  *file;
  RestoreModel *model;

  g_return_val_if_fail (path != NULL, NULL);

  file = restore_file_load (path, error);
  if (! file)
    return NULL;
  model = model_from_file (file, error);
  if (! model)
    g_prefix_error (error, "%s: ", path);
  return model;
}

/**
 * restore_model_free:
 * @model: (nullable): a model
 * Frees the model and its weights.
 */
void
restore_model_free (RestoreModel *model)
{
  if (! model)
    return;
  g_free (model->layers);
  restore_file_free (model->file);
  g_free (model);
}

/** restore_model_get_name: Returns general.name, owned by @model. */
const char *
restore_model_get_name (const RestoreModel *model)
{
  g_return_val_if_fail (model != NULL, NULL);
  return model->name;
}

/** restore_model_get_description: Returns general.description. */
const char *
restore_model_get_description (const RestoreModel *model)
{
  g_return_val_if_fail (model != NULL, NULL);
  return model->description;
}

/** restore_model_get_license: Returns general.license. */
const char *
restore_model_get_license (const RestoreModel *model)
{
  g_return_val_if_fail (model != NULL, NULL);
  return model->license;
}

/** restore_model_get_depth: Returns D, the number of downsamplings. */
int
restore_model_get_depth (const RestoreModel *model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->depth;
}

/** restore_model_get_halo: Returns unet.receptive_field in pixels. */
int
restore_model_get_halo (const RestoreModel *model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->halo;
}

/** restore_model_get_max_radius: Returns restore.max_radius or 0. */
double
restore_model_get_max_radius (const RestoreModel *model)
{
  g_return_val_if_fail (model != NULL, 0.0);
  return model->max_radius;
}

/** restore_model_get_flips: Returns restore.flips (1 when not set). */
int
restore_model_get_flips (const RestoreModel *model)
{
  g_return_val_if_fail (model != NULL, 1);
  return model->flips;
}

/** restore_model_get_flips_radius: Returns restore.flips_radius or 0. */
double
restore_model_get_flips_radius (const RestoreModel *model)
{
  g_return_val_if_fail (model != NULL, 0.0);
  return model->flips_radius;
}

/** restore_model_get_task: Returns restore.task (inpaint by default). */
RestoreModelTask
restore_model_get_task (const RestoreModel *model)
{
  g_return_val_if_fail (model != NULL, RESTORE_MODEL_TASK_INPAINT);
  return model->task;
}

/** restore_model_get_in_channels: Returns unet.in_channels (4 or 3). */
int
restore_model_get_in_channels (const RestoreModel *model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->in_channels;
}

/** restore_model_get_out_channels: Returns unet.out_channels (3 or 1). */
int
restore_model_get_out_channels (const RestoreModel *model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->out_channels;
}

/** restore_model_get_norm_scale: Returns norm.scale. */
float
restore_model_get_norm_scale (const RestoreModel *model)
{
  g_return_val_if_fail (model != NULL, 1.0f);
  return model->scale;
}

/** restore_model_get_norm_offset: Returns norm.offset. */
float
restore_model_get_norm_offset (const RestoreModel *model)
{
  g_return_val_if_fail (model != NULL, 0.0f);
  return model->offset;
}

/**
 * restore_model_get_flops:
 * Returns the multiply-adds of one forward pass over a @width x @height
 * tile (convolutions only).
 */
double
restore_model_get_flops (const RestoreModel *model,
                         int                 width,
                         int                 height)
{
  double total = 0.0;

  g_return_val_if_fail (model != NULL, 0.0);

  for (int i = 0; i < model->n_layers; i++)
    {
      const Layer *l = &model->layers[i];
      double       pixels = (double) (width >> l->level) * (height >> l->level);

      total += pixels * l->groups * l->c_out * l->c_in *
               l->kernel * l->kernel;
    }
  return total;
}

