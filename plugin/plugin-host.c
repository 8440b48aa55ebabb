/* gimp-restore plug-in: GIMP 2.10 as the dialogs' host (see plugin-host.h). */
#include "config.h"

#include <string.h>

#include "plugin-apply.h"
#include "plugin-host.h"

static UiRegion *
host_read_region (UiHost  *host,
                  int      margin,
                  int      max_side,
                  GError **error)
{
  PluginHost   *ph = (PluginHost *) host;
  PluginRegion *r = plugin_region_read (ph->image_ID, ph->drawable_ID, margin,
                                        max_side, error);
  UiRegion     *region;

  if (r == NULL)
    return NULL;
  region = g_new0 (UiRegion, 1);
  region->x = r->x;
  region->y = r->y;
  region->width = r->width;
  region->height = r->height;
  region->image = r->image;
  region->mask = r->mask;
  /* the buffers move to the UiRegion */
  g_free (r);
  return region;
}

static guint32
host_window_handle (UiHost *host)
{
  gint32 display = gimp_default_display ();

  /* From a batch call there is no display: no parent then. */
  return display != -1 ? (guint32) gimp_display_get_window_handle (display) : 0;
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
plugin_host_init (PluginHost *host,
                  gint32      image_ID,
                  gint32      drawable_ID)
{
  memset (host, 0, sizeof (*host));
  host->host.read_region = host_read_region;
  host->host.window_handle = host_window_handle;
  host->host.progress_start = host_progress_start;
  host->host.progress_update = host_progress_update;
  host->host.registry = plugin_registry ();
  host->image_ID = image_ID;
  host->drawable_ID = drawable_ID;
}
