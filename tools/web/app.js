/*
 * The search page of `arca serve`.
 *
 * Everything the page shows is built with DOM methods (createElement,
 * textContent, setAttribute): no string of HTML is ever parsed, so titles,
 * snippets and fields from the archive can hold anything and still show as
 * plain text.  The only markup the API sends is <b>…</b> in snippets, and
 * snippetNodes() turns that into <mark> elements by hand.
 *
 * The search state lives in the URL (?q=…&page=…&sort=…&year=…), so a result
 * page can be bookmarked and the back button works.
 */
'use strict';

(function () {

/* ---- UI strings: every text the page shows, in English and Korean ---- */

const STRINGS = {
  en: {
    skip: 'Skip to results',
    tagline: 'Document archive',
    toolsNav: 'Tools',
    language: 'Language',
    reports: 'Reports',
    searchLabel: 'Search the archive',
    searchButton: 'Search',
    helpTitle: 'Search tips',
    filters: 'Filters',
    filtersToggle: (n) => (n ? `Filters (${n} active)` : 'Filters'),
    results: 'Results',
    facet_year: 'Year', facet_board: 'Board', facet_type: 'File type', facet_lang: 'Language',
    showMore: (n) => `Show ${n} more`,
    showLess: 'Show fewer',
    noValues: 'None',
    welcomeTitle: 'Search the archive',
    welcomeText: 'Find announcements, forum records and their attachments in Korean, English, Chinese, Japanese, Russian and Mongolian. Type a few words and press Enter.',
    welcomeExamples: 'Try:',
    loading: 'Searching…',
    count: (n, q) => `${n.toLocaleString('en')} ${n === 1 ? 'result' : 'results'} for “${q}”`,
    range: (a, b, n) => `Showing ${a}–${b} of ${n.toLocaleString('en')}`,
    noResults: (q) => `No results for “${q}”.`,
    noResultsHints: ['Check the spelling, or try fewer or more general words.', 'Remove a filter.', 'Words ending in * match any ending: govern*'],
    errorTitle: 'The search could not be run.',
    networkError: 'The server could not be reached.',
    didYouMean: 'Did you mean:',
    sortLabel: 'Sort by',
    sort_relevance: 'Relevance', sort_date: 'Newest', sort_oldest: 'Oldest',
    activeFilters: 'Active filters',
    removeFilter: (label) => `Remove filter ${label}`,
    clearAll: 'Clear all',
    histTitle: 'Results by year',
    histBar: (y, n) => `${y}: ${n} ${n === 1 ? 'result' : 'results'}. Show only ${y}.`,
    histBarActive: (y, n) => `${y}: ${n} ${n === 1 ? 'result' : 'results'}. Filtered to ${y}; press to remove.`,
    untitled: 'Untitled',
    matchedIn: 'Matched in:',
    attachments: 'Attachments',
    original: 'Original file',
    details: 'Record details',
    hideDetails: 'Hide details',
    detailsLoading: 'Loading details…',
    f_id: 'Record ID', f_version: 'Version', f_created: 'Archived', f_title: 'Title', f_date: 'Date',
    f_author: 'Author', f_board: 'Board', f_lang: 'Language', f_source: 'Source', f_tags: 'Tags',
    f_parts: 'Files', f_type: 'Type',
    body: 'Body',
    download: 'Download',
    pagination: 'Pages',
    prev: 'Previous', next: 'Next',
    pageN: (n) => `Page ${n}`,
    reportsTitle: 'Reports',
    reportsFor: (q) => `Run a saved report over the records matching “${q}”.`,
    reportsAll: 'Run a saved report over the whole archive, or search first to narrow it.',
    reportView: 'View table', reportChart: 'View chart', reportCsv: 'Download CSV', reportOpen: 'Open in new tab',
    reportNone: 'No saved reports.',
    reportFrame: (name) => `Report ${name}`,
    statsLine: (s) => `${s.records.toLocaleString('en')} records · ${s.parts.toLocaleString('en')} files · ${humanSize(s.bytes)} archived`,
    help: [
      ['word word', 'all words must match', 'gyeongju forum'],
      ['"a phrase"', 'the words together, in order', '"regional governments"'],
      ['OR', 'either word', 'forum OR meeting'],
      ['NOT', 'leave out records with a word', 'union NOT 1790'],
      ['word*', 'any ending', 'govern*'],
      ['title: author: board: tag:', 'search one field', 'title:forum author:admin'],
      ['type: lang:', 'file type or language', 'type:application/pdf lang:ko'],
      ['year:', 'a year or a range of years', 'year:2023 year:2020..2023'],
      ['date:', 'a range of dates', 'date:2023-12-01..2023-12-31'],
    ],
    helpExample: 'Example:',
  },
  ko: {
    skip: '검색 결과로 건너뛰기',
    tagline: '문서 아카이브',
    toolsNav: '도구',
    language: '언어',
    reports: '보고서',
    searchLabel: '아카이브 검색',
    searchButton: '검색',
    helpTitle: '검색 도움말',
    filters: '필터',
    filtersToggle: (n) => (n ? `필터 (${n}개 적용)` : '필터'),
    results: '검색 결과',
    facet_year: '연도', facet_board: '게시판', facet_type: '파일 형식', facet_lang: '언어',
    showMore: (n) => `${n}개 더 보기`,
    showLess: '접기',
    noValues: '없음',
    welcomeTitle: '아카이브 검색',
    welcomeText: '공지사항, 포럼 기록과 첨부파일을 한국어, 영어, 중국어, 일본어, 러시아어, 몽골어로 찾을 수 있습니다. 검색어를 입력하고 Enter 키를 누르세요.',
    welcomeExamples: '예시:',
    loading: '검색 중…',
    count: (n, q) => `“${q}” 검색 결과 ${n.toLocaleString('ko')}건`,
    range: (a, b, n) => `전체 ${n.toLocaleString('ko')}건 중 ${a}–${b}`,
    noResults: (q) => `“${q}”에 대한 검색 결과가 없습니다.`,
    noResultsHints: ['맞춤법을 확인하거나 더 적은, 또는 더 일반적인 단어로 검색해 보세요.', '필터를 해제해 보세요.', '단어 끝에 *를 붙이면 뒷부분이 다른 단어도 찾습니다: govern*'],
    errorTitle: '검색을 실행할 수 없습니다.',
    networkError: '서버에 연결할 수 없습니다.',
    didYouMean: '이것을 찾으셨나요:',
    sortLabel: '정렬',
    sort_relevance: '관련도순', sort_date: '최신순', sort_oldest: '오래된순',
    activeFilters: '적용된 필터',
    removeFilter: (label) => `필터 해제: ${label}`,
    clearAll: '모두 해제',
    histTitle: '연도별 검색 결과',
    histBar: (y, n) => `${y}년: ${n}건. ${y}년만 보기.`,
    histBarActive: (y, n) => `${y}년: ${n}건. ${y}년으로 필터링됨, 누르면 해제.`,
    untitled: '제목 없음',
    matchedIn: '일치한 파일:',
    attachments: '첨부파일',
    original: '원본 파일',
    details: '상세 정보',
    hideDetails: '상세 정보 닫기',
    detailsLoading: '상세 정보를 불러오는 중…',
    f_id: '레코드 ID', f_version: '버전', f_created: '보관 일시', f_title: '제목', f_date: '날짜',
    f_author: '작성자', f_board: '게시판', f_lang: '언어', f_source: '출처', f_tags: '태그',
    f_parts: '파일', f_type: '형식',
    body: '본문',
    download: '내려받기',
    pagination: '페이지',
    prev: '이전', next: '다음',
    pageN: (n) => `${n}페이지`,
    reportsTitle: '보고서',
    reportsFor: (q) => `“${q}” 검색 결과에 대해 저장된 보고서를 실행합니다.`,
    reportsAll: '전체 아카이브에 대해 저장된 보고서를 실행합니다. 먼저 검색하면 범위를 좁힐 수 있습니다.',
    reportView: '표 보기', reportChart: '차트 보기', reportCsv: 'CSV 내려받기', reportOpen: '새 탭에서 열기',
    reportNone: '저장된 보고서가 없습니다.',
    reportFrame: (name) => `보고서 ${name}`,
    statsLine: (s) => `레코드 ${s.records.toLocaleString('ko')}건 · 파일 ${s.parts.toLocaleString('ko')}개 · ${humanSize(s.bytes)} 보관`,
    help: [
      ['단어 단어', '모든 단어가 포함된 기록', '경주 포럼'],
      ['"구절"', '단어가 순서대로 붙어 있는 기록', '"regional governments"'],
      ['OR', '둘 중 하나라도 포함', '포럼 OR 회의'],
      ['NOT', '특정 단어가 있는 기록 제외', 'union NOT 1790'],
      ['단어*', '뒷부분이 다른 단어도 찾기', 'govern*'],
      ['title: author: board: tag:', '제목, 작성자, 게시판, 태그에서만 찾기', 'title:forum author:admin'],
      ['type: lang:', '파일 형식 또는 언어', 'type:application/pdf lang:ko'],
      ['year:', '연도 또는 연도 범위', 'year:2023 year:2020..2023'],
      ['date:', '날짜 범위', 'date:2023-12-01..2023-12-31'],
    ],
    helpExample: '예:',
  },
};

const EXAMPLES = ['경주', 'union', '"regional governments"', 'year:2023', 'type:application/pdf'];
const FACETS = ['year', 'board', 'type', 'lang'];
const SORTS = ['relevance', 'date', 'oldest'];
const PAGE_SIZE = 10;
const FACET_SHOWN = 8;            /* values shown before "show more" */
const SVG_NS = 'http://www.w3.org/2000/svg';

/* Friendly names for common MIME types; others show as the type itself. */
const TYPE_NAMES = {
  'text/html': 'HTML', 'text/plain': 'Text', 'text/markdown': 'Markdown', 'text/csv': 'CSV',
  'text/rtf': 'RTF', 'application/rtf': 'RTF', 'application/pdf': 'PDF', 'message/rfc822': 'Email',
  'application/msword': 'Word (.doc)', 'application/vnd.ms-excel': 'Excel (.xls)',
  'application/vnd.ms-powerpoint': 'PowerPoint (.ppt)',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'Word (.docx)',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'Excel (.xlsx)',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'PowerPoint (.pptx)',
  'application/vnd.oasis.opendocument.text': 'OpenDocument text',
  'application/vnd.oasis.opendocument.spreadsheet': 'OpenDocument spreadsheet',
  'application/vnd.oasis.opendocument.presentation': 'OpenDocument presentation',
  'application/x-hwp': 'HWP', 'application/zip': 'ZIP', 'image/jpeg': 'JPEG', 'image/png': 'PNG',
};

let uiLang = 'en';
let state = emptyState();
let lastResult = null;            /* the last successful search response */
let searchSeq = 0;                /* ignores answers to searches since replaced */
let reportsCache = null;
const expandedFacets = new Set(); /* facets whose long lists are shown whole */
/* Facet counts remembered from a search without that facet's own filter,
 * keyed by the rest of the search.  Facet counts describe the filtered set,
 * so once "HTML" is checked the other types would vanish from the list;
 * these counts keep them there, so a second type can be added ("either"). */
const facetMemory = {};

function t(key, ...args) {
  const v = STRINGS[uiLang][key] ?? STRINGS.en[key];
  return typeof v === 'function' ? v(...args) : v;
}

/* ---- small DOM helpers ---- */

/* el('a', {class: 'x', href: u, onclick: f}, child, 'text', …): attributes
 * go through setAttribute, strings become text nodes, null children are
 * skipped. */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function svgEl(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  for (const c of children) if (c != null) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function setAttrs(node, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k === 'className' ? 'class' : k, v === true ? '' : String(v));
  }
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

const $ = (id) => document.getElementById(id);

/* Decodes the five entities the API escapes; &amp; last, so "&amp;lt;"
 * stays the literal text "&lt;". */
function decodeEntities(s) {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'").replace(/&#x27;/g, "'").replace(/&amp;/g, '&');
}

/* Turns a snippet ("text <b>match</b> text", HTML-escaped) into text nodes
 * and <mark> elements.  Only the literal tags <b> and </b> count as markup;
 * anything else stays text. */
function snippetNodes(snippet) {
  const out = [];
  let bold = false;
  for (const piece of String(snippet).split(/(<b>|<\/b>)/)) {
    if (piece === '<b>') { bold = true; continue; }
    if (piece === '</b>') { bold = false; continue; }
    if (!piece) continue;
    const text = decodeEntities(piece);
    const prev = out[out.length - 1];
    /* Adjacent matches (<b>경</b><b>주</b>) read better as one mark. */
    if (bold && prev && prev.nodeName === 'MARK') prev.append(text);
    else out.push(bold ? el('mark', null, text) : document.createTextNode(text));
  }
  return out;
}

function humanSize(n) {
  if (typeof n !== 'number' || !isFinite(n)) return '';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n, i = -1;
  do { v /= 1024; i++; } while (v >= 1024 && i < units.length - 1);
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

function typeName(mime) {
  return TYPE_NAMES[mime] || mime;
}

const LANG_CODE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
function langName(code) {
  if (!code || !LANG_CODE.test(code)) return code;
  try {
    const name = new Intl.DisplayNames([uiLang], { type: 'language' }).of(code);
    return name && name !== code ? name : code;
  } catch (e) {
    return code;
  }
}

function facetLabel(facet, value) {
  if (facet === 'type') return typeName(value);
  if (facet === 'lang') return langName(value);
  return value;
}

function basename(p) {
  const s = String(p).replace(/[\\/]+$/, '');
  return s.slice(s.lastIndexOf('/') + 1) || s;
}

function hitTitle(hit) {
  if (hit.title) return hit.title;
  if (hit.source) return basename(hit.source);
  return hit.id || t('untitled');
}

/* ---- URLs: every API link is built here, with encoded path pieces ---- */

const api = {
  search: (params) => `/api/search?${params}`,
  record: (id) => `/api/records/${encodeURIComponent(id)}`,
  part: (id, n) => `/api/records/${encodeURIComponent(id)}/attachments/${encodeURIComponent(String(n))}`,
  reports: () => '/api/reports',
  report: (name, q, format) => {
    const p = new URLSearchParams();
    if (q) p.set('q', q);
    p.set('format', format);
    return `/api/reports/${encodeURIComponent(name)}?${p}`;
  },
  stats: () => '/api/stats',
};

/* ---- search state <-> URL ---- */

function emptyState() {
  return { q: '', page: 1, sort: 'relevance', from: '', to: '', year: [], board: [], type: [], lang: [] };
}

function parseState(search) {
  const p = new URLSearchParams(search);
  const s = emptyState();
  s.q = (p.get('q') || '').trim();
  s.page = Math.max(1, parseInt(p.get('page') || '1', 10) || 1);
  s.sort = SORTS.includes(p.get('sort')) ? p.get('sort') : 'relevance';
  s.from = p.get('from') || '';
  s.to = p.get('to') || '';
  for (const f of FACETS) s[f] = [...new Set(p.getAll(f).filter(Boolean))];
  return s;
}

function stateParams(s, forApi) {
  const p = new URLSearchParams();
  p.set('q', s.q);
  if (s.page > 1 || forApi) p.set('page', String(s.page));
  if (forApi) p.set('size', String(PAGE_SIZE));
  if (s.sort !== 'relevance' || forApi) p.set('sort', s.sort);
  for (const f of FACETS) for (const v of s[f]) p.append(f, v);
  if (s.from) p.set('from', s.from);
  if (s.to) p.set('to', s.to);
  return p;
}

function stateUrl(s) {
  return s.q ? `?${stateParams(s, false)}` : location.pathname;
}

function activeFilterCount(s) {
  return FACETS.reduce((n, f) => n + s[f].length, 0) + (s.from ? 1 : 0) + (s.to ? 1 : 0);
}

/* Moves to a new state: a new history entry, then the search. */
function go(next, opts = {}) {
  state = next;
  const url = stateUrl(next);
  if (url !== location.pathname + location.search) history.pushState(null, '', url);
  run(opts);
}

function withChange(fn) {
  const next = JSON.parse(JSON.stringify(state));
  fn(next);
  return next;
}

function toggleFilter(facet, value) {
  go(withChange((s) => {
    const i = s[facet].indexOf(value);
    if (i >= 0) s[facet].splice(i, 1); else s[facet].push(value);
    s.page = 1;
  }), { keepFocus: true });
}

/* ---- running a search ---- */

async function run(opts = {}) {
  $('q').value = state.q;
  renderReportsNote();
  if (!state.q) {
    lastResult = null;
    renderWelcome();
    return;
  }
  const seq = ++searchSeq;
  document.title = `${state.q} – arca`;
  setLoading(true);
  let data, error = null;
  try {
    const res = await fetch(api.search(stateParams(state, true)), { headers: { Accept: 'application/json' } });
    data = await res.json().catch(() => null);
    if (!res.ok) error = (data && typeof data.error === 'string') ? data.error : `${res.status} ${res.statusText}`;
    else if (!data || !Array.isArray(data.hits)) error = `${res.status}: unexpected answer`;
  } catch (e) {
    error = t('networkError');
  }
  if (seq !== searchSeq) return;
  setLoading(false);
  if (error) {
    lastResult = null;
    renderError(error);
  } else {
    lastResult = data;
    renderResults(data, opts);
  }
}

function setLoading(on) {
  $('results').setAttribute('aria-busy', on ? 'true' : 'false');
  document.body.classList.toggle('loading', on);
  if (on) $('status').textContent = t('loading');
}

/* ---- rendering ---- */

function renderWelcome() {
  document.title = 'arca';
  $('status').textContent = '';
  clear($('outcome'));
  clear($('facets'));
  document.body.classList.add('is-empty');
  updateFiltersToggle();
  const w = clear($('welcome'));
  w.hidden = false;
  w.append(
    el('h2', { class: 'welcome-title' }, t('welcomeTitle')),
    el('p', null, t('welcomeText')),
    el('p', { class: 'examples' }, el('span', null, t('welcomeExamples')), ' ',
      EXAMPLES.map((ex) => [exampleLink(ex), ' '])),
  );
}

function exampleLink(q) {
  const s = emptyState();
  s.q = q;
  return el('a', { class: 'example', href: stateUrl(s), onclick: (e) => { e.preventDefault(); go(s); } }, q);
}

function renderError(message) {
  document.body.classList.remove('is-empty');
  $('welcome').hidden = true;
  $('status').textContent = t('errorTitle');
  clear($('facets'));
  clear($('outcome')).append(
    el('div', { class: 'notice error', role: 'alert' },
      el('p', { class: 'notice-title' }, t('errorTitle')),
      el('p', { class: 'error-message' }, message)));
  renderChips($('outcome'));
  updateFiltersToggle();
}

function renderResults(data, opts) {
  document.body.classList.remove('is-empty');
  $('welcome').hidden = true;
  const total = Number(data.total) || 0;
  const q = state.q;
  $('status').textContent = t('count', total, q);

  const focusKey = opts.keepFocus && document.activeElement && document.activeElement.dataset
    ? document.activeElement.dataset.key : null;

  renderFacets(data.facets || {});

  const out = clear($('outcome'));
  const head = el('div', { class: 'result-head' },
    el('p', { class: 'total', 'data-total': total }, t('count', total, q)),
    sortControl());
  out.append(head);
  renderChips(out);
  if (data.suggestion) out.append(suggestionLine(String(data.suggestion)));

  if (total === 0) {
    out.append(el('div', { class: 'notice empty' },
      el('p', { class: 'notice-title' }, t('noResults', q)),
      el('ul', null, t('noResultsHints').map((h) => el('li', null, h)))));
  } else {
    const years = (data.facets && data.facets.year) || {};
    if (Object.keys(years).length > 1 || state.year.length) out.append(histogram(years));
    const size = Number(data.size) || PAGE_SIZE;
    const offset = Number(data.offset) || 0;
    if (data.hits.length) {
      out.append(el('p', { class: 'range muted' }, t('range', offset + 1, offset + data.hits.length, total)));
    }
    const list = el('ol', { class: 'hits', start: offset + 1 });
    for (const hit of data.hits) list.append(renderHit(hit));
    out.append(list);
    const pages = pagination(Number(data.page) || state.page, Math.ceil(total / size));
    if (pages) out.append(pages);
  }
  updateFiltersToggle();

  if (focusKey) {
    const target = document.querySelector(`[data-key="${CSS.escape(focusKey)}"]`);
    if (target) target.focus();
  } else if (opts.focusResults) {
    $('results').focus();
  }
}

function sortControl() {
  return el('div', { class: 'sort', role: 'group', 'aria-label': t('sortLabel') },
    el('span', { class: 'sort-label', 'aria-hidden': 'true' }, t('sortLabel')),
    SORTS.map((s) => el('button', {
      type: 'button', class: 'seg', 'aria-pressed': String(state.sort === s), 'data-key': `sort:${s}`,
      onclick: () => { if (state.sort !== s) go(withChange((n) => { n.sort = s; n.page = 1; }), { keepFocus: true }); },
    }, t(`sort_${s}`))));
}

function suggestionLine(suggestion) {
  const s = withChange((n) => { n.q = suggestion; n.page = 1; });
  return el('p', { class: 'suggestion' }, t('didYouMean'), ' ',
    el('a', { href: stateUrl(s), class: 'suggestion-link', onclick: (e) => { e.preventDefault(); go(s); } }, suggestion));
}

/* The active filters as removable chips. */
function renderChips(parent) {
  const chips = [];
  for (const f of FACETS) {
    for (const v of state[f]) {
      const label = `${t(`facet_${f}`)}: ${facetLabel(f, v)}`;
      chips.push(el('li', null, el('button', {
        type: 'button', class: 'chip', 'data-facet': f, 'data-value': v, 'aria-label': t('removeFilter', label),
        onclick: () => toggleFilter(f, v),
      }, el('span', null, label), el('span', { class: 'chip-x', 'aria-hidden': 'true' }, '×'))));
    }
  }
  for (const k of ['from', 'to']) {
    if (!state[k]) continue;
    chips.push(el('li', null, el('button', {
      type: 'button', class: 'chip', 'aria-label': t('removeFilter', `${k} ${state[k]}`),
      onclick: () => go(withChange((n) => { n[k] = ''; n.page = 1; })),
    }, el('span', null, `${k === 'from' ? '≥' : '≤'} ${state[k]}`), el('span', { class: 'chip-x', 'aria-hidden': 'true' }, '×'))));
  }
  if (!chips.length) return;
  if (chips.length > 1) {
    chips.push(el('li', null, el('button', {
      type: 'button', class: 'link-button clear-all',
      onclick: () => go(withChange((n) => { for (const f of FACETS) n[f] = []; n.from = n.to = ''; n.page = 1; })),
    }, t('clearAll'))));
  }
  parent.append(el('div', { class: 'chips-wrap' },
    el('h3', { class: 'visually-hidden' }, t('activeFilters')),
    el('ul', { class: 'chips', 'aria-label': t('activeFilters') }, chips)));
}

/* The search without facet f's filter, as a string. */
function facetContext(f) {
  const o = { q: state.q, from: state.from, to: state.to };
  for (const g of FACETS) if (g !== f) o[g] = [...state[g]].sort();
  return JSON.stringify(o);
}

function renderFacets(facets) {
  const box = clear($('facets'));
  for (const f of FACETS) {
    if (!state[f].length) facetMemory[f] = { context: facetContext(f), counts: facets[f] || {} };
    const memory = facetMemory[f];
    const counts = Object.assign({}, state[f].length && memory && memory.context === facetContext(f) ? memory.counts : {},
      facets[f] || {});
    /* An active filter stays listed, so it can be unchecked here too. */
    for (const v of state[f]) if (!(v in counts)) counts[v] = 0;
    let values = Object.keys(counts);
    if (f === 'year') values.sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
    else values.sort((a, b) => counts[b] - counts[a] || a.localeCompare(b));
    if (!values.length) continue;

    const expanded = expandedFacets.has(f);
    const shown = expanded ? values : values.slice(0, FACET_SHOWN);
    for (const v of state[f]) if (!shown.includes(v)) shown.push(v);
    const id = `facet-${f}`;
    const list = el('ul', { class: 'facet-values', 'aria-labelledby': `${id}-title` });
    for (const v of shown) {
      const checked = state[f].includes(v);
      const label = facetLabel(f, v);
      const input = el('input', {
        type: 'checkbox', 'data-key': `facet:${f}:${v}`, 'data-facet': f, 'data-value': v,
        onchange: () => toggleFilter(f, v),
        /* Enter toggles too, as Space does, for people who expect it. */
        onkeydown: (e) => { if (e.key === 'Enter') { e.preventDefault(); toggleFilter(f, v); } },
      });
      input.checked = checked;
      list.append(el('li', null, el('label', { class: 'facet-value', title: label !== v ? v : null },
        input,
        el('span', { class: 'facet-name' }, label),
        el('span', { class: 'count', 'data-count': counts[v] }, counts[v].toLocaleString(uiLang)))));
    }
    const group = el('section', { class: 'facet', 'data-facet': f },
      el('h3', { id: `${id}-title`, class: 'facet-title' }, t(`facet_${f}`)), list);
    if (values.length > FACET_SHOWN) {
      group.append(el('button', {
        type: 'button', class: 'link-button more', 'aria-expanded': String(expanded), 'data-key': `more:${f}`,
        onclick: () => {
          if (expanded) expandedFacets.delete(f); else expandedFacets.add(f);
          renderFacets(facets);
          const b = document.querySelector(`[data-key="more:${f}"]`);
          if (b) b.focus();
        },
      }, expanded ? t('showLess') : t('showMore', values.length - FACET_SHOWN)));
    }
    box.append(group);
  }
}

function updateFiltersToggle() {
  const n = activeFilterCount(state);
  const b = $('filters-toggle');
  b.textContent = t('filtersToggle', n);
  b.hidden = !lastResult && !n;
}

/* The histogram of hits per year, from the exact year facet: one bar per
 * year, each a keyboard-operable button that filters to that year. */
function histogram(years) {
  const entries = Object.entries(years).filter(([y]) => /^-?\d{1,4}$/.test(y))
    .map(([y, n]) => [y, Number(n) || 0]).sort((a, b) => Number(a[0]) - Number(b[0]));
  for (const y of state.year) if (!entries.some(([e]) => e === y) && /^\d{1,4}$/.test(y)) entries.push([y, 0]);
  entries.sort((a, b) => Number(a[0]) - Number(b[0]));
  const max = Math.max(1, ...entries.map(([, n]) => n));
  const barW = 28, gap = 6, chartH = 110, top = 18, bottom = 20;
  const width = Math.max(entries.length * (barW + gap) + gap, 200);
  const height = top + chartH + bottom;
  /* Label every year when they fit, else every k-th. */
  const every = Math.ceil(entries.length / 16);

  const svg = svgEl('svg', {
    class: 'histogram', viewBox: `0 0 ${width} ${height}`, width, height,
    role: 'group', 'aria-labelledby': 'hist-title', preserveAspectRatio: 'xMinYMax meet',
  });
  svg.append(svgEl('line', { class: 'axis', x1: 0, x2: width, y1: top + chartH + 0.5, y2: top + chartH + 0.5 }));
  entries.forEach(([year, n], i) => {
    const x = gap + i * (barW + gap);
    const h = n ? Math.max(2, Math.round((n / max) * chartH)) : 0;
    const active = state.year.includes(year);
    const label = active ? t('histBarActive', year, n) : t('histBar', year, n);
    const activate = () => {
      go(withChange((s) => { s.year = active && s.year.length === 1 ? [] : [year]; s.page = 1; }), { keepFocus: true });
    };
    const g = svgEl('g', {
      class: `bar${active ? ' active' : ''}`, tabindex: 0, role: 'button', focusable: 'true',
      'aria-label': label, 'aria-pressed': String(active), 'data-year': year, 'data-count': n, 'data-key': `bar:${year}`,
    },
    svgEl('title', null, `${year}: ${n}`),
    svgEl('rect', { class: 'hit-area', x: x - gap / 2, y: 0, width: barW + gap, height }),
    svgEl('rect', { class: 'bar-rect', x, y: top + chartH - h, width: barW, height: h, rx: 2 }),
    svgEl('text', { class: 'bar-count', x: x + barW / 2, y: top + chartH - h - 5, 'text-anchor': 'middle' }, n),
    (i % every === 0 || active) ? svgEl('text', { class: 'bar-year', x: x + barW / 2, y: height - 6, 'text-anchor': 'middle' }, year) : null);
    g.addEventListener('click', activate);
    g.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); activate(); }
    });
    svg.append(g);
  });
  return el('figure', { class: 'hist' },
    el('figcaption', { id: 'hist-title', class: 'hist-title' }, t('histTitle')),
    el('div', { class: 'hist-scroll' }, svg));
}

