/* gimp-restore: the U-Net (network in restore-unet.h).
 *
 * Loading checks every metadata key the network needs and every tensor's
 * name and shape.  The forward pass takes all scratch memory from one
 * workspace owned by the model, grown on demand for the tile size:
 *
 *   cat[l], l < D   [2 C[l], H_l, W_l]   decoder input: channels [0, C[l])
 *                                        take dec{l+1}.conv1's output,
 *                                        [C[l], 2 C[l]) hold e_l
 *   p, q            ping-pong buffers of the largest activation
 *   raw             [2 C_out, ...] pre-gate output (gated models only)
 *   col             im2col scratch
 *
 * so the skip connections are never copied.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "restore-ops.h"
#include "restore-unet.h"

#define DEPTH_MAX        7
#define CHANNELS_MAX     1024
#define DILATIONS_MAX    8
#define DILATION_MAX     256
#define HALO_MAX         4096
#define TILE_MAX         16384
#define FLOAT_ALIGN      16          /* 64 bytes */

typedef struct
{
  char               name[32];
  const float       *weight;     /* [G * c_out, c_in, kernel, kernel] */
  const float       *bias;       /* [G * c_out] */
  int                c_in;
  int                c_out;      /* channels after gating */
  int                groups;     /* G: 2 when gated */
  int                kernel;
  int                stride;
  int                dilation;
  int                level;      /* resolution level of the output */
  RestoreActivation  act;
} Layer;

struct _RestoreModel
{
  RestoreFile       *file;
  const char        *name;
  const char        *description;
  const char        *license;
  int                depth;
  int                channels[DEPTH_MAX + 1];
  int                n_dilations;
  int                dilations[DILATIONS_MAX];
  gboolean           gated;
  gboolean           residual;
  gboolean           prefill;    /* unet.prefill "pushpull" */
  RestoreModelTask   task;       /* restore.task */
  int                in_channels;
  int                out_channels;
  gboolean           sigmoid;    /* unet.output "sigmoid" */
  RestoreActivation  act;
  int                halo;
  float              scale;
  float              offset;
  float              max_radius;

  Layer             *layers;
  int                n_layers;

  float             *workspace;
  gsize              workspace_floats;
};

/* Offsets (floats) into the workspace for one tile size. */
typedef struct
{
  gsize cat[DEPTH_MAX];
  gsize p, q, raw, col;
  gsize pre, pre_weight, pre_scratch;   /* prefilled input, when used */
  gsize total;
} Plan;

static gboolean
metadata_error (GError     **error,
                const char  *format,
                ...) G_GNUC_PRINTF (2, 3);

static gboolean
metadata_error (GError     **error,
                const char  *format,
                ...)
{
  va_list  args;
  char    *message;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, RESTORE_MODEL_ERROR,
                       RESTORE_MODEL_ERROR_METADATA, message);
  g_free (message);
  return FALSE;
}

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

  /* optional: "none" (the default) or "pushpull" */
  model->prefill = FALSE;
  if (restore_file_has_key (file, "unet.prefill"))
    {
      const char *prefill;

      if (! get_string (file, "unet.prefill", TRUE, &prefill, error))
        return FALSE;
      if (strcmp (prefill, "pushpull") == 0)
        model->prefill = TRUE;
      else if (strcmp (prefill, "none") != 0)
        return metadata_error (error, "metadata 'unet.prefill' is '%s', "
                               "expected 'none' or 'pushpull'", prefill);
    }

  /* a detector's input has no mask channel to fill or add back */
  if (model->task == RESTORE_MODEL_TASK_DETECT && model->prefill)
    return metadata_error (error, "metadata 'unet.prefill' must be 'none' "
                           "for a detect model");
  if (model->task == RESTORE_MODEL_TASK_DETECT && model->residual)
    return metadata_error (error, "metadata 'unet.residual' must be 0 for a "
                           "detect model");

  /* optional, but when present it must be a finite f32 >= 0 */
  model->max_radius = 0.0f;
  if (restore_file_get_f32 (file, "restore.max_radius", &model->max_radius))
    {
      if (! isfinite (model->max_radius) || model->max_radius < 0.0f)
        return metadata_error (error, "metadata 'restore.max_radius' must be "
                               "a finite number >= 0");
    }
  else if (restore_file_has_key (file, "restore.max_radius"))
    {
      return metadata_error (error, "metadata 'restore.max_radius' must be f32");
    }
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
      data = t->data;
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
 * Frees the model, its weights and its workspace.
 */
