package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// DefaultSLAPolicies are whistle.DefaultClocks as rows, per class in
// order of urgency, every level.
var DefaultSLAPolicies = defaultSLAPolicies()

func defaultSLAPolicies() []SLAPolicy {
	rows := make([]SLAPolicy, 0, len(whistle.Classes))
	for _, class := range whistle.Classes {
		k := whistle.DefaultClocks[class]
		rows = append(rows, SLAPolicy{Class: string(class), ReportWithin: k.ReportWithin, HandleWithin: k.HandleWithin,
			EvaluateWithin: k.EvaluateWithin, DefaultSatisfaction: string(k.DefaultSatisfaction)})
	}
	return rows
}

// SeedDefaults writes the default SLA policies and the shipped calendar where
// they are missing. It never overwrites an admin's edits.
func (s *Store) SeedDefaults(ctx context.Context) error {
	db := s.DB.WithContext(ctx)
	for _, p := range DefaultSLAPolicies {
		if err := insertMissing(db, &p, "SLA policy", p.Class); err != nil {
			return err
		}
	}
	for _, d := range worktime.DefaultDays() {
		if err := insertMissing(db, &CalendarDay{Date: d.Date, Kind: string(d.Kind), Name: d.Name}, "calendar day", d.Date); err != nil {
			return err
		}
	}
	return nil
}

// demoCity is the seeded demo city of DESIGN.md §4: two districts so that
// jurisdiction can be tried, three streets, four communities.
var demoOrgUnits = []struct {
	id, parent, kind, name, nameEN string
}{
	{"110000", "", "city", "示范市", "Demo City"},
	{"110101", "110000", "district", "城东区", "Chengdong District"},
	{"110102", "110000", "district", "城西区", "Chengxi District"},
	{"110101001", "110101", "street", "和平街道", "Heping Street"},
	{"110101002", "110101", "street", "光明街道", "Guangming Street"},
	{"110102001", "110102", "street", "新华街道", "Xinhua Street"},
	{"110101001001", "110101001", "community", "和平里社区", "Hepingli Community"},
	{"110101001002", "110101001", "community", "青年湖社区", "Qingnianhu Community"},
	{"110101002001", "110101002", "community", "光明社区", "Guangming Community"},
	{"110102001001", "110102001", "community", "新华社区", "Xinhua Community"},
	{"110101001001001", "110101001001", "grid", "和平里第一网格", "Hepingli Grid 1"},
	{"110101001001002", "110101001001", "grid", "和平里第二网格", "Hepingli Grid 2"},
	{"110101002001001", "110101002001", "grid", "光明第一网格", "Guangming Grid 1"},
	{"110102001001001", "110102001001", "grid", "新华第一网格", "Xinhua Grid 1"},
}

var demoDepartments = []struct {
	id, org, kind, parent, name, nameEN string
}{
	{"city-police", "110000", "police", "", "市公安局", "City Public Security Bureau"},
	{"city-market", "110000", "market", "", "市市场监管局", "City Market Regulation Administration"},
	{"city-citymgmt", "110000", "citymgmt", "", "市城管执法局", "City Urban Management Bureau"},
	{"city-traffic", "110000", "traffic", "", "市交通委", "City Transport Commission"},
	{"d1-police", "110101", "police", "city-police", "城东公安分局", "Chengdong Police Bureau"},
	{"d1-market", "110101", "market", "city-market", "城东区市场监管局", "Chengdong Market Regulation"},
	{"d1-citymgmt", "110101", "citymgmt", "city-citymgmt", "城东区城管执法局", "Chengdong Urban Management"},
	{"d1-housing", "110101", "housing", "", "城东区住建委", "Chengdong Housing Commission"},
	{"d1-ecology", "110101", "ecology", "", "城东区生态环境局", "Chengdong Ecology Bureau"},
	{"d1-traffic", "110101", "traffic", "city-traffic", "城东交通支队", "Chengdong Traffic Police"},
	{"d2-police", "110102", "police", "city-police", "城西公安分局", "Chengxi Police Bureau"},
	{"d2-market", "110102", "market", "city-market", "城西区市场监管局", "Chengxi Market Regulation"},
	{"d2-citymgmt", "110102", "citymgmt", "city-citymgmt", "城西区城管执法局", "Chengxi Urban Management"},
	{"s1-police", "110101001", "police", "d1-police", "和平派出所", "Heping Police Station"},
	{"s1-market", "110101001", "market", "d1-market", "和平市场监管所", "Heping Market Office"},
	{"s1-citymgmt", "110101001", "citymgmt", "d1-citymgmt", "和平城管执法队", "Heping Urban Management Squad"},
	{"s2-police", "110101002", "police", "d1-police", "光明派出所", "Guangming Police Station"},
	{"s2-market", "110101002", "market", "d1-market", "光明市场监管所", "Guangming Market Office"},
	{"s2-citymgmt", "110101002", "citymgmt", "d1-citymgmt", "光明城管执法队", "Guangming Urban Management Squad"},
	{"s3-police", "110102001", "police", "d2-police", "新华派出所", "Xinhua Police Station"},
	{"s3-market", "110102001", "market", "d2-market", "新华市场监管所", "Xinhua Market Office"},
	{"s3-citymgmt", "110102001", "citymgmt", "d2-citymgmt", "新华城管执法队", "Xinhua Urban Management Squad"},
}

