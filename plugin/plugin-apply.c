/* gimp-restore plug-in: pixels between GIMP and the core (see plugin-apply.h). */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "plugin-gimp.h"

#include "restore-ops.h"
#include "restore-params.h"
#include "restore-registry.h"
#include "plugin-apply.h"

G_DEFINE_QUARK (gimp-restore-plugin-error-quark, plugin_error)

RestoreRegistry *
plugin_registry (void)
{
  static RestoreRegistry *registry = NULL;

  if (registry == NULL)
    {
      char  *exe = g_file_read_link ("/proc/self/exe", NULL);
      char  *dir = exe ? g_path_get_dirname (exe) : NULL;
      char **dirs = restore_registry_default_dirs (dir, g_getenv (RESTORE_MODEL_PATH_ENV));

      registry = restore_registry_new ((const char *const *) dirs);
      g_strfreev (dirs);
      g_free (dir);
      g_free (exe);
    }
  return registry;
}

/* Where the translations are.  The .mo files are installed into the
 * prefix's locale folder (LOCALEDIR); a relocated or packaged plug-in may
 * carry its own in <plug-in folder>/locale, which then wins; a plug-in run
 * from the build folder uses the build's po/ folder. */
char *
plugin_localedir (void)
{
  char *exe = g_file_read_link ("/proc/self/exe", NULL);
  char *dir = exe ? g_path_get_dirname (exe) : NULL;
  char *local = dir ? g_build_filename (dir, "locale", NULL) : NULL;
  char *build_root = g_path_get_dirname (RESTORE_SOURCE_PO_BUILD_DIR);
  char *result;

  if (local && g_file_test (local, G_FILE_TEST_IS_DIR))
    result = g_strdup (local);
  else if (dir && g_str_has_prefix (dir, build_root)
           && (dir[strlen (build_root)] == '\0'
               || dir[strlen (build_root)] == G_DIR_SEPARATOR))
    result = g_strdup (RESTORE_SOURCE_PO_BUILD_DIR);
  else
    result = g_strdup (LOCALEDIR);
  g_free (build_root);
  g_free (local);
  g_free (dir);
  g_free (exe);
  return result;
}

int
plugin_models_load (const char     *model_name,
                    RestoreModel ***models,
                    int            *halo,
                    GError        **error)
{
  int n = restore_registry_load (plugin_registry (), model_name, models, error);
  int i;

  *halo = 0;
  for (i = 0; i < n; i++)
    *halo = MAX (*halo, restore_model_get_halo ((*models)[i]));
  return n;
}

void
plugin_models_free (RestoreModel **models,
                    int            n_models)
{
  int i;

  for (i = 0; i < n_models; i++)
    restore_model_free (models[i]);
  g_free (models);
}

gboolean
plugin_apply_check (PluginImage    image,
                    PluginDrawable drawable,
                    int     *x,
                    int     *y,
                    int     *w,
                    int     *h,
                    GError **error)
{
  if (! plugin_item_ok (drawable) || ! gimp_item_is_drawable (PLUGIN_ITEM (drawable)))
    {
      g_set_error (error, PLUGIN_ERROR, PLUGIN_ERROR_NOT_LAYER,
                   _("The drawable is not valid."));
      return FALSE;
    }
  if (! gimp_item_is_layer (PLUGIN_ITEM (drawable)))
    {
      g_set_error (error, PLUGIN_ERROR, PLUGIN_ERROR_NOT_LAYER,
                   _("Only layers can be restored: choose a layer in the "
                     "Layers dialog (not a channel or a mask)."));
      return FALSE;
    }
  if (gimp_item_is_group (PLUGIN_ITEM (drawable)))
    {
      g_set_error (error, PLUGIN_ERROR, PLUGIN_ERROR_GROUP,
                   _("Cannot restore a layer group: choose one of its layers."));
      return FALSE;
    }
  if (gimp_drawable_is_indexed (drawable))
    {
      g_set_error (error, PLUGIN_ERROR, PLUGIN_ERROR_INDEXED,
                   _("Indexed images cannot be restored: convert the image to "
                     "RGB or grayscale first (Image → Mode)."));
      return FALSE;
    }
  if (gimp_selection_is_empty (image))
    {
      g_set_error (error, PLUGIN_ERROR, PLUGIN_ERROR_NO_SELECTION,
                   _("Select the damaged area first."));
      return FALSE;
    }
  if (! gimp_drawable_mask_intersect (drawable, x, y, w, h)
      || *w <= 0 || *h <= 0)
    {
      g_set_error (error, PLUGIN_ERROR, PLUGIN_ERROR_OUTSIDE,
                   _("The selection does not touch the active layer."));
      return FALSE;
    }
  return TRUE;
}

