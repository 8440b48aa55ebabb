/* gimp-restore plug-in: GIMP 2.10 as the dialogs' host (ui/ui-host.h). */
#pragma once

#include <libgimp/gimp.h>

#include "ui-host.h"

G_BEGIN_DECLS

typedef struct
{
  UiHost host;                  /* first: &plugin_host->host is the UiHost */
  gint32 image_ID, drawable_ID;
} PluginHost;

/* Fills @host for @drawable_ID of @image_ID: its pixels and selection,
 * GIMP's image window and progress bar, the installed models. */
void plugin_host_init (PluginHost *host,
                       gint32      image_ID,
                       gint32      drawable_ID);

G_END_DECLS
