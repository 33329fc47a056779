// Package geo is the map's geometry: the polygons of grids, communities
// and streets read from GeoJSON and checked, the spatial index that finds
// the polygon holding a point, and the conversions between WGS-84 (what
// Shaobao stores) and the GCJ-02 and BD-09 systems of mainland maps.
// It imports no database and no HTTP: store/ keeps the polygons, api/
// serves them.
package geo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/shaobao/shaobao/whistle"
)

// Area is one org unit's territory: a validated (multi)polygon in WGS-84
// longitude/latitude, with its bounding box.
type Area struct {
	ID    string
	Shape orb.MultiPolygon
	Bound orb.Bound
}

// NewArea returns the area of shape named id, with its bound.
func NewArea(id string, shape orb.MultiPolygon) Area {
	return Area{ID: id, Shape: shape, Bound: shape.Bound()}
}

// Problem is one thing wrong with one feature of a GeoJSON file, in
// Chinese first and English. Index is the feature's 0-based position;
// -1 is the file as a whole.
type Problem struct {
	Index     int    `json:"index"`
	ID        string `json:"id,omitempty"`
	Message   string `json:"message"`
	MessageEN string `json:"message_en"`
}

// MaxProblems is how many problems a refusal lists: enough to fix a file
// in a few rounds, not a wall of text for a file in the wrong system.
const MaxProblems = 20

// MaxVertices caps the vertices of one feature: the self-intersection
// check is quadratic in the worst case, and a street's boundary needs a
// few thousand at most.
const MaxVertices = 50000

