import { createRoot } from 'react-dom/client';
import { registerServiceWorker } from './pwa/registration';
import { App } from './ui/App';
import './styles.css';

const root = document.getElementById('root');
if (root) createRoot(root).render(<App />);

// Every load, signed in or not: the worker is also what lets the installed app open offline.
void registerServiceWorker();
