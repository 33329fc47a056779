// map.js — 一张图: the grids of the caller's jurisdiction coloured by their
// open and overdue cases, the case markers (the server clusters them into
// counted circles when there are many), filters, a reload on every move,
// a click through to the case; and the small map of the filing form's
// location picker. Leaflet comes from the embedded bundle
// (/assets/vendor/map.js, built by web/map), loaded only when a map is
// drawn. Base tiles come from the configured tile URL only; without one
// the polygons lie on a plain background and nothing is fetched from
// outside (政务内网). Coordinates are never converted here: when the tiles
// are in GCJ-02 every map call says crs=gcj02 and the server converts.
import { get, query } from './api.js';
import { t, label } from './i18n.js';
import { h, field, select, load, errorBox, showError } from './ui.js';

// MAP_ROLES open 一张图: the command centres, supervisors and the street
// and community secretaries.
export const MAP_ROLES = ['commander', 'supervisor', 'street_secretary', 'community_secretary'];

const STATUSES = ['pending', 'open', 'verifying', 'evaluating', 'closed'];
const CLASSES = ['emergency', 'key', 'routine', 'coordination'];

let bundle = null;
// leaflet loads the bundle and its stylesheet once.
export function leaflet() {
  if (!document.querySelector('link[data-map-css]')) {
    document.head.append(h('link', { rel: 'stylesheet', href: '/assets/vendor/map.css', 'data-map-css': true }));
  }
  bundle ??= import('/assets/vendor/map.js').catch((err) => { bundle = null; throw err; });
  return bundle;
}

let config = null;
// mapConfig is GET /map/config, asked once per page load.
export function mapConfig() {
  config ??= get('/map/config').catch((err) => { config = null; throw err; });
  return config;
}

// crsParam is what every map call adds: the tiles' system when it is not
// WGS-84, so the server answers (and reads) coordinates in it.
export function crsParam(cfg) {
  return cfg.tile_crs && cfg.tile_crs !== 'wgs84' ? cfg.tile_crs : '';
}

// baseMap draws a Leaflet map in el over the configured tiles (or a plain
// background) at the configured bounds.
export function baseMap(L, el, cfg, opts = {}) {
  const map = L.map(el, { zoomControl: true, attributionControl: Boolean(cfg.tile_url), minZoom: 3, maxZoom: 19, zoomSnap: 0.5, ...opts });
  // Grid names lie above the polygons but under the case markers.
  map.createPane(LABEL_PANE).style.zIndex = 450;
  if (cfg.tile_url) {
    L.tileLayer(cfg.tile_url, { attribution: cfg.attribution || '', maxZoom: cfg.max_zoom || 18, subdomains: cfg.subdomains || 'abc' }).addTo(map);
  } else {
    el.classList.add('map-plain');
  }
  const b = cfg.bounds;
  if (Array.isArray(b) && b.length === 4) map.fitBounds([[b[1], b[0]], [b[3], b[2]]]);
  else if (Array.isArray(cfg.center)) map.setView([cfg.center[1], cfg.center[0]], 13);
  else map.setView([39.9, 116.4], 11);
  // The container may get its size after the map (a form drawn later).
  requestAnimationFrame(() => map.invalidateSize());
  return map;
}

// whenConnected runs fn once el is in the page (a view's nodes are put
// in after it returns; Leaflet needs to measure its container).
export function whenConnected(el, fn, frames = 300) {
  if (el.isConnected) fn();
  else if (frames > 0) requestAnimationFrame(() => whenConnected(el, fn, frames - 1));
}

// bboxOf is the map's view as minLon,minLat,maxLon,maxLat, clamped.
function bboxOf(map) {
  const b = map.getBounds();
  const c = (v, lim) => Math.max(-lim, Math.min(lim, v)).toFixed(6);
  return [c(b.getWest(), 180), c(b.getSouth(), 90), c(b.getEast(), 180), c(b.getNorth(), 90)].join(',');
}

// ---- 一张图 ----