void
restore_model_free (RestoreModel *model)
{
  if (! model)
    return;
  free (model->workspace);
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

static gsize
round_up (gsize n)
{
  return (n + FLOAT_ALIGN - 1) / FLOAT_ALIGN * FLOAT_ALIGN;
}

static void
plan_workspace (const RestoreModel *model,
                int                 width,
                int                 height,
                Plan               *plan)
{
  gsize act_max = 0, raw_max = 0, col_max = 0, pos = 0;

  for (int i = 0; i < model->n_layers; i++)
    {
      const Layer *l = &model->layers[i];
      gsize        in_level = l->stride == 2 ? l->level - 1 : l->level;
      int          w_in = width >> in_level, h_in = height >> in_level;
      gsize        pixels = (gsize) (width >> l->level) * (height >> l->level);
      gsize        col;

      act_max = MAX (act_max, (gsize) l->c_out * pixels);
      if (l->groups == 2)
        raw_max = MAX (raw_max, (gsize) 2 * l->c_out * pixels);
      col = restore_ops_conv2d_col_floats (l->c_in, l->kernel, l->stride,
                                           l->dilation, h_in, w_in);
      col_max = MAX (col_max, col);
    }
  /* the upsampled input of dec{i}.conv1: [C[i], H_{i-1}, W_{i-1}] */
  for (int i = 1; i <= model->depth; i++)
    act_max = MAX (act_max, (gsize) model->channels[i] *
                   (gsize) (width >> (i - 1)) * (height >> (i - 1)));

  for (int l = 0; l < model->depth; l++)
    {
      plan->cat[l] = pos;
      pos += round_up ((gsize) 2 * model->channels[l] *
                       (gsize) (width >> l) * (height >> l));
    }
  plan->p = pos;
  pos += round_up (act_max);
  plan->q = pos;
  pos += round_up (act_max);
  plan->raw = pos;
  pos += round_up (raw_max);
  plan->col = pos;
  pos += round_up (col_max);
  plan->pre = plan->pre_weight = plan->pre_scratch = 0;
  if (model->prefill)
    {
      gsize plane = (gsize) width * height;

      plan->pre = pos;
      pos += round_up (4 * plane);
      plan->pre_weight = pos;
      pos += round_up (plane);
      plan->pre_scratch = pos;
      pos += round_up (restore_ops_push_pull_floats (3, height, width));
    }
  plan->total = pos;
}

static gboolean
ensure_workspace (RestoreModel  *model,
                  gsize          floats,
                  GError       **error)
{
  void *mem = NULL;

  if (floats <= model->workspace_floats)
    return TRUE;
  free (model->workspace);
  model->workspace = NULL;
  model->workspace_floats = 0;
  if (floats > G_MAXSIZE / sizeof (float) ||
      (mem = restore_ops_alloc_floats (floats)) == NULL)
    {
      g_set_error (error, RESTORE_MODEL_ERROR, RESTORE_MODEL_ERROR_IO,
                   "cannot allocate %" G_GSIZE_FORMAT " MB of workspace for "
                   "the network", floats * sizeof (float) / (1024 * 1024));
      return FALSE;
    }
  model->workspace = mem;
  model->workspace_floats = floats;
  return TRUE;
}

/* Runs one layer: input at its input resolution -> output. */
static void
run_layer (const Layer *l,
           const float *input,
           int          width,
           int          height,
           float       *output,
           float       *raw,
           float       *col,
           gboolean     reference)
{
  int                c = l->groups * l->c_out;
  float             *dst = l->groups == 2 ? raw : output;
  RestoreActivation  act = l->groups == 2 ? RESTORE_ACT_NONE : l->act;

  if (reference)
    restore_ops_conv2d_reference (input, l->c_in, height, width, l->weight,
                                  l->bias, c, l->kernel, l->stride,
                                  l->dilation, act, dst);
  else
    restore_ops_conv2d (input, l->c_in, height, width, l->weight, l->bias, c,
                        l->kernel, l->stride, l->dilation, act, dst, col);

  if (l->groups == 2)
    {
      int   h_out = restore_ops_conv_out_size (height, l->kernel, l->stride,
                                               l->dilation);
      int   w_out = restore_ops_conv_out_size (width, l->kernel, l->stride,
                                               l->dilation);

      restore_ops_gate (raw, l->c_out, (gsize) h_out * w_out, l->act, output);
    }
}

static gboolean
forward (RestoreModel  *model,
         const float   *input,
         float         *output,
         int            width,
         int            height,
         gboolean       reference,
         GError       **error)
{
  const int   *c = model->channels;
  int          d = model->depth;
  int          multiple = 1 << d;
  const Layer *layer = model->layers;
  Plan         plan;
  float       *ws, *p, *q, *raw, *col, *h;
  gsize        plane0;

  g_return_val_if_fail (model != NULL && input != NULL && output != NULL,
                        FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (width <= 0 || height <= 0 || width > TILE_MAX || height > TILE_MAX ||
      width % multiple != 0 || height % multiple != 0)
    {
      g_set_error (error, RESTORE_MODEL_ERROR, RESTORE_MODEL_ERROR_FORMAT,
                   "tile size %dx%d is not a positive multiple of %d up to %d",
                   width, height, multiple, TILE_MAX);
      return FALSE;
    }

  plan_workspace (model, width, height, &plan);
  if (! ensure_workspace (model, plan.total, error))
    return FALSE;
  ws = model->workspace;
  p = ws + plan.p;
  q = ws + plan.q;
  raw = ws + plan.raw;
  col = ws + plan.col;

  if (model->prefill)
    {
      /* the hole filled by push-pull from the known pixels around it */
      float *pre = ws + plan.pre, *weight = ws + plan.pre_weight;

      plane0 = (gsize) width * height;
      memcpy (pre, input, 4 * plane0 * sizeof (float));
      for (gsize i = 0; i < plane0; i++)
        weight[i] = 1.0f - input[3 * plane0 + i];
      restore_ops_push_pull (pre, weight, 3, height, width,
                             ws + plan.pre_scratch);
      input = pre;
    }

#define E(i) ((i) < d ? ws + plan.cat[i] + \
              (gsize) c[i] * (gsize) (width >> (i)) * (height >> (i)) : q)

  /* encoder: e_i lands in the second half of cat[i] (q for i = D) */
  run_layer (layer++, input, width, height, p, raw, col, reference);
  run_layer (layer++, p, width, height, E (0), raw, col, reference);
  for (int i = 1; i <= d; i++)
    {
      int w = width >> (i - 1), hh = height >> (i - 1);

      run_layer (layer++, E (i - 1), w, hh, p, raw, col, reference);
      run_layer (layer++, p, w / 2, hh / 2, E (i), raw, col, reference);
    }
#undef E

  /* bottleneck: h ping-pongs between q and p */
  h = q;
  for (int k = 0; k < model->n_dilations; k++)
    {
      float *other = h == q ? p : q;

      run_layer (layer++, h, width >> d, height >> d, other, raw, col,
                 reference);
      h = other;
    }

  /* decoder */
  for (int i = d; i >= 1; i--)
    {
      float *other = h == q ? p : q;
      float *cat = ws + plan.cat[i - 1];
      int    w = width >> (i - 1), hh = height >> (i - 1);

      restore_ops_upsample2x (h, c[i], hh / 2, w / 2, other);
      run_layer (layer++, other, w, hh, cat, raw, col, reference);
      run_layer (layer++, cat, w, hh, h, raw, col, reference);
    }

  run_layer (layer++, h, width, height, output, raw, col, reference);
  g_assert (layer == model->layers + model->n_layers);

  plane0 = (gsize) width * height;
  if (model->residual)
    for (gsize i = 0; i < 3 * plane0; i++)
      output[i] += input[i];
  if (model->sigmoid)
    for (gsize i = 0; i < (gsize) model->out_channels * plane0; i++)
      output[i] = 1.0f / (1.0f + expf (-output[i]));
  return TRUE;
}

/**
 * restore_model_forward:
 * See restore-unet.h.
 */
gboolean
restore_model_forward (RestoreModel  *model,
                       const float   *input,
                       float         *output,
                       int            width,
                       int            height,
                       GError       **error)
{
  return forward (model, input, output, width, height, FALSE, error);
}

/**
 * restore_model_forward_reference:
 * See restore-unet.h; uses restore_ops_conv2d_reference().
 */
gboolean
restore_model_forward_reference (RestoreModel  *model,
                                 const float   *input,
                                 float         *output,
                                 int            width,
                                 int            height,
                                 GError       **error)
{
  return forward (model, input, output, width, height, TRUE, error);
}
