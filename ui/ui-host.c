/* gimp-restore: the dialogs' host interface (see ui-host.h). */
#include "config.h"

#include <gtk/gtk.h>
#include <gdk/gdkx.h>

#include "ui-host.h"

void
ui_region_free (UiRegion *region)
{
  if (region == NULL)
    return;
  g_free (region->image.data);
  g_free (region->mask);
  g_free (region);
}

void
ui_host_set_transient (UiHost   *host,
                       gpointer  dialog)
{
  GtkWidget *widget = dialog;
  guint32    xid = host->window_handle ? host->window_handle (host) : 0;
  GdkWindow *foreign;

  if (xid == 0 || ! GDK_IS_X11_DISPLAY (gdk_display_get_default ()))
    return;
  gtk_widget_realize (widget);
  foreign = gdk_x11_window_foreign_new_for_display (gdk_display_get_default (), xid);
  if (foreign)
    {
      gdk_window_set_transient_for (gtk_widget_get_window (widget), foreign);
      g_object_unref (foreign);
    }
}