// LABEL_PANE holds the grids' names.
const LABEL_PANE = 'gridLabels';

// MAX_LABELS is how many grids in view are labelled with their names.
const MAX_LABELS = 40;

// SHADES are the choropleth's classes by open cases: none, few, some, many.
const SHADES = [[0, 'g0'], [1, 'g1'], [3, 'g2'], [6, 'g3']];
const shade = (open) => SHADES.filter(([min]) => open >= min).at(-1)[1];

export function mapView(ctx) {
  const p = ctx.params;
  const state = {
    status: p.get('status') || '', class: p.get('class') || '', overdue: p.get('overdue') === 'true',
    category: p.get('category') || '', from: p.get('from') || '', to: p.get('to') || '',
  };
  const canvas = h('div', { class: 'map-canvas', id: 'map-canvas', role: 'region', 'aria-label': t('map_title') });
  const status = h('p', { class: 'muted map-status', id: 'map-status', role: 'status' });
  const box = errorBox();
  const filters = h('form', { class: 'filters map-filters', id: 'map-filters' },
    // The API's status "" is every case not closed yet; "all" is all.
    field(t('filter_status'), select('status', [['', t('map_not_closed')], ...STATUSES.map((s) => [s, label('case_status', s)]), ['all', t('all')]], state.status)),
    field(t('filter_class'), select('class', [['', t('all')], ...CLASSES.map((c) => [c, label('class', c)])], state.class)),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'overdue', checked: state.overdue }), t('only_overdue')),
    // The rarer conditions fold away, so a phone sees the map first.
    h('details', { class: 'more map-more', open: Boolean(state.category || state.from || state.to) }, h('summary', {}, t('map_more_filters')),
      h('div', { class: 'filters' },
        field(t('category'), h('input', { name: 'category', value: state.category, maxlength: 64, list: 'map-categories', autocomplete: 'off' })),
        field(t('map_from'), h('input', { name: 'from', type: 'date', value: state.from })),
        field(t('map_to'), h('input', { name: 'to', type: 'date', value: state.to })),
        h('datalist', { id: 'map-categories' }),
        h('button', { class: 'btn', type: 'submit' }, t('filter')))));
  const legend = h('ul', { class: 'legend map-legend', id: 'map-legend' },
    h('li', {}, h('span', { class: 'swatch grid-g0' }), t('map_legend_none')),
    h('li', {}, h('span', { class: 'swatch grid-g1' }), t('map_legend_open', '1–2')),
    h('li', {}, h('span', { class: 'swatch grid-g2' }), t('map_legend_open', '3–5')),
    h('li', {}, h('span', { class: 'swatch grid-g3' }), t('map_legend_open', '6+')),
    h('li', {}, h('span', { class: 'swatch grid-late' }), t('map_legend_overdue')),
    h('li', {}, h('span', { class: 'swatch pin-sample' }), t('map_legend_case')),
    h('li', {}, h('span', { class: 'swatch cluster-sample' }), t('map_legend_cluster')));

  let map = null;
  let gridLayer = null, caseLayer = null;
  let asked = 0;
  let timer = null;
  ctx.onLeave(() => { clearTimeout(timer); asked++; map?.remove(); map = null; });

  const reload = async (L, cfg) => {
    if (!map) return;
    const mine = ++asked;
    const crs = crsParam(cfg);
    const bbox = bboxOf(map);
    box.hidden = true;
    status.textContent = t('loading');
    try {
      const filter = { status: state.status, class: state.class, overdue: state.overdue ? 'true' : '', category: state.category, from: day(state.from), to: day(state.to, true) };
      const [grids, cases] = await Promise.all([
        get('/map/grids' + query({ bbox, crs })),
        get('/map/cases' + query({ bbox, crs, ...filter })),
      ]);
      if (mine !== asked || !map) return; // a newer view is under way
      drawGrids(L, grids);
      const n = drawCases(L, cases);
      status.textContent = t('map_count', (grids.features || []).length, n);
    } catch (err) {
      if (mine !== asked) return;
      status.textContent = '';
      if (err?.status !== 401) showError(box, err);
    }
  };

  const drawGrids = (L, fc) => {
    gridLayer?.remove();
    // A few grids carry their names; many would hide the map under labels.
    const labelled = (fc.features || []).length <= MAX_LABELS;
    gridLayer = L.geoJSON(fc, {
      style: (f) => {
        const pr = f.properties || {};
        return { className: `grid-shape grid-${shade(pr.open || 0)}${pr.overdue ? ' grid-late' : ''}`, weight: pr.overdue ? 3 : 1.5 };
      },
      onEachFeature: (f, layer) => {
        const pr = f.properties || {};
        layer.bindTooltip(h('div', { class: 'grid-tip' }, h('b', {}, pr.name || pr.id || ''), pr.community && !labelled ? h('div', {}, pr.community) : null,
          h('div', {}, t('map_grid_counts', pr.open || 0, pr.overdue || 0))), labelled ? { permanent: true, direction: 'center', className: 'grid-label', pane: LABEL_PANE } : { sticky: true });
        layer.on('add', () => {
          const el = layer.getElement?.();
          if (el) { el.dataset.gridId = pr.id || ''; el.dataset.open = String(pr.open || 0); }
        });
      },
    }).addTo(map);
    gridLayer.bringToBack();
  };

  const drawCases = (L, fc) => {
    caseLayer?.remove();
    caseLayer = L.layerGroup().addTo(map);
    let n = 0;
    for (const f of fc.features || []) {
      const [lon, lat] = f.geometry?.coordinates || [];
      if (!Number.isFinite(lat) || !Number.isFinite(lon)) continue;
      const pr = f.properties || {};
      if (pr.cluster) {
        n += pr.count || 0;
        const size = pr.count >= 1000 ? 'l' : pr.count >= 100 ? 'm' : 's';
        const m = L.marker([lat, lon], {
          icon: L.divIcon({ className: `map-cluster cluster-${size}${pr.overdue ? ' has-late' : ''}`, html: '', iconSize: null }),
          title: t('map_cluster', pr.count, pr.overdue || 0), keyboard: true,
        });
        m.on('add', () => {
          const el = m.getElement();
          el.textContent = String(pr.count);
          el.dataset.count = String(pr.count);
        });
        m.on('click', () => map.setView([lat, lon], Math.min(map.getZoom() + 2, map.getMaxZoom())));
        caseLayer.addLayer(m);
        continue;
      }
      n++;
      const late = pr.overdue ? ' is-late' : '';
      const warn = pr.warning ? ` warn-${pr.warning}` : '';
      const m = L.marker([lat, lon], {
        icon: L.divIcon({ className: `case-pin class-${pr.class || 'routine'}${late}${warn}`, html: '', iconSize: null }),
        title: `${pr.number || ''} ${pr.title || ''} · ${label('case_status', pr.status)}${pr.overdue ? ' · ' + t('overdue') : ''}`,
        alt: pr.title || '', keyboard: true, riseOnHover: true,
      });
      m.on('add', () => {
        const el = m.getElement();
        el.dataset.caseId = pr.id;
        el.dataset.status = pr.status || '';
      });
      m.on('click', () => ctx.navigate('/app/cases/' + encodeURIComponent(pr.id)));
      caseLayer.addLayer(m);
    }
    return n;
  };

  const body = h('div', { class: 'map-body' });
  let lib = null, cfg = null;
  load(body, async () => {
    [lib, cfg] = await Promise.all([leaflet(), mapConfig()]);
    catalogueCategories(filters.querySelector('#map-categories'));
    return [canvas, status, box, legend];
  }).then(() => whenConnected(canvas, () => {
    if (!lib || map) return;
    map = baseMap(lib, canvas, cfg);
    map.on('moveend', () => { clearTimeout(timer); timer = setTimeout(() => reload(lib, cfg), 250); });
    reload(lib, cfg);
  }));
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    const d = new FormData(filters);
    Object.assign(state, { status: d.get('status'), class: d.get('class'), category: String(d.get('category') || '').trim(),
      from: d.get('from'), to: d.get('to'), overdue: d.get('overdue') === 'on' });
    ctx.setParams(state);
    if (map) reload(lib, cfg);
  });
  filters.addEventListener('change', (e) => { if (e.target.tagName === 'SELECT' || e.target.type === 'checkbox' || e.target.type === 'date') filters.requestSubmit(); });
  return h('div', { class: 'page map-page' },
    h('div', { class: 'page-head' }, h('h1', {}, t('map_title'))),
    filters, body);
}

