/* gimp-restore plug-in: finding the damage (see plugin-detect.h). */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "plugin-gimp.h"

#include "restore-params.h"
#include "plugin-apply.h"
#include "plugin-detect.h"

PluginDetectInput *
plugin_detect_input_new (PluginImage    image,
                         PluginDrawable drawable,
                         GError       **error)
{
  PluginDetectInput *input;
  RestoreModel      *detector;
  GeglBuffer        *buffer;
  int                w, h;

  if (! plugin_item_ok (drawable) || ! gimp_item_is_drawable (PLUGIN_ITEM (drawable)))
    {
      g_set_error (error, PLUGIN_ERROR, PLUGIN_ERROR_NOT_LAYER,
                   _("The drawable is not valid."));
      return NULL;
    }
  if (! gimp_item_is_layer (PLUGIN_ITEM (drawable)))
    {
      g_set_error (error, PLUGIN_ERROR, PLUGIN_ERROR_NOT_LAYER,
                   _("Damage can only be searched for on a layer: choose a "
                     "layer in the Layers dialog (not a channel or a mask)."));
      return NULL;
    }
  if (gimp_item_is_group (PLUGIN_ITEM (drawable)))
    {
      g_set_error (error, PLUGIN_ERROR, PLUGIN_ERROR_GROUP,
                   _("Cannot search a layer group: choose one of its layers."));
      return NULL;
    }
  if (gimp_drawable_is_indexed (drawable))
    {
      g_set_error (error, PLUGIN_ERROR, PLUGIN_ERROR_INDEXED,
                   _("Indexed images cannot be searched: convert the image to "
                     "RGB or grayscale first (Image → Mode)."));
      return NULL;
    }
  detector = restore_registry_load_detector (plugin_registry (), NULL, error);
  if (detector == NULL)
    return NULL;

  w = plugin_drawable_width (drawable);
  h = plugin_drawable_height (drawable);
  input = g_new0 (PluginDetectInput, 1);
  input->image_ref = image;
  input->drawable = drawable;
  input->detector = detector;
  plugin_drawable_offsets (drawable, &input->offset_x, &input->offset_y);
  /* Gray layers are read as three equal channels: the detector's input. */
  input->image.width = w;
  input->image.height = h;
  input->image.channels = 3;
  input->image.rowstride = (gsize) w * 3;
  input->image.data = g_new (float, input->image.rowstride * h);
  buffer = gimp_drawable_get_buffer (drawable);
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
  PluginImage    image = input->image_ref;
  int            iw = plugin_image_width (image);
  int            ih = plugin_image_height (image);
  int         w = input->image.width, h = input->image.height;
  int         x0 = MAX (0, input->offset_x), y0 = MAX (0, input->offset_y);
  int         x1 = MIN (iw, input->offset_x + w), y1 = MIN (ih, input->offset_y + h);
  PluginDrawable channel;
  GeglBuffer    *buffer;

  gimp_image_undo_group_start (image);
  /* TRANSLATORS: name of a temporary channel, seen only in the undo history */
  channel = plugin_channel_new (image, _("Detected damage"));
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
  gimp_image_select_item (image,
                          operation == RESTORE_DETECT_OPERATION_ADD
                            ? GIMP_CHANNEL_OP_ADD : GIMP_CHANNEL_OP_REPLACE,
                          PLUGIN_ITEM (channel));
  gimp_context_pop ();
  plugin_remove_channel (image, channel);
  gimp_image_undo_group_end (image);
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