function metaItem(cls, text, lang) {
  return text ? el('li', { class: cls, lang: lang || null }, text) : null;
}

function renderHit(hit) {
  const id = String(hit.id);
  const li = el('li', { class: 'hit', 'data-id': id });
  const hitLang = typeof hit.lang === 'string' && LANG_CODE.test(hit.lang) ? hit.lang : null;
  li.append(el('h3', { class: 'hit-title', lang: hitLang }, hitTitle(hit)));
  li.append(el('ul', { class: 'hit-meta' },
    metaItem('date', hit.date ? String(hit.date) : null),
    metaItem('board', hit.board ? String(hit.board) : null),
    metaItem('author', hit.author ? String(hit.author) : null),
    metaItem('type', hit.type ? typeName(String(hit.type)) : null),
    metaItem('lang', hit.lang ? langName(String(hit.lang)) : null)));
  if (hit.snippet) li.append(el('p', { class: 'snippet', lang: hitLang }, snippetNodes(hit.snippet)));
  if (hit.part) li.append(el('p', { class: 'matched' }, el('span', { class: 'matched-label' }, t('matchedIn')), ' ', String(hit.part)));

  const atts = Array.isArray(hit.attachments) ? hit.attachments : [];
  const remoteUrl = (u) => (typeof u === 'string' && /^https?:\/\//.test(u) ? u : null);
  if (atts.length) {
    li.append(el('div', { class: 'attachments' },
      el('span', { class: 'attachments-label' }, t('attachments')),
      el('ul', null, atts.map((a, i) => {
        const n = Number.isInteger(a.part) ? a.part : i + 1;
        const name = a.name ? String(a.name) : `${t('attachments')} ${n}`;
        return el('li', null, el('a', {
          /* A remote shard's hit: its bytes come from that shard's own
           * server (the url it gives), not from this one. */
          class: 'attachment', href: remoteUrl(a.url) || api.part(id, n), download: name, 'data-part': n, 'data-sha256': a.sha256 || null,
        }, el('span', { class: 'att-name' }, name),
        el('span', { class: 'att-info' }, [a.type ? typeName(String(a.type)) : null, humanSize(a.size)].filter(Boolean).join(', '))));
      }))));
  }

  const details = el('div', { class: 'details', hidden: true, id: `details-${cssId(id)}` });
  const toggle = el('button', {
    type: 'button', class: 'link-button details-toggle', 'aria-expanded': 'false', 'aria-controls': details.id,
    onclick: () => toggleDetails(id, toggle, details),
  }, t('details'));
  li.append(el('p', { class: 'hit-actions' },
    el('a', { class: 'original', href: api.part(id, 0), download: '' }, t('original')), toggle));
  li.append(details);
  return li;
}

function cssId(s) {
  return String(s).replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80) + '-' + Math.random().toString(36).slice(2, 7);
}

