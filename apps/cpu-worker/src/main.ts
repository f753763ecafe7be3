import 'reflect-metadata';
import { bootstrapWorker } from '@falaj/worker-runtime';

bootstrapWorker('cpu');
