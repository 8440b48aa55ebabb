/* gimp-restore plug-in: finding the damage (see plugin-detect.h).
 *
 * Settings are stored with gimp_set_data() under "plug-in-restore-detect"
 * as a versioned blob: u32 version, then the fields of that version.
 * Version 2: double sensitivity, int operation, min_size, max_size, grow,
 * scale (version 1, without scale, is read with the default scale).  A blob of
 * another version or size, or with a value out of range, is ignored.
 */
#include "config.h"

#include <string.h>

#include <libgimp/gimp.h>
#include <glib/gi18n-lib.h>

#include "restore-params.h"
#include "plugin-apply.h"
#include "plugin-detect.h"

#define DETECT_SETTINGS_KEY     "plug-in-restore-detect"
#define DETECT_SETTINGS_VERSION 2

typedef struct
{
  guint32          version;
  UiDetectSettings v;
} DetectSettingsBlob;

/* Version 1's fields (before scale). */
typedef struct
{
  guint32 version;
  double  sensitivity;
  int     operation, min_size, max_size, grow;
} DetectSettingsBlob1;

/* The blob's size tells the versions apart. */
G_STATIC_ASSERT (sizeof (DetectSettingsBlob) != sizeof (DetectSettingsBlob1));

gboolean
plugin_detect_settings_load (UiDetectSettings *settings)
{
  DetectSettingsBlob  blob;
  DetectSettingsBlob1 old;
  UiDetectSettings    s;
  gint                size = gimp_get_data_size (DETECT_SETTINGS_KEY);

  ui_detect_settings_defaults (settings);
  s = *settings;
  memset (&blob, 0, sizeof (blob));
  memset (&old, 0, sizeof (old));
  if (size == (gint) sizeof (blob) && gimp_get_data (DETECT_SETTINGS_KEY, &blob)
      && blob.version == DETECT_SETTINGS_VERSION)
    s = blob.v;
  else if (size == (gint) sizeof (old) && gimp_get_data (DETECT_SETTINGS_KEY, &old)
           && old.version == 1)
    {
      s.sensitivity = old.sensitivity;
      s.operation = old.operation;
      s.min_size = old.min_size;
      s.max_size = old.max_size;
      s.grow = old.grow;
    }
  else
    return FALSE;
  if (! ui_detect_settings_check (&s, NULL))
    return FALSE;
  *settings = s;
  return TRUE;
}

void
plugin_detect_settings_save (const UiDetectSettings *settings)
{
  DetectSettingsBlob blob;

  memset (&blob, 0, sizeof (blob));
  blob.version = DETECT_SETTINGS_VERSION;
  blob.v = *settings;
  gimp_set_data (DETECT_SETTINGS_KEY, &blob, sizeof (blob));
}