async function toggleDetails(id, button, box) {
  const open = button.getAttribute('aria-expanded') !== 'true';
  button.setAttribute('aria-expanded', String(open));
  button.textContent = open ? t('hideDetails') : t('details');
  box.hidden = !open;
  if (!open || box.dataset.loaded) return;
  clear(box).append(el('p', { class: 'muted' }, t('detailsLoading')));
  try {
    const res = await fetch(api.record(id), { headers: { Accept: 'application/json' } });
    const rec = await res.json().catch(() => null);
    if (!res.ok || !rec) throw new Error((rec && rec.error) || `${res.status}`);
    clear(box).append(recordDetails(id, rec));
    box.dataset.loaded = '1';
  } catch (e) {
    clear(box).append(el('p', { class: 'error-message', role: 'alert' }, String(e.message || e)));
  }
}

function recordDetails(id, rec) {
  const dl = el('dl', { class: 'fields' });
  const row = (label, value) => {
    if (value == null || value === '' || (Array.isArray(value) && !value.length)) return;
    dl.append(el('dt', null, label), el('dd', null, value));
  };
  row(t('f_id'), String(rec.id ?? id));
  row(t('f_title'), rec.title != null ? String(rec.title) : null);
  row(t('f_date'), rec.date != null ? String(rec.date) : null);
  row(t('f_author'), rec.author != null ? String(rec.author) : null);
  row(t('f_board'), rec.board != null ? String(rec.board) : null);
  row(t('f_lang'), rec.lang ? langName(String(rec.lang)) : null);
  row(t('f_tags'), Array.isArray(rec.tags) && rec.tags.length ? rec.tags.map(String).join(', ') : null);
  /* The source may be any string (a path, a URL, "javascript:…"): text only. */
  row(t('f_source'), rec.source != null ? String(rec.source) : null);
  if (rec.extra && typeof rec.extra === 'object') {
    for (const [k, v] of Object.entries(rec.extra)) row(k, typeof v === 'string' ? v : JSON.stringify(v));
  }
  row(t('f_version'), rec.version != null ? String(rec.version) : null);
  row(t('f_created'), rec.created != null ? String(rec.created) : null);
  const parts = Array.isArray(rec.parts) ? rec.parts : [];
  if (parts.length) {
    row(t('f_parts'), el('ul', { class: 'parts' }, parts.map((p) => {
      const n = Number.isInteger(p.part) ? p.part : 0;
      const name = p.name ? String(p.name) : t('body');
      return el('li', null,
        el('a', { href: api.part(id, n), download: p.name ? String(p.name) : '' }, name), ' ',
        el('span', { class: 'muted' }, [p.type ? typeName(String(p.type)) : null, p.charset ? String(p.charset) : null, humanSize(p.size)].filter(Boolean).join(', ')),
        p.sha256 ? el('code', { class: 'sha', title: 'SHA-256' }, String(p.sha256)) : null);
    })));
  }
  return dl;
}

