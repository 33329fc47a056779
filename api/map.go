package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/shaobao/shaobao/geo"
	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// The map (一张图, issue 15): grid polygons with their open and overdue
// counts, located cases (clustered server-side when many), locating a
// point in its grid, and the base-tile configuration. Coordinates on the
// wire are WGS-84 unless ?crs= says gcj02 or bd09; then the server
// converts both ways, so pages over GCJ-02 tiles never convert in script.

// MapConfig is the base map the pages draw under the polygons.
type MapConfig struct {
	// TileURL is a tile URL template ({z}/{x}/{y}); "" draws the polygons
	// on a plain background and fetches nothing from outside (政务内网).
	TileURL string
	// TileCRS is the tiles' coordinate system: wgs84 or gcj02.
	TileCRS string
	// Attribution is shown in the map's corner.
	Attribution string
}

// maxMapPoints is how many cases /map/cases answers as points; above it
// the answer is clusters.
const maxMapPoints = 2000

// geoRecheck is how often an api process asks the database whether the
// polygons changed (one primary-key read).
const geoRecheck = 3 * time.Second

// mapIndex is one revision of the polygons, indexed, with every org unit
// so a located grid names its community and street without a query.
type mapIndex struct {
	rev                         int64
	grids, communities, streets *geo.Index
	units                       map[string]store.OrgUnit
}

// geoCache holds the current mapIndex of an api process.
type geoCache struct {
	mu      sync.Mutex
	cur     atomic.Pointer[mapIndex]
	checked atomic.Int64 // unix nanoseconds of the last revision check
}

// invalidate makes the next geoIndex call re-read the revision (after an
// import by this process: its own answer is then current at once).
func (g *geoCache) invalidate() { g.checked.Store(0) }

