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
 *   col             im2col scratch (also of the sparse decoder's layers)
 *
 * so the skip connections are never copied.  restore_model_forward_masked()
 * also keeps 3 bytes per tile pixel of maps and 12 bytes per span of
 * pixels it computes ("the sparse decoder" below).
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "restore-ops.h"
#include "restore-fill.h"
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
  gboolean           prefill;    /* unet.prefill "pushpull" or "harmonic" */
  int                sweeps;     /* relaxation sweeps: "harmonic" only */
  RestoreModelTask   task;       /* restore.task */
  int                in_channels;
  int                out_channels;
  gboolean           sigmoid;    /* unet.output "sigmoid" */
  RestoreActivation  act;
  int                halo;
  float              scale;
  float              offset;
  float              max_radius;
  int                flips;      /* restore.flips: 1, 2 or 4 */
  float              flips_radius; /* restore.flips_radius, 0 if unset */

  Layer             *layers;
  int                n_layers;

  float             *workspace;
  gsize              workspace_floats;

  /* restore_model_forward_masked(): the needed-pixel maps (3 of the tile
   * size) and the spans of every sparse layer */
  guint8            *maps;
  gsize              maps_bytes;
  RestoreSpan       *spans;
  gsize              spans_alloc;
  gsize              n_spans;
  RestoreSparseMode  sparse;
};

/* The output pixels one decoder layer computes in a sparse forward pass:
 * all of them (full), or the spans [first, first + n) of model->spans. */
typedef struct
{
  gboolean full;
  gsize    first, n;
  gsize    pixels;
} PixelSet;

/* Per level l < depth: a[l] where dec{l+1}.conv2 (and at level 0
 * out.conv) computes h_l, b[l] where dec{l+1}.conv1 computes its output. */
typedef struct
{
  PixelSet a[DEPTH_MAX];
  PixelSet b[DEPTH_MAX];
} SparsePlan;

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
  g_free (model->maps);
  g_free (model->spans);
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
      /* the decoder and out.conv on spans (forward_masked) */
      if (i >= model->n_layers - 2 * model->depth - 1)
        col_max = MAX (col_max, restore_ops_conv2d_runs_col_floats (
                         l->c_in, l->kernel, l->groups * l->c_out,
                         height >> l->level, width >> l->level));
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
      pos += round_up (restore_fill_push_pull_floats (3, height, width,
                                                     model->sweeps));
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

/* --- the sparse decoder ------------------------------------------------
 *
 * restore_model_forward_masked() only needs the output y where the mask
 * channel x[3] is > 0.  Working back from there, per level l < D (at
 * H_l x W_l = (H >> l) x (W >> l)), with dil (S) the pixels within one
 * pixel of S (the 3x3 neighbourhoods, clipped to the plane):
 *   A_0 = { m > 0 }                       out.conv and dec1.conv2 compute h_0
 *   B_l = dil (A_l)                       dec{l+1}.conv1 computes its output
 *   U_l = dil (B_l)                       the upsampled h_{l+1} it reads
 *   A_{l+1} = { (y >> 1, x >> 1) : (y, x) in U_l }
 *                                         dec{l+2}.conv2 computes h_{l+1}
 * The encoder and the bottleneck run on every pixel (they feed the
 * coarse levels, whose receptive field covers the tile).
 *
 * Why no stale value is read (the buffers hold whatever an earlier pass
 * left outside the computed pixels): a sparse layer computes each of its
 * output pixels from that pixel's own im2col column, i.e. from its 3x3
 * input neighbourhood only (restore_ops_conv2d_runs()).  Then, for p in
 * A_l, dec{l+1}.conv2 reads the cat buffer at dil ({p}): the e_l half is
 * dense, the other half is dec{l+1}.conv1's output, computed on
 * B_l = dil (A_l), which holds dil ({p}).  For p in B_l, dec{l+1}.conv1
 * reads the upsampled h_{l+1} at dil ({p}), a subset of U_l, i.e.
 * h_{l+1} at (y >> 1, x >> 1) for those pixels: inside A_{l+1}, computed
 * by dec{l+2}.conv2 just before (or h_D, the dense bottleneck, when
 * l + 1 = D).  out.conv (1x1) reads h_0 at A_0 itself.  Induction from
 * the coarsest level down: every value a computed pixel of A_0 depends on
 * was computed in this pass, so y on A_0 is the dense pass's (up to the
 * order of the sums).  tests/inference/test-sparse.c checks it with the
 * workspace filled with NaN first (GIMP_RESTORE_POISON).
 *
 * A sparse layer costs more per pixel than the dense one (Winograd) and
 * something per span: where the estimate (sparse_pays) says the dense
 * layer is cheaper, the set is computed densely ("full"); a dense layer
 * needs its whole input, so every set after it (coarser) is full too. */