function pagination(page, pages) {
  if (pages <= 1) return null;
  const link = (n, label, cls, aria) => {
    const s = withChange((x) => { x.page = n; });
    return el('a', {
      href: stateUrl(s), class: cls, 'aria-label': aria || t('pageN', n), 'data-page': n,
      'aria-current': n === page && cls === 'page' ? 'page' : null,
      onclick: (e) => { e.preventDefault(); go(s, { focusResults: true }); },
    }, label);
  };
  const items = [];
  if (page > 1) items.push(link(page - 1, `‹ ${t('prev')}`, 'prev', t('prev')));
  const nums = new Set([1, pages, page - 2, page - 1, page, page + 1, page + 2].filter((n) => n >= 1 && n <= pages));
  let last = 0;
  for (const n of [...nums].sort((a, b) => a - b)) {
    if (n - last > 1) items.push(el('span', { class: 'gap', 'aria-hidden': 'true' }, '…'));
    items.push(link(n, String(n), 'page'));
    last = n;
  }
  if (page < pages) items.push(link(page + 1, `${t('next')} ›`, 'next', t('next')));
  return el('nav', { class: 'pagination', 'aria-label': t('pagination') },
    el('ul', null, items.map((i) => el('li', null, i))));
}

/* ---- reports ---- */

