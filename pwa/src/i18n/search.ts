// Messages of record search (C), loaded with the lazily loaded ui/search.tsx only:
// importing this module registers them with addMessages. The one first-load key (the
// entry on the patients list, patients.search_records) is in ja.ts/en.ts.

import { addMessages, tx } from './index';

export const searchJa = {
  'search.title': '記録の検索',
  'search.scope_all': '担当するすべての患者の記録から探します。',
  'search.label': '記録を検索(2文字以上の言葉)',
  'search.label_patient': 'この患者の記録を検索(2文字以上の言葉)',
  'search.submit': '検索',
  'search.clear': '検索をやめる',
  'search.more': 'さらに表示',
  'search.searching': '検索しています…',
  'search.none': '見つかりませんでした。',
  'search.count': '{n}件{more}',
  'search.count_more': '以上',
  'search.too_short': '2文字以上の言葉で検索してください(スペースで区切った言葉それぞれ)。',
  'search.offline': '記録の検索にはネット接続が必要です。オンラインのときに検索してください。',
  'search.unknown_author': '記録者不明',
};
export const searchEn: Record<keyof typeof searchJa, string> = {
  'search.title': 'Search records',
  'search.scope_all': 'Searches the records of all your patients.',
  'search.label': 'Search records (words of 2+ characters)',
  'search.label_patient': 'Search this patient\'s records (words of 2+ characters)',
  'search.submit': 'Search',
  'search.clear': 'Clear search',
  'search.more': 'Show more',
  'search.searching': 'Searching…',
  'search.none': 'Nothing found.',
  'search.count': '{n}{more} found',
  'search.count_more': '+',
  'search.too_short': 'Search with words of at least 2 characters each (separated by spaces).',
  'search.offline': 'Searching records needs a connection. Search again when you are online.',
  'search.unknown_author': 'unknown author',
};
addMessages({ ja: searchJa, en: searchEn });
/** t() for the search screens. */
export const st = (key: keyof typeof searchJa, vars?: Record<string, string | number>) => tx(key, vars);