/* Whether computing @pixels in @runs spans of a w x h plane sparsely
 * costs less than the dense layer (c_in -> c_out, 3x3): per pixel, a
 * gathered im2col layer costs about twice the dense layer's time per
 * pixel and the folded upsampling convolution (restore_ops_conv2d_runs)
 * somewhat less than it; per span, the gathering costs the same per input
 * channel whatever the outputs (mostly cache misses), 250 / c_out pixels
 * of the dense layer, rounded up (measured: bench/README.md, "How the
 * engine spends its time"). */
static gboolean
sparse_pays (gsize pixels,
             gsize runs,
             int   w,
             int   h,
             int   c_in,
             int   c_out,
             int   up)
{
  double per_pixel = up ? 0.9 : 2.0;
  double per_run = 250.0 / c_out;

  return per_pixel * pixels + per_run * runs < (double) w * h;
}

static RestoreSparseMode
sparse_mode (const RestoreModel *model)
{
  const char *env;

  if (model->sparse != RESTORE_SPARSE_DEFAULT)
    return model->sparse;
  env = g_getenv ("GIMP_RESTORE_SPARSE");
  if (env == NULL)
    return RESTORE_SPARSE_AUTO;
  if (strcmp (env, "0") == 0)
    return RESTORE_SPARSE_OFF;
  if (strcmp (env, "always") == 0)
    return RESTORE_SPARSE_ALWAYS;
  return RESTORE_SPARSE_AUTO;
}

/**
 * restore_model_set_sparse:
 * See restore-unet.h.
 */
void
restore_model_set_sparse (RestoreModel      *model,
                          RestoreSparseMode  mode)
{
  g_return_if_fail (model != NULL);
  g_return_if_fail ((guint) mode <= RESTORE_SPARSE_ALWAYS);
  model->sparse = mode;
}

/* dst = dil (src) on a w x h map of 0/1 bytes; @tmp the same size. */
static void
map_dilate (const guint8 *src,
            int           w,
            int           h,
            guint8       *tmp,
            guint8       *dst)
{
  for (int y = 0; y < h; y++)
    {
      const guint8 *s = src + (gsize) y * w;
      guint8       *t = tmp + (gsize) y * w;

      for (int x = 0; x < w; x++)
        t[x] = s[x] | (x > 0 ? s[x - 1] : 0) | (x + 1 < w ? s[x + 1] : 0);
    }
  for (int y = 0; y < h; y++)
    {
      const guint8 *t = tmp + (gsize) y * w;
      const guint8 *above = y > 0 ? t - w : t;
      const guint8 *below = y + 1 < h ? t + w : t;
      guint8       *d = dst + (gsize) y * w;

      for (int x = 0; x < w; x++)
        d[x] = t[x] | above[x] | below[x];
    }
}

/* dst (w/2 x h/2) = 1 where any of the 2x2 pixels of src (w x h) is. */
static void
map_halve (const guint8 *src,
           int           w,
           int           h,
           guint8       *dst)
{
  int w2 = w / 2;

  for (int y = 0; y < h / 2; y++)
    {
      const guint8 *r0 = src + (gsize) (2 * y) * w;
      const guint8 *r1 = r0 + w;
      guint8       *d = dst + (gsize) y * w2;

      for (int x = 0; x < w2; x++)
        d[x] = r0[2 * x] | r0[2 * x + 1] | r1[2 * x] | r1[2 * x + 1];
    }
}

