/* gimp-restore plug-in: registration and the run-mode switch.
 *
 * plug-in-restore             (run-mode, image, drawable, model, denoise,
 *                              sharpen) -> layer
 * plug-in-restore-list-models (run-mode) -> (count, names)
 * plug-in-restore-detect      (run-mode, image, drawable, sensitivity,
 *                              operation) -> regions
 *
 * The model, denoise and sharpen arguments come from the one parameter
 * table (core/restore-params.h).  Its settings after RESTORE_PARAM_COUNT
 * (grain, texture) are no arguments, so the signature stays fixed: the dialog
 * offers them and the last values keep them, while a non-interactive call
 * runs them at their defaults.  Errors return GIMP_PDB_EXECUTION_ERROR
 * with the message as a second, string return value.
 */
#include "config.h"

#include <string.h>

#include <libgimp/gimp.h>
#include <glib/gi18n-lib.h>

#include "restore-params.h"
#include "restore-registry.h"
#include "plugin-apply.h"
#include "plugin-settings.h"
#include "plugin-detect.h"
#include "plugin-host.h"
#include "restore-dialog.h"
#include "detect-dialog.h"

#define PROC_RESTORE     "plug-in-restore"
#define PROC_LIST_MODELS "plug-in-restore-list-models"
#define PROC_DETECT      "plug-in-restore-detect"

static void init  (void);
static void query (void);
static void run   (const gchar      *name,
                   gint              nparams,
                   const GimpParam  *param,
                   gint             *nreturn_vals,
                   GimpParam       **return_vals);

const GimpPlugInInfo PLUG_IN_INFO = { init, NULL, query, run };

MAIN ()

/* Run by GIMP at every start (query only runs when the binary changed).
 * Menu branches are not kept in pluginrc, so a branch registered only in
 * query would lose its label from the second start on. */
static void
init (void)
{
  /* The submenu's label, translated by GIMP in our text domain (registered
   * in query).  The path stays "Restore" whatever the language. */
  gimp_plugin_menu_branch_register ("<Image>/Filters", N_("Restore"));
}

static void
query (void)
{
  static GimpParamDef args[3 + RESTORE_PARAM_COUNT] = {
    { GIMP_PDB_INT32,    "run-mode", "The run mode { RUN-INTERACTIVE (0), RUN-NONINTERACTIVE (1), RUN-WITH-LAST-VALS (2) }" },
    { GIMP_PDB_IMAGE,    "image",    "Input image" },
    { GIMP_PDB_DRAWABLE, "drawable", "Layer to restore (it is not modified)" },
  };
  static const GimpParamDef return_vals[] = {
    { GIMP_PDB_LAYER, "layer", "The new layer holding the restored pixels" },
  };
  static const GimpParamDef list_args[] = {
    { GIMP_PDB_INT32, "run-mode", "The run mode { RUN-INTERACTIVE (0), RUN-NONINTERACTIVE (1) }" },
  };
  static const GimpParamDef list_return_vals[] = {
    { GIMP_PDB_INT32,       "count", "Number of installed models" },
    { GIMP_PDB_STRINGARRAY, "names", "Model names, for the model argument of plug-in-restore" },
  };
  static GimpParamDef detect_args[5] = {
    { GIMP_PDB_INT32,    "run-mode", "The run mode { RUN-INTERACTIVE (0), RUN-NONINTERACTIVE (1), RUN-WITH-LAST-VALS (2) }" },
    { GIMP_PDB_IMAGE,    "image",    "Input image" },
    { GIMP_PDB_DRAWABLE, "drawable", "Layer to search for damage (it is not modified)" },
    { GIMP_PDB_FLOAT,    NULL,       NULL },
    { GIMP_PDB_INT32,    NULL,       NULL },
  };
  static const GimpParamDef detect_return_vals[] = {
    { GIMP_PDB_INT32, "regions", "Number of damaged regions found (0: none)" },
  };
  char *localedir = plugin_localedir ();
  int   i;

  detect_args[3].name = (gchar *) restore_detect_params[RESTORE_DETECT_PARAM_SENSITIVITY].name;
  detect_args[3].description = (gchar *) restore_detect_params[RESTORE_DETECT_PARAM_SENSITIVITY].blurb;
  detect_args[4].name = (gchar *) restore_detect_params[RESTORE_DETECT_PARAM_OPERATION].name;
  detect_args[4].description = (gchar *) restore_detect_params[RESTORE_DETECT_PARAM_OPERATION].blurb;

  for (i = 0; i < RESTORE_PARAM_COUNT; i++)
    {
      args[3 + i].type = restore_params[i].type == RESTORE_PARAM_TYPE_STRING
                         ? GIMP_PDB_STRING : GIMP_PDB_FLOAT;
      args[3 + i].name = (gchar *) restore_params[i].name;
      args[3 + i].description = (gchar *) restore_params[i].blurb;
    }

  gimp_plugin_domain_register (GETTEXT_PACKAGE, localedir);
  g_free (localedir);

  gimp_install_procedure (PROC_RESTORE,
                          N_("Restore the selected damage (scratches, dust, stains, tears) with a neural network"),
                          "Fills the selected area of the drawable from its surroundings with a "
                          "U-Net and returns the result as a new layer above the drawable. The "
                          "selection's soft values are kept as a soft mask. An empty model string "
                          "picks a model per damaged region.",
                          "gimp-restore developers",
                          "gimp-restore developers",
                          "2026",
                          N_("Inpaint _Selection..."),
                          "RGB*, GRAY*",
                          GIMP_PLUGIN,
                          G_N_ELEMENTS (args), G_N_ELEMENTS (return_vals),
                          args, return_vals);
  gimp_plugin_menu_register (PROC_RESTORE, "<Image>/Filters/Restore");

  gimp_install_procedure (PROC_DETECT,
                          N_("Find scratches, dust and other damage and select it"),
                          "Runs the damage detector over the drawable and replaces the "
                          "selection with the damaged areas (operation 0) or adds them to it "
                          "(operation 1), grown by a small margin, ready for Inpaint "
                          "Selection. Non-interactive calls use the default minimum and "
                          "maximum defect sizes and margin; the dialog offers them.",
                          "gimp-restore developers",
                          "gimp-restore developers",
                          "2026",
                          N_("_Detect Damage..."),
                          "RGB*, GRAY*",
                          GIMP_PLUGIN,
                          G_N_ELEMENTS (detect_args), G_N_ELEMENTS (detect_return_vals),
                          detect_args, detect_return_vals);
  gimp_plugin_menu_register (PROC_DETECT, "<Image>/Filters/Restore");

  gimp_install_procedure (PROC_LIST_MODELS,
                          N_("List the models plug-in-restore can use"),
                          "Returns the names of the installed restore models.",
                          "gimp-restore developers",
                          "gimp-restore developers",
                          "2026",
                          NULL, NULL,
                          GIMP_PLUGIN,
                          G_N_ELEMENTS (list_args), G_N_ELEMENTS (list_return_vals),
                          list_args, list_return_vals);
}