// DemoUsers are the fixed demo usernames (DESIGN.md §4) and a few more.
var DemoUsers = []struct {
	Username, Role, OrgUnitID, DepartmentID, Name string
}{
	{"admin", "admin", "110000", "", "系统管理员"},
	{"city-commander", "commander", "110000", "", "市指挥中心值班员"},
	{"city-supervisor", "supervisor", "110000", "", "市督查员"},
	{"d1-commander", "commander", "110101", "", "城东区指挥中心值班员"},
	{"d2-commander", "commander", "110102", "", "城西区指挥中心值班员"},
	{"s1-secretary", "street_secretary", "110101001", "", "和平街道工委书记"},
	{"s1-commander", "commander", "110101001", "", "和平街道综合指挥中心"},
	{"s2-secretary", "street_secretary", "110101002", "", "光明街道工委书记"},
	{"s3-secretary", "street_secretary", "110102001", "", "新华街道工委书记"},
	{"c1-secretary", "community_secretary", "110101001001", "", "和平里社区书记"},
	{"c2-secretary", "community_secretary", "110101001002", "", "青年湖社区书记"},
	{"c3-secretary", "community_secretary", "110101002001", "", "光明社区书记"},
	{"c4-secretary", "community_secretary", "110102001001", "", "新华社区书记"},
	{"g1-worker", "grid_worker", "110101001001001", "", "和平里网格员"},
	{"s1-police", "clerk", "", "s1-police", "和平派出所内勤"},
	{"s1-market", "clerk", "", "s1-market", "和平市场监管所内勤"},
	{"s1-citymgmt", "clerk", "", "s1-citymgmt", "和平城管执法队内勤"},
	{"s2-police", "clerk", "", "s2-police", "光明派出所内勤"},
	{"s2-citymgmt", "clerk", "", "s2-citymgmt", "光明城管执法队内勤"},
	{"s3-citymgmt", "clerk", "", "s3-citymgmt", "新华城管执法队内勤"},
	{"d1-police", "clerk", "", "d1-police", "城东公安分局内勤"},
	{"d1-citymgmt", "clerk", "", "d1-citymgmt", "城东区城管执法局内勤"},
	{"d1-housing", "clerk", "", "d1-housing", "城东区住建委内勤"},
	{"city-police", "clerk", "", "city-police", "市公安局内勤"},
	{"d1-supervisor", "supervisor", "110101", "", "城东区督查员"},
	{"d2-supervisor", "supervisor", "110102", "", "城西区督查员"},
}