async function toggleReports() {
  const panel = $('reports');
  const open = panel.hidden;
  panel.hidden = !open;
  $('reports-toggle').setAttribute('aria-expanded', String(open));
  if (!open) return;
  renderReportsNote();
  if (!reportsCache) {
    try {
      const res = await fetch(api.reports(), { headers: { Accept: 'application/json' } });
      const data = await res.json().catch(() => null);
      if (!res.ok) throw new Error((data && data.error) || `${res.status}`);
      reportsCache = Array.isArray(data && data.reports) ? data.reports : [];
    } catch (e) {
      clear($('reports-list')).append(el('li', { class: 'error-message', role: 'alert' }, String(e.message || e)));
      return;
    }
  }
  renderReports();
  $('reports-title').setAttribute('tabindex', '-1');
  $('reports-title').focus();
}

function renderReportsNote() {
  $('reports-note').textContent = state.q ? t('reportsFor', state.q) : t('reportsAll');
  if (reportsCache && !$('reports').hidden) renderReports();
}

function renderReports() {
  const list = clear($('reports-list'));
  if (!reportsCache.length) { list.append(el('li', { class: 'muted' }, t('reportNone'))); return; }
  for (const r of reportsCache) {
    const name = String(r.name);
    const q = state.q;
    list.append(el('li', { class: 'report', 'data-report': name },
      el('div', { class: 'report-name' }, el('strong', null, name), r.summary ? el('span', { class: 'muted' }, ` — ${r.summary}`) : null),
      el('div', { class: 'report-actions' },
        el('button', { type: 'button', class: 'small', 'data-format': 'html', onclick: () => showReport(name, q, 'html') }, t('reportView')),
        el('button', { type: 'button', class: 'small', 'data-format': 'svg', onclick: () => showReport(name, q, 'svg') }, t('reportChart')),
        el('a', { class: 'small button', href: api.report(name, q, 'csv'), download: `${name}.csv`, 'data-format': 'csv' }, t('reportCsv')),
        el('a', { class: 'small button', href: api.report(name, q, 'html'), target: '_blank', rel: 'noopener noreferrer' }, t('reportOpen')))));
  }
}