/* The set of a map as spans appended to model->spans; full (and no
 * spans) when the layer (c_in -> c_out, @up as for
 * restore_ops_conv2d_runs) is cheaper dense, unless @always.  FALSE when
 * the memory for the spans is not there. */
static gboolean
map_to_set (RestoreModel *model,
            const guint8 *map,
            int           w,
            int           h,
            int           c_in,
            int           c_out,
            int           up,
            gboolean      always,
            PixelSet     *set)
{
  set->first = model->n_spans;
  set->n = 0;
  set->pixels = 0;
  set->full = FALSE;
  for (int y = 0; y < h; y++)
    {
      const guint8 *row = map + (gsize) y * w;
      int           x = 0;

      while (x < w)
        {
          int x0;

          while (x < w && ! row[x])
            x++;
          if (x == w)
            break;
          x0 = x;
          while (x < w && row[x])
            x++;
          if (model->n_spans == model->spans_alloc)
            {
              gsize        n = MAX (1024, 2 * model->spans_alloc);
              RestoreSpan *spans = g_try_renew (RestoreSpan, model->spans, n);

              if (spans == NULL)
                return FALSE;
              model->spans = spans;
              model->spans_alloc = n;
            }
          model->spans[model->n_spans].y = y;
          model->spans[model->n_spans].x0 = x0;
          model->spans[model->n_spans].x1 = x;
          model->n_spans++;
          set->n++;
          set->pixels += (gsize) (x - x0);
        }
    }
  if (! always && set->pixels > 0 &&
      ! sparse_pays (set->pixels, set->n, w, h, c_in, c_out, up))
    {
      set->full = TRUE;
      set->n = 0;
      model->n_spans = set->first;
    }
  return TRUE;
}

typedef enum
{
  PLAN_SPARSE,
  PLAN_EMPTY,       /* nothing masked: no output pixel is needed */
  PLAN_NO_MEMORY    /* for the maps or the spans: run densely */
} PlanResult;

/* Fills @sp from the mask channel of @input (width x height); dense
 * levels where sparse_pays() says so, unless @always. */
static PlanResult
sparse_plan (RestoreModel *model,
             const float  *input,
             int           width,
             int           height,
             gboolean      always,
             SparsePlan   *sp)
{
  gsize        plane = (gsize) width * height;
  const float *m = input + 3 * plane;
  guint8      *a, *b, *t;
  gboolean     full = FALSE;

  if (model->maps_bytes < 3 * plane)
    {
      g_free (model->maps);
      model->maps = g_try_malloc (3 * plane);
      model->maps_bytes = model->maps ? 3 * plane : 0;
      if (model->maps == NULL)
        return PLAN_NO_MEMORY;
    }
  a = model->maps;
  b = a + plane;
  t = b + plane;
  model->n_spans = 0;
  for (gsize i = 0; i < plane; i++)
    a[i] = m[i] > 0.0f;

  for (int l = 0; l < model->depth; l++)
    {
      int w = width >> l, h = height >> l;
      int c_l = model->channels[l], c_up = model->channels[l + 1];

      memset (&sp->a[l], 0, sizeof sp->a[l]);
      memset (&sp->b[l], 0, sizeof sp->b[l]);
      sp->a[l].full = sp->b[l].full = full;
      if (full)
        continue;
      /* dec{l+1}.conv2: 2 C[l] -> C[l] */
      if (! map_to_set (model, a, w, h, 2 * c_l, c_l, 0, always, &sp->a[l]))
        return PLAN_NO_MEMORY;
      if (l == 0 && sp->a[0].pixels == 0)
        return PLAN_EMPTY;
      full = sp->a[l].full;
      if (full)
        {
          sp->b[l].full = TRUE;
          continue;
        }
      map_dilate (a, w, h, t, b);
      /* dec{l+1}.conv1: C[l+1] -> C[l] on the upsampled h_{l+1} */
      if (! map_to_set (model, b, w, h, c_up, c_l, 1, always, &sp->b[l]))
        return PLAN_NO_MEMORY;
      full = sp->b[l].full;
      if (! full && l + 1 < model->depth)
        {
          map_dilate (b, w, h, t, a);     /* U_l */
          map_halve (a, w, h, t);         /* A_{l+1} */
          memcpy (a, t, (gsize) (w / 2) * (h / 2));
        }
    }
  return PLAN_SPARSE;
}