static const Babl *
region_format (PluginDrawable drawable,
               int           *channels)
{
  gboolean alpha = gimp_drawable_has_alpha (drawable);

  if (gimp_drawable_is_gray (drawable))
    {
      *channels = alpha ? 2 : 1;
      return babl_format (alpha ? "Y'A float" : "Y' float");
    }
  *channels = alpha ? 4 : 3;
  return babl_format (alpha ? "R'G'B'A float" : "R'G'B' float");
}

/* @n floats on huge pages where the kernel gives them (restore-ops.h; a
 * 12 MP layer's pixels are 144 MB), else from g_new(). */
static float *
region_floats (gsize n)
{
  float *p = restore_ops_alloc_floats (n);

  return p != NULL ? p : g_new (float, n);
}

UiRegion *
plugin_region_read (PluginImage    image,
                    PluginDrawable drawable,
                    int            margin,
                    int            max_side,
                    const Babl   **format,
                    GError       **error)
{
  UiRegion     *r;
  const Babl   *fmt;
  GeglBuffer   *buffer, *selection;
  int           sx, sy, sw, sh, ox, oy, dw, dh, channels;
  int           x0, y0, x1, y1;

  if (! plugin_apply_check (image, drawable, &sx, &sy, &sw, &sh, error))
    return NULL;

  dw = plugin_drawable_width (drawable);
  dh = plugin_drawable_height (drawable);
  x0 = MAX (0, sx - margin);
  y0 = MAX (0, sy - margin);
  x1 = MIN (dw, sx + sw + margin);
  y1 = MIN (dh, sy + sh + margin);
  if (max_side > 0)
    {
      int cx = sx + sw / 2, cy = sy + sh / 2;

      if (x1 - x0 > max_side)
        {
          x0 = CLAMP (cx - max_side / 2, 0, MAX (0, dw - max_side));
          x1 = MIN (dw, x0 + max_side);
        }
      if (y1 - y0 > max_side)
        {
          y0 = CLAMP (cy - max_side / 2, 0, MAX (0, dh - max_side));
          y1 = MIN (dh, y0 + max_side);
        }
    }

  r = g_new0 (UiRegion, 1);
  r->x = x0;
  r->y = y0;
  r->width = x1 - x0;
  r->height = y1 - y0;
  fmt = region_format (drawable, &channels);
  if (format)
    *format = fmt;
  r->image.width = r->width;
  r->image.height = r->height;
  r->image.channels = channels;
  r->image.rowstride = (gsize) r->width * channels;
  r->image.data = region_floats (r->image.rowstride * r->height);
  r->mask = region_floats ((gsize) r->width * r->height);

  buffer = gimp_drawable_get_buffer (drawable);
  gegl_buffer_get (buffer, GEGL_RECTANGLE (r->x, r->y, r->width, r->height),
                   1.0, fmt, r->image.data, GEGL_AUTO_ROWSTRIDE,
                   GEGL_ABYSS_NONE);
  g_object_unref (buffer);

  /* The selection channel is in image coordinates. */
  plugin_drawable_offsets (drawable, &ox, &oy);
  selection = plugin_selection_buffer (image);
  gegl_buffer_get (selection,
                   GEGL_RECTANGLE (r->x + ox, r->y + oy, r->width, r->height),
                   1.0, babl_format ("Y float"), r->mask, GEGL_AUTO_ROWSTRIDE,
                   GEGL_ABYSS_NONE);
  g_object_unref (selection);
  return r;
}

static void
apply_progress (double   fraction,
                gpointer user_data)
{
  gimp_progress_update (fraction);
}

/* Writes the pixels of @out (in @format) where the mask is non-zero, run
 * by run, so that every other pixel of @buffer keeps its exact stored
 * value. */
static void
write_masked_runs (GeglBuffer         *buffer,
                   const UiRegion     *region,
                   const Babl         *format,
                   const RestoreImage *out)
{
  int y;

  for (y = 0; y < region->height; y++)
    {
      const float *m = region->mask + (gsize) y * region->width;
      int          x = 0;

      while (x < region->width)
        {
          int start;

          while (x < region->width && m[x] <= 0.0f)
            x++;
          start = x;
          while (x < region->width && m[x] > 0.0f)
            x++;
          if (x > start)
            gegl_buffer_set (buffer,
                             GEGL_RECTANGLE (region->x + start, region->y + y,
                                             x - start, 1),
                             0, format,
                             out->data + y * out->rowstride
                               + (gsize) start * out->channels,
                             GEGL_AUTO_ROWSTRIDE);
        }
    }
}

