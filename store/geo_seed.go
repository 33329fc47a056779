package store

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/paulmach/orb/geojson"
	"gorm.io/gorm"

	"github.com/shaobao/shaobao/geo"
	"github.com/shaobao/shaobao/whistle"
)

// demoCityGeoJSON holds the demo city's polygons in WGS-84: its four
// grids, four communities and three streets, around the old town of
// Beijing (城东 east of 116.395°E, 城西 west of it). 青年湖社区 has no
// grid: a point there is outside every grid.
//
//go:embed demo_city.geojson
var demoCityGeoJSON []byte

// seedDemoGeo writes the demo polygons when there are none at all, so an
// admin's import is never overwritten.
func seedDemoGeo(tx *gorm.DB) error {
	var n int64
	if err := tx.Model(&GeoArea{}).Count(&n).Error; err != nil {
		return fmt.Errorf("seed polygons: %w", err)
	}
	if n > 0 {
		return nil
	}
	areas, problems, err := geo.ReadFeatureCollection(demoCityGeoJSON, whistle.BeijingBounds)
	if err != nil || len(problems) > 0 {
		return fmt.Errorf("seed polygons: the demo file is invalid: %v %v", err, problems)
	}
	var doc struct {
		Features []struct {
			Properties struct{ Kind string } `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(demoCityGeoJSON, &doc); err != nil {
		return fmt.Errorf("seed polygons: %w", err)
	}
	now := time.Now().UTC()
	for i, a := range areas {
		g, err := json.Marshal(geojson.NewGeometry(shapeOf(a.Shape)))
		if err != nil {
			return fmt.Errorf("seed polygon %s: %w", a.ID, err)
		}
		row := GeoArea{OrgUnitID: a.ID, Kind: doc.Features[i].Properties.Kind, Geometry: string(g), MinLon: a.Bound.Min[0], MinLat: a.Bound.Min[1],
			MaxLon: a.Bound.Max[0], MaxLat: a.Bound.Max[1], UpdatedBy: "seed", CreatedAt: now, UpdatedAt: now}
		if err := insertMissing(tx, &row, "polygon", a.ID); err != nil {
			return err
		}
	}
	if err := tx.Exec("UPDATE geo_revision SET revision = revision + 1, updated_at = ? WHERE id = 1", now).Error; err != nil {
		return fmt.Errorf("seed polygons: %w", err)
	}
	return nil
}
