import { useEffect } from 'react';
import type { PageProps } from '../app';
import type { ModelView } from '../lib/types';
import { useAsync } from '../lib/use-async';

/** The tenant's models as a select; the chosen one is shared by every page. */
export function ModelPicker({ api, model, setModel }: Pick<PageProps, 'api' | 'model' | 'setModel'>) {
  const { value, error } = useAsync(() => api.json<{ models: ModelView[] }>('GET', '/admin/models?limit=100'), []);
  const models = value?.models ?? [];
  useEffect(() => {
    if (!model && models.length > 0) setModel(models[0].name);
  }, [model, models, setModel]);
  if (error) return <p className="error">{error}</p>;
  return (
    <label className="picker">
      Model{' '}
      <select data-testid="model-picker" value={model ?? ''} onChange={(e) => setModel(e.target.value)}>
        {models.length === 0 && <option value="">(none)</option>}
        {models.map((m) => (
          <option key={m.name} value={m.name}>
            {m.name}
          </option>
        ))}
      </select>
    </label>
  );
}
