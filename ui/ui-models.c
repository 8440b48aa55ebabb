/* gimp-restore: the models a dialog has loaded (see ui-models.h). */
#include "config.h"

#include "ui-models.h"

typedef struct
{
  RestoreModel **models;
  int            n, halo;
} ModelSet;

struct _UiModels
{
  const RestoreRegistry *registry;
  GHashTable      *sets;    /* name -> ModelSet */
  GMutex           lock;
  int              loads;
};

static void
model_set_free (gpointer data)
{
  ModelSet *set = data;

  for (int i = 0; i < set->n; i++)
    restore_model_free (set->models[i]);
  g_free (set->models);
  g_free (set);
}

UiModels *
ui_models_new (const RestoreRegistry *registry)
{
  UiModels *cache = g_new0 (UiModels, 1);

  cache->registry = registry;
  cache->sets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, model_set_free);
  g_mutex_init (&cache->lock);
  return cache;
}

void
ui_models_free (UiModels *cache)
{
  if (cache == NULL)
    return;
  g_hash_table_destroy (cache->sets);
  g_mutex_clear (&cache->lock);
  g_free (cache);
}

int
ui_models_get (UiModels             *cache,
               const char           *name,
               RestoreModel *const **models,
               int                  *halo,
               GError              **error)
{
  ModelSet *set;

  g_mutex_lock (&cache->lock);
  set = g_hash_table_lookup (cache->sets, name);
  if (set == NULL)
    {
      RestoreModel **loaded = NULL;
      int            n = restore_registry_load (cache->registry, name, &loaded, error);

      cache->loads++;
      if (n == 0)
        {
          g_mutex_unlock (&cache->lock);
          return 0;
        }
      set = g_new0 (ModelSet, 1);
      set->models = loaded;
      set->n = n;
      for (int i = 0; i < n; i++)
        set->halo = MAX (set->halo, restore_model_get_halo (loaded[i]));
      g_hash_table_insert (cache->sets, g_strdup (name), set);
    }
  g_mutex_unlock (&cache->lock);
  *models = set->models;
  if (halo)
    *halo = set->halo;
  return set->n;
}

int
ui_models_loads (UiModels *cache)
{
  int n;

  g_mutex_lock (&cache->lock);
  n = cache->loads;
  g_mutex_unlock (&cache->lock);
  return n;
}
