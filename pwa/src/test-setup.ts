// Vitest runs in Node: IndexedDB comes from fake-indexeddb; WebCrypto is Node's own.
import 'fake-indexeddb/auto';
