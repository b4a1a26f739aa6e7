/**
 * The studio's views, in tab order. A view lands here when it works end to end; the shell builds the
 * tab bar and the keyboard shortcuts (Alt+1..9) from this list.
 */
import type { Component } from 'svelte';
import type { ViewName } from '../lib/navStore.svelte.js';
import DatasetView from './DatasetView.svelte';
import InspectView from './InspectView.svelte';
import MachineView from './MachineView.svelte';
import RunsView from './RunsView.svelte';
import TrainView from './TrainView.svelte';
import TryView from './TryView.svelte';

export interface ViewEntry {
  name: ViewName;
  label: string;
  component: Component;
}

export const views: ViewEntry[] = [
  { name: 'dataset', label: 'Dataset', component: DatasetView },
  { name: 'train', label: 'Training', component: TrainView },
  { name: 'inspect', label: 'Inspect', component: InspectView },
  { name: 'try', label: 'Try', component: TryView },
  { name: 'runs', label: 'Runs', component: RunsView },
  { name: 'machine', label: 'Machine', component: MachineView },
];
