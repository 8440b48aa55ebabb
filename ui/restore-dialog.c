/* gimp-restore: the GTK 3 dialog (see restore-dialog.h).
 *
 * Plain GTK 3 (GIMP 2.10's libgimpui is GTK 2); the widgets are built from
 * the parameter table.  The preview reads a small crop around the
 * selection once through the host (on the main thread) and restores it in
 * a worker thread with the same engine call as the final render, with the
 * models the dialog loaded once (ui-models.h).  A settings change cancels
 * the running preview and starts another after a short pause, once the
 * cancelled one has ended (one job at a time has the cores).
 */
#include "config.h"

#include <string.h>

#include <gtk/gtk.h>
#include <glib/gi18n-lib.h>

#include "restore-params.h"
#include "restore-registry.h"
#include "ui-models.h"
#include "ui-widgets.h"
#include "restore-dialog.h"

/* The settings shown as sliders (RestoreParamId), in this order. */
static const int sliders[] = { RESTORE_PARAM_DENOISE, RESTORE_PARAM_SHARPEN, RESTORE_PARAM_GRAIN,
                               RESTORE_PARAM_TEXTURE };

#define PREVIEW_SIDE     256
#define PREVIEW_DELAY_MS 300

typedef struct
{
  GtkWidget      *dialog;
  GtkWidget      *combo;
  GtkAdjustment  *adj[RESTORE_PARAM_TABLE_COUNT];
  GtkWidget      *before, *after, *status;
  UiHost         *host;
  UiModels       *models;     /* loaded once, for every preview */
  UiRegion       *region;     /* preview crop, read once */
  guint           timeout_id;
  gint           *cancel;     /* flag of the newest preview, or NULL */
  int             running;    /* preview threads not yet done */
  gboolean        again;      /* start another when the running one ends */
  gboolean        closed;
} Dialog;

typedef struct
{
  Dialog        *dialog;
  gint          *cancel;
  char          *model;
  RestoreOptions settings;      /* denoise, sharpen, grain, texture */
  RestoreImage   out;
  GError        *error;
  gboolean       ok;
} PreviewJob;

static GdkPixbuf *
pixbuf_from_image (const RestoreImage *image)
{
  GdkPixbuf *pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8,
                                      image->width, image->height);
  guchar    *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int        stride = gdk_pixbuf_get_rowstride (pixbuf);
  gboolean   gray = image->channels <= 2;
  int        x, y, c;

  for (y = 0; y < image->height; y++)
    for (x = 0; x < image->width; x++)
      {
        const float *p = image->data + y * image->rowstride + (gsize) x * image->channels;
        float        a = (image->channels == 2 || image->channels == 4)
                         ? p[image->channels - 1] : 1.0f;
        /* Composite transparent pixels over a checker gray. */
        float        bg = ((x / 8 + y / 8) & 1) ? 0.6f : 0.4f;

        for (c = 0; c < 3; c++)
          {
            float v = (gray ? p[0] : p[c]) * a + bg * (1.0f - a);

            pixels[y * stride + x * 3 + c] = (guchar) (CLAMP (v, 0.0f, 1.0f) * 255.0f + 0.5f);
          }
      }
  return pixbuf;
}

static void
dialog_get_settings (Dialog            *d,
                     UiRestoreSettings *settings)
{
  const char *id = gtk_combo_box_get_active_id (GTK_COMBO_BOX (d->combo));

  ui_restore_settings_defaults (settings);
  g_strlcpy (settings->model, id ? id : "", sizeof (settings->model));
  ui_params_from_widgets (restore_params, sliders, G_N_ELEMENTS (sliders), d->adj,
                          &settings->options);
}

static void
preview_job_free (PreviewJob *job)
{
  g_free (job->out.data);
  g_free (job->model);
  g_free (job->cancel);
  g_clear_error (&job->error);
  g_free (job);
}

static gboolean preview_start (gpointer data);

