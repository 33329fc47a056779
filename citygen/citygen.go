// Package citygen generates a city the size of Beijing's grid system (16
// districts, 333 streets and townships, about 7,000 communities, 36,500
// grids, about 5,000 departments and stations, 200,000 users) and bulk-loads
// years of historical cases — with their tasks, evaluations, breaches and
// escalations — into PostgreSQL through COPY, together with the supervision
// roll-up computed in memory by the store's own rules. It exists to measure
// the supervision queries at the scale of DESIGN.md §5; the data is
// synthetic and deterministic for a seed.
package citygen

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/worktime"
)

// Options shape a generated city. Zero values take Beijing's figures.
type Options struct {
	// Cases is the number of historical cases (default 1,000,000).
	Cases int
	// Days is the span they are filed over, ending at End (default 1,095:
	// three years, as in the seeds' 19.85 million events in 2015–2017).
	Days int
	// End is the day after the last filing (default: today, China time).
	End time.Time
	// Seed makes the city reproducible (default 1).
	Seed uint64
	// Batch is the number of cases generated and copied at a time (default 50,000).
	Batch int

	Districts, Streets, CommunitiesPerStreet, GridsPerCommunity int
	CityDepartments, DistrictDepartments, StationsPerStreet     int
	GridWorkersPerGrid                                          int
}

func (o *Options) defaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Cases, 1_000_000)
	def(&o.Days, 1095)
	def(&o.Batch, 50_000)
	def(&o.Districts, 16)
	def(&o.Streets, 333)
	def(&o.CommunitiesPerStreet, 21) // 333 × 21 ≈ 7,000
	def(&o.GridsPerCommunity, 5)     // ≈ 36,500 with the remainder spread
	def(&o.CityDepartments, 48)
	def(&o.DistrictDepartments, 40) // 16 × 40 = 640
	def(&o.StationsPerStreet, 13)   // 333 × 13 = 4,329; ≈ 5,000 in all
	def(&o.GridWorkersPerGrid, 5)   // 36,500 × 5 ≈ 181,000 grid workers
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.End.IsZero() {
		now := time.Now().In(worktime.Location)
		o.End = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, worktime.Location)
	}
}

// Stats counts what was loaded.
type Stats struct {
	OrgUnits, Departments, Users                     int
	Cases, Tasks, Evaluations, Breaches, Escalations int
	RollupRows, Facts                                int
	Took                                             time.Duration
}

// city is the generated org tree, as the generator picks from it.
type city struct {
	cityID    string
	districts []unit
	streets   []street
	cityDepts []dept
}

type unit struct{ id, path string }

type dept struct {
	id, name, path string
}

type street struct {
	unit
	district    int
	communities []community
	stations    []dept
	distDepts   []dept // its district's departments
}

type community struct {
	unit
	grids []string
	cells []cell // each grid's lattice cell (geo.go)
}

var deptKinds = []struct{ kind, zh string }{
	{"police", "公安"}, {"market", "市场监管"}, {"citymgmt", "城管执法"}, {"housing", "住建"}, {"ecology", "生态环境"},
	{"traffic", "交通"}, {"water", "水务"}, {"landscape", "园林绿化"}, {"health", "卫生健康"}, {"civil", "民政"},
	{"emergency", "应急管理"}, {"planning", "规划自然资源"}, {"fire", "消防"},
}

// Generate loads a city into st, which must be a migrated, empty
// PostgreSQL store (no org units). Progress lines go to log.
func Generate(ctx context.Context, st *store.Store, o Options, log io.Writer) (Stats, error) {
	start := time.Now()
	o.defaults()
	var stats Stats
	if st.Dialect() != "postgres" {
		return stats, fmt.Errorf("citygen: bulk load needs PostgreSQL, not %s", st.Dialect())
	}
	var n int64
	if err := st.DB.WithContext(ctx).Model(&store.OrgUnit{}).Count(&n).Error; err != nil {
		return stats, fmt.Errorf("citygen: check database: %w", err)
	}
	if n > 0 {
		return stats, fmt.Errorf("citygen: the database already holds %d org units: generate into an empty, migrated database", n)
	}
	sqlDB, err := st.DB.DB()
	if err != nil {
		return stats, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return stats, fmt.Errorf("citygen: connect: %w", err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		return generate(ctx, pc, o, log, &stats)
	})
	if err == nil {
		// The recurring-problem roll-up, which the projection keeps case
		// by case, summed once from the copied cases.
		fmt.Fprintf(log, "recurring-problem roll-up\n")
		if err = store.BackfillRecurring(ctx, st.DB); err == nil {
			err = st.DB.WithContext(ctx).Exec("VACUUM ANALYZE recurring_counts").Error
		}
	}
	stats.Took = time.Since(start)
	if err != nil {
		return stats, fmt.Errorf("citygen: %w", err)
	}
	return stats, nil
}