static void
fill_nan (float *data,
          gsize  n)
{
  for (gsize i = 0; i < n; i++)
    data[i] = NAN;
}

/* One decoder layer (or out.conv) on the pixels of @set. */
static void
run_layer_spans (const RestoreModel *model,
                 const Layer        *l,
                 const float        *input,
                 int                 width,
                 int                 height,
                 int                 up,
                 float              *output,
                 float              *col,
                 const PixelSet     *set)
{
  restore_ops_conv2d_runs (input, l->c_in, height, width, up, l->weight,
                           l->bias, l->c_out, l->groups, l->kernel, l->act,
                           model->spans + set->first, (int) set->n, output,
                           col);
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

/* @masked: only the output where the mask channel is > 0 is needed
 * (restore_model_forward_masked()). */
static gboolean
forward (RestoreModel  *model,
         const float   *input,
         float         *output,
         int            width,
         int            height,
         gboolean       reference,
         gboolean       masked,
         GError       **error)
{
  const int   *c = model->channels;
  int          d = model->depth;
  int          multiple = 1 << d;
  const Layer *layer = model->layers;
  const float *x = input;
  Plan         plan;
  SparsePlan   sparse, *sp = NULL;
  gboolean     poison = FALSE;
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

  plane0 = (gsize) width * height;
  if (masked && model->in_channels == 4 && ! reference)
    {
      RestoreSparseMode mode = sparse_mode (model);

      PlanResult        result = PLAN_NO_MEMORY;

      if (mode != RESTORE_SPARSE_OFF)
        result = sparse_plan (model, input, width, height,
                              mode == RESTORE_SPARSE_ALWAYS, &sparse);
      if (result == PLAN_EMPTY)
        {
          /* no output pixel is needed */
          memcpy (output, input, 3 * plane0 * sizeof (float));
          return TRUE;
        }
      if (result == PLAN_SPARSE)
        sp = &sparse;
    }

  plan_workspace (model, width, height, &plan);
  if (! ensure_workspace (model, plan.total, error))
    return FALSE;
  ws = model->workspace;
  poison = sp != NULL && g_getenv ("GIMP_RESTORE_POISON") != NULL;
  if (poison)
    fill_nan (ws, plan.total);
  p = ws + plan.p;
  q = ws + plan.q;
  raw = ws + plan.raw;
  col = ws + plan.col;

  if (model->prefill)
    {
      /* the hole filled by push-pull (relaxed to a membrane for
       * "harmonic") from the known pixels around it */
      float *pre = ws + plan.pre, *weight = ws + plan.pre_weight;

      memcpy (pre, input, 4 * plane0 * sizeof (float));
      for (gsize i = 0; i < plane0; i++)
        weight[i] = 1.0f - input[3 * plane0 + i];
      restore_fill_push_pull (pre, weight, 3, height, width, model->sweeps,
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

      if (sp == NULL || sp->b[i - 1].full)
        {
          restore_ops_upsample2x (h, c[i], hh / 2, w / 2, other);
          run_layer (layer++, other, w, hh, cat, raw, col, reference);
        }
      else
        {
          /* reads h through the upsampling, at B_{i-1} dilated; with
           * GIMP_RESTORE_POISON, the pixels it does not compute are NaN
           * (the whole workspace is, but the buffers are reused) */
          if (poison)
            fill_nan (cat, (gsize) c[i - 1] * w * hh);
          run_layer_spans (model, layer++, h, w, hh, 1, cat, col,
                           &sp->b[i - 1]);
        }
      if (sp == NULL || sp->a[i - 1].full)
        {
          run_layer (layer++, cat, w, hh, h, raw, col, reference);
        }
      else
        {
          if (poison)
            fill_nan (h, (gsize) c[i - 1] * w * hh);
          run_layer_spans (model, layer++, cat, w, hh, 0, h, col,
                           &sp->a[i - 1]);
        }
    }

  if (sp != NULL && ! sp->a[0].full)
    {
      const RestoreSpan *s = model->spans + sp->a[0].first;

      /* unneeded pixels: the input's own (finite, never used) */
      memcpy (output, x, 3 * plane0 * sizeof (float));
      run_layer_spans (model, layer++, h, width, height, 0, output, col,
                       &sp->a[0]);
      g_assert (layer == model->layers + model->n_layers);
      if (model->residual)
        for (gsize k = 0; k < sp->a[0].n; k++)
          for (int ch = 0; ch < 3; ch++)
            {
              gsize o = ch * plane0 + (gsize) s[k].y * width;

              for (int xx = s[k].x0; xx < s[k].x1; xx++)
                output[o + xx] += input[o + xx];
            }
      return TRUE;
    }

  run_layer (layer++, h, width, height, output, raw, col, reference);
  g_assert (layer == model->layers + model->n_layers);

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
  return forward (model, input, output, width, height, FALSE, FALSE, error);
}

/**
 * restore_model_forward_masked:
 * See restore-unet.h.
 */
gboolean
restore_model_forward_masked (RestoreModel  *model,
                              const float   *input,
                              float         *output,
                              int            width,
                              int            height,
                              GError       **error)
{
  return forward (model, input, output, width, height, FALSE, TRUE, error);
}

/* dst[c] (+)= src[c] mirrored left-right (@fx) and/or upside down (@fy),
 * for @planes planes of @width x @height. */
static void
mirror_planes (const float *src,
               float       *dst,
               int          planes,
               int          width,
               int          height,
               gboolean     fx,
               gboolean     fy,
               gboolean     add)
{
  for (int c = 0; c < planes; c++)
    for (int y = 0; y < height; y++)
      {
        const float *s = src + ((gsize) c * height + (fy ? height - 1 - y : y)) * width;
        float       *d = dst + ((gsize) c * height + y) * width;

        if (fx && add)
          for (int x = 0; x < width; x++)
            d[x] += s[width - 1 - x];
        else if (fx)
          for (int x = 0; x < width; x++)
            d[x] = s[width - 1 - x];
        else if (add)
          for (int x = 0; x < width; x++)
            d[x] += s[x];
        else
          memcpy (d, s, sizeof (float) * width);
      }
}

/**
 * restore_model_forward_flipped:
 * See restore-unet.h.
 */
gboolean
restore_model_forward_flipped (RestoreModel  *model,
                               const float   *input,
                               float         *output,
                               int            width,
                               int            height,
                               int            n_flips,
                               gboolean       masked,
                               GError       **error)
{
  gsize    plane = (gsize) width * height;
  float   *in, *out;
  gboolean ok;

  g_return_val_if_fail (model != NULL && input != NULL && output != NULL, FALSE);
  g_return_val_if_fail (n_flips == 1 || n_flips == 2 || n_flips == 4, FALSE);

  ok = forward (model, input, output, width, height, FALSE, masked, error);
  if (! ok || n_flips == 1)
    return ok;

  in = restore_ops_alloc_floats ((gsize) model->in_channels * plane);
  out = restore_ops_alloc_floats ((gsize) model->out_channels * plane);
  if (in == NULL || out == NULL)
    {
      free (in);
      free (out);
      g_set_error (error, RESTORE_MODEL_ERROR, RESTORE_MODEL_ERROR_IO,
                   "cannot allocate the mirrored tile (%d x %d)", width, height);
      return FALSE;
    }
  /* 1: left-right; 2: upside down; 3: both */
  for (int f = 1; f < n_flips && ok; f++)
    {
      gboolean fx = (f & 1) != 0, fy = (f & 2) != 0;

      mirror_planes (input, in, model->in_channels, width, height, fx, fy, FALSE);
      ok = forward (model, in, out, width, height, FALSE, masked, error);
      if (ok)
        mirror_planes (out, output, model->out_channels, width, height, fx, fy, TRUE);
    }
  if (ok)
    for (gsize i = 0; i < (gsize) model->out_channels * plane; i++)
      output[i] /= (float) n_flips;
  free (in);
  free (out);
  return ok;
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
  return forward (model, input, output, width, height, TRUE, FALSE, error);
}