/* Main thread: show the result of a finished preview job. */
static gboolean
preview_done (gpointer data)
{
  PreviewJob *job = data;
  Dialog     *d = job->dialog;

  d->running--;
  if (d->cancel == job->cancel)
    d->cancel = NULL;
  if (! d->closed && ! g_atomic_int_get (job->cancel))
    {
      if (job->ok)
        {
          GdkPixbuf *pb = pixbuf_from_image (&job->out);

          gtk_image_set_from_pixbuf (GTK_IMAGE (d->after), pb);
          g_object_unref (pb);
          gtk_label_set_text (GTK_LABEL (d->status), "");
        }
      else
        gtk_label_set_text (GTK_LABEL (d->status),
                            job->error ? job->error->message : _("Preview failed."));
    }
  preview_job_free (job);
  if (d->again && ! d->closed)
    preview_start (d);
  else if (! d->closed && d->running == 0 && d->host->preview_shown)
    d->host->preview_shown (d->host, d->dialog);
  return G_SOURCE_REMOVE;
}

/* Worker thread: only core calls, no GTK. */
static gpointer
preview_worker (gpointer data)
{
  PreviewJob          *job = data;
  UiRegion            *region = job->dialog->region;
  RestoreModel *const *models = NULL;
  RestoreOptions       options;
  RestoreMask          mask = { region->mask, region->width, region->height,
                                (gsize) region->width };
  int                  n;

  n = ui_models_get (job->dialog->models, job->model, &models, NULL, &job->error);
  if (n > 0)
    {
      job->out = region->image;
      job->out.data = g_new (float, region->image.rowstride * region->height);
      restore_options_init (&options);
      restore_params_copy (restore_params, RESTORE_PARAM_TABLE_COUNT, &options, &job->settings);
      options.cancel = job->cancel;
      job->ok = restore_run (models, n, &region->image, &mask, &job->out,
                             &options, &job->error);
    }
  g_idle_add (preview_done, job);
  return NULL;
}

static gboolean
preview_start (gpointer data)
{
  Dialog           *d = data;
  UiRestoreSettings settings;
  PreviewJob       *job;

  d->timeout_id = 0;
  if (d->region == NULL || d->closed)
    return G_SOURCE_REMOVE;
  if (d->running > 0)
    {
      /* the running one stops soon; preview_done starts this one */
      if (d->cancel)
        g_atomic_int_set (d->cancel, 1);
      d->again = TRUE;
      return G_SOURCE_REMOVE;
    }
  d->again = FALSE;

  dialog_get_settings (d, &settings);
  job = g_new0 (PreviewJob, 1);
  job->dialog = d;
  job->cancel = g_new0 (gint, 1);
  job->model = g_strdup (settings.model);
  job->settings = settings.options;
  d->cancel = job->cancel;
  d->running++;
  gtk_label_set_text (GTK_LABEL (d->status), _("Computing preview…"));
  g_thread_unref (g_thread_new ("restore-preview", preview_worker, job));
  return G_SOURCE_REMOVE;
}

static void
settings_changed (Dialog *d)
{
  if (d->timeout_id)
    g_source_remove (d->timeout_id);
  d->timeout_id = g_timeout_add (PREVIEW_DELAY_MS, preview_start, d);
}

static void
on_changed (GtkWidget *widget,
            gpointer   data)
{
  settings_changed (data);
}

static void
dialog_set_settings (Dialog                  *d,
                     const UiRestoreSettings *settings)
{
  if (! gtk_combo_box_set_active_id (GTK_COMBO_BOX (d->combo), settings->model))
    gtk_combo_box_set_active (GTK_COMBO_BOX (d->combo), 0);
  ui_params_to_widgets (restore_params, sliders, G_N_ELEMENTS (sliders), d->adj,
                        &settings->options);
}

