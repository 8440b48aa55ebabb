/* gimp-restore plug-in: the libgimp calls that differ between GIMP 2.10
 * and GIMP 3.
 *
 * GIMP 2.10 names images and items by ID (gint32, -1 for none); GIMP 3 by
 * object (NULL for none), and renamed a few getters.  The pixel and
 * selection code (plugin-apply.c, plugin-detect.c) is written once against
 * these types and macros and built for either; what only one GIMP has
 * (procedure registration, last values, the dialogs' host) lives in that
 * GIMP's own files.
 */
#pragma once

#include <libgimp/gimp.h>

#if GIMP_MAJOR_VERSION >= 3

typedef GimpImage    *PluginImage;
typedef GimpDrawable *PluginDrawable;
typedef GimpLayer    *PluginLayer;

#define PLUGIN_NO_LAYER                  NULL
#define PLUGIN_ITEM(d)                   GIMP_ITEM (d)
#define PLUGIN_DRAWABLE(d)               GIMP_DRAWABLE (d)
#define plugin_item_ok(d)                ((d) != NULL && gimp_item_is_valid (GIMP_ITEM (d)))
#define plugin_drawable_width(d)         gimp_drawable_get_width (GIMP_DRAWABLE (d))
#define plugin_drawable_height(d)        gimp_drawable_get_height (GIMP_DRAWABLE (d))
#define plugin_drawable_offsets(d, x, y) gimp_drawable_get_offsets (GIMP_DRAWABLE (d), x, y)
#define plugin_image_width(i)            gimp_image_get_width (i)
#define plugin_image_height(i)           gimp_image_get_height (i)
#define plugin_selection_buffer(i) \
  gimp_drawable_get_buffer (GIMP_DRAWABLE (gimp_image_get_selection (i)))
#define plugin_parent_layer(d)           GIMP_LAYER (gimp_item_get_parent (GIMP_ITEM (d)))
#define plugin_remove_channel(i, c)      gimp_image_remove_channel (i, GIMP_CHANNEL (c))

#else

typedef gint32 PluginImage;
typedef gint32 PluginDrawable;
typedef gint32 PluginLayer;

#define PLUGIN_NO_LAYER                  (-1)
#define PLUGIN_ITEM(d)                   (d)
#define PLUGIN_DRAWABLE(d)               (d)
#define plugin_item_ok(d)                gimp_item_is_valid (d)
#define plugin_drawable_width(d)         gimp_drawable_width (d)
#define plugin_drawable_height(d)        gimp_drawable_height (d)
#define plugin_drawable_offsets(d, x, y) gimp_drawable_offsets (d, x, y)
#define plugin_image_width(i)            gimp_image_width (i)
#define plugin_image_height(i)           gimp_image_height (i)
#define plugin_selection_buffer(i)       gimp_drawable_get_buffer (gimp_image_get_selection (i))
#define plugin_parent_layer(d)           gimp_item_get_parent (d)
#define plugin_remove_channel(i, c)      gimp_image_remove_channel (i, c)

#endif

/* A temporary channel of @image's size, black at 50 % opacity. */
static inline PluginDrawable
plugin_channel_new (PluginImage  image,
                    const char  *name)
{
#if GIMP_MAJOR_VERSION >= 3
  GeglColor   *black = gegl_color_new ("black");
  GimpChannel *channel = gimp_channel_new (image, name, gimp_image_get_width (image),
                                           gimp_image_get_height (image), 50.0, black);

  g_object_unref (black);
  gimp_image_insert_channel (image, channel, NULL, 0);
  return GIMP_DRAWABLE (channel);
#else
  static const GimpRGB black = { 0.0, 0.0, 0.0, 1.0 };
  gint32 channel = gimp_channel_new (image, name, gimp_image_width (image),
                                     gimp_image_height (image), 50.0, &black);

  gimp_image_insert_channel (image, channel, -1, 0);
  return channel;
#endif
}
