/* gimp-restore plug-in: saved settings (the last values), versioned. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PLUGIN_SETTINGS_VERSION 1
#define PLUGIN_SETTINGS_MODEL_MAX 128

typedef struct
{
  char   model[PLUGIN_SETTINGS_MODEL_MAX];  /* "" = automatic */
  double denoise;
  double sharpen;
} PluginSettings;

/* Fills @settings with the parameter table's defaults. */
void     plugin_settings_defaults (PluginSettings       *settings);
/* Reads the last values saved in this GIMP session; keeps the defaults and
 * returns FALSE when there are none.  Older versions are migrated. */
gboolean plugin_settings_load     (PluginSettings       *settings);
void     plugin_settings_save     (const PluginSettings *settings);

G_END_DECLS