gboolean
restore_dialog_run (UiHost            *host,
                    UiRestoreSettings *settings)
{
  const RestoreRegistry *registry;
  Dialog                 d;
  GtkWidget             *content, *grid, *label, *frame, *box;
  UiRestoreSettings      defaults;
  GError                *error = NULL;
  int                    i, response, halo = 0;

  memset (&d, 0, sizeof (d));
  d.host = host;

  gdk_set_allowed_backends ("x11");
  if (! gtk_init_check (NULL, NULL))
    return FALSE;

  d.dialog = gtk_dialog_new_with_buttons (_("Restore: Inpaint Selection"), NULL, 0,
                                          _("_Reset"), 1,
                                          _("_Cancel"), GTK_RESPONSE_CANCEL,
                                          _("_OK"), GTK_RESPONSE_OK,
                                          NULL);
  gtk_dialog_set_default_response (GTK_DIALOG (d.dialog), GTK_RESPONSE_OK);
  gtk_window_set_resizable (GTK_WINDOW (d.dialog), FALSE);
  content = gtk_dialog_get_content_area (GTK_DIALOG (d.dialog));
  gtk_container_set_border_width (GTK_CONTAINER (content), 12);

  grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_box_pack_start (GTK_BOX (content), grid, FALSE, FALSE, 0);

  /* Model list: Automatic first, then every installed model. */
  label = gtk_label_new_with_mnemonic (_(restore_params[RESTORE_PARAM_MODEL].label));
  gtk_widget_set_halign (label, GTK_ALIGN_START);
  d.combo = gtk_combo_box_text_new ();
  gtk_widget_set_tooltip_text (d.combo, _(restore_params[RESTORE_PARAM_MODEL].blurb));
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), d.combo);
  gtk_combo_box_text_append (GTK_COMBO_BOX_TEXT (d.combo), "",
                             _("Automatic (picks a model per damaged region)"));
  registry = host->registry;
  for (i = 0; i < restore_registry_count (registry); i++)
    {
      const RestoreModelInfo *info = restore_registry_get (registry, i);
      char *text = g_strdup_printf ("%s — %s", info->name, info->description);

      gtk_combo_box_text_append (GTK_COMBO_BOX_TEXT (d.combo), info->name, text);
      g_free (text);
    }
  gtk_grid_attach (GTK_GRID (grid), label, 0, 0, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), d.combo, 1, 0, 2, 1);

  for (i = 0; i < (int) G_N_ELEMENTS (sliders); i++)
    {
      d.adj[sliders[i]] = ui_param_row_attach (GTK_GRID (grid), 1 + i,
                                               &restore_params[sliders[i]], NULL);
      g_signal_connect (d.adj[sliders[i]], "value-changed", G_CALLBACK (on_changed), &d);
    }

  /* Before / after preview of a crop around the selection. */
  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_box_pack_start (GTK_BOX (content), box, FALSE, FALSE, 12);
  frame = gtk_frame_new (_("Before"));
  d.before = gtk_image_new ();
  gtk_container_add (GTK_CONTAINER (frame), d.before);
  gtk_box_pack_start (GTK_BOX (box), frame, TRUE, TRUE, 0);
  frame = gtk_frame_new (_("After"));
  d.after = gtk_image_new ();
  gtk_container_add (GTK_CONTAINER (frame), d.after);
  gtk_box_pack_start (GTK_BOX (box), frame, TRUE, TRUE, 0);
  d.status = gtk_label_new ("");
  gtk_box_pack_start (GTK_BOX (content), d.status, FALSE, FALSE, 0);

  /* The crop gets the context of the widest model (the automatic choice
   * loads them all; they serve its previews too). */
  d.models = host->models ? host->models : ui_models_new (host->registry);
  {
    RestoreModel *const *models = NULL;

    ui_models_get (d.models, "", &models, &halo, NULL);
  }
  d.region = host->read_region (host, halo, PREVIEW_SIDE, &error);
  if (d.region)
    {
      GdkPixbuf *pb = pixbuf_from_image (&d.region->image);

      gtk_image_set_from_pixbuf (GTK_IMAGE (d.before), pb);
      gtk_image_set_from_pixbuf (GTK_IMAGE (d.after), pb);
      g_object_unref (pb);
    }
  else
    {
      gtk_label_set_text (GTK_LABEL (d.status), error->message);
      g_clear_error (&error);
    }

  dialog_set_settings (&d, settings);
  g_signal_connect (d.combo, "changed", G_CALLBACK (on_changed), &d);
  if (host->set_transient)
    host->set_transient (host, d.dialog);
  gtk_widget_show_all (d.dialog);
  settings_changed (&d);

  ui_restore_settings_defaults (&defaults);
  while ((response = gtk_dialog_run (GTK_DIALOG (d.dialog))) == 1)
    dialog_set_settings (&d, &defaults);

  if (response == GTK_RESPONSE_OK)
    dialog_get_settings (&d, settings);

  d.closed = TRUE;
  if (d.timeout_id)
    g_source_remove (d.timeout_id);
  if (d.cancel)
    g_atomic_int_set (d.cancel, 1);
  gtk_widget_destroy (d.dialog);
  /* Let running previews see the cancel and finish before the crop goes. */
  while (d.running > 0)
    g_main_context_iteration (NULL, TRUE);
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
  ui_region_free (d.region);
  if (d.models != host->models)
    ui_models_free (d.models);
  return response == GTK_RESPONSE_OK;
}