func generate(ctx context.Context, pc *pgx.Conn, o Options, log io.Writer, stats *Stats) error {
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x5eed))
	c, err := loadOrg(ctx, pc, o, rng, stats)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "org tree: %d org units, %d departments, %d users\n", stats.OrgUnits, stats.Departments, stats.Users)

	// A bulk load need not wait for each COPY's WAL flush (a crash means
	// generating again anyway), and index builds sort in memory with 1 GB.
	for _, q := range []string{`SET synchronous_commit = off`, `SET maintenance_work_mem = '1GB'`} {
		if _, err := pc.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	defer pc.Exec(context.WithoutCancel(ctx), `RESET ALL`)

	// The trigger would queue every copied case; the roll-up is built in
	// memory instead and the trigger restored at the end.
	if _, err := pc.Exec(ctx, `ALTER TABLE cases DISABLE TRIGGER supervision_cases_dirty`); err != nil {
		return fmt.Errorf("disable supervision trigger: %w", err)
	}
	defer pc.Exec(context.WithoutCancel(ctx), `ALTER TABLE cases ENABLE TRIGGER supervision_cases_dirty`)

	// Secondary indexes are dropped for the load and built again after it:
	// one sorted build is many times faster than millions of inserts into
	// them (the usual bulk-load practice).
	restore, err := dropIndexes(ctx, pc, "cases", "tasks", "evaluations", "breaches", "escalations")
	if err != nil {
		return err
	}

	rb := store.NewRollupBuilder()
	cols := append([]string{"kind", "start", "department_id", "area_id", "district_id"}, store.CounterColumns()...)
	copyRollup := func(rows []store.SupervisionRollup) error {
		rr := make([][]any, len(rows))
		for i, r := range rows {
			rr[i] = append([]any{r.Kind, r.Start, r.DepartmentID, r.AreaID, r.DistrictID}, r.Counts.Values()...)
		}
		if _, err := pc.CopyFrom(ctx, pgx.Identifier{"supervision_rollup"}, cols, pgx.CopyFromRows(rr)); err != nil {
			return fmt.Errorf("copy roll-up: %w", err)
		}
		stats.RollupRows += len(rows)
		return nil
	}
	// Two stages overlap on the two cores: one goroutine generates a batch,
	// sums its roll-up and encodes its rows while the connection copies the
	// batch before it (generation alone was about half the load time).
	type loaded struct {
		b      *batch
		rollup []store.SupervisionRollup
		done   int
	}
	var facts []store.SupervisionFact
	g := &caseGen{o: o, rng: rng, city: c, first: o.End.AddDate(0, 0, -o.Days)}
	gctx, stop := context.WithCancel(ctx)
	defer stop()
	ch := make(chan loaded, 1)
	go func() {
		defer close(ch)
		for done := 0; done < o.Cases; {
			n := min(o.Batch, o.Cases-done)
			b := g.batch(done, n)
			for i := range b.cases {
				facts = append(facts, rb.Add(b.cases[i], b.tasksOf[i], b.evalsOf[i])...)
			}
			b.encode()
			// Cases come in filing order: the days before the last one filed
			// are finished, so their day and week buckets leave memory.
			fin := rb.TakeFinished(store.DayOf(b.cases[len(b.cases)-1].CreatedAt))
			done += n
			select {
			case ch <- loaded{b, fin, done}:
			case <-gctx.Done():
				return
			}
		}
	}()
	for l := range ch {
		if err := l.b.copy(ctx, pc, stats); err != nil {
			return err
		}
		if err := copyRollup(l.rollup); err != nil {
			return err
		}
		fmt.Fprintf(log, "cases: %d/%d\n", l.done, o.Cases)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	fmt.Fprintf(log, "building %d indexes\n", len(restore))
	for _, def := range restore {
		if _, err := pc.Exec(ctx, def); err != nil {
			return fmt.Errorf("rebuild index: %s: %w", def, err)
		}
	}
	if err := copyRollup(rb.Rows()); err != nil {
		return err
	}
	fcols := append([]string{"case_id", "department_id", "day", "area_id", "district_id"}, store.CounterColumns()...)
	fr := make([][]any, len(facts))
	for i, f := range facts {
		fr[i] = append([]any{f.CaseID, f.DepartmentID, f.Day, f.AreaID, f.DistrictID}, f.Counts.Values()...)
	}
	if _, err := pc.CopyFrom(ctx, pgx.Identifier{"supervision_facts"}, fcols, pgx.CopyFromRows(fr)); err != nil {
		return fmt.Errorf("copy facts: %w", err)
	}
	stats.Facts = len(facts)
	fmt.Fprintf(log, "roll-up: %d buckets, %d facts of cases in progress; vacuum analyze\n", stats.RollupRows, len(facts))
	for _, t := range []string{"cases", "tasks", "evaluations", "breaches", "escalations", "supervision_rollup", "supervision_facts", "org_units", "departments", "users"} {
		// VACUUM too: the visibility map lets counts run index-only, as
		// they do on a table autovacuum keeps.
		if _, err := pc.Exec(ctx, "VACUUM ANALYZE "+t); err != nil {
			return fmt.Errorf("analyze %s: %w", t, err)
		}
	}
	return nil
}

// loadOrg generates and copies the org tree, departments and users.
func loadOrg(ctx context.Context, pc *pgx.Conn, o Options, rng *rand.Rand, stats *Stats) (*city, error) {
	now := time.Now().UTC()
	c := &city{cityID: "110000"}
	var units, depts, users [][]any
	addUnit := func(id string, parent *string, kind, name, path string, depth int) {
		units = append(units, []any{id, parent, kind, name, "", path, depth, now, now})
	}
	addDept := func(id, name, kind, org, path string, parent *string) dept {
		depts = append(depts, []any{id, name, "", kind, org, path, parent, true, now, now})
		return dept{id: id, name: name, path: path}
	}
	nUser := 0
	addUser := func(role, org, path string, deptID *string) {
		nUser++
		id := "gu" + strconv.Itoa(nUser)
		users = append(users, []any{id, "user" + strconv.Itoa(nUser), role + " " + strconv.Itoa(nUser), role, org, path, deptID, true, now, now})
	}
	root := "/" + c.cityID + "/"
	addUnit(c.cityID, nil, "city", "北京市", root, 1)
	addUser("admin", c.cityID, root, nil)
	addUser("commander", c.cityID, root, nil)
	addUser("supervisor", c.cityID, root, nil)
	for i := 0; i < o.CityDepartments; i++ {
		k := deptKinds[i%len(deptKinds)]
		d := addDept(fmt.Sprintf("c-%s-%d", k.kind, i), fmt.Sprintf("市%s局%d", k.zh, i), k.kind, c.cityID, root, nil)
		c.cityDepts = append(c.cityDepts, d)
		addUser("clerk", c.cityID, root, &d.id)
	}
	cityID := c.cityID
	gridsLeft := 36_500 - o.Streets*o.CommunitiesPerStreet*o.GridsPerCommunity
	var gridIDs []string
	var gridCells []cell
	for di := 0; di < o.Districts; di++ {
		did := strconv.Itoa(110101 + di)
		dpath := root + did + "/"
		addUnit(did, &cityID, "district", fmt.Sprintf("第%d区", di+1), dpath, 2)
		c.districts = append(c.districts, unit{did, dpath})
		addUser("commander", did, dpath, nil)
		addUser("supervisor", did, dpath, nil)
		var dd []dept
		for i := 0; i < o.DistrictDepartments; i++ {
			k := deptKinds[i%len(deptKinds)]
			var parent *string
			if i < len(c.cityDepts) {
				parent = &c.cityDepts[i].id
			}
			d := addDept(fmt.Sprintf("d%d-%s-%d", di+1, k.kind, i), fmt.Sprintf("第%d区%s%d", di+1, k.zh, i), k.kind, did, dpath, parent)
			dd = append(dd, d)
			addUser("clerk", did, dpath, &d.id)
		}
		// Streets are dealt round the districts: 333 / 16 ≈ 21 each.
		for si := di; si < o.Streets; si += o.Districts {
			sid := fmt.Sprintf("%s%03d", did, si/o.Districts+1)
			spath := dpath + sid + "/"
			addUnit(sid, &did, "street", fmt.Sprintf("第%d街道", si+1), spath, 3)
			addUser("street_secretary", sid, spath, nil)
			addUser("commander", sid, spath, nil)
			s := street{unit: unit{sid, spath}, district: di, distDepts: dd}
			for i := 0; i < o.StationsPerStreet; i++ {
				k := deptKinds[i%len(deptKinds)]
				parent := dd[i%len(dd)].id
				d := addDept(fmt.Sprintf("s%s-%s", sid, k.kind), fmt.Sprintf("第%d街道%s站", si+1, k.zh), k.kind, sid, spath, &parent)
				s.stations = append(s.stations, d)
				addUser("clerk", sid, spath, &d.id)
			}
			for ci := 0; ci < o.CommunitiesPerStreet; ci++ {
				cid := fmt.Sprintf("%s%03d", sid, ci+1)
				cpath := spath + cid + "/"
				addUnit(cid, &sid, "community", fmt.Sprintf("第%d街道第%d社区", si+1, ci+1), cpath, 4)
				addUser("community_secretary", cid, cpath, nil)
				cm := community{unit: unit{cid, cpath}}
				ng := o.GridsPerCommunity
				if gridsLeft > 0 && rng.IntN(4) == 0 {
					ng++
					gridsLeft--
				}
				for gi := 0; gi < ng; gi++ {
					gid := fmt.Sprintf("%s%03d", cid, gi+1)
					gpath := cpath + gid + "/"
					addUnit(gid, &cid, "grid", fmt.Sprintf("第%d网格", gi+1), gpath, 5)
					cm.grids = append(cm.grids, gid)
					cl := gridLattice.cellAt(len(gridIDs) % (gridLattice.n * gridLattice.n))
					cm.cells = append(cm.cells, cl)
					gridIDs, gridCells = append(gridIDs, gid), append(gridCells, cl)
					for w := 0; w < o.GridWorkersPerGrid; w++ {
						addUser("grid_worker", gid, gpath, nil)
					}
				}
				s.communities = append(s.communities, cm)
			}
			c.streets = append(c.streets, s)
		}
	}
	for _, t := range []struct {
		name string
		cols []string
		rows [][]any
	}{
		{"org_units", []string{"id", "parent_id", "kind", "name", "name_en", "path", "depth", "created_at", "updated_at"}, units},
		{"departments", []string{"id", "name", "name_en", "kind", "org_unit_id", "org_path", "parent_id", "active", "created_at", "updated_at"}, depts},
		{"users", []string{"id", "username", "display_name", "role", "org_unit_id", "org_path", "department_id", "active", "created_at", "updated_at"}, users},
	} {
		if _, err := pc.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
			return nil, fmt.Errorf("copy %s: %w", t.name, err)
		}
	}
	if err := copyGridPolygons(ctx, pc, gridIDs, gridCells); err != nil {
		return nil, err
	}
	stats.OrgUnits, stats.Departments, stats.Users = len(units), len(depts), len(users)
	return c, nil
}

// dropIndexes drops the indexes of tables other than their primary keys and
// unique constraints, and returns the statements that create them again.
func dropIndexes(ctx context.Context, pc *pgx.Conn, tables ...string) ([]string, error) {
	rows, err := pc.Query(ctx, `SELECT i.indexname, i.indexdef FROM pg_indexes i
JOIN pg_class c ON c.relname = i.indexname AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = i.schemaname)
JOIN pg_index x ON x.indexrelid = c.oid
WHERE i.schemaname = current_schema() AND i.tablename = ANY($1) AND NOT x.indisprimary AND NOT x.indisunique`, tables)
	if err != nil {
		return nil, fmt.Errorf("list indexes: %w", err)
	}
	var names, defs []string
	for rows.Next() {
		var n, d string
		if err := rows.Scan(&n, &d); err != nil {
			rows.Close()
			return nil, err
		}
		names, defs = append(names, n), append(defs, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, n := range names {
		if _, err := pc.Exec(ctx, "DROP INDEX "+pgx.Identifier{n}.Sanitize()); err != nil {
			return nil, fmt.Errorf("drop index %s: %w", n, err)
		}
	}
	return defs, nil
}
