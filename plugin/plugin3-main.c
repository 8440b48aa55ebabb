/* gimp-restore plug-in for GIMP 3: registration and the run-mode switch.
 *
 * The procedures of the GIMP 2.10 plug-in (plugin-main.c) in GIMP 3's
 * image-procedure form: after the run mode and the image come the
 * selected drawables, then the same arguments in the same order.
 *
 * plug-in-restore             (run-mode, image, drawables, model, denoise,
 *                              sharpen) -> layer
 * plug-in-restore-list-models (run-mode) -> (count, names)
 * plug-in-restore-detect      (run-mode, image, drawables, sensitivity,
 *                              operation) -> regions
 *
 * Arguments come from the one parameter table (core/restore-params.h);
 * GIMP keeps the last values in each procedure's GimpProcedureConfig.
 * The pixel work is plugin-apply.c's and plugin-detect.c's, shared with
 * GIMP 2.10; the dialogs are ui/'s, with GIMP 3 as their host.
 */
#include "config.h"

#include <string.h>

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>
#include <glib/gi18n-lib.h>

#include "restore-params.h"
#include "restore-registry.h"
#include "plugin-apply.h"
#include "plugin-detect.h"
#include "plugin-host.h"
#include "restore-dialog.h"
#include "detect-dialog.h"

#define PROC_RESTORE     "plug-in-restore"
#define PROC_LIST_MODELS "plug-in-restore-list-models"
#define PROC_DETECT      "plug-in-restore-detect"
#define MENU_PATH        "<Image>/Filters/Restore"

typedef struct
{
  GimpPlugIn parent_instance;
} Restore;

typedef struct
{
  GimpPlugInClass parent_class;
} RestoreClass;

static GType restore_get_type (void);

G_DEFINE_TYPE (Restore, restore, GIMP_TYPE_PLUG_IN)

GIMP_MAIN (restore_get_type ())

static GList *
restore_query_procedures (GimpPlugIn *plug_in)
{
  GList *list = NULL;

  list = g_list_append (list, g_strdup (PROC_RESTORE));
  list = g_list_append (list, g_strdup (PROC_DETECT));
  list = g_list_append (list, g_strdup (PROC_LIST_MODELS));
  return list;
}

/* GIMP 3 takes translations only from a folder inside the plug-in's own:
 * an installed plug-in has them in locale/ (po/meson.build).  Run from
 * the build folder it has none there: the domain is bound to the build's
 * po/ here, so messages and dialogs are translated (GIMP then shows the
 * menu labels untranslated). */
static gboolean
restore_set_i18n (GimpPlugIn   *plug_in,
                  const gchar  *procedure_name,
                  gchar       **gettext_domain,
                  gchar       **catalog_dir)
{
  char    *dir = g_path_get_dirname (gimp_get_progname ());
  char    *local = g_build_filename (dir, "locale", NULL);
  gboolean inside = g_file_test (local, G_FILE_TEST_IS_DIR);

  g_free (local);
  g_free (dir);
  if (inside)
    {
      *gettext_domain = g_strdup (GETTEXT_PACKAGE);
      *catalog_dir = g_strdup ("locale");
      return TRUE;
    }
  local = plugin_localedir ();
  bindtextdomain (GETTEXT_PACKAGE, local);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_free (local);
  return FALSE;
}

static GimpValueArray *
return_error (GimpProcedure *procedure,
              GError        *error)
{
  return gimp_procedure_new_return_values (procedure, GIMP_PDB_EXECUTION_ERROR, error);
}

/* The one drawable the procedures work on, or NULL with @error set.  A
 * layer mask stands for its layer. */