// ReadFeatureCollection reads a GeoJSON FeatureCollection whose features
// are Polygons or MultiPolygons named by properties.id, checks every
// feature (Validate) and returns the areas in file order. Any problem
// returns no area and up to MaxProblems problems. err is for a body that
// is not a FeatureCollection at all.
func ReadFeatureCollection(data []byte, bounds whistle.Bounds) ([]Area, []Problem, error) {
	var doc struct {
		Type     string            `json:"type"`
		Features []json.RawMessage `json:"features"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, whistle.Errorf(whistle.EInvalid, "不是有效的 GeoJSON：%s", "not valid GeoJSON: %s", err.Error())
	}
	if doc.Type != "FeatureCollection" {
		return nil, nil, whistle.Errorf(whistle.EInvalid, "应为 GeoJSON FeatureCollection，实为 type %q", "want a GeoJSON FeatureCollection, got type %q", doc.Type)
	}
	if len(doc.Features) == 0 {
		return nil, nil, whistle.Errorf(whistle.EInvalid, "FeatureCollection 中没有要素", "the FeatureCollection has no features")
	}
	var (
		areas    []Area
		problems []Problem
		seen     = map[string]int{}
	)
	add := func(i int, id, zh, en string) {
		if len(problems) < MaxProblems {
			problems = append(problems, Problem{Index: i, ID: id, Message: zh, MessageEN: en})
		}
	}
	for i, raw := range doc.Features {
		f, err := geojson.UnmarshalFeature(raw)
		if err != nil {
			add(i, "", "无法读取该要素："+err.Error(), "cannot read the feature: "+err.Error())
			continue
		}
		id, ok := featureID(f)
		if !ok {
			add(i, "", "缺少 properties.id（组织单元编码）", "properties.id (the org unit id) is missing")
			continue
		}
		if j, dup := seen[id]; dup {
			add(i, id, fmt.Sprintf("与第 %d 个要素的 id 重复", j), fmt.Sprintf("the same id as feature %d", j))
			continue
		}
		seen[id] = i
		shape, msgs := Validate(f.Geometry, bounds)
		for _, m := range msgs {
			add(i, id, m.zh, m.en)
		}
		if len(msgs) == 0 {
			areas = append(areas, NewArea(id, shape))
		}
	}
	if len(problems) > 0 {
		return nil, problems, nil
	}
	return areas, nil, nil
}

// featureID is properties.id as a string; an integer id (a division code
// exported as a number) is accepted too.
func featureID(f *geojson.Feature) (string, bool) {
	switch v := f.Properties["id"].(type) {
	case string:
		v = strings.TrimSpace(v)
		return v, v != "" && len(v) <= 32
	case float64:
		if v == math.Trunc(v) && v > 0 && v < 1<<53 {
			return strconv.FormatFloat(v, 'f', 0, 64), true
		}
	}
	return "", false
}

type message struct{ zh, en string }

func msgf(zh, en string, args ...any) message {
	return message{fmt.Sprintf(zh, args...), fmt.Sprintf(en, args...)}
}

// at is a message about a ring: where it is, then what is wrong.
func at(where message, zh, en string, args ...any) message {
	return message{where.zh + fmt.Sprintf(zh, args...), where.en + " " + fmt.Sprintf(en, args...)}
}

// Validate checks a geometry as an org unit's territory and returns it as
// a MultiPolygon: a Polygon or MultiPolygon only; every ring closed, of at
// least 4 points (repeated consecutive points are dropped first), not
// crossing or touching itself; every coordinate a finite WGS-84 point
// inside bounds; every hole inside its shell.
func Validate(g orb.Geometry, bounds whistle.Bounds) (orb.MultiPolygon, []message) {
	var mp orb.MultiPolygon
	switch v := g.(type) {
	case orb.Polygon:
		mp = orb.MultiPolygon{v}
	case orb.MultiPolygon:
		mp = v
	case nil:
		return nil, []message{msgf("缺少几何对象 geometry", "the geometry is missing")}
	default:
		return nil, []message{msgf("几何类型应为 Polygon 或 MultiPolygon，实为 %s", "the geometry must be a Polygon or MultiPolygon, not %s", g.GeoJSONType())}
	}
	if len(mp) == 0 {
		return nil, []message{msgf("多边形为空", "the polygon is empty")}
	}
	var msgs []message
	vertices := 0
	out := make(orb.MultiPolygon, 0, len(mp))
	for pi, poly := range mp {
		if len(poly) == 0 {
			msgs = append(msgs, msgf("第 %d 个多边形没有外环", "polygon %d has no outer ring", pi))
			continue
		}
		clean := make(orb.Polygon, 0, len(poly))
		for ri, ring := range poly {
			vertices += len(ring)
			if vertices > MaxVertices {
				return nil, append(msgs, msgf("顶点过多（上限 %d）", "too many vertices (limit %d)", MaxVertices))
			}
			where := ringName(pi, ri, len(mp) > 1)
			r, m := checkRing(ring, bounds, where)
			msgs = append(msgs, m...)
			clean = append(clean, r)
		}
		if len(msgs) == 0 {
			for ri := 1; ri < len(clean); ri++ {
				if !holeInside(clean[0], clean[ri]) {
					msgs = append(msgs, at(ringName(pi, ri, len(mp) > 1), "不在外环之内", "is not inside its outer ring"))
				}
			}
		}
		out = append(out, clean)
	}
	if len(msgs) > 0 {
		return nil, msgs
	}
	return out, nil
}

// ringName names ring ri of polygon pi for a message.
func ringName(pi, ri int, multi bool) message {
	zh, en := "外环", "the outer ring"
	if ri > 0 {
		zh, en = fmt.Sprintf("第 %d 个内环（洞）", ri), fmt.Sprintf("hole %d", ri)
	}
	if multi {
		zh, en = fmt.Sprintf("第 %d 个多边形的", pi)+zh, en+fmt.Sprintf(" of polygon %d", pi)
	}
	return message{zh, en}
}

// checkRing returns ring without repeated consecutive points and what is
// wrong with it.
func checkRing(ring orb.Ring, bounds whistle.Bounds, where message) (orb.Ring, []message) {
	for _, p := range ring {
		lon, lat := p[0], p[1]
		if math.IsNaN(lon) || math.IsNaN(lat) || math.IsInf(lon, 0) || math.IsInf(lat, 0) {
			return nil, []message{at(where, "有非有限的坐标", "has a coordinate that is not a finite number")}
		}
		if !bounds.Contains(lat, lon) {
			hint := message{}
			if bounds.Contains(lon, lat) {
				hint = message{"；经纬度是否写反了？GeoJSON 的顺序是 [经度, 纬度]", "; are the coordinates swapped? GeoJSON is [longitude, latitude]"}
			}
			m := at(where, "的坐标 [%g, %g] 不在本市范围内（经度 %g–%g，纬度 %g–%g）",
				"has the coordinate [%g, %g] outside the city (longitude %g–%g, latitude %g–%g)",
				lon, lat, bounds.MinLon, bounds.MaxLon, bounds.MinLat, bounds.MaxLat)
			return nil, []message{{m.zh + hint.zh, m.en + hint.en}}
		}
	}
	if len(ring) > 0 && ring[0] != ring[len(ring)-1] {
		return nil, []message{at(where, "未闭合：首尾两点应相同", "is not closed: the first and last points must be the same")}
	}
	r := make(orb.Ring, 0, len(ring))
	for _, p := range ring {
		if len(r) == 0 || r[len(r)-1] != p {
			r = append(r, p)
		}
	}
	if len(r) < 4 {
		return nil, []message{at(where, "至少需要 4 个点（3 个不同的顶点并闭合）", "needs at least 4 points (3 distinct vertices, closed)")}
	}
	if i, j, p, ok := selfIntersection(r); ok {
		return nil, []message{at(where, "自相交：第 %d 条边与第 %d 条边在 [%.6f, %.6f] 附近相交", "intersects itself: edges %d and %d meet near [%.6f, %.6f]",
			i, j, p[0], p[1])}
	}
	return r, nil
}