/* Shows a report inside the page: HTML in a sandboxed frame (no scripts),
 * SVG as an image (which never runs scripts). */
function showReport(name, q, format) {
  const view = clear($('report-view'));
  view.hidden = false;
  const url = api.report(name, q, format);
  if (format === 'svg') {
    view.append(el('img', { class: 'report-svg', src: url, alt: t('reportFrame', name) }));
  } else {
    view.append(el('iframe', { class: 'report-frame', src: url, sandbox: '', title: t('reportFrame', name) }));
  }
}

/* ---- language ---- */

function pickLanguage() {
  let saved = null;
  try { saved = localStorage.getItem('arca.lang'); } catch (e) { /* storage may be off */ }
  if (saved && STRINGS[saved]) return saved;
  const langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en'];
  for (const l of langs) {
    const code = String(l).toLowerCase();
    if (code.startsWith('ko')) return 'ko';
    if (code.startsWith('en')) return 'en';
  }
  return 'en';
}

function applyLanguage() {
  document.documentElement.lang = uiLang;
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll('[data-i18n-label]')) node.setAttribute('aria-label', t(node.dataset.i18nLabel));
  for (const b of document.querySelectorAll('[data-ui-lang]')) b.setAttribute('aria-pressed', String(b.dataset.uiLang === uiLang));
  const help = clear($('help-list'));
  for (const [syntax, meaning, example] of t('help')) {
    const s = withChange((n) => { n.q = example; n.page = 1; for (const f of FACETS) n[f] = []; });
    help.append(el('div', { class: 'help-row' },
      el('dt', null, el('code', null, syntax)),
      el('dd', null, meaning, ' ', el('span', { class: 'muted' }, t('helpExample')), ' ',
        el('a', { href: stateUrl(s), onclick: (e) => { e.preventDefault(); go(s); } }, el('code', null, example)))));
  }
}