var demoCatalogue = []CatalogueItem{
	{ID: "stalls", Name: "占道经营", NameEN: "Unlicensed street stalls", Category: "市容环境", DefaultClass: "routine", DepartmentKinds: "citymgmt,market", Levels: "community,street"},
	{ID: "noise", Name: "噪音扰民", NameEN: "Noise nuisance", Category: "治安秩序", DefaultClass: "key", DepartmentKinds: "police,ecology", Levels: "community,street,district"},
	{ID: "illegal-building", Name: "违法建设", NameEN: "Illegal construction", Category: "规划建设", DefaultClass: "coordination", DepartmentKinds: "citymgmt,housing", Levels: "street,district"},
	{ID: "flooding", Name: "道路积水", NameEN: "Flooded road", Category: "市政设施", DefaultClass: "emergency", DepartmentKinds: "citymgmt,traffic", Levels: "community,street,district,city"},
	{ID: "unlicensed-business", Name: "无照经营", NameEN: "Unlicensed business", Category: "市场监管", DefaultClass: "routine", DepartmentKinds: "market", Levels: "community,street"},
	{ID: "group-rental", Name: "群租房", NameEN: "Overcrowded rentals", Category: "治安秩序", DefaultClass: "key", DepartmentKinds: "police,housing", Levels: "community,street,district"},
	{ID: "garbage", Name: "垃圾堆放", NameEN: "Dumped garbage", Category: "市容环境", DefaultClass: "routine", DepartmentKinds: "citymgmt", Levels: "community,street"},
	{ID: "parking", Name: "停车秩序", NameEN: "Parking disorder", Category: "交通秩序", DefaultClass: "routine", DepartmentKinds: "traffic,police", Levels: "community,street,district"},
	{ID: "property-dispute", Name: "物业纠纷", NameEN: "Property management dispute", Category: "物业管理", DefaultClass: "coordination", DepartmentKinds: "housing,market", Levels: "community,street,district"},
}

// SeedDemo writes the demo city once: org tree, departments, users and the
// catalogue. Running it again changes nothing.
func (s *Store) SeedDemo(ctx context.Context) error {
	if err := s.SeedDefaults(ctx); err != nil {
		return err
	}
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		paths := map[string]string{}
		for _, o := range demoOrgUnits {
			path := "/" + o.id + "/"
			if o.parent != "" {
				path = paths[o.parent] + o.id + "/"
			}
			paths[o.id] = path
			row := OrgUnit{ID: o.id, ParentID: optional(o.parent), Kind: o.kind, Name: o.name, NameEN: o.nameEN, Path: path, Depth: pathDepth(path)}
			if err := insertMissing(tx, &row, "org unit", o.id); err != nil {
				return err
			}
		}
		deptOrg := map[string]string{}
		for _, d := range demoDepartments {
			deptOrg[d.id] = d.org
			row := Department{ID: d.id, Name: d.name, NameEN: d.nameEN, Kind: d.kind, OrgUnitID: d.org, OrgPath: paths[d.org], ParentID: optional(d.parent), Active: true}
			if err := insertMissing(tx, &row, "department", d.id); err != nil {
				return err
			}
		}
		for _, u := range DemoUsers {
			org := u.OrgUnitID
			if u.DepartmentID != "" {
				org = deptOrg[u.DepartmentID]
			}
			row := User{ID: "u-" + u.Username, Username: u.Username, DisplayName: u.Name, Role: u.Role, OrgUnitID: org, OrgPath: paths[org], DepartmentID: optional(u.DepartmentID), Active: true}
			if err := insertMissing(tx, &row, "user", u.Username); err != nil {
				return err
			}
		}
		for _, c := range demoCatalogue {
			c.Active = true
			if err := insertMissing(tx, &c, "catalogue item", c.ID); err != nil {
				return err
			}
		}
		return seedDemoGeo(tx) // store/geo_seed.go
	})
}

// IsSeeded reports whether the demo city (its admin user) is present.
func (s *Store) IsSeeded(ctx context.Context) (bool, error) {
	var u User
	err := s.DB.WithContext(ctx).Where("username = ?", "admin").Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, nil
	}
	return err == nil, err
}

// insertMissing adds row unless its key is taken, so seeding never
// overwrites an admin's edits.
func insertMissing(db *gorm.DB, row any, what, key string) error {
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(row).Error; err != nil {
		return fmt.Errorf("seed %s %s: %w", what, key, err)
	}
	return nil
}

// optional is nil for "", else a pointer to s: a nullable reference.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func pathDepth(path string) int {
	n := 0
	for _, c := range path {
		if c == '/' {
			n++
		}
	}
	return n - 1
}