static GimpDrawable *
one_drawable (GimpDrawable **drawables,
              GError       **error)
{
  GimpDrawable *drawable;

  if (drawables == NULL || drawables[0] == NULL)
    {
      g_set_error (error, PLUGIN_ERROR, PLUGIN_ERROR_NOT_LAYER,
                   _("Select a layer first."));
      return NULL;
    }
  if (drawables[1] != NULL)
    {
      g_set_error (error, PLUGIN_ERROR, PLUGIN_ERROR_NOT_LAYER,
                   _("Several layers are selected: select only the layer to work on."));
      return NULL;
    }
  drawable = drawables[0];
  if (GIMP_IS_LAYER_MASK (drawable))
    drawable = GIMP_DRAWABLE (gimp_layer_from_mask (GIMP_LAYER_MASK (drawable)));
  return drawable;
}

/* The parameters @ids (@n of @table) that have a field in @options, from
 * @config into @options; FALSE with @error set for a value out of range. */
static gboolean
config_to_options (GimpProcedureConfig    *config,
                   const RestoreParamSpec *table,
                   const int              *ids,
                   int                     n,
                   gpointer                options,
                   GError                **error)
{
  for (int i = 0; i < n; i++)
    {
      const RestoreParamSpec *spec = &table[ids[i]];
      double                  value;

      if (spec->offset < 0)
        continue;
      if (spec->type == RESTORE_PARAM_TYPE_INT)
        {
          gint v;

          g_object_get (config, spec->name, &v, NULL);
          value = v;
        }
      else
        g_object_get (config, spec->name, &value, NULL);
      if (! restore_param_set (spec, options, value, error))
        return FALSE;
    }
  return TRUE;
}

/* The same parameters from @options back into @config (the last values). */
static void
options_to_config (const RestoreParamSpec *table,
                   const int              *ids,
                   int                     n,
                   gconstpointer           options,
                   GimpProcedureConfig    *config)
{
  for (int i = 0; i < n; i++)
    {
      const RestoreParamSpec *spec = &table[ids[i]];
      double                  value;

      if (spec->offset < 0)
        continue;
      value = restore_param_get (spec, options);
      if (spec->type == RESTORE_PARAM_TYPE_INT)
        g_object_set (config, spec->name, (gint) value, NULL);
      else
        g_object_set (config, spec->name, value, NULL);
    }
}

/* plug-in-restore's arguments after the drawables: the table up to
 * RESTORE_PARAM_COUNT (the fixed signature); the settings after it are the
 * dialog's, kept in the config as auxiliary arguments. */
static const int restore_args[] = {
  RESTORE_PARAM_MODEL, RESTORE_PARAM_DENOISE, RESTORE_PARAM_SHARPEN
};
G_STATIC_ASSERT (G_N_ELEMENTS (restore_args) == RESTORE_PARAM_COUNT);
static const int restore_aux[] = { RESTORE_PARAM_GRAIN, RESTORE_PARAM_TEXTURE };
G_STATIC_ASSERT (G_N_ELEMENTS (restore_aux) == RESTORE_PARAM_TABLE_COUNT - RESTORE_PARAM_COUNT);

/* plug-in-restore-detect's arguments, then the dialog's own settings,
 * kept in the config as auxiliary arguments. */
static const int detect_args[] = {
  RESTORE_DETECT_PARAM_SENSITIVITY, RESTORE_DETECT_PARAM_OPERATION
};
static const int detect_aux[] = {
  RESTORE_DETECT_PARAM_MIN_SIZE, RESTORE_DETECT_PARAM_MAX_SIZE, RESTORE_DETECT_PARAM_GROW,
  RESTORE_DETECT_PARAM_SCALE
};

