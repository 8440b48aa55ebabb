/* gimp-restore plug-in: GIMP as the dialogs' host (ui/ui-host.h). */
#pragma once

#include "plugin-gimp.h"
#include "ui-host.h"

G_BEGIN_DECLS

typedef struct
{
  UiHost         host;      /* first: &plugin_host->host is the UiHost */
  PluginImage    image;
  PluginDrawable drawable;
} PluginHost;

/* Fills @host for @drawable of @image: its pixels and selection, GIMP's
 * image window and progress bar, the installed models. */
void plugin_host_init (PluginHost     *host,
                       PluginImage     image,
                       PluginDrawable  drawable);

G_END_DECLS