// day turns a date input's YYYY-MM-DD into the start (or, for the end of
// a range, the end) of that day in Beijing time, as the API's times are.
function day(v, end = false) {
  if (!v) return '';
  return v + (end ? 'T23:59:59+08:00' : 'T00:00:00+08:00');
}

// catalogueCategories fills the category suggestions; a failure leaves
// the field free text.
async function catalogueCategories(list) {
  try {
    const c = await get('/catalogue');
    const cats = [...new Set((c.items || []).map((x) => x.category).filter(Boolean))];
    list.replaceChildren(...cats.map((x) => h('option', { value: x })));
  } catch { /* suggestions only */ }
}

// LOCATORS may ask the map where a point lies (map:read).
const LOCATORS = [...MAP_ROLES, 'grid_worker', 'admin'];

// gridName resolves a located case's grid to its name, community and
// street (GET /map/locate on its point) when the user reads the map and
// the point still lies in that grid; null otherwise (the id then stands).
export async function gridName(me, loc) {
  if (!LOCATORS.includes(me?.role) || !Number.isFinite(loc?.lat) || !Number.isFinite(loc?.lon) || !loc.grid_id) return null;
  try {
    const ans = await get('/map/locate' + query({ lat: loc.lat, lon: loc.lon }));
    return ans.grid?.id === loc.grid_id && ans.grid.name ? ans : null;
  } catch {
    return null; // the id is shown instead
  }
}