static GimpValueArray *
run_restore (GimpProcedure        *procedure,
             GimpRunMode           run_mode,
             GimpImage            *image,
             GimpDrawable        **drawables,
             GimpProcedureConfig  *config,
             gpointer              run_data)
{
  UiRestoreSettings settings;
  GimpDrawable     *drawable;
  GimpLayer        *layer;
  GimpValueArray   *values;
  GError           *error = NULL;
  char             *model = NULL;
  int               x, y, w, h;

  drawable = one_drawable (drawables, &error);
  if (drawable == NULL)
    return return_error (procedure, error);

  ui_restore_settings_defaults (&settings);
  g_object_get (config, restore_params[RESTORE_PARAM_MODEL].name, &model, NULL);
  g_strlcpy (settings.model, model ? model : "", sizeof (settings.model));
  g_free (model);
  /* non-interactive calls take grain and texture at their defaults (not
   * part of the signature) */
  if (! config_to_options (config, restore_params, restore_args, G_N_ELEMENTS (restore_args),
                           &settings.options, &error)
      || (run_mode != GIMP_RUN_NONINTERACTIVE
          && ! config_to_options (config, restore_params, restore_aux,
                                  G_N_ELEMENTS (restore_aux), &settings.options, &error))
      || ! ui_restore_settings_check (&settings, &error))
    return return_error (procedure, error);

  if (run_mode == GIMP_RUN_INTERACTIVE)
    {
      PluginHost host;

      /* Errors are returned, not shown here: GIMP shows the message of a
       * plug-in run from a menu, and a script gets it as the call's error. */
      if (! plugin_apply_check (image, drawable, &x, &y, &w, &h, &error))
        return return_error (procedure, error);
      gimp_ui_init (PROC_RESTORE);
      plugin_host_init (&host, image, drawable);
      if (! restore_dialog_run (&host.host, &settings))
        return gimp_procedure_new_return_values (procedure, GIMP_PDB_CANCEL, NULL);
      g_object_set (config, restore_params[RESTORE_PARAM_MODEL].name, settings.model, NULL);
      options_to_config (restore_params, restore_args, G_N_ELEMENTS (restore_args),
                         &settings.options, config);
      options_to_config (restore_params, restore_aux, G_N_ELEMENTS (restore_aux),
                         &settings.options, config);
    }

  layer = plugin_apply_run (image, drawable, settings.model, &settings.options, &error);
  if (layer == NULL)
    return return_error (procedure, error);
  if (run_mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();
  values = gimp_procedure_new_return_values (procedure, GIMP_PDB_SUCCESS, NULL);
  GIMP_VALUES_SET_LAYER (values, 1, layer);
  return values;
}

static GimpValueArray *
run_detect (GimpProcedure        *procedure,
            GimpRunMode           run_mode,
            GimpImage            *image,
            GimpDrawable        **drawables,
            GimpProcedureConfig  *config,
            gpointer              run_data)
{
  UiDetectSettings   settings;
  PluginDetectInput *input;
  GimpDrawable      *drawable;
  GimpValueArray    *values;
  GError            *error = NULL;
  int                regions;

  drawable = one_drawable (drawables, &error);
  if (drawable == NULL)
    return return_error (procedure, error);

  ui_detect_settings_defaults (&settings);
  g_object_get (config, restore_detect_params[RESTORE_DETECT_PARAM_OPERATION].name,
                &settings.operation, NULL);
  /* non-interactive calls take the sizes, margin and scale at their
   * defaults (they are not part of the signature) */
  if (! config_to_options (config, restore_detect_params, detect_args,
                           G_N_ELEMENTS (detect_args), &settings.options, &error)
      || (run_mode != GIMP_RUN_NONINTERACTIVE
          && ! config_to_options (config, restore_detect_params, detect_aux,
                                  G_N_ELEMENTS (detect_aux), &settings.options, &error))
      || ! ui_detect_settings_check (&settings, &error))
    return return_error (procedure, error);

  input = plugin_detect_input_new (image, drawable, &error);
  if (input == NULL)
    return return_error (procedure, error);
  if (run_mode == GIMP_RUN_INTERACTIVE)
    {
      PluginHost host;

      gimp_ui_init (PROC_DETECT);
      plugin_host_init (&host, image, drawable);
      if (! detect_dialog_run (&host.host, &input->image, input->detector, &settings,
                               &input->prob))
        {
          plugin_detect_input_free (input);
          return gimp_procedure_new_return_values (procedure, GIMP_PDB_CANCEL, NULL);
        }
      g_object_set (config, restore_detect_params[RESTORE_DETECT_PARAM_OPERATION].name,
                    settings.operation, NULL);
      options_to_config (restore_detect_params, detect_args, G_N_ELEMENTS (detect_args),
                         &settings.options, config);
      options_to_config (restore_detect_params, detect_aux, G_N_ELEMENTS (detect_aux),
                         &settings.options, config);
    }
  regions = plugin_detect_apply (input, &settings, &error);
  plugin_detect_input_free (input);
  if (regions < 0)
    return return_error (procedure, error);
  if (run_mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();
  values = gimp_procedure_new_return_values (procedure, GIMP_PDB_SUCCESS, NULL);
  GIMP_VALUES_SET_INT (values, 1, regions);
  return values;
}

static GimpValueArray *
run_list_models (GimpProcedure        *procedure,
                 GimpProcedureConfig  *config,
                 gpointer              run_data)
{
  const RestoreRegistry *registry = plugin_registry ();
  int                    n = restore_registry_count (registry);
  const gchar          **names = g_new0 (const gchar *, n + 1);
  GimpValueArray        *values;

  for (int i = 0; i < n; i++)
    names[i] = restore_registry_get (registry, i)->name;
  values = gimp_procedure_new_return_values (procedure, GIMP_PDB_SUCCESS, NULL);
  GIMP_VALUES_SET_INT (values, 1, n);
  GIMP_VALUES_SET_STRV (values, 2, names);
  g_free (names);
  return values;
}

/* Adds the parameter table's entry @spec as an argument (@aux: kept in
 * the config for the dialog, not part of the procedure's signature). */
static void
add_argument (GimpProcedure          *procedure,
              const RestoreParamSpec *spec,
              gboolean                aux)
{
  switch (spec->type)
    {
    case RESTORE_PARAM_TYPE_STRING:
      gimp_procedure_add_string_argument (procedure, spec->name, spec->name, spec->blurb,
                                          "", G_PARAM_READWRITE);
      break;
    case RESTORE_PARAM_TYPE_DOUBLE:
      (aux ? gimp_procedure_add_double_aux_argument : gimp_procedure_add_double_argument)
        (procedure, spec->name, spec->name, spec->blurb, spec->min, spec->max, spec->def,
         G_PARAM_READWRITE);
      break;
    case RESTORE_PARAM_TYPE_INT:
    default:
      (aux ? gimp_procedure_add_int_aux_argument : gimp_procedure_add_int_argument)
        (procedure, spec->name, spec->name, spec->blurb, (gint) spec->min,
         (gint) spec->max, (gint) spec->def, G_PARAM_READWRITE);
      break;
    }
}

static GimpProcedure *
restore_create_procedure (GimpPlugIn  *plug_in,
                          const gchar *name)
{
  GimpProcedure *procedure = NULL;

  gimp_plug_in_add_menu_branch (plug_in, "<Image>/Filters", N_("Restore"));
  if (strcmp (name, PROC_RESTORE) == 0)
    {
      procedure = gimp_image_procedure_new (plug_in, name, GIMP_PDB_PROC_TYPE_PLUGIN,
                                            run_restore, NULL, NULL);
      gimp_procedure_set_image_types (procedure, "RGB*, GRAY*");
      gimp_procedure_set_sensitivity_mask (procedure, GIMP_PROCEDURE_SENSITIVE_DRAWABLE);
      gimp_procedure_set_menu_label (procedure, N_("Inpaint _Selection..."));
      gimp_procedure_add_menu_path (procedure, MENU_PATH);
      gimp_procedure_set_documentation (procedure,
        N_("Restore the selected damage (scratches, dust, stains, tears) with a neural network"),
        "Fills the selected area of the drawable from its surroundings with a U-Net and "
        "returns the result as a new layer above the drawable. The selection's soft values "
        "are kept as a soft mask. An empty model string picks a model per damaged region.",
        name);
      gimp_procedure_set_attribution (procedure, "gimp-restore developers",
                                      "gimp-restore developers", "2026");
      for (gsize i = 0; i < G_N_ELEMENTS (restore_args); i++)
        add_argument (procedure, &restore_params[restore_args[i]], FALSE);
      for (gsize i = 0; i < G_N_ELEMENTS (restore_aux); i++)
        add_argument (procedure, &restore_params[restore_aux[i]], TRUE);
      gimp_procedure_add_layer_return_value (procedure, "layer", "Layer",
                                             "The new layer holding the restored pixels",
                                             FALSE, G_PARAM_READWRITE);
    }
  else if (strcmp (name, PROC_DETECT) == 0)
    {
      procedure = gimp_image_procedure_new (plug_in, name, GIMP_PDB_PROC_TYPE_PLUGIN,
                                            run_detect, NULL, NULL);
      gimp_procedure_set_image_types (procedure, "RGB*, GRAY*");
      gimp_procedure_set_sensitivity_mask (procedure, GIMP_PROCEDURE_SENSITIVE_DRAWABLE);
      gimp_procedure_set_menu_label (procedure, N_("_Detect Damage..."));
      gimp_procedure_add_menu_path (procedure, MENU_PATH);
      gimp_procedure_set_documentation (procedure,
        N_("Find scratches, dust and other damage and select it"),
        "Runs the damage detector over the drawable and replaces the selection with the "
        "damaged areas (operation 0) or adds them to it (operation 1), grown by a small "
        "margin, ready for Inpaint Selection. Non-interactive calls use the default minimum "
        "and maximum defect sizes and margin; the dialog offers them.",
        name);
      gimp_procedure_set_attribution (procedure, "gimp-restore developers",
                                      "gimp-restore developers", "2026");
      for (gsize i = 0; i < G_N_ELEMENTS (detect_args); i++)
        add_argument (procedure, &restore_detect_params[detect_args[i]], FALSE);
      for (gsize i = 0; i < G_N_ELEMENTS (detect_aux); i++)
        add_argument (procedure, &restore_detect_params[detect_aux[i]], TRUE);
      gimp_procedure_add_int_return_value (procedure, "regions", "Regions",
                                           "Number of damaged regions found (0: none)",
                                           0, G_MAXINT, 0, G_PARAM_READWRITE);
    }
  else if (strcmp (name, PROC_LIST_MODELS) == 0)
    {
      procedure = gimp_procedure_new (plug_in, name, GIMP_PDB_PROC_TYPE_PLUGIN,
                                      run_list_models, NULL, NULL);
      gimp_procedure_set_documentation (procedure,
        N_("List the models plug-in-restore can use"),
        "Returns the names of the installed restore models.", name);
      gimp_procedure_set_attribution (procedure, "gimp-restore developers",
                                      "gimp-restore developers", "2026");
      gimp_procedure_add_enum_argument (procedure, "run-mode", "Run mode", "The run mode",
                                        GIMP_TYPE_RUN_MODE, GIMP_RUN_NONINTERACTIVE,
                                        G_PARAM_READWRITE);
      gimp_procedure_add_int_return_value (procedure, "count", "Count",
                                           "Number of installed models", 0, G_MAXINT, 0,
                                           G_PARAM_READWRITE);
      gimp_procedure_add_string_array_return_value (procedure, "names", "Names",
        "Model names, for the model argument of plug-in-restore", G_PARAM_READWRITE);
    }
  return procedure;
}

static void
restore_class_init (RestoreClass *klass)
{
  GimpPlugInClass *plug_in_class = GIMP_PLUG_IN_CLASS (klass);

  plug_in_class->query_procedures = restore_query_procedures;
  plug_in_class->create_procedure = restore_create_procedure;
  plug_in_class->set_i18n = restore_set_i18n;
}

static void
restore_init (Restore *restore)
{
}
