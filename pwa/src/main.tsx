import { render } from 'preact';
import { setLang, getLang } from './i18n';
import { boot } from './state';
import { App } from './ui/app';
import './style.css';

setLang(getLang());
render(<App />, document.getElementById('app')!);
void boot();

if ('serviceWorker' in navigator && import.meta.env.PROD) {
  void navigator.serviceWorker.register('/sw.js', { scope: '/' });
}
