import { render } from 'preact';
import { getLang, loadLang, setLang } from './i18n';
import { boot } from './state';
import { App } from './ui/app';
import './style.css';

// The chosen language's messages first (English loads on demand), then the app.
void loadLang(getLang()).catch(() => undefined).finally(() => {
  setLang(getLang());
  render(<App />, document.getElementById('app')!);
  void boot();
});

if ('serviceWorker' in navigator && import.meta.env.PROD) {
  void navigator.serviceWorker.register('/sw.js', { scope: '/' });
}