function setLanguage(lang) {
  if (!STRINGS[lang] || lang === uiLang) return;
  uiLang = lang;
  try { localStorage.setItem('arca.lang', lang); } catch (e) { /* not remembered, then */ }
  applyLanguage();
  renderStats();
  if (lastResult) renderResults(lastResult, {});
  else if (!state.q) renderWelcome();
  else run();
  if (reportsCache) renderReports();
  renderReportsNote();
}

let stats = null;

function renderStats() {
  if (stats) $('stats').textContent = t('statsLine', stats);
}

async function loadStats() {
  try {
    const res = await fetch(api.stats(), { headers: { Accept: 'application/json' } });
    if (!res.ok) return;
    const s = await res.json();
    if (s && typeof s.records === 'number') {
      stats = { records: s.records, parts: Number(s.parts) || 0, bytes: Number(s.bytes) || 0 };
      renderStats();
    }
  } catch (e) { /* the footer simply stays empty */ }
}

/* ---- start ---- */

function init() {
  uiLang = pickLanguage();
  applyLanguage();

  $('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const q = $('q').value.trim();
    if (!q) { $('q').focus(); return; }
    go(withChange((s) => { s.q = q; s.page = 1; }));
  });
  $('home').addEventListener('click', (e) => { e.preventDefault(); go(emptyState()); $('q').focus(); });
  for (const b of document.querySelectorAll('[data-ui-lang]')) b.addEventListener('click', () => setLanguage(b.dataset.uiLang));
  $('reports-toggle').addEventListener('click', toggleReports);
  $('filters-toggle').addEventListener('click', () => {
    const open = !document.body.classList.contains('filters-open');
    document.body.classList.toggle('filters-open', open);
    $('filters-toggle').setAttribute('aria-expanded', String(open));
  });
  window.addEventListener('popstate', () => { state = parseState(location.search); run(); });

  state = parseState(location.search);
  run();
  loadStats();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();

})();
