package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Issue 15: grid, community and street polygons for the map.
// The structs are this migration's snapshots.

// geoAreaV1 is one org unit's polygon: the GeoJSON geometry (WGS-84) and
// its bounding box, which the map's bbox queries filter on.
type geoAreaV1 struct {
	OrgUnitID string    `gorm:"primaryKey;size:32"`
	Kind      string    `gorm:"size:16;not null;index:idx_geo_areas_kind_box,priority:1"`
	Geometry  string    `gorm:"type:text;not null"`
	MinLon    float64   `gorm:"not null;index:idx_geo_areas_kind_box,priority:2"`
	MinLat    float64   `gorm:"not null"`
	MaxLon    float64   `gorm:"not null"`
	MaxLat    float64   `gorm:"not null"`
	UpdatedBy string    `gorm:"size:64;not null;default:''"`
	CreatedAt time.Time `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

func (geoAreaV1) TableName() string { return "geo_areas" }

// geoRevisionV1 is one row counting imports: every api process compares
// it with the revision of its in-memory index (a cheap primary-key read)
// and reloads the polygons when it moved, so processes agree within
// seconds without a message bus.
type geoRevisionV1 struct {
	ID        int       `gorm:"primaryKey;autoIncrement:false"`
	Revision  int64     `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

func (geoRevisionV1) TableName() string { return "geo_revision" }

// geoCaseIndexes serve the map: the bbox of every case (lat, lon); the
// open cases' bbox (the default view of /map/cases), carrying what the
// clusters count and the scope filters on, so counting a district's open
// cases reads the index alone; and the open cases per grid (the counts of
// /map/grids). Partial indexes exist on both PostgreSQL and SQLite.
var geoCaseIndexes = []struct{ name, ddl string }{
	{"idx_cases_lat_lon", "CREATE INDEX IF NOT EXISTS idx_cases_lat_lon ON cases (lat, lon)"},
	{"idx_cases_open_map", "CREATE INDEX IF NOT EXISTS idx_cases_open_map ON cases (lat, lon, overdue, org_path, holder_org_path) WHERE status <> 'closed'"},
	{"idx_cases_open_grid", "CREATE INDEX IF NOT EXISTS idx_cases_open_grid ON cases (grid_id, overdue, org_path, holder_org_path) WHERE status <> 'closed'"},
}

// mapReadRules are the rows of the shipped policy that issue 15 added
// (policy/default_policy.csv): who may read the map.
var mapReadRules = [][4]string{
	{"admin", "map:read", "anywhere", "admin:anywhere"},
	{"commander", "map:read", "scope", "map:jurisdiction"},
	{"street_secretary", "map:read", "scope", "map:jurisdiction"},
	{"community_secretary", "map:read", "scope", "map:jurisdiction"},
	{"supervisor", "map:read", "scope", "map:jurisdiction"},
	{"grid_worker", "map:read", "grid_scope", "map:jurisdiction"},
}

func migrateGeo(tx *gorm.DB) error {
	if err := tx.AutoMigrate(&geoAreaV1{}, &geoRevisionV1{}); err != nil {
		return fmt.Errorf("create geo tables: %w", err)
	}
	if err := tx.Exec("INSERT INTO geo_revision (id, revision, updated_at) VALUES (1, 0, ?)", time.Now().UTC()).Error; err != nil {
		return fmt.Errorf("seed geo revision: %w", err)
	}
	for _, ix := range geoCaseIndexes {
		if err := tx.Exec(ix.ddl).Error; err != nil {
			return fmt.Errorf("index %s: %w", ix.name, err)
		}
	}
	return addPolicyRules(tx, "map", mapReadRules)
}

func rollbackGeo(tx *gorm.DB) error {
	for _, r := range mapReadRules {
		if err := tx.Exec("DELETE FROM policy_rules WHERE p_type = 'p' AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ?",
			r[0], r[1], r[2], r[3]).Error; err != nil {
			return fmt.Errorf("drop map rule %v: %w", r, err)
		}
	}
	for _, ix := range geoCaseIndexes {
		if err := tx.Exec("DROP INDEX IF EXISTS " + ix.name).Error; err != nil {
			return fmt.Errorf("drop index %s: %w", ix.name, err)
		}
	}
	return tx.Migrator().DropTable(&geoRevisionV1{}, &geoAreaV1{})
}

// addPolicyRules adds rules to a policy table already seeded; an empty
// one seeds from the defaults, which have them. A row already there is
// kept once. (The same steps as migrateFollowupRules.)
func addPolicyRules(tx *gorm.DB, what string, rules [][4]string) error {
	var n int64
	if err := tx.Raw("SELECT COUNT(*) FROM policy_rules").Scan(&n).Error; err != nil {
		return fmt.Errorf("count policy rules: %w", err)
	}
	if n == 0 {
		return nil
	}
	for _, r := range rules {
		var have int64
		if err := tx.Raw("SELECT COUNT(*) FROM policy_rules WHERE p_type = 'p' AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ?",
			r[0], r[1], r[2], r[3]).Scan(&have).Error; err != nil {
			return fmt.Errorf("%s rule %v: %w", what, r, err)
		}
		if have > 0 {
			continue
		}
		if err := tx.Exec("INSERT INTO policy_rules (p_type, v0, v1, v2, v3, v4, v5) VALUES ('p', ?, ?, ?, ?, '', '')",
			r[0], r[1], r[2], r[3]).Error; err != nil {
			return fmt.Errorf("add %s rule %v: %w", what, r, err)
		}
	}
	return nil
}