// ---- the filing form's location picker ----

// outlines draws the grids in view, outlined and named, under the picker's
// pin, again after each move; a failure leaves the map without them.
function outlines(L, map, cfg) {
  let layer = null, asked = 0, timer = null, gone = false;
  map.on('unload', () => { gone = true; clearTimeout(timer); });
  const draw = async () => {
    const mine = ++asked;
    let fc;
    try { fc = await get('/map/grids' + query({ bbox: bboxOf(map), crs: crsParam(cfg) })); } catch { return; }
    if (mine !== asked || gone) return;
    layer?.remove();
    const labelled = (fc.features || []).length <= MAX_LABELS;
    layer = L.geoJSON(fc, {
      interactive: false, // a tap goes through to the map and picks the point
      style: () => ({ className: 'grid-shape grid-outline', weight: 2 }),
      onEachFeature: (f, l) => {
        if (labelled) l.bindTooltip(h('span', {}, f.properties?.name || ''), { permanent: true, direction: 'center', className: 'grid-label', pane: LABEL_PANE });
      },
    }).addTo(map);
    layer.bringToBack();
  };
  map.on('moveend', () => { clearTimeout(timer); timer = setTimeout(draw, 250); });
  draw();
}

// locationPicker is a small map over the lat/lon inputs: a tap sets the
// point, typing or 使用当前位置 moves it, and each point is located in the
// grids (GET /map/locate) for the filer to confirm. onLocated(answer|null)
// hears of each answer (null: outside every grid). The inputs stay the
// truth and stay editable: they hold WGS-84, as the API stores.
export function locationPicker({ lat, lon, onLocated }) {
  const canvas = h('div', { class: 'map-canvas picker-canvas', id: 'pick-map', role: 'region', 'aria-label': t('pick_map') });
  const result = h('div', { class: 'located', id: 'located', role: 'status', hidden: true });
  const box = errorBox();
  let map = null, marker = null, L = null, cfg = null;
  let asked = 0, gone = false, quiet = false;
  const point = () => {
    const a = String(lat.value).trim(), b = String(lon.value).trim();
    const y = Number(a), x = Number(b);
    return a !== '' && b !== '' && Number.isFinite(y) && Number.isFinite(x) && Math.abs(y) <= 90 && Math.abs(x) <= 180 ? [y, x] : null;
  };
  // locate asks where a point lies. fromMap: the point is the map's (in
  // the tiles' system); otherwise it is the inputs' WGS-84.
  const locate = async (y, x, fromMap) => {
    const mine = ++asked;
    box.hidden = true;
    result.hidden = false;
    result.replaceChildren(h('span', { class: 'spinner' }), ' ', t('locating'));
    let ans = null;
    try {
      ans = await get('/map/locate' + query({ lat: y, lon: x, crs: fromMap && cfg ? crsParam(cfg) : '' }));
    } catch (err) {
      if (mine !== asked) return;
      if (err.status === 404) {
        result.replaceChildren(h('span', { class: 'outside', id: 'located-outside' }, t('located_outside')));
        onLocated?.(null);
        return;
      }
      result.hidden = true;
      showError(box, err);
      return;
    }
    if (mine !== asked) return;
    if (fromMap) {
      // The server answers the point in WGS-84: the inputs take that.
      lat.value = Number(ans.lat).toFixed(6);
      lon.value = Number(ans.lon).toFixed(6);
      quiet = true; // the duplicate hints look again; this picker needs not
      lon.dispatchEvent(new Event('input', { bubbles: true }));
      quiet = false;
    }
    const names = [ans.grid, ans.community, ans.street].filter((x) => x?.name).map((x) => x.name);
    result.replaceChildren(h('span', {}, t('located_in'), h('b', { id: 'located-grid', 'data-grid-id': ans.grid?.id || '' }, ans.grid?.name || ''),
      names.length > 1 ? h('span', { class: 'muted' }, '（' + names.slice(1).join('，') + '）') : null));
    onLocated?.(ans);
  };
  const place = (latlng) => {
    if (!map) return;
    if (marker) marker.setLatLng(latlng);
    else marker = L.marker(latlng, { icon: L.divIcon({ className: 'case-pin pick-pin', html: '', iconSize: null }), keyboard: false }).addTo(map);
  };
  // The inputs changed (typed, or the phone's position): move the pin
  // when the map draws WGS-84, and locate the point.
  let typing = null;
  const fromInputs = () => {
    if (quiet) return;
    clearTimeout(typing);
    typing = setTimeout(() => {
      if (gone) return;
      const pt = point();
      if (!pt) { result.hidden = true; onLocated?.(undefined); return; }
      if (cfg && !crsParam(cfg)) {
        place(pt);
        map?.setView(pt, Math.max(map.getZoom(), 16)); // the map follows the typed point
      } else if (marker) { marker.remove(); marker = null; } // shown only once located from the map
      locate(pt[0], pt[1], false);
    }, 400);
  };
  for (const input of [lat, lon]) {
    input.addEventListener('input', fromInputs);
    input.addEventListener('change', fromInputs);
  }
  const el = h('div', { class: 'picker' }, h('small', { class: 'hint' }, t('pick_hint')), canvas, result, box);
  Promise.all([leaflet(), mapConfig()]).then(([lib, c]) => whenConnected(canvas, () => {
    if (gone) return;
    L = lib; cfg = c;
    map = baseMap(L, canvas, cfg, { scrollWheelZoom: false });
    outlines(L, map, cfg);
    map.on('click', (e) => {
      place(e.latlng);
      locate(e.latlng.lat, e.latlng.lng, true);
    });
    const pt = point();
    if (pt && !crsParam(cfg)) { place(pt); map.setView(pt, 15); }
  }), (err) => {
    canvas.hidden = true;
    showError(box, err);
  });
  // remove ends the map when the page is left; a timer still pending then
  // must not touch it.
  const remove = () => {
    gone = true;
    clearTimeout(typing);
    map?.remove();
    map = marker = null;
  };
  return { el, locate: fromInputs, remove };
}