PluginDetectInput *
plugin_detect_input_new (gint32   image_ID,
                         gint32   drawable_ID,
                         GError **error)
{
  PluginDetectInput *input;
  RestoreModel      *detector;
  GeglBuffer        *buffer;
  int                w, h;

  if (! gimp_item_is_valid (drawable_ID) || ! gimp_item_is_drawable (drawable_ID))
    {
      g_set_error (error, PLUGIN_ERROR, PLUGIN_ERROR_NOT_LAYER,
                   _("The drawable is not valid."));
      return NULL;
    }
  if (! gimp_item_is_layer (drawable_ID))
    {
      g_set_error (error, PLUGIN_ERROR, PLUGIN_ERROR_NOT_LAYER,
                   _("Damage can only be searched for on a layer: choose a "
                     "layer in the Layers dialog (not a channel or a mask)."));
      return NULL;
    }
  if (gimp_item_is_group (drawable_ID))
    {
      g_set_error (error, PLUGIN_ERROR, PLUGIN_ERROR_GROUP,
                   _("Cannot search a layer group: choose one of its layers."));
      return NULL;
    }
  if (gimp_drawable_is_indexed (drawable_ID))
    {
      g_set_error (error, PLUGIN_ERROR, PLUGIN_ERROR_INDEXED,
                   _("Indexed images cannot be searched: convert the image to "
                     "RGB or grayscale first (Image → Mode)."));
      return NULL;
    }
  detector = restore_registry_load_detector (plugin_registry (), NULL, error);
  if (detector == NULL)
    return NULL;

  w = gimp_drawable_width (drawable_ID);
  h = gimp_drawable_height (drawable_ID);
  input = g_new0 (PluginDetectInput, 1);
  input->image_ID = image_ID;
  input->drawable_ID = drawable_ID;
  input->detector = detector;
  gimp_drawable_offsets (drawable_ID, &input->offset_x, &input->offset_y);
  /* Gray layers are read as three equal channels: the detector's input. */
  input->image.width = w;
  input->image.height = h;
  input->image.channels = 3;
  input->image.rowstride = (gsize) w * 3;
  input->image.data = g_new (float, input->image.rowstride * h);
  buffer = gimp_drawable_get_buffer (drawable_ID);
  gegl_buffer_get (buffer, GEGL_RECTANGLE (0, 0, w, h), 1.0,
                   babl_format ("R'G'B' float"), input->image.data,
                   GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
  g_object_unref (buffer);
  return input;
}

void
plugin_detect_input_free (PluginDetectInput *input)
{
  if (input == NULL)
    return;
  g_free (input->image.data);
  g_free (input->prob);
  if (input->detector)
    restore_model_free (input->detector);
  g_free (input);
}

static void
detect_progress (double   fraction,
                 gpointer user_data)
{
  gimp_progress_update (fraction);
}

/* Replaces the selection with @mask (drawable coordinates) or adds it, in
 * one undo group, through a temporary channel of the image's size. */
static void
detect_set_selection (const PluginDetectInput *input,
                      const float             *mask,
                      int                      operation)
{
  static const GimpRGB black = { 0.0, 0.0, 0.0, 1.0 };
  gint32      image_ID = input->image_ID;
  int         iw = gimp_image_width (image_ID);
  int         ih = gimp_image_height (image_ID);
  int         w = input->image.width, h = input->image.height;
  int         x0 = MAX (0, input->offset_x), y0 = MAX (0, input->offset_y);
  int         x1 = MIN (iw, input->offset_x + w), y1 = MIN (ih, input->offset_y + h);
  gint32      channel;
  GeglBuffer *buffer;

  gimp_image_undo_group_start (image_ID);
  /* TRANSLATORS: name of a temporary channel, seen only in the undo history */
  channel = gimp_channel_new (image_ID, _("Detected damage"), iw, ih, 50.0, &black);
  gimp_image_insert_channel (image_ID, channel, -1, 0);
  buffer = gimp_drawable_get_buffer (channel);
  gegl_buffer_clear (buffer, NULL);
  if (x1 > x0 && y1 > y0)
    gegl_buffer_set (buffer, GEGL_RECTANGLE (x0, y0, x1 - x0, y1 - y0), 0,
                     babl_format ("Y float"),
                     mask + (gsize) (y0 - input->offset_y) * w + (x0 - input->offset_x),
                     (gint) (sizeof (float) * w));
  gegl_buffer_flush (buffer);
  g_object_unref (buffer);

  /* The selection takes the channel's values as they are (no feathering
   * from the caller's context). */
  gimp_context_push ();
  gimp_context_set_feather (FALSE);
  gimp_image_select_item (image_ID,
                          operation == RESTORE_DETECT_OPERATION_ADD
                            ? GIMP_CHANNEL_OP_ADD : GIMP_CHANNEL_OP_REPLACE,
                          channel);
  gimp_context_pop ();
  gimp_image_remove_channel (image_ID, channel);
  gimp_image_undo_group_end (image_ID);
}

int
plugin_detect_apply (PluginDetectInput      *input,
                     const UiDetectSettings *settings,
                     GError                **error)
{
  RestoreDetectOptions options;
  float               *mask;
  int                  n;

  if (! ui_detect_settings_check (settings, error))
    return -1;
  ui_detect_settings_to_options (settings, &options);

  if (input->prob == NULL)
    {
      float *prob = g_new (float, (gsize) input->image.width * input->image.height);

      options.progress = detect_progress;
      gimp_progress_init (_("Finding the damage"));
      if (! restore_detect_probability (input->detector, &input->image, prob,
                                        &options, error))
        {
          g_free (prob);
          return -1;
        }
      input->prob = prob;
      options.progress = NULL;
    }

  mask = g_new (float, (gsize) input->image.width * input->image.height);
  n = restore_detect_select (input->prob, input->image.width,
                             input->image.height, mask, &options, error);
  if (n >= 0 && (n > 0 || settings->operation == RESTORE_DETECT_OPERATION_REPLACE))
    detect_set_selection (input, mask, settings->operation);
  g_free (mask);
  gimp_progress_update (1.0);
  return n;
}
