/* gimp-restore plug-in: GIMP as the dialogs' host (see plugin-host.h). */
#include "config.h"

#include <string.h>

#include <gtk/gtk.h>

#include "plugin-gimp.h"
#if GIMP_MAJOR_VERSION >= 3
#include <libgimp/gimpui.h>
#else
#include <gdk/gdkx.h>
#endif

#include "plugin-apply.h"
#include "plugin-host.h"

static UiRegion *
host_read_region (UiHost  *host,
                  int      margin,
                  int      max_side,
                  GError **error)
{
  PluginHost *ph = (PluginHost *) host;

  return plugin_region_read (ph->image, ph->drawable, margin, max_side, NULL, error);
}

static void
host_set_transient (UiHost   *host,
                    gpointer  dialog)
{
#if GIMP_MAJOR_VERSION >= 3
  /* GIMP 3's own way: above the image window, or the toolbox */
  gimp_window_set_transient (GTK_WINDOW (dialog));
#else
  gint32     display = gimp_default_display ();
  guint32    xid = 0;
  GdkWindow *foreign;

  /* From a batch call there is no display: no parent then. */
  if (display != -1)
    xid = (guint32) gimp_display_get_window_handle (display);
  if (xid == 0 || ! GDK_IS_X11_DISPLAY (gdk_display_get_default ()))
    return;
  gtk_widget_realize (dialog);
  foreign = gdk_x11_window_foreign_new_for_display (gdk_display_get_default (), xid);
  if (foreign)
    {
      gdk_window_set_transient_for (gtk_widget_get_window (dialog), foreign);
      g_object_unref (foreign);
    }
#endif
}

static void
host_progress_start (UiHost     *host,
                     const char *text)
{
  gimp_progress_init (text);
}

static void
host_progress_update (UiHost *host,
                      double  fraction)
{
  gimp_progress_update (fraction);
}

void
plugin_host_init (PluginHost     *host,
                  PluginImage     image,
                  PluginDrawable  drawable)
{
  memset (host, 0, sizeof (*host));
  host->host.read_region = host_read_region;
  host->host.set_transient = host_set_transient;
  host->host.progress_start = host_progress_start;
  host->host.progress_update = host_progress_update;
  host->host.registry = plugin_registry ();
  host->image = image;
  host->drawable = drawable;
}
