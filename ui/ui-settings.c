/* gimp-restore: the dialogs' values (see ui-settings.h). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ui-settings.h"

void
ui_restore_settings_defaults (UiRestoreSettings *settings)
{
  memset (settings, 0, sizeof (*settings));
  restore_options_init (&settings->options);
}

gboolean
ui_restore_settings_check (const UiRestoreSettings *settings,
                           GError                 **error)
{
  return restore_params_check (restore_params, RESTORE_PARAM_TABLE_COUNT, &settings->options, error);
}

void
ui_detect_settings_defaults (UiDetectSettings *settings)
{
  memset (settings, 0, sizeof (*settings));
  restore_detect_options_init (&settings->options);
  settings->operation = (int) restore_detect_params[RESTORE_DETECT_PARAM_OPERATION].def;
}

gboolean
ui_detect_settings_check (const UiDetectSettings *settings,
                          GError                **error)
{
  return restore_detect_param_check (RESTORE_DETECT_PARAM_OPERATION, settings->operation, error)
         && restore_detect_options_check (&settings->options, error);
}

void
ui_detect_settings_to_options (const UiDetectSettings *settings,
                               RestoreDetectOptions   *options)
{
  restore_detect_options_init (options);
  for (int i = 0; i < RESTORE_DETECT_PARAM_COUNT; i++)
    {
      const RestoreParamSpec *spec = &restore_detect_params[i];

      if (spec->offset >= 0)
        restore_param_set (spec, options, restore_param_get (spec, &settings->options), NULL);
    }
}

double
ui_param_widget_value (const RestoreParamSpec *spec,
                       double                  value)
{
  return spec->type == RESTORE_PARAM_TYPE_INT ? round (value) : value;
}
