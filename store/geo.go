package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"gorm.io/gorm"

	"github.com/shaobao/shaobao/geo"
	"github.com/shaobao/shaobao/whistle"
)

// The map's polygons (issue 15): one row per org unit that has one, its
// geometry as GeoJSON in WGS-84 with its bounding box. The api keeps them
// in an in-memory index (geo.Index) and reloads it when GeoRevision moves.

// GeoArea is an org unit's polygon (table geo_areas, migration
// 202612021702_geo).
type GeoArea struct {
	OrgUnitID string `gorm:"primaryKey;size:32"`
	Kind      string `gorm:"size:16;not null"`
	// Geometry is a GeoJSON Polygon or MultiPolygon, WGS-84 [lon, lat].
	Geometry  string  `gorm:"type:text;not null"`
	MinLon    float64 `gorm:"not null"`
	MinLat    float64 `gorm:"not null"`
	MaxLon    float64 `gorm:"not null"`
	MaxLat    float64 `gorm:"not null"`
	UpdatedBy string  `gorm:"size:64;not null;default:''"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TableName keeps the migration's name.
func (GeoArea) TableName() string { return "geo_areas" }

// GeoKinds are the org unit kinds that may have a polygon.
var GeoKinds = []string{string(whistle.OrgGrid), string(whistle.OrgCommunity), string(whistle.OrgStreet)}

// AuditKindGeo is the admin audit's kind of a polygon import.
const AuditKindGeo = "geo_area"

func init() { RegisterAuditKind(AuditKindGeo, &GeoArea{}, "org_unit_id", false) }

// GeoImport is the answer of an import: how many features, how many
// units got their first polygon and how many had theirs replaced.
type GeoImport struct {
	Kind     string `json:"kind"`
	Features int    `json:"features"`
	Created  int    `json:"created"`
	Replaced int    `json:"replaced"`
	DryRun   bool   `json:"dry_run"`
}

// ImportGeo replaces the polygons of the units areas name, all of kind,
// in one transaction with its audit row, and moves the revision so every
// api process reloads. Each area must name an existing org unit of that
// kind: otherwise the problems (feature index = position in areas, at
// most geo.MaxProblems) and nothing written. With dryRun it checks and
// counts only.
func (s *Store) ImportGeo(ctx context.Context, who AuditActor, kind string, areas []geo.Area, dryRun bool) (GeoImport, []geo.Problem, error) {
	res := GeoImport{Kind: kind, Features: len(areas), DryRun: dryRun}
	ids := make([]string, len(areas))
	for i, a := range areas {
		ids[i] = a.ID
	}
	units := map[string]OrgUnit{}
	existing := map[string]GeoArea{}
	for _, chunk := range chunks(ids, 500) {
		var us []OrgUnit
		if err := s.DB.WithContext(ctx).Where("id IN ?", chunk).Find(&us).Error; err != nil {
			return res, nil, fmt.Errorf("load org units of the import: %w", err)
		}
		for _, u := range us {
			units[u.ID] = u
		}
		var gs []GeoArea
		if err := s.DB.WithContext(ctx).Select("org_unit_id", "kind", "min_lon", "min_lat", "max_lon", "max_lat", "created_at").Where("org_unit_id IN ?", chunk).Find(&gs).Error; err != nil {
			return res, nil, fmt.Errorf("load polygons of the import: %w", err)
		}
		for _, g := range gs {
			existing[g.OrgUnitID] = g
		}
	}
	var problems []geo.Problem
	for i, a := range areas {
		u, ok := units[a.ID]
		switch {
		case !ok:
			problems = append(problems, geo.Problem{Index: i, ID: a.ID, Message: "组织单元不存在：" + a.ID, MessageEN: "no such org unit: " + a.ID})
		case u.Kind != kind:
			problems = append(problems, geo.Problem{Index: i, ID: a.ID,
				Message:   fmt.Sprintf("%s（%s）是 %s，不是 %s", a.ID, u.Name, u.Kind, kind),
				MessageEN: fmt.Sprintf("%s (%s) is a %s, not a %s", a.ID, u.NameEN, u.Kind, kind)})
		}
		if len(problems) == geo.MaxProblems {
			break
		}
	}
	if len(problems) > 0 {
		return res, problems, nil
	}
	for _, a := range areas {
		if _, ok := existing[a.ID]; ok {
			res.Replaced++
		} else {
			res.Created++
		}
	}
	if dryRun {
		return res, nil, nil
	}
	rows := make([]GeoArea, len(areas))
	now := time.Now().UTC()
	for i, a := range areas {
		g, err := json.Marshal(geojson.NewGeometry(shapeOf(a.Shape)))
		if err != nil {
			return res, nil, fmt.Errorf("encode polygon of %s: %w", a.ID, err)
		}
		rows[i] = GeoArea{OrgUnitID: a.ID, Kind: kind, Geometry: string(g), MinLon: a.Bound.Min[0], MinLat: a.Bound.Min[1],
			MaxLon: a.Bound.Max[0], MaxLat: a.Bound.Max[1], UpdatedBy: who.Username, CreatedAt: now, UpdatedAt: now}
		if old, ok := existing[a.ID]; ok {
			rows[i].CreatedAt = old.CreatedAt
		}
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, chunk := range chunks(ids, 500) {
			if err := tx.Where("org_unit_id IN ?", chunk).Delete(&GeoArea{}).Error; err != nil {
				return fmt.Errorf("drop replaced polygons: %w", err)
			}
		}
		if err := tx.CreateInBatches(rows, 200).Error; err != nil {
			return fmt.Errorf("write polygons: %w", err)
		}
		if err := tx.Exec("UPDATE geo_revision SET revision = revision + 1, updated_at = ? WHERE id = 1", now).Error; err != nil {
			return fmt.Errorf("move geo revision: %w", err)
		}
		before, after := importSummary(kind, ids, existing, nil), importSummary(kind, ids, nil, rows)
		return writeAudit(tx, who, Change{Action: ActionReplace, Kind: AuditKindGeo, ObjectID: importObject(kind, ids)}, before, after)
	})
	if err != nil {
		return res, nil, err
	}
	s.log().Info("polygons imported", "kind", kind, "created", res.Created, "replaced", res.Replaced, "user", who.Username)
	return res, nil, nil
}

// shapeOf is a one-polygon MultiPolygon as a Polygon, as it was imported.
func shapeOf(mp orb.MultiPolygon) orb.Geometry {
	if len(mp) == 1 {
		return mp[0]
	}
	return mp
}

// importObject names an import in the audit: the kind and the units.
func importObject(kind string, ids []string) string {
	s := kind + ":"
	for i, id := range ids {
		if len(s)+len(id) > 240 {
			return s + fmt.Sprintf("…(%d)", len(ids))
		}
		if i > 0 {
			s += ","
		}
		s += id
	}
	return s
}

// importSummary is the audit's before or after of an import: each unit's
// bounding box (the geometry itself can be megabytes: it stays in
// geo_areas, and the box tells what moved).
func importSummary(kind string, ids []string, existing map[string]GeoArea, rows []GeoArea) string {
	type box struct {
		ID   string     `json:"id"`
		BBox [4]float64 `json:"bbox"`
	}
	out := struct {
		Kind  string `json:"kind"`
		Areas []box  `json:"areas"`
	}{Kind: kind, Areas: []box{}}
	if rows != nil {
		for _, r := range rows {
			out.Areas = append(out.Areas, box{r.OrgUnitID, [4]float64{r.MinLon, r.MinLat, r.MaxLon, r.MaxLat}})
		}
	} else {
		for _, id := range ids {
			if r, ok := existing[id]; ok {
				out.Areas = append(out.Areas, box{id, [4]float64{r.MinLon, r.MinLat, r.MaxLon, r.MaxLat}})
			}
		}
		if len(out.Areas) == 0 {
			return ""
		}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func chunks(ids []string, n int) [][]string {
	var out [][]string
	for len(ids) > n {
		out, ids = append(out, ids[:n]), ids[n:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}

// GeoRevision is the polygons' revision: it moves on every import.
func (s *Store) GeoRevision(ctx context.Context) (int64, error) {
	var rev int64
	if err := s.DB.WithContext(ctx).Raw("SELECT revision FROM geo_revision WHERE id = 1").Scan(&rev).Error; err != nil {
		return 0, fmt.Errorf("read geo revision: %w", err)
	}
	return rev, nil
}

// GeoUnit is an area with its org unit, as the map's index holds it.
type GeoUnit struct {
	geo.Area
	Unit OrgUnit
}

// GeoAreas loads every polygon of kind with its org unit, by id.
func (s *Store) GeoAreas(ctx context.Context, kind string) ([]GeoUnit, error) {
	var rows []GeoArea
	if err := s.DB.WithContext(ctx).Where("kind = ?", kind).Order("org_unit_id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load %s polygons: %w", kind, err)
	}
	var units []OrgUnit
	if err := s.DB.WithContext(ctx).Where("id IN (SELECT org_unit_id FROM geo_areas WHERE kind = ?)", kind).Find(&units).Error; err != nil {
		return nil, fmt.Errorf("load units of %s polygons: %w", kind, err)
	}
	byID := make(map[string]OrgUnit, len(units))
	for _, u := range units {
		byID[u.ID] = u
	}
	out := make([]GeoUnit, 0, len(rows))
	for _, r := range rows {
		u, ok := byID[r.OrgUnitID]
		if !ok {
			continue // the unit was deleted after the import: no territory
		}
		g, err := geojson.UnmarshalGeometry([]byte(r.Geometry))
		if err != nil {
			return nil, fmt.Errorf("read polygon of %s: %w", r.OrgUnitID, err)
		}
		var mp orb.MultiPolygon
		switch v := g.Geometry().(type) {
		case orb.Polygon:
			mp = orb.MultiPolygon{v}
		case orb.MultiPolygon:
			mp = v
		default:
			return nil, fmt.Errorf("polygon of %s is a %s", r.OrgUnitID, g.Type)
		}
		out = append(out, GeoUnit{Area: geo.NewArea(r.OrgUnitID, mp), Unit: u})
	}
	return out, nil
}

// GridCounts are one grid's cases on the map: open (not closed) and, of
// those, overdue.
type GridCounts struct {
	Open    int64
	Overdue int64
}

// maxGridProbe is the most grid ids GridCaseCounts binds (SQLite binds
// up to 32,766 parameters).
const maxGridProbe = 5000

// GridCaseCounts counts the open and overdue cases of each grid in
// gridIDs (all grids when empty) inside scope.
func (s *Store) GridCaseCounts(ctx context.Context, scope Scope, gridIDs []string) (map[string]GridCounts, error) {
	q := scope.applyCases(s.DB.WithContext(ctx).Model(&CaseRow{})).
		Select("grid_id, COUNT(*) AS open, SUM(CASE WHEN overdue THEN 1 ELSE 0 END) AS overdue").
		Where("status <> ? AND grid_id <> ''", string(whistle.CaseClosed)).Group("grid_id")
	// The grids of the box, probed in idx_cases_open_grid: a district's
	// 2,300 grids are far fewer rows than the city's open cases. Beyond
	// maxGridProbe (a whole city's box) the scan of the scope is cheaper.
	if len(gridIDs) > 0 && len(gridIDs) <= maxGridProbe {
		q = q.Where("grid_id IN ?", gridIDs)
	}
	var rows []struct {
		GridID  string
		Open    int64
		Overdue int64
	}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count cases per grid: %w", err)
	}
	out := make(map[string]GridCounts, len(rows))
	for _, r := range rows {
		out[r.GridID] = GridCounts{Open: r.Open, Overdue: r.Overdue}
	}
	return out, nil
}

// MapFilter selects the located cases of the map.
type MapFilter struct {
	Scope Scope
	// MinLon, MinLat, MaxLon, MaxLat is the WGS-84 box.
	MinLon, MinLat, MaxLon, MaxLat float64
	// Status "" means every status but closed; "all" every status.
	Status   string
	Class    string
	Category string
	Overdue  *bool
	From, To *time.Time
}

// MapCase is one case as a map point.
type MapCase struct {
	ID       string
	Number   string
	Title    string
	Class    string
	Status   string
	Overdue  bool
	Warning  string // the worst of its tasks': "", yellow or red
	Lat, Lon float64
}

// MapCluster is the cases of one bucket of the box: how many, how many
// overdue, and their mean position.
type MapCluster struct {
	Count, Overdue int64
	Lat, Lon       float64
}

// mapQuery is f as SQL.
func (s *Store) mapQuery(ctx context.Context, f MapFilter) *gorm.DB {
	// The box and the default status are written into the SQL, not bound:
	// a cached generic plan of "status <> $1" cannot use the partial index
	// of open cases, nor estimate the box. They are numbers we formatted
	// and a constant, never the caller's text.
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	q := f.Scope.applyCases(s.DB.WithContext(ctx).Model(&CaseRow{})).
		Where("lat BETWEEN " + num(f.MinLat) + " AND " + num(f.MaxLat) + " AND lon BETWEEN " + num(f.MinLon) + " AND " + num(f.MaxLon))
	switch f.Status {
	case "":
		q = q.Where("status <> '" + string(whistle.CaseClosed) + "'")
	case "all":
	default:
		q = q.Where("status = ?", f.Status)
	}
	q = equal(q, "class", f.Class)
	q = equal(q, "category", f.Category)
	q = flagged(q, "overdue", f.Overdue)
	return between(q, "created_at", f.From, f.To)
}

// MapCases returns at most limit cases of f as points, newest first, and
// whether there were more (then the caller asks for MapClusters).
func (s *Store) MapCases(ctx context.Context, f MapFilter, limit int) ([]MapCase, bool, error) {
	var rows []struct {
		ID, Number, Title, Class, Status string
		Overdue                          bool
		Lat, Lon                         float64
	}
	err := s.mapQuery(ctx, f).Select("id, number, title, class, status, overdue, lat, lon").
		Order("created_at DESC, id DESC").Limit(limit + 1).Scan(&rows).Error
	if err != nil {
		return nil, false, fmt.Errorf("map cases: %w", err)
	}
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	out := make([]MapCase, len(rows))
	ids := make([]string, len(rows))
	for i, r := range rows {
		out[i] = MapCase{ID: r.ID, Number: r.Number, Title: r.Title, Class: r.Class, Status: r.Status, Overdue: r.Overdue, Lat: r.Lat, Lon: r.Lon}
		ids[i] = r.ID
	}
	if more || len(ids) == 0 {
		return out, more, nil
	}
	// The warning of a case is the worst of its tasks' (red over yellow).
	var warns []struct{ CaseID, Warning string }
	for _, chunk := range chunks(ids, 500) {
		var part []struct{ CaseID, Warning string }
		if err := s.DB.WithContext(ctx).Model(&TaskRow{}).Select("case_id, warning").
			Where("case_id IN ? AND warning <> ''", chunk).Scan(&part).Error; err != nil {
			return nil, false, fmt.Errorf("map case warnings: %w", err)
		}
		warns = append(warns, part...)
	}
	worst := map[string]string{}
	for _, w := range warns {
		if w.Warning == "red" || worst[w.CaseID] == "" {
			worst[w.CaseID] = w.Warning
		}
	}
	for i := range out {
		out[i].Warning = worst[out[i].ID]
	}
	return out, false, nil
}

// MapClusters buckets the cases of f into a cols×rows grid over its box
// and returns the non-empty buckets, largest first.
func (s *Store) MapClusters(ctx context.Context, f MapFilter, cols, rows int) ([]MapCluster, error) {
	cw := (f.MaxLon - f.MinLon) / float64(cols)
	ch := (f.MaxLat - f.MinLat) / float64(rows)
	// FLOOR on PostgreSQL (its CAST rounds); CAST truncates on SQLite,
	// which is FLOOR here: the offsets are never negative inside the box.
	bucket := "CAST(%s AS INTEGER)"
	if s.dialect == "postgres" {
		bucket = "FLOOR(%s)"
	}
	cx := fmt.Sprintf(bucket, fmt.Sprintf("(lon - %.10f) / %.10f", f.MinLon, cw))
	cy := fmt.Sprintf(bucket, fmt.Sprintf("(lat - %.10f) / %.10f", f.MinLat, ch))
	var out []MapCluster
	err := s.mapQuery(ctx, f).
		Select("COUNT(*) AS count, SUM(CASE WHEN overdue THEN 1 ELSE 0 END) AS overdue, AVG(lat) AS lat, AVG(lon) AS lon").
		Group(cx + ", " + cy).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("map clusters: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out, nil
}