// geoIndex returns the polygons' index, reloading it when the revision
// in the database moved (checked at most every geoRecheck). When the
// check fails, the index in hand is kept.
func (s *Server) geoIndex(ctx context.Context) (*mapIndex, error) {
	g := &s.geoIdx
	fresh := func(cur *mapIndex) bool {
		return cur != nil && time.Now().UnixNano()-g.checked.Load() < int64(geoRecheck)
	}
	if cur := g.cur.Load(); fresh(cur) {
		return cur, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	cur := g.cur.Load()
	if fresh(cur) {
		return cur, nil
	}
	rev, err := s.Store.GeoRevision(ctx)
	if err != nil {
		if cur != nil {
			s.Logger.Warn("polygon revision check failed; keeping the index", "err", err)
			return cur, nil
		}
		return nil, err
	}
	if cur != nil && cur.rev == rev {
		g.checked.Store(time.Now().UnixNano())
		return cur, nil
	}
	next := &mapIndex{rev: rev, units: map[string]store.OrgUnit{}}
	for _, k := range []struct {
		kind string
		ix   **geo.Index
	}{{"grid", &next.grids}, {"community", &next.communities}, {"street", &next.streets}} {
		rows, err := s.Store.GeoAreas(ctx, k.kind)
		if err != nil {
			return nil, err
		}
		areas := make([]geo.Area, len(rows))
		for i, r := range rows {
			areas[i] = r.Area
		}
		*k.ix = geo.NewIndex(areas)
	}
	units, err := s.Store.ListOrgUnits(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, u := range units {
		next.units[u.ID] = u
	}
	g.cur.Store(next)
	g.checked.Store(time.Now().UnixNano())
	s.Logger.Info("polygons loaded", "revision", rev, "grids", next.grids.Len(), "communities", next.communities.Len(), "streets", next.streets.Len())
	return next, nil
}

// unitRef is an org unit as the map names it.
type unitRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// located is where a point lies: its grid and the grid's community and
// street.
type located struct {
	Lat       float64  `json:"lat"`
	Lon       float64  `json:"lon"`
	Grid      unitRef  `json:"grid"`
	Community *unitRef `json:"community,omitempty"`
	Street    *unitRef `json:"street,omitempty"`
	// community and street as units, for the filing's jurisdiction check.
	community, grid store.OrgUnit
}

// locate finds the grid holding the WGS-84 point; ok is false outside
// every grid. The community and street are the grid's ancestors.
func (ix *mapIndex) locate(lat, lon float64) (located, bool) {
	a, ok := ix.grids.Locate(lon, lat)
	if !ok {
		return located{}, false
	}
	grid := ix.units[a.ID]
	l := located{Lat: lat, Lon: lon, Grid: unitRef{ID: grid.ID, Name: grid.Name}, grid: grid}
	for p := grid.ParentID; p != nil; {
		u, ok := ix.units[*p]
		if !ok {
			break
		}
		switch whistle.OrgKind(u.Kind) {
		case whistle.OrgCommunity:
			if l.Community == nil {
				l.Community, l.community = &unitRef{ID: u.ID, Name: u.Name}, u
			}
		case whistle.OrgStreet:
			if l.Street == nil {
				l.Street = &unitRef{ID: u.ID, Name: u.Name}
			}
		}
		p = u.ParentID
	}
	return l, true
}

// mapReadable refuses a caller the policy does not let read the map and
// returns the part of the city their map shows.
func (s *Server) mapReadable(c *gin.Context) (store.Scope, bool) {
	sc, err := s.Policy.Scope(caller(c), policy.ReadMap, policy.Object{})
	if err != nil {
		fail(c, err)
		return store.Scope{}, false
	}
	return storeScope(sc), true
}

// crs reads ?crs= (default wgs84).
func (q *queryReader) crs() geo.CRS {
	v := q.oneOf("crs", "wgs84", "gcj02", "bd09")
	if v == "" {
		return geo.WGS84
	}
	return geo.CRS(v)
}

// bbox reads ?bbox=minLon,minLat,maxLon,maxLat (in crs) and returns it
// in WGS-84.
func (q *queryReader) bbox(crs geo.CRS) orb.Bound {
	v := q.c.Query("bbox")
	zh, en := "应为 minLon,minLat,maxLon,maxLat（经度 -180 到 180，纬度 -90 到 90，最小值小于最大值）", "want minLon,minLat,maxLon,maxLat (longitudes -180 to 180, latitudes -90 to 90, min below max)"
	parts := strings.Split(v, ",")
	if len(parts) != 4 {
		q.fail("bbox", v, zh, en)
		return orb.Bound{}
	}
	var f [4]float64
	for i, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			q.fail("bbox", v, zh, en)
			return orb.Bound{}
		}
		f[i] = x
	}
	if f[0] >= f[2] || f[1] >= f[3] || f[0] < -180 || f[2] > 180 || f[1] < -90 || f[3] > 90 {
		q.fail("bbox", v, zh, en)
		return orb.Bound{}
	}
	minLat, minLon := geo.ToWGS84(crs, f[1], f[0])
	maxLat, maxLon := geo.ToWGS84(crs, f[3], f[2])
	return orb.Bound{Min: orb.Point{minLon, minLat}, Max: orb.Point{maxLon, maxLat}}
}

// GeoJSON on the wire: written here rather than with orb's types so the
// properties keep their order and the numbers their types.
type featureCollection struct {
	Type     string    `json:"type"`
	Features []feature `json:"features"`
}

