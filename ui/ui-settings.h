/* gimp-restore: the values the dialogs show and return.
 *
 * Front-end neutral: the GIMP front ends store them between runs in their
 * own way; the defaults and ranges come from the parameter table
 * (restore-params.h).
 */
#pragma once

#include <glib.h>

#include "restore-detect.h"

G_BEGIN_DECLS

#define UI_MODEL_NAME_MAX 128

/* Inpaint Selection. */
typedef struct
{
  char   model[UI_MODEL_NAME_MAX];  /* "" = automatic */
  double denoise;
  double sharpen;
} UiRestoreSettings;

/* Detect Damage. */
typedef struct
{
  double sensitivity;  /* 0..1 */
  int    operation;    /* RestoreDetectOperation */
  int    min_size;     /* px */
  int    max_size;     /* px */
  int    grow;         /* px */
  int    scale;        /* the network looks at the picture reduced this many times */
} UiDetectSettings;

/* The parameter table's defaults. */
void     ui_restore_settings_defaults (UiRestoreSettings      *settings);
/* TRUE when denoise and sharpen lie in their ranges; else sets @error. */
gboolean ui_restore_settings_check    (const UiRestoreSettings *settings,
                                       GError                 **error);

void     ui_detect_settings_defaults  (UiDetectSettings       *settings);
/* TRUE when every value lies in its range and min_size <= max_size; else
 * sets @error (RESTORE_ERROR_INVALID) naming the value. */
gboolean ui_detect_settings_check     (const UiDetectSettings *settings,
                                       GError                **error);
/* Core detection options with these values (no progress, no cancel). */
void     ui_detect_settings_to_options (const UiDetectSettings *settings,
                                        RestoreDetectOptions   *options);

G_END_DECLS
