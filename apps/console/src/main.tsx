import { createRoot } from 'react-dom/client';
import 'uplot/dist/uPlot.min.css';
import './console.css';
import { App } from './app';

createRoot(document.getElementById('root')!).render(<App />);
