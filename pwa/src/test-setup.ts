// Vitest runs in Node: IndexedDB comes from fake-indexeddb; WebCrypto is Node's own.
import 'fake-indexeddb/auto';
// English is loaded on demand in the app (i18n loadLang); tests switch to it synchronously.
import { loadLang } from './i18n';
await loadLang('en');