type feature struct {
	Type       string          `json:"type"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties any             `json:"properties"`
}

func newCollection() featureCollection {
	return featureCollection{Type: "FeatureCollection", Features: []feature{}}
}

// round7 keeps 7 decimals (about a centimetre).
func round7(f float64) float64 { return math.Round(f*1e7) / 1e7 }

// pointJSON is a GeoJSON Point of the WGS-84 point in crs.
func pointJSON(crs geo.CRS, lat, lon float64) json.RawMessage {
	lat, lon = geo.FromWGS84(crs, lat, lon)
	return json.RawMessage(fmt.Sprintf(`{"type":"Point","coordinates":[%s,%s]}`,
		strconv.FormatFloat(round7(lon), 'f', -1, 64), strconv.FormatFloat(round7(lat), 'f', -1, 64)))
}

// shapeJSON is a GeoJSON (Multi)Polygon of the WGS-84 shape in crs.
func shapeJSON(crs geo.CRS, mp orb.MultiPolygon) (json.RawMessage, error) {
	out := make(orb.MultiPolygon, len(mp))
	for i, poly := range mp {
		out[i] = make(orb.Polygon, len(poly))
		for j, ring := range poly {
			r := make(orb.Ring, len(ring))
			for k, p := range ring {
				lat, lon := geo.FromWGS84(crs, p[1], p[0])
				r[k] = orb.Point{round7(lon), round7(lat)}
			}
			out[i][j] = r
		}
	}
	var g orb.Geometry = out
	if len(out) == 1 {
		g = out[0]
	}
	return json.Marshal(geojson.NewGeometry(g))
}

// mapConfigView is the answer of GET /api/v1/map/config.
type mapConfigView struct {
	TileURL     string     `json:"tile_url"`
	TileCRS     string     `json:"tile_crs"`
	Attribution string     `json:"attribution"`
	Center      [2]float64 `json:"center"`
	Bounds      [4]float64 `json:"bounds"`
}

// mapConfig answers GET /api/v1/map/config: the base tiles, and where to
// look: the extent of the grids of the caller's jurisdiction (the city's
// bounds when there are none), in ?crs=.
func (s *Server) mapConfig(c *gin.Context) {
	scope, ok := s.mapReadable(c)
	if !ok {
		return
	}
	q := &queryReader{c: c}
	crs := q.crs()
	if q.err != nil {
		fail(c, q.err)
		return
	}
	ix, err := s.geoIndex(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	b := s.cityBounds()
	ext := orb.Bound{Min: orb.Point{b.MinLon, b.MinLat}, Max: orb.Point{b.MaxLon, b.MaxLat}}
	first := true
	for i := range ix.grids.Len() {
		a := ix.grids.Area(i)
		if !inScope(scope, ix.units[a.ID]) {
			continue
		}
		if first {
			ext, first = a.Bound, false
		} else {
			ext = ext.Union(a.Bound)
		}
	}
	minLat, minLon := geo.FromWGS84(crs, ext.Min[1], ext.Min[0])
	maxLat, maxLon := geo.FromWGS84(crs, ext.Max[1], ext.Max[0])
	v := mapConfigView{TileURL: s.Map.TileURL, TileCRS: s.Map.TileCRS, Attribution: s.Map.Attribution,
		Center: [2]float64{round7((minLon + maxLon) / 2), round7((minLat + maxLat) / 2)},
		Bounds: [4]float64{round7(minLon), round7(minLat), round7(maxLon), round7(maxLat)}}
	if v.TileCRS == "" {
		v.TileCRS = string(geo.WGS84)
	}
	c.JSON(http.StatusOK, v)
}

// inScope reports whether unit lies in the map scope.
func inScope(sc store.Scope, u store.OrgUnit) bool {
	return sc.PathPrefix != "" && strings.HasPrefix(u.Path, sc.PathPrefix)
}

// mapLocate answers GET /api/v1/map/locate?lat=&lon=&crs=: the grid,
// community and street of a point, or 404 outside every grid.
func (s *Server) mapLocate(c *gin.Context) {
	if _, ok := s.mapReadable(c); !ok {
		return
	}
	q := &queryReader{c: c}
	lat, lon := q.float("lat", -90, 90), q.float("lon", -180, 180)
	crs := q.crs()
	if q.err == nil && (lat == nil || lon == nil) {
		q.err = whistle.Errorf(whistle.EInvalid, "请给出 lat 和 lon", "give lat and lon")
	}
	if q.err != nil {
		fail(c, q.err)
		return
	}
	ix, err := s.geoIndex(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	wLat, wLon := geo.ToWGS84(crs, *lat, *lon)
	l, ok := ix.locate(wLat, wLon)
	if !ok {
		fail(c, whistle.Errorf(whistle.ENotFound, "该位置不在任何网格内", "the point is outside every grid"))
		return
	}
	l.Lat, l.Lon = round7(wLat), round7(wLon)
	c.JSON(http.StatusOK, l)
}

// mapCaseProps are the properties of a case point.
type mapCaseProps struct {
	ID      string `json:"id"`
	Number  string `json:"number"`
	Title   string `json:"title"`
	Class   string `json:"class"`
	Status  string `json:"status"`
	Overdue bool   `json:"overdue"`
	Warning string `json:"warning"`
}

// mapClusterProps are the properties of a cluster of cases.
type mapClusterProps struct {
	Cluster bool  `json:"cluster"`
	Count   int64 `json:"count"`
	Overdue int64 `json:"overdue"`
}

// mapCases answers GET /api/v1/map/cases?bbox=&status=&class=&overdue=
// &category=&from=&to=&crs=: the located cases of the caller's
// jurisdiction (the case list's scope) in the box as GeoJSON points, or,
// above maxMapPoints, clusters counted on a grid sized from the box.
func (s *Server) mapCases(c *gin.Context) {
	if _, ok := s.mapReadable(c); !ok {
		return
	}
	q := &queryReader{c: c}
	crs := q.crs()
	box := q.bbox(crs)
	f := store.MapFilter{
		Scope:    s.scope(caller(c)),
		Status:   q.oneOf("status", "pending", "open", "verifying", "evaluating", "closed", "all"),
		Class:    q.oneOf("class", names(whistle.Classes)...),
		Category: q.text("category", 64),
		Overdue:  q.bool("overdue"),
		From:     q.time("from"),
		To:       q.time("to"),
	}
	if q.err != nil {
		fail(c, q.err)
		return
	}
	f.MinLon, f.MinLat, f.MaxLon, f.MaxLat = box.Min[0], box.Min[1], box.Max[0], box.Max[1]
	ctx := c.Request.Context()
	// Clusters first: one pass over the box counts the cases, and only
	// when they are few does a second query fetch them as points. A dense
	// view (a district's open cases) costs one query.
	cols, rows := clusterGrid(box)
	clusters, err := s.Store.MapClusters(ctx, f, cols, rows)
	if err != nil {
		fail(c, err)
		return
	}
	var total int64
	for _, k := range clusters {
		total += k.Count
	}
	fc := newCollection()
	if total > maxMapPoints {
		for _, k := range clusters {
			fc.Features = append(fc.Features, feature{Type: "Feature", Geometry: pointJSON(crs, k.Lat, k.Lon),
				Properties: mapClusterProps{Cluster: true, Count: k.Count, Overdue: k.Overdue}})
		}
		c.JSON(http.StatusOK, fc)
		return
	}
	pts, _, err := s.Store.MapCases(ctx, f, maxMapPoints)
	if err != nil {
		fail(c, err)
		return
	}
	for _, p := range pts {
		fc.Features = append(fc.Features, feature{Type: "Feature", Geometry: pointJSON(crs, p.Lat, p.Lon),
			Properties: mapCaseProps{ID: p.ID, Number: p.Number, Title: p.Title, Class: p.Class, Status: p.Status, Overdue: p.Overdue, Warning: p.Warning}})
	}
	c.JSON(http.StatusOK, fc)
}

// clusterGrid sizes the cluster buckets from the box: about 40 across
// its longer side, square on the ground, so a screen shows a few hundred
// counted circles at most.
func clusterGrid(box orb.Bound) (cols, rows int) {
	w := (box.Max[0] - box.Min[0]) * math.Cos((box.Min[1]+box.Max[1])/2*math.Pi/180)
	h := box.Max[1] - box.Min[1]
	const across = 40
	if w >= h {
		return across, max(1, min(across, int(math.Round(across*h/w))))
	}
	return max(1, min(across, int(math.Round(across*w/h)))), across
}

// mapGridProps are the properties of a grid polygon.
type mapGridProps struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Community   string `json:"community"`
	CommunityID string `json:"community_id"`
	Open        int64  `json:"open"`
	Overdue     int64  `json:"overdue"`
}

// mapGrids answers GET /api/v1/map/grids?bbox=&crs=: the grid polygons of
// the caller's jurisdiction meeting the box, with the open and overdue
// cases of each (the choropleth of 一张图).
func (s *Server) mapGrids(c *gin.Context) {
	scope, ok := s.mapReadable(c)
	if !ok {
		return
	}
	q := &queryReader{c: c}
	crs := q.crs()
	box := q.bbox(crs)
	if q.err != nil {
		fail(c, q.err)
		return
	}
	ctx := c.Request.Context()
	ix, err := s.geoIndex(ctx)
	if err != nil {
		fail(c, err)
		return
	}
	var grids []geo.Area
	var ids []string
	for _, a := range ix.grids.Search(box) {
		if inScope(scope, ix.units[a.ID]) {
			grids = append(grids, a)
			ids = append(ids, a.ID)
		}
	}
	fc := newCollection()
	if len(grids) == 0 {
		c.JSON(http.StatusOK, fc)
		return
	}
	counts, err := s.Store.GridCaseCounts(ctx, s.scope(caller(c)), ids)
	if err != nil {
		fail(c, err)
		return
	}
	for _, a := range grids {
		u := ix.units[a.ID]
		g, err := shapeJSON(crs, a.Shape)
		if err != nil {
			fail(c, fmt.Errorf("encode grid %s: %w", a.ID, err))
			return
		}
		p := mapGridProps{ID: u.ID, Name: u.Name, Open: counts[a.ID].Open, Overdue: counts[a.ID].Overdue}
		if u.ParentID != nil {
			p.CommunityID = *u.ParentID
			p.Community = ix.units[*u.ParentID].Name
		}
		fc.Features = append(fc.Features, feature{Type: "Feature", Geometry: g, Properties: p})
	}
	c.JSON(http.StatusOK, fc)
}

// The filing's refusals by point-in-polygon (422).
const (
	eOutsideGrid      = "outside_grid"
	eGridJurisdiction = "grid_outside_jurisdiction"
)

// placeInGrid gives a filed point its grid by point-in-polygon, once
// polygons have been imported (before, the filing is as it always was):
// the grid the point lies in replaces any grid_id sent, and its community
// must be the filing unit or inside the filer's jurisdiction. A point
// outside every grid is refused, unless req.OutsideGrid (or the channel is
// not POST /cases): then it is filed by its address, without a grid.
func (s *Server) placeInGrid(ctx context.Context, u whistle.Actor, req fileCaseRequest, loc whistle.Location) (whistle.Location, error) {
	lat, lon, ok := loc.Point()
	if !ok {
		return loc, nil
	}
	ix, err := s.geoIndex(ctx)
	if err != nil {
		return loc, err
	}
	if ix.grids.Len() == 0 {
		return loc, nil
	}
	l, found := ix.locate(lat, lon)
	if !found {
		if req.OutsideGrid || !req.strictGrid {
			return loc.WithGrid(""), nil
		}
		return loc, whistle.Errorf(eOutsideGrid,
			"该位置（纬度 %.6[1]f，经度 %.6[2]f）不在任何网格内：请核对位置；确属网格之外的，可勾选“网格外位置”按地址立案",
			"the point (lat %.6[1]f, lon %.6[2]f) is outside every grid: check it, or file by address with outside_grid if it really lies outside the grids", lat, lon)
	}
	if req.strictGrid && l.Community != nil {
		jurisdiction := s.scope(u).PathPrefix
		if jurisdiction == "" {
			jurisdiction = string(u.OrgPath)
		}
		if l.community.ID != u.OrgUnitID && !strings.HasPrefix(l.community.Path, jurisdiction) {
			return loc, whistle.Errorf(eGridJurisdiction,
				"该位置属于%[1]s（%[2]s，%[3]s），不在您的辖区内，不能在此立案",
				"the point lies in %[4]s (%[2]s, grid %[5]s), outside your jurisdiction: you cannot file it here",
				l.community.Name, l.Grid.Name, l.community.ID, nameEN(l.community), l.Grid.ID)
		}
	}
	return loc.WithGrid(l.Grid.ID), nil
}

// nameEN is a unit's English name, or its Chinese one when it has none.
func nameEN(u store.OrgUnit) string {
	if u.NameEN != "" {
		return u.NameEN
	}
	return u.Name
}
