/* gimp-restore plug-in: saved settings (see plugin-settings.h).
 *
 * Stored with gimp_set_data() under "plug-in-restore" as a versioned blob:
 *   u32 version, then the fields of that version.
 * Version 3: char model[128], double denoise, double sharpen, double grain,
 * double texture; version 2, without texture, and version 1, without grain
 * either, are read with the defaults of what they lack.
 * A blob of an unknown (newer) version or wrong size is ignored.
 *
 * Detect Damage's values are stored under "plug-in-restore-detect"
 * the same way.  Version 2: double sensitivity, int operation, min_size,
 * max_size, grow, scale (version 1, without scale, is read with the default
 * scale).  A blob of another version or size, or with a value out of
 * range, is ignored.
 */
#include "config.h"

#include <string.h>

#include <libgimp/gimp.h>

#include "restore-params.h"
#include "plugin-settings.h"
#include "plugin-detect.h"

#define SETTINGS_KEY "plug-in-restore"

/* The stored layouts, independent of the structs the dialogs use. */
typedef struct
{
  guint32 version;
  char    model[UI_MODEL_NAME_MAX];
  double  denoise, sharpen, grain, texture;
} SettingsBlob;

/* Version 2's fields (before texture). */
typedef struct
{
  guint32 version;
  char    model[UI_MODEL_NAME_MAX];
  double  denoise, sharpen, grain;
} SettingsBlob2;

/* Version 1's fields (before grain). */
typedef struct
{
  guint32 version;
  char    model[UI_MODEL_NAME_MAX];
  double  denoise, sharpen;
} SettingsBlob1;

/* The blob's size tells the versions apart. */
G_STATIC_ASSERT (sizeof (SettingsBlob) != sizeof (SettingsBlob2));
G_STATIC_ASSERT (sizeof (SettingsBlob) != sizeof (SettingsBlob1));
G_STATIC_ASSERT (sizeof (SettingsBlob2) != sizeof (SettingsBlob1));

#define DETECT_SETTINGS_KEY     "plug-in-restore-detect"
#define DETECT_SETTINGS_VERSION 2

typedef struct
{
  guint32 version;
  double  sensitivity;
  int     operation, min_size, max_size, grow, scale;
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
plugin_settings_load (UiRestoreSettings *settings)
{
  SettingsBlob      blob;
  SettingsBlob2     old2;
  SettingsBlob1     old;
  gint              size = gimp_get_data_size (SETTINGS_KEY);
  UiRestoreSettings loaded;

  ui_restore_settings_defaults (settings);
  memset (&blob, 0, sizeof (blob));
  memset (&old2, 0, sizeof (old2));
  memset (&old, 0, sizeof (old));
  loaded = *settings;
  if (size == (gint) sizeof (blob) && gimp_get_data (SETTINGS_KEY, &blob)
      && blob.version == PLUGIN_SETTINGS_VERSION)
    {
      g_strlcpy (loaded.model, blob.model, sizeof (loaded.model));
      loaded.options.denoise = blob.denoise;
      loaded.options.sharpen = blob.sharpen;
      loaded.options.grain = blob.grain;
      loaded.options.texture = blob.texture;
    }
  else if (size == (gint) sizeof (old2) && gimp_get_data (SETTINGS_KEY, &old2)
           && old2.version == 2)
    {
      g_strlcpy (loaded.model, old2.model, sizeof (loaded.model));
      loaded.options.denoise = old2.denoise;
      loaded.options.sharpen = old2.sharpen;
      loaded.options.grain = old2.grain;
    }
  else if (size == (gint) sizeof (old) && gimp_get_data (SETTINGS_KEY, &old)
           && old.version == 1)
    {
      g_strlcpy (loaded.model, old.model, sizeof (loaded.model));
      loaded.options.denoise = old.denoise;
      loaded.options.sharpen = old.sharpen;
    }
  else
    return FALSE;
  if (! ui_restore_settings_check (&loaded, NULL))
    return FALSE;
  *settings = loaded;
  return TRUE;
}

void
plugin_settings_save (const UiRestoreSettings *settings)
{
  SettingsBlob blob;

  memset (&blob, 0, sizeof (blob));
  blob.version = PLUGIN_SETTINGS_VERSION;
  g_strlcpy (blob.model, settings->model, sizeof (blob.model));
  blob.denoise = settings->options.denoise;
  blob.sharpen = settings->options.sharpen;
  blob.grain = settings->options.grain;
  blob.texture = settings->options.texture;
  gimp_set_data (SETTINGS_KEY, &blob, sizeof (blob));
}

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
    {
      s.options.sensitivity = blob.sensitivity;
      s.operation = blob.operation;
      s.options.min_size = blob.min_size;
      s.options.max_size = blob.max_size;
      s.options.grow = blob.grow;
      s.options.scale = blob.scale;
    }
  else if (size == (gint) sizeof (old) && gimp_get_data (DETECT_SETTINGS_KEY, &old)
           && old.version == 1)
    {
      s.options.sensitivity = old.sensitivity;
      s.operation = old.operation;
      s.options.min_size = old.min_size;
      s.options.max_size = old.max_size;
      s.options.grow = old.grow;
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
  blob.sensitivity = settings->options.sensitivity;
  blob.operation = settings->operation;
  blob.min_size = settings->options.min_size;
  blob.max_size = settings->options.max_size;
  blob.grow = settings->options.grow;
  blob.scale = settings->options.scale;
  gimp_set_data (DETECT_SETTINGS_KEY, &blob, sizeof (blob));
}