static GimpParam values[3];

static void
return_error (const char *message,
              gint       *nreturn_vals)
{
  values[0].type = GIMP_PDB_STATUS;
  values[0].data.d_status = GIMP_PDB_EXECUTION_ERROR;
  values[1].type = GIMP_PDB_STRING;
  values[1].data.d_string = (gchar *) message;
  *nreturn_vals = 2;
}

static void
run_list_models (gint *nreturn_vals)
{
  const RestoreRegistry *registry = plugin_registry ();
  int                    n = restore_registry_count (registry);
  gchar                **names = g_new0 (gchar *, n + 1);
  int                    i;

  for (i = 0; i < n; i++)
    names[i] = restore_registry_get (registry, i)->name;
  values[0].type = GIMP_PDB_STATUS;
  values[0].data.d_status = GIMP_PDB_SUCCESS;
  values[1].type = GIMP_PDB_INT32;
  values[1].data.d_int32 = n;
  values[2].type = GIMP_PDB_STRINGARRAY;
  values[2].data.d_stringarray = names;
  *nreturn_vals = 3;
}

static void
run_detect (gint             nparams,
            const GimpParam *param,
            gint            *nreturn_vals)
{
  static GError       *error = NULL;
  GimpRunMode          run_mode = param[0].data.d_int32;
  gint32               image_ID = param[1].data.d_image;
  gint32               drawable_ID = param[2].data.d_drawable;
  UiDetectSettings     settings;
  PluginDetectInput   *input = NULL;
  PluginHost           host;
  int                  regions = -1;

  g_clear_error (&error);
  /* With a layer mask active, GIMP hands over the mask: search its layer. */
  if (gimp_item_is_valid (drawable_ID) && gimp_item_is_layer_mask (drawable_ID))
    drawable_ID = gimp_layer_from_mask (drawable_ID);

  switch (run_mode)
    {
    case GIMP_RUN_NONINTERACTIVE:
      ui_detect_settings_defaults (&settings);
      if (nparams != 5)
        g_set_error (&error, PLUGIN_ERROR, PLUGIN_ERROR_NOT_LAYER,
                     _("%s takes %d arguments, got %d."), PROC_DETECT, 5, nparams);
      else
        {
          settings.options.sensitivity = param[3].data.d_float;
          settings.operation = param[4].data.d_int32;
          ui_detect_settings_check (&settings, &error);
        }
      break;

    case GIMP_RUN_WITH_LAST_VALS:
    case GIMP_RUN_INTERACTIVE:
    default:
      plugin_detect_settings_load (&settings);
      break;
    }

  if (error == NULL)
    input = plugin_detect_input_new (image_ID, drawable_ID, &error);
  if (input != NULL && run_mode == GIMP_RUN_INTERACTIVE)
    {
      plugin_host_init (&host, image_ID, drawable_ID);
      if (! detect_dialog_run (&host.host, &input->image, input->detector, &settings,
                               &input->prob))
        {
          plugin_detect_input_free (input);
          values[0].data.d_status = GIMP_PDB_CANCEL;
          return;
        }
    }
  if (input != NULL)
    regions = plugin_detect_apply (input, &settings, &error);
  plugin_detect_input_free (input);

  if (regions < 0)
    {
      return_error (error->message, nreturn_vals);
      return;
    }
  if (run_mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();
  plugin_detect_settings_save (&settings);
  values[1].type = GIMP_PDB_INT32;
  values[1].data.d_int32 = regions;
  *nreturn_vals = 2;
}

static void
run (const gchar      *name,
     gint              nparams,
     const GimpParam  *param,
     gint             *nreturn_vals,
     GimpParam       **return_vals)
{
  static GError     *error = NULL;
  GimpRunMode        run_mode;
  UiRestoreSettings  settings;
  PluginHost         host;
  gint32             image_ID, drawable_ID, layer;
  char              *localedir = plugin_localedir ();

  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_free (localedir);

  *return_vals = values;
  *nreturn_vals = 1;
  values[0].type = GIMP_PDB_STATUS;
  values[0].data.d_status = GIMP_PDB_SUCCESS;
  g_clear_error (&error);
  gegl_init (NULL, NULL);

  if (strcmp (name, PROC_LIST_MODELS) == 0)
    {
      run_list_models (nreturn_vals);
      return;
    }
  if (strcmp (name, PROC_DETECT) == 0 && nparams >= 3)
    {
      run_detect (nparams, param, nreturn_vals);
      return;
    }
  if (strcmp (name, PROC_RESTORE) != 0 || nparams < 3)
    {
      values[0].data.d_status = GIMP_PDB_CALLING_ERROR;
      return;
    }

  run_mode = param[0].data.d_int32;
  image_ID = param[1].data.d_image;
  drawable_ID = param[2].data.d_drawable;
  /* With a layer mask active, GIMP hands over the mask: restore its layer. */
  if (gimp_item_is_valid (drawable_ID) && gimp_item_is_layer_mask (drawable_ID))
    drawable_ID = gimp_layer_from_mask (drawable_ID);
  ui_restore_settings_defaults (&settings);

  switch (run_mode)
    {
    case GIMP_RUN_NONINTERACTIVE:
      if (nparams != 3 + RESTORE_PARAM_COUNT)
        {
          g_set_error (&error, PLUGIN_ERROR, PLUGIN_ERROR_NOT_LAYER,
                       _("%s takes %d arguments, got %d."), PROC_RESTORE,
                       3 + RESTORE_PARAM_COUNT, nparams);
          break;
        }
      g_strlcpy (settings.model,
                 param[3 + RESTORE_PARAM_MODEL].data.d_string
                   ? param[3 + RESTORE_PARAM_MODEL].data.d_string : "",
                 sizeof (settings.model));
      settings.options.denoise = param[3 + RESTORE_PARAM_DENOISE].data.d_float;
      settings.options.sharpen = param[3 + RESTORE_PARAM_SHARPEN].data.d_float;
      break;

    case GIMP_RUN_WITH_LAST_VALS:
      plugin_settings_load (&settings);
      break;

    case GIMP_RUN_INTERACTIVE:
    default:
      {
        int x, y, w, h;

        plugin_settings_load (&settings);
        /* Errors are returned, not shown here: GIMP shows the message of
         * a plug-in run from a menu ("Execution error for ..."), and a
         * script gets it as the call's error. */
        if (! plugin_apply_check (image_ID, drawable_ID, &x, &y, &w, &h, &error))
          break;
        plugin_host_init (&host, image_ID, drawable_ID);
        if (! restore_dialog_run (&host.host, &settings))
          {
            values[0].data.d_status = GIMP_PDB_CANCEL;
            return;
          }
      }
      break;
    }

  if (error == NULL)
    {
      layer = plugin_apply_run (image_ID, drawable_ID, settings.model,
                                &settings.options, &error);
      if (layer != -1)
        {
          if (run_mode != GIMP_RUN_NONINTERACTIVE)
            gimp_displays_flush ();
          plugin_settings_save (&settings);
          values[1].type = GIMP_PDB_LAYER;
          values[1].data.d_layer = layer;
          *nreturn_vals = 2;
          return;
        }
    }
  return_error (error->message, nreturn_vals);
}
