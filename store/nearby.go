package store

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/shaobao/shaobao/whistle"
)

// Nearby cases: the open cases of a category around a point, for the
// filing form and the acceptance queue to spot a duplicate before it is
// filed or accepted (FixMyStreet shows the same list).
//
// The query is portable over SQLite and PostgreSQL: a bounding box on
// (category, lat, lon) in SQL, served by idx_cases_category_lat_lon
// (migration 202612020005), then the exact great-circle distance in Go.
// No PostGIS, no SpatiaLite: the box of a 2 km radius holds at most a few
// hundred open cases of one category even in central Beijing.

const (
	// DefaultNearbyRadiusM is the radius of a category without its own.
	DefaultNearbyRadiusM = 200
	// MaxNearbyRadiusM caps the radius a caller may ask for.
	MaxNearbyRadiusM = 2000
	// maxNearbyCandidates bounds the rows the bounding box may load.
	maxNearbyCandidates = 5000
	// earthRadiusM is the mean Earth radius (IUGG), in metres.
	earthRadiusM = 6371008.8
)

// nearbyRadiusByCategory is the default radius of the categories whose
// problems are seen from farther away than a street corner: a flooded road
// or a building site is reported by people a few hundred metres apart.
// A documented constant rather than a table: no admin has asked to tune
// it, and the caller may always pass radius_m.
var nearbyRadiusByCategory = map[string]float64{
	"市政设施": 500, // flooded roads, broken street lights along a road
	"规划建设": 300, // one illegal building seen from several streets
	"交通秩序": 300, // parking along a whole block
}

// NearbyRadiusFor returns the default radius, in metres, of category.
func NearbyRadiusFor(category string) float64 {
	if r, ok := nearbyRadiusByCategory[category]; ok {
		return r
	}
	return DefaultNearbyRadiusM
}

// NearbyFilter selects the open cases near a point (HasPoint) or, without
// one, whose address contains Address.
type NearbyFilter struct {
	Scope    Scope
	Category string // "" = every category
	HasPoint bool
	Lat, Lon float64 // WGS-84 degrees, with HasPoint
	RadiusM  float64 // with HasPoint; > 0
	Address  string  // without HasPoint
	// ExcludeID leaves one case out: the pending case being accepted.
	ExcludeID string
	Limit     int // default 20, at most 100
}

// NearbyCase is one open case near the point, with its distance.
type NearbyCase struct {
	ID              string             `json:"id"`
	Number          string             `json:"number,omitempty"`
	Title           string             `json:"title"`
	Category        string             `json:"category"`
	Status          whistle.CaseStatus `json:"status"`
	Level           whistle.Level      `json:"level"`
	HolderOrgUnitID string             `json:"holder_org_unit_id"`
	Location        whistle.Location   `json:"location"`
	CreatedAt       time.Time          `json:"created_at"`
	// DistanceM is the great-circle distance from the point, in metres,
	// rounded to the metre; absent on an address match.
	DistanceM *float64 `json:"distance_m,omitempty"`
}

// NearbyCases returns the open (not closed) cases in f.Scope of
// f.Category within f.RadiusM of the point, nearest first, or, without a
// point, those whose address contains f.Address, newest first.
func (s *Store) NearbyCases(ctx context.Context, f NearbyFilter) ([]NearbyCase, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 100)
	q := f.Scope.apply(s.DB.WithContext(ctx).Model(&CaseRow{}), "org_path", "id").
		Select("id", "number", "title", "category", "status", "level", "holder_org_unit_id", "address", "lat", "lon", "grid_id", "created_at").
		Where("status <> ?", string(whistle.CaseClosed))
	q = equal(q, "category", f.Category)
	if f.ExcludeID != "" {
		q = q.Where("id <> ?", f.ExcludeID)
	}
	if !f.HasPoint {
		if f.Address == "" {
			return []NearbyCase{}, nil
		}
		var rows []CaseRow
		if err := matching(q, f.Address, "address").Order("created_at DESC, id DESC").Limit(limit).Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("cases near address %q: %w", f.Address, err)
		}
		out := make([]NearbyCase, len(rows))
		for i, r := range rows {
			out[i] = nearbyCase(r, nil)
		}
		return out, nil
	}
	minLat, maxLat, minLon, maxLon, wrapsLon := boundingBox(f.Lat, f.Lon, f.RadiusM)
	q = q.Where("lat BETWEEN ? AND ?", minLat, maxLat)
	if !wrapsLon {
		q = q.Where("lon BETWEEN ? AND ?", minLon, maxLon)
	}
	var rows []CaseRow
	if err := q.Limit(maxNearbyCandidates).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("cases near %.6f,%.6f: %w", f.Lat, f.Lon, err)
	}
	out := make([]NearbyCase, 0, len(rows))
	for _, r := range rows {
		if r.Lat == nil || r.Lon == nil {
			continue // BETWEEN already leaves out NULL; a case filed by address alone has no distance
		}
		d := HaversineM(f.Lat, f.Lon, *r.Lat, *r.Lon)
		if d > f.RadiusM {
			continue // in the box's corners
		}
		d = math.Round(d)
		out = append(out, nearbyCase(r, &d))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if *out[i].DistanceM != *out[j].DistanceM {
			return *out[i].DistanceM < *out[j].DistanceM
		}
		return out[i].ID < out[j].ID
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func nearbyCase(r CaseRow, d *float64) NearbyCase {
	return NearbyCase{
		ID: r.ID, Number: r.Number, Title: r.Title, Category: r.Category, Status: whistle.CaseStatus(r.Status), Level: whistle.Level(r.Level),
		HolderOrgUnitID: r.HolderOrgUnitID, Location: whistle.Location{Address: r.Address, Lat: r.Lat, Lon: r.Lon, GridID: r.GridID},
		CreatedAt: r.CreatedAt.UTC(), DistanceM: d,
	}
}

// boundingBox returns the box of latitudes and longitudes holding every
// point within radiusM of (lat, lon). wrapsLon is true when the box would
// cross the antimeridian or reach a pole: then longitude does not narrow.
func boundingBox(lat, lon, radiusM float64) (minLat, maxLat, minLon, maxLon float64, wrapsLon bool) {
	dLat := radiusM / earthRadiusM * 180 / math.Pi
	minLat, maxLat = lat-dLat, lat+dLat
	if minLat <= -90 || maxLat >= 90 {
		return max(minLat, -90), min(maxLat, 90), -180, 180, true
	}
	// The widest longitude span is at the latitude of the box nearest a pole.
	cos := math.Cos(math.Max(math.Abs(minLat), math.Abs(maxLat)) * math.Pi / 180)
	dLon := dLat / cos
	minLon, maxLon = lon-dLon, lon+dLon
	if minLon < -180 || maxLon > 180 {
		return minLat, maxLat, -180, 180, true
	}
	return minLat, maxLat, minLon, maxLon, false
}

// HaversineM is the great-circle distance in metres between two WGS-84
// points given in degrees (on a sphere: within 0.5% of the ellipsoid,
// plenty for "is this the same pothole").
func HaversineM(lat1, lon1, lat2, lon2 float64) float64 {
	rad := math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLon := (lon2 - lon1) * rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusM * math.Asin(math.Min(1, math.Sqrt(a)))
}
