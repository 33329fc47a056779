// The map bundle the pages load on demand (web/static/assets/js/map.js):
// Leaflet as an ES module, its stylesheet beside it in map.css. Nothing
// here fetches anything: tiles come only from the configured tile URL.
export * from 'leaflet/dist/leaflet-src.esm.js';
import 'leaflet/dist/leaflet.css';