PluginLayer
plugin_apply_run (PluginImage    image,
                  PluginDrawable drawable,
                  const char    *model_name,
                  const RestoreOptions *settings,
                  GError       **error)
{
  RestoreModel  **models = NULL;
  UiRegion       *region;
  const Babl     *format;
  RestoreImage    out;
  RestoreMask     mask;
  RestoreOptions  options;
  GeglBuffer     *src, *dst;
  char           *name;
  PluginLayer     layer;
  int             n_models, halo, ox, oy;

  if (! restore_params_check (restore_params, RESTORE_PARAM_TABLE_COUNT, settings, error))
    return PLUGIN_NO_LAYER;
  if (! plugin_apply_check (image, drawable, &ox, &oy, &ox, &oy, error))
    return PLUGIN_NO_LAYER;
  restore_phase_time (NULL);
  n_models = plugin_models_load (model_name, &models, &halo, error);
  if (n_models == 0)
    return PLUGIN_NO_LAYER;
  restore_phase_time ("load models");

  region = plugin_region_read (image, drawable, halo, 0, &format, error);
  if (region == NULL)
    {
      plugin_models_free (models, n_models);
      return PLUGIN_NO_LAYER;
    }

  out = region->image;
  out.data = region_floats (out.rowstride * out.height);
  mask.data = region->mask;
  mask.width = region->width;
  mask.height = region->height;
  mask.rowstride = region->width;
  restore_options_init (&options);
  restore_params_copy (restore_params, RESTORE_PARAM_TABLE_COUNT, &options, settings);
  options.progress = apply_progress;

  /* Cancel: GIMP 2.10 does not tell a plug-in that its progress was
   * cancelled (gimp_progress_install_vtable() is for a progress the
   * plug-in itself shows); the core closes the plug-in instead.  So all
   * work happens before the image is touched, and a cancelled run leaves
   * the image as it was.  The dialog's preview cancels through
   * RestoreOptions.cancel. */
  restore_phase_time ("read pixels");
  gimp_progress_init (_("Restoring the selection"));
  if (! restore_run (models, n_models, &region->image, &mask, &out, &options,
                     error))
    {
      g_free (out.data);
      ui_region_free (region);
      plugin_models_free (models, n_models);
      return PLUGIN_NO_LAYER;
    }

  restore_phase_time ("restore");

  /* Only now does the image change: one undo group, a copy of the source
   * with the restored pixels over it, just above the source. */
  if (model_name == NULL || model_name[0] == '\0')
    /* TRANSLATORS: the automatic model choice, in "Restored (%s)" */
    name = g_strdup_printf (_("Restored (%s)"), _("automatic"));
  else
    name = g_strdup_printf (_("Restored (%s)"),
                            n_models == 1
                              ? restore_model_get_name (models[0]) : model_name);

  gimp_image_undo_group_start (image);
  layer = gimp_layer_new (image, name,
                          plugin_drawable_width (drawable),
                          plugin_drawable_height (drawable),
                          gimp_drawable_type_with_alpha (drawable),
                          100.0, GIMP_LAYER_MODE_NORMAL);
  gimp_image_insert_layer (image, layer, plugin_parent_layer (drawable),
                           gimp_image_get_item_position (image, PLUGIN_ITEM (drawable)));
  plugin_drawable_offsets (drawable, &ox, &oy);
  gimp_layer_set_offsets (layer, ox, oy);

  src = gimp_drawable_get_buffer (drawable);
  dst = gimp_drawable_get_buffer (PLUGIN_DRAWABLE (layer));
  gegl_buffer_copy (src, NULL, GEGL_ABYSS_NONE, dst, NULL);
  restore_phase_time ("copy layer");
  write_masked_runs (dst, region, format, &out);
  gegl_buffer_flush (dst);
  restore_phase_time ("write fill");
  g_object_unref (dst);
  g_object_unref (src);
  gimp_drawable_update (PLUGIN_DRAWABLE (layer), 0, 0,
                        plugin_drawable_width (layer), plugin_drawable_height (layer));
  gimp_image_undo_group_end (image);
  gimp_progress_update (1.0);
  restore_phase_time ("finish");

  g_free (name);
  g_free (out.data);
  ui_region_free (region);
  plugin_models_free (models, n_models);
  return layer;
}
